//! The fault-suite driver: a producer sends keyed records with per-key
//! sequence numbers in their values while a fault is injected, everything is
//! read back with the rdkafka consumer, and the log is checked per partition
//! for lost, duplicated and reordered records.
//!
//! - [`Mock`]: librdkafka's mock cluster with raw access (per-broker errors
//!   with delays, round-trip times, broker down/up, leader moves). It owns an
//!   idle rdkafka client created with `test.mock.num.brokers`, through which
//!   the raw `rd_kafka_mock_*` functions (re-exported by `rdkafka::bindings`)
//!   are reached.
//! - [`run_scenario`]: the driver; [`Outcome`]: what it measured.
//!
//! Records: key `k<K>` for K in 0..60, value `k<K>:<SEQ>` where SEQ counts
//! that key's records; record number `i` is key `i % 60`, sequence `i / 60`.
//!
//! # What is counted, per partition
//!
//! - lost: acknowledged as written but not in the log;
//! - duplicated: a `key:seq` seen again after its first copy;
//! - reordered: a first copy whose sequence is lower than one already seen
//!   for its key (duplicates are not counted again here);
//! - failed: records completed with an error (kinds listed in `errors`).
//!
//! # The mock does not check sequence numbers
//!
//! librdkafka's mock keeps every batch it is sent (it checks sequences only
//! for transactional producers): a batch written whose response was lost and
//! that the producer rightly retries with the *same* sequence is kept twice,
//! and a batch sent after a failed one is kept although a real broker would
//! answer OUT_OF_ORDER_SEQUENCE_NUMBER. When anything is duplicated or
//! reordered, the partition is fetched once more with the independent
//! `kafka-protocol` crate, which shows each record's producer id, epoch and
//! sequence, and every anomaly is attributed:
//! - `broker_dups`: both copies carry the same (producer id, epoch, sequence):
//!   a sequence-checking broker keeps one; `producer_dups`: the others;
//! - `broker_gaps`: batches the broker accepted although their base sequence
//!   does not follow the previous batch of the same producer id and epoch;
//! - `producer_reorders`: reorders not explained by an accepted gap earlier in
//!   the partition, or where the producer stamped the later record with a
//!   lower sequence of the same epoch.
//!
//! The parts: [`mock`] (the mock cluster), [`scenario`] (the targets, the
//! injecting closure's view and the driver), [`outcome`] (the counts and
//! their assertions), `analyse` (the per-partition checks), `attribute`
//! (the raw fetch that attributes anomalies), [`read_back`] (the consumer
//! that reads the log back).

mod analyse;
mod attribute;
pub mod mock;
pub mod outcome;
pub mod read_back;
pub mod scenario;

// Each test uses some of these; the paths stay those of the one-file module.
#[allow(unused_imports)]
pub use mock::Mock;
#[allow(unused_imports)]
pub use outcome::{Outcome, PartitionCounts};
#[allow(unused_imports)]
pub use read_back::read_back;
#[allow(unused_imports)]
pub use scenario::{
    producer_config, producer_config_with, run_scenario, run_scenario_with, Ctx, Target,
};

use std::time::Duration;

/// Keys per scenario.
pub const KEYS: usize = 60;
/// Partitions of the topic.
pub const PARTITIONS: i32 = 6;
/// The topic.
pub const TOPIC: &str = "faults";
/// `request.timeout.ms` of the producer in every scenario.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(1500);
/// `delivery.timeout.ms`: generous, so that no fault here should exhaust it.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Records per scenario: 100,000, or `FAULT_RECORDS` (for development).
pub fn records() -> usize {
    std::env::var("FAULT_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// How long sending all records should take at least (the sender is paced so
/// that faults land while records are still being produced):
/// `FAULT_SEND_SECS`, default 2 s.
fn send_secs() -> f64 {
    std::env::var("FAULT_SEND_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0)
}

/// Per-record state kept by the callbacks.
const PENDING: u8 = 0;
const OK: u8 = 1;
const FAILED_MAYBE_WRITTEN: u8 = 2;
const FAILED_NOT_WRITTEN: u8 = 3;
const REFUSED: u8 = 4;
