//! Errors of the producer.
//!
//! - [`Error`] says why a record was refused or failed. Delivery errors say
//!   whether the record may still have been written ([`Error::may_have_persisted`]).
//! - [`SendError`] is what `send` returns when it refuses a record: the cause
//!   and the record itself, handed back so nothing is lost.
//! - [`ConfigError`] names the offending property.

use crate::protocol::ErrorCode;

mod per_operation;
use crate::record::ProducerRecord;
pub use per_operation::{DeliveryError, Refusal};
use std::fmt;
use std::time::Duration;

/// An invalid configuration: the property and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The Java property name, e.g. `delivery.timeout.ms`.
    pub property: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// An error about `property`.
    ///
    /// ```
    /// use kafka_sync::ConfigError;
    /// let e = ConfigError::new("custom.region", "must be set");
    /// assert!(e.to_string().contains("custom.region"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(property: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            property: property.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration `{}`: {}",
            self.property, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Any error of the producer: what [`Refusal`] (from `send`),
/// [`DeliveryError`] (of an accepted record), [`ConfigError`] and the
/// transaction errors convert into, and what the other operations return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid.
    Config(ConfigError),
    /// The key or value serializer failed.
    Serialization(String),
    /// The partitioner refused the record or returned an invalid partition.
    Partitioner(String),
    /// The serialized record is larger than `max.request.size` (or `buffer.memory`).
    RecordTooLarge {
        /// The record's size in bytes as it would be written.
        size: usize,
        /// The limit it exceeds.
        max: usize,
        /// The property that sets the limit.
        property: &'static str,
    },
    /// The record names a partition the topic does not have.
    InvalidPartition {
        /// Topic.
        topic: String,
        /// The partition asked for.
        partition: i32,
        /// How many partitions the topic has.
        partitions: i32,
    },
    /// The topic's metadata did not arrive within `max.block.ms`.
    MetadataTimeout {
        /// Topic.
        topic: String,
        /// How long `send` waited.
        waited: Duration,
        /// The last error the brokers gave for the topic, if any
        /// (e.g. UNKNOWN_TOPIC_OR_PARTITION: the topic does not exist).
        last_error: Option<ErrorCode>,
    },
    /// No room in `buffer.memory` within `max.block.ms` (or the `send_timeout` bound).
    BufferFull {
        /// How long `send` waited.
        waited: Duration,
    },
    /// The broker refused the batch with an error that retrying cannot fix,
    /// or retries ran out.
    Broker {
        /// The error code.
        code: ErrorCode,
        /// The broker's message, if any.
        message: Option<String>,
        /// Whether an earlier attempt may nevertheless have written the record.
        may_have_persisted: bool,
    },
    /// The record was not acknowledged within `delivery.timeout.ms`.
    DeliveryTimeout {
        /// The record's age when it expired.
        after: Duration,
        /// Whether an attempt was sent and not answered, so the record may
        /// have been written.
        may_have_persisted: bool,
        /// The error of the last attempt, if there was one.
        last_error: Option<ErrorCode>,
    },
    /// The producer was closed before the record completed.
    Closed {
        /// Whether the record had been sent and not answered.
        may_have_persisted: bool,
    },
    /// The producer hit an unrecoverable state (e.g. fenced by a newer instance).
    Fatal(String),
    /// A broker refused to let the producer in: SASL credentials or
    /// mechanism refused, or TLS failed (an untrusted, expired or mismatched
    /// certificate, a client certificate refused). Records waiting to be
    /// sent fail with it instead of waiting for `delivery.timeout.ms`; the
    /// producer keeps reconnecting (with `reconnect.backoff.ms`), so a fix
    /// on the broker side lets later records through. No secret is in
    /// the message.
    Authentication {
        /// What failed and where: mechanism or TLS, the broker, its message.
        message: String,
    },
    /// Refused because it was called from a delivery callback, which runs on
    /// the sender thread: waiting there for a record that is not complete
    /// would wait for the thread itself. The record is still on its way
    /// ([`may_have_persisted`](Error::may_have_persisted) is true); wait for
    /// it elsewhere.
    InCallback {
        /// What was refused, e.g. "wait for a record that is not complete".
        operation: &'static str,
    },
    /// A transactional producer refused the record or failed it: outside a
    /// transaction, in a transaction that must be aborted, or aborted
    /// before it was written. Its [`kind`](crate::TransactionError::kind)
    /// says what to do.
    Transaction(crate::transaction::TransactionError),
}

impl Error {
    /// Whether the record may have been written although it is reported failed.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let handle = producer.send(ProducerRecord::new("events", "v".to_string()))?;
    /// if let Err(e) = handle.wait().map_err(kafka_sync::Error::from) {
    ///     if e.may_have_persisted() {
    ///         eprintln!("unknown outcome, check before resending: {e}");
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn may_have_persisted(&self) -> bool {
        match self {
            Error::Broker {
                may_have_persisted, ..
            }
            | Error::DeliveryTimeout {
                may_have_persisted, ..
            }
            | Error::Closed { may_have_persisted } => *may_have_persisted,
            Error::Fatal(_) | Error::InCallback { .. } => true,
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let maybe = |b: bool| {
            if b {
                " (it may have been written)"
            } else {
                " (it was not written)"
            }
        };
        match self {
            Error::Config(e) => e.fmt(f),
            Error::Serialization(m) => write!(f, "serialization failed: {m}"),
            Error::Partitioner(m) => write!(f, "partitioner failed: {m}"),
            Error::RecordTooLarge {
                size,
                max,
                property,
            } => write!(
                f,
                "record of {size} bytes is larger than {property} ({max} bytes)"
            ),
            Error::InvalidPartition {
                topic,
                partition,
                partitions,
            } => write!(
                f,
                "partition {partition} does not exist: topic {topic} has {partitions} partitions"
            ),
            Error::MetadataTimeout {
                topic,
                waited,
                last_error,
            } => {
                write!(
                    f,
                    "topic {topic} not present in metadata after {} ms",
                    waited.as_millis()
                )?;
                if let Some(e) = last_error {
                    write!(f, " (last error: {e})")?;
                }
                Ok(())
            }
            Error::BufferFull { waited } => write!(
                f,
                "no room in buffer.memory after waiting {} ms",
                waited.as_millis()
            ),
            Error::Broker {
                code,
                message,
                may_have_persisted,
            } => {
                write!(f, "broker error {code}")?;
                if let Some(m) = message {
                    write!(f, ": {m}")?;
                }
                f.write_str(maybe(*may_have_persisted))
            }
            Error::DeliveryTimeout {
                after,
                may_have_persisted,
                last_error,
            } => {
                write!(
                    f,
                    "record expired after {} ms (delivery.timeout.ms)",
                    after.as_millis()
                )?;
                if let Some(e) = last_error {
                    write!(f, ", last error {e}")?;
                }
                f.write_str(maybe(*may_have_persisted))
            }
            Error::Closed { may_have_persisted } => {
                write!(f, "producer closed before the record completed")?;
                f.write_str(maybe(*may_have_persisted))
            }
            Error::Fatal(m) => write!(f, "fatal producer error: {m}"),
            Error::Authentication { message } => write!(f, "authentication failed: {message}"),
            Error::Transaction(e) => write!(f, "{e}"),
            Error::InCallback { operation } => write!(
                f,
                "cannot {operation} in a delivery callback: callbacks run on the sender \
                 thread, which would wait for itself"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

/// Why [`Producer::flush_timeout`](crate::Producer::flush_timeout) returned
/// before every record completed. The records are not affected: they go on
/// (or stay) on their way.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlushError {
    /// The timeout passed first.
    TimedOut {
        /// Batches of records not complete at the timeout.
        incomplete_batches: usize,
    },
    /// Called from a delivery callback (on the sender thread), where
    /// waiting would deadlock.
    InCallback,
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushError::TimedOut { incomplete_batches } => write!(
                f,
                "flush timed out with {incomplete_batches} batches of records not complete"
            ),
            FlushError::InCallback => f.write_str(
                "cannot flush in a delivery callback: callbacks run on the sender thread, \
                 which would wait for itself",
            ),
        }
    }
}

impl std::error::Error for FlushError {}

/// A refused `send`: why, and the record, handed back untouched.
pub struct SendError<K, V> {
    /// Why the record was refused.
    pub error: Refusal,
    /// The record.
    pub record: ProducerRecord<K, V>,
}

impl<K, V> SendError<K, V> {
    /// Takes the record back.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// match producer.send(ProducerRecord::new("events", "v".to_string())) {
    ///     Ok(handle) => drop(handle),
    ///     Err(refused) => {
    ///         eprintln!("{}", refused.error);
    ///         let record = refused.into_record(); // nothing was lost
    ///         # drop(record);
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_record(self) -> ProducerRecord<K, V> {
        self.record
    }
}

impl<K, V> fmt::Debug for SendError<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("error", &self.error)
            .field("topic", &self.record.topic)
            .finish_non_exhaustive()
    }
}

impl<K, V> fmt::Display for SendError<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record for topic {} refused: {}",
            self.record.topic, self.error
        )
    }
}

impl<K, V> std::error::Error for SendError<K, V> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<K, V> From<SendError<K, V>> for Error {
    fn from(e: SendError<K, V>) -> Self {
        e.error.into()
    }
}
