//! TxnOffsetCommit (key 28), versions 0–5: commit consumer offsets as part
//! of a transaction (sent to the group coordinator).
//!
//! v2 adds the committed leader epoch; v3 is the first flexible version and
//! adds the consumer group metadata (generation, member id, group instance
//! id) so that the coordinator can fence zombie consumers (KIP-447). v4 allows
//! `TRANSACTION_ABORTABLE` and v5 is the KIP-890 part 2 version, with no
//! layout change.
//!
//! Group metadata cannot be sent below v3; encoding non-default group
//! metadata there is an error, as Kafka's client does, because the commit
//! would silently lose its fencing. The leader epoch is simply dropped below
//! v2.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of TxnOffsetCommit.
pub const API_KEY: i16 = 28;

/// One partition's offset to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TxnOffsetCommitRequestPartition {
    /// Partition index.
    pub partition_index: i32,
    /// The offset to commit (the next offset to consume).
    pub committed_offset: i64,
    /// Leader epoch of the last consumed record, -1 if unknown (v2+).
    pub committed_leader_epoch: i32,
    /// Metadata to store with the offset.
    pub committed_metadata: Option<String>,
}

impl Default for TxnOffsetCommitRequestPartition {
    fn default() -> Self {
        TxnOffsetCommitRequestPartition {
            partition_index: 0,
            committed_offset: 0,
            committed_leader_epoch: -1,
            committed_metadata: None,
        }
    }
}

/// The offsets of one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TxnOffsetCommitRequestTopic {
    /// Topic name.
    pub name: String,
    /// The partitions' offsets.
    pub partitions: Vec<TxnOffsetCommitRequestPartition>,
}

/// TxnOffsetCommit request body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TxnOffsetCommitRequest {
    /// The transactional id.
    pub transactional_id: String,
    /// The consumer group id.
    pub group_id: String,
    /// The producer id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// The consumer's generation, -1 if unknown (v3+).
    pub generation_id: i32,
    /// The consumer's member id, empty if unknown (v3+).
    pub member_id: String,
    /// The consumer's static group instance id (v3+).
    pub group_instance_id: Option<String>,
    /// The offsets to commit, per topic.
    pub topics: Vec<TxnOffsetCommitRequestTopic>,
}

impl Default for TxnOffsetCommitRequest {
    fn default() -> Self {
        TxnOffsetCommitRequest {
            transactional_id: String::new(),
            group_id: String::new(),
            producer_id: 0,
            producer_epoch: 0,
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
            topics: Vec::new(),
        }
    }
}

impl Message for TxnOffsetCommitRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_string(&self.transactional_id, flex, "transactional_id")?;
        buf.put_string(&self.group_id, flex, "group_id")?;
        buf.put_i64(self.producer_id);
        buf.put_i16(self.producer_epoch);
        if version >= 3 {
            buf.put_i32(self.generation_id);
            buf.put_string(&self.member_id, true, "member_id")?;
            buf.put_nullable_string(self.group_instance_id.as_deref(), true, "group_instance_id")?;
        } else if self.generation_id != -1
            || !self.member_id.is_empty()
            || self.group_instance_id.is_some()
        {
            return Err(EncodeError::NotRepresentable("group metadata"));
        }
        buf.put_array_len(self.topics.len(), flex);
        for t in &self.topics {
            buf.put_string(&t.name, flex, "topic name")?;
            buf.put_array_len(t.partitions.len(), flex);
            for p in &t.partitions {
                buf.put_i32(p.partition_index);
                buf.put_i64(p.committed_offset);
                if version >= 2 {
                    buf.put_i32(p.committed_leader_epoch);
                }
                buf.put_nullable_string(p.committed_metadata.as_deref(), flex, "metadata")?;
                if flex {
                    buf.put_empty_tagged_fields();
                }
            }
            if flex {
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
        let mut out = Self {
            transactional_id: r.string(flex, "transactional_id")?,
            group_id: r.string(flex, "group_id")?,
            producer_id: r.i64()?,
            producer_epoch: r.i16()?,
            ..Self::default()
        };
        if version >= 3 {
            out.generation_id = r.i32()?;
            out.member_id = r.string(true, "member_id")?;
            out.group_instance_id = r.nullable_string(true)?;
        }
        out.topics = r.array(flex, "topics", |r| {
            let name = r.string(flex, "topic name")?;
            let partitions = r.array(flex, "partitions", |r| {
                let mut p = TxnOffsetCommitRequestPartition {
                    partition_index: r.i32()?,
                    committed_offset: r.i64()?,
                    ..Default::default()
                };
                if version >= 2 {
                    p.committed_leader_epoch = r.i32()?;
                }
                p.committed_metadata = r.nullable_string(flex)?;
                if flex {
                    r.skip_tagged_fields()?;
                }
                Ok(p)
            })?;
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(TxnOffsetCommitRequestTopic { name, partitions })
        })?;
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for TxnOffsetCommitRequest {
    type Response = TxnOffsetCommitResponse;
}

/// The result for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TxnOffsetCommitResponsePartition {
    /// Partition index.
    pub partition_index: i32,
    /// Error code, 0 on success.
    pub error_code: i16,
}

/// The results for one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TxnOffsetCommitResponseTopic {
    /// Topic name.
    pub name: String,
    /// One result per partition.
    pub partitions: Vec<TxnOffsetCommitResponsePartition>,
}

/// TxnOffsetCommit response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TxnOffsetCommitResponse {
    /// Throttle time in ms.
    pub throttle_time_ms: i32,
    /// The results per topic.
    pub topics: Vec<TxnOffsetCommitResponseTopic>,
}

impl Message for TxnOffsetCommitResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_i32(self.throttle_time_ms);
        buf.put_array_len(self.topics.len(), flex);
        for t in &self.topics {
            buf.put_string(&t.name, flex, "topic name")?;
            buf.put_array_len(t.partitions.len(), flex);
            for p in &t.partitions {
                buf.put_i32(p.partition_index);
                buf.put_i16(p.error_code);
                if flex {
                    buf.put_empty_tagged_fields();
                }
            }
            if flex {
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
        let throttle_time_ms = r.i32()?;
        let topics = r.array(flex, "topics", |r| {
            let name = r.string(flex, "topic name")?;
            let partitions = r.array(flex, "partitions", |r| {
                let p = TxnOffsetCommitResponsePartition {
                    partition_index: r.i32()?,
                    error_code: r.i16()?,
                };
                if flex {
                    r.skip_tagged_fields()?;
                }
                Ok(p)
            })?;
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(TxnOffsetCommitResponseTopic { name, partitions })
        })?;
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(Self {
            throttle_time_ms,
            topics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::test_util::wire_tests;

    wire_tests!(
        request,
        TxnOffsetCommitRequest,
        kafka_protocol::messages::TxnOffsetCommitRequest
    );
    wire_tests!(
        response,
        TxnOffsetCommitResponse,
        kafka_protocol::messages::TxnOffsetCommitResponse
    );
    wire_tests!(
        request_fitted,
        Fitted,
        kafka_protocol::messages::TxnOffsetCommitRequest
    );

    /// A request without group metadata below v3, so that the property test
    /// covers v0–2 instead of skipping nearly every case.
    #[derive(Debug, PartialEq, arbitrary::Arbitrary)]
    struct Fitted(TxnOffsetCommitRequest);

    impl Message for Fitted {
        const API_KEY: i16 = API_KEY;
        const MIN_VERSION: i16 = TxnOffsetCommitRequest::MIN_VERSION;
        const MAX_VERSION: i16 = TxnOffsetCommitRequest::MAX_VERSION;
        const FIRST_FLEXIBLE: i16 = TxnOffsetCommitRequest::FIRST_FLEXIBLE;

        fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
            let mut m = self.0.clone();
            if version < 3 {
                m.generation_id = -1;
                m.member_id.clear();
                m.group_instance_id = None;
            }
            m.encode(buf, version)
        }

        fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
            TxnOffsetCommitRequest::decode(r, version).map(Fitted)
        }
    }

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    fn sample() -> TxnOffsetCommitRequest {
        TxnOffsetCommitRequest {
            transactional_id: "t".into(),
            group_id: "g".into(),
            producer_id: 1,
            topics: vec![TxnOffsetCommitRequestTopic {
                name: "x".into(),
                partitions: vec![TxnOffsetCommitRequestPartition {
                    committed_offset: 5,
                    ..Default::default()
                }],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn golden_requests() {
        let pid_epoch = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0];
        let offset = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        let v0: Vec<u8> = [
            &[0, 1, b't', 0, 1, b'g'][..],
            &pid_epoch,
            &[0, 0, 0, 1, 0, 1, b'x', 0, 0, 0, 1],
            &offset,
            &[0xff, 0xff],
        ]
        .concat();
        assert_eq!(encode(&sample(), 0), v0);
        let v3: Vec<u8> = [
            &[2, b't', 2, b'g'][..],
            &pid_epoch,
            &[0xff, 0xff, 0xff, 0xff, 1, 0],
            &[2, 2, b'x', 2],
            &offset,
            &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0],
        ]
        .concat();
        assert_eq!(encode(&sample(), 3), v3);
        let fenced = TxnOffsetCommitRequest {
            generation_id: 4,
            ..sample()
        };
        assert_eq!(
            fenced.encode(&mut Vec::new(), 2),
            Err(EncodeError::NotRepresentable("group metadata"))
        );
    }

    #[test]
    fn golden_response() {
        let v0 = [
            0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b'x', 0, 0, 0, 1, 0, 0, 0, 0, 0, 48,
        ];
        let resp = TxnOffsetCommitResponse::decode(&mut Reader::new(&v0), 0).unwrap();
        assert_eq!(resp.topics[0].partitions[0].error_code, 48);
        assert_eq!(encode(&resp, 0), v0);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let mut req = sample();
        req.generation_id = 3;
        req.member_id = "m".into();
        req.group_instance_id = Some("i".into());
        req.topics[0]
            .partitions
            .push(TxnOffsetCommitRequestPartition {
                partition_index: 1,
                committed_offset: 2,
                committed_leader_epoch: 3,
                committed_metadata: Some("meta".into()),
            });
        let req = Fitted(req);
        let resp = TxnOffsetCommitResponse {
            throttle_time_ms: 1,
            topics: vec![TxnOffsetCommitResponseTopic {
                name: "x".into(),
                partitions: vec![TxnOffsetCommitResponsePartition {
                    partition_index: 2,
                    error_code: 3,
                }],
            }],
        };
        for v in 0..=5 {
            let b = encode(&req, v);
            for n in 0..b.len() {
                assert!(Fitted::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let b = encode(&resp, v);
            for n in 0..b.len() {
                assert!(TxnOffsetCommitResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }
}
