//! A custom partitioner configured through a `custom.*` property.
//!
//! ```sh
//! cargo run --example custom_partitioner
//! cargo run --example custom_partitioner -- --bootstrap-server localhost:9092 --topic special
//! ```
//!
//! The partitioner reads `custom.specialKey` from the producer configuration
//! when it is built. Then, for a topic with `n` partitions:
//!
//! - a record whose key equals the special key goes to the first half,
//!   `0..n/2`, chosen by the murmur2 hash of its **value** (so the special
//!   key's heavy traffic is spread over several partitions);
//! - any other keyed record goes to the second half, `n/2..n`, chosen by the
//!   murmur2 hash of its **key** (so each ordinary key keeps its order);
//! - a record without a key is refused with `Error::Partitioner`: `send`
//!   returns the error and hands the record back.
//!
//! A record with an explicit partition bypasses the partitioner.
//!
//! Without `--bootstrap-server` it starts librdkafka's in-process mock
//! cluster with the topic `special` of 6 partitions. At the end it checks
//! where every record landed and exits non-zero if one is misplaced.

use kafka_sync::partitioner::{murmur2, to_positive, Partitioner, RecordView, TopicPartitions};
use kafka_sync::{ConfigError, Error, Producer, ProducerConfig, ProducerRecord, Refusal};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use std::process::ExitCode;
use std::time::Duration;

/// The configuration property the partitioner reads. `custom.*` names are
/// accepted by `ProducerConfigBuilder::set` and `from_properties` and kept,
/// prefix included, in `ProducerConfig::custom`.
const SPECIAL_KEY_PROPERTY: &str = "custom.specialKey";

/// Special key to the first half of the partitions, others to the second.
#[derive(Debug)]
struct SpecialKeyPartitioner {
    special_key: Vec<u8>,
}

impl SpecialKeyPartitioner {
    /// Reads the special key from the configuration, as a Java partitioner
    /// does in `configure(Map<String, ?>)`.
    fn new(config: &ProducerConfig) -> Result<Self, ConfigError> {
        match config.custom.get(SPECIAL_KEY_PROPERTY) {
            Some(key) if !key.is_empty() => Ok(SpecialKeyPartitioner {
                special_key: key.as_bytes().to_vec(),
            }),
            _ => Err(ConfigError::new(
                SPECIAL_KEY_PROPERTY,
                "required by SpecialKeyPartitioner, and must not be empty",
            )),
        }
    }

    /// How many partitions the special key gets: the first half.
    fn special_partitions(count: i32) -> i32 {
        count / 2
    }
}

/// `to_positive(murmur2(bytes)) % n`, as the Java client hashes keys.
fn hash_into(bytes: &[u8], n: i32) -> i32 {
    to_positive(murmur2(bytes)) % n
}

impl Partitioner for SpecialKeyPartitioner {
    /// Runs on the thread that calls `send`, for every record without an
    /// explicit partition: quick, no locks, no allocation.
    fn partition(
        &self,
        record: &RecordView<'_>,
        partitions: &TopicPartitions<'_>,
    ) -> Result<i32, Error> {
        let count = partitions.count;
        if count < 2 {
            return Err(Error::Partitioner(format!(
                "topic {} has {count} partition(s); SpecialKeyPartitioner needs at least 2",
                record.topic
            )));
        }
        let Some(key) = record.key else {
            return Err(Error::Partitioner(format!(
                "records to topic {} must have a key (SpecialKeyPartitioner)",
                record.topic
            )));
        };
        let first_half = Self::special_partitions(count);
        if key == self.special_key.as_slice() {
            // Spread by value; a null value (tombstone) hashes as empty.
            Ok(hash_into(record.value.unwrap_or(&[]), first_half))
        } else {
            Ok(first_half + hash_into(key, count - first_half))
        }
    }
}

const USAGE: &str = "usage: custom_partitioner [--bootstrap-server HOST:PORT] [--topic TOPIC]

Without --bootstrap-server an in-process mock cluster is started with the
topic `special` of 6 partitions. An existing topic needs at least 2 partitions.";

fn main() -> ExitCode {
    let mut bootstrap = None;
    let mut topic = "special".to_owned();
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

fn run(bootstrap: Option<String>, topic: &str) -> Result<(), Box<dyn std::error::Error>> {
    // The mock cluster, when used, must outlive the producer.
    let mut _mock: Option<MockCluster<'static, DefaultProducerContext>> = None;
    let bootstrap = match bootstrap {
        Some(b) => b,
        None => {
            let cluster = MockCluster::new(3)
                .map_err(|e| format!("cannot start the librdkafka mock cluster: {e}"))?;
            cluster
                .create_topic(topic, 6, 3)
                .map_err(|e| format!("cannot create topic {topic} on the mock: {e}"))?;
            let servers = cluster.bootstrap_servers();
            println!("started a mock cluster at {servers}");
            _mock = Some(cluster);
            servers
        }
    };

    // The special key is an ordinary configuration property: from code as
    // here, or from a properties file through `ProducerConfig::from_properties`.
    let config = ProducerConfig::builder()
        .bootstrap_servers(&bootstrap)
        .max_block(Duration::from_secs(10))
        .set(SPECIAL_KEY_PROPERTY, "vip")
        .build()?;

    // `ProducerBuilder::partitioner` hands the configuration to a
    // constructor that cannot fail, so the fallible one runs first: a missing
    // `custom.specialKey` is reported before the producer starts.
    let partitioner = SpecialKeyPartitioner::new(&config)?;
    let producer: Producer<String, String> = Producer::builder(config)
        .partitioner(move |_config| partitioner)
        .build()?;

    let count = producer.partitions_for(topic)?.len() as i32;
    let first_half = SpecialKeyPartitioner::special_partitions(count);
    println!(
        "topic {topic}: {count} partitions; special key `vip` -> 0..{first_half}, \
         other keys -> {first_half}..{count}\n"
    );

    // Keyed records: the special key with several values, and ordinary keys.
    let mut sent = Vec::new();
    for (key, value) in [
        ("vip", "order-1"),
        ("vip", "order-2"),
        ("vip", "order-3"),
        ("vip", "order-4"),
        ("alice", "order-5"),
        ("bob", "order-6"),
        ("carol", "order-7"),
        ("alice", "order-8"),
    ] {
        let record = ProducerRecord::new(topic, value.to_owned()).key(key.to_owned());
        let md = producer.send(record)?.wait()?;
        println!(
            "key {key:<6} value {value} -> partition {} offset {}",
            md.partition, md.offset
        );
        sent.push((key, value, md.partition));
    }

    // A record without a key: the partitioner refuses it, `send` returns
    // the error with the record, and nothing is sent.
    println!();
    let refused = match producer.send(ProducerRecord::new(topic, "no key".to_owned())) {
        Ok(_) => false,
        Err(e) => {
            println!(
                "null key refused: {} (record handed back: value {:?})",
                e.error,
                e.record.value.as_deref().unwrap_or_default()
            );
            matches!(e.error, Refusal::Partitioner(_))
        }
    };

    // An explicit partition wins: the partitioner is not asked, so even a
    // record without a key is accepted.
    let md = producer
        .send(ProducerRecord::new(topic, "explicit".to_owned()).partition(0))?
        .wait()?;
    println!(
        "null key with explicit partition 0 -> partition {} offset {}",
        md.partition, md.offset
    );

    producer.close(Duration::from_secs(10));

    // Self-check: every record is where the rules put it.
    for (key, value, partition) in &sent {
        if *key == "vip" {
            assert!(
                (0..first_half).contains(partition),
                "special record {value} landed on partition {partition}"
            );
            assert_eq!(*partition, hash_into(value.as_bytes(), first_half));
        } else {
            assert!(
                (first_half..count).contains(partition),
                "record with key {key} landed on partition {partition}"
            );
            assert_eq!(
                *partition,
                first_half + hash_into(key.as_bytes(), count - first_half)
            );
        }
    }
    assert!(
        refused,
        "a record without a key must be refused by the partitioner"
    );
    assert_eq!(md.partition, 0);
    println!("\nself-check passed: special key in 0..{first_half}, others in {first_half}..{count}, null key refused");
    Ok(())
}
