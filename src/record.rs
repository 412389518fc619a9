//! What callers send and what they get back.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A record header: a UTF-8 key and an optional value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The header key.
    pub key: String,
    /// The header value; `None` is written as length -1.
    pub value: Option<Vec<u8>>,
}

impl Header {
    /// A header with a value.
    ///
    /// ```
    /// use kafka_sync::Header;
    /// let h = Header::new("trace-id", "4bf92f35");
    /// assert_eq!(h.value.as_deref(), Some(&b"4bf92f35"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Header {
            key: key.into(),
            value: Some(value.into()),
        }
    }
}

/// A topic's name in a [`ProducerRecord`]: a `&'static str` or a shared
/// `Arc<str>`, so that sending to a known topic allocates nothing.
///
/// Any string converts into it (`"events"`, a `String`, an `Arc<str>`); a
/// borrowed `&str` is copied once per record (as a `String` topic was), a
/// `String` is kept. For the hot path name the topic once, as a constant or
/// a clone of a shared `Arc<str>` name (a reference count, no copy):
///
/// ```
/// use kafka_sync::{ProducerRecord, Topic};
/// const EVENTS: Topic = Topic::from_static("events");
/// let record: ProducerRecord<(), &[u8]> = ProducerRecord::new(EVENTS, b"no allocation".as_slice());
/// assert_eq!(record.topic, "events");
/// let dynamic = Topic::from(std::sync::Arc::<str>::from(format!("events-{}", 7)));
/// let again: ProducerRecord<(), &[u8]> = ProducerRecord::new(dynamic.clone(), b"no copy".as_slice());
/// assert_eq!(again.topic.as_str(), "events-7");
/// ```
#[derive(Clone)]
pub struct Topic(TopicName);

#[derive(Clone)]
enum TopicName {
    Static(&'static str),
    Shared(Arc<str>),
    /// A `String` handed over: kept as it is, not copied.
    Owned(String),
}

impl Topic {
    /// A topic named by a string that lives for the whole program.
    pub const fn from_static(name: &'static str) -> Self {
        Topic(TopicName::Static(name))
    }

    /// The name.
    ///
    /// ```
    /// use kafka_sync::Topic;
    /// let t = Topic::from("events");
    /// assert_eq!(t.as_str(), "events");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            TopicName::Static(s) => s,
            TopicName::Shared(s) => s,
            TopicName::Owned(s) => s,
        }
    }

    /// Whether both name the same topic: without comparing bytes when they
    /// share one name (the same `'static` string or `Arc`).
    #[inline]
    pub(crate) fn same_name(&self, other: &Topic) -> bool {
        let (a, b) = (self.as_str(), other.as_str());
        (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
    }
}

impl Deref for Topic {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Topic {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Topic {
    fn from(name: &str) -> Self {
        Topic(TopicName::Owned(name.to_owned()))
    }
}

impl From<&String> for Topic {
    fn from(name: &String) -> Self {
        Topic(TopicName::Owned(name.clone()))
    }
}

impl From<String> for Topic {
    fn from(name: String) -> Self {
        Topic(TopicName::Owned(name))
    }
}

impl From<Arc<str>> for Topic {
    fn from(name: Arc<str>) -> Self {
        Topic(TopicName::Shared(name))
    }
}

impl From<&Topic> for Topic {
    fn from(topic: &Topic) -> Self {
        topic.clone()
    }
}

impl PartialEq for Topic {
    fn eq(&self, other: &Topic) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Topic {}

impl PartialEq<str> for Topic {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Topic {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl Hash for Topic {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record to send: topic and value, with optional key, partition,
/// timestamp and headers. A `None` key or value is legal (a null value is a
/// tombstone on compacted topics).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerRecord<K, V> {
    /// Destination topic.
    pub topic: Topic,
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
    ///
    /// ```
    /// use kafka_sync::ProducerRecord;
    /// let r: ProducerRecord<String, String> = ProducerRecord::new("events", "hello".to_string());
    /// assert_eq!(r.topic, "events");
    /// assert!(r.key.is_none() && r.partition.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(topic: impl Into<Topic>, value: V) -> Self {
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
    ///
    /// ```
    /// use kafka_sync::ProducerRecord;
    /// // Deletes key "user-1" from a compacted topic.
    /// let r: ProducerRecord<String, String> = ProducerRecord::tombstone("users", "user-1".to_string());
    /// assert!(r.value.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tombstone(topic: impl Into<Topic>, key: K) -> Self {
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
    ///
    /// ```
    /// use kafka_sync::ProducerRecord;
    /// let r = ProducerRecord::new("events", "v".to_string()).key("user-1".to_string());
    /// assert_eq!(r.key.as_deref(), Some("user-1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key(mut self, key: K) -> Self {
        self.key = Some(key);
        self
    }

    /// Sets an explicit partition.
    ///
    /// ```
    /// use kafka_sync::ProducerRecord;
    /// let r = ProducerRecord::<String, String>::new("events", "v".to_string()).partition(3);
    /// assert_eq!(r.partition, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the create timestamp (ms since the Unix epoch).
    ///
    /// ```
    /// use kafka_sync::ProducerRecord;
    /// let r = ProducerRecord::<String, String>::new("events", "v".to_string()).timestamp(1_700_000_000_000);
    /// assert_eq!(r.timestamp, Some(1_700_000_000_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }

    /// Appends a header.
    ///
    /// ```
    /// use kafka_sync::ProducerRecord;
    /// let r = ProducerRecord::<String, String>::new("events", "v".to_string())
    ///     .header("trace-id", "4bf92f35")
    ///     .header("origin", b"billing".to_vec());
    /// assert_eq!(r.headers.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
