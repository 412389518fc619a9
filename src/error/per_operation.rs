//! The errors of the two record operations: why `send` refused a record
//! ([`Refusal`], inside [`SendError`](super::SendError) with the record),
//! and why an accepted record failed ([`DeliveryError`], in handles and
//! callbacks). Each holds only what can happen at that point; both convert
//! into the umbrella [`Error`] for `?`.

use super::Error;
use crate::protocol::ErrorCode;
use crate::transaction::TransactionError;
use std::fmt;
use std::time::Duration;

/// Why `send` refused a record. The record was not accepted: nothing of it
/// was written, and the [`SendError`](super::SendError) hands it back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// No room in `buffer.memory` within `max.block.ms` (or the bound of
    /// `send_timeout` / `try_send`).
    BufferFull {
        /// How long `send` waited.
        waited: Duration,
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
    /// The serialized record is larger than `max.request.size` (or
    /// `buffer.memory`).
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
    /// The key or value serializer failed.
    Serialization(String),
    /// The partitioner refused the record or chose a partition that does
    /// not exist.
    Partitioner(String),
    /// The producer is closed (or closing).
    Closed,
    /// A broker refused to let the producer in (SASL or TLS) while `send`
    /// waited for the topic's metadata. No secret is in the message.
    Authentication {
        /// What failed and where: mechanism or TLS, the broker, its message.
        message: String,
    },
    /// The producer hit an unrecoverable state earlier (e.g. fenced, or a
    /// broker refused its credentials); it refuses every record.
    Fatal(Box<Error>),
    /// A transactional producer refused the record: outside a transaction,
    /// or in one that must be aborted.
    Transaction(TransactionError),
}

/// Why a record that `send` accepted failed. Whether it may have been
/// written anyway is in [`may_have_persisted`](Self::may_have_persisted).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryError {
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
        /// Whether an attempt was sent and not answered.
        may_have_persisted: bool,
        /// The error of the last attempt, if there was one.
        last_error: Option<ErrorCode>,
    },
    /// The producer was closed before the record completed.
    Closed {
        /// Whether the record had been sent and not answered.
        may_have_persisted: bool,
    },
    /// A broker refused to let the producer in (SASL or TLS); records
    /// waiting to be sent fail with it instead of waiting for
    /// `delivery.timeout.ms`. No secret is in the message.
    Authentication {
        /// What failed and where: mechanism or TLS, the broker, its message.
        message: String,
    },
    /// The producer hit an unrecoverable state (e.g. fenced by a newer
    /// instance, or its sender thread panicked).
    Fatal(String),
    /// The record's transaction was aborted before it was written.
    Transaction(TransactionError),
    /// Only from a handle's `wait` inside a delivery callback (on the
    /// sender thread), for a record not complete yet: waiting there would
    /// wait for the thread itself. The record is still on its way; a
    /// callback never receives this.
    InCallback,
}

impl DeliveryError {
    /// Whether the record may have been written although it is reported
    /// failed.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// producer.send_with_callback(ProducerRecord::new("events", "v".to_string()), |r| {
    ///     if let Err(e) = r {
    ///         if e.may_have_persisted() {
    ///             eprintln!("may be in the log anyway: {e}");
    ///         } else {
    ///             eprintln!("not written, safe to resend: {e}");
    ///         }
    ///     }
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn may_have_persisted(&self) -> bool {
        match self {
            DeliveryError::Broker {
                may_have_persisted, ..
            }
            | DeliveryError::DeliveryTimeout {
                may_have_persisted, ..
            }
            | DeliveryError::Closed { may_have_persisted } => *may_have_persisted,
            DeliveryError::Fatal(_) | DeliveryError::InCallback => true,
            DeliveryError::Authentication { .. } | DeliveryError::Transaction(_) => false,
        }
    }

    /// What the sender reports for a failed record, as a delivery error.
    pub(crate) fn from_internal(e: Error) -> Self {
        match e {
            Error::Broker {
                code,
                message,
                may_have_persisted,
            } => DeliveryError::Broker {
                code,
                message,
                may_have_persisted,
            },
            Error::DeliveryTimeout {
                after,
                may_have_persisted,
                last_error,
            } => DeliveryError::DeliveryTimeout {
                after,
                may_have_persisted,
                last_error,
            },
            Error::Closed { may_have_persisted } => DeliveryError::Closed { may_have_persisted },
            Error::Authentication { message } => DeliveryError::Authentication { message },
            Error::Fatal(m) => DeliveryError::Fatal(m),
            Error::Transaction(t) => DeliveryError::Transaction(t),
            Error::InCallback { .. } => DeliveryError::InCallback,
            other => DeliveryError::Fatal(other.to_string()),
        }
    }
}

impl Refusal {
    /// Why `send` refused, from the producer's internal error.
    pub(crate) fn from_internal(e: Error) -> Self {
        match e {
            Error::BufferFull { waited } => Refusal::BufferFull { waited },
            Error::MetadataTimeout {
                topic,
                waited,
                last_error,
            } => Refusal::MetadataTimeout {
                topic,
                waited,
                last_error,
            },
            Error::RecordTooLarge {
                size,
                max,
                property,
            } => Refusal::RecordTooLarge {
                size,
                max,
                property,
            },
            Error::InvalidPartition {
                topic,
                partition,
                partitions,
            } => Refusal::InvalidPartition {
                topic,
                partition,
                partitions,
            },
            Error::Serialization(m) => Refusal::Serialization(m),
            Error::Partitioner(m) => Refusal::Partitioner(m),
            Error::Closed { .. } => Refusal::Closed,
            Error::Authentication { message } => Refusal::Authentication { message },
            Error::Transaction(t) => Refusal::Transaction(t),
            other => Refusal::Fatal(Box::new(other)),
        }
    }
}

impl From<DeliveryError> for Error {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Broker {
                code,
                message,
                may_have_persisted,
            } => Error::Broker {
                code,
                message,
                may_have_persisted,
            },
            DeliveryError::DeliveryTimeout {
                after,
                may_have_persisted,
                last_error,
            } => Error::DeliveryTimeout {
                after,
                may_have_persisted,
                last_error,
            },
            DeliveryError::Closed { may_have_persisted } => Error::Closed { may_have_persisted },
            DeliveryError::Authentication { message } => Error::Authentication { message },
            DeliveryError::Fatal(m) => Error::Fatal(m),
            DeliveryError::Transaction(t) => Error::Transaction(t),
            DeliveryError::InCallback => Error::InCallback {
                operation: "wait for a record that is not complete",
            },
        }
    }
}

impl From<Refusal> for Error {
    fn from(e: Refusal) -> Self {
        match e {
            Refusal::BufferFull { waited } => Error::BufferFull { waited },
            Refusal::MetadataTimeout {
                topic,
                waited,
                last_error,
            } => Error::MetadataTimeout {
                topic,
                waited,
                last_error,
            },
            Refusal::RecordTooLarge {
                size,
                max,
                property,
            } => Error::RecordTooLarge {
                size,
                max,
                property,
            },
            Refusal::InvalidPartition {
                topic,
                partition,
                partitions,
            } => Error::InvalidPartition {
                topic,
                partition,
                partitions,
            },
            Refusal::Serialization(m) => Error::Serialization(m),
            Refusal::Partitioner(m) => Error::Partitioner(m),
            Refusal::Closed => Error::Closed {
                may_have_persisted: false,
            },
            Refusal::Authentication { message } => Error::Authentication { message },
            Refusal::Fatal(e) => *e,
            Refusal::Transaction(t) => Error::Transaction(t),
        }
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Error::from(self.clone()), f)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Closed => f.write_str("the producer is closed"),
            Refusal::Fatal(e) => write!(f, "the producer failed earlier: {e}"),
            other => fmt::Display::fmt(&Error::from(other.clone()), f),
        }
    }
}

impl std::error::Error for DeliveryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeliveryError::Transaction(t) => Some(t),
            _ => None,
        }
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Refusal::Fatal(e) => Some(e.as_ref()),
            Refusal::Transaction(t) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_map_to_their_operation_and_back() {
        let timeout = Error::DeliveryTimeout {
            after: Duration::from_secs(120),
            may_have_persisted: true,
            last_error: Some(ErrorCode::NOT_ENOUGH_REPLICAS),
        };
        let d = DeliveryError::from_internal(timeout.clone());
        assert!(d.may_have_persisted());
        assert_eq!(d.to_string(), timeout.to_string());
        assert_eq!(Error::from(d), timeout);

        let full = Error::BufferFull {
            waited: Duration::from_millis(60_000),
        };
        let r = Refusal::from_internal(full.clone());
        assert_eq!(
            r,
            Refusal::BufferFull {
                waited: Duration::from_millis(60_000)
            }
        );
        assert_eq!(Error::from(r), full);
        // A fatal state refuses with its cause as the source.
        let fatal = Refusal::from_internal(Error::Fatal("fenced".into()));
        let source = std::error::Error::source(&fatal).expect("source");
        assert_eq!(source.to_string(), "fatal producer error: fenced");
        // Something a delivery cannot be is reported as fatal, not lost.
        let odd = DeliveryError::from_internal(Error::Partitioner("x".into()));
        assert!(matches!(odd, DeliveryError::Fatal(_)));
    }
}
