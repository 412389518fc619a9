//! Test harness: real brokers and an independent reader.
//!
//! - [`mock_cluster`] starts librdkafka's in-process mock cluster.
//! - [`Tansu::start`] starts a private tansu broker (a real, Kafka-compatible
//!   broker written in Rust) on a free loopback port, found through the
//!   `TANSU_BIN` environment variable (or the default install location of
//!   `scripts/test.sh`). Without it a test is skipped with a message, except
//!   when `CI` is set: then a missing broker fails the test.
//! - [`consume_all`] reads partitions back with the rdkafka consumer
//!   (`check.crcs=true`), never with our own decoder.
#![allow(dead_code)]

pub mod fault_log;
pub mod faults;
pub mod java;
pub mod kafka;
pub mod log_capture;
pub mod node;
pub mod proxy;
pub mod raw;
pub mod secure;
pub mod tansu;

#[allow(unused_imports)]
pub use tansu::{in_ci, Tansu};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::{Offset, TopicPartitionList};
use std::time::{Duration, Instant};

/// Starts a mock cluster of `brokers` brokers with the given topics.
pub fn mock_cluster(
    brokers: i32,
    topics: &[(&str, i32)],
) -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(brokers).expect("start mock cluster");
    for (name, partitions) in topics {
        cluster
            .create_topic(name, *partitions, brokers.min(3))
            .expect("create mock topic");
    }
    cluster
}

/// A record as the independent consumer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Key.
    pub key: Option<Vec<u8>>,
    /// Value.
    pub value: Option<Vec<u8>>,
    /// Headers in order.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Timestamp in ms (create time).
    pub timestamp: Option<i64>,
}

/// Reads `expected` records from the given partitions of `topic` from the
/// beginning with the rdkafka consumer (`check.crcs=true`), or panics after
/// `timeout`. Records come back in per-partition offset order.
pub fn consume_all(
    bootstrap: &str,
    topic: &str,
    partitions: &[i32],
    expected: usize,
    timeout: Duration,
) -> Vec<Consumed> {
    consume_isolated(
        bootstrap,
        topic,
        partitions,
        expected,
        timeout,
        "read_committed",
    )
}

/// An rdkafka consumer that checks CRCs, for reading back what we wrote
/// (`isolation`: `read_committed` or `read_uncommitted`).
pub fn reader(bootstrap: &str, group: &str, isolation: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("isolation.level", isolation)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("check.crcs", "true")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "50")
        .create()
        .expect("create rdkafka consumer")
}

/// As [`consume_all`], with `isolation.level` = `isolation`
/// (`read_committed`, librdkafka's default, or `read_uncommitted`).
pub fn consume_isolated(
    bootstrap: &str,
    topic: &str,
    partitions: &[i32],
    expected: usize,
    timeout: Duration,
    isolation: &str,
) -> Vec<Consumed> {
    let consumer = reader(bootstrap, "ksync-test-reader", isolation);
    let mut tpl = TopicPartitionList::new();
    for p in partitions {
        tpl.add_partition_offset(topic, *p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).expect("assign");
    let deadline = Instant::now() + timeout;
    let mut out = Vec::with_capacity(expected);
    while out.len() < expected {
        assert!(
            Instant::now() < deadline,
            "consumed only {} of {expected} records from {topic}",
            out.len()
        );
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => panic!("consumer error on {topic}: {e}"),
            Some(Ok(m)) => out.push(Consumed {
                partition: m.partition(),
                offset: m.offset(),
                key: m.key().map(<[u8]>::to_vec),
                value: m.payload().map(<[u8]>::to_vec),
                headers: m
                    .headers()
                    .map(|hs| {
                        hs.iter()
                            .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default(),
                timestamp: m.timestamp().to_millis(),
            }),
        }
    }
    // Anything beyond `expected` would be a duplicate: give it a moment to show.
    let settle = Instant::now() + Duration::from_millis(300);
    while Instant::now() < settle {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50)) {
            panic!(
                "unexpected extra record on {topic}[{}] at offset {}",
                m.partition(),
                m.offset()
            );
        }
    }
    out
}
