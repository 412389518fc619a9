//! FindCoordinator (key 10), versions 0–6: locate a group or transaction coordinator.
//!
//! v1 adds the key type (group or transaction), v3 is the first flexible
//! version, and v4 batches: the request carries a list of keys and the
//! response one result per key, while the single-key fields of v0–3 are gone
//! (KIP-699). v5 and v6 only allow new error codes and the share key type.
//!
//! Fields that exist only on one side of the v4 split are kept in the structs
//! and encoding them at a version that lacks them is an error, since dropping
//! them would change the question or the answer;
//! [`FindCoordinatorResponse::result_for`] reads either shape.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of FindCoordinator.
pub const API_KEY: i16 = 10;

/// Key type of a consumer group coordinator.
pub const KEY_TYPE_GROUP: i8 = 0;
/// Key type of a transaction coordinator (v1+).
pub const KEY_TYPE_TRANSACTION: i8 = 1;
/// Key type of a share group coordinator (v6+).
pub const KEY_TYPE_SHARE: i8 = 2;

/// FindCoordinator request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct FindCoordinatorRequest {
    /// The coordinator key, a group or transactional id (v0–3; must be empty at v4+).
    pub key: String,
    /// The key type, [`KEY_TYPE_GROUP`] or [`KEY_TYPE_TRANSACTION`] (v1+; must be 0 at v0).
    pub key_type: i8,
    /// The coordinator keys (v4+; must be empty below v4).
    pub coordinator_keys: Vec<String>,
}

impl Message for FindCoordinatorRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 6;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        if version <= 3 {
            buf.put_string(&self.key, flex, "key")?;
        } else if !self.key.is_empty() {
            return Err(EncodeError::NotRepresentable("key"));
        }
        if version >= 1 {
            buf.put_i8(self.key_type);
        } else if self.key_type != 0 {
            return Err(EncodeError::NotRepresentable("key_type"));
        }
        if version >= 4 {
            buf.put_array_len(self.coordinator_keys.len(), true);
            for k in &self.coordinator_keys {
                buf.put_string(k, true, "coordinator_keys")?;
            }
        } else if !self.coordinator_keys.is_empty() {
            return Err(EncodeError::NotRepresentable("coordinator_keys"));
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = Self::is_flexible(version);
        let mut out = Self::default();
        if version <= 3 {
            out.key = r.string(flex, "key")?;
        }
        if version >= 1 {
            out.key_type = r.i8()?;
        }
        if version >= 4 {
            out.coordinator_keys = r.array(true, "coordinator_keys", |r| {
                r.string(true, "coordinator_keys")
            })?;
        }
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for FindCoordinatorRequest {
    type Response = FindCoordinatorResponse;
}

/// One coordinator result (v4+), or the single result of v0–3 as returned by
/// [`FindCoordinatorResponse::result_for`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct Coordinator {
    /// The coordinator key this result answers.
    pub key: String,
    /// The coordinator's broker id.
    pub node_id: i32,
    /// The coordinator's host name.
    pub host: String,
    /// The coordinator's port.
    pub port: i32,
    /// Error code, 0 on success.
    pub error_code: i16,
    /// Error message, `None` when there is no error.
    pub error_message: Option<String>,
}

/// FindCoordinator response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct FindCoordinatorResponse {
    /// Throttle time in ms (v1+).
    pub throttle_time_ms: i32,
    /// Error code (v0–3; must be 0 at v4+).
    pub error_code: i16,
    /// Error message (v1–3; dropped elsewhere).
    pub error_message: Option<String>,
    /// The coordinator's broker id (v0–3; must be 0 at v4+).
    pub node_id: i32,
    /// The coordinator's host (v0–3; must be empty at v4+).
    pub host: String,
    /// The coordinator's port (v0–3; must be 0 at v4+).
    pub port: i32,
    /// One result per requested key (v4+; must be empty below v4).
    pub coordinators: Vec<Coordinator>,
}

impl FindCoordinatorResponse {
    /// The result for `key`: the matching entry of `coordinators` (v4+), or
    /// the single top-level result when `coordinators` is empty (v0–3).
    pub fn result_for(&self, key: &str) -> Option<Coordinator> {
        if self.coordinators.is_empty() {
            return Some(Coordinator {
                key: key.to_owned(),
                node_id: self.node_id,
                host: self.host.clone(),
                port: self.port,
                error_code: self.error_code,
                error_message: self.error_message.clone(),
            });
        }
        self.coordinators.iter().find(|c| c.key == key).cloned()
    }
}

impl Message for FindCoordinatorResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 6;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if version <= 3 {
            buf.put_i16(self.error_code);
            if version >= 1 {
                buf.put_nullable_string(self.error_message.as_deref(), flex, "error_message")?;
            }
            buf.put_i32(self.node_id);
            buf.put_string(&self.host, flex, "host")?;
            buf.put_i32(self.port);
            if !self.coordinators.is_empty() {
                return Err(EncodeError::NotRepresentable("coordinators"));
            }
        } else {
            if self.error_code != 0 {
                return Err(EncodeError::NotRepresentable("error_code"));
            }
            if self.node_id != 0 || !self.host.is_empty() || self.port != 0 {
                return Err(EncodeError::NotRepresentable("node_id/host/port"));
            }
            buf.put_array_len(self.coordinators.len(), true);
            for c in &self.coordinators {
                buf.put_string(&c.key, true, "key")?;
                buf.put_i32(c.node_id);
                buf.put_string(&c.host, true, "host")?;
                buf.put_i32(c.port);
                buf.put_i16(c.error_code);
                buf.put_nullable_string(c.error_message.as_deref(), true, "error_message")?;
                buf.put_empty_tagged_fields();
            }
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = Self::is_flexible(version);
        let mut out = Self::default();
        if version >= 1 {
            out.throttle_time_ms = r.i32()?;
        }
        if version <= 3 {
            out.error_code = r.i16()?;
            if version >= 1 {
                out.error_message = r.nullable_string(flex)?;
            }
            out.node_id = r.i32()?;
            out.host = r.string(flex, "host")?;
            out.port = r.i32()?;
        } else {
            out.coordinators = r.array(true, "coordinators", |r| {
                let c = Coordinator {
                    key: r.string(true, "key")?,
                    node_id: r.i32()?,
                    host: r.string(true, "host")?,
                    port: r.i32()?,
                    error_code: r.i16()?,
                    error_message: r.nullable_string(true)?,
                };
                r.skip_tagged_fields()?;
                Ok(c)
            })?;
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
        FindCoordinatorRequest,
        kafka_protocol::messages::FindCoordinatorRequest
    );
    wire_tests!(
        response,
        FindCoordinatorResponse,
        kafka_protocol::messages::FindCoordinatorResponse
    );
    wire_tests!(
        request_fitted,
        FittedRequest,
        kafka_protocol::messages::FindCoordinatorRequest
    );
    wire_tests!(
        response_fitted,
        FittedResponse,
        kafka_protocol::messages::FindCoordinatorResponse
    );

    /// Messages with the fields their version cannot carry reset, so that the
    /// property tests cover every version instead of skipping most cases.
    macro_rules! fitted {
        ($name:ident, $inner:ty, |$m:ident, $v:ident| $fit:block) => {
            #[derive(Debug, PartialEq, arbitrary::Arbitrary)]
            struct $name($inner);

            impl Message for $name {
                const API_KEY: i16 = API_KEY;
                const MIN_VERSION: i16 = <$inner>::MIN_VERSION;
                const MAX_VERSION: i16 = <$inner>::MAX_VERSION;
                const FIRST_FLEXIBLE: i16 = <$inner>::FIRST_FLEXIBLE;

                fn encode(&self, buf: &mut Vec<u8>, $v: i16) -> Result<(), EncodeError> {
                    let mut $m = self.0.clone();
                    $fit
                    $m.encode(buf, $v)
                }

                fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
                    <$inner>::decode(r, version).map($name)
                }
            }
        };
    }

    fitted!(FittedRequest, FindCoordinatorRequest, |m, v| {
        if v >= 4 {
            m.key.clear();
        } else {
            m.coordinator_keys.clear();
        }
        if v == 0 {
            m.key_type = 0;
        }
    });

    fitted!(FittedResponse, FindCoordinatorResponse, |m, v| {
        if v >= 4 {
            let coordinators = std::mem::take(&mut m.coordinators);
            m = FindCoordinatorResponse {
                throttle_time_ms: m.throttle_time_ms,
                coordinators,
                ..Default::default()
            };
        } else {
            m.coordinators.clear();
        }
    });

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    #[test]
    fn golden_requests() {
        let group = FindCoordinatorRequest {
            key: "g".into(),
            ..Default::default()
        };
        assert_eq!(encode(&group, 0), [0, 1, b'g']);
        let txn = FindCoordinatorRequest {
            key: "t".into(),
            key_type: KEY_TYPE_TRANSACTION,
            ..Default::default()
        };
        assert_eq!(encode(&txn, 1), [0, 1, b't', 1]);
        assert_eq!(encode(&txn, 3), [2, b't', 1, 0]);
        assert_eq!(
            txn.encode(&mut Vec::new(), 0),
            Err(EncodeError::NotRepresentable("key_type"))
        );
        assert_eq!(
            txn.encode(&mut Vec::new(), 4),
            Err(EncodeError::NotRepresentable("key"))
        );
        let batched = FindCoordinatorRequest {
            key_type: KEY_TYPE_TRANSACTION,
            coordinator_keys: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        assert_eq!(encode(&batched, 4), [1, 3, 2, b'a', 2, b'b', 0]);
    }

    #[test]
    fn golden_responses() {
        let v0 = [0, 0, 0, 0, 0, 1, 0, 1, b'h', 0, 0, 0x23, 0x84];
        let resp = FindCoordinatorResponse::decode(&mut Reader::new(&v0), 0).unwrap();
        assert_eq!(
            resp.result_for("g"),
            Some(Coordinator {
                key: "g".into(),
                node_id: 1,
                host: "h".into(),
                port: 9092,
                error_code: 0,
                error_message: None,
            })
        );
        assert_eq!(encode(&resp, 0), v0);

        let v4 = [
            0, 0, 0, 0, 2, 2, b'a', 0, 0, 0, 1, 2, b'h', 0, 0, 0x23, 0x84, 0, 0, 0, 0, 0,
        ];
        let resp = FindCoordinatorResponse::decode(&mut Reader::new(&v4), 4).unwrap();
        assert_eq!(resp.coordinators.len(), 1);
        assert_eq!(resp.result_for("a").unwrap().port, 9092);
        assert_eq!(resp.result_for("b"), None);
        assert_eq!(encode(&resp, 4), v4);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let req = FittedRequest(FindCoordinatorRequest {
            key: "key".into(),
            key_type: 1,
            coordinator_keys: vec!["a".into(), "bc".into()],
        });
        let coordinator = Coordinator {
            key: "a".into(),
            node_id: 1,
            host: "host".into(),
            port: 9092,
            error_code: 15,
            error_message: Some("m".into()),
        };
        let resp = FittedResponse(FindCoordinatorResponse {
            throttle_time_ms: 1,
            error_code: 2,
            error_message: Some("e".into()),
            node_id: 3,
            host: "h".into(),
            port: 4,
            coordinators: vec![coordinator.clone(), coordinator],
        });
        for v in 0..=6 {
            let b = encode(&req, v);
            for n in 0..b.len() {
                assert!(FittedRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                assert!(FittedResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }
}
