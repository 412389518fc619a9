//! RecordBatch v2 (magic 2, KIP-98): the writer used on the producer's hot
//! path, a reader for tests and tools, and the five compression codecs.
//!
//! A batch is a 61-byte fixed header followed by the records, which are
//! compressed as one block when a codec is set:
//!
//! ```text
//! offset  field                   type
//!      0  base_offset             i64   (a producer sends 0)
//!      8  batch_length            i32   (bytes after this field)
//!     12  partition_leader_epoch  i32   (a producer sends -1)
//!     16  magic                   i8    = 2
//!     17  crc                     u32   CRC-32C of bytes 21..end
//!     21  attributes              i16   codec (bits 0-2), log-append time (3),
//!                                       transactional (4), control (5)
//!     23  last_offset_delta       i32
//!     27  base_timestamp          i64
//!     35  max_timestamp           i64
//!     43  producer_id             i64
//!     51  producer_epoch          i16
//!     53  base_sequence           i32
//!     57  records_count           i32
//!     61  records...
//! ```
//!
//! Each record is `length varint, attributes i8, timestamp_delta varlong,
//! offset_delta varint, key, value, headers`, every varint zigzag-encoded.
//! References: KIP-98 (message format v2, idempotence), KIP-110 (zstd), the
//! `DefaultRecordBatch` and `DefaultRecord` classes of the Java client.
//!
//! # Examples
//!
//! ```
//! use kafka_sync::record_batch::{read_batches, BatchOptions, BatchWriter, Compression};
//!
//! let mut w = BatchWriter::with_capacity(16 * 1024);
//! w.append(1_700_000_000_000, Some(b"k"), Some(b"v"), &[]);
//! let batch = w.finish(&BatchOptions::default()).unwrap();
//! let read = read_batches(&batch).unwrap();
//! assert_eq!(read[0].records[0].value.as_deref(), Some(&b"v"[..]));
//! assert_eq!(read[0].header.compression(), Some(Compression::None));
//! ```

mod compression;
mod layout;
mod read_error;
mod reader;
mod writer;

#[cfg(test)]
mod tests;

pub use compression::{
    compress_into, compress_into_level, decompress, Compression, CompressionError,
    ParseCompressionError,
};
#[cfg(feature = "zstd-pure")]
pub use compression::{zstd_pure_compress_into, zstd_pure_decompress};
pub use layout::{set_producer_state, BatchHeader, BATCH_HEADER_SIZE};
pub use reader::{
    read_batches, read_batches_with_limit, ReadError, Record, RecordBatch, DEFAULT_MAX_DECOMPRESSED,
};
pub use writer::{BatchOptions, BatchWriter};

pub use crate::record::Header;
