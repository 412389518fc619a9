//! The tests' broker harnesses, shared through `#[path]`: tansu, and the
//! real Kafka cluster (`kafka`, with the modules it builds on).
#![allow(dead_code, unused_imports)]

#[path = "../../tests/common/kafka.rs"]
pub mod kafka;
#[path = "../../tests/common/node.rs"]
pub mod node;
#[path = "../../tests/common/proxy.rs"]
pub mod proxy;
#[path = "../../tests/common/raw.rs"]
pub mod raw;
#[path = "../../tests/common/tansu.rs"]
pub mod tansu;
