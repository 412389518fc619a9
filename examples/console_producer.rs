//! A console producer, like Kafka's `kafka-console-producer`: reads lines from
//! standard input and sends each as a record.
//!
//! ```sh
//! printf 'k1\thello\nk2\tworld\n' | cargo run --example console_producer -- \
//!     --bootstrap-server localhost:9092 --topic test --property parse.key=true
//! ```
//!
//! Run with `--help` for the flags. Nothing is printed on success; every
//! failed record is reported on standard error, and the exit status is
//! non-zero if any record failed (1) or the command line is wrong (2).

use kafka_sync::{Producer, ProducerConfig, ProducerRecord, Refusal};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "\
Reads lines from standard input and sends each as a record to a Kafka topic.

usage: console_producer --bootstrap-server HOST:PORT[,HOST:PORT...] --topic TOPIC [options]

  --bootstrap-server LIST       brokers to connect to first (required)
  --topic TOPIC                 topic to produce to (required)
  --property NAME=VALUE         line parsing, repeatable:
                                  parse.key=true       split each line into key and value
                                  key.separator=SEP    separator between key and value (default: tab)
                                  ignore.error=true    send a line without separator with a null key
  --producer-property NAME=VALUE
                                a producer property by its Java name, repeatable
                                (e.g. acks=1, linger.ms=100, custom.x=y)
  --compression-codec CODEC     none, gzip, snappy, lz4 or zstd (sets compression.type)
  --sync                        wait for each record to be acknowledged before reading the next
  --transactional-id ID         send in transactions with this transactional.id
  --transaction-size N          with --transactional-id: commit every N lines (default 1000)
                                and at the end of the input
  --print-metrics               print the producer's metrics (Java names) at the end
  -h, --help                    print this help

Exit status: 0 when every record was written, 1 when any failed, 2 on a bad command line.";

/// What the command line asked for.
struct Args {
    bootstrap_server: String,
    topic: String,
    parse_key: bool,
    key_separator: String,
    ignore_error: bool,
    producer_properties: Vec<(String, String)>,
    compression_codec: Option<String>,
    sync: bool,
    transactional_id: Option<String>,
    transaction_size: usize,
    print_metrics: bool,
}

/// Splits `NAME=VALUE` at the first `=`.
fn name_value(flag: &str, arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("{flag} expects NAME=VALUE, got `{arg}`")),
    }
}

/// Kafka's tools read booleans as `true` (any case) or anything else.
fn is_true(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

/// Parses the command line; `Ok(None)` means `--help` was printed.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut bootstrap_server = None;
    let mut topic = None;
    let mut parsed = Args {
        bootstrap_server: String::new(),
        topic: String::new(),
        parse_key: false,
        key_separator: "\t".to_owned(),
        ignore_error: false,
        producer_properties: Vec::new(),
        compression_codec: None,
        sync: false,
        transactional_id: None,
        transaction_size: 1000,
        print_metrics: false,
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        // `--flag=value` is accepted as well as `--flag value`.
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (flag, None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "--bootstrap-server" | "--broker-list" => bootstrap_server = Some(value()?),
            "--topic" => topic = Some(value()?),
            "--property" => {
                let (name, v) = name_value("--property", &value()?)?;
                match name.as_str() {
                    "parse.key" => parsed.parse_key = is_true(&v),
                    "key.separator" => {
                        if v.is_empty() {
                            return Err("key.separator must not be empty".to_owned());
                        }
                        parsed.key_separator = v;
                    }
                    "ignore.error" => parsed.ignore_error = is_true(&v),
                    _ => {
                        return Err(format!(
                            "unsupported --property `{name}` \
                             (supported: parse.key, key.separator, ignore.error)"
                        ))
                    }
                }
            }
            "--producer-property" => {
                let p = name_value("--producer-property", &value()?)?;
                parsed.producer_properties.push(p);
            }
            "--compression-codec" => parsed.compression_codec = Some(value()?),
            "--sync" => {
                if inline.is_some() {
                    return Err("--sync takes no value".to_owned());
                }
                parsed.sync = true;
            }
            "--print-metrics" => {
                if inline.is_some() {
                    return Err("--print-metrics takes no value".to_owned());
                }
                parsed.print_metrics = true;
            }
            "--transactional-id" => parsed.transactional_id = Some(value()?),
            "--transaction-size" => {
                let v = value()?;
                parsed.transaction_size = match v.parse() {
                    Ok(n) if n > 0 => n,
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
    parsed.bootstrap_server = bootstrap_server.ok_or("--bootstrap-server is required")?;
    parsed.topic = topic.ok_or("--topic is required")?;
    Ok(Some(parsed))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n\nRun with --help for usage.");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the configuration: the flags first, then `--producer-property`
/// values, which win (as in Kafka's tool).
fn config(args: &Args) -> Result<ProducerConfig, String> {
    let mut builder = ProducerConfig::builder().bootstrap_servers(&args.bootstrap_server);
    if let Some(codec) = &args.compression_codec {
        builder = builder.set("compression.type", codec);
    }
    if let Some(id) = &args.transactional_id {
        builder = builder.set("transactional.id", id);
    }
    for (name, value) in &args.producer_properties {
        builder = builder.set(name, value);
    }
    // The error names the offending property, e.g.
    // "invalid configuration `compression.type`: ...".
    builder.build().map_err(|e| e.to_string())
}

/// Kafka's console producer reports a failed record this way.
fn report(topic: &str, key: Option<usize>, value: Option<usize>, error: &dyn std::fmt::Display) {
    let key = key.map_or("null".to_owned(), |n| format!("{n} bytes"));
    let value = value.map_or("null".to_owned(), |n| format!("{n} bytes"));
    eprintln!(
        "error when sending message to topic {topic} with key: {key}, value: {value}: {error}"
    );
}

/// Splits a line into key and value as Kafka's `LineMessageReader` does.
fn parse_line(
    args: &Args,
    line: Vec<u8>,
    line_number: usize,
) -> Result<(Option<Vec<u8>>, Vec<u8>), String> {
    if !args.parse_key {
        return Ok((None, line));
    }
    let sep = args.key_separator.as_bytes();
    match line.windows(sep.len()).position(|w| w == sep) {
        Some(at) => Ok((Some(line[..at].to_vec()), line[at + sep.len()..].to_vec())),
        None if args.ignore_error => Ok((None, line)),
        None => Err(format!(
            "no key separator found on line number {line_number}: '{}'",
            String::from_utf8_lossy(&line)
        )),
    }
}

fn run(args: &Args) -> Result<(), String> {
    let config = config(args)?;
    // Keys and values are raw bytes: the lines are sent as they are, UTF-8 or not.
    let producer: Producer<Vec<u8>, Vec<u8>> =
        Producer::new(config).map_err(|e| format!("cannot start the producer: {e}"))?;

    // Transactions: one open from the first line, committed every
    // `--transaction-size` lines and at the end.
    let txn_timeout = Duration::from_secs(60);
    let in_txn = args.transactional_id.is_some();
    if in_txn {
        producer
            .init_transactions(txn_timeout)
            .map_err(|e| format!("init_transactions: {e}"))?;
    }
    let mut open = 0usize;
    let commit = |open: &mut usize| -> Result<(), String> {
        if *open > 0 {
            producer
                .commit_transaction(txn_timeout)
                .map_err(|e| format!("commit_transaction: {e}"))?;
            *open = 0;
        }
        Ok(())
    };
    let mut total = 0;
    // Shared with the callbacks, which run on the sender thread.
    let failed = Arc::new(AtomicUsize::new(0));
    let mut aborted = None;

    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut line_number = 0;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                aborted = Some(format!("cannot read standard input: {e}"));
                break;
            }
        }
        line_number += 1;
        // Strip the line terminator (`\n` or `\r\n`), as Java's readLine does.
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        total += 1;
        let (key, value) = match parse_line(args, std::mem::take(&mut line), line_number) {
            Ok(kv) => kv,
            Err(e) => {
                eprintln!("error: {e}");
                failed.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        if in_txn && open == 0 {
            producer
                .begin_transaction()
                .map_err(|e| format!("begin_transaction: {e}"))?;
        }
        let (key_len, value_len) = (key.as_ref().map(Vec::len), Some(value.len()));
        let mut record = ProducerRecord::new(&args.topic, value);
        record.key = key;

        let refused = if args.sync {
            // Wait for the broker's answer before reading the next line.
            match producer.send(record) {
                Ok(handle) => match handle.wait() {
                    Ok(_) => None,
                    Err(e) => {
                        report(&args.topic, key_len, value_len, &e);
                        failed.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                },
                Err(refused) => Some(refused.error),
            }
        } else {
            let failed = failed.clone();
            let topic = args.topic.clone();
            let sent = producer.send_with_callback(record, move |result| {
                if let Err(e) = result {
                    report(&topic, key_len, value_len, &e);
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            });
            sent.err().map(|refused| refused.error)
        };

        // `send` itself refused the record (the callback is not called then).
        if let Some(e) = refused {
            report(&args.topic, key_len, value_len, &e);
            failed.fetch_add(1, Ordering::Relaxed);
            // A too-large record only concerns this line; anything else
            // (unknown topic, closed or failed producer) would refuse every
            // following line too, each after waiting max.block.ms: stop.
            if !matches!(e, Refusal::RecordTooLarge { .. }) {
                aborted = Some(format!("stopped reading at line {line_number}"));
                break;
            }
        }
        if in_txn {
            open += 1;
            if open >= args.transaction_size {
                commit(&mut open)?;
            }
        }
    }
    if in_txn && aborted.is_none() {
        commit(&mut open)?;
    } else if in_txn && open > 0 {
        // Nothing of the unfinished transaction becomes visible.
        if let Err(e) = producer.abort_transaction(txn_timeout) {
            eprintln!("error: abort_transaction: {e}");
        }
    }

    // Send whatever is still buffered and wait for it. `close` also joins
    // the sender thread, so every callback has run once it returns and the
    // failure count is final.
    producer.flush().map_err(|e| e.to_string())?;
    if args.print_metrics {
        print!("{}", producer.metrics());
    }
    producer.close(Duration::from_secs(30));
    let _ = std::io::stderr().flush();

    let failed = failed.load(Ordering::Relaxed);
    match (aborted, failed) {
        (Some(why), _) => Err(format!("{why}; {failed} of {total} records failed")),
        (None, 0) => Ok(()),
        (None, n) => Err(format!("{n} of {total} records failed")),
    }
}
