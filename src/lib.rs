//! A synchronous, thread-based, pure-Rust Apache Kafka producer.
#![deny(missing_docs)]

pub mod protocol;
pub mod record_batch;
