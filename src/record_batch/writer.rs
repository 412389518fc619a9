//! The hot-path batch writer: records are appended, uncompressed, to one
//! growing buffer behind a reserved 61-byte header, which `finish` fills in.

use super::compression::{compress_into_level, compressed_bound, Compression, CompressionError};
use super::layout::{
    write_header, HeaderFields, BATCH_HEADER_SIZE, LENGTH_FIELD_END, TRANSACTIONAL_BIT,
};
use super::Header;
use crate::protocol::Put;

/// How [`BatchWriter::finish`] seals a batch: codec and producer fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// The codec for the records section.
    pub compression: Compression,
    /// The codec's level (`compression.<codec>.level`, see
    /// [`Compression::level_range`]); `None` for its default level.
    pub compression_level: Option<i32>,
    /// Producer id, -1 when not idempotent.
    pub producer_id: i64,
    /// Producer epoch, -1 when not idempotent.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 when not idempotent.
    pub base_sequence: i32,
    /// Sets the transactional attribute bit.
    pub transactional: bool,
}

impl Default for BatchOptions {
    /// No compression, not idempotent (-1 / -1 / -1), not transactional.
    fn default() -> Self {
        BatchOptions {
            compression: Compression::None,
            compression_level: None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
        }
    }
}

impl BatchOptions {
    /// Options for an idempotent producer, without compression.
    pub fn idempotent(producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        BatchOptions {
            producer_id,
            producer_epoch,
            base_sequence,
            ..BatchOptions::default()
        }
    }

    /// The same options with `compression` at its default level.
    pub fn with_compression(self, compression: Compression) -> Self {
        self.with_compression_level(compression, None)
    }

    /// The same options with `compression` at `level` (`None`: the codec's
    /// default level).
    pub fn with_compression_level(self, compression: Compression, level: Option<i32>) -> Self {
        BatchOptions {
            compression,
            compression_level: level,
            ..self
        }
    }
}

/// Builds one RecordBatch v2.
///
/// Records are encoded as they are appended into a single `Vec<u8>` that
/// starts with the 61 header bytes reserved; [`finish`](Self::finish) fills
/// the header in place (no compression: zero copies) or compresses the
/// records section behind a fresh header.
///
/// The first record's timestamp is the batch's base timestamp; later records
/// store a delta from it, which may be negative.
///
/// # Examples
///
/// ```
/// use kafka_sync::record_batch::{BatchOptions, BatchWriter, Compression, Header};
///
/// let mut w = BatchWriter::with_capacity(16 * 1024);
/// let h = [Header::new("trace", "abc")];
/// let added = w.append(1_000, Some(b"key"), Some(b"value"), &h);
/// assert!(added <= BatchWriter::record_size_upper_bound(3, 5, &h));
/// assert_eq!(w.record_count(), 1);
/// let batch = w.finish(&BatchOptions::idempotent(1, 0, 0)).unwrap();
/// assert_eq!(batch.len(), 61 + added);
/// ```
#[derive(Debug, Clone)]
pub struct BatchWriter {
    buf: Vec<u8>,
    record_count: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    /// Set by [`compress`](Self::compress): the codec of the records
    /// section and its size before compression.
    compressed: Option<(Compression, usize)>,
}

impl Default for BatchWriter {
    fn default() -> Self {
        BatchWriter::new()
    }
}

#[inline]
fn zigzag32(v: i32) -> u64 {
    ((v << 1) ^ (v >> 31)) as u32 as u64
}

#[inline]
fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Bytes of the LEB128 encoding of `z`.
#[inline]
fn uvarint_len(z: u64) -> usize {
    (64 - (z | 1).leading_zeros() as usize).div_ceil(7)
}

/// Bytes of a zigzag length prefix for `len` bytes (or -1 for `None`).
#[inline]
fn len_prefix(len: Option<usize>) -> usize {
    match len {
        None => 1,
        Some(n) => uvarint_len((n as u64) << 1),
    }
}

fn headers_size(headers: &[Header]) -> u64 {
    let mut size = len_prefix(Some(headers.len())) as u64;
    for h in headers {
        size += (len_prefix(Some(h.key.len())) + h.key.len()) as u64;
        let v = h.value.as_ref().map(Vec::len);
        size += (len_prefix(v) + v.unwrap_or(0)) as u64;
    }
    size
}

/// Encoded size of everything after `attributes` except the two deltas.
#[inline]
fn payload_size(key: Option<usize>, value: Option<usize>, headers: &[Header]) -> u64 {
    let k = (len_prefix(key) + key.unwrap_or(0)) as u64;
    let v = (len_prefix(value) + value.unwrap_or(0)) as u64;
    k + v + headers_size(headers)
}

/// Size of a whole record whose body (after the length field) is `body` bytes.
#[inline]
fn with_length_prefix(body: u64) -> u64 {
    uvarint_len(body << 1) as u64 + body
}

impl BatchWriter {
    /// An empty writer with no capacity beyond the header.
    pub fn new() -> Self {
        BatchWriter::from_buffer(Vec::new())
    }

    /// An empty writer whose buffer holds `capacity` bytes (header
    /// included) before it grows: pass the target batch size.
    pub fn with_capacity(capacity: usize) -> Self {
        BatchWriter::from_buffer(Vec::with_capacity(capacity.max(BATCH_HEADER_SIZE)))
    }

    /// An empty writer reusing `buf`'s allocation (its contents are cleared).
    pub fn from_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
        buf.resize(BATCH_HEADER_SIZE, 0);
        BatchWriter {
            buf,
            record_count: 0,
            base_timestamp: -1,
            max_timestamp: -1,
            compressed: None,
        }
    }

    /// Number of records appended.
    pub fn record_count(&self) -> usize {
        self.record_count as usize
    }

    /// Whether no record was appended.
    pub fn is_empty(&self) -> bool {
        self.record_count == 0
    }

    /// The batch size so far, uncompressed: header plus records. A
    /// compressed batch is usually smaller; an incompressible one may be a
    /// few bytes larger (codec framing).
    pub fn size_in_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The batch size before compression (header plus records); the same
    /// as [`size_in_bytes`](Self::size_in_bytes) until
    /// [`compress`](Self::compress).
    pub fn uncompressed_size(&self) -> usize {
        self.compressed.map_or(self.buf.len(), |(_, n)| n)
    }

    /// Whether [`compress`](Self::compress) closed the writer.
    pub fn is_compressed(&self) -> bool {
        self.compressed.is_some()
    }

    /// The buffer's capacity in bytes, for memory accounting.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The base timestamp (the first record's), if any record was appended.
    pub fn base_timestamp(&self) -> Option<i64> {
        (!self.is_empty()).then_some(self.base_timestamp)
    }

    /// The largest timestamp appended so far.
    pub fn max_timestamp(&self) -> Option<i64> {
        (!self.is_empty()).then_some(self.max_timestamp)
    }

    /// The records section as encoded so far (uncompressed).
    pub fn records(&self) -> &[u8] {
        &self.buf[BATCH_HEADER_SIZE..]
    }

    /// An upper bound of what [`append`](Self::append) adds for a record
    /// with a key of `key_len` bytes, a value of `value_len` bytes (pass 0
    /// for a null key or value) and `headers`, whatever its timestamp and
    /// position: exact except for the timestamp and offset deltas, which are
    /// counted at their largest (10 and 5 bytes).
    pub fn record_size_upper_bound(key_len: usize, value_len: usize, headers: &[Header]) -> usize {
        Self::upper_bound_of(payload_size(Some(key_len), Some(value_len), headers))
    }

    /// The encoded size of a record's key, value and headers (everything
    /// but its length, attributes and deltas), for
    /// [`upper_bound_of`](Self::upper_bound_of) and
    /// [`append_sized`](Self::append_sized), worked out once per record.
    #[inline]
    pub fn payload_size(key: Option<&[u8]>, value: Option<&[u8]>, headers: &[Header]) -> u64 {
        payload_size(key.map(<[u8]>::len), value.map(<[u8]>::len), headers)
    }

    /// [`record_size_upper_bound`](Self::record_size_upper_bound) of a
    /// record whose [`payload_size`](Self::payload_size) is `payload`.
    #[inline]
    pub fn upper_bound_of(payload: u64) -> usize {
        with_length_prefix(1 + 10 + 5 + payload) as usize
    }

    /// Exactly what [`append`](Self::append) would add for this record now.
    pub fn encoded_record_size(
        &self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> usize {
        let payload = Self::payload_size(key, value, headers);
        with_length_prefix(self.body_size(timestamp_ms, payload)) as usize
    }

    /// The body of a record at `timestamp_ms` appended now whose payload
    /// (see [`payload_size`](Self::payload_size)) is `payload` bytes.
    #[inline]
    fn body_size(&self, timestamp_ms: i64, payload: u64) -> u64 {
        let base = if self.is_empty() {
            timestamp_ms
        } else {
            self.base_timestamp
        };
        1 + uvarint_len(zigzag64(timestamp_ms.wrapping_sub(base))) as u64
            + uvarint_len(zigzag32(self.record_count)) as u64
            + payload
    }

    /// Appends one record and returns the number of bytes it added.
    ///
    /// # Panics
    ///
    /// If the encoded record exceeds `i32::MAX` bytes, which the wire format
    /// cannot express (callers bound records by `max.request.size` first).
    #[inline]
    pub fn append(
        &mut self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
    ) -> usize {
        let payload = Self::payload_size(key, value, headers);
        self.append_sized(timestamp_ms, key, value, headers, payload)
    }

    /// [`append`](Self::append) of a record whose
    /// [`payload_size`](Self::payload_size) is `payload` (worked out once
    /// for the size checks before it).
    ///
    /// # Panics
    ///
    /// As `append`; a wrong `payload` gives a corrupt batch (checked in
    /// debug builds).
    #[inline]
    pub fn append_sized(
        &mut self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[Header],
        payload: u64,
    ) -> usize {
        debug_assert_eq!(payload, Self::payload_size(key, value, headers));
        assert!(
            self.compressed.is_none(),
            "BatchWriter::append after compress"
        );
        if self.record_count == 0 {
            self.base_timestamp = timestamp_ms;
            self.max_timestamp = timestamp_ms;
        } else if timestamp_ms > self.max_timestamp {
            self.max_timestamp = timestamp_ms;
        }
        let body = self.body_size(timestamp_ms, payload);
        assert!(
            body <= i32::MAX as u64,
            "record of {body} bytes is too large"
        );
        let total = with_length_prefix(body) as usize;
        let buf = &mut self.buf;
        buf.reserve(total);

        // The fixed-shape prefix goes through a stack buffer: one copy.
        let mut head = [0u8; 32];
        let mut n = put_uvarint(&mut head, 0, body << 1);
        head[n] = 0; // attributes
        n += 1;
        n = put_uvarint(
            &mut head,
            n,
            zigzag64(timestamp_ms.wrapping_sub(self.base_timestamp)),
        );
        n = put_uvarint(&mut head, n, zigzag32(self.record_count));
        n = put_uvarint(&mut head, n, key.map_or(1, |k| (k.len() as u64) << 1));
        buf.extend_from_slice(&head[..n]);
        if let Some(k) = key {
            buf.extend_from_slice(k);
        }
        put_nullable(buf, value);
        buf.put_varint(headers.len() as i32);
        for h in headers {
            buf.put_varint(h.key.len() as i32);
            buf.extend_from_slice(h.key.as_bytes());
            put_nullable(buf, h.value.as_deref());
        }
        self.record_count += 1;
        total
    }

    /// Seals the batch: fills in the header and its CRC-32C.
    ///
    /// Without compression the header is written in place and the buffer
    /// returned as is. With a codec, the records section is compressed
    /// straight behind a new header in one allocation sized to the codec's
    /// bound (then shrunk); the uncompressed buffer is dropped.
    ///
    /// An empty writer gives a batch with no records (last offset delta and
    /// timestamps -1), which brokers reject: do not send it.
    ///
    /// # Errors
    ///
    /// [`CompressionError::Unavailable`] if the codec's feature is off,
    /// [`CompressionError::InvalidLevel`] for a level out of the codec's
    /// range, and [`CompressionError::InputTooLarge`] if the batch would exceed
    /// `i32::MAX` bytes; the records are lost with the writer, so check
    /// [`Compression::is_available`] before appending.
    pub fn finish(self, options: &BatchOptions) -> Result<Vec<u8>, CompressionError> {
        let BatchWriter {
            mut buf,
            record_count,
            base_timestamp,
            max_timestamp,
            compressed,
        } = self;
        // Compressed already: the codec it was compressed with.
        let codec = compressed.map_or(options.compression, |(c, _)| c);
        let mut attributes = i16::from(codec.code());
        if options.transactional {
            attributes |= TRANSACTIONAL_BIT;
        }
        let fields = HeaderFields {
            attributes,
            last_offset_delta: record_count - 1,
            base_timestamp,
            max_timestamp,
            producer_id: options.producer_id,
            producer_epoch: options.producer_epoch,
            base_sequence: options.base_sequence,
            record_count,
        };
        let too_large = |len: usize| len - LENGTH_FIELD_END > i32::MAX as usize;
        if too_large(buf.len()) {
            let len = buf.len();
            return Err(CompressionError::InputTooLarge { codec, len });
        }
        if codec == Compression::None || compressed.is_some() {
            write_header(&mut buf, &fields);
            return Ok(buf);
        }
        let mut out = compress_records(&buf, codec, options.compression_level)?;
        write_header(&mut out, &fields);
        Ok(out)
    }

    /// Compresses the records section now (the writer takes no more
    /// records), so that [`finish`](Self::finish) only writes the header:
    /// the producer compresses a batch in the thread that filled it, off
    /// the sender thread. `finish` then uses `codec` whatever its options
    /// say. Returns the uncompressed buffer, for reuse. `Compression::None`
    /// or a second call does nothing (and returns `None`).
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish); the writer is unchanged then.
    pub fn compress(
        &mut self,
        codec: Compression,
        level: Option<i32>,
    ) -> Result<Option<Vec<u8>>, CompressionError> {
        if codec == Compression::None || self.compressed.is_some() {
            return Ok(None);
        }
        let out = compress_records(&self.buf, codec, level)?;
        self.compressed = Some((codec, self.buf.len()));
        Ok(Some(std::mem::replace(&mut self.buf, out)))
    }
}

/// `buf` (header space and records) with its records section compressed
/// behind fresh header space, in one allocation sized to the codec's bound
/// (then shrunk).
fn compress_records(
    buf: &[u8],
    codec: Compression,
    level: Option<i32>,
) -> Result<Vec<u8>, CompressionError> {
    let too_large = |len: usize| len - LENGTH_FIELD_END > i32::MAX as usize;
    if too_large(buf.len()) {
        let len = buf.len();
        return Err(CompressionError::InputTooLarge { codec, len });
    }
    if !codec.is_available() {
        return Err(CompressionError::Unavailable(codec));
    }
    let records = &buf[BATCH_HEADER_SIZE..];
    let mut out = Vec::with_capacity(BATCH_HEADER_SIZE + compressed_bound(codec, records.len()));
    out.resize(BATCH_HEADER_SIZE, 0);
    let level = level.or(codec.default_level());
    compress_into_level(codec, level.unwrap_or(0), records, &mut out)?;
    if too_large(out.len()) {
        let len = out.len();
        return Err(CompressionError::InputTooLarge { codec, len });
    }
    out.shrink_to_fit();
    Ok(out)
}

/// Writes `v` as LEB128 into `buf` at `at`; returns the new position.
#[inline(always)]
fn put_uvarint(buf: &mut [u8; 32], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        buf[at] = v as u8 | 0x80;
        v >>= 7;
        at += 1;
    }
    buf[at] = v as u8;
    at + 1
}

#[inline]
fn put_nullable(buf: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => buf.put_varint(-1),
        Some(b) => {
            buf.put_varint(b.len() as i32);
            buf.extend_from_slice(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_batch::read_batches;

    /// One record, key "k", value "v", no headers, every byte by hand.
    #[test]
    fn golden_tiny_batch() {
        let mut w = BatchWriter::new();
        let added = w.append(0x0102_0304_0506, Some(b"k"), Some(b"v"), &[]);
        assert_eq!(added, 9);
        let batch = w.finish(&BatchOptions::default()).unwrap();
        #[rustfmt::skip]
        let mut expected = vec![
            0, 0, 0, 0, 0, 0, 0, 0,             // base_offset 0
            0, 0, 0, 58,                        // batch_length = 70 - 12
            0xff, 0xff, 0xff, 0xff,             // partition_leader_epoch -1
            2,                                  // magic
            0, 0, 0, 0,                         // crc, filled below
            0, 0,                               // attributes
            0, 0, 0, 0,                         // last_offset_delta 0
            0, 0, 1, 2, 3, 4, 5, 6,             // base_timestamp
            0, 0, 1, 2, 3, 4, 5, 6,             // max_timestamp
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producer_id -1
            0xff, 0xff,                         // producer_epoch -1
            0xff, 0xff, 0xff, 0xff,             // base_sequence -1
            0, 0, 0, 1,                         // records_count 1
            // record: length 8 (zigzag 16), attributes 0, timestamp delta 0,
            // offset delta 0, key length 1 (zigzag 2) "k", value length 1 "v",
            // header count 0
            16, 0, 0, 0, 2, b'k', 2, b'v', 0,
        ];
        let crc = crc32c::crc32c(&expected[21..]);
        expected[17..21].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(batch, expected);
    }

    type Case<'a> = (i64, Option<&'a [u8]>, Option<&'a [u8]>, &'a [Header]);

    #[test]
    fn sizes_are_exact_and_bounded() {
        let headers = [
            Header::new("a", vec![1u8; 200]),
            Header {
                key: "null".into(),
                value: None,
            },
        ];
        let mut w = BatchWriter::new();
        let cases: &[Case] = &[
            (1000, None, None, &[]),
            (-5_000_000_000_000, Some(&[9; 64]), None, &headers),
            (i64::MAX, Some(b""), Some(&[7; 20_000]), &[]),
            (i64::MIN, None, Some(b"x"), &headers[1..]),
        ];
        for _ in 0..200 {
            for &(ts, k, v, h) in cases {
                let exact = w.encoded_record_size(ts, k, v, h);
                let bound = BatchWriter::record_size_upper_bound(
                    k.map_or(0, <[u8]>::len),
                    v.map_or(0, <[u8]>::len),
                    h,
                );
                let before = w.size_in_bytes();
                assert_eq!(w.append(ts, k, v, h), exact);
                assert_eq!(w.size_in_bytes() - before, exact);
                assert!(exact <= bound && bound <= exact + 14, "{exact} {bound}");
            }
        }
        assert_eq!(w.record_count(), 800);
        assert_eq!(w.base_timestamp(), Some(1000));
        assert_eq!(w.max_timestamp(), Some(i64::MAX));
        let batch = w.finish(&BatchOptions::default()).unwrap();
        let read = read_batches(&batch).unwrap();
        let r = &read[0].records;
        assert_eq!(r.len(), 800);
        assert_eq!(r[1].timestamp, -5_000_000_000_000);
        assert_eq!(r[3].timestamp, i64::MIN);
        assert_eq!(r[799].offset_delta, 799);
        assert_eq!(r[1].headers, headers);
    }

    #[test]
    fn empty_and_reused_writers() {
        let w = BatchWriter::with_capacity(10);
        assert!(w.is_empty() && w.capacity() >= BATCH_HEADER_SIZE);
        assert_eq!((w.base_timestamp(), w.size_in_bytes()), (None, 61));
        let empty = w.finish(&BatchOptions::default()).unwrap();
        let read = read_batches(&empty).unwrap();
        assert_eq!(read[0].header.last_offset_delta, -1);
        assert_eq!(read[0].header.base_timestamp, -1);
        assert!(read[0].records.is_empty());

        let mut w = BatchWriter::from_buffer(vec![0xee; 4096]);
        assert_eq!(w.size_in_bytes(), 61);
        assert!(w.capacity() >= 4096);
        w.append(5, None, Some(b"again"), &[]);
        let batch = w.finish(&BatchOptions::default()).unwrap();
        assert_eq!(read_batches(&batch).unwrap()[0].records[0].timestamp, 5);
    }

    #[test]
    fn negative_deltas_and_flags() {
        let mut w = BatchWriter::new();
        w.append(100, None, Some(b"a"), &[]);
        w.append(40, None, Some(b"b"), &[]);
        w.append(250, None, Some(b"c"), &[]);
        let opts = BatchOptions {
            transactional: true,
            ..BatchOptions::idempotent(9, 2, 77)
        };
        let b = &read_batches(&w.finish(&opts).unwrap()).unwrap()[0];
        let h = &b.header;
        assert_eq!((h.base_timestamp, h.max_timestamp), (100, 250));
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.base_sequence),
            (9, 2, 77)
        );
        assert!(h.is_transactional() && !h.is_control() && !h.has_log_append_time());
        assert_eq!(h.last_offset_delta, 2);
        let ts: Vec<i64> = b.records.iter().map(|r| r.timestamp).collect();
        assert_eq!(ts, [100, 40, 250]);
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn the_level_reaches_the_codec() {
        let mut w = BatchWriter::new();
        for i in 0..2000u32 {
            let value = format!("record {} of a compressible batch", i % 50);
            w.append(1, None, Some(value.as_bytes()), &[]);
        }
        let finish = |level| {
            let opts = BatchOptions::default().with_compression_level(Compression::Gzip, level);
            w.clone().finish(&opts)
        };
        let (fast, best, default) = (finish(Some(1)), finish(Some(9)), finish(None));
        let (fast, best, default) = (fast.unwrap(), best.unwrap(), default.unwrap());
        assert!(fast.len() > best.len(), "{} vs {}", fast.len(), best.len());
        assert_eq!(default, finish(Some(-1)).unwrap());
        assert_eq!(read_batches(&best).unwrap()[0].records.len(), 2000);
        assert_eq!(
            finish(Some(10)),
            Err(CompressionError::InvalidLevel {
                codec: Compression::Gzip,
                level: 10
            })
        );
    }

    #[test]
    fn unavailable_codec_is_an_error() {
        for c in Compression::ALL {
            let mut w = BatchWriter::new();
            w.append(1, None, Some(b"x"), &[]);
            let r = w.finish(&BatchOptions::default().with_compression(c));
            assert_eq!(r.is_ok(), c.is_available(), "{c}");
            if !c.is_available() {
                assert_eq!(r, Err(CompressionError::Unavailable(c)));
            }
        }
    }

    /// Compressing early (the appending thread) and stamping later (the
    /// sender) gives the same bytes as compressing while stamping.
    #[test]
    fn compress_then_finish_equals_finish_with_the_codec() {
        for c in Compression::ALL.into_iter().filter(|c| c.is_available()) {
            let mut w = BatchWriter::with_capacity(16 * 1024);
            for i in 0..300u32 {
                let value = format!("record {} of a compressible batch", i % 17);
                w.append(i64::from(i), Some(b"k"), Some(value.as_bytes()), &[]);
            }
            let opts = BatchOptions::idempotent(7, 1, 42).with_compression(c);
            let direct = w.clone().finish(&opts).unwrap();
            let size = w.size_in_bytes();
            let mut early = w.clone();
            let old = early.compress(c, None).unwrap();
            assert_eq!(old.is_some(), c != Compression::None, "{c}");
            assert_eq!(early.uncompressed_size(), size);
            assert_eq!(early.is_compressed(), c != Compression::None);
            assert_eq!(early.compress(c, None).unwrap(), None, "once");
            // The stamp's options may omit the codec: it is the batch's.
            let stamped = early.finish(&BatchOptions::idempotent(7, 1, 42)).unwrap();
            assert_eq!(stamped, direct, "{c}");
            assert_eq!(read_batches(&stamped).unwrap()[0].records.len(), 300);
        }
    }

    #[cfg(feature = "gzip")]
    #[test]
    #[should_panic(expected = "append after compress")]
    fn no_append_after_compress() {
        let mut w = BatchWriter::new();
        w.append(1, None, Some(b"x"), &[]);
        w.compress(Compression::Gzip, None).unwrap();
        w.append(1, None, Some(b"y"), &[]);
    }
}
