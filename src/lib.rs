//! A synchronous, thread-based, pure-Rust Apache Kafka producer.
#![deny(missing_docs)]

pub mod clock;
pub mod config;
pub mod error;
pub mod protocol;
pub mod record;
pub mod record_batch;

pub use config::{Acks, ProducerConfig};
pub use error::{ConfigError, Error, SendError};
pub use record::{Header, PartitionInfo, ProducerRecord, RecordMetadata};
pub use record_batch::Compression;
