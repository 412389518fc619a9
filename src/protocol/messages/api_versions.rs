//! ApiVersions (key 18), versions 0–4: what the broker supports.
//!
//! Sent first on every connection. v3 is the first flexible version and adds
//! the client software name and version (KIP-511). A broker that does not know
//! the version we sent answers `UNSUPPORTED_VERSION` (35) with a **v0** body
//! that still lists its ApiVersions range; [`decode_api_versions_response`]
//! handles that fallback. ApiVersions responses always use response header v0.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of ApiVersions.
pub const API_KEY: i16 = 18;

/// Error code a broker answers with when it does not support our ApiVersions version.
const UNSUPPORTED_VERSION: i16 = 35;

/// ApiVersions request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct ApiVersionsRequest {
    /// Client software name (v3+); must match `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
    pub client_software_name: String,
    /// Client software version (v3+), same pattern as the name.
    pub client_software_version: String,
}

impl Message for ApiVersionsRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        if version >= 3 {
            buf.put_string(&self.client_software_name, true, "client_software_name")?;
            buf.put_string(
                &self.client_software_version,
                true,
                "client_software_version",
            )?;
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let mut out = Self::default();
        if version >= 3 {
            out.client_software_name = r.string(true, "client_software_name")?;
            out.client_software_version = r.string(true, "client_software_version")?;
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for ApiVersionsRequest {
    type Response = ApiVersionsResponse;
}

/// One API's supported version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct ApiVersion {
    /// API key.
    pub api_key: i16,
    /// Lowest supported version.
    pub min_version: i16,
    /// Highest supported version.
    pub max_version: i16,
}

/// A feature the broker supports (v3+, tagged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct SupportedFeature {
    /// Feature name.
    pub name: String,
    /// Lowest supported version.
    pub min_version: i16,
    /// Highest supported version.
    pub max_version: i16,
}

/// A cluster-wide finalized feature (v3+, tagged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct FinalizedFeature {
    /// Feature name.
    pub name: String,
    /// Finalized maximum version level.
    pub max_version_level: i16,
    /// Finalized minimum version level.
    pub min_version_level: i16,
}

/// ApiVersions response body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct ApiVersionsResponse {
    /// Top-level error code.
    pub error_code: i16,
    /// The APIs the broker supports.
    pub api_keys: Vec<ApiVersion>,
    /// Throttle time in ms (v1+).
    pub throttle_time_ms: i32,
    /// Supported features (v3+, tag 0).
    pub supported_features: Vec<SupportedFeature>,
    /// Finalized features epoch (v3+, tag 1), -1 when unknown.
    pub finalized_features_epoch: i64,
    /// Finalized features (v3+, tag 2).
    pub finalized_features: Vec<FinalizedFeature>,
    /// Set by a KRaft controller ready for ZK migration (v3+, tag 3).
    pub zk_migration_ready: bool,
}

impl Default for ApiVersionsResponse {
    fn default() -> Self {
        ApiVersionsResponse {
            error_code: 0,
            api_keys: Vec::new(),
            throttle_time_ms: 0,
            supported_features: Vec::new(),
            finalized_features_epoch: -1,
            finalized_features: Vec::new(),
            zk_migration_ready: false,
        }
    }
}

impl ApiVersionsResponse {
    /// The broker's version range for `api_key`, if it supports the API.
    pub fn range(&self, api_key: i16) -> Option<(i16, i16)> {
        self.api_keys
            .iter()
            .find(|a| a.api_key == api_key)
            .map(|a| (a.min_version, a.max_version))
    }

    /// The highest version in the intersection of the broker's range for
    /// `M::API_KEY` and ours, or `None` when they do not overlap.
    pub fn pick_version<M: Message>(&self) -> Option<i16> {
        let (min, max) = self.range(M::API_KEY)?;
        pick_version(M::MIN_VERSION, M::MAX_VERSION, min, max)
    }
}

/// The highest version in both `[our_min, our_max]` and `[their_min, their_max]`.
pub fn pick_version(our_min: i16, our_max: i16, their_min: i16, their_max: i16) -> Option<i16> {
    let hi = our_max.min(their_max);
    (hi >= our_min.max(their_min)).then_some(hi)
}

fn put_tag(
    fields: &mut Vec<(u32, Vec<u8>)>,
    tag: u32,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let mut b = Vec::new();
    write(&mut b)?;
    fields.push((tag, b));
    Ok(())
}

impl Message for ApiVersionsResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = version >= 3;
        buf.put_i16(self.error_code);
        buf.put_array_len(self.api_keys.len(), flex);
        for a in &self.api_keys {
            buf.put_i16(a.api_key);
            buf.put_i16(a.min_version);
            buf.put_i16(a.max_version);
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if flex {
            let mut tags = Vec::new();
            if !self.supported_features.is_empty() {
                put_tag(&mut tags, 0, |b| {
                    b.put_array_len(self.supported_features.len(), true);
                    for f in &self.supported_features {
                        b.put_string(&f.name, true, "feature name")?;
                        b.put_i16(f.min_version);
                        b.put_i16(f.max_version);
                        b.put_empty_tagged_fields();
                    }
                    Ok(())
                })?;
            }
            if self.finalized_features_epoch != -1 {
                put_tag(&mut tags, 1, |b| {
                    b.put_i64(self.finalized_features_epoch);
                    Ok(())
                })?;
            }
            if !self.finalized_features.is_empty() {
                put_tag(&mut tags, 2, |b| {
                    b.put_array_len(self.finalized_features.len(), true);
                    for f in &self.finalized_features {
                        b.put_string(&f.name, true, "feature name")?;
                        b.put_i16(f.max_version_level);
                        b.put_i16(f.min_version_level);
                        b.put_empty_tagged_fields();
                    }
                    Ok(())
                })?;
            }
            if self.zk_migration_ready {
                put_tag(&mut tags, 3, |b| {
                    b.put_bool(true);
                    Ok(())
                })?;
            }
            buf.put_tagged_fields(&tags);
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = version >= 3;
        let mut out = Self {
            error_code: r.i16()?,
            ..Self::default()
        };
        out.api_keys = r.array(flex, "api_keys", |r| {
            let a = ApiVersion {
                api_key: r.i16()?,
                min_version: r.i16()?,
                max_version: r.i16()?,
            };
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(a)
        })?;
        if version >= 1 {
            out.throttle_time_ms = r.i32()?;
        }
        if flex {
            r.tagged_fields(|tag, f| {
                match tag {
                    0 => {
                        out.supported_features = f.array(true, "supported_features", |r| {
                            let s = SupportedFeature {
                                name: r.string(true, "name")?,
                                min_version: r.i16()?,
                                max_version: r.i16()?,
                            };
                            r.skip_tagged_fields()?;
                            Ok(s)
                        })?
                    }
                    1 => out.finalized_features_epoch = f.i64()?,
                    2 => {
                        out.finalized_features = f.array(true, "finalized_features", |r| {
                            let s = FinalizedFeature {
                                name: r.string(true, "name")?,
                                max_version_level: r.i16()?,
                                min_version_level: r.i16()?,
                            };
                            r.skip_tagged_fields()?;
                            Ok(s)
                        })?
                    }
                    3 => out.zk_migration_ready = f.bool()?,
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(out)
    }
}

/// Decodes an ApiVersions response frame (without size prefix) sent in
/// answer to a request at `version`.
///
/// A broker that does not support `version` answers with error 35
/// (UNSUPPORTED_VERSION) and, per KIP-511, a v0 body listing its own range;
/// that body is decoded as v0 and returned, so the caller can retry with
/// `range(18)`'s maximum. Some brokers (librdkafka's mock cluster, seen with
/// 2.12) send a body that is neither v0 nor the version asked; then the
/// response carries error 35 and no API keys, and the caller should retry
/// with v0, which every broker supports. Returns the correlation id and body.
pub fn decode_api_versions_response(
    frame: &[u8],
    version: i16,
) -> Result<(i32, ApiVersionsResponse), DecodeError> {
    let mut r = Reader::new(frame);
    let correlation_id = r.i32()?;
    let error_code = Reader::new(r.rest()).i16()?;
    if error_code == UNSUPPORTED_VERSION && version > 0 {
        let body = ApiVersionsResponse::decode(&mut r, 0).unwrap_or(ApiVersionsResponse {
            error_code,
            ..ApiVersionsResponse::default()
        });
        return Ok((correlation_id, body));
    }
    let body = ApiVersionsResponse::decode(&mut r, version)?;
    r.finish()?;
    Ok((correlation_id, body))
}

/// The ApiVersions version to retry with after an UNSUPPORTED_VERSION answer
/// to a request at `sent`: the broker's listed maximum when it gave one below
/// `sent`, else 0.
pub fn fallback_version(resp: &ApiVersionsResponse, sent: i16) -> i16 {
    match resp.range(API_KEY) {
        Some((_, max)) if max < sent => max.max(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::test_util::wire_tests;

    wire_tests!(
        request,
        ApiVersionsRequest,
        kafka_protocol::messages::ApiVersionsRequest
    );
    wire_tests!(
        response,
        ApiVersionsResponse,
        kafka_protocol::messages::ApiVersionsResponse
    );

    #[test]
    fn golden_v3_request() {
        let req = ApiVersionsRequest {
            client_software_name: "ks".into(),
            client_software_version: "1.0".into(),
        };
        let frame = crate::protocol::encode_request(&req, 3, 1, Some("c")).unwrap();
        assert_eq!(
            frame,
            [
                0, 0, 0, 20, 0, 18, 0, 3, 0, 0, 0, 1, 0, 1, b'c', 0, 3, b'k', b's', 4, b'1', b'.',
                b'0', 0
            ]
        );
    }

    #[test]
    fn unsupported_version_falls_back_to_v0_body() {
        // correlation id 5, error 35, one api key (18: 0..2) in a v0 body.
        let frame = [0, 0, 0, 5, 0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 2];
        let (corr, body) = decode_api_versions_response(&frame, 3).unwrap();
        assert_eq!(corr, 5);
        assert_eq!(body.error_code, 35);
        assert_eq!(body.range(18), Some((0, 2)));
    }

    #[test]
    fn unreadable_unsupported_version_body_falls_back_to_v0() {
        // What librdkafka's mock cluster sends for an ApiVersions v4 request.
        let frame = [0, 0, 0, 1, 0, 0x23, 1, 0, 0x12, 0, 0, 0, 2, 0, 0, 0, 0];
        let (corr, body) = decode_api_versions_response(&frame, 4).unwrap();
        assert_eq!((corr, body.error_code), (1, 35));
        assert_eq!(fallback_version(&body, 4), 0);
        let listed = ApiVersionsResponse {
            api_keys: vec![ApiVersion {
                api_key: 18,
                min_version: 0,
                max_version: 2,
            }],
            ..Default::default()
        };
        assert_eq!(fallback_version(&listed, 4), 2);
        assert_eq!(fallback_version(&listed, 2), 0);
    }

    #[test]
    fn version_negotiation_picks_highest_common() {
        assert_eq!(pick_version(3, 13, 0, 11), Some(11));
        assert_eq!(pick_version(3, 13, 0, 2), None);
        assert_eq!(pick_version(0, 4, 0, 2), Some(2));
        let resp = ApiVersionsResponse {
            api_keys: vec![ApiVersion {
                api_key: 18,
                min_version: 0,
                max_version: 9,
            }],
            ..Default::default()
        };
        assert_eq!(resp.pick_version::<ApiVersionsRequest>(), Some(4));
    }
}
