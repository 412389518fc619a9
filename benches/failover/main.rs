//! Failover on real Kafka: the time from SIGKILL of a partition's leader to
//! the first acknowledgement of a record by its new leader, kafka-sync
//! against the Java producer (kafka-clients 4.4.0) and rdkafka (librdkafka).
//!
//! ```sh
//! cargo bench --bench failover --all-features
//! ```
//!
//! A 3-node Kafka 4.4.0 cluster (`tests/common/kafka.rs`; jars from
//! `scripts/kafka.sh`; `broker.session.timeout.ms=6000`, the harness's
//! setting) gets a fresh 1-partition topic per run (RF 3,
//! `min.insync.replicas=2`). One caller sends a 100-byte record to
//! partition 0 and waits for it, again and again, each client with its
//! default settings (acks=all, idempotence on): ours `send(r)?.wait()`,
//! Java `send(r).get()` (`FailoverDriver.java`, its own JVM), rdkafka
//! `BaseProducer::send` then the delivery report (a poll thread). After 3 s
//! of steady sending the parent SIGKILLs the partition's leader and notes
//! the wall-clock time; the run ends 2 s after the first acknowledgement
//! that follows (or after 60 s without one). The killed node is restarted
//! and the cluster fully replicated before the next run. Clients rotate
//! per rep. Times are wall-clock milliseconds (`SystemTime`), the same
//! clock for every client.
//!
//! Reported per run: `gap_ms` (kill to first acknowledgement after it),
//! records failed, and the acknowledgements in the 2 s after recovery.
//! Results are appended to `BENCH_OUT` (default
//! `benches/results/failover.jsonl`, which `scripts/bench.sh` renders).
//! `BENCH_REPS` (3) runs per client; `BENCH_CLIENTS` (`ours,rdkafka,java`).

#[path = "../common/mod.rs"]
mod bench_common;
#[path = "../vs_peers/harness.rs"]
mod harness;

use harness::kafka::{jars, KafkaCluster, Version};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Acknowledgement and failure times (epoch ms) seen by one client.
#[derive(Default)]
struct Seen {
    acks: Mutex<Vec<u64>>,
    errors: Mutex<Vec<u64>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A client producing until `stop`: its thread, or its JVM.
enum Running {
    Thread(std::thread::JoinHandle<()>),
    Jvm(std::process::Child, std::thread::JoinHandle<()>),
}

fn start_ours(bootstrap: &str, topic: &str, seen: Arc<Seen>, stop: Arc<AtomicBool>) -> Running {
    use kafka_sync::{Producer, ProducerConfig, ProducerRecord, Topic};
    let config = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .build()
        .expect("config");
    let producer: Producer<Vec<u8>, Vec<u8>> = Producer::new(config).expect("producer");
    let topic = Topic::from(topic.to_owned());
    Running::Thread(std::thread::spawn(move || {
        while !stop.load(Relaxed) {
            let r = ProducerRecord::new(topic.clone(), vec![b'x'; 100]).partition(0);
            match producer.send(r).map_err(|e| e.error.to_string()) {
                Ok(h) => match h.wait() {
                    Ok(_) => seen.acks.lock().unwrap().push(now_ms()),
                    Err(_) => seen.errors.lock().unwrap().push(now_ms()),
                },
                Err(_) => seen.errors.lock().unwrap().push(now_ms()),
            }
        }
        producer.close(Duration::from_secs(5));
    }))
}

fn start_rdkafka(bootstrap: &str, topic: &str, seen: Arc<Seen>, stop: Arc<AtomicBool>) -> Running {
    use bench_common::rd::{self, Rd};
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseRecord, Producer as _};
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true");
    let topic = topic.to_owned();
    let p: Rd = c.create_with_context(Default::default()).expect("rdkafka");
    Running::Thread(std::thread::spawn(move || {
        let never = AtomicBool::new(false);
        let ctx = p.context();
        rd::with_poller(&p, || {
            let mut n = 0;
            while !stop.load(Relaxed) {
                let value = [b'x'; 100];
                let record = BaseRecord::<(), [u8], usize>::with_opaque_to(&topic, 0)
                    .partition(0)
                    .payload(&value[..]);
                rd::send(&p, record, &never);
                n += 1;
                let failed = ctx.failed.load(Relaxed);
                ctx.wait_for(n);
                if ctx.failed.load(Relaxed) > failed {
                    seen.errors.lock().unwrap().push(now_ms());
                } else {
                    seen.acks.lock().unwrap().push(now_ms());
                }
            }
        });
    }))
}

/// Where the Java driver is compiled to (next to the bench binary).
fn java_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("failover-java")
}

/// Compiles `FailoverDriver.java`; the classpath to run it, or why not.
fn prepare_java() -> Result<String, String> {
    let jars = jars(Version::V4)?;
    let classes = java_dir();
    std::fs::create_dir_all(&classes).map_err(|e| e.to_string())?;
    let cp = format!("{}/*", jars.display());
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/failover/FailoverDriver.java");
    let out = Command::new("javac")
        .args(["-nowarn", "-d"])
        .arg(&classes)
        .args(["-cp", &cp])
        .arg(src)
        .output()
        .map_err(|e| format!("javac: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(format!("{}:{cp}", classes.display()))
}

fn start_java(cp: &str, bootstrap: &str, topic: &str, seen: Arc<Seen>) -> Running {
    let mut child = Command::new("java")
        .args(["-Xmx256M", "-cp", cp, "FailoverDriver", bootstrap, topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("java");
    let out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let mut it = line.split(' ');
            let (kind, at) = (it.next(), it.next().and_then(|t| t.parse().ok()));
            match (kind, at) {
                (Some("ACK"), Some(t)) => seen.acks.lock().unwrap().push(t),
                (Some("ERR"), Some(t)) => seen.errors.lock().unwrap().push(t),
                _ => {}
            }
        }
    });
    Running::Jvm(child, reader)
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while !done() {
        if std::time::Instant::now() > deadline {
            eprintln!("failover: {what}: not within {timeout:?}");
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// One run of `client`: a JSON line for the results.
fn run(k: &KafkaCluster, client: &str, java_cp: Option<&str>, rep: usize) -> Option<String> {
    let topic = k.new_topic(&format!("failover-{client}"), 1);
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let running = match client {
        "ours" => start_ours(&k.bootstrap, &topic, seen.clone(), stop.clone()),
        "rdkafka" => start_rdkafka(&k.bootstrap, &topic, seen.clone(), stop.clone()),
        "java" => start_java(java_cp?, &k.bootstrap, &topic, seen.clone()),
        other => panic!("unknown client {other}"),
    };
    let acks = |after: u64| {
        seen.acks
            .lock()
            .unwrap()
            .iter()
            .filter(|&&t| t > after)
            .count()
    };
    let warm = wait_for("first acknowledgement", Duration::from_secs(60), || {
        acks(0) > 0
    });
    std::thread::sleep(Duration::from_secs(3));
    let leader = k.leader_of(&topic, 0);
    let before = acks(0);
    let killed_at = now_ms();
    k.kill(leader);
    let recovered = warm
        && wait_for(
            "acknowledgement after the kill",
            Duration::from_secs(60),
            || acks(killed_at) > 0,
        );
    let first_after = seen
        .acks
        .lock()
        .unwrap()
        .iter()
        .copied()
        .find(|&t| t > killed_at);
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Relaxed);
    match running {
        Running::Thread(t) => t.join().expect("client thread"),
        Running::Jvm(mut child, reader) => {
            drop(child.stdin.take());
            let _ = child.wait();
            let _ = reader.join();
        }
    }
    k.restart(leader);
    k.wait_fully_replicated(Duration::from_secs(120));
    let after_recovery = first_after.map_or(0, |t| acks(t) + 1);
    let errors = seen.errors.lock().unwrap().len();
    let gap = first_after.map(|t| t - killed_at);
    eprintln!(
        "failover {client:<8} rep {rep}: {} (acks before the kill {before}, failed records {errors}, \
         acks in the 2 s after recovery {after_recovery})",
        gap.map_or("no acknowledgement within 60 s".into(), |g| format!(
            "first acknowledgement {g} ms after SIGKILL of the leader (node {leader})"
        )),
    );
    Some(format!(
        "{{\"client\":\"{client}\",\"rep\":{rep},\"recovered\":{recovered},\"gap_ms\":{},\
         \"errors\":{errors},\"acks_before\":{before},\"acks_after_recovery\":{after_recovery},\
         \"killed_node\":{leader},\"at\":{killed_at}}}",
        gap.map_or("null".into(), |g| g.to_string())
    ))
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `--list`: nothing to run
    }
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let clients: Vec<String> = std::env::var("BENCH_CLIENTS")
        .unwrap_or_else(|_| "ours,rdkafka,java".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    let out = std::env::var("BENCH_OUT").unwrap_or_else(|_| {
        format!(
            "{}/benches/results/failover.jsonl",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let java_cp = match prepare_java() {
        Ok(cp) => Some(cp),
        Err(e) => {
            eprintln!("failover: the Java client is skipped: {e}");
            None
        }
    };
    let k = match KafkaCluster::start(Version::V4, 3) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("failover: SKIPPED: no Kafka cluster: {e}");
            return;
        }
    };
    let mut lines = Vec::new();
    for rep in 0..reps {
        let n = clients.len();
        for i in 0..n {
            let client = &clients[(i + rep) % n];
            if let Some(line) = run(&k, client, java_cp.as_deref(), rep) {
                lines.push(line);
            }
        }
    }
    let mut f = std::fs::File::create(&out).expect("results file");
    for l in &lines {
        writeln!(f, "{l}").expect("write results");
    }
    eprintln!("failover: {} runs written to {out}", lines.len());
}
