//! Request header v1/v2, response header v0/v1, and the int32 size framing.
//!
//! Request header v2 (used by flexible request versions) is v1 plus a
//! tagged-field section; its `client_id` keeps the classic int16 length.
//! Response header v1 (flexible responses, except ApiVersions) adds a
//! tagged-field section after the correlation id.

use super::primitives::{DecodeError, EncodeError, Put, Reader};

/// The header in front of every request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    /// API key of the body.
    pub api_key: i16,
    /// API version of the body.
    pub api_version: i16,
    /// Echoed back by the broker; responses on one connection come in request order.
    pub correlation_id: i32,
    /// Logical client name (nullable, int16 length in every header version).
    pub client_id: Option<String>,
}

impl RequestHeader {
    /// Appends header v1 (`flexible == false`) or v2.
    pub fn encode(&self, buf: &mut Vec<u8>, flexible: bool) -> Result<(), EncodeError> {
        encode_request_header(
            buf,
            self.api_key,
            self.api_version,
            self.correlation_id,
            self.client_id.as_deref(),
            flexible,
        )
    }

    /// Reads header v1 or v2.
    pub fn decode(r: &mut Reader<'_>, flexible: bool) -> Result<Self, DecodeError> {
        let h = RequestHeader {
            api_key: r.i16()?,
            api_version: r.i16()?,
            correlation_id: r.i32()?,
            client_id: r.nullable_string(false)?,
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(h)
    }
}

/// Appends request header v1 (`flexible == false`) or v2 from borrowed
/// fields (no `RequestHeader` to build).
pub fn encode_request_header(
    buf: &mut Vec<u8>,
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
    flexible: bool,
) -> Result<(), EncodeError> {
    buf.put_i16(api_key);
    buf.put_i16(api_version);
    buf.put_i32(correlation_id);
    buf.put_nullable_string(client_id, false, "client_id")?;
    if flexible {
        buf.put_empty_tagged_fields();
    }
    Ok(())
}

/// The header in front of every response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeader {
    /// The correlation id of the request this answers.
    pub correlation_id: i32,
}

impl ResponseHeader {
    /// Appends header v0 (`flexible == false`) or v1.
    pub fn encode(&self, buf: &mut Vec<u8>, flexible: bool) {
        buf.put_i32(self.correlation_id);
        if flexible {
            buf.put_empty_tagged_fields();
        }
    }

    /// Reads header v0 or v1.
    pub fn decode(r: &mut Reader<'_>, flexible: bool) -> Result<Self, DecodeError> {
        let h = ResponseHeader {
            correlation_id: r.i32()?,
        };
        if flexible {
            r.skip_tagged_fields()?;
        }
        Ok(h)
    }
}

/// Reads the correlation id of a response frame (without size prefix)
/// without decoding anything else; every response header starts with it.
pub fn peek_correlation_id(frame: &[u8]) -> Result<i32, DecodeError> {
    Reader::new(frame).i32()
}

/// Splits one size-prefixed frame off the front of `buf`.
///
/// Returns `Ok(None)` when more bytes are needed, `Ok(Some((frame, consumed)))`
/// when a whole frame is there, and an error for a negative size or one above
/// `max_size` (a hostile or corrupt peer; the connection should be closed).
pub fn split_frame(buf: &[u8], max_size: usize) -> Result<Option<(&[u8], usize)>, DecodeError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if size < 0 || size as usize > max_size {
        return Err(DecodeError::InvalidLength(i64::from(size)));
    }
    let end = 4 + size as usize;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some((&buf[4..end], end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_request_headers() {
        let h = RequestHeader {
            api_key: 18,
            api_version: 3,
            correlation_id: 7,
            client_id: Some("c".into()),
        };
        let mut v1 = Vec::new();
        h.encode(&mut v1, false).unwrap();
        assert_eq!(v1, [0, 18, 0, 3, 0, 0, 0, 7, 0, 1, b'c']);
        let mut v2 = Vec::new();
        h.encode(&mut v2, true).unwrap();
        assert_eq!(v2, [0, 18, 0, 3, 0, 0, 0, 7, 0, 1, b'c', 0]);
        assert_eq!(
            RequestHeader::decode(&mut Reader::new(&v2), true).unwrap(),
            h
        );
    }

    #[test]
    fn frames_split_and_bound() {
        let buf = [0, 0, 0, 2, 9, 9, 0, 0];
        let (f, n) = split_frame(&buf, 100).unwrap().unwrap();
        assert_eq!((f, n), (&[9u8, 9][..], 6));
        assert_eq!(split_frame(&buf[..5], 100).unwrap(), None);
        assert!(split_frame(&[0xff, 0, 0, 0], 100).is_err());
        assert!(split_frame(&[0, 0, 1, 0], 100).is_err());
    }
}
