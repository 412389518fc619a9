//! A synchronous, thread-based, pure-Rust Apache Kafka producer.
//!
//! Caller threads call [`Producer::send`]; the record is serialized,
//! partitioned (Java-compatible murmur2) and appended to a per-partition batch
//! in a bounded buffer. One sender thread per producer multiplexes every
//! broker connection with `mio`, sends Produce requests, retries, and
//! completes a [`DeliveryHandle`] per record. No async runtime.
//!
//! See `DESIGN.md` for the path of a record and the threads and locks.
#![deny(missing_docs)]
// The one exception: `getnameinfo` for `client.dns.lookup`'s reverse
// lookups (src/net/resolver.rs), which std does not offer.
#![deny(unsafe_code)]

pub(crate) mod accumulator;
pub mod config;
mod delivery;
mod error;
pub(crate) mod hash;
mod interceptor;
pub(crate) mod log_context;
pub(crate) mod metadata;
pub mod metrics;
pub mod partitioner;
mod producer;
pub(crate) mod random;
mod record;
pub(crate) mod sender;
pub(crate) mod sequence;
pub mod serializer;
pub mod transaction;

// The layers below the producer: the clock, the network, the wire protocol
// and the record-batch codec. They are public only so that the crate's own
// fuzz targets, benches and tests reach them; they are not part of the API
// (hidden from the docs, and they may change in any release).
#[doc(hidden)]
pub mod clock;
#[doc(hidden)]
pub mod net;
#[doc(hidden)]
pub mod protocol;
#[doc(hidden)]
pub mod record_batch;

pub use config::{Acks, ProducerConfig};
pub use delivery::DeliveryHandle;
pub use error::{ConfigError, DeliveryError, Error, FlushError, Refusal, SendError};
pub use interceptor::ProducerInterceptor;
pub use metrics::{Metric, MetricsSnapshot, ProducerMetrics};
pub use net::sasl::{OAuthToken, Password, SaslMechanism, TokenProvider, UnsecuredTokenProvider};
pub use producer::{Producer, ProducerBuilder};
pub use protocol::ErrorCode;
pub use record::{Header, PartitionInfo, ProducerRecord, RecordMetadata, Topic};
pub use record_batch::Compression;
pub use transaction::{ConsumerGroupMetadata, TransactionError, TransactionErrorKind};
