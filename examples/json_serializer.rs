//! Custom serializers: a struct with a timestamp field, written as JSON.
//!
//! ```sh
//! cargo run --example json_serializer --features serde
//! cargo run --example json_serializer --features serde -- --bootstrap-server localhost:9092 --topic sensors
//! ```
//!
//! Shows two ways to send a user type:
//!
//! 1. a serializer written by hand: any closure
//!    `Fn(&str, &T) -> Result<Vec<u8>, Error>` is a [`Serializer`], here one
//!    that calls `serde_json` and reports failures as `Error::Serialization`;
//! 2. the ready [`JsonSerializer`] (feature `serde`), for any
//!    `serde::Serialize` type.
//!
//! The reading's own timestamp also becomes the record's timestamp, so
//! Kafka's time index and consumers see when it was measured, not when it
//! was sent.
//!
//! Without `--bootstrap-server` it starts librdkafka's in-process mock
//! cluster (topic `sensors`, 3 partitions).

use kafka_sync::serializer::{DefaultSerializer, JsonSerializer, Serializer};
use kafka_sync::{Error, Producer, ProducerConfig, ProducerRecord};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use serde::Serialize;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One temperature measurement.
#[derive(Debug, Clone, Serialize)]
struct SensorReading {
    sensor: String,
    celsius: f64,
    /// When it was measured, in milliseconds since the Unix epoch.
    at_ms: i64,
}

const USAGE: &str = "usage: json_serializer [--bootstrap-server HOST:PORT] [--topic TOPIC]

Without --bootstrap-server an in-process mock cluster is started.
The topic defaults to `sensors`.";

fn main() -> ExitCode {
    let mut bootstrap = None;
    let mut topic = "sensors".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--bootstrap-server" | "--topic" => args.next(),
            other => {
                eprintln!("error: unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        let Some(value) = value else {
            eprintln!("error: {flag} needs a value\n\n{USAGE}");
            return ExitCode::from(2);
        };
        if flag == "--topic" {
            topic = value;
        } else {
            bootstrap = Some(value);
        }
    }
    match run(bootstrap, &topic) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn run(bootstrap: Option<String>, topic: &str) -> Result<(), Box<dyn std::error::Error>> {
    // The mock cluster, when used, must outlive the producers.
    let mut _mock: Option<MockCluster<'static, DefaultProducerContext>> = None;
    let bootstrap = match bootstrap {
        Some(b) => b,
        None => {
            let cluster = MockCluster::new(3)
                .map_err(|e| format!("cannot start the librdkafka mock cluster: {e}"))?;
            cluster
                .create_topic(topic, 3, 3)
                .map_err(|e| format!("cannot create topic {topic} on the mock: {e}"))?;
            let servers = cluster.bootstrap_servers();
            println!("started a mock cluster at {servers}");
            _mock = Some(cluster);
            servers
        }
    };
    let config = ProducerConfig::builder()
        .bootstrap_servers(&bootstrap)
        .max_block(Duration::from_secs(10))
        .build()?;

    let readings = [
        SensorReading {
            sensor: "greenhouse-1".into(),
            celsius: 21.5,
            at_ms: now_ms() - 2_000,
        },
        SensorReading {
            sensor: "greenhouse-2".into(),
            celsius: 19.25,
            at_ms: now_ms() - 1_000,
        },
        SensorReading {
            sensor: "cellar".into(),
            celsius: 11.0,
            at_ms: now_ms(),
        },
    ];

    // 1. A hand-written serializer: a closure from (topic, value) to bytes.
    //    Annotate its argument types so it accepts any lifetime. Errors are
    //    `Error::Serialization`; `send` then refuses the record and hands it
    //    back, nothing is sent.
    let to_json = |topic: &str, reading: &SensorReading| -> Result<Vec<u8>, Error> {
        serde_json::to_vec(reading)
            .map_err(|e| Error::Serialization(format!("sensor reading for {topic}: {e}")))
    };
    println!(
        "\nthe closure writes: {}",
        String::from_utf8_lossy(&to_json.serialize(topic, &readings[0])?)
    );

    // Keys are the sensor names (UTF-8 via the built-in serializer), so each
    // sensor's readings stay in order on one partition.
    let producer: Producer<String, SensorReading> =
        Producer::builder_with_serializers(config.clone(), DefaultSerializer, to_json).build()?;
    println!("\n-- hand-written JSON serializer --");
    for reading in &readings {
        let record = ProducerRecord::new(topic, reading.clone())
            .key(reading.sensor.clone())
            // The record's timestamp is the reading's, not the send time.
            .timestamp(reading.at_ms)
            .header("content-type", "application/json");
        let md = producer.send(record)?.wait()?;
        println!(
            "{} -> {}[{}]@{} ({} bytes of JSON)",
            reading.sensor, md.topic, md.partition, md.offset, md.serialized_value_size
        );
    }
    producer.close(Duration::from_secs(10));

    // 2. The ready JsonSerializer: any `serde::Serialize` type, no code.
    let producer: Producer<String, SensorReading> =
        Producer::builder_with_serializers(config, DefaultSerializer, JsonSerializer).build()?;
    println!("\n-- kafka_sync::serializer::JsonSerializer --");
    // Send all three first, then wait: they travel in the same batches.
    let mut handles = Vec::new();
    for reading in &readings {
        let record = ProducerRecord::new(topic, reading.clone())
            .key(reading.sensor.clone())
            .timestamp(reading.at_ms);
        handles.push(producer.send(record)?);
    }
    for (reading, handle) in readings.iter().zip(handles) {
        let md = handle.wait()?;
        println!(
            "{} -> {}[{}]@{} ({} bytes of JSON)",
            reading.sensor, md.topic, md.partition, md.offset, md.serialized_value_size
        );
    }
    producer.close(Duration::from_secs(10));
    Ok(())
}
