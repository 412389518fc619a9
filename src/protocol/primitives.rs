//! Kafka wire primitives: fixed-width integers, varints, strings, bytes,
//! arrays and tagged fields, for both the classic and the flexible
//! ("compact") encodings.
//!
//! Writing appends to a `Vec<u8>` through [`Put`]; reading goes through
//! [`Reader`], which never panics and never allocates more than the bytes it
//! has been given could justify, whatever a length prefix claims.
//!
//! # Notes
//!
//! Two different variable-length encodings exist on the wire:
//! - *unsigned* varints (plain LEB128) for compact lengths and tagged fields
//!   of flexible message versions (KIP-482);
//! - *zigzag* varints inside record batches (see `record_batch`).

use std::fmt;

/// A decoding failure. Decoders return this instead of panicking, whatever the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before a value was complete.
    Truncated {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length prefix was negative (where null is not allowed) or larger than the input.
    InvalidLength(i64),
    /// A varint ran over its maximum width.
    VarintTooLong,
    /// A string was not valid UTF-8.
    InvalidUtf8,
    /// A null where the protocol does not allow one.
    UnexpectedNull(&'static str),
    /// Bytes were left after a complete message.
    TrailingBytes(usize),
    /// A field held a value outside its domain.
    InvalidValue(&'static str),
    /// The requested API version is outside what this decoder knows.
    UnsupportedVersion {
        /// The API key.
        api_key: i16,
        /// The version asked for.
        version: i16,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { needed, remaining } => {
                write!(
                    f,
                    "truncated input: needed {needed} bytes, {remaining} left"
                )
            }
            DecodeError::InvalidLength(l) => write!(f, "invalid length {l}"),
            DecodeError::VarintTooLong => f.write_str("varint too long"),
            DecodeError::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            DecodeError::UnexpectedNull(what) => write!(f, "unexpected null {what}"),
            DecodeError::TrailingBytes(n) => write!(f, "{n} trailing bytes after message"),
            DecodeError::InvalidValue(what) => write!(f, "invalid value for {what}"),
            DecodeError::UnsupportedVersion { api_key, version } => {
                write!(f, "api key {api_key} version {version} is not supported")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// An encoding failure: a value that the chosen version cannot carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A string or byte field is longer than its length prefix can express.
    TooLong(&'static str),
    /// A null in a field that is not nullable at this version.
    NullNotAllowed(&'static str),
    /// The API version is outside what this encoder knows.
    UnsupportedVersion {
        /// The API key.
        api_key: i16,
        /// The version asked for.
        version: i16,
    },
    /// A field value that this version cannot express.
    NotRepresentable(&'static str),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong(what) => write!(f, "{what} is too long for its length prefix"),
            EncodeError::NullNotAllowed(what) => write!(f, "{what} cannot be null at this version"),
            EncodeError::UnsupportedVersion { api_key, version } => {
                write!(f, "api key {api_key} version {version} is not supported")
            }
            EncodeError::NotRepresentable(what) => {
                write!(f, "{what} cannot be expressed at this version")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Appending encoders for every primitive, implemented for `Vec<u8>`.
pub trait Put {
    /// int8.
    fn put_i8(&mut self, v: i8);
    /// int16, big-endian.
    fn put_i16(&mut self, v: i16);
    /// uint16, big-endian.
    fn put_u16(&mut self, v: u16);
    /// int32, big-endian.
    fn put_i32(&mut self, v: i32);
    /// uint32, big-endian.
    fn put_u32(&mut self, v: u32);
    /// int64, big-endian.
    fn put_i64(&mut self, v: i64);
    /// float64, big-endian IEEE 754.
    fn put_f64(&mut self, v: f64);
    /// boolean as one byte (0 or 1).
    fn put_bool(&mut self, v: bool);
    /// 16-byte UUID.
    fn put_uuid(&mut self, v: &[u8; 16]);
    /// Unsigned LEB128 varint (compact lengths, tagged fields).
    fn put_uvarint(&mut self, v: u32);
    /// Zigzag varint (record batches).
    fn put_varint(&mut self, v: i32);
    /// Zigzag varlong (record batches).
    fn put_varlong(&mut self, v: i64);
    /// A non-null string, classic (int16 length) or compact.
    fn put_string(
        &mut self,
        s: &str,
        flexible: bool,
        what: &'static str,
    ) -> Result<(), EncodeError>;
    /// A nullable string, classic (int16 length, -1 null) or compact (0 null).
    fn put_nullable_string(
        &mut self,
        s: Option<&str>,
        flexible: bool,
        what: &'static str,
    ) -> Result<(), EncodeError>;
    /// Non-null bytes, classic (int32 length) or compact.
    fn put_bytes(&mut self, b: &[u8], flexible: bool);
    /// Nullable bytes, classic (int32 length, -1 null) or compact (0 null).
    fn put_nullable_bytes(&mut self, b: Option<&[u8]>, flexible: bool);
    /// An array length prefix: int32, or compact (length + 1).
    fn put_array_len(&mut self, len: usize, flexible: bool);
    /// A null array: int32 -1, or compact 0.
    fn put_null_array(&mut self, flexible: bool);
    /// An empty tagged-field section (one zero byte).
    fn put_empty_tagged_fields(&mut self);
    /// A tagged-field section; `fields` must be sorted by tag.
    fn put_tagged_fields(&mut self, fields: &[(u32, Vec<u8>)]);
}

impl Put for Vec<u8> {
    #[inline]
    fn put_i8(&mut self, v: i8) {
        self.push(v as u8);
    }
    #[inline]
    fn put_i16(&mut self, v: i16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_i32(&mut self, v: i32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    #[inline]
    fn put_f64(&mut self, v: f64) {
        self.extend_from_slice(&v.to_bits().to_be_bytes());
    }
    #[inline]
    fn put_bool(&mut self, v: bool) {
        self.push(v as u8);
    }
    #[inline]
    fn put_uuid(&mut self, v: &[u8; 16]) {
        self.extend_from_slice(v);
    }
    #[inline]
    fn put_uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.push(v as u8);
    }
    #[inline]
    fn put_varint(&mut self, v: i32) {
        self.put_uvarint(((v << 1) ^ (v >> 31)) as u32);
    }
    #[inline]
    fn put_varlong(&mut self, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            self.push((z as u8) | 0x80);
            z >>= 7;
        }
        self.push(z as u8);
    }
    fn put_string(
        &mut self,
        s: &str,
        flexible: bool,
        what: &'static str,
    ) -> Result<(), EncodeError> {
        self.put_nullable_string(Some(s), flexible, what)
    }
    fn put_nullable_string(
        &mut self,
        s: Option<&str>,
        flexible: bool,
        what: &'static str,
    ) -> Result<(), EncodeError> {
        match (s, flexible) {
            (None, false) => self.put_i16(-1),
            (None, true) => self.put_uvarint(0),
            (Some(s), false) => {
                let len = i16::try_from(s.len()).map_err(|_| EncodeError::TooLong(what))?;
                self.put_i16(len);
                self.extend_from_slice(s.as_bytes());
            }
            (Some(s), true) => {
                let len = u32::try_from(s.len())
                    .ok()
                    .filter(|l| *l < i32::MAX as u32)
                    .ok_or(EncodeError::TooLong(what))?;
                self.put_uvarint(len + 1);
                self.extend_from_slice(s.as_bytes());
            }
        }
        Ok(())
    }
    fn put_bytes(&mut self, b: &[u8], flexible: bool) {
        self.put_nullable_bytes(Some(b), flexible)
    }
    fn put_nullable_bytes(&mut self, b: Option<&[u8]>, flexible: bool) {
        match (b, flexible) {
            (None, false) => self.put_i32(-1),
            (None, true) => self.put_uvarint(0),
            (Some(b), false) => {
                self.put_i32(b.len() as i32);
                self.extend_from_slice(b);
            }
            (Some(b), true) => {
                self.put_uvarint(b.len() as u32 + 1);
                self.extend_from_slice(b);
            }
        }
    }
    #[inline]
    fn put_array_len(&mut self, len: usize, flexible: bool) {
        if flexible {
            self.put_uvarint(len as u32 + 1);
        } else {
            self.put_i32(len as i32);
        }
    }
    #[inline]
    fn put_null_array(&mut self, flexible: bool) {
        if flexible {
            self.put_uvarint(0);
        } else {
            self.put_i32(-1);
        }
    }
    #[inline]
    fn put_empty_tagged_fields(&mut self) {
        self.push(0);
    }
    fn put_tagged_fields(&mut self, fields: &[(u32, Vec<u8>)]) {
        self.put_uvarint(fields.len() as u32);
        for (tag, data) in fields {
            self.put_uvarint(*tag);
            self.put_uvarint(data.len() as u32);
            self.extend_from_slice(data);
        }
    }
}

/// A cursor over a received frame. Every read checks bounds first.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

macro_rules! fixed {
    ($name:ident, $t:ty, $n:expr) => {
        #[doc = concat!("Reads a big-endian `", stringify!($t), "`.")]
        #[inline]
        pub fn $name(&mut self) -> Result<$t, DecodeError> {
            let b = self.take($n)?;
            let mut a = [0u8; $n];
            a.copy_from_slice(b);
            Ok(<$t>::from_be_bytes(a))
        }
    };
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Bytes not yet read.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless everything was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.buf.len()))
        }
    }

    /// Takes the next `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated {
                needed: n,
                remaining: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Reads an `i8`.
    #[inline]
    pub fn i8(&mut self) -> Result<i8, DecodeError> {
        Ok(self.take(1)?[0] as i8)
    }

    fixed!(i16, i16, 2);
    fixed!(u16, u16, 2);
    fixed!(i32, i32, 4);
    fixed!(u32, u32, 4);
    fixed!(i64, i64, 8);

    /// Reads a big-endian IEEE 754 `f64`.
    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(self.i64()? as u64))
    }

    /// Reads a boolean (any non-zero byte is true).
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.take(1)?[0] != 0)
    }

    /// Reads a 16-byte UUID.
    pub fn uuid(&mut self) -> Result<[u8; 16], DecodeError> {
        let mut a = [0u8; 16];
        a.copy_from_slice(self.take(16)?);
        Ok(a)
    }

    /// Reads an unsigned LEB128 varint of at most 5 bytes.
    #[inline]
    pub fn uvarint(&mut self) -> Result<u32, DecodeError> {
        let v = self.uvarlong_max(5)?;
        u32::try_from(v).map_err(|_| DecodeError::VarintTooLong)
    }

    fn uvarlong_max(&mut self, max_bytes: usize) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..max_bytes {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::VarintTooLong)
    }

    /// Reads a zigzag varint (record batches).
    #[inline]
    pub fn varint(&mut self) -> Result<i32, DecodeError> {
        let z = self.uvarint()?;
        Ok(((z >> 1) as i32) ^ -((z & 1) as i32))
    }

    /// Reads a zigzag varlong (record batches).
    #[inline]
    pub fn varlong(&mut self) -> Result<i64, DecodeError> {
        let z = self.uvarlong_max(10)?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    /// Reads a length prefix: `None` for null; errors if the length exceeds the input.
    fn length(&mut self, flexible: bool, classic16: bool) -> Result<Option<usize>, DecodeError> {
        let len: i64 = if flexible {
            i64::from(self.uvarint()?) - 1
        } else if classic16 {
            i64::from(self.i16()?)
        } else {
            i64::from(self.i32()?)
        };
        if len == -1 {
            return Ok(None);
        }
        if len < -1 || len as u64 > self.buf.len() as u64 {
            return Err(DecodeError::InvalidLength(len));
        }
        Ok(Some(len as usize))
    }

    /// Reads a nullable string (classic int16 length or compact).
    pub fn nullable_string(&mut self, flexible: bool) -> Result<Option<String>, DecodeError> {
        match self.length(flexible, true)? {
            None => Ok(None),
            Some(n) => {
                let b = self.take(n)?;
                let s = std::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8)?;
                Ok(Some(s.to_owned()))
            }
        }
    }

    /// Reads a non-null string.
    pub fn string(&mut self, flexible: bool, what: &'static str) -> Result<String, DecodeError> {
        self.nullable_string(flexible)?
            .ok_or(DecodeError::UnexpectedNull(what))
    }

    /// Reads nullable bytes (classic int32 length or compact), borrowing from the input.
    pub fn nullable_bytes_ref(&mut self, flexible: bool) -> Result<Option<&'a [u8]>, DecodeError> {
        match self.length(flexible, false)? {
            None => Ok(None),
            Some(n) => Ok(Some(self.take(n)?)),
        }
    }

    /// Reads nullable bytes into an owned vector.
    pub fn nullable_bytes(&mut self, flexible: bool) -> Result<Option<Vec<u8>>, DecodeError> {
        Ok(self.nullable_bytes_ref(flexible)?.map(<[u8]>::to_vec))
    }

    /// Reads non-null bytes.
    pub fn bytes(&mut self, flexible: bool, what: &'static str) -> Result<Vec<u8>, DecodeError> {
        self.nullable_bytes(flexible)?
            .ok_or(DecodeError::UnexpectedNull(what))
    }

    /// Reads an array length: `None` for a null array. A length larger than
    /// the remaining bytes is rejected (every element takes at least one byte),
    /// so no allocation is ever sized from an unchecked prefix.
    pub fn array_len(&mut self, flexible: bool) -> Result<Option<usize>, DecodeError> {
        self.length(flexible, false)
    }

    /// Reads a nullable array whose elements are decoded by `f`.
    pub fn nullable_array<T>(
        &mut self,
        flexible: bool,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<Vec<T>>, DecodeError> {
        match self.array_len(flexible)? {
            None => Ok(None),
            Some(n) => {
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    out.push(f(self)?);
                }
                Ok(Some(out))
            }
        }
    }

    /// Reads a non-null array whose elements are decoded by `f`.
    pub fn array<T>(
        &mut self,
        flexible: bool,
        what: &'static str,
        f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.nullable_array(flexible, f)?
            .ok_or(DecodeError::UnexpectedNull(what))
    }

    /// Reads a tagged-field section. `f(tag, reader)` is called for every
    /// field with a reader limited to that field's bytes; it returns
    /// `Ok(false)` for tags it does not know, which are skipped.
    pub fn tagged_fields(
        &mut self,
        mut f: impl FnMut(u32, &mut Reader<'a>) -> Result<bool, DecodeError>,
    ) -> Result<(), DecodeError> {
        let count = self.uvarint()?;
        if count as usize > self.buf.len() {
            return Err(DecodeError::InvalidLength(i64::from(count)));
        }
        for _ in 0..count {
            let tag = self.uvarint()?;
            let size = self.uvarint()? as usize;
            let mut field = Reader::new(self.take(size)?);
            if f(tag, &mut field)? {
                field.finish()?;
            }
        }
        Ok(())
    }

    /// Skips a tagged-field section, ignoring every field.
    pub fn skip_tagged_fields(&mut self) -> Result<(), DecodeError> {
        self.tagged_fields(|_, _| Ok(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_fixed_ints() {
        let mut b = Vec::new();
        b.put_i8(-2);
        b.put_i16(0x0102);
        b.put_i32(-1);
        b.put_i64(0x0102030405060708);
        assert_eq!(
            b,
            [0xfe, 0x01, 0x02, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]
        );
        let mut r = Reader::new(&b);
        assert_eq!(r.i8().unwrap(), -2);
        assert_eq!(r.i16().unwrap(), 0x0102);
        assert_eq!(r.i32().unwrap(), -1);
        assert_eq!(r.i64().unwrap(), 0x0102030405060708);
        r.finish().unwrap();
    }

    #[test]
    fn golden_unsigned_varints() {
        let cases: &[(u32, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16_383, &[0xff, 0x7f]),
            (16_384, &[0x80, 0x80, 0x01]),
            (u32::MAX, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, bytes) in cases {
            let mut b = Vec::new();
            b.put_uvarint(*v);
            assert_eq!(&b, bytes, "encoding {v}");
            assert_eq!(Reader::new(bytes).uvarint().unwrap(), *v);
        }
    }

    #[test]
    fn golden_zigzag_varints() {
        let cases: &[(i32, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, bytes) in cases {
            let mut b = Vec::new();
            b.put_varint(*v);
            assert_eq!(&b, bytes, "encoding {v}");
            assert_eq!(Reader::new(bytes).varint().unwrap(), *v);
        }
        let mut b = Vec::new();
        b.put_varlong(i64::MIN);
        assert_eq!(
            b,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        assert_eq!(Reader::new(&b).varlong().unwrap(), i64::MIN);
        let mut b = Vec::new();
        b.put_varlong(-1);
        assert_eq!(b, [0x01]);
    }

    #[test]
    fn golden_strings_and_bytes() {
        let mut b = Vec::new();
        b.put_string("ab", false, "s").unwrap();
        b.put_nullable_string(None, false, "s").unwrap();
        b.put_string("ab", true, "s").unwrap();
        b.put_nullable_string(None, true, "s").unwrap();
        b.put_bytes(b"x", false);
        b.put_nullable_bytes(None, false);
        b.put_bytes(b"x", true);
        b.put_nullable_bytes(None, true);
        assert_eq!(
            b,
            [
                0, 2, b'a', b'b', 0xff, 0xff, 3, b'a', b'b', 0, 0, 0, 0, 1, b'x', 0xff, 0xff, 0xff,
                0xff, 2, b'x', 0
            ]
        );
        let mut r = Reader::new(&b);
        assert_eq!(r.string(false, "s").unwrap(), "ab");
        assert_eq!(r.nullable_string(false).unwrap(), None);
        assert_eq!(r.string(true, "s").unwrap(), "ab");
        assert_eq!(r.nullable_string(true).unwrap(), None);
        assert_eq!(r.bytes(false, "b").unwrap(), b"x");
        assert_eq!(r.nullable_bytes(false).unwrap(), None);
        assert_eq!(r.bytes(true, "b").unwrap(), b"x");
        assert_eq!(r.nullable_bytes(true).unwrap(), None);
        r.finish().unwrap();
    }

    #[test]
    fn golden_arrays_and_tags() {
        let mut b = Vec::new();
        b.put_array_len(2, false);
        b.put_array_len(2, true);
        b.put_null_array(false);
        b.put_null_array(true);
        b.put_tagged_fields(&[(0, vec![7]), (300, vec![])]);
        assert_eq!(
            b,
            [0, 0, 0, 2, 3, 0xff, 0xff, 0xff, 0xff, 0, 2, 0, 1, 7, 0xac, 0x02, 0]
        );
    }

    #[test]
    fn hostile_lengths_are_rejected_without_allocating() {
        // An int32 array length of 2^31-1 with 4 bytes behind it.
        let b = [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        let mut r = Reader::new(&b);
        assert!(matches!(
            r.array(false, "a", |r| r.i8()),
            Err(DecodeError::InvalidLength(_))
        ));
        let b = [0x7f, 0xff, b'a'];
        assert!(Reader::new(&b).nullable_string(false).is_err());
        let b = [0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&b).uvarint(), Err(DecodeError::VarintTooLong));
        let b = [0xfe, 0xff];
        assert!(Reader::new(&b).nullable_string(false).is_err());
        assert!(Reader::new(&[0xc3, 0x28][..]).take(3).is_err());
        let b = [2, 0xc3, 0x28];
        assert_eq!(
            Reader::new(&b[..]).nullable_string(true),
            Err(DecodeError::InvalidUtf8)
        );
    }

    proptest::proptest! {
        #[test]
        fn varints_round_trip(v: i32, l: i64, u: u32) {
            let mut b = Vec::new();
            b.put_varint(v);
            b.put_varlong(l);
            b.put_uvarint(u);
            let mut r = Reader::new(&b);
            proptest::prop_assert_eq!(r.varint().unwrap(), v);
            proptest::prop_assert_eq!(r.varlong().unwrap(), l);
            proptest::prop_assert_eq!(r.uvarint().unwrap(), u);
            proptest::prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn strings_round_trip(s: Option<String>, flexible: bool) {
            let mut b = Vec::new();
            b.put_nullable_string(s.as_deref(), flexible, "s").unwrap();
            let mut r = Reader::new(&b);
            proptest::prop_assert_eq!(r.nullable_string(flexible).unwrap(), s);
        }

        #[test]
        fn reader_never_panics(bytes: Vec<u8>, flexible: bool) {
            let mut r = Reader::new(&bytes);
            let _ = r.nullable_string(flexible);
            let _ = r.nullable_array(flexible, |r| r.nullable_bytes(flexible));
            let _ = r.skip_tagged_fields();
            let _ = r.varlong();
        }
    }
}
