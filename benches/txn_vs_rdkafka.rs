//! The cost of transactions: kafka-sync and librdkafka (rdkafka's
//! `BaseProducer`), each without transactions and with transactions of
//! `--sizes` records, on the same broker in the same run. Every record is
//! 100 bytes to one topic; each transaction is begun, filled, and committed
//! (which waits for all of its records). Both use `linger.ms=5` and a
//! `batch.size` of 256 KiB.
//!
//! ```sh
//! cargo bench --bench txn_vs_rdkafka -- --bootstrap-server 127.0.0.1:9092 \
//!     --topic perf --records 200000 --sizes 1000,100000
//! ```
//!
//! Prints one line per client and mode with records/s, and the ratio of
//! kafka-sync to librdkafka. The machine is shared: compare ratios, not
//! absolute numbers.

use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};
use rdkafka::ClientConfig;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
/// `batch.size` of both clients (librdkafka's default is 1 MB, Java's 16 KiB).
const BATCH_SIZE: usize = 256 * 1024;

struct Args {
    bootstrap: String,
    topic: String,
    records: usize,
    sizes: Vec<usize>,
}

fn args() -> Option<Args> {
    let mut a = Args {
        bootstrap: String::new(),
        topic: "perf".into(),
        records: 200_000,
        sizes: vec![1000, 100_000],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--bootstrap-server" => a.bootstrap = it.next()?,
            "--topic" => a.topic = it.next()?,
            "--records" => a.records = it.next()?.parse().ok()?,
            "--sizes" => {
                a.sizes = it
                    .next()?
                    .split(',')
                    .map(|s| s.parse().ok())
                    .collect::<Option<_>>()?
            }
            _ => {} // cargo bench passes --bench
        }
    }
    (!a.bootstrap.is_empty()).then_some(a)
}

/// Records/s of kafka-sync; `size`: records per transaction (`None`: none).
fn ours(a: &Args, size: Option<usize>, run: usize) -> f64 {
    let mut b = ProducerConfig::builder()
        .bootstrap_servers(&a.bootstrap)
        .linger(Duration::from_millis(5))
        .batch_size(BATCH_SIZE);
    if size.is_some() {
        b = b.transactional_id(format!("ksync-txn-bench-{run}-{}", std::process::id()));
    }
    let p: Producer<(), &'static [u8]> = Producer::new(b.build().unwrap()).unwrap();
    let value: &'static [u8] = &[b'x'; 100];
    if size.is_some() {
        p.init_transactions(TIMEOUT).unwrap();
    }
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for i in 0..a.records {
        if size.is_some_and(|n| i % n == 0) {
            p.begin_transaction().unwrap();
        }
        handles.push(
            p.send(ProducerRecord::new(a.topic.as_str(), value))
                .unwrap(),
        );
        if size.is_some_and(|n| (i + 1) % n == 0 || i + 1 == a.records) {
            p.commit_transaction(TIMEOUT).unwrap();
            handles.clear();
        }
    }
    p.flush().unwrap();
    for h in handles {
        h.wait().unwrap();
    }
    let rate = a.records as f64 / t0.elapsed().as_secs_f64();
    p.close(Duration::from_secs(10));
    rate
}

/// Records/s of librdkafka, the same way.
fn rdkafka(a: &Args, size: Option<usize>, run: usize) -> f64 {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &a.bootstrap)
        .set("linger.ms", "5")
        .set("batch.size", BATCH_SIZE.to_string())
        .set("queue.buffering.max.messages", "1000000");
    if size.is_some() {
        c.set(
            "transactional.id",
            format!("rdkafka-txn-bench-{run}-{}", std::process::id()),
        );
    }
    let p: BaseProducer = c.create().unwrap();
    if size.is_some() {
        p.init_transactions(TIMEOUT).unwrap();
    }
    let value = [b'x'; 100];
    let t0 = Instant::now();
    for i in 0..a.records {
        if size.is_some_and(|n| i % n == 0) {
            p.begin_transaction().unwrap();
        }
        let mut record = BaseRecord::<(), [u8]>::to(&a.topic).payload(&value[..]);
        loop {
            match p.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    record = r;
                    p.poll(Duration::from_millis(1));
                }
            }
        }
        p.poll(Duration::ZERO);
        if size.is_some_and(|n| (i + 1) % n == 0 || i + 1 == a.records) {
            // Flushes, then commits.
            p.commit_transaction(TIMEOUT).unwrap();
        }
    }
    p.flush(TIMEOUT).unwrap();
    a.records as f64 / t0.elapsed().as_secs_f64()
}

fn main() {
    let Some(a) = args() else {
        eprintln!("txn_vs_rdkafka: needs --bootstrap-server HOST:PORT (a real Kafka); skipped");
        return;
    };
    let modes: Vec<Option<usize>> = std::iter::once(None)
        .chain(a.sizes.iter().copied().map(Some))
        .collect();
    println!(
        "{} records of 100 B to {} at {}",
        a.records, a.topic, a.bootstrap
    );
    for (run, mode) in modes.iter().enumerate() {
        let name = mode.map_or("no transactions".to_owned(), |n| {
            format!("transactions of {n}")
        });
        // Alternate the order so neither client always runs on a warmer broker.
        let (r_ours, r_rd) = if run % 2 == 0 {
            let o = ours(&a, *mode, run);
            (o, rdkafka(&a, *mode, run))
        } else {
            let r = rdkafka(&a, *mode, run);
            (ours(&a, *mode, run), r)
        };
        println!(
            "{name:<26} kafka-sync {r_ours:>10.0} rec/s   librdkafka {r_rd:>10.0} rec/s   ratio {:.2}",
            r_ours / r_rd
        );
    }
}
