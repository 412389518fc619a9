//! A synchronous, thread-based, pure-Rust Apache Kafka producer.
//!
//! Caller threads call [`Producer::send`]; the record is serialized,
//! partitioned (Java-compatible murmur2) and appended to a per-partition batch
//! in a bounded buffer. One sender thread per producer multiplexes every
//! broker connection with `mio`, sends Produce requests, retries, and
//! completes a [`DeliveryHandle`] per record. No async runtime.
//!
//! # Quick start
//!
//! The README's quick start (a test keeps the two the same):
//!
//! ```no_run
//! use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
//! use std::time::Duration;
//!
//! let config = ProducerConfig::builder()
//!     .bootstrap_servers("localhost:9092")
//!     .set("linger.ms", "10") // Java property names work too
//!     .build()?;
//! let producer: Producer<String, String> = Producer::new(config)?;
//!
//! // Synchronous: block until the broker acknowledged the record.
//! let md = producer
//!     .send(ProducerRecord::new("events", "hello".to_string()).key("user-1".to_string()))?
//!     .wait()?;
//! println!("written to {}[{}] at offset {}", md.topic, md.partition, md.offset);
//!
//! // Asynchronous: the callback runs once, on the sender thread (keep it quick).
//! producer.send_with_callback(ProducerRecord::new("events", "world".to_string()), |result| {
//!     if let Err(e) = result {
//!         eprintln!("delivery failed: {e}");
//!     }
//! })?;
//!
//! producer.flush()?; // wait for everything sent so far
//! producer.close(Duration::from_secs(10));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
pub(crate) mod partition_load;
pub mod partitioner;
mod producer;
pub(crate) mod random;
mod record;
mod route;
pub(crate) mod sasl;
pub(crate) mod sender;
pub(crate) mod sequence;
pub mod serializer;
pub mod transaction;
pub(crate) mod wait;

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
pub use producer::{Producer, ProducerBuilder};
pub use protocol::ErrorCode;
pub use record::{Header, PartitionInfo, ProducerRecord, RecordMetadata, Topic};
pub use record_batch::Compression;
pub use sasl::{OAuthToken, Password, SaslMechanism, TokenProvider, UnsecuredTokenProvider};
pub use transaction::{ConsumerGroupMetadata, TransactionError, TransactionErrorKind};

#[cfg(test)]
mod readme_tests {
    /// The crate docs' quick start is the README's, line for line.
    #[test]
    fn the_crate_docs_quick_start_is_the_readmes() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```rust\n")
            .expect("a rust block in the README")
            + 8;
        let end = start + readme[start..].find("```").expect("its end");
        let lib = include_str!("lib.rs");
        for line in readme[start..end].lines() {
            let doc = format!("//! {line}");
            assert!(
                lib.contains(doc.trim_end()),
                "not in the crate docs: {line}"
            );
        }
    }
}
