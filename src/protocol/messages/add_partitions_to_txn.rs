//! AddPartitionsToTxn (key 24), versions 0–5: add partitions to a transaction.
//!
//! v3 is the first flexible version. v4 (KIP-890) changes the layout of both
//! bodies: the request batches several transactions (each with a
//! `verify_only` flag) and the response answers per transaction, replacing
//! the single-transaction fields of v0–3, which Kafka names `V3AndBelow…`.
//! Kafka reserves v4+ for brokers (it requires the cluster action
//! permission), so a producer should send at most [`MAX_CLIENT_VERSION`].
//!
//! Both layouts live in the structs; encoding a field of the other layout is
//! an error, since dropping it would change the request or the answer.
//! [`AddPartitionsToTxnRequest::single`] and
//! [`AddPartitionsToTxnResponse::topic_results`] hide the difference.

use crate::protocol::primitives::{DecodeError, EncodeError, Put, Reader};
use crate::protocol::{Message, Request};

/// The API key of AddPartitionsToTxn.
pub const API_KEY: i16 = 24;

/// The highest version a client (rather than a broker) should send.
pub const MAX_CLIENT_VERSION: i16 = 3;

/// Partitions of one topic to add to a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnTopic {
    /// Topic name.
    pub name: String,
    /// Partition indexes.
    pub partitions: Vec<i32>,
}

/// One transaction of a batched (v4+) request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnTransaction {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer id in use by the transactional id.
    pub producer_id: i64,
    /// The producer epoch.
    pub producer_epoch: i16,
    /// Only check whether the partitions are in the transaction; do not add them.
    pub verify_only: bool,
    /// The partitions to add.
    pub topics: Vec<AddPartitionsToTxnTopic>,
}

/// AddPartitionsToTxn request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnRequest {
    /// The transactions (v4+; must be empty below v4).
    pub transactions: Vec<AddPartitionsToTxnTransaction>,
    /// The transactional id (v0–3; must be empty at v4+).
    pub v3_and_below_transactional_id: String,
    /// The producer id (v0–3; must be 0 at v4+).
    pub v3_and_below_producer_id: i64,
    /// The producer epoch (v0–3; must be 0 at v4+).
    pub v3_and_below_producer_epoch: i16,
    /// The partitions to add (v0–3; must be empty at v4+).
    pub v3_and_below_topics: Vec<AddPartitionsToTxnTopic>,
}

impl AddPartitionsToTxnRequest {
    /// A request adding `topics` to one transaction, in the layout of `version`.
    pub fn single(
        version: i16,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        topics: Vec<AddPartitionsToTxnTopic>,
    ) -> Self {
        if version >= 4 {
            AddPartitionsToTxnRequest {
                transactions: vec![AddPartitionsToTxnTransaction {
                    transactional_id: transactional_id.to_owned(),
                    producer_id,
                    producer_epoch,
                    verify_only: false,
                    topics,
                }],
                ..Default::default()
            }
        } else {
            AddPartitionsToTxnRequest {
                transactions: Vec::new(),
                v3_and_below_transactional_id: transactional_id.to_owned(),
                v3_and_below_producer_id: producer_id,
                v3_and_below_producer_epoch: producer_epoch,
                v3_and_below_topics: topics,
            }
        }
    }
}

fn put_topics(
    buf: &mut Vec<u8>,
    topics: &[AddPartitionsToTxnTopic],
    flex: bool,
) -> Result<(), EncodeError> {
    buf.put_array_len(topics.len(), flex);
    for t in topics {
        buf.put_string(&t.name, flex, "topic name")?;
        buf.put_array_len(t.partitions.len(), flex);
        for p in &t.partitions {
            buf.put_i32(*p);
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
    }
    Ok(())
}

fn read_topics(
    r: &mut Reader<'_>,
    flex: bool,
) -> Result<Vec<AddPartitionsToTxnTopic>, DecodeError> {
    r.array(flex, "topics", |r| {
        let t = AddPartitionsToTxnTopic {
            name: r.string(flex, "topic name")?,
            partitions: r.array(flex, "partitions", Reader::i32)?,
        };
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(t)
    })
}

impl Message for AddPartitionsToTxnRequest {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        if version >= 4 {
            if !self.v3_and_below_transactional_id.is_empty()
                || self.v3_and_below_producer_id != 0
                || self.v3_and_below_producer_epoch != 0
                || !self.v3_and_below_topics.is_empty()
            {
                return Err(EncodeError::NotRepresentable("v3_and_below fields"));
            }
            buf.put_array_len(self.transactions.len(), true);
            for t in &self.transactions {
                buf.put_string(&t.transactional_id, true, "transactional_id")?;
                buf.put_i64(t.producer_id);
                buf.put_i16(t.producer_epoch);
                buf.put_bool(t.verify_only);
                put_topics(buf, &t.topics, true)?;
                buf.put_empty_tagged_fields();
            }
        } else {
            if !self.transactions.is_empty() {
                return Err(EncodeError::NotRepresentable("transactions"));
            }
            buf.put_string(
                &self.v3_and_below_transactional_id,
                flex,
                "transactional_id",
            )?;
            buf.put_i64(self.v3_and_below_producer_id);
            buf.put_i16(self.v3_and_below_producer_epoch);
            put_topics(buf, &self.v3_and_below_topics, flex)?;
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
        if version >= 4 {
            out.transactions = r.array(true, "transactions", |r| {
                let t = AddPartitionsToTxnTransaction {
                    transactional_id: r.string(true, "transactional_id")?,
                    producer_id: r.i64()?,
                    producer_epoch: r.i16()?,
                    verify_only: r.bool()?,
                    topics: read_topics(r, true)?,
                };
                r.skip_tagged_fields()?;
                Ok(t)
            })?;
        } else {
            out.v3_and_below_transactional_id = r.string(flex, "transactional_id")?;
            out.v3_and_below_producer_id = r.i64()?;
            out.v3_and_below_producer_epoch = r.i16()?;
            out.v3_and_below_topics = read_topics(r, flex)?;
        }
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(out)
    }
}

impl Request for AddPartitionsToTxnRequest {
    type Response = AddPartitionsToTxnResponse;
}

/// The result for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnPartitionResult {
    /// Partition index.
    pub partition_index: i32,
    /// Error code, 0 on success.
    pub partition_error_code: i16,
}

/// The results for one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnTopicResult {
    /// Topic name.
    pub name: String,
    /// One result per partition.
    pub results_by_partition: Vec<AddPartitionsToTxnPartitionResult>,
}

/// The results for one transaction (v4+).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnResult {
    /// The transactional id.
    pub transactional_id: String,
    /// One result per topic.
    pub topic_results: Vec<AddPartitionsToTxnTopicResult>,
}

/// AddPartitionsToTxn response body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(any(test, feature = "arbitrary"), derive(arbitrary::Arbitrary))]
pub struct AddPartitionsToTxnResponse {
    /// Throttle time in ms.
    pub throttle_time_ms: i32,
    /// Top-level error code (v4+; dropped below v4).
    pub error_code: i16,
    /// Results per transaction (v4+; must be empty below v4).
    pub results_by_transaction: Vec<AddPartitionsToTxnResult>,
    /// Results per topic (v0–3; must be empty at v4+).
    pub results_by_topic_v3_and_below: Vec<AddPartitionsToTxnTopicResult>,
}

impl AddPartitionsToTxnResponse {
    /// Every topic result, whatever the layout: the v0–3 list followed by
    /// the topics of every v4+ transaction.
    pub fn topic_results(&self) -> impl Iterator<Item = &AddPartitionsToTxnTopicResult> {
        self.results_by_topic_v3_and_below.iter().chain(
            self.results_by_transaction
                .iter()
                .flat_map(|t| t.topic_results.iter()),
        )
    }
}

fn put_topic_results(
    buf: &mut Vec<u8>,
    topics: &[AddPartitionsToTxnTopicResult],
    flex: bool,
) -> Result<(), EncodeError> {
    buf.put_array_len(topics.len(), flex);
    for t in topics {
        buf.put_string(&t.name, flex, "topic name")?;
        buf.put_array_len(t.results_by_partition.len(), flex);
        for p in &t.results_by_partition {
            buf.put_i32(p.partition_index);
            buf.put_i16(p.partition_error_code);
            if flex {
                buf.put_empty_tagged_fields();
            }
        }
        if flex {
            buf.put_empty_tagged_fields();
        }
    }
    Ok(())
}

fn read_topic_results(
    r: &mut Reader<'_>,
    flex: bool,
) -> Result<Vec<AddPartitionsToTxnTopicResult>, DecodeError> {
    r.array(flex, "topic results", |r| {
        let name = r.string(flex, "topic name")?;
        let results_by_partition = r.array(flex, "results_by_partition", |r| {
            let p = AddPartitionsToTxnPartitionResult {
                partition_index: r.i32()?,
                partition_error_code: r.i16()?,
            };
            if flex {
                r.skip_tagged_fields()?;
            }
            Ok(p)
        })?;
        if flex {
            r.skip_tagged_fields()?;
        }
        Ok(AddPartitionsToTxnTopicResult {
            name,
            results_by_partition,
        })
    })
}

impl Message for AddPartitionsToTxnResponse {
    const API_KEY: i16 = API_KEY;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const FIRST_FLEXIBLE: i16 = 3;

    fn encode(&self, buf: &mut Vec<u8>, version: i16) -> Result<(), EncodeError> {
        Self::check_encode_version(version)?;
        let flex = Self::is_flexible(version);
        buf.put_i32(self.throttle_time_ms);
        if version >= 4 {
            if !self.results_by_topic_v3_and_below.is_empty() {
                return Err(EncodeError::NotRepresentable(
                    "results_by_topic_v3_and_below",
                ));
            }
            buf.put_i16(self.error_code);
            buf.put_array_len(self.results_by_transaction.len(), true);
            for t in &self.results_by_transaction {
                buf.put_string(&t.transactional_id, true, "transactional_id")?;
                put_topic_results(buf, &t.topic_results, true)?;
                buf.put_empty_tagged_fields();
            }
        } else {
            if !self.results_by_transaction.is_empty() {
                return Err(EncodeError::NotRepresentable("results_by_transaction"));
            }
            put_topic_results(buf, &self.results_by_topic_v3_and_below, flex)?;
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
            throttle_time_ms: r.i32()?,
            ..Self::default()
        };
        if version >= 4 {
            out.error_code = r.i16()?;
            out.results_by_transaction = r.array(true, "results_by_transaction", |r| {
                let t = AddPartitionsToTxnResult {
                    transactional_id: r.string(true, "transactional_id")?,
                    topic_results: read_topic_results(r, true)?,
                };
                r.skip_tagged_fields()?;
                Ok(t)
            })?;
        } else {
            out.results_by_topic_v3_and_below = read_topic_results(r, flex)?;
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
        AddPartitionsToTxnRequest,
        kafka_protocol::messages::AddPartitionsToTxnRequest
    );
    wire_tests!(
        response,
        AddPartitionsToTxnResponse,
        kafka_protocol::messages::AddPartitionsToTxnResponse
    );
    wire_tests!(
        request_fitted,
        FittedRequest,
        kafka_protocol::messages::AddPartitionsToTxnRequest
    );
    wire_tests!(
        response_fitted,
        FittedResponse,
        kafka_protocol::messages::AddPartitionsToTxnResponse
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

    fitted!(FittedRequest, AddPartitionsToTxnRequest, |m, v| {
        if v >= 4 {
            m = AddPartitionsToTxnRequest {
                transactions: m.transactions,
                ..Default::default()
            };
        } else {
            m.transactions.clear();
        }
    });

    fitted!(FittedResponse, AddPartitionsToTxnResponse, |m, v| {
        if v >= 4 {
            m.results_by_topic_v3_and_below.clear();
        } else {
            m.results_by_transaction.clear();
            m.error_code = 0;
        }
    });

    fn encode<M: Message>(m: &M, version: i16) -> Vec<u8> {
        let mut b = Vec::new();
        m.encode(&mut b, version).unwrap();
        b
    }

    fn topic_x() -> Vec<AddPartitionsToTxnTopic> {
        vec![AddPartitionsToTxnTopic {
            name: "x".into(),
            partitions: vec![0],
        }]
    }

    #[test]
    fn golden_requests() {
        let v0 = AddPartitionsToTxnRequest::single(0, "t", 1, 0, topic_x());
        assert_eq!(
            encode(&v0, 0),
            [
                0, 1, b't', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, b'x', 0, 0, 0, 1, 0, 0,
                0, 0
            ]
        );
        let v4 = AddPartitionsToTxnRequest::single(4, "t", 1, 0, topic_x());
        assert_eq!(
            encode(&v4, 4),
            [2, 2, b't', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 2, b'x', 2, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            v0.encode(&mut Vec::new(), 4),
            Err(EncodeError::NotRepresentable("v3_and_below fields"))
        );
        assert_eq!(
            v4.encode(&mut Vec::new(), 3),
            Err(EncodeError::NotRepresentable("transactions"))
        );
    }

    #[test]
    fn golden_responses() {
        let v3 = [0, 0, 0, 0, 2, 2, b'x', 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let resp = AddPartitionsToTxnResponse::decode(&mut Reader::new(&v3), 3).unwrap();
        let partition = AddPartitionsToTxnPartitionResult {
            partition_index: 0,
            partition_error_code: 0,
        };
        let topic = AddPartitionsToTxnTopicResult {
            name: "x".into(),
            results_by_partition: vec![partition],
        };
        assert_eq!(resp.topic_results().collect::<Vec<_>>(), [&topic]);
        assert_eq!(encode(&resp, 3), v3);

        let v4 = [
            0, 0, 0, 0, 0, 0, 2, 2, b't', 2, 2, b'x', 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let resp = AddPartitionsToTxnResponse::decode(&mut Reader::new(&v4), 4).unwrap();
        assert_eq!(resp.results_by_transaction[0].transactional_id, "t");
        assert_eq!(resp.topic_results().collect::<Vec<_>>(), [&topic]);
        assert_eq!(encode(&resp, 4), v4);
    }

    #[test]
    fn every_strict_prefix_is_an_error() {
        let topics = vec![
            AddPartitionsToTxnTopic {
                name: "a".into(),
                partitions: vec![1, 2],
            },
            AddPartitionsToTxnTopic {
                name: "b".into(),
                partitions: vec![],
            },
        ];
        let txn = AddPartitionsToTxnTransaction {
            transactional_id: "t".into(),
            producer_id: 1,
            producer_epoch: 2,
            verify_only: true,
            topics: topics.clone(),
        };
        let req = FittedRequest(AddPartitionsToTxnRequest {
            transactions: vec![txn.clone(), txn],
            v3_and_below_transactional_id: "u".into(),
            v3_and_below_producer_id: 3,
            v3_and_below_producer_epoch: 4,
            v3_and_below_topics: topics,
        });
        let topic = AddPartitionsToTxnTopicResult {
            name: "x".into(),
            results_by_partition: vec![AddPartitionsToTxnPartitionResult {
                partition_index: 5,
                partition_error_code: 48,
            }],
        };
        let resp = FittedResponse(AddPartitionsToTxnResponse {
            throttle_time_ms: 1,
            error_code: 2,
            results_by_transaction: vec![AddPartitionsToTxnResult {
                transactional_id: "t".into(),
                topic_results: vec![topic.clone()],
            }],
            results_by_topic_v3_and_below: vec![topic.clone(), topic],
        });
        for v in 0..=5 {
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
