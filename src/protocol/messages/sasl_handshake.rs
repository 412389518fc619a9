//! SaslHandshake (key 17), versions 0–1: choose a SASL mechanism.
//!
//! The first request on a SASL connection (after ApiVersions). After a v0
//! handshake the SASL tokens follow as raw size-prefixed frames; after a v1
//! handshake they are carried by SaslAuthenticate requests, which is what
//! this crate uses. The API has no flexible version: request header v1 and
//! response header v0 always.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of SaslHandshake.
pub const API_KEY: i16 = 17;

/// SaslHandshake request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct SaslHandshakeRequest {
    /// The SASL mechanism chosen by the client, e.g. `PLAIN` or `SCRAM-SHA-256`.
    pub mechanism: String,
}

impl Message for SaslHandshakeRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    const FIRST_FLEXIBLE: i16 = i16::MAX;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        buf.put_string(&self.mechanism, false, "mechanism")
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        Ok(Self {
            mechanism: r.string(false, "mechanism")?,
        })
    }
}

impl Request for SaslHandshakeRequest {
    type Response = SaslHandshakeResponse;
}

/// SaslHandshake response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct SaslHandshakeResponse {
    /// Error code, 0 on success; `UNSUPPORTED_SASL_MECHANISM` (33) when the
    /// broker does not enable the chosen mechanism.
    pub error_code: i16,
    /// The mechanisms the broker enables.
    pub mechanisms: Vec<String>,
}

impl Message for SaslHandshakeResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    const FIRST_FLEXIBLE: i16 = i16::MAX;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        buf.put_i16(self.error_code);
        buf.put_array_len(self.mechanisms.len(), false);
        for m in &self.mechanisms {
            buf.put_string(m, false, "mechanisms")?;
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        Ok(Self {
            error_code: r.i16()?,
            mechanisms: r.array(false, "mechanisms", |r| r.string(false, "mechanisms"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::test_util::wire_tests;

    wire_tests!(
        request,
        SaslHandshakeRequest,
        kafka_protocol::messages::SaslHandshakeRequest
    );
    wire_tests!(
        response,
        SaslHandshakeResponse,
        kafka_protocol::messages::SaslHandshakeResponse
    );

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    #[test]
    fn golden_request_frame() {
        let req = SaslHandshakeRequest {
            mechanism: "PLAIN".into(),
        };
        assert_eq!(encode(&req, 1), b"\0\x05PLAIN");
        // Never flexible: request header v1 (no tagged fields) even at v1.
        let frame = crate::protocol::encode_request(&req, 1, 2, Some("c")).unwrap();
        assert_eq!(
            frame,
            b"\0\0\0\x12\0\x11\0\x01\0\0\0\x02\0\x01c\0\x05PLAIN".as_slice()
        );
    }

    #[test]
    fn golden_response() {
        let bytes = b"\0\x21\0\0\0\x02\0\x05PLAIN\0\x0dSCRAM-SHA-256";
        let resp = SaslHandshakeResponse::decode(&mut Reader::new(bytes), 1).unwrap();
        assert_eq!(resp.error_code, 33);
        assert_eq!(resp.mechanisms, ["PLAIN", "SCRAM-SHA-256"]);
        assert_eq!(encode(&resp, 0), bytes);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let req = SaslHandshakeRequest {
            mechanism: "SCRAM-SHA-512".into(),
        };
        let resp = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["PLAIN".into(), "".into()],
        };
        for v in 0..=1 {
            let b = encode(&req, v);
            for n in 0..b.len() {
                assert!(SaslHandshakeRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                assert!(SaslHandshakeResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }
}
