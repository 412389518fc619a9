//! The cost of TLS: kafka-sync (rustls, ring) and librdkafka (rdkafka's
//! `BaseProducer`, OpenSSL), each over PLAINTEXT and over SASL_SSL with
//! SCRAM-SHA-512, on the same broker in the same run, for records of
//! `--sizes` bytes.
//!
//! ```sh
//! cargo bench --bench tls_vs_rdkafka                        # starts a broker
//! cargo bench --bench tls_vs_rdkafka -- --sizes 100,10240 --runs 3
//! cargo bench --bench tls_vs_rdkafka -- --bootstrap-server 127.0.0.1:9092 \
//!     --sasl-ssl-server 127.0.0.1:9093 --ca ca.pem --user alice \
//!     --password alice-secret --topic perf
//! ```
//!
//! Without `--bootstrap-server` it starts the tests' secure Kafka
//! (`tests/common/secure.rs`: one KRaft node, a test CA, SCRAM users; needs
//! java, openssl and the jars of `scripts/kafka.sh`) and sends as
//! `common::secure::ALICE`. Its JVM gets `KSYNC_KAFKA_JVM_OPTS` if set, else
//! `-Xms256m -Xmx768m -XX:+UseSerialGC`: the tests' default stops at the C1
//! JIT, and the broker's TLS is then about 10x slower and caps both clients.
//! Each record size gets a fresh topic of `--partitions` (6) partitions.
//!
//! For each size and mode, both clients first run once unmeasured (the
//! broker's JIT warms up on that listener; a shorter warm-up left the
//! first measured runs 30 % slower), then
//! `--runs` (3) times each, alternating (ours, rdkafka, rdkafka, ours, ...).
//! A run builds one producer, sends one record and waits for it
//! (connection, TLS handshake, SASL, metadata, producer id), then measures
//! `--records` records (1000000, at most `--bytes`, 200 MiB, of values:
//! 20480 of 10 KiB) from the first send to the last acknowledgement:
//! wall-clock records/s and MB/s (value bytes, 10^6), and CPU time
//! (`getrusage(RUSAGE_SELF)` user+sys, every thread of this process; the
//! broker is another process) per MB. Only one client runs at a time, so
//! the process's CPU time is that client's.
//!
//! Both: acks=all, idempotence on, linger.ms=5, batch.size=256 KiB,
//! buffer.memory 32 MiB (librdkafka: `queue.buffering.max.kbytes=32768`),
//! 5 requests in flight, TCP_NODELAY, no compression, null keys. Ours:
//! `send` with the handle dropped, then `flush`; rdkafka: `BaseProducer::send`
//! with a thread calling `poll` for delivery reports (as `ThreadedProducer`
//! does), sleeping 200 µs on `QueueFull`.
//!
//! Prints one line per size, mode and client with medians, the ratios of
//! kafka-sync to librdkafka, and what SASL_SSL costs each client against
//! PLAINTEXT. The machine is shared: compare ratios, not absolute numbers.

#[path = "common/mod.rs"]
mod bench_common;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_common::measure::{cpu_s, loadavg};
use bench_common::rd::{self, Rd};
use kafka_sync::config::SecurityProtocol;
use kafka_sync::{Acks, Producer, ProducerConfig, ProducerRecord, SaslMechanism};
use rdkafka::producer::{BaseRecord, Producer as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// `batch.size` of both clients.
const BATCH_SIZE: usize = 256 * 1024;
/// The harness's variable for the broker JVM's options.
const JVM_OPTS: &str = "KSYNC_KAFKA_JVM_OPTS";
/// `buffer.memory` of both clients.
const BUFFER: usize = 32 << 20;

struct Args {
    plaintext: String,
    sasl_ssl: String,
    ca: PathBuf,
    user: String,
    password: String,
    topic: Option<String>,
    partitions: i32,
    records: usize,
    bytes: usize,
    sizes: Vec<usize>,
    runs: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        plaintext: String::new(),
        sasl_ssl: String::new(),
        ca: PathBuf::new(),
        user: common::secure::ALICE.name.into(),
        password: common::secure::ALICE.password.into(),
        topic: None,
        partitions: 6,
        records: 1_000_000,
        bytes: 200 << 20,
        sizes: vec![100, 10240],
        runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--bootstrap-server" => a.plaintext = value()?,
            "--sasl-ssl-server" => a.sasl_ssl = value()?,
            "--ca" => a.ca = value()?.into(),
            "--user" => a.user = value()?,
            "--password" => a.password = value()?,
            "--topic" => a.topic = Some(value()?),
            "--partitions" => a.partitions = num(value()?)? as i32,
            "--records" => a.records = num(value()?)?,
            "--bytes" => a.bytes = num(value()?)?,
            "--runs" => a.runs = num(value()?)?.max(1),
            "--sizes" => {
                a.sizes = value()?
                    .split(',')
                    .map(|s| num(s.into()))
                    .collect::<Result<_, _>>()?
            }
            _ => {} // cargo bench passes --bench
        }
    }
    Ok(a)
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plaintext,
    SaslSsl,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plaintext => "PLAINTEXT",
            Mode::SaslSsl => "SASL_SSL",
        }
    }
}

/// One measured run.
#[derive(Clone, Copy)]
struct Run {
    rps: f64,
    mbps: f64,
    cpu_s_per_mb: f64,
}

fn measured(records: usize, size: usize, elapsed: Duration, cpu: f64) -> Run {
    let mb = (records * size) as f64 / 1e6;
    let secs = elapsed.as_secs_f64();
    Run {
        rps: records as f64 / secs,
        mbps: mb / secs,
        cpu_s_per_mb: cpu / mb,
    }
}

/// About 1 MiB of pseudo-random values of `size` bytes, the same for both.
struct Values {
    buf: &'static [u8],
    size: usize,
    count: usize,
}

impl Values {
    fn new(size: usize) -> Values {
        let count = ((1 << 20) / size).clamp(16, 10_000);
        let mut x = 0x853c_49e6_748f_ea9bu64;
        let buf: Vec<u8> = (0..count * size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b'a' + (x % 26) as u8
            })
            .collect();
        Values {
            buf: Box::leak(buf.into_boxed_slice()),
            size,
            count,
        }
    }

    fn get(&self, i: usize) -> &'static [u8] {
        let at = (i % self.count) * self.size;
        &self.buf[at..at + self.size]
    }
}

fn ours(a: &Args, mode: Mode, topic: &str, v: &Values, n: usize) -> Run {
    let mut b = ProducerConfig::builder()
        .acks(Acks::All)
        .enable_idempotence(true)
        .linger(Duration::from_millis(5))
        .batch_size(BATCH_SIZE)
        .buffer_memory(BUFFER)
        .set("max.in.flight.requests.per.connection", "5");
    b = match mode {
        Mode::Plaintext => b.bootstrap_servers(&a.plaintext),
        Mode::SaslSsl => b
            .bootstrap_servers(&a.sasl_ssl)
            .security_protocol(SecurityProtocol::SaslSsl)
            .ssl_truststore_location(&a.ca)
            .sasl_mechanism(SaslMechanism::ScramSha512)
            .sasl_credentials(a.user.as_str(), a.password.as_str()),
    };
    let p: Producer<(), &'static [u8]> = Producer::new(b.build().expect("config")).unwrap();
    p.send(ProducerRecord::new(topic, v.get(0)))
        .expect("warm-up send")
        .wait()
        .expect("warm-up record");
    let warm = p.counters().records_sent;
    let (t0, cpu0) = (Instant::now(), cpu_s());
    for i in 0..n {
        if let Err(e) = p.send(ProducerRecord::new(topic, v.get(i))) {
            panic!("send refused: {}", e.error);
        }
    }
    p.flush().expect("flush");
    let (elapsed, cpu) = (t0.elapsed(), cpu_s() - cpu0);
    let m = p.counters();
    assert_eq!(m.records_failed, 0, "records failed: {m:?}");
    assert_eq!(
        m.records_sent - warm,
        n as u64,
        "not all acknowledged: {m:?}"
    );
    p.close(Duration::from_secs(10));
    measured(n, v.size, elapsed, cpu)
}

fn rdkafka(a: &Args, mode: Mode, topic: &str, v: &Values, n: usize) -> Run {
    let mut c = rd::config("all", true, 5, BATCH_SIZE, BUFFER);
    match mode {
        Mode::Plaintext => c.set("bootstrap.servers", &a.plaintext),
        Mode::SaslSsl => c
            .set("bootstrap.servers", &a.sasl_ssl)
            .set("security.protocol", "SASL_SSL")
            .set("sasl.mechanisms", "SCRAM-SHA-512")
            .set("sasl.username", &a.user)
            .set("sasl.password", &a.password)
            .set("ssl.ca.location", a.ca.display().to_string()),
    };
    let p: Rd = c.create_with_context(Default::default()).expect("rdkafka");
    let never = AtomicBool::new(false);
    let send = |i: usize| {
        rd::send(
            &p,
            BaseRecord::<(), [u8], usize>::with_opaque_to(topic, 0).payload(v.get(i)),
            &never,
        );
    };
    let ctx = p.context();
    let run = rd::with_poller(&p, || {
        send(0);
        ctx.wait_for(1);
        assert_eq!(ctx.failed.load(Relaxed), 0, "warm-up record failed");
        ctx.hold_wakeups(); // no wake-ups before the last
        let (t0, cpu0) = (Instant::now(), cpu_s());
        (0..n).for_each(send);
        ctx.wait_for(1 + n as u64);
        let (elapsed, cpu) = (t0.elapsed(), cpu_s() - cpu0);
        assert_eq!(ctx.failed.load(Relaxed), 0, "rdkafka: records failed");
        measured(n, v.size, elapsed, cpu)
    });
    drop(p);
    run
}

/// The median, and ± half the min-max range relative to it (in %).
fn median(v: Vec<f64>) -> (f64, f64) {
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let m = bench_common::measure::median(v);
    (m, (hi - lo) / 2.0 / m * 100.0)
}

/// Medians of records/s, MB/s and CPU s/MB, and the ± % of records/s.
fn summary(runs: &[Run]) -> (f64, f64, f64, f64) {
    let (rps, pm) = median(runs.iter().map(|r| r.rps).collect());
    let (mbps, _) = median(runs.iter().map(|r| r.mbps).collect());
    let (cpu, _) = median(runs.iter().map(|r| r.cpu_s_per_mb).collect());
    (rps, mbps, cpu, pm)
}

fn main() {
    let mut a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tls_vs_rdkafka: {e}");
            std::process::exit(2);
        }
    };
    let broker = if a.plaintext.is_empty() {
        // The harness's default broker JVM stops at the C1 JIT (quick
        // start-up for tests), which makes its TLS about 10x slower: let C2
        // compile it unless the caller chose.
        if std::env::var_os(JVM_OPTS).is_none() {
            std::env::set_var(JVM_OPTS, "-Xms256m -Xmx768m -XX:+UseSerialGC");
        }
        match common::secure::SecureKafka::start(1, None) {
            Ok(k) => {
                a.plaintext = k.bootstrap(common::secure::Listener::Plaintext).into();
                a.sasl_ssl = k.bootstrap(common::secure::Listener::SaslSsl).into();
                a.ca = k.ca_pem.clone();
                Some(k)
            }
            Err(e) => {
                eprintln!(
                    "tls_vs_rdkafka: no secure Kafka ({e}); skipped \
                     (run scripts/test.sh, or pass --bootstrap-server)"
                );
                return;
            }
        }
    } else {
        assert!(
            !a.sasl_ssl.is_empty(),
            "--sasl-ssl-server is needed with --bootstrap-server"
        );
        None
    };
    println!(
        "PLAINTEXT {} SASL_SSL {} (SCRAM-SHA-512 as {}), {} run(s) per client, mode and size; \
         broker JVM options {:?}; load average {}",
        a.plaintext,
        a.sasl_ssl,
        a.user,
        a.runs,
        std::env::var(JVM_OPTS).unwrap_or_default(),
        loadavg()
    );
    let modes = [Mode::Plaintext, Mode::SaslSsl];
    for &size in &a.sizes {
        let topic = match (&a.topic, &broker) {
            (Some(t), _) => t.clone(),
            (None, Some(k)) => k.new_topic(&format!("tls-bench-{size}"), a.partitions),
            (None, None) => panic!("--topic is needed with --bootstrap-server"),
        };
        let n = a.records.min(a.bytes / size).max(1);
        let v = Values::new(size);
        println!("{n} records of {size} B to {topic}");
        // [mode][client] -> runs; client 0 = kafka-sync, 1 = librdkafka.
        let mut res: Vec<[Vec<Run>; 2]> = vec![[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
        for (mi, &mode) in modes.iter().enumerate() {
            // One unmeasured round warms the broker's JIT for this listener;
            // then the runs, alternating so neither client always runs on a
            // warmer broker.
            let warm = (0..2).map(|c| (None, c, n));
            let runs = (0..a.runs).flat_map(|r| {
                let order = if r % 2 == 0 { [0, 1] } else { [1, 0] };
                order.map(|c| (Some(r), c, n))
            });
            for (run, client, count) in warm.chain(runs) {
                let r = if client == 0 {
                    ours(&a, mode, &topic, &v, count)
                } else {
                    rdkafka(&a, mode, &topic, &v, count)
                };
                eprintln!(
                    "  {:<6} {:<9} {:<10} {:>9.0} rec/s {:>7.1} MB/s {:.5} CPU s/MB",
                    run.map_or("warm".into(), |r| format!("run {r}")),
                    mode.name(),
                    ["kafka-sync", "librdkafka"][client],
                    r.rps,
                    r.mbps,
                    r.cpu_s_per_mb
                );
                if run.is_some() {
                    res[mi][client].push(r);
                }
            }
        }
        for (mi, &mode) in modes.iter().enumerate() {
            let [o, t] = [summary(&res[mi][0]), summary(&res[mi][1])];
            for (name, s) in [("kafka-sync", o), ("librdkafka", t)] {
                println!(
                    "{size:>6} B {:<9} {name:<10} {:>9.0} rec/s ±{:>2.0}% {:>7.1} MB/s \
                     {:>8.5} CPU s/MB",
                    mode.name(),
                    s.0,
                    s.3,
                    s.1,
                    s.2
                );
            }
            println!(
                "{size:>6} B {:<9} ours/rdkafka: throughput {:.2}x, CPU per MB {:.2}x",
                mode.name(),
                o.0 / t.0,
                o.2 / t.2
            );
        }
        for (name, c) in [("kafka-sync", 0), ("librdkafka", 1)] {
            let [p, s] = [summary(&res[0][c]), summary(&res[1][c])];
            println!(
                "{size:>6} B {name:<10} SASL_SSL/PLAINTEXT: throughput {:.2}x, CPU per MB {:.2}x",
                s.0 / p.0,
                s.2 / p.2
            );
        }
    }
    println!("load average {} at the end", loadavg());
    if let Some(k) = broker {
        let dir = k.dir.clone();
        drop(k);
        let _ = std::fs::remove_dir_all(dir);
    }
}
