//! The 61-byte fixed header of a v2 batch: field offsets, parsing, writing,
//! and patching the producer fields of a finished batch.

use super::compression::Compression;
use super::read_error::ReadError;
use crate::protocol::DecodeError;

/// Size of the fixed batch header; records start at this offset.
pub const BATCH_HEADER_SIZE: usize = 61;

pub(crate) const LENGTH_OFFSET: usize = 8;
pub(crate) const MAGIC_OFFSET: usize = 16;
pub(crate) const CRC_OFFSET: usize = 17;
/// The CRC covers everything from the attributes to the end of the batch.
pub(crate) const ATTRIBUTES_OFFSET: usize = 21;
pub(crate) const PRODUCER_ID_OFFSET: usize = 43;
pub(crate) const RECORDS_COUNT_OFFSET: usize = 57;
/// `batch_length` counts the bytes after itself.
pub(crate) const LENGTH_FIELD_END: usize = 12;

/// The batch format this crate writes and reads.
pub(crate) const MAGIC: i8 = 2;

pub(crate) const TIMESTAMP_TYPE_BIT: i16 = 1 << 3;
pub(crate) const TRANSACTIONAL_BIT: i16 = 1 << 4;
pub(crate) const CONTROL_BIT: i16 = 1 << 5;

/// The fixed fields of a v2 batch, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record (0 from a producer; assigned by the broker).
    pub base_offset: i64,
    /// Bytes after the `batch_length` field.
    pub batch_length: i32,
    /// Partition leader epoch (-1 from a producer).
    pub partition_leader_epoch: i32,
    /// Format version; always 2 here.
    pub magic: i8,
    /// Stored CRC-32C of bytes 21..end.
    pub crc: u32,
    /// Codec, timestamp type, transactional and control bits.
    pub attributes: i16,
    /// Offset delta of the last record (record count - 1 from a producer).
    pub last_offset_delta: i32,
    /// Timestamp of the first record; record timestamps are deltas from it.
    pub base_timestamp: i64,
    /// Largest record timestamp.
    pub max_timestamp: i64,
    /// Producer id, -1 when not idempotent.
    pub producer_id: i64,
    /// Producer epoch, -1 when not idempotent.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 when not idempotent.
    pub base_sequence: i32,
    /// Number of records.
    pub record_count: i32,
}

fn be<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[at..at + N]);
    a
}

impl BatchHeader {
    /// Parses the fixed header at the start of `bytes` (which may hold more
    /// batches after this one). Checks the magic byte and that
    /// `batch_length` covers the header, not the CRC nor that the input
    /// holds the whole batch.
    pub fn parse(bytes: &[u8]) -> Result<BatchHeader, ReadError> {
        if bytes.len() < BATCH_HEADER_SIZE {
            return Err(ReadError::Decode(DecodeError::Truncated {
                needed: BATCH_HEADER_SIZE,
                remaining: bytes.len(),
            }));
        }
        let h = BatchHeader {
            base_offset: i64::from_be_bytes(be(bytes, 0)),
            batch_length: i32::from_be_bytes(be(bytes, LENGTH_OFFSET)),
            partition_leader_epoch: i32::from_be_bytes(be(bytes, 12)),
            magic: bytes[MAGIC_OFFSET] as i8,
            crc: u32::from_be_bytes(be(bytes, CRC_OFFSET)),
            attributes: i16::from_be_bytes(be(bytes, ATTRIBUTES_OFFSET)),
            last_offset_delta: i32::from_be_bytes(be(bytes, 23)),
            base_timestamp: i64::from_be_bytes(be(bytes, 27)),
            max_timestamp: i64::from_be_bytes(be(bytes, 35)),
            producer_id: i64::from_be_bytes(be(bytes, PRODUCER_ID_OFFSET)),
            producer_epoch: i16::from_be_bytes(be(bytes, 51)),
            base_sequence: i32::from_be_bytes(be(bytes, 53)),
            record_count: i32::from_be_bytes(be(bytes, RECORDS_COUNT_OFFSET)),
        };
        if h.magic != MAGIC {
            return Err(ReadError::BadMagic(h.magic));
        }
        if h.batch_length < (BATCH_HEADER_SIZE - LENGTH_FIELD_END) as i32 {
            return Err(ReadError::BadBatchLength(h.batch_length));
        }
        Ok(h)
    }

    /// The whole batch's size in bytes (`batch_length` + 12).
    pub fn total_size(&self) -> usize {
        self.batch_length.max(0) as usize + LENGTH_FIELD_END
    }

    /// The codec, or `None` for an unknown code (5–7).
    pub fn compression(&self) -> Option<Compression> {
        Compression::from_attributes(self.attributes)
    }

    /// Whether the batch belongs to a transaction.
    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    /// Whether the batch holds control records (transaction markers).
    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// Whether timestamps are log-append times (set by the broker) rather
    /// than create times.
    pub fn has_log_append_time(&self) -> bool {
        self.attributes & TIMESTAMP_TYPE_BIT != 0
    }
}

/// The header fields a writer fills in, in wire order from `attributes`.
pub(crate) struct HeaderFields {
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

/// Fills the 61-byte header of `batch` (whose records are already in place)
/// and computes its CRC. `batch.len()` must be at least the header size.
pub(crate) fn write_header(batch: &mut [u8], f: &HeaderFields) {
    let batch_length = (batch.len() - LENGTH_FIELD_END) as i32;
    let h = &mut batch[..BATCH_HEADER_SIZE];
    h[0..8].copy_from_slice(&0i64.to_be_bytes());
    h[8..12].copy_from_slice(&batch_length.to_be_bytes());
    h[12..16].copy_from_slice(&(-1i32).to_be_bytes());
    h[MAGIC_OFFSET] = MAGIC as u8;
    h[21..23].copy_from_slice(&f.attributes.to_be_bytes());
    h[23..27].copy_from_slice(&f.last_offset_delta.to_be_bytes());
    h[27..35].copy_from_slice(&f.base_timestamp.to_be_bytes());
    h[35..43].copy_from_slice(&f.max_timestamp.to_be_bytes());
    h[43..51].copy_from_slice(&f.producer_id.to_be_bytes());
    h[51..53].copy_from_slice(&f.producer_epoch.to_be_bytes());
    h[53..57].copy_from_slice(&f.base_sequence.to_be_bytes());
    h[57..61].copy_from_slice(&f.record_count.to_be_bytes());
    let crc = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
    batch[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
}

/// Rewrites the producer id, epoch and base sequence of one finished batch
/// (a retry after an epoch bump, or re-sequencing) and updates its CRC.
///
/// `batch` must be exactly one v2 batch. The CRC is updated incrementally
/// from the old one (CRC-32C is affine, so only the 14 changed bytes and the
/// length of the rest matter): it costs O(log n) rather than a pass over the
/// records, and a batch that was already corrupt stays detectably corrupt
/// instead of getting a fresh, valid CRC.
///
/// # Examples
///
/// ```
/// use kafka_sync::record_batch::{set_producer_state, BatchHeader, BatchOptions, BatchWriter};
///
/// let mut w = BatchWriter::new();
/// w.append(0, None, Some(b"v"), &[]);
/// let mut batch = w.finish(&BatchOptions::idempotent(7, 0, 40)).unwrap();
/// set_producer_state(&mut batch, 7, 1, 0).unwrap();
/// let h = BatchHeader::parse(&batch).unwrap();
/// assert_eq!((h.producer_epoch, h.base_sequence), (1, 0));
/// ```
pub fn set_producer_state(
    batch: &mut [u8],
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
) -> Result<(), ReadError> {
    let h = BatchHeader::parse(batch)?;
    if h.total_size() != batch.len() {
        return Err(ReadError::BadBatchLength(h.batch_length));
    }
    const END: usize = RECORDS_COUNT_OFFSET;
    let old = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..END]);
    batch[43..51].copy_from_slice(&producer_id.to_be_bytes());
    batch[51..53].copy_from_slice(&producer_epoch.to_be_bytes());
    batch[53..57].copy_from_slice(&base_sequence.to_be_bytes());
    let new = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..END]);
    // For equal-length messages crc(a) ^ crc(b) depends only on a ^ b, and
    // appending n bytes to both maps the difference through the same linear
    // shift, which `crc32c_combine(diff, 0, n)` computes.
    let shift = crc32c::crc32c_combine(old ^ new, 0, batch.len() - END);
    let crc = h.crc ^ shift;
    batch[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_with(len: usize) -> Vec<u8> {
        let mut b: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        write_header(
            &mut b,
            &HeaderFields {
                attributes: 0,
                last_offset_delta: 0,
                base_timestamp: 5,
                max_timestamp: 5,
                producer_id: -1,
                producer_epoch: -1,
                base_sequence: -1,
                record_count: 1,
            },
        );
        b
    }

    #[test]
    fn incremental_crc_equals_full_recompute() {
        for len in [61, 62, 100, 4096, 70_001] {
            let mut b = batch_with(len);
            for (pid, epoch, seq) in [(0, 0, 0), (i64::MAX, i16::MIN, -1), (42, 3, 1 << 30)] {
                set_producer_state(&mut b, pid, epoch, seq).unwrap();
                let h = BatchHeader::parse(&b).unwrap();
                assert_eq!(
                    (h.producer_id, h.producer_epoch, h.base_sequence),
                    (pid, epoch, seq)
                );
                assert_eq!(h.crc, crc32c::crc32c(&b[ATTRIBUTES_OFFSET..]), "len {len}");
            }
        }
    }

    #[test]
    fn corruption_survives_a_patch() {
        let mut b = batch_with(500);
        b[300] ^= 0x10;
        set_producer_state(&mut b, 1, 2, 3).unwrap();
        let h = BatchHeader::parse(&b).unwrap();
        assert_ne!(h.crc, crc32c::crc32c(&b[ATTRIBUTES_OFFSET..]));
    }

    #[test]
    fn patch_rejects_what_is_not_one_batch() {
        let b = batch_with(100);
        assert!(set_producer_state(&mut b.clone()[..60], 1, 1, 1).is_err());
        let mut two = b.clone();
        two.extend_from_slice(&b);
        assert!(set_producer_state(&mut two, 1, 1, 1).is_err());
        let mut magic = b.clone();
        magic[MAGIC_OFFSET] = 1;
        assert_eq!(
            set_producer_state(&mut magic, 1, 1, 1),
            Err(ReadError::BadMagic(1))
        );
        let mut short = b.clone();
        short[8..12].copy_from_slice(&10i32.to_be_bytes());
        assert_eq!(
            set_producer_state(&mut short, 1, 1, 1),
            Err(ReadError::BadBatchLength(10))
        );
    }
}
