//! Stepped sender tests for transactions v1 (`txn.rs`): a `FakeNetwork`, a
//! `ManualClock`, and the caller's side of `producer_txn.rs` done by hand
//! (set the state and the operation under the lock, step, read the result).
//! Error paths are in `tests_txn_errors.rs`.

use super::tests::{done, harness_with, produce_ok, Harness, Sent, TOPIC};
use super::txn::{TxnOp, TxnOpKind, TxnState};
use crate::clock::Clock;
use crate::config::{ProducerConfig, ProducerConfigBuilder};
use crate::net::{FakeNetwork, NodeId};
use crate::protocol::messages::add_offsets_to_txn::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse,
};
use crate::protocol::messages::add_partitions_to_txn::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse,
    AddPartitionsToTxnTopicResult,
};
use crate::protocol::messages::api_versions::ApiVersionsResponse;
use crate::protocol::messages::end_txn::{EndTxnRequest, EndTxnResponse};
use crate::protocol::messages::find_coordinator::{
    Coordinator, FindCoordinatorRequest, FindCoordinatorResponse, KEY_TYPE_GROUP,
    KEY_TYPE_TRANSACTION,
};
use crate::protocol::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::messages::metadata::MetadataRequest;
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::messages::txn_offset_commit::{
    TxnOffsetCommitRequest, TxnOffsetCommitResponse, TxnOffsetCommitResponsePartition,
    TxnOffsetCommitResponseTopic,
};
use crate::protocol::{ErrorCode, Message, Request};
use crate::record_batch::read_batches;
use crate::transaction::{ConsumerGroupMetadata, TransactionError, TransactionErrorKind};
use std::time::Duration;

#[path = "tests_txn_errors.rs"]
mod errors;

pub(super) const ID: &str = "txn-1";
pub(super) const PID: i64 = 7000;
pub(super) const MS: Duration = Duration::from_millis(1);

/// A request and the node it was written to.
pub(super) type Req = (NodeId, Sent);

pub(super) fn txn_config() -> ProducerConfigBuilder {
    ProducerConfig::builder()
        .transactional_id(ID)
        .transaction_timeout(Duration::from_millis(30_000))
        .linger(Duration::ZERO)
        .retry_backoff(Duration::from_millis(100))
        .retry_backoff_max(Duration::from_millis(100))
        .request_timeout(Duration::from_millis(1000))
        .delivery_timeout(Duration::from_millis(60_000))
}

/// Brokers that know every transactional API (Produce up to v13).
fn txn_versions() -> ApiVersionsResponse {
    FakeNetwork::broker_versions(&[
        (0, 3, 13),
        (3, 1, 12),
        (10, 0, 4),
        (18, 0, 4),
        (22, 0, 5),
        (24, 0, 5),
        (25, 0, 4),
        (26, 0, 5),
        (28, 0, 5),
    ])
}

/// A transactional harness past its first Metadata: leaders 1 and 2, and
/// no idempotent InitProducerId (the id comes from `init_transactions`).
pub(super) fn txn_harness(cfg: ProducerConfigBuilder) -> Harness {
    let mut h = harness_with(cfg, txn_versions());
    h.leaders = vec![1, 2];
    h.step();
    h.step();
    let sent = h.take_all(-1);
    assert!(
        sent.iter()
            .all(|s| s.api_key != InitProducerIdRequest::API_KEY),
        "a transactional producer sends no idempotent InitProducerId"
    );
    let md = sent
        .iter()
        .find(|s| s.api_key == MetadataRequest::API_KEY)
        .expect("a metadata request");
    let answer = h.metadata();
    h.answer::<MetadataRequest>(-1, md, &answer);
    h.step();
    assert!(h.shared.cluster.topic(TOPIC).is_some());
    for _ in 0..3 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "nothing before init");
    h
}

/// Every request written (Metadata answered and left out), with its node.
pub(super) fn requests(h: &mut Harness) -> Vec<Req> {
    let mut out = Vec::new();
    for node in [-1, 1, 2] {
        out.extend(h.take(node).into_iter().map(|s| (node, s)));
    }
    out
}

pub(super) fn keys(r: &[Req]) -> Vec<(NodeId, i16)> {
    r.iter().map(|(n, s)| (*n, s.api_key)).collect()
}

/// Steps (at the same instant) until something is written.
pub(super) fn pump(h: &mut Harness) -> Vec<Req> {
    for _ in 0..6 {
        h.step();
        let r = requests(h);
        if !r.is_empty() {
            return r;
        }
    }
    Vec::new()
}

/// Advances 1 ms at a time (at most `limit`) until something is written;
/// returns it and the time waited.
pub(super) fn wait_for(h: &mut Harness, limit: Duration) -> (Vec<Req>, Duration) {
    let start = h.clock.now();
    while h.clock.now() - start < limit {
        h.advance(MS);
        let r = requests(h);
        if !r.is_empty() {
            return (r, h.clock.now() - start);
        }
    }
    (Vec::new(), limit)
}

/// The one request of `r`, of type `R`, decoded.
pub(super) fn only<R: Request>(mut r: Vec<Req>) -> (Req, R) {
    assert_eq!(r.len(), 1, "one request expected: {:?}", keys(&r));
    let req = r.pop().expect("one");
    assert_eq!(req.1.api_key, R::API_KEY, "api key");
    let body = req.1.decode::<R>();
    (req, body)
}

/// [`pump`]s, expecting one request of type `R`.
pub(super) fn one<R: Request>(h: &mut Harness) -> (Req, R) {
    let r = pump(h);
    only(r)
}

pub(super) fn reply<R: Request>(h: &mut Harness, req: &Req, body: &R::Response) {
    h.answer::<R>(req.0, &req.1, body);
}

/// Asks for an operation as `producer_txn.rs` does; returns its id.
pub(super) fn ask(h: &Harness, kind: TxnOpKind) -> u64 {
    let mut ctl = h.shared.txn.as_ref().expect("transactional").ctl.lock();
    assert!(ctl.op.is_none(), "an operation is in progress");
    ctl.state = match (&kind, ctl.state) {
        (TxnOpKind::Init, TxnState::Uninitialized) => TxnState::Initializing,
        (TxnOpKind::Commit, TxnState::InTransaction) => TxnState::Committing,
        (TxnOpKind::Abort, TxnState::InTransaction | TxnState::AbortableError) => {
            TxnState::Aborting
        }
        (TxnOpKind::SendOffsets { .. }, TxnState::InTransaction) => TxnState::InTransaction,
        (k, s) => panic!("{} in state {s:?}", k.name()),
    };
    ctl.next_id += 1;
    let id = ctl.next_id;
    ctl.op = Some(TxnOp { id, kind });
    id
}

/// The result of operation `id`, once finished.
pub(super) fn outcome(h: &Harness, id: u64) -> Option<Result<(), TransactionError>> {
    let ctl = h.shared.txn.as_ref().expect("transactional").ctl.lock();
    ctl.finished
        .as_ref()
        .filter(|(done, _)| *done == id)
        .map(|(_, r)| r.clone())
}

/// The error kind operation `id` finished with.
pub(super) fn failed(h: &Harness, id: u64) -> TransactionErrorKind {
    match outcome(h, id) {
        Some(Err(e)) => e.kind(),
        other => panic!("operation {id} should have failed: {other:?}"),
    }
}

pub(super) fn state(h: &Harness) -> TxnState {
    h.shared
        .txn
        .as_ref()
        .expect("transactional")
        .ctl
        .lock()
        .state
}

pub(super) fn begin(h: &Harness) {
    let mut ctl = h.shared.txn.as_ref().expect("transactional").ctl.lock();
    assert_eq!(ctl.state, TxnState::Ready, "begin_transaction");
    ctl.state = TxnState::InTransaction;
}

/// The FindCoordinator answer naming broker `node` (b1/b2 at 9092).
pub(super) fn coordinator_answer(req: &Req, node: i32, code: ErrorCode) -> FindCoordinatorResponse {
    let body: FindCoordinatorRequest = req.1.decode();
    let c = Coordinator {
        key: body.coordinator_keys.first().cloned().unwrap_or(body.key),
        node_id: node,
        host: format!("b{node}"),
        port: 9092,
        error_code: code.0,
        error_message: None,
    };
    if req.1.version >= 4 {
        FindCoordinatorResponse {
            coordinators: vec![c],
            ..Default::default()
        }
    } else {
        FindCoordinatorResponse {
            error_code: c.error_code,
            node_id: c.node_id,
            host: c.host,
            port: c.port,
            ..Default::default()
        }
    }
}

/// Expects a FindCoordinator for `key` (of `key_type`) and answers `node`.
pub(super) fn find(h: &mut Harness, key: &str, key_type: i8, node: i32) {
    let (req, body) = one::<FindCoordinatorRequest>(h);
    check_find(&body, key, key_type);
    let resp = coordinator_answer(&req, node, ErrorCode::NONE);
    reply::<FindCoordinatorRequest>(h, &req, &resp);
}

pub(super) fn check_find(body: &FindCoordinatorRequest, key: &str, key_type: i8) {
    assert_eq!(body.key_type, key_type);
    assert_eq!(body.coordinator_keys, [key], "v4: the key in the list");
}

pub(super) fn init_answer(code: ErrorCode, epoch: i16) -> InitProducerIdResponse {
    let ok = code == ErrorCode::NONE;
    InitProducerIdResponse {
        error_code: code.0,
        producer_id: if ok { PID } else { -1 },
        producer_epoch: if ok { epoch } else { -1 },
        ..Default::default()
    }
}

pub(super) fn check_init(req: &Req, body: &InitProducerIdRequest, coordinator: NodeId) {
    assert_eq!(req.0, coordinator, "InitProducerId goes to the coordinator");
    assert_eq!(body.transactional_id.as_deref(), Some(ID));
    assert_eq!(body.transaction_timeout_ms, 30_000);
}

/// `init_transactions` with coordinator 1: producer id `PID`, epoch 0.
pub(super) fn init(h: &mut Harness) {
    let id = ask(h, TxnOpKind::Init);
    find(h, ID, KEY_TYPE_TRANSACTION, 1);
    let (req, body) = one::<InitProducerIdRequest>(h);
    check_init(&req, &body, 1);
    assert_eq!((body.producer_id, body.producer_epoch), (-1, -1));
    reply::<InitProducerIdRequest>(h, &req, &init_answer(ErrorCode::NONE, 0));
    h.step();
    assert_eq!(outcome(h, id), Some(Ok(())));
    assert_eq!(state(h), TxnState::Ready);
}

/// (topic, partitions) of an AddPartitionsToTxn (v0–3 layout).
pub(super) fn add_topics(body: &AddPartitionsToTxnRequest) -> Vec<(String, Vec<i32>)> {
    body.v3_and_below_topics
        .iter()
        .map(|t| (t.name.clone(), t.partitions.clone()))
        .collect()
}

/// Answers every partition of an AddPartitionsToTxn with `code`.
pub(super) fn add_answer(
    body: &AddPartitionsToTxnRequest,
    code: ErrorCode,
) -> AddPartitionsToTxnResponse {
    AddPartitionsToTxnResponse {
        results_by_topic_v3_and_below: body
            .v3_and_below_topics
            .iter()
            .map(|t| AddPartitionsToTxnTopicResult {
                name: t.name.clone(),
                results_by_partition: t
                    .partitions
                    .iter()
                    .map(|p| AddPartitionsToTxnPartitionResult {
                        partition_index: *p,
                        partition_error_code: code.0,
                    })
                    .collect(),
            })
            .collect(),
        ..Default::default()
    }
}

/// Expects an AddPartitionsToTxn of `partitions` of `TOPIC` (v3, to
/// coordinator 1, epoch `epoch`) and answers it with `code`.
pub(super) fn add(h: &mut Harness, partitions: &[i32], epoch: i16, code: ErrorCode) {
    let (req, body) = one::<AddPartitionsToTxnRequest>(h);
    assert_eq!((req.0, req.1.version), (1, 3), "v3 to the coordinator");
    assert_eq!(body.v3_and_below_transactional_id, ID);
    assert_eq!(
        (
            body.v3_and_below_producer_id,
            body.v3_and_below_producer_epoch
        ),
        (PID, epoch)
    );
    assert_eq!(add_topics(&body), [(TOPIC.to_owned(), partitions.to_vec())]);
    reply::<AddPartitionsToTxnRequest>(h, &req, &add_answer(&body, code));
}

/// (partition, producer id, epoch, base sequence, transactional) of every
/// batch of a Produce request.
pub(super) fn stamps(s: &Sent) -> Vec<(i32, i64, i16, i32, bool)> {
    let req: ProduceRequest = s.decode();
    let mut out = Vec::new();
    for t in &req.topic_data {
        for p in &t.partition_data {
            for b in read_batches(p.records.as_ref().expect("records")).expect("batches") {
                let hd = b.header;
                out.push((
                    p.index,
                    hd.producer_id,
                    hd.producer_epoch,
                    hd.base_sequence,
                    hd.is_transactional(),
                ));
            }
        }
    }
    out
}

/// Checks a transactional Produce request (v11, the transactional id).
pub(super) fn check_produce(s: &Sent) {
    assert_eq!(s.api_key, ProduceRequest::API_KEY);
    assert_eq!(s.version, 11, "transactions v1: Produce v11 at most");
    let req: ProduceRequest = s.decode();
    assert_eq!(req.transactional_id.as_deref(), Some(ID));
}

pub(super) fn end_answer(code: ErrorCode) -> EndTxnResponse {
    EndTxnResponse {
        error_code: code.0,
        ..Default::default()
    }
}

/// Expects an EndTxn (v4, to `node`, `committed`, epoch `epoch`).
pub(super) fn expect_end(r: Vec<Req>, node: NodeId, committed: bool, epoch: i16) -> Req {
    let (req, body) = only::<EndTxnRequest>(r);
    assert_eq!(
        (req.0, req.1.version),
        (node, 4),
        "EndTxn v4 to the coordinator"
    );
    assert_eq!(body.transactional_id, ID);
    assert_eq!((body.producer_id, body.producer_epoch), (PID, epoch));
    assert_eq!(body.committed, committed);
    req
}

/// A ready harness inside a transaction with a batch of partition 0
/// added and in flight (its Produce request returned).
pub(super) fn in_flight(
    cfg: ProducerConfigBuilder,
) -> (Harness, crate::delivery::DeliveryHandle, Req) {
    let mut h = txn_harness(cfg);
    init(&mut h);
    begin(&h);
    let handle = h.append(0, b"a");
    add(&mut h, &[0], 0, ErrorCode::NONE);
    let r = pump(&mut h);
    assert_eq!(keys(&r), [(1, ProduceRequest::API_KEY)]);
    let produce = r.into_iter().next().expect("one");
    check_produce(&produce.1);
    (h, handle, produce)
}

#[test]
fn init_finds_the_coordinator_then_registers_the_transactional_id() {
    let mut h = txn_harness(txn_config());
    assert_eq!(state(&h), TxnState::Uninitialized);
    init(&mut h);
    let idem = h.sender.idempotence.as_ref().expect("idempotent");
    assert_eq!((idem.producer_id, idem.epoch), (PID, 0));
    // Ready but outside a transaction: nothing more is sent.
    for _ in 0..5 {
        h.step();
    }
    assert!(requests(&mut h).is_empty());
}

#[test]
fn a_partition_is_added_to_the_transaction_before_its_first_batch() {
    let mut h = txn_harness(txn_config());
    init(&mut h);
    begin(&h);
    let a = h.append(0, b"a");
    let b = h.append(1, b"b");
    // Both partitions in one AddPartitionsToTxn; no Produce before it.
    let (req, body) = one::<AddPartitionsToTxnRequest>(&mut h);
    assert_eq!((req.0, req.1.version), (1, 3));
    assert_eq!(body.v3_and_below_transactional_id, ID);
    assert_eq!(add_topics(&body), [(TOPIC.to_owned(), vec![0, 1])]);
    for _ in 0..5 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "Produce waits for the answer");
    reply::<AddPartitionsToTxnRequest>(&mut h, &req, &add_answer(&body, ErrorCode::NONE));
    let mut r = pump(&mut h);
    r.extend(pump(&mut h)); // node 2 may still be connecting
    assert_eq!(
        keys(&r),
        [(1, ProduceRequest::API_KEY), (2, ProduceRequest::API_KEY)]
    );
    for (node, s) in &r {
        check_produce(s);
        let p = if *node == 1 { 0 } else { 1 };
        assert_eq!(stamps(s), [(p, PID, 0, 0, true)], "transactional batch");
        h.answer::<ProduceRequest>(*node, s, &produce_ok(s, 10));
    }
    h.step();
    assert!(done(&a).expect("a").is_ok() && done(&b).expect("b").is_ok());
    // A partition already in the transaction is not added again.
    let c = h.append(0, b"c");
    let r = pump(&mut h);
    assert_eq!(keys(&r), [(1, ProduceRequest::API_KEY)]);
    assert_eq!(stamps(&r[0].1), [(0, PID, 0, 1, true)]);
    h.answer::<ProduceRequest>(1, &r[0].1, &produce_ok(&r[0].1, 11));
    h.step();
    assert_eq!(done(&c).expect("c").expect("ok").offset, 11);
}

#[test]
fn commit_sends_lingering_batches_waits_for_them_then_ends_the_transaction() {
    let mut h = txn_harness(txn_config().linger(Duration::from_secs(30)));
    init(&mut h);
    begin(&h);
    let a = h.append(0, b"a");
    for _ in 0..3 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "lingering");
    let id = ask(&h, TxnOpKind::Commit);
    add(&mut h, &[0], 0, ErrorCode::NONE);
    let r = pump(&mut h);
    assert_eq!(keys(&r), [(1, ProduceRequest::API_KEY)], "commit flushes");
    let produce = &r[0];
    for _ in 0..5 {
        h.step();
    }
    assert!(requests(&mut h).is_empty(), "EndTxn waits for the batch");
    assert_eq!(state(&h), TxnState::Committing);
    h.answer::<ProduceRequest>(1, &produce.1, &produce_ok(&produce.1, 5));
    let end = expect_end(pump(&mut h), 1, true, 0);
    assert!(done(&a).expect("a").is_ok());
    assert_eq!(outcome(&h, id), None, "not before the EndTxn answer");
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
    // The next transaction adds its partitions again.
    begin(&h);
    let _b = h.append(0, b"b");
    h.advance(Duration::from_secs(30));
    add(&mut h, &[0], 0, ErrorCode::NONE);
}

#[test]
fn a_transaction_with_nothing_added_commits_without_end_txn() {
    let mut h = txn_harness(txn_config());
    init(&mut h);
    begin(&h);
    let id = ask(&h, TxnOpKind::Commit);
    let r = pump(&mut h);
    assert!(r.is_empty(), "nothing to end: {:?}", keys(&r));
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
}

#[test]
fn send_offsets_adds_the_group_commits_offsets_then_the_commit_ends_the_transaction() {
    let mut h = txn_harness(txn_config());
    init(&mut h);
    begin(&h);
    let group = ConsumerGroupMetadata::new("grp")
        .generation_id(5)
        .member_id("m-1")
        .group_instance_id(Some("i-1".into()));
    let offsets = vec![("in".to_owned(), 0, 42), ("in".to_owned(), 1, 7)];
    let id = ask(
        &h,
        TxnOpKind::SendOffsets {
            offsets,
            group: group.clone(),
        },
    );
    let (req, body) = one::<AddOffsetsToTxnRequest>(&mut h);
    assert_eq!(req.0, 1, "to the transaction coordinator");
    assert_eq!(body.transactional_id, ID);
    assert_eq!((body.producer_id, body.producer_epoch), (PID, 0));
    assert_eq!(body.group_id, "grp");
    reply::<AddOffsetsToTxnRequest>(&mut h, &req, &AddOffsetsToTxnResponse::default());
    find(&mut h, "grp", KEY_TYPE_GROUP, 2);
    let (req, body) = one::<TxnOffsetCommitRequest>(&mut h);
    assert_eq!(req.0, 2, "to the group coordinator");
    assert!(req.1.version >= 3);
    assert_eq!(body.transactional_id, ID);
    assert_eq!(body.group_id, "grp");
    assert_eq!((body.producer_id, body.producer_epoch), (PID, 0));
    assert_eq!(
        (body.generation_id, body.member_id.as_str()),
        (5, "m-1"),
        "the member, for fencing (KIP-447)"
    );
    assert_eq!(body.group_instance_id.as_deref(), Some("i-1"));
    assert_eq!(body.topics.len(), 1);
    assert_eq!(body.topics[0].name, "in");
    let parts: Vec<(i32, i64)> = body.topics[0]
        .partitions
        .iter()
        .map(|p| (p.partition_index, p.committed_offset))
        .collect();
    assert_eq!(parts, [(0, 42), (1, 7)]);
    assert_eq!(outcome(&h, id), None);
    let resp = TxnOffsetCommitResponse {
        topics: vec![TxnOffsetCommitResponseTopic {
            name: "in".into(),
            partitions: vec![
                TxnOffsetCommitResponsePartition {
                    partition_index: 0,
                    error_code: 0,
                },
                TxnOffsetCommitResponsePartition {
                    partition_index: 1,
                    error_code: 0,
                },
            ],
        }],
        ..Default::default()
    };
    reply::<TxnOffsetCommitRequest>(&mut h, &req, &resp);
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::InTransaction);
    // No partition was added, but the offsets must be committed: EndTxn.
    let id = ask(&h, TxnOpKind::Commit);
    let end = expect_end(pump(&mut h), 1, true, 0);
    reply::<EndTxnRequest>(&mut h, &end, &end_answer(ErrorCode::NONE));
    h.step();
    assert_eq!(outcome(&h, id), Some(Ok(())));
    assert_eq!(state(&h), TxnState::Ready);
    // The next transaction starts again with AddOffsetsToTxn.
    begin(&h);
    let offsets = vec![("in".to_owned(), 0, 43)];
    let _id = ask(&h, TxnOpKind::SendOffsets { offsets, group });
    let _ = one::<AddOffsetsToTxnRequest>(&mut h);
}
