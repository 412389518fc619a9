//! Producer configuration: typed fields with the Java client's defaults.
//!
//! (Skeleton: builder, `from_properties` and validation are being written.)

use crate::record_batch::Compression;
use std::collections::BTreeMap;
use std::time::Duration;

/// `acks`: how many replicas must have a record before it counts as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// `acks=0`: no response awaited; offsets are unknown (-1) and records may be lost.
    None,
    /// `acks=1`: the leader wrote it.
    Leader,
    /// `acks=all` / `-1`: all in-sync replicas have it.
    All,
}

impl Acks {
    /// The value sent in Produce requests (0, 1 or -1).
    pub fn wire_value(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

/// Everything the producer can be configured with. Build it with
/// [`ProducerConfig::builder`] or [`ProducerConfig::from_properties`].
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `bootstrap.servers`: host:port pairs for the first connection.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`.
    pub client_id: String,
    /// `acks`.
    pub acks: Acks,
    /// `enable.idempotence` as finally in force (after validation).
    pub enable_idempotence: bool,
    /// `max.block.ms`.
    pub max_block: Duration,
    /// `linger.ms`.
    pub linger: Duration,
    /// `batch.size` in bytes.
    pub batch_size: usize,
    /// `buffer.memory` in bytes.
    pub buffer_memory: usize,
    /// `compression.type`.
    pub compression: Compression,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
    /// `max.request.size` in bytes.
    pub max_request_size: usize,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `delivery.timeout.ms`.
    pub delivery_timeout: Duration,
    /// `retries`.
    pub retries: u32,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`.
    pub retry_backoff_max: Duration,
    /// `reconnect.backoff.ms`.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`.
    pub reconnect_backoff_max: Duration,
    /// `metadata.max.age.ms`.
    pub metadata_max_age: Duration,
    /// `send.buffer.bytes` (`None` = OS default, from -1).
    pub send_buffer_bytes: Option<usize>,
    /// `receive.buffer.bytes` (`None` = OS default, from -1).
    pub receive_buffer_bytes: Option<usize>,
    /// `transactional.id`.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`.
    pub transaction_timeout: Duration,
    /// Properties not known to the producer but accepted for custom
    /// partitioners and serializers (names starting with `custom.`).
    pub custom: BTreeMap<String, String>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            bootstrap_servers: Vec::new(),
            client_id: String::new(),
            acks: Acks::All,
            enable_idempotence: true,
            max_block: Duration::from_millis(60_000),
            linger: Duration::from_millis(5),
            batch_size: 16_384,
            buffer_memory: 33_554_432,
            compression: Compression::None,
            max_in_flight: 5,
            max_request_size: 1_048_576,
            request_timeout: Duration::from_millis(30_000),
            delivery_timeout: Duration::from_millis(120_000),
            retries: i32::MAX as u32,
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1000),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(1000),
            metadata_max_age: Duration::from_millis(300_000),
            send_buffer_bytes: Some(131_072),
            receive_buffer_bytes: Some(32_768),
            transactional_id: None,
            transaction_timeout: Duration::from_millis(60_000),
            custom: BTreeMap::new(),
        }
    }
}
