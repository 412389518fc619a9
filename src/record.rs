//! What callers send and what they get back.

pub use crate::record_batch::Header;
use std::sync::Arc;

/// A record to send: topic and value, with optional key, partition,
/// timestamp and headers. A `None` key or value is legal (a null value is a
/// tombstone on compacted topics).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerRecord<K, V> {
    /// Destination topic.
    pub topic: String,
    /// Explicit partition; wins over the partitioner.
    pub partition: Option<i32>,
    /// Key (null when `None`).
    pub key: Option<K>,
    /// Value (null when `None`).
    pub value: Option<V>,
    /// Create time in ms since the epoch; the send time when `None`.
    pub timestamp: Option<i64>,
    /// Headers, in order; keys may repeat.
    pub headers: Vec<Header>,
}

impl<K, V> ProducerRecord<K, V> {
    /// A record with a value and nothing else.
    pub fn new(topic: impl Into<String>, value: V) -> Self {
        ProducerRecord {
            topic: topic.into(),
            partition: None,
            key: None,
            value: Some(value),
            timestamp: None,
            headers: Vec::new(),
        }
    }

    /// A record with a null value (a tombstone) for `key`.
    pub fn tombstone(topic: impl Into<String>, key: K) -> Self {
        ProducerRecord {
            topic: topic.into(),
            partition: None,
            key: Some(key),
            value: None,
            timestamp: None,
            headers: Vec::new(),
        }
    }

    /// Sets the key.
    pub fn key(mut self, key: K) -> Self {
        self.key = Some(key);
        self
    }

    /// Sets an explicit partition.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the create timestamp (ms since the Unix epoch).
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }

    /// Appends a header.
    pub fn header(mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push(Header::new(key, value));
        self
    }
}

/// Where and when a record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// Topic.
    pub topic: Arc<str>,
    /// Partition.
    pub partition: i32,
    /// Offset in the partition; -1 when unknown (`acks=0`).
    pub offset: i64,
    /// The record's timestamp: its create time, or the broker's log-append
    /// time when the topic uses LogAppendTime.
    pub timestamp: i64,
    /// Size of the serialized key in bytes (0 for a null key).
    pub serialized_key_size: usize,
    /// Size of the serialized value in bytes (0 for a null value).
    pub serialized_value_size: usize,
}

/// Metadata of one partition, as `partitions_for` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Topic.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// Leader broker id, `None` while there is no leader.
    pub leader: Option<i32>,
    /// Replica broker ids.
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids.
    pub in_sync_replicas: Vec<i32>,
}
