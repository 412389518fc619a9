//! The five record-batch codecs: attribute codes, names, and the compress /
//! decompress functions used by the writer and the reader.
//!
//! # Wire formats
//!
//! - gzip: one gzip member (flate2; level 6 unless a level 1–9 is given,
//!   like the Java client's `compression.gzip.level`).
//! - snappy: written as **one raw snappy block**, like librdkafka, franz-go and
//!   rskafka; read both raw and the xerial "snappy-java" framing of the Java
//!   client. Google's stream framing (`0xff sNaPpY`) is never used.
//! - lz4: the standard LZ4 frame (magic `0x184D2204`) with a correct header
//!   checksum, 64 KiB independent blocks, no block or content checksum: the
//!   frame the Java client's `KafkaLZ4BlockOutputStream` writes for magic 2.
//! - zstd: one standard zstd frame through libzstd with the `zstd` feature,
//!   at level 3 (Kafka's and librdkafka's default) or the level given
//!   (`compression.zstd.level`, -131072 to 22); with `zstd-pure` instead,
//!   through ruzstd's fastest level (about zstd level 1) whatever the level.
//!
//! # Levels
//!
//! [`compress_into_level`] takes a level with the Java client's meaning
//! (`compression.gzip.level`, `compression.lz4.level`,
//! `compression.zstd.level`; see [`Compression::level_range`] and
//! [`Compression::default_level`]). lz4_flex has a single (fast) mode, so an
//! lz4 level is checked but does not change the output; none and snappy have
//! no levels.
//!
//! # Implementation notes
//!
//! Compressors append to the caller's vector so that the writer can compress
//! straight behind the reserved 61-byte batch header. Decompressors never
//! produce more than the caller's limit: streaming decoders read through
//! `Read::take(limit + 1)`, block formats check their declared length first.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

/// A record-batch compression codec (attribute bits 0–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression (code 0).
    #[default]
    None,
    /// gzip (code 1).
    Gzip,
    /// Snappy (code 2).
    Snappy,
    /// LZ4 frame (code 3).
    Lz4,
    /// Zstandard (code 4); needs Produce v7+ (Kafka 2.1+).
    Zstd,
}

impl Compression {
    /// Every codec, in attribute-code order.
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// The code stored in the low three bits of the batch attributes.
    pub const fn code(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec with attribute code `code`, if it is one of the five.
    pub const fn from_code(code: u8) -> Option<Compression> {
        match code {
            0 => Some(Compression::None),
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Snappy),
            3 => Some(Compression::Lz4),
            4 => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The codec named by the low three bits of batch `attributes`.
    pub const fn from_attributes(attributes: i16) -> Option<Compression> {
        Compression::from_code((attributes & 0x7) as u8)
    }

    /// The name used by the `compression.type` setting.
    pub const fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The levels `compression.<codec>.level` accepts, as the Java client:
    /// gzip 1–9 (and -1, its default), lz4 1–17, zstd -131072–22; `None`
    /// for none and snappy, which have no levels.
    pub const fn level_range(self) -> Option<(i32, i32)> {
        match self {
            Compression::Gzip => Some((1, 9)),
            Compression::Lz4 => Some((1, 17)),
            Compression::Zstd => Some((ZSTD_MIN_LEVEL, 22)),
            Compression::None | Compression::Snappy => None,
        }
    }

    /// The Java client's default level: gzip -1 (the codec's own default,
    /// 6), lz4 9, zstd 3; `None` for none and snappy.
    pub const fn default_level(self) -> Option<i32> {
        match self {
            Compression::Gzip => Some(-1),
            Compression::Lz4 => Some(9),
            Compression::Zstd => Some(3),
            Compression::None | Compression::Snappy => None,
        }
    }

    /// Whether `level` is a valid level of this codec (any level is, for
    /// none and snappy, which ignore it).
    pub const fn is_valid_level(self, level: i32) -> bool {
        match self.level_range() {
            None => true,
            Some((min, max)) => {
                (min <= level && level <= max) || matches!(self, Compression::Gzip) && level == -1
            }
        }
    }

    /// Whether this build can compress and decompress with the codec: false
    /// when its cargo feature (`gzip`, `lz4`, `zstd` or `zstd-pure`) is off.
    pub const fn is_available(self) -> bool {
        match self {
            Compression::None | Compression::Snappy => true,
            Compression::Gzip => cfg!(feature = "gzip"),
            Compression::Lz4 => cfg!(feature = "lz4"),
            Compression::Zstd => cfg!(any(feature = "zstd", feature = "zstd-pure")),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Compression`] from a name other than
/// `none`, `gzip`, `snappy`, `lz4` or `zstd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseCompressionError(pub String);

impl fmt::Display for ParseCompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown compression type {:?} (expected none, gzip, snappy, lz4 or zstd)",
            self.0
        )
    }
}

impl std::error::Error for ParseCompressionError {}

impl FromStr for Compression {
    type Err = ParseCompressionError;

    /// Parses `none`, `gzip`, `snappy`, `lz4` or `zstd`, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Compression::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseCompressionError(s.to_owned()))
    }
}

/// The lowest zstd level (libzstd's `ZSTD_minCLevel()`, and the Java
/// client's bound).
const ZSTD_MIN_LEVEL: i32 = -131_072;

/// A compression or decompression failure. Never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompressionError {
    /// The codec's cargo feature is off in this build.
    Unavailable(Compression),
    /// The input is too large for the codec's format.
    InputTooLarge {
        /// The codec.
        codec: Compression,
        /// The input length.
        len: usize,
    },
    /// Decompressing would produce more than the allowed number of bytes.
    OutputTooLarge {
        /// The codec.
        codec: Compression,
        /// The limit that was hit.
        limit: usize,
    },
    /// The level is outside [`Compression::level_range`].
    InvalidLevel {
        /// The codec.
        codec: Compression,
        /// The level given.
        level: i32,
    },
    /// The codec reported an error (corrupt input, internal failure).
    Codec {
        /// The codec.
        codec: Compression,
        /// The codec's message.
        message: String,
    },
}

impl CompressionError {
    fn codec(codec: Compression, e: impl fmt::Display) -> Self {
        CompressionError::Codec {
            codec,
            message: e.to_string(),
        }
    }
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompressionError::Unavailable(c) => {
                write!(f, "{c} compression is not enabled in this build")
            }
            CompressionError::InputTooLarge { codec, len } => {
                write!(f, "{len} bytes is too large for {codec}")
            }
            CompressionError::OutputTooLarge { codec, limit } => {
                write!(f, "{codec} data decompresses to more than {limit} bytes")
            }
            CompressionError::InvalidLevel { codec, level } => {
                write!(f, "{level} is not a {codec} compression level")
            }
            CompressionError::Codec { codec, message } => write!(f, "{codec}: {message}"),
        }
    }
}

impl std::error::Error for CompressionError {}

/// Compresses `input` with `codec` at its default level
/// ([`Compression::default_level`]) and appends the result to `out`.
/// [`Compression::None`] appends `input` unchanged.
pub fn compress_into(
    codec: Compression,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    compress_into_level(codec, codec.default_level().unwrap_or(0), input, out)
}

/// Compresses `input` with `codec` at `level` (the Java client's levels, see
/// [`Compression::level_range`]; ignored by none and snappy, checked but
/// without effect for lz4, and for zstd with `zstd-pure`) and appends the
/// result to `out`. A level outside the range is
/// [`CompressionError::InvalidLevel`].
pub fn compress_into_level(
    codec: Compression,
    level: i32,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CompressionError> {
    if !codec.is_valid_level(level) {
        return Err(CompressionError::InvalidLevel { codec, level });
    }
    match codec {
        Compression::None => {
            out.extend_from_slice(input);
            Ok(())
        }
        Compression::Snappy => snappy_compress(input, out),
        #[cfg(feature = "gzip")]
        Compression::Gzip => gzip_compress(input, level, out),
        #[cfg(feature = "lz4")]
        Compression::Lz4 => lz4_compress(input, out),
        #[cfg(feature = "zstd")]
        Compression::Zstd => zstd_compress(input, level, out),
        #[cfg(all(feature = "zstd-pure", not(feature = "zstd")))]
        Compression::Zstd => zstd_pure_compress_into(input, out),
        #[allow(unreachable_patterns)]
        c => Err(CompressionError::Unavailable(c)),
    }
}

/// A capacity that holds the compressed form of `len` bytes in the common
/// case (exact worst case for snappy, lz4 and zstd).
pub(crate) fn compressed_bound(codec: Compression, len: usize) -> usize {
    match codec {
        Compression::None => len,
        Compression::Snappy => snap::raw::max_compress_len(len).max(len + len / 6 + 32),
        #[cfg(feature = "lz4")]
        Compression::Lz4 => lz4_bound(len),
        // deflate stored blocks cost 5 bytes per 64 KiB; zstd's bound is
        // len + len/256 + < 64.
        _ => len + len / 128 + 128,
    }
}

/// Decompresses `input` (the records section of a batch) with `codec`,
/// failing with [`CompressionError::OutputTooLarge`] rather than producing
/// more than `limit` bytes. Snappy accepts both a raw block and the xerial
/// framing.
pub fn decompress(
    codec: Compression,
    input: &[u8],
    limit: usize,
) -> Result<Vec<u8>, CompressionError> {
    match codec {
        Compression::None => {
            if input.len() > limit {
                return Err(CompressionError::OutputTooLarge { codec, limit });
            }
            Ok(input.to_vec())
        }
        Compression::Snappy => snappy_decompress(input, limit),
        #[cfg(feature = "gzip")]
        Compression::Gzip => read_limited(codec, flate2::read::MultiGzDecoder::new(input), limit),
        #[cfg(feature = "lz4")]
        Compression::Lz4 => read_limited(codec, lz4_flex::frame::FrameDecoder::new(input), limit),
        #[cfg(feature = "zstd")]
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| CompressionError::codec(codec, e))?;
            read_limited(codec, dec, limit)
        }
        #[cfg(all(feature = "zstd-pure", not(feature = "zstd")))]
        Compression::Zstd => zstd_pure_decompress(input, limit),
        #[allow(unreachable_patterns)]
        c => Err(CompressionError::Unavailable(c)),
    }
}

/// Reads `r` to the end, failing once more than `limit` bytes come out.
#[allow(dead_code)] // unused when every streaming codec is disabled
fn read_limited(
    codec: Compression,
    r: impl Read,
    limit: usize,
) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    r.take(cap)
        .read_to_end(&mut out)
        .map_err(|e| CompressionError::codec(codec, e))?;
    if out.len() > limit {
        return Err(CompressionError::OutputTooLarge { codec, limit });
    }
    Ok(out)
}

// ---------------------------------------------------------------- snappy

/// The xerial "snappy-java" stream magic.
pub(crate) const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];

fn snappy_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let codec = Compression::Snappy;
    let bound = snap::raw::max_compress_len(input.len());
    if bound == 0 {
        return Err(CompressionError::InputTooLarge {
            codec,
            len: input.len(),
        });
    }
    let start = out.len();
    out.resize(start + bound, 0);
    let n = snap::raw::Encoder::new()
        .compress(input, &mut out[start..])
        .map_err(|e| CompressionError::codec(codec, e))?;
    out.truncate(start + n);
    Ok(())
}

fn snappy_decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, CompressionError> {
    let mut out = Vec::new();
    match input.strip_prefix(&XERIAL_MAGIC[..]) {
        None => snappy_block(input, &mut out, limit)?,
        Some(rest) => {
            // Two int32 fields (version, minimum compatible version), then blocks.
            let mut rest = rest.get(8..).ok_or_else(|| {
                CompressionError::codec(Compression::Snappy, "truncated xerial header")
            })?;
            while !rest.is_empty() {
                let len = rest
                    .get(..4)
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .filter(|&len| len <= rest.len() - 4)
                    .ok_or_else(|| {
                        CompressionError::codec(Compression::Snappy, "bad xerial block length")
                    })?;
                snappy_block(&rest[4..4 + len], &mut out, limit)?;
                rest = &rest[4 + len..];
            }
        }
    }
    Ok(out)
}

/// Appends one raw snappy block to `out`, checking its declared length
/// against `limit` before allocating.
fn snappy_block(block: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), CompressionError> {
    let codec = Compression::Snappy;
    let len = snap::raw::decompress_len(block).map_err(|e| CompressionError::codec(codec, e))?;
    if len > limit - out.len() {
        return Err(CompressionError::OutputTooLarge { codec, limit });
    }
    let start = out.len();
    out.resize(start + len, 0);
    let n = snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| CompressionError::codec(codec, e))?;
    out.truncate(start + n);
    Ok(())
}

// ---------------------------------------------------------------- gzip

/// Writes one gzip member at `level` (1–9; -1 is flate2's default, 6).
#[cfg(feature = "gzip")]
fn gzip_compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), CompressionError> {
    use std::io::Write;
    let codec = Compression::Gzip;
    let level = match u32::try_from(level) {
        Ok(l) => flate2::Compression::new(l),
        Err(_) => flate2::Compression::default(),
    };
    let mut enc = flate2::write::GzEncoder::new(out, level);
    enc.write_all(input)
        .map_err(|e| CompressionError::codec(codec, e))?;
    enc.finish()
        .map_err(|e| CompressionError::codec(codec, e))?;
    Ok(())
}

// ---------------------------------------------------------------- lz4

/// LZ4 frame header: magic, FLG = version 01 + block independence, BD =
/// 64 KiB blocks, then the header checksum `(xxh32(FLG BD) >> 8) & 0xff`.
/// A test checks it against the header lz4_flex writes for the same settings.
#[cfg(feature = "lz4")]
pub(crate) const LZ4_FRAME_HEADER: [u8; 7] = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];

#[cfg(feature = "lz4")]
const LZ4_BLOCK: usize = 64 * 1024;

#[cfg(feature = "lz4")]
fn lz4_bound(len: usize) -> usize {
    let blocks = len.div_ceil(LZ4_BLOCK).max(1);
    LZ4_FRAME_HEADER.len()
        + 4
        + blocks * 4
        + len
        + (lz4_flex::block::get_maximum_output_size(LZ4_BLOCK) - LZ4_BLOCK) * blocks
}

/// Writes the frame block by block with lz4_flex's block compressor, straight
/// into `out`: no staging buffer and no per-call hash table allocation, which
/// the streaming `FrameEncoder` needs.
#[cfg(feature = "lz4")]
fn lz4_compress(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    let codec = Compression::Lz4;
    out.reserve(lz4_bound(input.len()));
    out.extend_from_slice(&LZ4_FRAME_HEADER);
    for chunk in input.chunks(LZ4_BLOCK) {
        let start = out.len();
        let bound = lz4_flex::block::get_maximum_output_size(chunk.len());
        out.resize(start + 4 + bound, 0);
        let n = lz4_flex::block::compress_into(chunk, &mut out[start + 4..])
            .map_err(|e| CompressionError::codec(codec, e))?;
        if n < chunk.len() {
            out[start..start + 4].copy_from_slice(&(n as u32).to_le_bytes());
            out.truncate(start + 4 + n);
        } else {
            // Incompressible: store it, flagged by the high bit of the size.
            let size = chunk.len() as u32 | 0x8000_0000;
            out[start..start + 4].copy_from_slice(&size.to_le_bytes());
            out.truncate(start + 4);
            out.extend_from_slice(chunk);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // end mark
    Ok(())
}

// ---------------------------------------------------------------- zstd

/// Writes one zstd frame at `level` through libzstd.
#[cfg(feature = "zstd")]
fn zstd_compress(input: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), CompressionError> {
    use std::cell::RefCell;
    thread_local! {
        // A compression context is a few hundred KiB: keep one per thread,
        // with the level it is set to.
        static CCTX: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
            const { RefCell::new(None) };
    }
    let codec = Compression::Zstd;
    let start = out.len();
    out.resize(start + zstd::zstd_safe::compress_bound(input.len()), 0);
    let n = CCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (at, cctx) = match &mut *slot {
            Some(c) => c,
            None => slot.insert((level, zstd::bulk::Compressor::new(level)?)),
        };
        if *at != level {
            cctx.set_compression_level(level)?;
            *at = level;
        }
        cctx.compress_to_buffer(input, &mut out[start..])
    });
    let n = n.map_err(|e| CompressionError::codec(codec, e))?;
    out.truncate(start + n);
    Ok(())
}

/// Compresses `input` with ruzstd (pure Rust, its fastest level, about zstd
/// level 1) and appends one zstd frame to `out`, whichever zstd backend
/// [`compress_into`] uses. Meant for comparing the two backends.
#[cfg(feature = "zstd-pure")]
pub fn zstd_pure_compress_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressionError> {
    ruzstd::encoding::compress(input, out, ruzstd::encoding::CompressionLevel::Fastest);
    Ok(())
}

/// Decompresses one zstd frame with ruzstd, whichever zstd backend
/// [`decompress`] uses; fails beyond `limit` output bytes.
#[cfg(feature = "zstd-pure")]
pub fn zstd_pure_decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, CompressionError> {
    let codec = Compression::Zstd;
    let dec = ruzstd::decoding::StreamingDecoder::new(input)
        .map_err(|e| CompressionError::codec(codec, e))?;
    read_limited(codec, dec, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 3 == 0 {
                    x as u8
                } else {
                    b"kafka records "[i % 14]
                }
            })
            .collect()
    }

    #[test]
    fn codes_names_and_parsing() {
        for (i, c) in Compression::ALL.into_iter().enumerate() {
            assert_eq!(c.code() as usize, i);
            assert_eq!(Compression::from_code(c.code()), Some(c));
            assert_eq!(
                Compression::from_attributes(0x10 | c.code() as i16),
                Some(c)
            );
            assert_eq!(c.name().parse::<Compression>(), Ok(c));
            assert_eq!(c.name().to_uppercase().parse::<Compression>(), Ok(c));
            assert_eq!(c.to_string(), c.name());
        }
        assert_eq!(Compression::from_code(5), None);
        assert!("brotli".parse::<Compression>().is_err());
        assert!("".parse::<Compression>().is_err());
        assert_eq!(Compression::default(), Compression::None);
        assert!(Compression::None.is_available() && Compression::Snappy.is_available());
        assert_eq!(Compression::Gzip.is_available(), cfg!(feature = "gzip"));
    }

    #[test]
    fn round_trip_every_available_codec() {
        for c in Compression::ALL {
            for len in [0, 1, 100, 16 * 1024, 64 * 1024, 200_000] {
                let input = sample(len);
                let mut out = vec![7u8; 3];
                let r = compress_into(c, &input, &mut out);
                if !c.is_available() {
                    assert_eq!(r, Err(CompressionError::Unavailable(c)));
                    assert!(matches!(
                        decompress(c, &out[3..], 1 << 20),
                        Err(CompressionError::Unavailable(_))
                    ));
                    continue;
                }
                r.unwrap();
                assert_eq!(&out[..3], &[7, 7, 7], "{c}: prefix kept");
                let back = decompress(c, &out[3..], len).unwrap();
                assert_eq!(back, input, "{c} len {len}");
                if len > 0 {
                    assert!(matches!(
                        decompress(c, &out[3..], len - 1),
                        Err(CompressionError::OutputTooLarge { .. })
                    ));
                }
                if len >= 16 * 1024 && c != Compression::None {
                    assert!(out.len() - 3 < len, "{c} compresses");
                }
                assert!(out.len() - 3 <= compressed_bound(c, len) || c == Compression::Gzip);
            }
        }
    }

    #[test]
    fn zip_bombs_stop_at_the_limit() {
        let zeros = vec![0u8; 8 << 20];
        for c in Compression::ALL {
            if !c.is_available() || c == Compression::None {
                continue;
            }
            let mut out = Vec::new();
            compress_into(c, &zeros, &mut out).unwrap();
            assert!(out.len() < zeros.len() / 20, "{c}");
            assert_eq!(
                decompress(c, &out, 1 << 20),
                Err(CompressionError::OutputTooLarge {
                    codec: c,
                    limit: 1 << 20
                })
            );
        }
    }

    #[test]
    fn snappy_reads_raw_and_xerial() {
        let input = sample(70_000);
        let mut xerial = XERIAL_MAGIC.to_vec();
        xerial.extend_from_slice(&1i32.to_be_bytes());
        xerial.extend_from_slice(&1i32.to_be_bytes());
        for chunk in input.chunks(32 * 1024) {
            let block = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
            xerial.extend_from_slice(&(block.len() as i32).to_be_bytes());
            xerial.extend_from_slice(&block);
        }
        assert_eq!(
            decompress(Compression::Snappy, &xerial, 1 << 20).unwrap(),
            input
        );
        assert!(decompress(Compression::Snappy, &xerial, 60_000).is_err());
        // Header only: no blocks, empty output.
        assert_eq!(
            decompress(Compression::Snappy, &xerial[..16], 10).unwrap(),
            Vec::<u8>::new()
        );
        for cut in [3, 10, 17, 19, xerial.len() - 1] {
            assert!(decompress(Compression::Snappy, &xerial[..cut], 1 << 20).is_err());
        }
        // What we write is one raw block, never Google's stream framing.
        let mut raw = Vec::new();
        compress_into(Compression::Snappy, &input, &mut raw).unwrap();
        assert_eq!(
            snap::raw::Decoder::new().decompress_vec(&raw).unwrap(),
            input
        );
        assert_ne!(raw[0], 0xff);
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn lz4_frame_matches_lz4_flex() {
        use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};
        use std::io::Write;
        let info = FrameInfo::new()
            .block_size(BlockSize::Max64KB)
            .block_mode(BlockMode::Independent);
        let mut enc = FrameEncoder::with_frame_info(info, Vec::new());
        enc.write_all(b"x").unwrap();
        let theirs = enc.finish().unwrap();
        assert_eq!(&theirs[..7], &LZ4_FRAME_HEADER, "same header and checksum");

        // Compressible, incompressible and multi-block inputs decode with lz4_flex.
        let mut noise = sample(0);
        let mut x = 1u32;
        noise.extend((0..150_000).map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        }));
        for input in [sample(0), sample(5), sample(150_000), noise] {
            let mut ours = Vec::new();
            lz4_compress(&input, &mut ours).unwrap();
            assert_eq!(&ours[..7], &LZ4_FRAME_HEADER);
            assert_eq!(&ours[ours.len() - 4..], &[0, 0, 0, 0]);
            assert!(ours.len() <= lz4_bound(input.len()));
            let mut back = Vec::new();
            FrameDecoder::new(&ours[..]).read_to_end(&mut back).unwrap();
            assert_eq!(back, input);
        }
        // A frame with a wrong header checksum is rejected.
        let mut bad = Vec::new();
        lz4_compress(b"hello hello hello", &mut bad).unwrap();
        bad[6] ^= 1;
        assert!(decompress(Compression::Lz4, &bad, 100).is_err());
    }

    #[cfg(all(feature = "zstd", feature = "zstd-pure"))]
    #[test]
    fn zstd_backends_read_each_other() {
        let input = sample(100_000);
        let mut c = Vec::new();
        zstd_compress(&input, 3, &mut c).unwrap();
        assert_eq!(zstd_pure_decompress(&c, input.len()).unwrap(), input);
        let mut p = Vec::new();
        zstd_pure_compress_into(&input, &mut p).unwrap();
        assert_eq!(
            decompress(Compression::Zstd, &p, input.len()).unwrap(),
            input
        );
        assert!(zstd_pure_decompress(&c, 1000).is_err());
    }

    #[test]
    fn levels_ranges_and_defaults_are_javas() {
        use Compression::*;
        assert_eq!(Gzip.level_range(), Some((1, 9)));
        assert_eq!(Lz4.level_range(), Some((1, 17)));
        assert_eq!(Zstd.level_range(), Some((-131_072, 22)));
        assert_eq!(
            (None.level_range(), Snappy.level_range()),
            (Option::None, Option::None)
        );
        assert_eq!(Gzip.default_level(), Some(-1));
        assert_eq!(Lz4.default_level(), Some(9));
        assert_eq!(Zstd.default_level(), Some(3));
        for c in [Gzip, Lz4, Zstd] {
            assert!(c.is_valid_level(c.default_level().unwrap()), "{c}");
            let (min, max) = c.level_range().unwrap();
            assert!(c.is_valid_level(min) && c.is_valid_level(max));
            assert!(!c.is_valid_level(max + 1) && !c.is_valid_level(min - 1) || c == Gzip);
        }
        assert!(Gzip.is_valid_level(-1) && !Gzip.is_valid_level(0) && !Gzip.is_valid_level(-2));
        assert!(!Gzip.is_valid_level(10) && !Lz4.is_valid_level(0) && !Lz4.is_valid_level(18));
        assert!(Zstd.is_valid_level(0) && !Zstd.is_valid_level(23));
        assert!(None.is_valid_level(12345) && Snappy.is_valid_level(-7));
        let mut out = Vec::new();
        for (c, level) in [
            (Gzip, 0),
            (Gzip, 10),
            (Lz4, 18),
            (Zstd, 23),
            (Zstd, -131_073),
        ] {
            assert_eq!(
                compress_into_level(c, level, b"abc", &mut out),
                Err(CompressionError::InvalidLevel { codec: c, level })
            );
        }
        assert!(out.is_empty());
        let e = CompressionError::InvalidLevel {
            codec: Gzip,
            level: 10,
        };
        assert_eq!(e.to_string(), "10 is not a gzip compression level");
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn gzip_level_changes_the_output() {
        let input = sample(200_000);
        let size = |level| {
            let mut out = Vec::new();
            compress_into_level(Compression::Gzip, level, &input, &mut out).unwrap();
            assert_eq!(
                decompress(Compression::Gzip, &out, input.len()).unwrap(),
                input
            );
            out
        };
        let (fast, default, best) = (size(1), size(-1), size(9));
        assert!(fast.len() > best.len(), "{} vs {}", fast.len(), best.len());
        assert_eq!(default, size(6), "-1 is flate2's default level, 6");
        let mut plain = Vec::new();
        compress_into(Compression::Gzip, &input, &mut plain).unwrap();
        assert_eq!(plain, default, "compress_into uses the default level");
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_level_is_used() {
        let input = sample(200_000);
        let frame = |level| {
            let mut out = Vec::new();
            compress_into_level(Compression::Zstd, level, &input, &mut out).unwrap();
            assert_eq!(
                decompress(Compression::Zstd, &out, input.len()).unwrap(),
                input
            );
            out
        };
        // The thread's context switches levels back and forth.
        let (l3, l19, fast, again) = (frame(3), frame(19), frame(-50), frame(3));
        assert_eq!(l3, again);
        assert!(l19.len() < l3.len(), "{} vs {}", l19.len(), l3.len());
        assert!(fast.len() > l3.len(), "{} vs {}", fast.len(), l3.len());
        assert_eq!(
            l3,
            zstd::bulk::compress(&input, 3).unwrap(),
            "a plain level 3 frame"
        );
        assert_eq!(l19, zstd::bulk::compress(&input, 19).unwrap());
        let mut plain = Vec::new();
        compress_into(Compression::Zstd, &input, &mut plain).unwrap();
        assert_eq!(plain, l3, "compress_into uses level 3");
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn lz4_levels_are_checked_but_fast_always() {
        let input = sample(100_000);
        let mut fast = Vec::new();
        compress_into_level(Compression::Lz4, 1, &input, &mut fast).unwrap();
        let mut high = Vec::new();
        compress_into_level(Compression::Lz4, 17, &input, &mut high).unwrap();
        assert_eq!(fast, high, "lz4_flex has one mode");
    }

    #[test]
    fn garbage_is_an_error() {
        let junk = sample(300);
        for c in Compression::ALL {
            if c == Compression::None {
                continue;
            }
            for cut in 0..40 {
                // Must not panic; any result but a huge allocation is fine.
                let _ = decompress(c, &junk[..cut], 1 << 16);
            }
            assert!(decompress(c, &junk, 1 << 16).is_err(), "{c}");
        }
    }
}
