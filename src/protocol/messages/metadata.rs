//! Metadata (key 3), versions 1–12: brokers, topics, partitions and leaders.
//!
//! The producer asks for the topics it writes to and learns, for each
//! partition, which broker leads it. v1 is the first version where a null
//! topic array means "all topics" (and an empty one "no topics"); v4 adds
//! `allow_auto_topic_creation`; v7 the leader epoch; v9 is the first flexible
//! version; v10 adds topic ids; v12 makes response topic names nullable.
//! Neither body has known tagged fields; unknown ones are skipped.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of Metadata.
pub const API_KEY: i16 = 3;

const FIRST_FLEXIBLE: i16 = 9;

/// "Authorized operations not requested / unknown" (`i32::MIN`).
pub const AUTHORIZED_OPERATIONS_UNKNOWN: i32 = i32::MIN;

/// One topic asked for in a [`MetadataRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct MetadataRequestTopic {
    /// Topic id (v10+); all zeros when asking by name.
    pub topic_id: [u8; 16],
    /// Topic name; may be null only from v10 (when asking by id).
    pub name: Option<String>,
}

/// Metadata request body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct MetadataRequest {
    /// Topics to describe; `None` means all topics, an empty list none.
    pub topics: Option<Vec<MetadataRequestTopic>>,
    /// Whether the broker may auto-create missing topics (v4+, default true;
    /// `false` cannot be expressed before v4).
    pub allow_auto_topic_creation: bool,
    /// Ask for cluster authorized operations (v8–10 only).
    pub include_cluster_authorized_operations: bool,
    /// Ask for topic authorized operations (v8+).
    pub include_topic_authorized_operations: bool,
}

impl Default for MetadataRequest {
    /// No topics (only brokers and controller), auto-creation allowed.
    fn default() -> Self {
        MetadataRequest {
            topics: Some(Vec::new()),
            allow_auto_topic_creation: true,
            include_cluster_authorized_operations: false,
            include_topic_authorized_operations: false,
        }
    }
}

impl MetadataRequest {
    /// A request for every topic in the cluster.
    pub fn all_topics() -> Self {
        MetadataRequest {
            topics: None,
            ..Self::default()
        }
    }

    /// A request for the named topics.
    pub fn for_topics<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let topics = names
            .into_iter()
            .map(|n| MetadataRequestTopic {
                topic_id: [0; 16],
                name: Some(n.into()),
            })
            .collect();
        MetadataRequest {
            topics: Some(topics),
            ..Self::default()
        }
    }
}

impl Message for MetadataRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 12;
    const FIRST_FLEXIBLE: i16 = FIRST_FLEXIBLE;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        match &self.topics {
            None => buf.put_null_array(flex),
            Some(topics) => {
                buf.put_array_len(topics.len(), flex);
                for t in topics {
                    if version >= 10 {
                        buf.put_uuid(&t.topic_id);
                    } else if t.name.is_none() {
                        return Err(EncodeError::NullNotAllowed("topic name"));
                    }
                    buf.put_nullable_string(t.name.as_deref(), flex, "topic name")?;
                    if flex {
                        buf.put_empty_tagged_fields();
                    }
                }
            }
        }
        if version >= 4 {
            buf.put_bool(self.allow_auto_topic_creation);
        } else if !self.allow_auto_topic_creation {
            return Err(EncodeError::NotRepresentable("allow_auto_topic_creation"));
        }
        if (8..=10).contains(&version) {
            buf.put_bool(self.include_cluster_authorized_operations);
        } else if self.include_cluster_authorized_operations {
            return Err(EncodeError::NotRepresentable(
                "include_cluster_authorized_operations",
            ));
        }
        if version >= 8 {
            buf.put_bool(self.include_topic_authorized_operations);
        } else if self.include_topic_authorized_operations {
            return Err(EncodeError::NotRepresentable(
                "include_topic_authorized_operations",
            ));
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        let topics = r.nullable_array(flex, |r| {
            let mut t = MetadataRequestTopic::default();
            if version >= 10 {
                t.topic_id = r.uuid()?;
                t.name = r.nullable_string(flex)?;
            } else {
                t.name = Some(r.string(flex, "topic name")?);
            }
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(t)
        })?;
        let mut out = Self {
            topics,
            ..Self::default()
        };
        if version >= 4 {
            out.allow_auto_topic_creation = r.bool()?;
        }
        if (8..=10).contains(&version) {
            out.include_cluster_authorized_operations = r.bool()?;
        }
        if version >= 8 {
            out.include_topic_authorized_operations = r.bool()?;
        }
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for MetadataRequest {
    type Response = MetadataResponse;
}

/// A broker of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct MetadataBroker {
    /// Broker id.
    pub node_id: i32,
    /// Host name.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Rack, or null (v1+).
    pub rack: Option<String>,
}

/// One partition of a [`MetadataTopic`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct MetadataPartition {
    /// Partition error code, 0 if none.
    pub error_code: i16,
    /// Partition index.
    pub partition_index: i32,
    /// Leader broker id, -1 when there is no leader.
    pub leader_id: i32,
    /// Leader epoch (v7+, default -1).
    pub leader_epoch: i32,
    /// All replicas.
    pub replica_nodes: Vec<i32>,
    /// In-sync replicas.
    pub isr_nodes: Vec<i32>,
    /// Offline replicas (v5+).
    pub offline_replicas: Vec<i32>,
}

impl Default for MetadataPartition {
    fn default() -> Self {
        MetadataPartition {
            error_code: 0,
            partition_index: 0,
            leader_id: 0,
            leader_epoch: -1,
            replica_nodes: Vec::new(),
            isr_nodes: Vec::new(),
            offline_replicas: Vec::new(),
        }
    }
}

/// One topic of a [`MetadataResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct MetadataTopic {
    /// Topic error code, 0 if none.
    pub error_code: i16,
    /// Topic name; null is allowed only from v12.
    pub name: Option<String>,
    /// Topic id (v10+), all zeros when unknown.
    pub topic_id: [u8; 16],
    /// Whether the topic is internal (v1+).
    pub is_internal: bool,
    /// The topic's partitions.
    pub partitions: Vec<MetadataPartition>,
    /// Authorized operations bitfield (v8+), [`AUTHORIZED_OPERATIONS_UNKNOWN`] by default.
    pub topic_authorized_operations: i32,
}

impl Default for MetadataTopic {
    fn default() -> Self {
        MetadataTopic {
            error_code: 0,
            name: Some(String::new()),
            topic_id: [0; 16],
            is_internal: false,
            partitions: Vec::new(),
            topic_authorized_operations: AUTHORIZED_OPERATIONS_UNKNOWN,
        }
    }
}

impl MetadataTopic {
    /// The partition with index `partition`, if listed.
    pub fn partition(&self, partition: i32) -> Option<&MetadataPartition> {
        self.partitions
            .iter()
            .find(|p| p.partition_index == partition)
    }
}

/// Metadata response body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct MetadataResponse {
    /// Throttle time in ms (v3+).
    pub throttle_time_ms: i32,
    /// The brokers of the cluster.
    pub brokers: Vec<MetadataBroker>,
    /// Cluster id, or null (v2+).
    pub cluster_id: Option<String>,
    /// Controller broker id (v1+), -1 when unknown.
    pub controller_id: i32,
    /// The topics asked for.
    pub topics: Vec<MetadataTopic>,
    /// Cluster authorized operations (v8–10), [`AUTHORIZED_OPERATIONS_UNKNOWN`] by default.
    pub cluster_authorized_operations: i32,
}

impl Default for MetadataResponse {
    fn default() -> Self {
        MetadataResponse {
            throttle_time_ms: 0,
            brokers: Vec::new(),
            cluster_id: None,
            controller_id: -1,
            topics: Vec::new(),
            cluster_authorized_operations: AUTHORIZED_OPERATIONS_UNKNOWN,
        }
    }
}

impl MetadataResponse {
    /// The broker with id `node_id`, if listed.
    pub fn broker(&self, node_id: i32) -> Option<&MetadataBroker> {
        self.brokers.iter().find(|b| b.node_id == node_id)
    }

    /// The topic named `name`, if listed.
    pub fn topic(&self, name: &str) -> Option<&MetadataTopic> {
        self.topics.iter().find(|t| t.name.as_deref() == Some(name))
    }

    /// The leader broker of `topic`/`partition`, when the topic and partition
    /// are listed, have a leader, and the leader is among the brokers.
    pub fn leader(&self, topic: &str, partition: i32) -> Option<&MetadataBroker> {
        let p = self.topic(topic)?.partition(partition)?;
        self.broker(p.leader_id)
    }
}

fn put_i32_array(buf: &mut Vec<u8>, v: &[i32], flex: bool) {
    buf.put_array_len(v.len(), flex);
    for x in v {
        buf.put_i32(*x);
    }
}

impl Message for MetadataResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 12;
    const FIRST_FLEXIBLE: i16 = FIRST_FLEXIBLE;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        if version >= 3 {
            buf.put_i32(self.throttle_time_ms);
        }
        buf.put_array_len(self.brokers.len(), flex);
        for b in &self.brokers {
            buf.put_i32(b.node_id);
            buf.put_string(&b.host, flex, "broker host")?;
            buf.put_i32(b.port);
            buf.put_nullable_string(b.rack.as_deref(), flex, "broker rack")?;
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        if version >= 2 {
            buf.put_nullable_string(self.cluster_id.as_deref(), flex, "cluster_id")?;
        }
        buf.put_i32(self.controller_id);
        buf.put_array_len(self.topics.len(), flex);
        for t in &self.topics {
            buf.put_i16(t.error_code);
            if version < 12 && t.name.is_none() {
                return Err(EncodeError::NullNotAllowed("topic name"));
            }
            buf.put_nullable_string(t.name.as_deref(), flex, "topic name")?;
            if version >= 10 {
                buf.put_uuid(&t.topic_id);
            }
            buf.put_bool(t.is_internal);
            buf.put_array_len(t.partitions.len(), flex);
            for p in &t.partitions {
                buf.put_i16(p.error_code);
                buf.put_i32(p.partition_index);
                buf.put_i32(p.leader_id);
                if version >= 7 {
                    buf.put_i32(p.leader_epoch);
                }
                put_i32_array(buf, &p.replica_nodes, flex);
                put_i32_array(buf, &p.isr_nodes, flex);
                if version >= 5 {
                    put_i32_array(buf, &p.offline_replicas, flex);
                }
                if flex {
                    buf.put_empty_tagged_fields();
                }
            }
            if version >= 8 {
                buf.put_i32(t.topic_authorized_operations);
            }
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        if (8..=10).contains(&version) {
            buf.put_i32(self.cluster_authorized_operations);
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        let mut out = Self::default();
        if version >= 3 {
            out.throttle_time_ms = r.i32()?;
        }
        out.brokers = r.array(flex, "brokers", |r| {
            let b = MetadataBroker {
                node_id: r.i32()?,
                host: r.string(flex, "broker host")?,
                port: r.i32()?,
                rack: r.nullable_string(flex)?,
            };
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(b)
        })?;
        if version >= 2 {
            out.cluster_id = r.nullable_string(flex)?;
        }
        out.controller_id = r.i32()?;
        out.topics = r.array(flex, "topics", |r| {
            let mut t = MetadataTopic {
                error_code: r.i16()?,
                name: if version >= 12 {
                    r.nullable_string(flex)?
                } else {
                    Some(r.string(flex, "topic name")?)
                },
                ..MetadataTopic::default()
            };
            if version >= 10 {
                t.topic_id = r.uuid()?;
            }
            t.is_internal = r.bool()?;
            t.partitions = r.array(flex, "partitions", |r| {
                let mut p = MetadataPartition {
                    error_code: r.i16()?,
                    partition_index: r.i32()?,
                    leader_id: r.i32()?,
                    ..MetadataPartition::default()
                };
                if version >= 7 {
                    p.leader_epoch = r.i32()?;
                }
                p.replica_nodes = r.array(flex, "replica_nodes", Reader::i32)?;
                p.isr_nodes = r.array(flex, "isr_nodes", Reader::i32)?;
                if version >= 5 {
                    p.offline_replicas = r.array(flex, "offline_replicas", Reader::i32)?;
                }
                if flex {
                    r.skip_tagged_fields()?;
                }
                Ok(p)
            })?;
            if version >= 8 {
                t.topic_authorized_operations = r.i32()?;
            }
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(t)
        })?;
        if (8..=10).contains(&version) {
            out.cluster_authorized_operations = r.i32()?;
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
        MetadataRequest,
        kafka_protocol::messages::MetadataRequest
    );
    wire_tests!(
        response,
        MetadataResponse,
        kafka_protocol::messages::MetadataResponse
    );

    #[test]
    fn golden_v1_request_all_topics() {
        let frame =
            crate::protocol::encode_request(&MetadataRequest::all_topics(), 1, 7, Some("c"))
                .unwrap();
        assert_eq!(
            frame,
            [0, 0, 0, 15, 0, 3, 0, 1, 0, 0, 0, 7, 0, 1, b'c', 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn golden_v9_and_v10_requests_for_one_topic() {
        let req = MetadataRequest::for_topics(["t"]);
        let mut b = Vec::new();
        req.encode(&mut b, 9).unwrap();
        // topics [ {name "t", no tags} ], allow=1, cluster=0, topic=0, no tags
        assert_eq!(b, [2, 2, b't', 0, 1, 0, 0, 0]);
        let mut b = Vec::new();
        req.encode(&mut b, 10).unwrap();
        let mut want = vec![2];
        want.extend_from_slice(&[0; 16]);
        want.extend_from_slice(&[2, b't', 0, 1, 0, 0, 0]);
        assert_eq!(b, want);
        // v11 drops include_cluster_authorized_operations.
        let mut b = Vec::new();
        req.encode(&mut b, 11).unwrap();
        assert_eq!(b.len(), want.len() - 1);
    }

    #[test]
    fn unrepresentable_request_fields_are_errors() {
        let mut req = MetadataRequest::for_topics(["t"]);
        req.allow_auto_topic_creation = false;
        assert!(req.encode(&mut Vec::new(), 3).is_err());
        assert!(req.encode(&mut Vec::new(), 4).is_ok());
        let req = MetadataRequest {
            topics: Some(vec![MetadataRequestTopic {
                topic_id: [1; 16],
                name: None,
            }]),
            ..MetadataRequest::default()
        };
        assert!(req.encode(&mut Vec::new(), 9).is_err());
        assert!(req.encode(&mut Vec::new(), 10).is_ok());
        let req = MetadataRequest {
            include_cluster_authorized_operations: true,
            ..MetadataRequest::default()
        };
        assert!(req.encode(&mut Vec::new(), 7).is_err());
        assert!(req.encode(&mut Vec::new(), 11).is_err());
        assert!(req.encode(&mut Vec::new(), 10).is_ok());
        assert!(req.encode(&mut Vec::new(), 0).is_err());
        assert!(req.encode(&mut Vec::new(), 13).is_err());
    }

    fn sample_response() -> MetadataResponse {
        MetadataResponse {
            throttle_time_ms: 5,
            brokers: vec![MetadataBroker {
                node_id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
            cluster_id: Some("c".into()),
            controller_id: 1,
            topics: vec![MetadataTopic {
                name: Some("t".into()),
                partitions: vec![MetadataPartition {
                    partition_index: 0,
                    leader_id: 1,
                    leader_epoch: 3,
                    replica_nodes: vec![1],
                    isr_nodes: vec![1],
                    ..MetadataPartition::default()
                }],
                ..MetadataTopic::default()
            }],
            ..MetadataResponse::default()
        }
    }

    #[test]
    fn golden_v1_response() {
        let mut b = Vec::new();
        sample_response().encode(&mut b, 1).unwrap();
        #[rustfmt::skip]
        let want = [
            0, 0, 0, 1, // brokers: 1
            0, 0, 0, 1, 0, 1, b'h', 0, 0, 0x23, 0x84, 0xff, 0xff, // id, host, port, rack null
            0, 0, 0, 1, // controller
            0, 0, 0, 1, // topics: 1
            0, 0, 0, 1, b't', 0, // error, name, internal
            0, 0, 0, 1, // partitions: 1
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // error, index, leader
            0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, // replicas [1], isr [1]
        ];
        assert_eq!(b, want);
        let back = MetadataResponse::decode(&mut Reader::new(&b), 1).unwrap();
        assert_eq!(back.leader("t", 0).map(|b| b.port), Some(9092));
        assert_eq!(back.topic("t").unwrap().partitions[0].leader_epoch, -1);
        assert!(back.leader("t", 1).is_none() && back.topic("u").is_none());
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        let resp = sample_response();
        let req = MetadataRequest::for_topics(["a", "bc"]);
        for v in 1..=12 {
            let mut b = Vec::new();
            resp.encode(&mut b, v).unwrap();
            for n in 0..b.len() {
                assert!(MetadataResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let mut b = Vec::new();
            req.encode(&mut b, v).unwrap();
            for n in 0..b.len() {
                assert!(MetadataRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
    }

    #[test]
    fn hostile_lengths_fail_cleanly() {
        // v1 response with 2^31-1 brokers claimed and nothing behind.
        let b = [0x7f, 0xff, 0xff, 0xff];
        assert!(MetadataResponse::decode(&mut Reader::new(&b), 1).is_err());
        // v9: replica array claiming u32::MAX-1 entries.
        // throttle, no brokers, null cluster, controller, 1 topic "t", 1 partition
        let mut b = vec![0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 2, b't', 0, 2];
        b.extend_from_slice(&[0; 14]); // error, index, leader, epoch
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(MetadataResponse::decode(&mut Reader::new(&b), 9).is_err());
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            version in 1i16..=12,
        ) {
            let _ = MetadataRequest::decode(&mut Reader::new(&bytes), version);
            let _ = MetadataResponse::decode(&mut Reader::new(&bytes), version);
        }
    }
}
