//! Produce (key 0), versions 3–13: write record batches to partition leaders.
//!
//! v3 is the first version carrying record batch v2 (and a transactional id);
//! v5 adds `log_start_offset`; v8 per-record errors; v9 is the first flexible
//! version; v10 adds the `current_leader` and `node_endpoints` tagged fields
//! (KIP-951) to responses; v13 identifies topics by id instead of name.
//!
//! # The hot path
//!
//! Records are opaque, already-encoded record batches. Besides the owned
//! [`ProduceRequest`], a borrowed view [`ProduceRequestRef`] lets the sender
//! write a request straight from batch buffers it owns, without copying them
//! into an owned struct first: build [`TopicProduceRef`]s holding
//! `&[u8]` records and call [`ProduceRequestRef::encode`] (body only) or
//! [`ProduceRequestRef::encode_frame_into`] (size prefix, header and body).
//! Both forms share one encoder, so they produce identical bytes.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{write_frame, Message, Request};

/// The API key of Produce.
pub const API_KEY: i16 = 0;

const FIRST_FLEXIBLE: i16 = 9;

/// Records for one partition (owned form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct PartitionProduceData {
    /// Partition index.
    pub index: i32,
    /// Encoded record batches (v2), or null.
    pub records: Option<Vec<u8>>,
}

/// Records for one topic (owned form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TopicProduceData {
    /// Topic name (v3–12; not written from v13).
    pub name: String,
    /// Topic id (v13+; not written before).
    pub topic_id: [u8; 16],
    /// Per-partition records.
    pub partition_data: Vec<PartitionProduceData>,
}

/// Produce request body (owned form; see [`ProduceRequestRef`] for the
/// borrowed one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct ProduceRequest {
    /// Transactional id, or null for a non-transactional producer.
    pub transactional_id: Option<String>,
    /// Required acks: 0 (none, and no response), 1 (leader) or -1 (all ISR).
    pub acks: i16,
    /// How long the broker may wait for the acks, in ms.
    pub timeout_ms: i32,
    /// Per-topic data.
    pub topic_data: Vec<TopicProduceData>,
}

/// Records for one partition, borrowed from the caller's batch buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionProduceRef<'a> {
    /// Partition index.
    pub index: i32,
    /// Encoded record batches (v2), or null.
    pub records: Option<&'a [u8]>,
}

/// Records for one topic, borrowing names and record bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicProduceRef<'a> {
    /// Topic name (v3–12).
    pub name: &'a str,
    /// Topic id (v13+).
    pub topic_id: [u8; 16],
    /// Per-partition records. Only this small vector is owned; the bytes are
    /// borrowed.
    pub partitions: Vec<PartitionProduceRef<'a>>,
}

/// A Produce request body borrowing everything it writes. Encodes to the
/// same bytes as the equivalent [`ProduceRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProduceRequestRef<'a> {
    /// Transactional id, or null.
    pub transactional_id: Option<&'a str>,
    /// Required acks (0, 1 or -1).
    pub acks: i16,
    /// Broker-side timeout in ms.
    pub timeout_ms: i32,
    /// Per-topic data.
    pub topics: &'a [TopicProduceRef<'a>],
}

impl ProduceRequestRef<'_> {
    /// Appends the body at `version` to `buf`.
    pub fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        self.encode_with(buf, version, None)
    }

    fn encode_with(
        &self,
        buf: &mut Vec<u8>,
        version: i16,
        split: Option<&mut Vec<usize>>,
    ) -> Result<(), EncodeError> {
        encode_body(
            buf,
            version,
            self.transactional_id,
            self.acks,
            self.timeout_ms,
            self.topics.iter().map(|t| {
                let parts = t.partitions.iter().map(|p| (p.index, p.records));
                (t.name, &t.topic_id, parts)
            }),
            split,
        )
    }

    /// Like [`encode_frame_into`](Self::encode_frame_into) but without the
    /// record bytes: every non-null `records` is written as its length prefix
    /// only, and the returned positions (one per non-null `records`, in order)
    /// say where in `buf` its bytes belong. The size prefix counts them, so
    /// `buf` split at those positions with the records in between is the
    /// frame, byte for byte — written with vectored I/O, nothing is copied.
    pub fn encode_frame_split(
        &self,
        buf: &mut Vec<u8>,
        version: i16,
        correlation_id: i32,
        client_id: Option<&str>,
    ) -> Result<Vec<usize>, EncodeError> {
        ProduceRequest::check_encode_version(version)?;
        let records: usize = self
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .filter_map(|p| p.records.map(<[u8]>::len))
            .sum();
        let mut positions = Vec::new();
        let header = (API_KEY, version, correlation_id, client_id);
        write_frame(buf, header, version >= FIRST_FLEXIBLE, records, |buf| {
            self.encode_with(buf, version, Some(&mut positions))
        })?;
        Ok(positions)
    }

    /// Appends a whole request frame (int32 size, request header, body) to
    /// `buf`, exactly as [`crate::protocol::encode_request_into`] would for
    /// the equivalent [`ProduceRequest`]. On error `buf` may hold a partial
    /// frame after its original length; truncate it back.
    pub fn encode_frame_into(
        &self,
        buf: &mut Vec<u8>,
        version: i16,
        correlation_id: i32,
        client_id: Option<&str>,
    ) -> Result<(), EncodeError> {
        ProduceRequest::check_encode_version(version)?;
        let header = (API_KEY, version, correlation_id, client_id);
        write_frame(buf, header, version >= FIRST_FLEXIBLE, 0, |buf| {
            self.encode(buf, version)
        })
    }
}

/// The one Produce request encoder, shared by the owned and borrowed forms.
/// `topics` yields `(name, topic_id, partitions)`, `partitions` yields
/// `(index, records)`.
fn encode_body<'a, T, P>(
    buf: &mut Vec<u8>,
    version: i16,
    transactional_id: Option<&str>,
    acks: i16,
    timeout_ms: i32,
    topics: T,
    mut split: Option<&mut Vec<usize>>,
) -> Result<(), EncodeError>
where
    T: ExactSizeIterator<Item = (&'a str, &'a [u8; 16], P)>,
    P: ExactSizeIterator<Item = (i32, Option<&'a [u8]>)>,
{
    ProduceRequest::check_encode_version(version)?;
    let flex = version >= FIRST_FLEXIBLE;
    buf.put_nullable_string(transactional_id, flex, "transactional_id")?;
    buf.put_i16(acks);
    buf.put_i32(timeout_ms);
    buf.put_array_len(topics.len(), flex);
    for (name, topic_id, partitions) in topics {
        if version <= 12 {
            buf.put_string(name, flex, "topic name")?;
        } else {
            buf.put_uuid(topic_id);
        }
        buf.put_array_len(partitions.len(), flex);
        for (index, records) in partitions {
            buf.put_i32(index);
            if records.is_some_and(|r| r.len() >= i32::MAX as usize) {
                return Err(EncodeError::TooLong("records"));
            }
            match (records, split.as_deref_mut()) {
                // Split mode: the length prefix only; the caller inserts the
                // bytes at the recorded position.
                (Some(r), Some(positions)) => {
                    if flex {
                        buf.put_uvarint(r.len() as u32 + 1);
                    } else {
                        buf.put_i32(r.len() as i32);
                    }
                    positions.push(buf.len());
                }
                _ => buf.put_nullable_bytes(records, flex),
            }
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

impl Message for ProduceRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 3;
    const MAX_VERSION: i16 = 13;
    const FIRST_FLEXIBLE: i16 = FIRST_FLEXIBLE;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        encode_body(
            buf,
            version,
            self.transactional_id.as_deref(),
            self.acks,
            self.timeout_ms,
            self.topic_data.iter().map(|t| {
                let parts = t
                    .partition_data
                    .iter()
                    .map(|p| (p.index, p.records.as_deref()));
                (t.name.as_str(), &t.topic_id, parts)
            }),
            None,
        )
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        let transactional_id = r.nullable_string(flex)?;
        let acks = r.i16()?;
        let timeout_ms = r.i32()?;
        let topic_data = r.array(flex, "topic_data", |r| {
            let mut t = TopicProduceData::default();
            if version <= 12 {
                t.name = r.string(flex, "topic name")?;
            } else {
                t.topic_id = r.uuid()?;
            }
            t.partition_data = r.array(flex, "partition_data", |r| {
                let p = PartitionProduceData {
                    index: r.i32()?,
                    records: r.nullable_bytes(flex)?,
                };
                if flex {
                    r.skip_tagged_fields()?;
                }
                Ok(p)
            })?;
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(t)
        })?;
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(ProduceRequest {
            transactional_id,
            acks,
            timeout_ms,
            topic_data,
        })
    }
}

impl Request for ProduceRequest {
    type Response = ProduceResponse;
}

/// Why one record of a batch made the broker drop the batch (v8+).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct BatchIndexAndErrorMessage {
    /// Index of the record within its batch.
    pub batch_index: i32,
    /// Error message for that record, or null.
    pub batch_index_error_message: Option<String>,
}

/// The current leader of a partition, sent with `NOT_LEADER_OR_FOLLOWER`
/// (v10+, tagged, KIP-951).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct LeaderIdAndEpoch {
    /// Leader broker id, -1 when unknown.
    pub leader_id: i32,
    /// Leader epoch, -1 when unknown.
    pub leader_epoch: i32,
}

impl Default for LeaderIdAndEpoch {
    fn default() -> Self {
        LeaderIdAndEpoch {
            leader_id: -1,
            leader_epoch: -1,
        }
    }
}

/// Result of producing to one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct PartitionProduceResponse {
    /// Partition index.
    pub index: i32,
    /// Error code, 0 if none.
    pub error_code: i16,
    /// Offset of the first record written.
    pub base_offset: i64,
    /// Broker append time when the topic uses LogAppendTime, else -1.
    pub log_append_time_ms: i64,
    /// Log start offset (v5+), -1 when absent.
    pub log_start_offset: i64,
    /// Records that caused the batch to be dropped (v8+).
    pub record_errors: Vec<BatchIndexAndErrorMessage>,
    /// Summary error message (v8+), or null.
    pub error_message: Option<String>,
    /// New leader hint (v10+, tag 0); written only when not the default.
    pub current_leader: LeaderIdAndEpoch,
}

impl Default for PartitionProduceResponse {
    fn default() -> Self {
        PartitionProduceResponse {
            index: 0,
            error_code: 0,
            base_offset: 0,
            log_append_time_ms: -1,
            log_start_offset: -1,
            record_errors: Vec::new(),
            error_message: None,
            current_leader: LeaderIdAndEpoch::default(),
        }
    }
}

/// Results for one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct TopicProduceResponse {
    /// Topic name (v3–12).
    pub name: String,
    /// Topic id (v13+).
    pub topic_id: [u8; 16],
    /// Per-partition results.
    pub partition_responses: Vec<PartitionProduceResponse>,
}

/// A broker endpoint named by a `current_leader` hint (v10+, tagged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct NodeEndpoint {
    /// Broker id.
    pub node_id: i32,
    /// Host name.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Rack, or null.
    pub rack: Option<String>,
}

/// Produce response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct ProduceResponse {
    /// Per-topic results.
    pub responses: Vec<TopicProduceResponse>,
    /// Throttle time in ms.
    pub throttle_time_ms: i32,
    /// Endpoints of the leaders named in `current_leader` hints (v10+, tag 0);
    /// written only when non-empty.
    pub node_endpoints: Vec<NodeEndpoint>,
}

impl ProduceResponse {
    /// Every `(topic, partition result)` pair, in response order.
    pub fn partitions(
        &self,
    ) -> impl Iterator<Item = (&TopicProduceResponse, &PartitionProduceResponse)> {
        self.responses
            .iter()
            .flat_map(|t| t.partition_responses.iter().map(move |p| (t, p)))
    }

    /// The endpoint of broker `node_id` among `node_endpoints`.
    pub fn node_endpoint(&self, node_id: i32) -> Option<&NodeEndpoint> {
        self.node_endpoints.iter().find(|n| n.node_id == node_id)
    }
}

impl Message for ProduceResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 3;
    const MAX_VERSION: i16 = 13;
    const FIRST_FLEXIBLE: i16 = FIRST_FLEXIBLE;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        buf.put_array_len(self.responses.len(), flex);
        for t in &self.responses {
            if version <= 12 {
                buf.put_string(&t.name, flex, "topic name")?;
            } else {
                buf.put_uuid(&t.topic_id);
            }
            buf.put_array_len(t.partition_responses.len(), flex);
            for p in &t.partition_responses {
                encode_partition_response(buf, p, version)?;
            }
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        buf.put_i32(self.throttle_time_ms);
        if flex {
            if version >= 10 && !self.node_endpoints.is_empty() {
                let mut field = Vec::new();
                field.put_array_len(self.node_endpoints.len(), true);
                for n in &self.node_endpoints {
                    field.put_i32(n.node_id);
                    field.put_string(&n.host, true, "node host")?;
                    field.put_i32(n.port);
                    field.put_nullable_string(n.rack.as_deref(), true, "node rack")?;
                    field.put_empty_tagged_fields();
                }
                buf.put_tagged_fields(&[(0, field)]);
            } else {
                buf.put_empty_tagged_fields();
            }
        }
        Ok(())
    }

    fn decode(r: &mut Reader<'_>, version: i16) -> Result<Self, DecodeError> {
        Self::check_version(version)?;
        let flex = version >= FIRST_FLEXIBLE;
        let mut out = Self {
            responses: r.array(flex, "responses", |r| {
                let mut t = TopicProduceResponse::default();
                if version <= 12 {
                    t.name = r.string(flex, "topic name")?;
                } else {
                    t.topic_id = r.uuid()?;
                }
                t.partition_responses = r.array(flex, "partition_responses", |r| {
                    decode_partition_response(r, version)
                })?;
                if flex {
                    r.skip_tagged_fields()?;
                }
                Ok(t)
            })?,
            throttle_time_ms: r.i32()?,
            node_endpoints: Vec::new(),
        };
        if flex {
            r.tagged_fields(|tag, f| {
                if tag != 0 || version < 10 {
                    return Ok(false);
                }
                out.node_endpoints = f.array(true, "node_endpoints", |r| {
                    let n = NodeEndpoint {
                        node_id: r.i32()?,
                        host: r.string(true, "node host")?,
                        port: r.i32()?,
                        rack: r.nullable_string(true)?,
                    };
                    r.skip_tagged_fields()?;
                    Ok(n)
                })?;
                Ok(true)
            })?;
        }
        Ok(out)
    }
}

fn encode_partition_response(
    buf: &mut Vec<u8>,
    p: &PartitionProduceResponse,
    version: i16,
) -> Result<(), EncodeError> {
    let flex = version >= FIRST_FLEXIBLE;
    buf.put_i32(p.index);
    buf.put_i16(p.error_code);
    buf.put_i64(p.base_offset);
    buf.put_i64(p.log_append_time_ms);
    if version >= 5 {
        buf.put_i64(p.log_start_offset);
    }
    if version >= 8 {
        buf.put_array_len(p.record_errors.len(), flex);
        for e in &p.record_errors {
            buf.put_i32(e.batch_index);
            buf.put_nullable_string(
                e.batch_index_error_message.as_deref(),
                flex,
                "batch_index_error_message",
            )?;
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        buf.put_nullable_string(p.error_message.as_deref(), flex, "error_message")?;
    }
    if flex {
        if version >= 10 && p.current_leader != LeaderIdAndEpoch::default() {
            // One field, tag 0, 9 bytes: two int32 and an empty tag section.
            buf.put_uvarint(1);
            buf.put_uvarint(0);
            buf.put_uvarint(9);
            buf.put_i32(p.current_leader.leader_id);
            buf.put_i32(p.current_leader.leader_epoch);
            buf.put_empty_tagged_fields();
        } else {
            buf.put_empty_tagged_fields();
        }
    }
    Ok(())
}

fn decode_partition_response(
    r: &mut Reader<'_>,
    version: i16,
) -> Result<PartitionProduceResponse, DecodeError> {
    let flex = version >= FIRST_FLEXIBLE;
    let mut p = PartitionProduceResponse {
        index: r.i32()?,
        error_code: r.i16()?,
        base_offset: r.i64()?,
        log_append_time_ms: r.i64()?,
        ..PartitionProduceResponse::default()
    };
    if version >= 5 {
        p.log_start_offset = r.i64()?;
    }
    if version >= 8 {
        p.record_errors = r.array(flex, "record_errors", |r| {
            let e = BatchIndexAndErrorMessage {
                batch_index: r.i32()?,
                batch_index_error_message: r.nullable_string(flex)?,
            };
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(e)
        })?;
        p.error_message = r.nullable_string(flex)?;
    }
    if flex {
        r.tagged_fields(|tag, f| {
            if tag != 0 || version < 10 {
                return Ok(false);
            }
            p.current_leader = LeaderIdAndEpoch {
                leader_id: f.i32()?,
                leader_epoch: f.i32()?,
            };
            f.skip_tagged_fields()?;
            Ok(true)
        })?;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::test_util::wire_tests;

    wire_tests!(
        request,
        ProduceRequest,
        kafka_protocol::messages::ProduceRequest
    );
    wire_tests!(
        response,
        ProduceResponse,
        kafka_protocol::messages::ProduceResponse
    );

    type Parts<'a> = &'a [(i32, Option<&'a [u8]>)];

    /// acks -1, timeout 30 s; topic ids are the name length repeated.
    fn request(txn: Option<&str>, topics: &[(&str, Parts<'_>)]) -> ProduceRequest {
        let topic_data = topics.iter().map(|(name, parts)| TopicProduceData {
            name: name.to_string(),
            topic_id: [name.len() as u8; 16],
            partition_data: parts
                .iter()
                .map(|(index, r)| PartitionProduceData {
                    index: *index,
                    records: r.map(<[u8]>::to_vec),
                })
                .collect(),
        });
        ProduceRequest {
            transactional_id: txn.map(str::to_owned),
            acks: -1,
            timeout_ms: 30_000,
            topic_data: topic_data.collect(),
        }
    }

    fn sample_request() -> ProduceRequest {
        let a: Parts<'_> = &[(0, Some(b"xy")), (3, Some(b""))];
        request(Some("tx"), &[("a", a), ("bb", &[(1, None)])])
    }

    #[test]
    fn golden_v3_request_one_partition() {
        let req = request(None, &[("t", &[(2, Some(b"abc"))])]);
        let mut b = Vec::new();
        req.encode(&mut b, 3).unwrap();
        #[rustfmt::skip]
        let want = [
            0xff, 0xff, 0xff, 0xff, 0, 0, 0x75, 0x30, // null txn id, acks -1, timeout
            0, 0, 0, 1, 0, 1, b't', // 1 topic "t"
            0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, b'a', b'b', b'c', // partition 2, 3 bytes
        ];
        assert_eq!(b, want);
        // v13 writes the topic id instead of the name; v9 is compact.
        let mut b = Vec::new();
        req.encode(&mut b, 13).unwrap();
        let mut want = vec![0, 0xff, 0xff, 0, 0, 0x75, 0x30, 2];
        want.extend_from_slice(&[1; 16]);
        want.extend_from_slice(&[2, 0, 0, 0, 2, 4, b'a', b'b', b'c', 0, 0, 0]);
        assert_eq!(b, want);
    }

    #[test]
    fn borrowed_form_matches_owned_at_every_version() {
        let req = sample_request();
        let topics: Vec<TopicProduceRef<'_>> = req
            .topic_data
            .iter()
            .map(|t| TopicProduceRef {
                name: &t.name,
                topic_id: t.topic_id,
                partitions: t
                    .partition_data
                    .iter()
                    .map(|p| PartitionProduceRef {
                        index: p.index,
                        records: p.records.as_deref(),
                    })
                    .collect(),
            })
            .collect();
        let r = ProduceRequestRef {
            transactional_id: req.transactional_id.as_deref(),
            acks: req.acks,
            timeout_ms: req.timeout_ms,
            topics: &topics,
        };
        for v in 3..=13 {
            let (mut owned, mut borrowed) = (Vec::new(), Vec::new());
            req.encode(&mut owned, v).unwrap();
            r.encode(&mut borrowed, v).unwrap();
            assert_eq!(owned, borrowed, "v{v}");
            let mut frame = vec![0xaa];
            r.encode_frame_into(&mut frame, v, 42, Some("cli")).unwrap();
            let want = crate::protocol::encode_request(&req, v, 42, Some("cli")).unwrap();
            assert_eq!(frame[1..], want[..], "frame v{v}");
        }
        assert!(r.encode(&mut Vec::new(), 2).is_err());
        assert!(r.encode_frame_into(&mut Vec::new(), 14, 0, None).is_err());
    }

    #[test]
    fn golden_v10_response_with_leader_hint() {
        let resp = ProduceResponse {
            responses: vec![TopicProduceResponse {
                name: "t".into(),
                topic_id: [0; 16],
                partition_responses: vec![PartitionProduceResponse {
                    index: 1,
                    error_code: 6,
                    base_offset: -1,
                    current_leader: LeaderIdAndEpoch {
                        leader_id: 3,
                        leader_epoch: 5,
                    },
                    ..Default::default()
                }],
            }],
            throttle_time_ms: 0,
            node_endpoints: vec![NodeEndpoint {
                node_id: 3,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
        };
        let mut b = Vec::new();
        resp.encode(&mut b, 10).unwrap();
        let ff = [0xff; 8];
        let mut want = vec![2, 2, b't', 2, 0, 0, 0, 1, 0, 6]; // 1 topic "t", 1 partition
        for _ in 0..3 {
            want.extend_from_slice(&ff); // base offset, append time, log start: -1
        }
        want.extend_from_slice(&[1, 0]); // no record errors, null error message
        want.extend_from_slice(&[1, 0, 9, 0, 0, 0, 3, 0, 0, 0, 5, 0]); // tag 0: leader 3, epoch 5
        want.extend_from_slice(&[0, 0, 0, 0, 0]); // topic tags, throttle
        want.extend_from_slice(&[1, 0, 13, 2, 0, 0, 0, 3, 2, b'h', 0, 0, 0x23, 0x84, 0, 0]);
        assert_eq!(b, want);
        let back = ProduceResponse::decode(&mut Reader::new(&b), 10).unwrap();
        assert_eq!(back, resp);
        let (t, p) = back.partitions().next().unwrap();
        assert_eq!((t.name.as_str(), p.current_leader.leader_id), ("t", 3));
        assert_eq!(back.node_endpoint(3).unwrap().port, 9092);
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        let req = sample_request();
        let part = PartitionProduceResponse {
            record_errors: vec![BatchIndexAndErrorMessage::default()],
            error_message: Some("e".into()),
            current_leader: LeaderIdAndEpoch {
                leader_id: 1,
                leader_epoch: 2,
            },
            ..Default::default()
        };
        let resp = ProduceResponse {
            responses: vec![TopicProduceResponse {
                partition_responses: vec![part],
                ..Default::default()
            }],
            throttle_time_ms: 1,
            node_endpoints: vec![NodeEndpoint::default()],
        };
        for v in 3..=13 {
            let mut b = Vec::new();
            req.encode(&mut b, v).unwrap();
            for n in 0..b.len() {
                assert!(ProduceRequest::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
            let mut b = Vec::new();
            resp.encode(&mut b, v).unwrap();
            for n in 0..b.len() {
                assert!(ProduceResponse::decode(&mut Reader::new(&b[..n]), v).is_err());
            }
        }
        // A v3 response claiming 2^31-1 topics, and a tag claiming 2^32-1 bytes.
        assert!(ProduceResponse::decode(&mut Reader::new(&[0x7f, 0xff, 0xff, 0xff]), 3).is_err());
        let b = [1, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(ProduceResponse::decode(&mut Reader::new(&b), 10).is_err());
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            version in 3i16..=13,
        ) {
            let _ = ProduceRequest::decode(&mut Reader::new(&bytes), version);
            let _ = ProduceResponse::decode(&mut Reader::new(&bytes), version);
        }
    }

    #[test]
    fn split_frames_join_to_the_plain_frame() {
        for version in [3i16, 8, 9, 11, 13] {
            let a = vec![1u8; 70];
            let b = vec![2u8; 300];
            let t1 = [
                PartitionProduceRef {
                    index: 0,
                    records: Some(&a[..]),
                },
                PartitionProduceRef {
                    index: 1,
                    records: None,
                },
            ];
            let t2 = [PartitionProduceRef {
                index: 4,
                records: Some(&b[..]),
            }];
            let topics = [
                TopicProduceRef {
                    name: "x",
                    topic_id: [3; 16],
                    partitions: t1.to_vec(),
                },
                TopicProduceRef {
                    name: "yy",
                    topic_id: [4; 16],
                    partitions: t2.to_vec(),
                },
            ];
            let req = ProduceRequestRef {
                transactional_id: None,
                acks: -1,
                timeout_ms: 500,
                topics: &topics,
            };
            let mut plain = Vec::new();
            req.encode_frame_into(&mut plain, version, 9, Some("c"))
                .unwrap();
            let mut head = Vec::new();
            let pos = req
                .encode_frame_split(&mut head, version, 9, Some("c"))
                .unwrap();
            assert_eq!(pos.len(), 2);
            let mut joined = head[..pos[0]].to_vec();
            joined.extend_from_slice(&a);
            joined.extend_from_slice(&head[pos[0]..pos[1]]);
            joined.extend_from_slice(&b);
            joined.extend_from_slice(&head[pos[1]..]);
            assert_eq!(joined, plain, "v{version}");
        }
    }
}
