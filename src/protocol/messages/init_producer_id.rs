//! InitProducerId (key 22), versions 0–5: obtain a producer id and epoch.
//!
//! An idempotent producer sends it (with a null transactional id) to any
//! broker; a transactional producer sends it to its transaction coordinator.
//! v2 is the first flexible version. v3 adds the current producer id and
//! epoch so that a producer can bump its epoch after an error instead of
//! being fenced (KIP-360); v4 allows the `PRODUCER_FENCED` error and v5 the
//! `TRANSACTION_ABORTABLE` error, with no layout change. The fields of v6
//! (two-phase commit, KIP-939) are not supported.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of InitProducerId.
pub const API_KEY: i16 = 22;

/// InitProducerId request body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct InitProducerIdRequest {
    /// The transactional id, or `None` for a non-transactional (idempotent) producer.
    pub transactional_id: Option<String>,
    /// Time in ms after which the coordinator aborts an idle transaction;
    /// only meaningful with a transactional id.
    pub transaction_timeout_ms: i32,
    /// The current producer id, -1 if none (v3+). Encoding anything else
    /// below v3 is an error: the broker would silently ignore it.
    pub producer_id: i64,
    /// The current producer epoch, -1 if none (v3+); same rule as `producer_id`.
    pub producer_epoch: i16,
}

impl Default for InitProducerIdRequest {
    fn default() -> Self {
        InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 0,
            producer_id: -1,
            producer_epoch: -1,
        }
    }
}

impl Message for InitProducerIdRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 2;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_nullable_string(self.transactional_id.as_deref(), flex, "transactional_id")?;
        buf.put_i32(self.transaction_timeout_ms);
        if version >= 3 {
            buf.put_i64(self.producer_id);
            buf.put_i16(self.producer_epoch);
        } else if self.producer_id != -1 {
            return Err(EncodeError::NotRepresentable("producer_id"));
        } else if self.producer_epoch != -1 {
            return Err(EncodeError::NotRepresentable("producer_epoch"));
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
            transactional_id: r.nullable_string(flex)?,
            transaction_timeout_ms: r.i32()?,
            ..Self::default()
        };
        if version >= 3 {
            out.producer_id = r.i64()?;
            out.producer_epoch = r.i16()?;
        }
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for InitProducerIdRequest {
    type Response = InitProducerIdResponse;
}

/// InitProducerId response body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct InitProducerIdResponse {
    /// Throttle time in ms.
    pub throttle_time_ms: i32,
    /// Error code, 0 on success.
    pub error_code: i16,
    /// The assigned producer id, -1 on error.
    pub producer_id: i64,
    /// The epoch of the producer id.
    pub producer_epoch: i16,
}

impl Default for InitProducerIdResponse {
    fn default() -> Self {
        InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: -1,
            producer_epoch: 0,
        }
    }
}

impl Message for InitProducerIdResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 2;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        buf.put_i32(self.throttle_time_ms);
        buf.put_i16(self.error_code);
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        if Self::is_flexible(version) {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let out = Self {
            throttle_time_ms: r.i32()?,
            error_code: r.i16()?,
            producer_id: r.i64()?,
            producer_epoch: r.i16()?,
        };
        if Self::is_flexible(version) {
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
        InitProducerIdRequest,
        kafka_protocol::messages::InitProducerIdRequest
    );
    wire_tests!(
        response,
        InitProducerIdResponse,
        kafka_protocol::messages::InitProducerIdResponse
    );
    wire_tests!(
        request_fitted,
        Fitted,
        kafka_protocol::messages::InitProducerIdRequest
    );

    /// A request with the fields its version cannot carry reset, so that the
    /// property test covers v0–2 instead of skipping nearly every case.
    #[derive(Debug, PartialEq, arbitrary::Arbitrary)]
    struct Fitted(InitProducerIdRequest);

    impl Message for Fitted {
        const API_KEY: i16 = API_KEY;
        const MIN_VERSION: i16 = InitProducerIdRequest::MIN_VERSION;
        const MAX_VERSION: i16 = InitProducerIdRequest::MAX_VERSION;
        const FIRST_FLEXIBLE: i16 = InitProducerIdRequest::FIRST_FLEXIBLE;

        fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
            let mut m = self.0.clone();
            if version < 3 {
                m.producer_id = -1;
                m.producer_epoch = -1;
            }
            m.encode(buf, version)
        }

        fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
            InitProducerIdRequest::decode(r, version).map(Fitted)
        }
    }

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    #[test]
    fn golden_requests() {
        let idempotent = InitProducerIdRequest {
            transaction_timeout_ms: 60_000,
            ..Default::default()
        };
        assert_eq!(encode(&idempotent, 0), [0xff, 0xff, 0, 0, 0xea, 0x60]);
        let resume = InitProducerIdRequest {
            transactional_id: Some("t".into()),
            transaction_timeout_ms: 1000,
            producer_id: 5,
            producer_epoch: 2,
        };
        assert_eq!(
            encode(&resume, 3),
            [2, b't', 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 0]
        );
        assert_eq!(
            resume.encode(&mut Vec::new(), 2),
            Err(EncodeError::NotRepresentable("producer_id"))
        );
    }

    #[test]
    fn golden_response() {
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1, 0];
        let resp = InitProducerIdResponse::decode(&mut Reader::new(&bytes), 2).unwrap();
        assert_eq!(
            resp,
            InitProducerIdResponse {
                producer_id: 7,
                producer_epoch: 1,
                ..Default::default()
            }
        );
        assert_eq!(encode(&resp, 2), bytes);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let req = InitProducerIdRequest {
            transactional_id: Some("txn".into()),
            transaction_timeout_ms: 1,
            producer_id: 2,
            producer_epoch: 3,
        };
        let resp = InitProducerIdResponse {
            throttle_time_ms: 1,
            error_code: 2,
            producer_id: 3,
            producer_epoch: 4,
        };
        for v in 0..=5 {
            let req = Fitted(req.clone());
            let b = encode(&req, v);
            for n in 0..b.len() {
                assert!(
                    Fitted::decode(&mut Reader::new(&b[..n]), v).is_err(),
                    "v{v} {n}"
                );
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                let r = InitProducerIdResponse::decode(&mut Reader::new(&b[..n]), v);
                assert!(r.is_err(), "v{v} {n}");
            }
        }
    }
}
