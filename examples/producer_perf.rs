//! A producer load generator, like Kafka's `kafka-producer-perf-test`: sends
//! `--num-records` records of `--record-size` bytes, optionally paced to
//! `--throughput` records per second, and prints what Kafka's tool prints.
//!
//! ```sh
//! cargo run --release --example producer_perf -- --topic perf --num-records 1000000 \
//!     --record-size 100 --throughput -1 \
//!     --producer-props bootstrap.servers=localhost:9092 acks=all linger.ms=5
//! ```
//!
//! Without `bootstrap.servers` (neither `--bootstrap-server` nor in
//! `--producer-props`/`--producer.config`) it starts librdkafka's in-process
//! mock cluster (one broker) and produces to it, which is handy for a quick
//! look at the client alone.
//!
//! Output, as Kafka's tool prints it: a progress line every 5 seconds
//!
//! ```text
//! 1745201 records sent, 349040.2 records/sec (33.29 MB/sec), 12.3 ms avg latency, 41.0 ms max latency.
//! ```
//!
//! and a final line
//!
//! ```text
//! 5000000 records sent, 351964.130528 records/sec (33.57 MB/sec), 11.93 ms avg latency, 45.00 ms max latency, 11 ms 50th, 20 ms 95th, 27 ms 99th, 38 ms 99.9th.
//! ```
//!
//! Latency is per record, from just before `send` to its completion callback
//! (which runs on the producer's sender thread); percentiles come from a
//! log-linear histogram of microseconds (under 1 % error) and are printed in
//! whole milliseconds, as Kafka prints them. `--print-metrics` adds the
//! producer's metrics snapshot and the percentiles in microseconds.
//!
//! Exit status: 0 when every record was written, 1 when any failed, 2 on a
//! bad command line.

use kafka_sync::{Producer, ProducerConfig, ProducerMetrics, ProducerRecord};
use parking_lot::Mutex;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const USAGE: &str = "\
Sends records as fast as possible (or at a given rate) and reports throughput and latency,
like Kafka's kafka-producer-perf-test.

usage: producer_perf --topic TOPIC --num-records N --record-size BYTES --throughput RATE
                     [--producer-props NAME=VALUE ...] [--producer.config FILE]
                     [--bootstrap-server LIST] [--print-metrics]

  --topic TOPIC                 topic to produce to (required)
  --num-records N               how many records to send (required)
  --record-size BYTES           size of each record's value (required); values are random
                                upper-case letters, the same for every record, keys are null
  --throughput RATE             records per second at most; -1 for no limit (required)
  --producer-props NAME=VALUE ...
                                producer properties by their Java names, several after one
                                flag (e.g. bootstrap.servers=localhost:9092 acks=all linger.ms=5)
  --producer.config FILE        a Java properties file of producer properties
                                (--producer-props win over it)
  --bootstrap-server LIST       sets bootstrap.servers; without any bootstrap.servers an
                                in-process librdkafka mock cluster is started
  --print-metrics               print the producer's metrics at the end
  --transaction-size N          with transactional.id (in --producer-props): commit every N
                                records (and at the end); default 1000
  -h, --help                    print this help

Exit status: 0 when every record was written, 1 when any failed, 2 on a bad command line.";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Args {
    topic: String,
    num_records: u64,
    record_size: usize,
    /// Records per second; `None` for unthrottled (`-1`).
    throughput: Option<f64>,
    /// From `--producer.config`, then `--producer-props`, then `--bootstrap-server`.
    props: Vec<(String, String)>,
    print_metrics: bool,
    /// Records per transaction (with `transactional.id`).
    transaction_size: Option<u64>,
}

/// Splits `NAME=VALUE` at the first `=`.
fn name_value(flag: &str, arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("{flag} expects NAME=VALUE, got `{arg}`")),
    }
}

/// Reads a Java properties file: `name=value` (or `name: value`) lines,
/// `#`/`!` comments, blank lines ignored. Continuation lines and escapes are
/// not supported.
fn read_properties(path: &str) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut props = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let at = line
            .find(['=', ':'])
            .ok_or_else(|| format!("{path}:{}: expected name=value, got `{line}`", n + 1))?;
        props.push((
            line[..at].trim().to_owned(),
            line[at + 1..].trim().to_owned(),
        ));
    }
    Ok(props)
}

/// Parses the command line; `Ok(None)` means `--help` was printed.
fn parse_args(args: Vec<String>) -> Result<Option<Args>, String> {
    let mut parsed = Args::default();
    let (mut topic, mut num_records, mut record_size, mut throughput) = (None, None, None, None);
    let mut file_props = Vec::new();
    let mut cli_props = Vec::new();
    let mut bootstrap = None;
    let mut i = 0;
    while i < args.len() {
        // `--flag=value` is accepted as well as `--flag value`.
        let (flag, inline) = match args[i].split_once('=') {
            Some((f, v)) if f.starts_with("--") && f != "--producer-props" => {
                (f.to_owned(), Some(v.to_owned()))
            }
            _ => (args[i].clone(), None),
        };
        i += 1;
        let mut value = || -> Result<String, String> {
            if let Some(v) = &inline {
                return Ok(v.clone());
            }
            let v = args.get(i).ok_or_else(|| format!("{flag} needs a value"))?;
            i += 1;
            Ok(v.clone())
        };
        match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "--topic" => topic = Some(value()?),
            "--num-records" => {
                let v = value()?;
                num_records = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("--num-records expects a count, got `{v}`"))?,
                );
            }
            "--record-size" => {
                let v = value()?;
                record_size = Some(
                    v.parse::<usize>()
                        .map_err(|_| format!("--record-size expects bytes, got `{v}`"))?,
                );
            }
            "--throughput" => {
                let v = value()?;
                let rate = v
                    .parse::<f64>()
                    .map_err(|_| format!("--throughput expects records/s or -1, got `{v}`"))?;
                throughput = Some(if rate < 0.0 {
                    None
                } else if rate > 0.0 && rate.is_finite() {
                    Some(rate)
                } else {
                    return Err(format!(
                        "--throughput must be positive, or -1 for no limit, got `{v}`"
                    ));
                });
            }
            "--producer-props" => {
                // Kafka's tool takes every following argument up to the next flag.
                let start = i;
                while i < args.len() && !args[i].starts_with("--") {
                    cli_props.push(name_value("--producer-props", &args[i])?);
                    i += 1;
                }
                if i == start {
                    return Err("--producer-props needs at least one NAME=VALUE".to_owned());
                }
            }
            "--producer.config" => file_props = read_properties(&value()?)?,
            "--bootstrap-server" | "--broker-list" => bootstrap = Some(value()?),
            "--print-metrics" => {
                if inline.is_some() {
                    return Err("--print-metrics takes no value".to_owned());
                }
                parsed.print_metrics = true;
            }
            "--transaction-size" => {
                let v = value()?;
                parsed.transaction_size = match v.parse() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        return Err(format!(
                            "--transaction-size expects a positive number, got `{v}`"
                        ))
                    }
                };
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    parsed.topic = topic.ok_or("--topic is required")?;
    parsed.num_records = num_records.ok_or("--num-records is required")?;
    parsed.record_size = record_size.ok_or("--record-size is required")?;
    parsed.throughput = throughput.ok_or("--throughput is required (-1 for no limit)")?;
    parsed.props = file_props;
    parsed.props.extend(cli_props);
    if let Some(b) = bootstrap {
        parsed.props.push(("bootstrap.servers".to_owned(), b));
    }
    Ok(Some(parsed))
}

/// A log-linear histogram of microseconds: exact below 128 µs, then 128
/// buckets per power of two (relative error under 0.8 %).
struct Histogram {
    counts: Vec<u64>,
}

const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

impl Histogram {
    fn new() -> Self {
        // Up to 2^40 µs (about 12 days).
        Histogram {
            counts: vec![0; ((40 - SUB_BITS + 2) as usize) << SUB_BITS],
        }
    }

    fn index(us: u64) -> usize {
        if us < SUB {
            return us as usize;
        }
        let e = 63 - us.leading_zeros(); // us in [2^e, 2^(e+1)), e >= SUB_BITS
        let mantissa = (us >> (e - SUB_BITS)) - SUB;
        (((e - SUB_BITS + 1) as u64) << SUB_BITS | mantissa) as usize
    }

    /// The smallest value of bucket `i`.
    fn value(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let e = (i >> SUB_BITS) as u32 + SUB_BITS - 1;
        (SUB + (i & (SUB - 1))) << (e - SUB_BITS)
    }

    fn record(&mut self, us: u64) {
        let i = Self::index(us).min(self.counts.len() - 1);
        self.counts[i] += 1;
    }

    /// Kafka's definition: the value at rank `floor(p * count)` (0-based) of
    /// the sorted latencies; the middle of its bucket here.
    fn percentiles(&self, ps: &[f64]) -> Vec<u64> {
        let total: u64 = self.counts.iter().sum();
        ps.iter()
            .map(|p| {
                if total == 0 {
                    return 0;
                }
                let rank = ((p * total as f64) as u64).min(total - 1);
                let mut seen = 0;
                for (i, c) in self.counts.iter().enumerate() {
                    seen += c;
                    if seen > rank {
                        let lo = Self::value(i);
                        let hi = Self::value(i + 1);
                        return lo + (hi - lo) / 2;
                    }
                }
                unreachable!("rank below total")
            })
            .collect()
    }
}

/// Statistics of completed records, updated by the completion callbacks on
/// the sender thread (uncontended lock), read by the main thread at the end.
struct Stats {
    start: Instant,
    count: u64,
    bytes: u64,
    failed: u64,
    total_latency_us: u64,
    max_latency_us: u64,
    histogram: Histogram,
    window_start: Instant,
    window_count: u64,
    window_bytes: u64,
    window_total_latency_us: u64,
    window_max_latency_us: u64,
}

const REPORTING_INTERVAL: Duration = Duration::from_secs(5);

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl Stats {
    fn new(now: Instant) -> Self {
        Stats {
            start: now,
            count: 0,
            bytes: 0,
            failed: 0,
            total_latency_us: 0,
            max_latency_us: 0,
            histogram: Histogram::new(),
            window_start: now,
            window_count: 0,
            window_bytes: 0,
            window_total_latency_us: 0,
            window_max_latency_us: 0,
        }
    }

    /// Records a completed record; prints the window every 5 s, as Kafka's
    /// tool does from its callback.
    fn record(&mut self, latency_us: u64, bytes: u64, now: Instant) {
        self.count += 1;
        self.bytes += bytes;
        self.total_latency_us += latency_us;
        self.max_latency_us = self.max_latency_us.max(latency_us);
        self.histogram.record(latency_us);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total_latency_us += latency_us;
        self.window_max_latency_us = self.window_max_latency_us.max(latency_us);
        if now.duration_since(self.window_start) >= REPORTING_INTERVAL {
            self.print_window(now);
            self.window_start = now;
            self.window_count = 0;
            self.window_bytes = 0;
            self.window_total_latency_us = 0;
            self.window_max_latency_us = 0;
        }
    }

    fn print_window(&self, now: Instant) {
        let elapsed = now.duration_since(self.window_start).as_secs_f64();
        println!(
            "{} records sent, {:.1} records/sec ({:.2} MB/sec), {:.1} ms avg latency, {:.1} ms max latency.",
            self.window_count,
            self.window_count as f64 / elapsed,
            self.window_bytes as f64 / elapsed / (1024.0 * 1024.0),
            ms(self.window_total_latency_us) / self.window_count as f64,
            ms(self.window_max_latency_us),
        );
    }

    fn print_total(&self, end: Instant) {
        let elapsed = end.duration_since(self.start).as_secs_f64();
        let p = self.histogram.percentiles(&[0.5, 0.95, 0.99, 0.999]);
        let avg = if self.count == 0 {
            0.0
        } else {
            ms(self.total_latency_us) / self.count as f64
        };
        println!(
            "{} records sent, {:.6} records/sec ({:.2} MB/sec), {avg:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            self.count,
            self.count as f64 / elapsed,
            self.bytes as f64 / elapsed / (1024.0 * 1024.0),
            ms(self.max_latency_us),
            p[0] / 1000,
            p[1] / 1000,
            p[2] / 1000,
            p[3] / 1000,
        );
    }
}

/// At most this many failures are printed; all are counted.
const MAX_PRINTED_ERRORS: u64 = 10;

static STATS: Mutex<Option<Stats>> = Mutex::new(None);

/// Paces sends to `rate` records/s against an absolute schedule (so sleep
/// overshoot does not accumulate), sleeping only when at least 1 ms ahead,
/// like Kafka's `ThroughputThrottler` with its minimum sleep.
struct Throttler {
    start: Instant,
    rate: Option<f64>,
}

impl Throttler {
    fn pace(&self, sent: u64) {
        let Some(rate) = self.rate else { return };
        let due = self.start + Duration::from_secs_f64(sent as f64 / rate);
        let now = Instant::now();
        if due > now + Duration::from_millis(1) {
            std::thread::sleep(due - now);
        }
    }
}

fn config(args: &Args, mock_bootstrap: Option<&str>) -> Result<ProducerConfig, String> {
    let mut builder = ProducerConfig::builder();
    if let Some(b) = mock_bootstrap {
        builder = builder.bootstrap_servers(b);
    }
    for (name, value) in &args.props {
        builder = builder.set(name, value);
    }
    builder.build().map_err(|e| e.to_string())
}

fn print_metrics(m: &ProducerMetrics, client_id: &str) {
    let stats = STATS.lock();
    let stats = stats.as_ref().expect("stats");
    let p = stats.histogram.percentiles(&[0.5, 0.95, 0.99, 0.999]);
    println!();
    print!("{m}");
    // The tool's own record latencies (send to callback), as Java's prints
    // its percentiles.
    let tag = format!("{{client-id={client_id}}}");
    for (name, value) in [
        ("record-latency-p50-us", p[0]),
        ("record-latency-p95-us", p[1]),
        ("record-latency-p99-us", p[2]),
        ("record-latency-p99.9-us", p[3]),
    ] {
        println!("producer-perf:{name}:{tag} : {value}");
    }
}

/// Kafka's tool fills the payload with random upper-case letters once.
fn payload(size: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'A' + (x % 26) as u8
        })
        .collect()
}

fn run(args: &Args) -> Result<bool, String> {
    let has_bootstrap = args.props.iter().any(|(n, _)| n == "bootstrap.servers");
    // Keep the mock cluster alive until the producer is closed.
    let mock = if has_bootstrap {
        None
    } else {
        let cluster = rdkafka::mocking::MockCluster::new(1)
            .map_err(|e| format!("cannot start the mock cluster: {e}"))?;
        cluster
            .create_topic(&args.topic, 6, 1)
            .map_err(|e| format!("cannot create {} on the mock cluster: {e}", args.topic))?;
        eprintln!(
            "no bootstrap.servers given: producing to an in-process mock cluster at {} \
             (topic {} with 6 partitions)",
            cluster.bootstrap_servers(),
            args.topic
        );
        Some(cluster)
    };
    let bootstrap = mock.as_ref().map(|m| m.bootstrap_servers());
    let config = config(args, bootstrap.as_deref())?;
    let client_id = config.client_id.clone();
    // Values are one shared buffer: sending borrows it, nothing is copied
    // before the record is appended to its batch.
    let value: &'static [u8] = Box::leak(payload(args.record_size).into_boxed_slice());
    let producer: Producer<(), &'static [u8]> =
        Producer::new(config).map_err(|e| format!("cannot start the producer: {e}"))?;
    let bytes = args.record_size as u64;
    let txn_timeout = Duration::from_secs(60);
    let txn_size = args
        .props
        .iter()
        .any(|(n, _)| n == "transactional.id")
        .then(|| args.transaction_size.unwrap_or(1000));
    if txn_size.is_some() {
        producer
            .init_transactions(txn_timeout)
            .map_err(|e| format!("init_transactions: {e}"))?;
    }

    let start = Instant::now();
    *STATS.lock() = Some(Stats::new(start));
    let throttler = Throttler {
        start,
        rate: args.throughput,
    };
    static ERRORS_PRINTED: AtomicBool = AtomicBool::new(false);
    let mut refused = None;
    // Named once: each record's topic is a reference count, not a copy.
    let topic = kafka_sync::Topic::from(std::sync::Arc::<str>::from(args.topic.as_str()));
    for i in 0..args.num_records {
        if txn_size.is_some_and(|n| i % n == 0) {
            producer
                .begin_transaction()
                .map_err(|e| format!("begin_transaction: {e}"))?;
        }
        let sent_at = Instant::now();
        let record = ProducerRecord::new(topic.clone(), value);
        let result = producer.send_with_callback(record, move |result| {
            let now = Instant::now();
            let mut stats = STATS.lock();
            let stats = stats.as_mut().expect("stats");
            match result {
                Ok(_) => {
                    let latency = now.duration_since(sent_at).as_micros() as u64;
                    stats.record(latency, bytes, now);
                }
                Err(e) => {
                    stats.failed += 1;
                    if stats.failed <= MAX_PRINTED_ERRORS {
                        eprintln!("error: record failed: {e}");
                    } else if !ERRORS_PRINTED.swap(true, Ordering::Relaxed) {
                        eprintln!("error: more records failed (not printed)");
                    }
                }
            }
        });
        if let Err(e) = result {
            refused = Some(e.error);
            break;
        }
        if txn_size.is_some_and(|n| (i + 1) % n == 0 || i + 1 == args.num_records) {
            producer
                .commit_transaction(txn_timeout)
                .map_err(|e| format!("commit_transaction: {e}"))?;
        }
        throttler.pace(i + 1);
    }
    producer.flush().map_err(|e| e.to_string())?;
    let end = Instant::now();
    if let Some(e) = &refused {
        print_refused(e);
    }
    let failed = {
        let stats = STATS.lock();
        let stats = stats.as_ref().expect("stats");
        stats.print_total(end);
        stats.failed
    };
    if args.print_metrics {
        print_metrics(&producer.metrics(), &client_id);
    }
    producer.close(Duration::from_secs(30));
    drop(mock);
    if failed > 0 {
        eprintln!("error: {failed} records failed");
    }
    Ok(failed == 0 && refused.is_none())
}

fn print_refused(e: &kafka_sync::Refusal) {
    eprintln!("error: send refused a record, stopping: {e}");
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n\nRun with --help for usage.");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for us in (0..1_000_000u64).step_by(7).chain([u64::from(u32::MAX)]) {
            let i = Histogram::index(us);
            assert!(i >= last);
            last = i;
            let lo = Histogram::value(i);
            let hi = Histogram::value(i + 1);
            assert!(lo <= us && us < hi, "{us} in [{lo}, {hi})");
            assert!((hi - lo) as f64 <= (us as f64 / 100.0).max(1.0));
        }
    }

    #[test]
    fn percentiles_follow_kafka_ranks() {
        let mut h = Histogram::new();
        for us in 1..=100 {
            h.record(us);
        }
        assert_eq!(h.percentiles(&[0.5, 0.99, 0.999]), [51, 100, 100]);
    }

    #[test]
    fn producer_props_take_every_following_pair() {
        let args: Vec<String> = [
            "--topic",
            "t",
            "--producer-props",
            "acks=1",
            "linger.ms=0",
            "--num-records=10",
            "--record-size",
            "5",
            "--throughput",
            "-1",
            "--bootstrap-server",
            "h:1",
        ]
        .map(String::from)
        .to_vec();
        let a = parse_args(args).unwrap().unwrap();
        assert_eq!(a.num_records, 10);
        assert_eq!(a.throughput, None);
        assert_eq!(
            a.props,
            [
                ("acks", "1"),
                ("linger.ms", "0"),
                ("bootstrap.servers", "h:1")
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
    }
}
