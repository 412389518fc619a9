//! Stepped sender tests: a `FakeNetwork`, a `ManualClock`, and `run_once`
//! called by hand, so linger, retries, backoff and timeouts are checked
//! deterministically without sleeping.

use super::{Sender, Shared};
use crate::accumulator::RecordRef;
use crate::clock::{Clock, ManualClock};
use crate::config::{Acks, ProducerConfig, ProducerConfigBuilder};
use crate::delivery::DeliveryHandle;
use crate::net::{FakeNetwork, NodeId};
use crate::protocol::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::messages::metadata::{
    MetadataBroker, MetadataPartition, MetadataRequest, MetadataResponse, MetadataTopic,
};
use crate::protocol::messages::produce::{
    PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceResponse,
};
use crate::protocol::{decode_request, ErrorCode, Message, Reader, Request};
use crate::record_batch::read_batches;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) const TOPIC: &str = "t";

pub(super) struct Harness {
    pub(super) sender: Sender<FakeNetwork>,
    pub(super) clock: ManualClock,
    pub(super) shared: Arc<Shared>,
    /// Partition leaders that Metadata requests are answered with.
    pub(super) leaders: Vec<i32>,
    /// The topic id that Metadata requests are answered with (zero: none).
    pub(super) topic_id: [u8; 16],
}

/// A request the sender wrote, decoded enough to answer it.
pub(super) struct Sent {
    pub(super) api_key: i16,
    pub(super) version: i16,
    pub(super) correlation_id: i32,
    pub(super) frame: Vec<u8>,
}

impl Sent {
    pub(super) fn decode<R: Request>(&self) -> R {
        decode_request::<R>(&self.frame[4..]).expect("decodes").1
    }
}

pub(super) fn versions() -> crate::protocol::messages::api_versions::ApiVersionsResponse {
    FakeNetwork::broker_versions(&[(0, 3, 11), (3, 1, 12), (18, 0, 4), (22, 0, 5)])
}

pub(super) fn harness(cfg: ProducerConfigBuilder) -> Harness {
    harness_with(cfg, versions())
}

/// A harness whose brokers answer ApiVersions with `versions`.
pub(super) fn harness_with(
    cfg: ProducerConfigBuilder,
    versions: crate::protocol::messages::api_versions::ApiVersionsResponse,
) -> Harness {
    let config = cfg
        .bootstrap_servers("boot:9092")
        .build()
        .expect("valid config");
    let config = Arc::new(config);
    // A wake that does nothing: waits mark batches awaited
    // (`wait.sends.batch`), and the test steps the sender itself.
    let wake: crate::delivery::Wake = Arc::new(|| {});
    let shared = Arc::new(Shared::with_wake(config, Some(wake)));
    let clock = ManualClock::new();
    let mut net = FakeNetwork::new();
    net.set_auto_ready(Some(versions));
    let sender = Sender::new(shared.clone(), net, clock.now());
    Harness {
        sender,
        clock,
        shared,
        leaders: vec![1, 2],
        topic_id: [0; 16],
    }
}

pub(super) fn metadata(leaders: &[i32]) -> MetadataResponse {
    MetadataResponse {
        brokers: [1, 2]
            .iter()
            .map(|id| MetadataBroker {
                node_id: *id,
                host: format!("b{id}"),
                port: 9092,
                rack: None,
            })
            .collect(),
        topics: vec![MetadataTopic {
            name: Some(TOPIC.into()),
            partitions: leaders
                .iter()
                .enumerate()
                .map(|(i, l)| MetadataPartition {
                    partition_index: i as i32,
                    leader_id: *l,
                    replica_nodes: vec![1, 2],
                    isr_nodes: vec![1, 2],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub(super) fn produce_ok(sent: &Sent, base_offset: i64) -> ProduceResponse {
    produce_answer(sent, ErrorCode::NONE, base_offset)
}

pub(super) fn produce_answer(sent: &Sent, code: ErrorCode, base_offset: i64) -> ProduceResponse {
    let req: ProduceRequest = sent.decode();
    ProduceResponse {
        responses: req
            .topic_data
            .iter()
            .map(|t| TopicProduceResponse {
                name: t.name.clone(),
                topic_id: t.topic_id,
                partition_responses: t
                    .partition_data
                    .iter()
                    .map(|p| PartitionProduceResponse {
                        index: p.index,
                        error_code: code.0,
                        base_offset,
                        ..Default::default()
                    })
                    .collect(),
            })
            .collect(),
        ..Default::default()
    }
}

impl Harness {
    pub(super) fn step(&mut self) -> Option<Instant> {
        self.sender.run_once(self.clock.now())
    }

    pub(super) fn advance(&mut self, d: Duration) -> Option<Instant> {
        self.clock.advance(d);
        self.step()
    }

    /// Takes what was sent to `node`; Metadata requests are answered with
    /// `self.leaders` and left out.
    pub(super) fn take(&mut self, node: NodeId) -> Vec<Sent> {
        let sent = self.take_all(node);
        let mut out = Vec::new();
        for s in sent {
            if s.api_key == MetadataRequest::API_KEY {
                let md = self.metadata();
                self.answer::<MetadataRequest>(node, &s, &md);
            } else {
                out.push(s);
            }
        }
        out
    }

    /// The Metadata answer: `self.leaders`, and `self.topic_id` as the id.
    pub(super) fn metadata(&self) -> MetadataResponse {
        let mut md = metadata(&self.leaders);
        md.topics[0].topic_id = self.topic_id;
        md
    }

    pub(super) fn take_all(&mut self, node: NodeId) -> Vec<Sent> {
        self.sender
            .net
            .sent(node)
            .into_iter()
            .map(|frame| {
                let mut r = Reader::new(&frame[4..]);
                let api_key = r.i16().unwrap();
                let version = r.i16().unwrap();
                let correlation_id = r.i32().unwrap();
                Sent {
                    api_key,
                    version,
                    correlation_id,
                    frame,
                }
            })
            .collect()
    }

    pub(super) fn answer<R: Request>(&mut self, node: NodeId, sent: &Sent, body: &R::Response) {
        assert_eq!(sent.api_key, R::API_KEY);
        self.sender
            .net
            .respond_with::<R>(node, sent.version, sent.correlation_id, body);
    }

    /// Connects to the bootstrap server and answers the first Metadata
    /// request (and InitProducerId, if idempotent).
    pub(super) fn bootstrap(&mut self, leaders: &[i32]) {
        self.leaders = leaders.to_vec();
        self.step(); // connect -1 (auto ready on next poll)
        self.step(); // ready: Metadata (and InitProducerId) sent
        let sent = self.take_all(-1);
        let md = sent
            .iter()
            .find(|s| s.api_key == MetadataRequest::API_KEY)
            .expect("a metadata request");
        let answer = self.metadata();
        self.answer::<MetadataRequest>(-1, md, &answer);
        if self.shared.config.enable_idempotence {
            let init = sent
                .iter()
                .find(|s| s.api_key == InitProducerIdRequest::API_KEY)
                .expect("an InitProducerId request");
            let resp = InitProducerIdResponse {
                producer_id: 4242,
                producer_epoch: 3,
                ..Default::default()
            };
            self.answer::<InitProducerIdRequest>(-1, init, &resp);
        }
        self.step();
        assert!(self.shared.cluster.topic(TOPIC).is_some());
    }

    /// As if `node` had acknowledged a batch of `partition` under the
    /// current stamp: its batches may be pipelined there (otherwise one
    /// goes at a time until the first is acknowledged).
    pub(super) fn confirmed(&mut self, partition: i32, node: NodeId) {
        let idem = self.sender.idempotence.as_ref().expect("idempotence");
        let stamp = (node, idem.producer_id, idem.epoch);
        self.sender
            .confirmed
            .insert((Arc::from(TOPIC), partition), stamp);
    }

    pub(super) fn append(&self, partition: i32, value: &[u8]) -> DeliveryHandle {
        self.append_created(partition, value, self.clock.now())
    }

    /// Appends a record to a new or open batch stamped `created`.
    pub(super) fn append_created(
        &self,
        partition: i32,
        value: &[u8],
        created: Instant,
    ) -> DeliveryHandle {
        let a = self
            .shared
            .acc
            .append(
                TOPIC,
                partition,
                2,
                &RecordRef::new(1_000, None, Some(value), &[]),
                &crate::wait::Bound::forever(),
                &At(created),
                None,
            )
            .ok()
            .expect("appended");
        DeliveryHandle {
            batch: a.result,
            info: a.info,
        }
    }

    pub(super) fn produces(&mut self, node: NodeId) -> Vec<Sent> {
        let all = self.take(node);
        assert!(
            all.iter().all(|s| s.api_key == ProduceRequest::API_KEY),
            "only Produce requests expected"
        );
        all
    }
}

pub(super) fn no_idempotence() -> ProducerConfigBuilder {
    ProducerConfig::builder().enable_idempotence(false)
}

pub(super) fn done(
    h: &DeliveryHandle,
) -> Option<Result<crate::RecordMetadata, crate::DeliveryError>> {
    h.wait_timeout(Duration::ZERO)
}

#[test]
fn a_batch_waits_for_linger_then_goes() {
    let mut h = harness(no_idempotence().linger(Duration::from_millis(20)));
    h.bootstrap(&[1, 2]);
    let created = h.clock.now();
    let handle = h.append(0, b"v");
    let wake = h.step();
    assert_eq!(wake, Some(created + Duration::from_millis(20)));
    h.advance(Duration::from_millis(10));
    h.advance(Duration::from_millis(9));
    assert!(h.produces(1).is_empty(), "sent before linger.ms");
    assert_eq!(
        h.sender.net.connect_count(1),
        0,
        "no connection before a batch is ready"
    );
    h.advance(Duration::from_millis(1)); // ready: connects to broker 1
    h.step(); // connected: sends
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1);
    let req: ProduceRequest = sent[0].decode();
    assert_eq!(req.acks, -1);
    let batch = read_batches(
        req.topic_data[0].partition_data[0]
            .records
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(batch[0].records[0].value.as_deref(), Some(&b"v"[..]));
    assert_eq!(batch[0].header.producer_id, -1);
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 77));
    h.step();
    let md = done(&handle).expect("complete").unwrap();
    assert_eq!((md.partition, md.offset), (0, 77));
    assert_eq!(h.shared.acc.pool.used(), 0, "memory released");
}

#[test]
fn a_full_batch_goes_before_linger() {
    let mut h = harness(
        no_idempotence()
            .linger(Duration::from_secs(10))
            .batch_size(1024)
            .buffer_memory(64 * 1024),
    );
    h.bootstrap(&[1, 1]);
    let handles: Vec<_> = (0..20).map(|_| h.append(1, &[9; 100])).collect();
    h.step();
    h.step();
    let sent = h.produces(1);
    // 20 records of ~100 bytes fill two 1 KiB batches; each goes in its own
    // request (one batch per partition per request); the third lingers.
    assert_eq!(sent.len(), 2, "the two full batches");
    let mut records = 0;
    for s in &sent {
        let req: ProduceRequest = s.decode();
        let batches = read_batches(
            req.topic_data[0].partition_data[0]
                .records
                .as_ref()
                .unwrap(),
        )
        .unwrap();
        records += batches[0].records.len();
        h.answer::<ProduceRequest>(1, s, &produce_ok(s, 0));
    }
    assert!(records < 20);
    h.step();
    assert!(done(&handles[0]).is_some());
    assert!(done(&handles[19]).is_none(), "the last batch still lingers");
}

#[test]
fn retriable_errors_back_off_then_retry_and_refresh_metadata() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1);
    let t_fail = h.clock.now();
    h.answer::<ProduceRequest>(
        1,
        &sent[0],
        &produce_answer(&sent[0], ErrorCode::NOT_LEADER_OR_FOLLOWER, -1),
    );
    let wake = h.step().expect("a wake-up");
    assert!(done(&handle).is_none(), "retriable: not failed");
    // First backoff is retry.backoff.ms (100) ± 20%; a metadata refresh is asked first.
    assert!(wake > t_fail);
    assert!(h.sender.metadata_needed || h.sender.metadata_in_flight);
    h.advance(Duration::from_millis(70));
    assert!(h.produces(1).is_empty(), "retried before the backoff");
    h.advance(Duration::from_millis(60));
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1, "retried after the backoff");
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 5));
    h.step();
    assert_eq!(done(&handle).unwrap().unwrap().offset, 5);
    assert_eq!(
        h.shared
            .metrics
            .batches_retried
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn a_non_retriable_error_fails_at_once_and_says_not_written() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let handle = h.append(1, b"x");
    h.step();
    h.step();
    let sent = h.produces(2);
    h.answer::<ProduceRequest>(
        2,
        &sent[0],
        &produce_answer(&sent[0], ErrorCode::TOPIC_AUTHORIZATION_FAILED, -1),
    );
    h.step();
    let err = done(&handle).unwrap().unwrap_err();
    assert!(
        matches!(err, crate::DeliveryError::Broker { code, may_have_persisted: false, .. } if code == ErrorCode::TOPIC_AUTHORIZATION_FAILED),
        "{err}"
    );
}

#[test]
fn a_request_timeout_disconnects_retries_and_marks_maybe_written() {
    let mut h = harness(
        no_idempotence()
            .linger(Duration::ZERO)
            .request_timeout(Duration::from_millis(1000))
            .delivery_timeout(Duration::from_millis(1500)),
    );
    h.bootstrap(&[1, 2]);
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    assert_eq!(h.produces(1).len(), 1);
    let wake = h.advance(Duration::from_millis(999));
    assert!(wake.is_some());
    assert_eq!(h.sender.net.disconnect_count(1), 0);
    h.advance(Duration::from_millis(1));
    assert_eq!(
        h.sender.net.disconnect_count(1),
        1,
        "timed-out connection closed"
    );
    assert!(done(&handle).is_none(), "retried, not failed");
    // The retry is sent, and also gets no answer: at the delivery timeout the
    // record fails and says it may have been written.
    for _ in 0..20 {
        h.advance(Duration::from_millis(50));
    }
    let err = done(&handle).expect("expired").unwrap_err();
    assert!(err.may_have_persisted(), "{err}");
    assert!(
        matches!(err, crate::DeliveryError::DeliveryTimeout { .. }),
        "{err}"
    );
}

#[test]
fn a_batch_without_leader_expires_at_delivery_timeout_not_written() {
    let mut h = harness(
        no_idempotence()
            .linger(Duration::ZERO)
            .request_timeout(Duration::from_millis(500))
            .delivery_timeout(Duration::from_millis(800)),
    );
    h.bootstrap(&[-1, -1]);
    let handle = h.append(0, b"x");
    let t0 = h.clock.now();
    let mut expired_at = None;
    for _ in 0..100 {
        h.advance(Duration::from_millis(10));
        // Keep answering metadata refreshes: still no leader.
        for node in [-1, 1, 2] {
            h.take(node);
        }
        if expired_at.is_none() && done(&handle).is_some() {
            expired_at = Some(h.clock.now());
        }
    }
    let at = expired_at.expect("expired");
    assert!(at - t0 >= Duration::from_millis(800) && at - t0 <= Duration::from_millis(820));
    let err = done(&handle).unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            crate::DeliveryError::DeliveryTimeout {
                may_have_persisted: false,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn in_flight_requests_per_connection_are_limited() {
    let mut h = harness(
        no_idempotence()
            .linger(Duration::ZERO)
            .batch_size(1024)
            .max_in_flight(2)
            .buffer_memory(1 << 20),
    );
    h.bootstrap(&[1, 2]);
    let handles: Vec<_> = (0..60).map(|_| h.append(0, &[1; 100])).collect();
    h.step();
    h.step();
    let first = h.produces(1);
    assert_eq!(first.len(), 2, "two requests in flight at most");
    h.step();
    assert!(h.produces(1).is_empty());
    h.answer::<ProduceRequest>(1, &first[0], &produce_ok(&first[0], 0));
    h.step();
    let next = h.produces(1);
    assert_eq!(next.len(), 1, "one answer frees one slot");
    assert!(done(&handles[0]).is_some());
}

#[test]
fn acks_zero_completes_at_send_with_unknown_offset() {
    let mut h = harness(no_idempotence().acks(Acks::None).linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent[0].decode::<ProduceRequest>().acks, 0);
    let md = done(&handle).expect("complete at send").unwrap();
    assert_eq!(md.offset, -1);
    assert!(h.sender.in_flight.is_empty());
    // A broker that answers anyway is ignored.
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 3));
    h.step();
}

#[test]
fn idempotent_batches_carry_producer_id_and_keep_their_sequence_on_retry() {
    let mut h = harness(
        ProducerConfig::builder()
            .linger(Duration::ZERO)
            .batch_size(1024),
    );
    h.bootstrap(&[1, 2]);
    h.confirmed(0, 1);
    let a = h.append(0, &[1; 600]);
    let b = h.append(0, &[2; 600]);
    h.step();
    h.step();
    let sent = h.produces(1);
    assert!(!sent.is_empty());
    let mut seqs = Vec::new();
    for s in &sent {
        let req: ProduceRequest = s.decode();
        for p in &req.topic_data[0].partition_data {
            let batch = &read_batches(p.records.as_ref().unwrap()).unwrap()[0];
            assert_eq!(
                (batch.header.producer_id, batch.header.producer_epoch),
                (4242, 3)
            );
            seqs.push(batch.header.base_sequence);
        }
    }
    assert_eq!(seqs, [0, 1], "one record each: sequences 0 and 1");
    // The first fails retriably: both come back; the retry keeps sequence 0.
    h.answer::<ProduceRequest>(
        1,
        &sent[0],
        &produce_answer(&sent[0], ErrorCode::NOT_ENOUGH_REPLICAS, -1),
    );
    if sent.len() > 1 {
        h.answer::<ProduceRequest>(
            1,
            &sent[1],
            &produce_answer(&sent[1], ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1),
        );
    }
    h.step();
    assert!(done(&a).is_none() && done(&b).is_none());
    let mut resent = Vec::new();
    for _ in 0..30 {
        h.advance(Duration::from_millis(50));
        for s in h.take(1) {
            if s.api_key == ProduceRequest::API_KEY {
                let req: ProduceRequest = s.decode();
                let batch = &read_batches(
                    req.topic_data[0].partition_data[0]
                        .records
                        .as_ref()
                        .unwrap(),
                )
                .unwrap()[0];
                resent.push(batch.header.base_sequence);
                h.answer::<ProduceRequest>(
                    1,
                    &s,
                    &produce_ok(&s, 10 + i64::from(batch.header.base_sequence)),
                );
            }
        }
    }
    assert_eq!(resent, [0, 1], "retried in sequence order, same sequences");
    assert_eq!(done(&a).unwrap().unwrap().offset, 10);
    assert_eq!(done(&b).unwrap().unwrap().offset, 11);
}

#[test]
fn produce_waits_for_the_producer_id() {
    let mut h = harness(ProducerConfig::builder().linger(Duration::ZERO));
    h.leaders = vec![1, 1];
    h.step();
    h.step();
    let sent = h.take_all(-1);
    let md = sent.iter().find(|s| s.api_key == 3).unwrap();
    h.answer::<MetadataRequest>(-1, md, &metadata(&[1, 1]));
    h.step();
    let _handle = h.append(0, b"x");
    h.step();
    h.step();
    assert!(
        h.take(1).is_empty(),
        "no Produce before InitProducerId answered"
    );
    let init = sent.iter().find(|s| s.api_key == 22).unwrap();
    let req: InitProducerIdRequest = init.decode();
    assert_eq!(req.transactional_id, None);
    h.answer::<InitProducerIdRequest>(
        -1,
        init,
        &InitProducerIdResponse {
            producer_id: 1,
            producer_epoch: 0,
            ..Default::default()
        },
    );
    h.step();
    h.step();
    assert_eq!(h.produces(1).len(), 1);
}

/// Answers every Produce request sent to `node` with `code` (or success
/// with offsets from `next_offset`), returning the (epoch, sequence) of each batch.
fn answer_all(
    h: &mut Harness,
    node: NodeId,
    code: ErrorCode,
    next_offset: &mut i64,
) -> Vec<(i16, i32, usize)> {
    let mut seen = Vec::new();
    for s in h.take(node) {
        if s.api_key != ProduceRequest::API_KEY {
            continue;
        }
        let req: ProduceRequest = s.decode();
        let mut count = 0;
        for t in &req.topic_data {
            for p in &t.partition_data {
                let b = &read_batches(p.records.as_ref().unwrap()).unwrap()[0];
                seen.push((
                    b.header.producer_epoch,
                    b.header.base_sequence,
                    b.records.len(),
                ));
                count += b.records.len();
            }
        }
        h.answer::<ProduceRequest>(node, &s, &produce_answer(&s, code, *next_offset));
        if code == ErrorCode::NONE {
            *next_offset += count as i64;
        }
    }
    seen
}

#[test]
fn unknown_producer_id_bumps_the_epoch_and_resequences_from_zero() {
    let mut h = harness(ProducerConfig::builder().linger(Duration::ZERO));
    h.bootstrap(&[1, 1]);
    let mut offset = 0;
    let a = h.append(0, b"a");
    h.step();
    h.step();
    assert_eq!(
        answer_all(&mut h, 1, ErrorCode::NONE, &mut offset),
        [(3, 0, 1)]
    );
    h.step();
    assert!(done(&a).unwrap().is_ok());
    let b = h.append(0, b"b");
    h.step();
    assert_eq!(
        answer_all(&mut h, 1, ErrorCode::UNKNOWN_PRODUCER_ID, &mut offset),
        [(3, 1, 1)]
    );
    h.step();
    // The bump: InitProducerId with the current id and epoch (v3+, KIP-360).
    let init = h
        .take(1)
        .into_iter()
        .chain(h.take(-1))
        .find(|s| s.api_key == InitProducerIdRequest::API_KEY)
        .expect("InitProducerId for the bump");
    let req: InitProducerIdRequest = init.decode();
    assert_eq!((req.producer_id, req.producer_epoch), (4242, 3));
    // Answer on both nodes it may have gone to (unknown ids are ignored).
    let resp = InitProducerIdResponse {
        producer_id: 4242,
        producer_epoch: 4,
        ..Default::default()
    };
    h.sender
        .net
        .respond_with::<InitProducerIdRequest>(1, init.version, init.correlation_id, &resp);
    h.sender.net.respond_with::<InitProducerIdRequest>(
        -1,
        init.version,
        init.correlation_id,
        &resp,
    );
    let mut resent = Vec::new();
    for _ in 0..10 {
        h.advance(Duration::from_millis(100));
        resent.extend(answer_all(&mut h, 1, ErrorCode::NONE, &mut offset));
    }
    assert_eq!(resent, [(4, 0, 1)], "new epoch, sequence from zero");
    assert_eq!(done(&b).unwrap().unwrap().offset, 1);
}

#[test]
fn a_sequenced_batch_that_expires_bumps_the_epoch_so_later_batches_do_not_hit_a_gap() {
    let mut h = harness(
        ProducerConfig::builder()
            .linger(Duration::ZERO)
            .request_timeout(Duration::from_millis(500))
            .delivery_timeout(Duration::from_millis(600)),
    );
    h.bootstrap(&[1, 1]);
    let lost = h.append(0, b"lost");
    h.step();
    h.step();
    assert_eq!(h.produces(1).len(), 1, "sent and never answered");
    for _ in 0..8 {
        h.advance(Duration::from_millis(100));
        for s in h.take(1).into_iter().chain(h.take(-1)) {
            if s.api_key == InitProducerIdRequest::API_KEY {
                let resp = InitProducerIdResponse {
                    producer_id: 4242,
                    producer_epoch: 4,
                    ..Default::default()
                };
                for node in [1, -1] {
                    h.sender.net.respond_with::<InitProducerIdRequest>(
                        node,
                        s.version,
                        s.correlation_id,
                        &resp,
                    );
                }
            }
        }
    }
    let err = done(&lost).expect("expired").unwrap_err();
    assert!(err.may_have_persisted(), "{err}");
    let later = h.append(0, b"later");
    let mut offset = 10;
    let mut sent = Vec::new();
    for _ in 0..5 {
        h.advance(Duration::from_millis(100));
        sent.extend(answer_all(&mut h, 1, ErrorCode::NONE, &mut offset));
    }
    assert_eq!(
        sent,
        [(4, 0, 1)],
        "after the bump the next batch starts at 0"
    );
    assert!(done(&later).unwrap().is_ok());
}

#[test]
fn message_too_large_splits_the_batch_keeping_sequences_and_handles() {
    let mut h = harness(
        ProducerConfig::builder()
            .linger(Duration::from_millis(50))
            .batch_size(16 * 1024),
    );
    h.bootstrap(&[1, 1]);
    let handles: Vec<_> = (0..10u8).map(|i| h.append(0, &[i; 100])).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let cb = h
        .shared
        .acc
        .append(
            TOPIC,
            0,
            2,
            &RecordRef::new(1_000, None, Some(b"cb"), &[]),
            &crate::wait::Bound::forever(),
            &h.clock,
            Some(Box::new(move |r| tx.send(r).unwrap())),
        )
        .ok()
        .unwrap();
    assert_eq!(cb.info.index, 10);
    h.advance(Duration::from_millis(50));
    h.step();
    let mut offset = 100;
    assert_eq!(
        answer_all(&mut h, 1, ErrorCode::MESSAGE_TOO_LARGE, &mut offset),
        [(3, 0, 11)]
    );
    h.step();
    let mut parts = Vec::new();
    for _ in 0..20 {
        h.step();
        parts.extend(answer_all(&mut h, 1, ErrorCode::NONE, &mut offset));
    }
    assert_eq!(
        parts,
        [(3, 0, 5), (3, 5, 6)],
        "two halves, same epoch, contiguous sequences"
    );
    let offsets: Vec<i64> = handles
        .iter()
        .map(|h| done(h).unwrap().unwrap().offset)
        .collect();
    assert_eq!(offsets, (100..110).collect::<Vec<_>>());
    assert_eq!(
        rx.try_recv().unwrap().unwrap().offset,
        110,
        "callback moved with its record"
    );
    assert_eq!(h.shared.acc.incomplete_count(), 0);
    assert_eq!(h.shared.acc.pool.used(), 0);
}

/// A clock stopped at one instant: the stamp of a batch the harness opens.
struct At(Instant);

impl crate::clock::Clock for At {
    fn now(&self) -> Instant {
        self.0
    }
}
