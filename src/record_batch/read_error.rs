//! What a malformed record batch is: shared by the header layout and the
//! reader (each reads parts of a batch), so that neither imports the other
//! for it.

use super::compression::CompressionError;
use crate::protocol::DecodeError;
use std::fmt;

/// A malformed batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The bytes ended early, a varint or length was invalid, or bytes were
    /// left over inside a record or after the last record.
    Decode(DecodeError),
    /// The magic byte is not 2.
    BadMagic(i8),
    /// `batch_length` is shorter than the fixed header, or (for
    /// [`set_producer_state`](super::set_producer_state)) does not match the
    /// buffer.
    BadBatchLength(i32),
    /// The stored CRC-32C does not match the bytes.
    CrcMismatch {
        /// The CRC in the header.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// The attributes name codec 5, 6 or 7.
    UnknownCodec(u8),
    /// The record count is negative.
    BadRecordCount(i32),
    /// The records could not be decompressed (codec unavailable, corrupt,
    /// or over the decompression budget).
    Compression(CompressionError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Decode(e) => write!(f, "malformed record batch: {e}"),
            ReadError::BadMagic(m) => write!(f, "record batch magic {m}, expected 2"),
            ReadError::BadBatchLength(l) => write!(f, "invalid batch length {l}"),
            ReadError::CrcMismatch { stored, computed } => write!(
                f,
                "record batch CRC mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            ReadError::UnknownCodec(c) => write!(f, "unknown compression codec {c}"),
            ReadError::BadRecordCount(n) => write!(f, "invalid record count {n}"),
            ReadError::Compression(e) => write!(f, "record batch decompression: {e}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Decode(e) => Some(e),
            ReadError::Compression(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for ReadError {
    fn from(e: DecodeError) -> Self {
        ReadError::Decode(e)
    }
}

impl From<CompressionError> for ReadError {
    fn from(e: CompressionError) -> Self {
        ReadError::Compression(e)
    }
}
