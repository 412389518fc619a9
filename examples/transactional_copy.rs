//! Consume-transform-produce, exactly once: copies every record of one
//! topic to another in transactions that commit the consumer's offsets
//! together with the copied records. A crash at any point leaves topic B
//! (read with `isolation.level=read_committed`) with each record of A
//! exactly once: an unfinished transaction is aborted when the next copy
//! starts with the same `--transactional-id`, and the group's committed
//! offsets say where to resume.
//!
//! The source is read with the rdkafka consumer (any consumer works: only
//! the group id and the next offsets go to `send_offsets_to_transaction`).
//!
//! ```sh
//! cargo run --example transactional_copy -- --bootstrap-server localhost:9092 \
//!     --from A --to B --group copier --transactional-id copier-1
//! ```
//!
//! It stops when no new record came for `--idle-ms` (default 5000).

use kafka_sync::{ConsumerGroupMetadata, Header, Producer, ProducerConfig, ProducerRecord};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: transactional_copy --bootstrap-server LIST --from TOPIC --to TOPIC --group GROUP
                          --transactional-id ID [--batch N] [--idle-ms MS]

Copies TOPIC to TOPIC exactly once: each transaction holds up to N records
(default 500) and the group's offsets of what they were copied from.";

struct Args {
    bootstrap: String,
    from: String,
    to: String,
    group: String,
    transactional_id: String,
    batch: usize,
    idle: Duration,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            return Ok(None);
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        m.insert(flag, value);
    }
    let mut take = |name: &str| m.remove(name).ok_or(format!("{name} is required"));
    let args = Args {
        bootstrap: take("--bootstrap-server")?,
        from: take("--from")?,
        to: take("--to")?,
        group: take("--group")?,
        transactional_id: take("--transactional-id")?,
        batch: m
            .remove("--batch")
            .map_or(Ok(500), |v| v.parse().map_err(|e| format!("--batch: {e}")))?,
        idle: Duration::from_millis(m.remove("--idle-ms").map_or(Ok(5000), |v| {
            v.parse().map_err(|e| format!("--idle-ms: {e}"))
        })?),
    };
    if let Some(other) = m.keys().next() {
        return Err(format!("unknown argument `{other}`"));
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(Some(args)) => match run(&args) {
            Ok(n) => {
                println!("copied {n} records from {} to {}", args.from, args.to);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

type Bytes = Vec<u8>;

fn run(args: &Args) -> Result<usize, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        .set("group.id", &args.group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_committed")
        .create()
        .map_err(|e| format!("consumer: {e}"))?;
    consumer
        .subscribe(&[&args.from])
        .map_err(|e| format!("subscribe: {e}"))?;
    let config = ProducerConfig::builder()
        .bootstrap_servers(&args.bootstrap)
        .transactional_id(&args.transactional_id)
        .build()
        .map_err(|e| e.to_string())?;
    let producer: Producer<Bytes, Bytes> = Producer::new(config).map_err(|e| e.to_string())?;
    let timeout = Duration::from_secs(60);
    // Fences an older copier with the same id and aborts what it left open.
    producer
        .init_transactions(timeout)
        .map_err(|e| format!("init_transactions: {e}"))?;
    let group = ConsumerGroupMetadata::new(args.group.clone());
    let mut copied = 0;
    let mut last_record = Instant::now();
    loop {
        // Next offsets to consume, per partition of the source.
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        let mut records = Vec::new();
        while records.len() < args.batch {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    let mut r =
                        ProducerRecord::new(&args.to, m.payload().unwrap_or_default().to_vec());
                    r.key = m.key().map(<[u8]>::to_vec);
                    if let Some(hs) = m.headers() {
                        for h in hs.iter() {
                            r.headers.push(Header {
                                key: h.key.to_owned(),
                                value: h.value.map(<[u8]>::to_vec),
                            });
                        }
                    }
                    next.insert(m.partition(), m.offset() + 1);
                    records.push(r);
                    last_record = Instant::now();
                }
                Some(Err(e)) => return Err(format!("consumer: {e}")),
                None if records.is_empty() && last_record.elapsed() >= args.idle => {
                    return Ok(copied)
                }
                None => break,
            }
        }
        if records.is_empty() {
            continue;
        }
        let n = records.len();
        producer
            .begin_transaction()
            .map_err(|e| format!("begin_transaction: {e}"))?;
        let result = (|| {
            for r in records {
                producer.send(r).map_err(|e| e.error.to_string())?;
            }
            let offsets: Vec<(String, i32, i64)> = next
                .iter()
                .map(|(p, o)| (args.from.clone(), *p, *o))
                .collect();
            producer
                .send_offsets_to_transaction(&offsets, &group, timeout)
                .map_err(|e| e.to_string())?;
            producer
                .commit_transaction(timeout)
                .map_err(|e| e.to_string())
        })();
        if let Err(e) = result {
            // Nothing of this transaction is visible; a restart resumes
            // from the group's committed offsets.
            let _ = producer.abort_transaction(timeout);
            return Err(format!("transaction of {n} records aborted: {e}"));
        }
        copied += n;
    }
}
