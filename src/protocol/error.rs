//! Kafka error codes (placeholder, replaced by the full table).

/// A Kafka error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub i16);
