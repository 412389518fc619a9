//! The parent: starts the brokers, runs every client of every scenario in
//! a child process (alternating), and appends the results to `BENCH_OUT`.

use crate::bench_common::measure::loadavg;
use crate::brokers::{Broker, RealKafka};
use crate::child::run_child;
use crate::harness::tansu::tansu_bin;
use crate::report::{cmd_out, cpu_model, json_object, summarize};
use crate::scenarios::{env_list, env_u64, scenarios, Scenario};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::time::{Duration, Instant};

/// What every run of one invocation shares.
struct Run {
    id: String,
    reps: usize,
    clients: Vec<String>,
    out: File,
    topic_n: usize,
}

/// `clients` rotated by `rep`: every client takes every place in turn
/// (ours,rdkafka,java / java,ours,rdkafka / rdkafka,java,ours / ...).
fn rotation(clients: &[&str], rep: usize) -> Vec<String> {
    let mut v: Vec<String> = clients.iter().map(|c| c.to_string()).collect();
    if !v.is_empty() {
        let n = rep % v.len();
        v.rotate_right(n);
    }
    v
}

/// A discarded run on the scenario's fresh topic before the measured ones:
/// on Kafka the first producer to a new topic runs at a fraction of the
/// later ones' rate (new segments, the brokers' first requests for its
/// partitions), which would fall on whichever client the rotation puts
/// first. A tenth of the records (at least 1000) in throughput mode, by
/// the first client of the scenario.
fn warm_up(sc: &Scenario, topic: &str, clients: &[&str], broker: &Broker<'_>) {
    let Some(first) = clients.first() else {
        return;
    };
    let mut spec = sc.spec.clone();
    spec.client = (*first).to_owned();
    spec.bootstrap = broker.bootstrap();
    spec.topic = topic.to_owned();
    spec.mode = "throughput".into();
    spec.duration_ms = 0;
    spec.records = (sc.spec.records / 10).max(1000);
    if let Err(e) = run_child(&spec) {
        eprintln!("  {} / {}: warm-up run failed: {e}", sc.group, sc.label);
    }
}

fn scenario(run: &mut Run, sc: &Scenario, kind: &str, broker: Broker<'_>) {
    if let Some(ms) = sc.rtt_ms {
        if !broker.delay(Duration::from_millis(ms)) {
            return;
        }
    }
    run.topic_n += 1;
    let topic = format!("bench-{}", run.topic_n);
    broker.create_topic(&topic, sc.partitions);
    let clients = sc.clients(&run.clients, kind);
    warm_up(sc, &topic, &clients, &broker);
    let mut results: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for rep in 0..run.reps {
        for client in rotation(&clients, rep) {
            let mut spec = sc.spec.clone();
            spec.client = client.clone();
            spec.bootstrap = broker.bootstrap();
            spec.topic = topic.clone();
            let load = loadavg();
            let res = run_child(&spec);
            let mut fields: Vec<(String, String)> = vec![
                ("type".into(), "run".into()),
                ("run".into(), run.id.clone()),
                ("group".into(), sc.group.into()),
                ("scenario".into(), sc.label.clone()),
                ("broker".into(), kind.into()),
                ("client".into(), client.clone()),
                ("rep".into(), rep.to_string()),
                ("partitions".into(), sc.partitions.to_string()),
                ("rtt_ms".into(), sc.rtt_ms.unwrap_or(0).to_string()),
                ("loadavg".into(), load),
            ];
            for a in spec.to_args() {
                let (k, v) = a.split_once('=').unwrap();
                if !matches!(k, "client" | "bootstrap" | "topic") {
                    fields.push((format!("spec_{k}"), v.to_owned()));
                }
            }
            match res {
                Ok(r) => {
                    fields.extend(r.iter().map(|(k, v)| (k.clone(), v.clone())));
                    results.entry(client).or_default().push(r);
                }
                Err(e) => {
                    eprintln!(
                        "  {} / {} / {kind} / {client}: FAILED: {e}",
                        sc.group, sc.label
                    );
                    fields.push(("error".into(), e));
                }
            }
            writeln!(run.out, "{}", json_object(&fields)).unwrap();
            run.out.flush().unwrap();
        }
    }
    summarize(sc, kind, &results);
    broker.done(&topic);
}

pub fn run(args: &[String]) {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let reps = env_u64("BENCH_REPS", if quick { 1 } else { 3 }) as usize;
    let mut groups = env_list(
        "BENCH_GROUPS",
        "size,size_1mb,codec,codec_threads,callback,acks,threads,partitions,latency,sync_threads,memory",
    );
    let positional: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .flat_map(|a| a.split(','))
        .map(str::to_owned)
        .collect();
    if !positional.is_empty() {
        groups = positional;
    }
    let mut brokers = env_list("BENCH_BROKERS", "mock,tansu,kafka");
    if brokers.iter().any(|b| b == "tansu") && tansu_bin().is_none() {
        eprintln!("tansu not found (set TANSU_BIN, or run scripts/test.sh): tansu skipped");
        brokers.retain(|b| b != "tansu");
    }
    let mut clients = env_list("BENCH_CLIENTS", "ours,rdkafka,java");
    let mut java_version = String::new();
    if clients.iter().any(|c| c == "java") {
        match crate::java::prepare() {
            Ok(v) => java_version = v,
            Err(e) => {
                eprintln!("java client skipped: {e}");
                clients.retain(|c| c != "java");
            }
        }
    }
    let out_path = std::env::var("BENCH_OUT").unwrap_or_else(|_| "target/vs_peers.jsonl".into());
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .unwrap_or_else(|e| panic!("cannot open {out_path}: {e}"));
    let id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut run = Run {
        id,
        reps,
        clients,
        out,
        topic_n: 0,
    };
    let meta = vec![
        ("type".to_owned(), "meta".to_owned()),
        ("run".to_owned(), run.id.clone()),
        (
            "date".to_owned(),
            cmd_out("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        ),
        (
            "git".to_owned(),
            cmd_out("git", &["rev-parse", "--short", "HEAD"]),
        ),
        (
            "git_dirty_files".to_owned(),
            cmd_out("git", &["status", "--porcelain", "--", "src", "Cargo.toml"])
                .lines()
                .count()
                .to_string(),
        ),
        ("nproc".to_owned(), cmd_out("nproc", &[])),
        ("cpu".to_owned(), cpu_model()),
        ("kernel".to_owned(), cmd_out("uname", &["-r"])),
        (
            "librdkafka".to_owned(),
            rdkafka::util::get_rdkafka_version().1,
        ),
        (
            "tansu".to_owned(),
            tansu_bin()
                .map(|b| cmd_out(b.to_str().unwrap(), &["--version"]))
                .unwrap_or_default(),
        ),
        ("java".to_owned(), java_version),
        ("kafka_clients".to_owned(), "4.4.0".to_owned()),
        ("kafka_broker".to_owned(), "4.4.0".to_owned()),
        ("clients".to_owned(), run.clients.join(",")),
        ("reps".to_owned(), reps.to_string()),
        ("quick".to_owned(), quick.to_string()),
        ("loadavg_start".to_owned(), loadavg()),
    ];
    writeln!(run.out, "{}", json_object(&meta)).unwrap();
    let started = Instant::now();
    let all = scenarios(quick);
    let wanted: Vec<&Scenario> = all
        .iter()
        .filter(|sc| groups.iter().any(|g| g == sc.group))
        .collect();
    // Broker by broker, so no broker idles beside another's runs.
    for kind in &brokers {
        let kafka = if kind == "kafka" {
            match RealKafka::start() {
                Ok(k) => Some(k),
                Err(e) => {
                    eprintln!("kafka: cannot start a 3-node Kafka 4.4.0 cluster ({e}): skipped");
                    continue;
                }
            }
        } else {
            None
        };
        for sc in &wanted {
            if sc.rtt_ms.is_some() && kind != "mock" {
                continue;
            }
            let broker = Broker::start(kind, kafka.as_ref());
            scenario(&mut run, sc, kind, broker);
        }
        drop(kafka);
    }
    let end = vec![
        ("type".to_owned(), "end".to_owned()),
        ("run".to_owned(), run.id.clone()),
        ("loadavg_end".to_owned(), loadavg()),
        (
            "seconds".to_owned(),
            started.elapsed().as_secs().to_string(),
        ),
    ];
    writeln!(run.out, "{}", json_object(&end)).unwrap();
    eprintln!(
        "done in {} s; results appended to {out_path}",
        started.elapsed().as_secs()
    );
}
