//! Quick start: produce a few records synchronously and a few with callbacks.
//!
//! ```sh
//! cargo run --example quickstart                     # in-process mock cluster
//! cargo run --example quickstart -- --bootstrap-server localhost:9092 --topic quickstart
//! ```
//!
//! Without `--bootstrap-server` the example starts librdkafka's in-process
//! mock cluster (3 brokers, topic `quickstart` with 3 partitions, through the
//! `rdkafka` dev-dependency), so it runs anywhere without a Kafka broker.
//! Against a real cluster the topic must exist (or the broker must create
//! topics automatically).

use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use std::error::Error;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

/// Command-line options.
struct Args {
    bootstrap_server: Option<String>,
    topic: String,
}

const USAGE: &str = "usage: quickstart [--bootstrap-server HOST:PORT] [--topic TOPIC]

Without --bootstrap-server an in-process mock cluster is started.
The topic defaults to `quickstart`.";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bootstrap_server: None,
        topic: "quickstart".to_owned(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--bootstrap-server" => {
                args.bootstrap_server = Some(it.next().ok_or("--bootstrap-server needs a value")?)
            }
            "--topic" => args.topic = it.next().ok_or("--topic needs a value")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    // Either the given cluster or a mock one. The mock cluster must outlive
    // the producer: it is dropped at the end of this function.
    let mut _mock: Option<MockCluster<'static, DefaultProducerContext>> = None;
    let bootstrap = match args.bootstrap_server {
        Some(servers) => servers,
        None => {
            let cluster = MockCluster::new(3)
                .map_err(|e| format!("cannot start the librdkafka mock cluster: {e}"))?;
            cluster
                .create_topic(&args.topic, 3, 3)
                .map_err(|e| format!("cannot create topic {} on the mock: {e}", args.topic))?;
            let servers = cluster.bootstrap_servers();
            println!("started a mock cluster at {servers}");
            // librdkafka's mock answers every Produce with LogAppendTime 1234,
            // and the producer reports the broker's LogAppendTime when there
            // is one (as the Java client does): expect `timestamp 1234 ms`.
            println!("(the mock reports every record's timestamp as 1234 ms)");
            _mock = Some(cluster);
            servers
        }
    };

    // 1. Configure: the typed builder has the Java client's defaults; Java
    //    property names work too, through `.set("linger.ms", "5")` or
    //    `ProducerConfig::from_properties`.
    let config = ProducerConfig::builder()
        .bootstrap_servers(&bootstrap)
        .client_id("quickstart")
        .linger(Duration::from_millis(5))
        // Fail fast when the topic does not exist, instead of after 60 s.
        .max_block(Duration::from_secs(10))
        .build()?;

    // 2. Create the producer: keys and values are `String`s, serialized as
    //    UTF-8 by the built-in serializer. One sender thread starts here.
    let producer: Producer<String, String> = Producer::new(config)?;

    for p in producer.partitions_for(&args.topic)? {
        println!(
            "topic {} partition {}: leader {:?}",
            p.topic, p.partition, p.leader
        );
    }

    // 3. Synchronous sends: `send` appends the record to a batch and returns
    //    a handle; `wait` blocks until the broker has acknowledged it.
    println!("\n-- synchronous sends --");
    for i in 0..3 {
        let record = ProducerRecord::new(&args.topic, format!("sync value {i}"))
            .key(format!("key-{i}"))
            .header("source", "quickstart");
        let md = producer.send(record)?.wait()?;
        println!(
            "sent key-{i} to {}[{}] at offset {} (timestamp {} ms)",
            md.topic, md.partition, md.offset, md.timestamp
        );
    }

    // 4. Asynchronous sends: the callback runs once per record, on the sender
    //    thread, so it must be quick (no blocking, no flush/close from it).
    //    Here it only hands the result to this thread through a channel.
    println!("\n-- sends with callbacks --");
    let (tx, rx) = mpsc::channel();
    let count = 5;
    for i in 0..count {
        let record = ProducerRecord::new(&args.topic, format!("async value {i}"));
        let tx = tx.clone();
        producer.send_with_callback(record, move |result| {
            // The receiver lives until every result arrived; ignore a send
            // error anyway rather than panic on the sender thread.
            let _ = tx.send((i, result));
        })?;
    }
    drop(tx);

    // 5. `flush` sends what is buffered at once (ignoring linger.ms) and
    //    blocks until every record sent so far is complete.
    producer.flush()?;
    let mut failed = 0;
    for (i, result) in rx.iter().take(count) {
        match result {
            Ok(md) => println!(
                "async value {i} written to {}[{}] at offset {}",
                md.topic, md.partition, md.offset
            ),
            Err(e) => {
                eprintln!("async value {i} failed: {e}");
                failed += 1;
            }
        }
    }
    let m = producer.metrics();
    println!(
        "\n-- metrics --\nrecords sent: {:?}, request latency avg: {:?} ms",
        m.get("producer-metrics", "record-send-total"),
        m.get("producer-metrics", "request-latency-avg")
    );

    // 6. Close: sends what is left and stops the sender thread. Dropping the
    //    producer also closes it, waiting without a bound.
    producer.close(Duration::from_secs(10));

    if failed > 0 {
        return Err(format!("{failed} of {count} records failed").into());
    }
    println!("\nall records delivered");
    Ok(())
}
