//! AddOffsetsToTxn (key 25), versions 0–4: add a consumer group's offsets
//! partition to a transaction, before TxnOffsetCommit.
//!
//! The layout never changes: v1 only changes throttling, v2 is the same as
//! v1, v3 is the first flexible version and v4 allows the
//! `TRANSACTION_ABORTABLE` error.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of AddOffsetsToTxn.
pub const API_KEY: i16 = 25;

/// AddOffsetsToTxn request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddOffsetsToTxnRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id in use by the transactional id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// The consumer group whose offsets will be committed in the transaction.
    pub group_id: String,
}

impl Message for AddOffsetsToTxnRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_string(&self.transactional_id, flex, "transactional_id")?;
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        buf.put_string(&self.group_id, flex, "group_id")?;
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = Self::is_flexible(version);
        let out = Self {
            transactional_id: r.string(flex, "transactional_id")?,
            producer_id: r.i64()?,
            producer_epoch: r.i16()?,
            group_id: r.string(flex, "group_id")?,
        };
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for AddOffsetsToTxnRequest {
    type Response = AddOffsetsToTxnResponse;
}

/// AddOffsetsToTxn response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddOffsetsToTxnResponse {
    /// Throttle time in ms.
    pub throttle_time_ms: i32,
    /// Error code, 0 on success.
    pub error_code: i16,
}

impl Message for AddOffsetsToTxnResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        buf.put_i32(self.throttle_time_ms);
        buf.put_i16(self.error_code);
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
        AddOffsetsToTxnRequest,
        kafka_protocol::messages::AddOffsetsToTxnRequest
    );
    wire_tests!(
        response,
        AddOffsetsToTxnResponse,
        kafka_protocol::messages::AddOffsetsToTxnResponse
    );

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    fn sample() -> AddOffsetsToTxnRequest {
        AddOffsetsToTxnRequest {
            transactional_id: "t".into(),
            producer_id: 1,
            producer_epoch: 2,
            group_id: "g".into(),
        }
    }

    #[test]
    fn golden_requests() {
        let id = [0, 0, 0, 0, 0, 0, 0, 1, 0, 2];
        let v0: Vec<u8> = [&[0, 1, b't'][..], &id, &[0, 1, b'g']].concat();
        assert_eq!(encode(&sample(), 0), v0);
        let v3: Vec<u8> = [&[2, b't'][..], &id, &[2, b'g', 0]].concat();
        assert_eq!(encode(&sample(), 3), v3);
        let frame = crate::protocol::encode_request(&sample(), 3, 7, Some("c")).unwrap();
        let header = [0, 25, 0, 3, 0, 0, 0, 7, 0, 1, b'c', 0];
        assert_eq!(frame[..4], (header.len() as u32 + 15).to_be_bytes());
        assert_eq!(frame[4..], [&header[..], &v3].concat());
    }

    #[test]
    fn golden_response() {
        let bytes = [0, 0, 0, 0, 0, 51, 0];
        let resp = AddOffsetsToTxnResponse::decode(&mut Reader::new(&bytes), 3).unwrap();
        assert_eq!(resp.error_code, 51);
        assert_eq!(encode(&resp, 3), bytes);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let resp = AddOffsetsToTxnResponse {
            throttle_time_ms: 1,
            error_code: 2,
        };
        for v in 0..=4 {
            let b = encode(&sample(), v);
            for n in 0..b.len() {
                assert!(AddOffsetsToTxnRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                assert!(AddOffsetsToTxnResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }
}
