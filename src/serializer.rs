//! Serializers: how keys and values become bytes.
//!
//! A [`Serializer`] turns a `K` or `V` into the bytes written to Kafka,
//! knowing the topic, as Java's `Serializer.serialize(topic, data)` does.
//! It runs on the thread that calls `send`.
//!
//! - [`DefaultSerializer`] covers bytes and strings without copying them
//!   (`Vec<u8>`, `[u8]`, `[u8; N]`, `String`, `str`, and these behind `&`,
//!   `Box`, `Arc` or `Cow`) and the numbers Java's `ShortSerializer`,
//!   `IntegerSerializer`, `LongSerializer`, `FloatSerializer` and
//!   `DoubleSerializer` write (`i16`, `i32`, `i64`, `f32`, `f64`, big-endian).
//! - Any closure `Fn(&str, &T) -> Result<Vec<u8>, Error>` is a serializer.
//! - [`JsonSerializer`] (feature `serde`) writes any `serde::Serialize` type as JSON.
//! - [`SchemaRegistryFramed`] prefixes another serializer's output with the
//!   Confluent Schema Registry header (magic byte 0, 4-byte schema id).
//!
//! A null key or value is not the serializer's business: a record's `None`
//! key or value is written as null without calling it. Java's
//! `VoidSerializer` therefore has no counterpart; `()` is refused (see
//! [`DefaultSerializer`]).
//!
//! # Examples
//!
//! ```
//! use kafka_sync::serializer::{DefaultSerializer, Serializer};
//! use kafka_sync::Error;
//! use std::borrow::Cow;
//!
//! // Strings and bytes are borrowed, not copied.
//! let bytes = DefaultSerializer.serialize("orders", "héllo")?;
//! assert!(matches!(bytes, Cow::Borrowed(b) if b == "héllo".as_bytes()));
//!
//! // Numbers are big-endian, as Java writes them.
//! assert_eq!(&*DefaultSerializer.serialize("orders", &1i32)?, &[0, 0, 0, 1]);
//!
//! // A closure is a serializer too.
//! struct Point { x: i32, y: i32 }
//! let points = |_topic: &str, p: &Point| -> Result<Vec<u8>, Error> {
//!     Ok(format!("{},{}", p.x, p.y).into_bytes())
//! };
//! assert_eq!(&*points.serialize("points", &Point { x: 1, y: 2 })?, b"1,2");
//! # Ok::<(), Error>(())
//! ```

use crate::error::Error;
use std::borrow::Cow;
use std::sync::Arc;

/// Turns a `T` into the bytes of a record's key or value.
///
/// Implementations must be thread-safe: one serializer is shared by every
/// thread that sends through the producer.
pub trait Serializer<T: ?Sized>: Send + Sync + 'static {
    /// Serializes `data` for `topic`; borrowed output avoids a copy for bytes and strings.
    fn serialize<'a>(&self, topic: &str, data: &'a T) -> Result<Cow<'a, [u8]>, Error>;
}

/// A closure `Fn(topic, data) -> Result<Vec<u8>, Error>` serializes `T`.
///
/// Annotate the closure's arguments (`|topic: &str, data: &MyType|`) so that
/// it accepts any lifetime.
impl<T: ?Sized, F> Serializer<T> for F
where
    F: Fn(&str, &T) -> Result<Vec<u8>, Error> + Send + Sync + 'static,
{
    fn serialize<'a>(&self, topic: &str, data: &'a T) -> Result<Cow<'a, [u8]>, Error> {
        self(topic, data).map(Cow::Owned)
    }
}

/// The built-in serializer for bytes, strings, Java's numeric types and `()`.
///
/// | type | bytes | as Java's |
/// |---|---|---|
/// | `Vec<u8>`, `[u8]`, `[u8; N]` | as they are, borrowed | `ByteArraySerializer` |
/// | `String`, `str` | UTF-8, borrowed | `StringSerializer` (UTF-8) |
/// | `i16`, `i32`, `i64` | 2, 4, 8 bytes big-endian two's complement | `ShortSerializer`, `IntegerSerializer`, `LongSerializer` |
/// | `f32`, `f64` | raw IEEE 754 bits, 4 or 8 bytes big-endian | `FloatSerializer`, `DoubleSerializer` |
/// | `&T`, `Box<T>`, `Arc<T>`, `Cow<'_, T>` | as `T` | |
/// | `()` | refused with [`Error::Serialization`] | `VoidSerializer` |
///
/// `()` has no bytes: Java's `VoidSerializer` writes null, and null is what a
/// `None` key or value already writes, without calling the serializer. A
/// `Some(())` would have to become an empty, non-null array, which a Java
/// consumer's `VoidDeserializer` rejects, so it is refused instead. Use
/// `K = ()` for records that never have a key and leave the key `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DefaultSerializer;

impl Serializer<[u8]> for DefaultSerializer {
    fn serialize<'a>(&self, _topic: &str, data: &'a [u8]) -> Result<Cow<'a, [u8]>, Error> {
        Ok(Cow::Borrowed(data))
    }
}

impl Serializer<Vec<u8>> for DefaultSerializer {
    fn serialize<'a>(&self, _topic: &str, data: &'a Vec<u8>) -> Result<Cow<'a, [u8]>, Error> {
        Ok(Cow::Borrowed(data.as_slice()))
    }
}

impl<const N: usize> Serializer<[u8; N]> for DefaultSerializer {
    fn serialize<'a>(&self, _topic: &str, data: &'a [u8; N]) -> Result<Cow<'a, [u8]>, Error> {
        Ok(Cow::Borrowed(data.as_slice()))
    }
}

impl Serializer<str> for DefaultSerializer {
    fn serialize<'a>(&self, _topic: &str, data: &'a str) -> Result<Cow<'a, [u8]>, Error> {
        Ok(Cow::Borrowed(data.as_bytes()))
    }
}

impl Serializer<String> for DefaultSerializer {
    fn serialize<'a>(&self, _topic: &str, data: &'a String) -> Result<Cow<'a, [u8]>, Error> {
        Ok(Cow::Borrowed(data.as_bytes()))
    }
}

/// Java's serializers write numbers big-endian; `to_be_bytes` of `f32`/`f64`
/// uses the raw bits, as `floatToRawIntBits`/`doubleToRawLongBits` do.
macro_rules! big_endian {
    ($($t:ty),*) => {$(
        impl Serializer<$t> for DefaultSerializer {
            fn serialize<'a>(&self, _topic: &str, data: &'a $t) -> Result<Cow<'a, [u8]>, Error> {
                Ok(Cow::Owned(data.to_be_bytes().to_vec()))
            }
        }
    )*};
}

big_endian!(i16, i32, i64, f32, f64);

impl Serializer<()> for DefaultSerializer {
    fn serialize<'a>(&self, topic: &str, _data: &'a ()) -> Result<Cow<'a, [u8]>, Error> {
        Err(Error::Serialization(format!(
            "a unit value has no bytes (topic {topic}): leave the key or value None \
             to write null, as Java's VoidSerializer does"
        )))
    }
}

impl<'b, T: ?Sized> Serializer<&'b T> for DefaultSerializer
where
    DefaultSerializer: Serializer<T>,
{
    fn serialize<'a>(&self, topic: &str, data: &'a &'b T) -> Result<Cow<'a, [u8]>, Error> {
        self.serialize(topic, *data)
    }
}

impl<T: ?Sized> Serializer<Box<T>> for DefaultSerializer
where
    DefaultSerializer: Serializer<T>,
{
    fn serialize<'a>(&self, topic: &str, data: &'a Box<T>) -> Result<Cow<'a, [u8]>, Error> {
        self.serialize(topic, &**data)
    }
}

impl<T: ?Sized> Serializer<Arc<T>> for DefaultSerializer
where
    DefaultSerializer: Serializer<T>,
{
    fn serialize<'a>(&self, topic: &str, data: &'a Arc<T>) -> Result<Cow<'a, [u8]>, Error> {
        self.serialize(topic, &**data)
    }
}

impl<'b, T> Serializer<Cow<'b, T>> for DefaultSerializer
where
    T: ?Sized + ToOwned,
    DefaultSerializer: Serializer<T>,
{
    fn serialize<'a>(&self, topic: &str, data: &'a Cow<'b, T>) -> Result<Cow<'a, [u8]>, Error> {
        self.serialize(topic, &**data)
    }
}

/// Writes any `serde::Serialize` type as JSON (UTF-8, compact), with
/// `serde_json`. Feature `serde`.
///
/// # Examples
///
/// ```
/// use kafka_sync::serializer::{JsonSerializer, Serializer};
/// use std::collections::BTreeMap;
///
/// let event = BTreeMap::from([("id", 7)]);
/// assert_eq!(&*JsonSerializer.serialize("events", &event)?, br#"{"id":7}"#);
/// # Ok::<(), kafka_sync::Error>(())
/// ```
#[cfg(feature = "serde")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct JsonSerializer;

#[cfg(feature = "serde")]
impl<T: serde::Serialize + ?Sized> Serializer<T> for JsonSerializer {
    fn serialize<'a>(&self, topic: &str, data: &'a T) -> Result<Cow<'a, [u8]>, Error> {
        serde_json::to_vec(data)
            .map(Cow::Owned)
            .map_err(|e| Error::Serialization(format!("JSON for topic {topic}: {e}")))
    }
}

/// Frames another serializer's output for the Confluent Schema Registry wire
/// format: magic byte `0`, the schema id as 4 bytes big-endian, then the
/// payload.
///
/// Only the framing: registering or looking up the schema id, and encoding
/// the payload in the schema's format (Avro, Protobuf, JSON Schema), are up
/// to the caller and the inner serializer.
///
/// # Examples
///
/// ```
/// use kafka_sync::serializer::{DefaultSerializer, SchemaRegistryFramed, Serializer};
///
/// let framed = SchemaRegistryFramed::new(42, DefaultSerializer);
/// assert_eq!(&*framed.serialize("t", "hi")?, &[0, 0, 0, 0, 42, b'h', b'i']);
/// # Ok::<(), kafka_sync::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SchemaRegistryFramed<S> {
    schema_id: u32,
    inner: S,
}

impl<S> SchemaRegistryFramed<S> {
    /// The first byte of every framed payload.
    pub const MAGIC_BYTE: u8 = 0;

    /// Frames what `inner` writes with `schema_id`.
    ///
    /// ```
    /// use kafka_sync::serializer::{DefaultSerializer, SchemaRegistryFramed, Serializer};
    /// let framed = SchemaRegistryFramed::new(42, DefaultSerializer);
    /// let bytes = Serializer::<str>::serialize(&framed, "t", "hi")?;
    /// assert_eq!(&bytes[..], &[0, 0, 0, 0, 42, b'h', b'i']);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(schema_id: u32, inner: S) -> Self {
        SchemaRegistryFramed { schema_id, inner }
    }

    /// The schema id written in each frame.
    ///
    /// ```
    /// use kafka_sync::serializer::{DefaultSerializer, SchemaRegistryFramed};
    /// assert_eq!(SchemaRegistryFramed::new(7, DefaultSerializer).schema_id(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn schema_id(&self) -> u32 {
        self.schema_id
    }

    /// The serializer of the payload.
    ///
    /// ```
    /// use kafka_sync::serializer::{DefaultSerializer, SchemaRegistryFramed};
    /// let framed = SchemaRegistryFramed::new(7, DefaultSerializer);
    /// let _inner: &DefaultSerializer = framed.inner();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<T: ?Sized, S: Serializer<T>> Serializer<T> for SchemaRegistryFramed<S> {
    fn serialize<'a>(&self, topic: &str, data: &'a T) -> Result<Cow<'a, [u8]>, Error> {
        let payload = self.inner.serialize(topic, data)?;
        let mut out = Vec::with_capacity(5 + payload.len());
        out.push(Self::MAGIC_BYTE);
        out.extend_from_slice(&self.schema_id.to_be_bytes());
        out.extend_from_slice(&payload);
        Ok(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ser<T: ?Sized>(data: &T) -> Vec<u8>
    where
        DefaultSerializer: Serializer<T>,
    {
        DefaultSerializer.serialize("t", data).unwrap().into_owned()
    }

    /// Asserts `data` serializes to a borrow of exactly `expected`'s bytes.
    fn assert_borrows<T: ?Sized>(data: &T, expected: &[u8])
    where
        DefaultSerializer: Serializer<T>,
    {
        match DefaultSerializer.serialize("t", data).unwrap() {
            Cow::Borrowed(b) => {
                assert_eq!(b, expected);
                assert_eq!(b.as_ptr(), expected.as_ptr(), "not the caller's bytes");
            }
            Cow::Owned(_) => panic!("copied instead of borrowed"),
        }
    }

    // Golden bytes: what Java's ShortSerializer / IntegerSerializer /
    // LongSerializer write (`(byte) (data >>> 8*k)`, most significant first).
    #[test]
    fn serializer_i16_matches_java_short_serializer() {
        assert_eq!(ser(&1i16), [0x00, 0x01]);
        assert_eq!(ser(&-2i16), [0xff, 0xfe]);
        assert_eq!(ser(&0x1234i16), [0x12, 0x34]);
        assert_eq!(ser(&i16::MIN), [0x80, 0x00]);
    }

    #[test]
    fn serializer_i32_matches_java_integer_serializer() {
        assert_eq!(ser(&1i32), [0, 0, 0, 1]);
        assert_eq!(ser(&-1i32), [0xff; 4]);
        assert_eq!(ser(&-2i32), [0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(ser(&0x0102_0304i32), [1, 2, 3, 4]);
        assert_eq!(ser(&i32::MIN), [0x80, 0, 0, 0]);
        assert_eq!(ser(&i32::MAX), [0x7f, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn serializer_i64_matches_java_long_serializer() {
        assert_eq!(ser(&1i64), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            ser(&-2i64),
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]
        );
        assert_eq!(ser(&0x0102_0304_0506_0708i64), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(ser(&i64::MIN), [0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    // FloatSerializer / DoubleSerializer write floatToRawIntBits /
    // doubleToRawLongBits big-endian: NaN payloads are kept, -0.0 stays -0.0.
    #[test]
    fn serializer_f32_matches_java_float_serializer() {
        assert_eq!(ser(&1.5f32), [0x3f, 0xc0, 0x00, 0x00]);
        assert_eq!(ser(&-2.0f32), [0xc0, 0x00, 0x00, 0x00]);
        assert_eq!(ser(&-0.0f32), [0x80, 0x00, 0x00, 0x00]);
        assert_eq!(ser(&f32::INFINITY), [0x7f, 0x80, 0x00, 0x00]);
        assert_eq!(ser(&f32::from_bits(0x7fc0_0001)), [0x7f, 0xc0, 0x00, 0x01]);
    }

    #[test]
    fn serializer_f64_matches_java_double_serializer() {
        assert_eq!(ser(&1.5f64), [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
        assert_eq!(ser(&-2.0f64), [0xc0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            ser(&0.1f64),
            [0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
        );
        assert_eq!(
            ser(&f64::from_bits(0x7ff8_0000_0000_0001)),
            [0x7f, 0xf8, 0, 0, 0, 0, 0, 1]
        );
    }

    #[test]
    fn serializer_numbers_through_references_and_boxes() {
        assert_eq!(ser(&&7i32), [0, 0, 0, 7]);
        assert_eq!(ser(&Box::new(7i64)), [0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(ser(&Arc::new(1.5f32)), [0x3f, 0xc0, 0, 0]);
    }

    #[test]
    fn serializer_strings_are_utf8_and_borrowed() {
        let s = String::from("héllo, wörld ✓");
        let expected = s.as_bytes();
        assert_eq!(expected.len(), 18);
        assert_eq!(ser("é✓"), [0xc3, 0xa9, 0xe2, 0x9c, 0x93]);
        assert_borrows(&s, expected);
        assert_borrows(s.as_str(), expected);
        let r: &str = &s;
        assert_borrows(&r, expected);
        let boxed: Box<str> = s.as_str().into();
        assert_borrows(&boxed, boxed.as_bytes());
        let shared: Arc<str> = s.as_str().into();
        assert_borrows(&shared, shared.as_bytes());
        let cow: Cow<'_, str> = Cow::Borrowed(&s);
        assert_borrows(&cow, expected);
        let owned_cow: Cow<'_, str> = Cow::Owned(s.clone());
        assert_borrows(&owned_cow, owned_cow.as_bytes());
        assert_eq!(ser(""), b"");
    }

    #[test]
    fn serializer_bytes_are_zero_copy() {
        let v = vec![0u8, 1, 2, 0xff];
        assert_borrows(&v, &v);
        assert_borrows(v.as_slice(), &v);
        let slice: &'static [u8] = b"static";
        assert_borrows(&slice, slice);
        let array = [9u8, 8, 7];
        assert_borrows(&array, &array);
        let boxed: Box<[u8]> = v.clone().into_boxed_slice();
        assert_borrows(&boxed, &boxed);
        let shared: Arc<[u8]> = v.clone().into();
        assert_borrows(&shared, &shared);
        let cow: Cow<'_, [u8]> = Cow::Borrowed(&v);
        assert_borrows(&cow, &v);
        let empty: Vec<u8> = Vec::new();
        assert_eq!(ser(&empty), b"");
    }

    #[test]
    fn serializer_unit_is_refused() {
        let err = DefaultSerializer.serialize("t", &()).unwrap_err();
        assert!(
            matches!(&err, Error::Serialization(m) if m.contains("None")),
            "{err}"
        );
    }

    #[test]
    fn serializer_closures_see_the_topic() {
        let s = |topic: &str, n: &u8| -> Result<Vec<u8>, Error> {
            if topic == "forbidden" {
                return Err(Error::Serialization("no".into()));
            }
            Ok(format!("{topic}:{n}").into_bytes())
        };
        assert_eq!(
            s.serialize("a", &3).unwrap(),
            Cow::<[u8]>::Owned(b"a:3".to_vec())
        );
        assert!(matches!(
            s.serialize("forbidden", &3),
            Err(Error::Serialization(_))
        ));
    }

    #[test]
    fn serializer_is_object_safe() {
        let serializers: Vec<Box<dyn Serializer<String>>> = vec![
            Box::new(DefaultSerializer),
            Box::new(SchemaRegistryFramed::new(1, DefaultSerializer)),
            Box::new(|_: &str, s: &String| -> Result<Vec<u8>, Error> {
                Ok(s.to_uppercase().into_bytes())
            }),
        ];
        let value = String::from("ab");
        let out: Vec<Vec<u8>> = serializers
            .iter()
            .map(|s| s.serialize("t", &value).unwrap().into_owned())
            .collect();
        assert_eq!(
            out,
            [
                b"ab".to_vec(),
                vec![0, 0, 0, 0, 1, b'a', b'b'],
                b"AB".to_vec()
            ]
        );
    }

    #[test]
    fn serializer_schema_registry_framing() {
        let framed = SchemaRegistryFramed::new(0x0102_0304, DefaultSerializer);
        assert_eq!(framed.schema_id(), 0x0102_0304);
        assert_eq!(
            &*framed.serialize("t", &b"payload"[..]).unwrap(),
            [0, 1, 2, 3, 4, b'p', b'a', b'y', b'l', b'o', b'a', b'd']
        );
        assert_eq!(
            &*framed.serialize("t", &-2i32).unwrap(),
            [0, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe]
        );
        let big = SchemaRegistryFramed::new(u32::MAX, DefaultSerializer);
        assert_eq!(
            &*big.serialize("t", "").unwrap(),
            [0, 0xff, 0xff, 0xff, 0xff]
        );
        // Errors of the inner serializer pass through.
        assert!(matches!(
            framed.serialize("t", &()),
            Err(Error::Serialization(_))
        ));
    }

    #[cfg(feature = "serde")]
    mod json {
        use super::super::*;
        use serde::ser::SerializeStruct;
        use std::collections::BTreeMap;

        /// A user type with a timestamp field; `Serialize` written by hand,
        /// as `#[derive(Serialize)]` would generate it.
        struct Event {
            id: u64,
            name: String,
            timestamp_ms: i64,
            tags: Vec<&'static str>,
            note: Option<String>,
        }

        impl serde::Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct("Event", 5)?;
                st.serialize_field("id", &self.id)?;
                st.serialize_field("name", &self.name)?;
                st.serialize_field("timestamp_ms", &self.timestamp_ms)?;
                st.serialize_field("tags", &self.tags)?;
                st.serialize_field("note", &self.note)?;
                st.end()
            }
        }

        #[test]
        fn serializer_json_struct() {
            let event = Event {
                id: 7,
                name: "caf\u{e9} \"quoted\"".into(),
                timestamp_ms: 1_700_000_000_123,
                tags: vec!["a", "b"],
                note: None,
            };
            let bytes = JsonSerializer.serialize("events", &event).unwrap();
            assert_eq!(
                std::str::from_utf8(&bytes).unwrap(),
                r#"{"id":7,"name":"café \"quoted\"","timestamp_ms":1700000000123,"tags":["a","b"],"note":null}"#
            );
            // Through a reference, unsized types and framing.
            assert_eq!(&*JsonSerializer.serialize("t", &&event).unwrap(), &*bytes);
            assert_eq!(&*JsonSerializer.serialize("t", "x").unwrap(), br#""x""#);
            assert_eq!(
                &*JsonSerializer.serialize("t", &[1, 2][..]).unwrap(),
                b"[1,2]"
            );
            let framed = SchemaRegistryFramed::new(5, JsonSerializer);
            assert_eq!(
                &*framed.serialize("t", &1u8).unwrap(),
                [0, 0, 0, 0, 5, b'1']
            );
        }

        #[test]
        fn serializer_json_errors_are_serialization_errors() {
            // JSON object keys must be strings.
            let map = BTreeMap::from([(vec![1u8], 1)]);
            let err = JsonSerializer.serialize("events", &map).unwrap_err();
            assert!(
                matches!(&err, Error::Serialization(m) if m.contains("events")),
                "{err}"
            );
            // A failing Serialize impl.
            struct Broken;
            impl serde::Serialize for Broken {
                fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                    Err(serde::ser::Error::custom("broken on purpose"))
                }
            }
            let err = JsonSerializer.serialize("t", &Broken).unwrap_err();
            assert!(matches!(&err, Error::Serialization(m) if m.contains("broken on purpose")));
        }
    }
}
