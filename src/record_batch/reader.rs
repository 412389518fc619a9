//! Reading v2 batches back into records, for tests and tools.
//!
//! The reader checks everything it can (magic, lengths, CRC, record count,
//! that every record and the records section are consumed exactly) and never
//! panics. Allocations are bounded by the input, except decompression, which
//! is bounded by a budget shared by all the batches of one call.

use super::compression::{decompress, Compression};
use super::layout::{BatchHeader, ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE};
pub use super::read_error::ReadError;
use super::Header;
use crate::protocol::{DecodeError, Reader};

/// The default decompression budget of [`read_batches`]: 64 MiB of
/// decompressed records per call, all batches together.
pub const DEFAULT_MAX_DECOMPRESSED: usize = 64 << 20;

/// The smallest encoded record: length, attributes, two deltas, key, value
/// and header count, one byte each.
const MIN_RECORD_SIZE: usize = 7;

/// One record as read from a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record attributes (unused by Kafka so far; 0).
    pub attributes: i8,
    /// Offset relative to the batch's base offset.
    pub offset_delta: i32,
    /// Timestamp relative to the batch's base timestamp.
    pub timestamp_delta: i64,
    /// Absolute timestamp: base timestamp + delta.
    pub timestamp: i64,
    /// The key, `None` if null.
    pub key: Option<Vec<u8>>,
    /// The value, `None` if null (a tombstone).
    pub value: Option<Vec<u8>>,
    /// The headers, in order.
    pub headers: Vec<Header>,
}

/// One batch as read: its fixed header and its decoded records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    /// The fixed header fields.
    pub header: BatchHeader,
    /// The records, decompressed and decoded.
    pub records: Vec<Record>,
}

impl RecordBatch {
    /// The batch's codec (always a known one once read).
    pub fn compression(&self) -> Compression {
        self.header.compression().unwrap_or_default()
    }
}

/// Reads one or more concatenated batches, with the default decompression
/// budget ([`DEFAULT_MAX_DECOMPRESSED`]).
///
/// # Examples
///
/// ```
/// use kafka_sync::record_batch::{read_batches, BatchOptions, BatchWriter, ReadError};
///
/// let mut w = BatchWriter::new();
/// w.append(7, Some(b"k"), None, &[]);
/// let mut bytes = w.finish(&BatchOptions::default()).unwrap();
/// assert_eq!(read_batches(&bytes).unwrap()[0].records[0].value, None);
/// let last = bytes.len() - 1;
/// bytes[last] ^= 1;
/// assert!(matches!(read_batches(&bytes), Err(ReadError::CrcMismatch { .. })));
/// ```
pub fn read_batches(bytes: &[u8]) -> Result<Vec<RecordBatch>, ReadError> {
    read_batches_with_limit(bytes, DEFAULT_MAX_DECOMPRESSED)
}

/// Reads one or more concatenated batches; compressed batches may
/// decompress to at most `max_decompressed` bytes in total. Every byte of
/// `bytes` must belong to a complete batch.
pub fn read_batches_with_limit(
    bytes: &[u8],
    max_decompressed: usize,
) -> Result<Vec<RecordBatch>, ReadError> {
    let mut batches = Vec::new();
    let mut rest = bytes;
    let mut budget = max_decompressed;
    while !rest.is_empty() {
        let header = BatchHeader::parse(rest)?;
        let total = header.total_size();
        let batch = rest.get(..total).ok_or(DecodeError::Truncated {
            needed: total,
            remaining: rest.len(),
        })?;
        let computed = crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..]);
        if computed != header.crc {
            return Err(ReadError::CrcMismatch {
                stored: header.crc,
                computed,
            });
        }
        let codec = header
            .compression()
            .ok_or(ReadError::UnknownCodec((header.attributes & 0x7) as u8))?;
        if header.record_count < 0 {
            return Err(ReadError::BadRecordCount(header.record_count));
        }
        let section = &batch[BATCH_HEADER_SIZE..];
        let records = if codec == Compression::None {
            read_records(section, &header)?
        } else {
            let data = decompress(codec, section, budget)?;
            budget -= data.len();
            read_records(&data, &header)?
        };
        batches.push(RecordBatch { header, records });
        rest = &rest[total..];
    }
    Ok(batches)
}

fn read_records(data: &[u8], h: &BatchHeader) -> Result<Vec<Record>, ReadError> {
    let mut r = Reader::new(data);
    let count = h.record_count as usize;
    let mut records = Vec::with_capacity(count.min(data.len() / MIN_RECORD_SIZE));
    for _ in 0..count {
        let len = r.varint()?;
        let len = usize::try_from(len).map_err(|_| DecodeError::InvalidLength(len.into()))?;
        let mut b = Reader::new(r.take(len)?);
        let attributes = b.i8()?;
        let timestamp_delta = b.varlong()?;
        let offset_delta = b.varint()?;
        let key = var_bytes(&mut b)?.map(<[u8]>::to_vec);
        let value = var_bytes(&mut b)?.map(<[u8]>::to_vec);
        let n = b.varint()?;
        let n = usize::try_from(n).map_err(|_| DecodeError::InvalidLength(n.into()))?;
        // Each header takes at least two bytes.
        let mut headers = Vec::with_capacity(n.min(b.remaining() / 2));
        for _ in 0..n {
            let key = var_bytes(&mut b)?.ok_or(DecodeError::UnexpectedNull("header key"))?;
            let key = std::str::from_utf8(key).map_err(|_| DecodeError::InvalidUtf8)?;
            let value = var_bytes(&mut b)?.map(<[u8]>::to_vec);
            headers.push(Header {
                key: key.to_owned(),
                value,
            });
        }
        b.finish()?;
        records.push(Record {
            attributes,
            offset_delta,
            timestamp_delta,
            timestamp: h.base_timestamp.wrapping_add(timestamp_delta),
            key,
            value,
            headers,
        });
    }
    r.finish()?;
    Ok(records)
}

/// Zigzag-length-prefixed bytes; -1 is null.
fn var_bytes<'a>(r: &mut Reader<'a>) -> Result<Option<&'a [u8]>, DecodeError> {
    match r.varint()? {
        -1 => Ok(None),
        n if n < 0 => Err(DecodeError::InvalidLength(n.into())),
        n => Ok(Some(r.take(n as usize)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_batch::{BatchOptions, BatchWriter};

    fn sample_batch(codec: Compression) -> Vec<u8> {
        let mut w = BatchWriter::new();
        let h = [Header::new("h1", "x"), Header::new("h2", vec![0u8; 3])];
        for i in 0..20u8 {
            let key = [i; 4];
            let key = (i % 3 != 0).then_some(&key[..]);
            w.append(
                1_000 + i as i64,
                key,
                Some(&[i; 30]),
                &h[..(i % 3) as usize],
            );
        }
        w.finish(&BatchOptions::idempotent(3, 1, 10).with_compression(codec))
            .unwrap()
    }

    #[test]
    fn concatenated_batches_and_trailing_bytes() {
        let a = sample_batch(Compression::None);
        let b = sample_batch(Compression::Snappy);
        let mut both = a.clone();
        both.extend_from_slice(&b);
        let read = read_batches(&both).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].records, read[1].records);
        assert_eq!(read[1].compression(), Compression::Snappy);
        assert_eq!(read[0].records[19].offset_delta, 19);
        both.push(0);
        assert!(matches!(
            read_batches(&both),
            Err(ReadError::Decode(DecodeError::Truncated { .. }))
        ));
        assert_eq!(read_batches(&[]).unwrap(), vec![]);
    }

    /// Re-seals a modified batch with a valid CRC so that checks after the
    /// CRC are exercised.
    fn reseal(mut b: Vec<u8>) -> Vec<u8> {
        let crc = crc32c::crc32c(&b[ATTRIBUTES_OFFSET..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        b
    }

    #[test]
    fn structural_errors() {
        let good = sample_batch(Compression::None);
        let mut b = good.clone();
        b[16] = 1;
        assert_eq!(read_batches(&b), Err(ReadError::BadMagic(1)));
        let mut b = good.clone();
        b[22] |= 7;
        assert_eq!(read_batches(&reseal(b)), Err(ReadError::UnknownCodec(7)));
        let mut b = good.clone();
        b[57..61].copy_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(read_batches(&reseal(b)), Err(ReadError::BadRecordCount(-1)));
        for count in [19i32, 21, i32::MAX] {
            let mut b = good.clone();
            b[57..61].copy_from_slice(&count.to_be_bytes());
            assert!(matches!(
                read_batches(&reseal(b)),
                Err(ReadError::Decode(_))
            ));
        }
        let mut b = good.clone();
        b[8..12].copy_from_slice(&48i32.to_be_bytes());
        assert_eq!(read_batches(&b), Err(ReadError::BadBatchLength(48)));
        // A compressed batch over the decompression budget.
        let z = sample_batch(Compression::Snappy);
        assert!(matches!(
            read_batches_with_limit(&z, 100),
            Err(ReadError::Compression(
                crate::record_batch::CompressionError::OutputTooLarge { .. }
            ))
        ));
        let mut two = z.clone();
        two.extend_from_slice(&z);
        let need = decompress(Compression::Snappy, &z[61..], usize::MAX)
            .unwrap()
            .len();
        assert!(read_batches_with_limit(&z, need).is_ok());
        assert!(read_batches_with_limit(&z, need - 1).is_err());
        assert!(read_batches_with_limit(&two, 2 * need).is_ok());
        assert!(
            read_batches_with_limit(&two, 2 * need - 1).is_err(),
            "budget is shared"
        );
    }

    #[test]
    fn prefixes_and_bit_flips_never_panic() {
        for codec in Compression::ALL {
            if !codec.is_available() {
                continue;
            }
            let good = sample_batch(codec);
            for cut in 1..good.len() {
                assert!(read_batches(&good[..cut]).is_err(), "{codec} prefix {cut}");
            }
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            for _ in 0..3000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut b = good.clone();
                for k in 0..1 + (x % 3) as usize {
                    let bit = (x >> (8 * k + 8)) as usize % (b.len() * 8);
                    b[bit / 8] ^= 1 << (bit % 8);
                }
                let _ = read_batches(&b);
                // Also past the CRC, into the decoders.
                let _ = read_batches(&reseal(b));
            }
        }
    }
}
