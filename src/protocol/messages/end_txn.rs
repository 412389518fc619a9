//! EndTxn (key 26), versions 0–5: commit or abort a transaction.
//!
//! v3 is the first flexible version; v4 allows the `TRANSACTION_ABORTABLE`
//! error. v5 (KIP-890 part 2) makes the coordinator bump the producer epoch
//! on every transaction end and return the new producer id and epoch in the
//! response.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of EndTxn.
pub const API_KEY: i16 = 26;

/// EndTxn request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct EndTxnRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// `true` to commit, `false` to abort.
    pub committed: bool,
}

impl Message for EndTxnRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_string(&self.transactional_id, flex, "transactional_id")?;
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        buf.put_bool(self.committed);
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
            committed: r.bool()?,
        };
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for EndTxnRequest {
    type Response = EndTxnResponse;
}

/// EndTxn response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct EndTxnResponse {
    /// Throttle time in ms.
    pub throttle_time_ms: i32,
    /// Error code, 0 on success.
    pub error_code: i16,
    /// The producer id to use from now on (v5+; -1 below).
    pub producer_id: i64,
    /// The producer epoch to use from now on (v5+; -1 below).
    pub producer_epoch: i16,
}

impl Default for EndTxnResponse {
    fn default() -> Self {
        EndTxnResponse {
            throttle_time_ms: 0,
            error_code: 0,
            producer_id: -1,
            producer_epoch: -1,
        }
    }
}

impl Message for EndTxnResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        buf.put_i32(self.throttle_time_ms);
        buf.put_i16(self.error_code);
        if version >= 5 {
            buf.put_i64(self.producer_id);
            buf.put_i16(self.producer_epoch);
        }
        if Self::is_flexible(version) {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let mut out = Self {
            throttle_time_ms: r.i32()?,
            error_code: r.i16()?,
            ..Self::default()
        };
        if version >= 5 {
            out.producer_id = r.i64()?;
            out.producer_epoch = r.i16()?;
        }
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
        EndTxnRequest,
        kafka_protocol::messages::EndTxnRequest
    );
    wire_tests!(
        response,
        EndTxnResponse,
        kafka_protocol::messages::EndTxnResponse
    );

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    fn sample() -> EndTxnRequest {
        EndTxnRequest {
            transactional_id: "t".into(),
            producer_id: 1,
            producer_epoch: 2,
            committed: true,
        }
    }

    #[test]
    fn golden_requests() {
        let tail = [0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1];
        assert_eq!(encode(&sample(), 0), [&[0, 1, b't'][..], &tail].concat());
        assert_eq!(encode(&sample(), 5), [&[2, b't'][..], &tail, &[0]].concat());
    }

    #[test]
    fn golden_responses() {
        let v5 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0];
        let resp = EndTxnResponse::decode(&mut Reader::new(&v5), 5).unwrap();
        assert_eq!((resp.producer_id, resp.producer_epoch), (1, 3));
        assert_eq!(encode(&resp, 5), v5);
        // Below v5 the new id and epoch are not sent and decode as -1.
        let resp = EndTxnResponse::decode(&mut Reader::new(&v5[..7]), 4).unwrap();
        assert_eq!(resp, EndTxnResponse::default());
        assert_eq!(encode(&resp, 2), [0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let resp = EndTxnResponse {
            throttle_time_ms: 1,
            error_code: 2,
            producer_id: 3,
            producer_epoch: 4,
        };
        for v in 0..=5 {
            let b = encode(&sample(), v);
            for n in 0..b.len() {
                assert!(EndTxnRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                assert!(EndTxnResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }
}
