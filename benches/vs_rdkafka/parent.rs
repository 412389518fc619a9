//! The parent: starts the brokers, runs every client of every scenario in
//! a child process, and appends the results to `BENCH_OUT`.

use crate::bench_common::measure::loadavg;
use crate::brokers::Broker;
use crate::report::{cmd_out, cpu_model, json_object, summarize};
use crate::scenarios::{env_list, env_u64, scenarios};
use crate::tansu::tansu_bin;
use crate::workload::Spec;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run_child(spec: &Spec) -> Result<BTreeMap<String, String>, String> {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .arg("child")
        .args(spec.to_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("timed out after 300 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).ok();
    if !status.success() {
        return Err(format!("child exited with {status}"));
    }
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or("no RESULT line")?;
    Ok(line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

pub fn run(args: &[String]) {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let reps = env_u64("BENCH_REPS", if quick { 1 } else { 3 }) as usize;
    let mut groups = env_list(
        "BENCH_GROUPS",
        "size,size_1mb,codec,acks,threads,partitions,latency,memory",
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
    let mut brokers = env_list("BENCH_BROKERS", "tansu,mock");
    if brokers.iter().any(|b| b == "tansu") && tansu_bin().is_none() {
        eprintln!("tansu not found (set TANSU_BIN): running on the mock cluster only");
        brokers.retain(|b| b != "tansu");
    }
    let out_path = std::env::var("BENCH_OUT").unwrap_or_else(|_| "target/vs_rdkafka.jsonl".into());
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out_path)
        .unwrap_or_else(|e| panic!("cannot open {out_path}: {e}"));
    let run_id = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    );
    let meta = vec![
        ("type".to_owned(), "meta".to_owned()),
        ("run".to_owned(), run_id.clone()),
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
        ("reps".to_owned(), reps.to_string()),
        ("quick".to_owned(), quick.to_string()),
        ("loadavg_start".to_owned(), loadavg()),
    ];
    writeln!(out, "{}", json_object(&meta)).unwrap();
    let started = Instant::now();
    let mut topic_n = 0;
    for sc in scenarios(quick) {
        if !groups.iter().any(|g| g == sc.group) {
            continue;
        }
        for kind in &brokers {
            let broker = Broker::start(kind);
            if let Some(ms) = sc.rtt_ms {
                if !broker.delay(Duration::from_millis(ms)) {
                    continue;
                }
            }
            topic_n += 1;
            let topic = format!("bench-{topic_n}");
            broker.create_topic(&topic, sc.partitions);
            let mut results: BTreeMap<&str, Vec<BTreeMap<String, String>>> = BTreeMap::new();
            for rep in 0..reps {
                let order = if rep % 2 == 0 {
                    ["ours", "rdkafka"]
                } else {
                    ["rdkafka", "ours"]
                };
                for client in order {
                    let mut spec = sc.spec.clone();
                    spec.client = client.into();
                    spec.bootstrap = broker.bootstrap();
                    spec.topic = topic.clone();
                    let load = loadavg();
                    let res = run_child(&spec);
                    let mut fields: Vec<(String, String)> = vec![
                        ("type".into(), "run".into()),
                        ("run".into(), run_id.clone()),
                        ("group".into(), sc.group.into()),
                        ("scenario".into(), sc.label.clone()),
                        ("broker".into(), kind.clone()),
                        ("client".into(), client.into()),
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
                    writeln!(out, "{}", json_object(&fields)).unwrap();
                    out.flush().unwrap();
                }
            }
            summarize(&sc, kind, &results);
            drop(broker);
        }
    }
    let end = vec![
        ("type".to_owned(), "end".to_owned()),
        ("run".to_owned(), run_id),
        ("loadavg_end".to_owned(), loadavg()),
        (
            "seconds".to_owned(),
            started.elapsed().as_secs().to_string(),
        ),
    ];
    writeln!(out, "{}", json_object(&end)).unwrap();
    eprintln!(
        "done in {} s; results appended to {out_path}",
        started.elapsed().as_secs()
    );
}
