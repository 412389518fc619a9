//! kafka-sync against rdkafka's `BaseProducer` (librdkafka), on the same broker
//! process, alternating runs.
//!
//! ```sh
//! cargo bench --bench vs_rdkafka --all-features            # everything (~10 min)
//! BENCH_QUICK=1 cargo bench --bench vs_rdkafka --all-features -- size,latency
//! ```
//!
//! `scripts/bench.sh` runs this and renders `BENCHMARKS.md` from the JSON lines.
//!
//! # How a measurement is made
//!
//! The parent process starts the brokers: a private tansu process (found
//! through `TANSU_BIN` or `~/.cache/ksync/tansu/bin/tansu`), and librdkafka's
//! mock cluster (one broker, in this parent process). Each scenario gets a
//! fresh broker (tansu keeps everything in memory) and a fresh topic, then
//! runs every client `BENCH_REPS` times against it, alternating
//! (ours, rdkafka, rdkafka, ours, ...).
//!
//! Every run is a child process (this binary with `child ARGS`) that builds one
//! producer, warms it up (one record sent and acknowledged: connection,
//! metadata, producer id), then measures the workload from the first `send`
//! to the last acknowledgement. CPU time is `getrusage(RUSAGE_SELF)` user+sys
//! of the child over that span (every thread of the process: callers, our
//! sender thread, librdkafka's threads and its poll thread); peak RSS is the
//! child's `VmHWM` over its whole life (`ru_maxrss` is not used: Linux
//! carries the parent's RSS at fork over `exec` into it). The child prints one `RESULT`
//! line; the parent appends one JSON object per run to `BENCH_OUT`
//! (default `target/vs_rdkafka.jsonl`).
//!
//! Both clients get the same settings: acks=all, idempotence on, linger.ms=5,
//! batch.size=16384 (the Java default; group `size_1mb` repeats the
//! record-size sweep with librdkafka's default, 1000000, for both),
//! buffer.memory 32 MiB (librdkafka:
//! queue.buffering.max.kbytes=32768 and a message-count limit high enough not
//! to bind), 5 requests in flight, TCP_NODELAY (librdkafka:
//! socket.nagle.disable=true), the same codec. Values come from one pool of
//! about 1 MiB of distinct, log-like payloads (compressible 2–4x), the same
//! bytes for both clients; keys are null unless the scenario says keyed.
//!
//! Ours uses `send` and drops the handle (fire and forget; failures are
//! checked from the metrics at the end). rdkafka uses `BaseProducer::send`
//! with a dedicated thread calling `poll` (as `ThreadedProducer` does) to
//! serve delivery reports; a caller that gets `QueueFull` sleeps 200 µs and
//! retries (the queue still holds plenty for the broker meanwhile).
//!
//! # Environment
//!
//! - `BENCH_RECORDS` (1000000): records per throughput run for records of up
//!   to 100 B; larger records send at most `BENCH_BYTES` (256 MiB) per run.
//! - `BENCH_REPS` (3): runs per client per scenario.
//! - `BENCH_BROKERS` (`tansu,mock`), `BENCH_GROUPS` (all: `size,size_1mb,
//!   codec,acks,threads,partitions,latency,memory`); a command-line argument that does
//!   not start with `-` also selects groups.
//! - `BENCH_QUICK=1`: 100000 records, 1 rep, shorter latency and memory runs.
//! - `BENCH_OUT`: the JSON-lines file (appended to).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::thread::Thread;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        let spec = Spec::from_args(&args[1..]);
        let result = match spec.client.as_str() {
            "ours" => ours::run(&spec),
            "rdkafka" => theirs::run(&spec),
            c => panic!("unknown client {c}"),
        };
        let line: Vec<String> = result.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("RESULT {}", line.join(" "));
        return;
    }
    parent::run(&args);
}

// ---------------------------------------------------------------- workload spec

/// One run of one client, passed to the child as `key=value` arguments.
#[derive(Debug, Clone)]
struct Spec {
    client: String,
    /// `throughput`, `latency` (one synchronous caller), `memory` (callers
    /// overrun the buffer for `duration_ms`), `baseline` (one record).
    mode: String,
    bootstrap: String,
    topic: String,
    records: u64,
    size: usize,
    codec: String,
    threads: usize,
    keyed: bool,
    acks: String,
    idempotence: bool,
    linger_ms: u64,
    batch_size: usize,
    buffer_memory: usize,
    duration_ms: u64,
}

impl Spec {
    fn to_args(&self) -> Vec<String> {
        vec![
            format!("client={}", self.client),
            format!("mode={}", self.mode),
            format!("bootstrap={}", self.bootstrap),
            format!("topic={}", self.topic),
            format!("records={}", self.records),
            format!("size={}", self.size),
            format!("codec={}", self.codec),
            format!("threads={}", self.threads),
            format!("keyed={}", self.keyed),
            format!("acks={}", self.acks),
            format!("idempotence={}", self.idempotence),
            format!("linger_ms={}", self.linger_ms),
            format!("batch_size={}", self.batch_size),
            format!("buffer_memory={}", self.buffer_memory),
            format!("duration_ms={}", self.duration_ms),
        ]
    }

    fn from_args(args: &[String]) -> Spec {
        let m: BTreeMap<&str, &str> = args
            .iter()
            .map(|a| a.split_once('=').expect("key=value"))
            .collect();
        let get = |k: &str| -> &str { m.get(k).copied().unwrap_or_else(|| panic!("missing {k}")) };
        Spec {
            client: get("client").to_owned(),
            mode: get("mode").to_owned(),
            bootstrap: get("bootstrap").to_owned(),
            topic: get("topic").to_owned(),
            records: get("records").parse().unwrap(),
            size: get("size").parse().unwrap(),
            codec: get("codec").to_owned(),
            threads: get("threads").parse().unwrap(),
            keyed: get("keyed").parse().unwrap(),
            acks: get("acks").to_owned(),
            idempotence: get("idempotence").parse().unwrap(),
            linger_ms: get("linger_ms").parse().unwrap(),
            batch_size: get("batch_size").parse().unwrap(),
            buffer_memory: get("buffer_memory").parse().unwrap(),
            duration_ms: get("duration_ms").parse().unwrap(),
        }
    }
}

/// What a child reports: `key=value` pairs.
type Report = Vec<(&'static str, String)>;

// ---------------------------------------------------------------- shared child parts

/// About 1 MiB of distinct log-like values of `size` bytes, one after
/// another, leaked so both clients can borrow them for `'static`.
struct Payloads {
    buf: &'static [u8],
    size: usize,
    count: usize,
    keys: &'static [[u8; 10]],
}

impl Payloads {
    fn new(size: usize) -> Payloads {
        const WORDS: [&str; 16] = [
            "user", "order", "id", "status", "ok", "error", "timeout", "price", "eur", "item",
            "created", "updated", "\"", ":", ",", "{",
        ];
        let mut x = 0x853c_49e6_748f_ea9bu64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let count = ((1 << 20) / size.max(1)).clamp(16, 100_000);
        let mut buf = Vec::with_capacity(count * size);
        for _ in 0..count {
            let start = buf.len();
            while buf.len() - start < size {
                if next() % 3 == 0 {
                    buf.extend(format!("{}", next() % 100_000).bytes());
                } else {
                    buf.extend(WORDS[(next() % 16) as usize].bytes());
                }
            }
            buf.truncate(start + size);
        }
        let keys: Vec<[u8; 10]> = (0..10_000u32)
            .map(|i| {
                let mut k = *b"key-000000";
                k[4..].copy_from_slice(
                    format!("{:06}", i.wrapping_mul(2_654_435_761) % 1_000_000).as_bytes(),
                );
                k
            })
            .collect();
        Payloads {
            buf: Box::leak(buf.into_boxed_slice()),
            size,
            count,
            keys: Box::leak(keys.into_boxed_slice()),
        }
    }

    fn value(&self, i: u64) -> &'static [u8] {
        let at = (i as usize % self.count) * self.size;
        &self.buf[at..at + self.size]
    }

    fn key(&self, i: u64) -> &'static [u8] {
        &self.keys[(i.wrapping_mul(7919) % self.keys.len() as u64) as usize]
    }
}

struct Usage {
    cpu_s: f64,
    user_s: f64,
    sys_s: f64,
    /// Peak RSS of this process image: `VmHWM` (`ru_maxrss` would include
    /// the parent's RSS at fork, which Linux carries over `exec`).
    maxrss_kb: i64,
}

fn vm_hwm_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(-1)
}

fn usage() -> Usage {
    // SAFETY: getrusage fills the struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut ru), 0);
        ru
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        cpu_s: secs(ru.ru_utime) + secs(ru.ru_stime),
        user_s: secs(ru.ru_utime),
        sys_s: secs(ru.ru_stime),
        maxrss_kb: vm_hwm_kb(),
    }
}

/// Splits `total` records over `threads` callers: caller `t` sends the
/// indices `t, t + threads, ...` so every caller cycles through the pool.
fn share(total: u64, threads: usize, t: usize) -> impl Iterator<Item = u64> {
    (t as u64..total).step_by(threads)
}

/// The report of a measured span.
fn span_report(
    sent: u64,
    failed: u64,
    size: usize,
    elapsed: Duration,
    before: &Usage,
    after: &Usage,
) -> Report {
    let secs = elapsed.as_secs_f64();
    let cpu = after.cpu_s - before.cpu_s;
    vec![
        ("records", sent.to_string()),
        ("failed", failed.to_string()),
        ("elapsed_s", format!("{secs:.6}")),
        ("rps", format!("{:.1}", sent as f64 / secs)),
        (
            "mbps",
            format!("{:.3}", (sent * size as u64) as f64 / secs / 1e6),
        ),
        ("cpu_s", format!("{cpu:.6}")),
        ("user_s", format!("{:.6}", after.user_s - before.user_s)),
        ("sys_s", format!("{:.6}", after.sys_s - before.sys_s)),
        (
            "cpu_us_per_record",
            format!("{:.4}", cpu * 1e6 / sent.max(1) as f64),
        ),
        ("cpu_cores", format!("{:.3}", cpu / secs)),
    ]
}

fn latency_report(
    mut lat_us: Vec<u32>,
    elapsed: Duration,
    before: &Usage,
    after: &Usage,
) -> Report {
    lat_us.sort_unstable();
    let n = lat_us.len();
    let pct = |p: f64| lat_us[((p * n as f64) as usize).min(n - 1)];
    let mean = lat_us.iter().map(|&v| u64::from(v)).sum::<u64>() as f64 / n as f64;
    let mut r = span_report(n as u64, 0, 0, elapsed, before, after);
    r.retain(|(k, _)| !matches!(*k, "mbps"));
    r.extend([
        ("lat_mean_us", format!("{mean:.1}")),
        ("lat_p50_us", pct(0.50).to_string()),
        ("lat_p99_us", pct(0.99).to_string()),
        ("lat_p999_us", pct(0.999).to_string()),
        ("lat_max_us", lat_us[n - 1].to_string()),
    ]);
    r
}

// ---------------------------------------------------------------- our producer

/// The tests' tansu harness, shared.
#[path = "../tests/common/tansu.rs"]
mod tansu;

mod ours {
    use super::*;
    use kafka_sync::{Producer, ProducerConfig, ProducerRecord};

    type P = Producer<&'static [u8], &'static [u8]>;

    fn producer(spec: &Spec) -> P {
        let config = ProducerConfig::builder()
            .bootstrap_servers(&spec.bootstrap)
            .set("acks", &spec.acks)
            .set("enable.idempotence", spec.idempotence.to_string())
            .set("linger.ms", spec.linger_ms.to_string())
            .set("batch.size", spec.batch_size.to_string())
            .set("buffer.memory", spec.buffer_memory.to_string())
            .set("compression.type", &spec.codec)
            .set("max.in.flight.requests.per.connection", "5")
            .build()
            .expect("config");
        Producer::new(config).expect("producer")
    }

    fn record(spec: &Spec, p: &Payloads, i: u64) -> ProducerRecord<&'static [u8], &'static [u8]> {
        let r = ProducerRecord::new(spec.topic.as_str(), p.value(i));
        if spec.keyed {
            r.key(p.key(i))
        } else {
            r
        }
    }

    pub fn run(spec: &Spec) -> Report {
        let payloads = Payloads::new(spec.size);
        let producer = producer(spec);
        // Warm-up: connection, metadata, producer id.
        producer
            .send(record(spec, &payloads, 0))
            .expect("warm-up send")
            .wait()
            .expect("warm-up record");
        let warm = producer.counters().records_sent;
        let report = match spec.mode.as_str() {
            "throughput" => {
                let before = usage();
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..spec.threads {
                        let (producer, payloads) = (&producer, &payloads);
                        s.spawn(move || {
                            for i in share(spec.records, spec.threads, t) {
                                if let Err(e) = producer.send(record(spec, payloads, i)) {
                                    panic!("send refused: {}", e.error);
                                }
                            }
                        });
                    }
                });
                producer.flush().expect("flush");
                let elapsed = start.elapsed();
                let after = usage();
                let m = producer.counters();
                let sent = m.records_sent - warm;
                assert_eq!(m.records_failed, 0, "records failed: {m:?}");
                assert_eq!(
                    sent, spec.records,
                    "not every record was acknowledged: {m:?}"
                );
                let mut r =
                    span_report(sent, m.records_failed, spec.size, elapsed, &before, &after);
                r.push(("requests", m.requests_sent.to_string()));
                r.push(("batches", m.batches_sent.to_string()));
                r
            }
            "latency" => {
                let mut lat = Vec::with_capacity(spec.records as usize);
                let before = usage();
                let start = Instant::now();
                for i in 0..spec.records {
                    let t = Instant::now();
                    producer
                        .send(record(spec, &payloads, i))
                        .expect("send")
                        .wait()
                        .expect("record");
                    lat.push(t.elapsed().as_micros() as u32);
                }
                let elapsed = start.elapsed();
                latency_report(lat, elapsed, &before, &usage())
            }
            "memory" => {
                let stop = AtomicBool::new(false);
                let sent = AtomicU64::new(0);
                let before = usage();
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..spec.threads {
                        let (producer, payloads, stop, sent) = (&producer, &payloads, &stop, &sent);
                        s.spawn(move || {
                            let mut i = t as u64;
                            while !stop.load(Relaxed) {
                                if producer.send(record(spec, payloads, i)).is_err() {
                                    break;
                                }
                                sent.fetch_add(1, Relaxed);
                                i += spec.threads as u64;
                            }
                        });
                    }
                    std::thread::sleep(Duration::from_millis(spec.duration_ms));
                    stop.store(true, Relaxed);
                });
                let elapsed = start.elapsed();
                let m = producer.counters();
                let acked = m.records_sent - warm;
                let mut r = span_report(acked, 0, spec.size, elapsed, &before, &usage());
                r.push(("accepted", sent.load(Relaxed).to_string()));
                r.push(("buffer_used_at_stop", m.buffer_used_bytes.to_string()));
                producer.close(Duration::from_secs(1));
                r
            }
            "baseline" => Vec::new(),
            m => panic!("unknown mode {m}"),
        };
        let mut report = report;
        report.push(("maxrss_kb", usage().maxrss_kb.to_string()));
        report
    }
}

// ---------------------------------------------------------------- rdkafka

mod theirs {
    use super::*;
    use rdkafka::config::ClientConfig;
    use rdkafka::error::{KafkaError, RDKafkaErrorCode};
    use rdkafka::message::DeliveryResult;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _, ProducerContext};
    use rdkafka::ClientContext;

    /// Counts delivery reports and wakes the waiting thread when `target`
    /// records are done.
    #[derive(Default)]
    pub struct Ctx {
        delivered: AtomicU64,
        failed: AtomicU64,
        target: AtomicU64,
        waiter: Mutex<Option<Thread>>,
    }

    impl ClientContext for Ctx {}

    impl ProducerContext for Ctx {
        type DeliveryOpaque = ();

        fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
            let done = match result {
                Ok(_) => self.delivered.fetch_add(1, Relaxed) + 1 + self.failed.load(Relaxed),
                Err((e, _)) => {
                    if self.failed.fetch_add(1, Relaxed) < 5 && !QUIET.load(Relaxed) {
                        eprintln!("rdkafka delivery failed: {e}");
                    }
                    self.delivered.load(Relaxed) + self.failed.load(Relaxed)
                }
            };
            if done >= self.target.load(Relaxed) {
                if let Some(t) = self.waiter.lock().unwrap().as_ref() {
                    t.unpark();
                }
            }
        }
    }

    impl Ctx {
        fn done(&self) -> u64 {
            self.delivered.load(Relaxed) + self.failed.load(Relaxed)
        }

        /// Blocks until `target` records are done.
        fn wait_for(&self, target: u64) {
            *self.waiter.lock().unwrap() = Some(std::thread::current());
            self.target.store(target, Relaxed);
            while self.done() < target {
                std::thread::park_timeout(Duration::from_millis(10));
            }
        }
    }

    type P = BaseProducer<Ctx>;

    fn producer(spec: &Spec) -> P {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &spec.bootstrap)
            .set("acks", &spec.acks)
            .set("enable.idempotence", spec.idempotence.to_string())
            .set("linger.ms", spec.linger_ms.to_string())
            .set("batch.size", spec.batch_size.to_string())
            .set("compression.type", &spec.codec)
            .set(
                "queue.buffering.max.kbytes",
                (spec.buffer_memory / 1024).to_string(),
            )
            .set("queue.buffering.max.messages", "10000000")
            .set("max.in.flight.requests.per.connection", "5")
            .set("message.max.bytes", "1048576")
            .set("socket.nagle.disable", "true");
        c.create_with_context(Ctx::default())
            .expect("rdkafka producer")
    }

    static QUEUE_FULL_SLEEPS: AtomicU64 = AtomicU64::new(0);
    /// Memory mode: records purged at close are expected failures.
    static QUIET: AtomicBool = AtomicBool::new(false);

    /// Enqueues one record, sleeping while the queue is full. Returns false
    /// when `stop` was raised meanwhile.
    fn send(producer: &P, spec: &Spec, p: &Payloads, i: u64, stop: &AtomicBool) -> bool {
        let value = p.value(i);
        let key = p.key(i);
        let mut record = BaseRecord::to(&spec.topic).payload(value);
        if spec.keyed {
            record = record.key(key);
        }
        loop {
            match producer.send(record) {
                Ok(()) => return true,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    if stop.load(Relaxed) {
                        return false;
                    }
                    record = r;
                    QUEUE_FULL_SLEEPS.fetch_add(1, Relaxed);
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err((e, _)) => panic!("rdkafka send failed: {e}"),
            }
        }
    }

    pub fn run(spec: &Spec) -> Report {
        let payloads = Payloads::new(spec.size);
        let producer = producer(spec);
        let never = AtomicBool::new(false);
        let stop_polling = AtomicBool::new(false);
        let report = std::thread::scope(|s| {
            let (p, stop_polling_ref) = (&producer, &stop_polling);
            // Serves delivery reports as ThreadedProducer's thread does.
            let poller = s.spawn(move || {
                while !stop_polling_ref.load(Relaxed) {
                    p.poll(Duration::from_millis(100));
                }
            });
            let ctx = producer.context();
            send(&producer, spec, &payloads, 0, &never);
            ctx.wait_for(1);
            assert_eq!(ctx.failed.load(Relaxed), 0, "warm-up record failed");
            let report = match spec.mode.as_str() {
                "throughput" => {
                    let before = usage();
                    let start = Instant::now();
                    std::thread::scope(|s2| {
                        for t in 0..spec.threads {
                            let (producer, payloads, never) = (&producer, &payloads, &never);
                            s2.spawn(move || {
                                for i in share(spec.records, spec.threads, t) {
                                    send(producer, spec, payloads, i, never);
                                }
                            });
                        }
                    });
                    ctx.wait_for(1 + spec.records);
                    let elapsed = start.elapsed();
                    let after = usage();
                    let failed = ctx.failed.load(Relaxed);
                    assert_eq!(failed, 0, "rdkafka: records failed");
                    span_report(spec.records, failed, spec.size, elapsed, &before, &after)
                }
                "latency" => {
                    let mut lat = Vec::with_capacity(spec.records as usize);
                    let before = usage();
                    let start = Instant::now();
                    for i in 0..spec.records {
                        let t = Instant::now();
                        send(&producer, spec, &payloads, i, &never);
                        ctx.wait_for(2 + i);
                        lat.push(t.elapsed().as_micros() as u32);
                    }
                    let elapsed = start.elapsed();
                    assert_eq!(ctx.failed.load(Relaxed), 0, "rdkafka: records failed");
                    latency_report(lat, elapsed, &before, &usage())
                }
                "memory" => {
                    QUIET.store(true, Relaxed);
                    let stop = AtomicBool::new(false);
                    let sent = AtomicU64::new(0);
                    let before = usage();
                    let start = Instant::now();
                    std::thread::scope(|s2| {
                        for t in 0..spec.threads {
                            let (producer, payloads, stop, sent) =
                                (&producer, &payloads, &stop, &sent);
                            s2.spawn(move || {
                                let mut i = t as u64;
                                while !stop.load(Relaxed) {
                                    if !send(producer, spec, payloads, i, stop) {
                                        break;
                                    }
                                    sent.fetch_add(1, Relaxed);
                                    i += spec.threads as u64;
                                }
                            });
                        }
                        std::thread::sleep(Duration::from_millis(spec.duration_ms));
                        stop.store(true, Relaxed);
                    });
                    let elapsed = start.elapsed();
                    let acked = ctx.delivered.load(Relaxed) - 1;
                    let mut r = span_report(acked, 0, spec.size, elapsed, &before, &usage());
                    r.push(("accepted", sent.load(Relaxed).to_string()));
                    r
                }
                "baseline" => Vec::new(),
                m => panic!("unknown mode {m}"),
            };
            stop_polling.store(true, Relaxed);
            poller.join().unwrap();
            report
        });
        // Dropping purges what is left (memory mode) and flushes for 500 ms.
        drop(producer);
        let mut report = report;
        report.push(("maxrss_kb", usage().maxrss_kb.to_string()));
        report.push((
            "queue_full_sleeps",
            QUEUE_FULL_SLEEPS.load(Relaxed).to_string(),
        ));
        report
    }
}

// ---------------------------------------------------------------- parent

mod parent {
    use super::tansu::{tansu_bin, Tansu};
    use super::*;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::DefaultProducerContext;

    fn env_u64(name: &str, default: u64) -> u64 {
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => v
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
            _ => default,
        }
    }

    fn env_list(name: &str, default: &str) -> Vec<String> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    // ------------------------------------------------------------ brokers

    enum Broker {
        Tansu(Tansu),
        Mock(MockCluster<'static, DefaultProducerContext>),
    }

    impl Broker {
        fn start(kind: &str) -> Broker {
            match kind {
                "tansu" => Broker::Tansu(Tansu::start_at(tansu_bin().expect("tansu"))),
                "mock" => Broker::Mock(MockCluster::new(1).expect("mock cluster")),
                k => panic!("unknown broker {k}"),
            }
        }

        fn bootstrap(&self) -> String {
            match self {
                Broker::Tansu(t) => t.bootstrap.clone(),
                Broker::Mock(m) => m.bootstrap_servers(),
            }
        }

        fn create_topic(&self, name: &str, partitions: i32) {
            match self {
                Broker::Tansu(t) => t.create_topic(name, partitions),
                Broker::Mock(m) => m.create_topic(name, partitions, 1).expect("mock topic"),
            }
        }

        /// Delays every response of the mock broker (None for tansu).
        fn delay(&self, rtt: Duration) -> bool {
            match self {
                Broker::Tansu(_) => false,
                Broker::Mock(m) => {
                    m.broker_round_trip_time(1, rtt).expect("mock rtt");
                    true
                }
            }
        }
    }

    // ------------------------------------------------------------ scenarios

    struct Scenario {
        group: &'static str,
        label: String,
        partitions: i32,
        /// Mock only: delay every response by this much.
        rtt_ms: Option<u64>,
        /// The spec with client, bootstrap and topic still to fill in.
        spec: Spec,
    }

    fn base(records: u64) -> Spec {
        Spec {
            client: String::new(),
            mode: "throughput".into(),
            bootstrap: String::new(),
            topic: String::new(),
            records,
            size: 100,
            codec: "none".into(),
            threads: 1,
            keyed: false,
            acks: "all".into(),
            idempotence: true,
            linger_ms: 5,
            batch_size: 16384,
            buffer_memory: 32 << 20,
            duration_ms: 0,
        }
    }

    fn scenarios(quick: bool) -> Vec<Scenario> {
        let records = env_u64("BENCH_RECORDS", if quick { 100_000 } else { 1_000_000 });
        let bytes = env_u64("BENCH_BYTES", if quick { 32 << 20 } else { 256 << 20 });
        let for_size = |size: usize| records.min(bytes / size as u64).max(1000);
        let mut v = Vec::new();
        let mut add = |group, label: String, partitions, rtt_ms, spec: Spec| {
            v.push(Scenario {
                group,
                label,
                partitions,
                rtt_ms,
                spec,
            })
        };
        for size in [10, 100, 1000, 10_000] {
            let mut s = base(for_size(size));
            s.size = size;
            add("size", format!("{size} B"), 6, None, s);
        }
        // librdkafka's default batch.size (1000000; batch.num.messages 10000
        // still applies to it) for both clients.
        for size in [10, 100, 1000, 10_000] {
            let mut s = base(for_size(size));
            s.size = size;
            s.batch_size = 1_000_000;
            add("size_1mb", format!("{size} B"), 6, None, s);
        }
        for codec in ["gzip", "snappy", "lz4", "zstd"] {
            let mut s = base(for_size(100));
            s.codec = codec.into();
            add("codec", codec.to_owned(), 6, None, s);
        }
        for (acks, idem) in [("1", false), ("0", false)] {
            let mut s = base(for_size(100));
            s.acks = acks.into();
            s.idempotence = idem;
            add("acks", format!("acks={acks}, idempotence off"), 6, None, s);
        }
        for threads in [2, 4, 8] {
            let mut s = base(for_size(100));
            s.threads = threads;
            add("threads", format!("{threads} threads"), 6, None, s);
        }
        for partitions in [1, 6, 64, 1000] {
            let mut s = base(for_size(100) / 4);
            s.keyed = true;
            add(
                "partitions",
                format!("{partitions} partitions, keyed"),
                partitions,
                None,
                s,
            );
        }
        for (linger, n) in [
            (0, if quick { 300 } else { 2000 }),
            (5, if quick { 100 } else { 300 }),
        ] {
            let mut s = base(n);
            s.mode = "latency".into();
            s.linger_ms = linger;
            add("latency", format!("linger.ms={linger}"), 6, None, s);
        }
        let secs = if quick { 1500 } else { 3000 };
        let mut s = base(1);
        s.mode = "baseline".into();
        add("memory", "baseline: 1 record".into(), 6, None, s);
        for (mib, size, rtt) in [
            (4, 1000, Some(100)),
            (32, 1000, Some(100)),
            // Records larger than batch.size: a batch each.
            (4, 100_000, Some(100)),
            (4, 100_000, None),
            (4, 10_000, None),
        ] {
            let mut s = base(0);
            s.mode = "memory".into();
            s.size = size;
            s.threads = 8;
            s.buffer_memory = mib << 20;
            s.duration_ms = secs;
            let label = match rtt {
                Some(r) => {
                    format!("buffer.memory={mib} MiB, 8 callers, {size} B, broker RTT +{r} ms")
                }
                None => format!("buffer.memory={mib} MiB, 8 callers, {size} B"),
            };
            add("memory", label, 6, rtt, s);
        }
        v
    }

    // ------------------------------------------------------------ running

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

    fn json_str(s: &str) -> String {
        let mut o = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => o.push_str("\\\""),
                '\\' => o.push_str("\\\\"),
                c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                c => o.push(c),
            }
        }
        o.push('"');
        o
    }

    /// A JSON value: numbers and booleans as they are, everything else quoted.
    fn json_value(v: &str) -> String {
        if v == "true" || v == "false" || (v.parse::<f64>().is_ok() && !v.starts_with('+')) {
            v.to_owned()
        } else {
            json_str(v)
        }
    }

    fn json_object(fields: &[(String, String)]) -> String {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}:{}", json_str(k), json_value(v)))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    fn cmd_out(cmd: &str, args: &[&str]) -> String {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }

    fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return f64::NAN;
        }
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
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
        let out_path =
            std::env::var("BENCH_OUT").unwrap_or_else(|_| "target/vs_rdkafka.jsonl".into());
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

    fn cpu_model() -> String {
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
            .unwrap_or_default()
    }

    fn summarize(
        sc: &Scenario,
        broker: &str,
        results: &BTreeMap<&str, Vec<BTreeMap<String, String>>>,
    ) {
        let med = |client: &str, key: &str| {
            median(
                results
                    .get(client)
                    .map(|rs| rs.iter().filter_map(|r| r.get(key)?.parse().ok()).collect())
                    .unwrap_or_default(),
            )
        };
        let line = match sc.spec.mode.as_str() {
            "latency" => format!(
                "p50 {:.0}/{:.0} µs, p99 {:.0}/{:.0} µs",
                med("ours", "lat_p50_us"),
                med("rdkafka", "lat_p50_us"),
                med("ours", "lat_p99_us"),
                med("rdkafka", "lat_p99_us")
            ),
            "memory" | "baseline" => format!(
                "peak RSS {:.1}/{:.1} MiB",
                med("ours", "maxrss_kb") / 1024.0,
                med("rdkafka", "maxrss_kb") / 1024.0
            ),
            _ => {
                let (a, b) = (med("ours", "rps"), med("rdkafka", "rps"));
                let (ca, cb) = (
                    med("ours", "cpu_us_per_record"),
                    med("rdkafka", "cpu_us_per_record"),
                );
                format!(
                    "{:.0}/{:.0} rec/s ({:.2}x), CPU {:.3}/{:.3} µs/rec ({:.2}x)",
                    a,
                    b,
                    a / b,
                    ca,
                    cb,
                    ca / cb
                )
            }
        };
        eprintln!(
            "{:<10} {:<55} {:<5} ours/rdkafka: {line}",
            sc.group, sc.label, broker
        );
    }
}
