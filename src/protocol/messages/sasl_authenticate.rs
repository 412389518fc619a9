//! SaslAuthenticate (key 36), versions 0–2: carry SASL tokens after a v1
//! SaslHandshake.
//!
//! v1 adds the session lifetime (KIP-368, re-authentication); v2 is the
//! first flexible version.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of SaslAuthenticate.
pub const API_KEY: i16 = 36;

/// SaslAuthenticate request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct SaslAuthenticateRequest {
    /// The SASL token from the client, as defined by the mechanism.
    pub auth_bytes: Vec<u8>,
}

impl Message for SaslAuthenticateRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    const FIRST_FLEXIBLE: i16 = 2;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_bytes(&self.auth_bytes, flex);
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = Self::is_flexible(version);
        let out = Self {
            auth_bytes: r.bytes(flex, "auth_bytes")?,
        };
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for SaslAuthenticateRequest {
    type Response = SaslAuthenticateResponse;
}

/// SaslAuthenticate response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct SaslAuthenticateResponse {
    /// Error code, 0 on success; `SASL_AUTHENTICATION_FAILED` (58) on bad credentials.
    pub error_code: i16,
    /// Error message, `None` when there is no error.
    pub error_message: Option<String>,
    /// The SASL token from the server, as defined by the mechanism.
    pub auth_bytes: Vec<u8>,
    /// Time in ms after which the session must re-authenticate, 0 for never (v1+).
    pub session_lifetime_ms: i64,
}

impl Message for SaslAuthenticateResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    const FIRST_FLEXIBLE: i16 = 2;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_i16(self.error_code);
        buf.put_nullable_string(self.error_message.as_deref(), flex, "error_message")?;
        buf.put_bytes(&self.auth_bytes, flex);
        if version >= 1 {
            buf.put_i64(self.session_lifetime_ms);
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = Self::is_flexible(version);
        let mut out = Self {
            error_code: r.i16()?,
            error_message: r.nullable_string(flex)?,
            auth_bytes: r.bytes(flex, "auth_bytes")?,
            session_lifetime_ms: 0,
        };
        if version >= 1 {
            out.session_lifetime_ms = r.i64()?;
        }
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::test_util::wire_tests;

    wire_tests!(
        request,
        SaslAuthenticateRequest,
        kafka_protocol::messages::SaslAuthenticateRequest
    );
    wire_tests!(
        response,
        SaslAuthenticateResponse,
        kafka_protocol::messages::SaslAuthenticateResponse
    );

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    #[test]
    fn golden_requests() {
        let req = SaslAuthenticateRequest {
            auth_bytes: b"\0u\0p".to_vec(),
        };
        assert_eq!(encode(&req, 0), b"\0\0\0\x04\0u\0p");
        assert_eq!(encode(&req, 2), b"\x05\0u\0p\0");
    }

    #[test]
    fn golden_responses() {
        let v1 = [
            0, 58, 0, 3, b'b', b'a', b'd', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0e, 0x10,
        ];
        let resp = SaslAuthenticateResponse::decode(&mut Reader::new(&v1), 1).unwrap();
        assert_eq!(
            resp,
            SaslAuthenticateResponse {
                error_code: 58,
                error_message: Some("bad".into()),
                auth_bytes: Vec::new(),
                session_lifetime_ms: 3600,
            }
        );
        assert_eq!(encode(&resp, 1), v1);
        let v2 = [0, 0, 0, 2, b's', 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let resp = SaslAuthenticateResponse::decode(&mut Reader::new(&v2), 2).unwrap();
        assert_eq!(resp.auth_bytes, b"s");
        assert_eq!(resp.error_message, None);
        assert_eq!(encode(&resp, 2), v2);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let req = SaslAuthenticateRequest {
            auth_bytes: b"n,,n=user,r=nonce".to_vec(),
        };
        let resp = SaslAuthenticateResponse {
            error_code: 1,
            error_message: Some("msg".into()),
            auth_bytes: b"token".to_vec(),
            session_lifetime_ms: 2,
        };
        for v in 0..=2 {
            let b = encode(&req, v);
            for n in 0..b.len() {
                assert!(SaslAuthenticateRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                assert!(SaslAuthenticateResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }
}
