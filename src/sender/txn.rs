//! Transactions, sender side (the Java client's `TransactionManager`):
//! FindCoordinator for the transactional id, InitProducerId with it,
//! AddPartitionsToTxn before a partition's first batch of a transaction
//! (v1, KIP-98; with v2, KIP-890, Produce v12+ adds it), AddOffsetsToTxn +
//! TxnOffsetCommit, EndTxn (v5 with v2: a new epoch at every end).
//!
//! Caller threads ask for an operation (`TxnOp`) in the shared
//! `TxnControl` and wait on its condvar; the sender carries it out in
//! `run_transactions` (one step per loop) and posts the result. `begin` is
//! local to the caller. The state changes only here or, for `begin` and
//! for asking an operation, under the same lock on the caller's side.

use super::{InFlight, Sender, Wake};
use crate::clock::saturating_add;
use crate::error::Error;
use crate::log_context::LogContext;
use crate::net::{ConnState, Network, NodeId};
use crate::protocol::messages::add_offsets_to_txn::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse,
};
use crate::protocol::messages::add_partitions_to_txn::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, AddPartitionsToTxnTopic,
    MAX_CLIENT_VERSION,
};
use crate::protocol::messages::end_txn::{EndTxnRequest, EndTxnResponse};
use crate::protocol::messages::find_coordinator::{
    FindCoordinatorRequest, FindCoordinatorResponse, KEY_TYPE_GROUP, KEY_TYPE_TRANSACTION,
};
use crate::protocol::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::messages::txn_offset_commit::{
    TxnOffsetCommitRequest, TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
    TxnOffsetCommitResponse,
};
use crate::protocol::{decode_response, ErrorCode, Request};
use crate::transaction::{ConsumerGroupMetadata, TransactionError};
use parking_lot::{Condvar, Mutex};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Backoff after CONCURRENT_TRANSACTIONS and coordinator loading (the Java
/// client retries AddPartitionsToTxn after 20 ms).
const SHORT_BACKOFF: Duration = Duration::from_millis(20);

/// Where the transaction stands (the Java client's states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TxnState {
    #[default]
    Uninitialized,
    Initializing,
    Ready,
    InTransaction,
    Committing,
    Aborting,
    /// The transaction must be aborted (`TxnControl::error` says why).
    AbortableError,
    /// The producer must be closed.
    FatalError,
}

/// An operation a caller asked the sender to carry out.
#[derive(Debug, Clone)]
pub(crate) enum TxnOpKind {
    Init,
    Commit,
    Abort,
    SendOffsets {
        offsets: Vec<(String, i32, i64)>,
        group: ConsumerGroupMetadata,
    },
}

impl TxnOpKind {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            TxnOpKind::Init => "init_transactions",
            TxnOpKind::Commit => "commit_transaction",
            TxnOpKind::Abort => "abort_transaction",
            TxnOpKind::SendOffsets { .. } => "send_offsets_to_transaction",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TxnOp {
    pub(crate) id: u64,
    pub(crate) kind: TxnOpKind,
}

/// What callers and the sender share about the transaction.
#[derive(Debug, Default)]
pub(crate) struct TxnControl {
    pub(crate) state: TxnState,
    /// Asked, not finished yet.
    pub(crate) op: Option<TxnOp>,
    /// The last finished operation and its result.
    pub(crate) finished: Option<(u64, Result<(), TransactionError>)>,
    pub(crate) next_id: u64,
    /// Why the state is `AbortableError` or `FatalError`.
    pub(crate) error: Option<TransactionError>,
}

#[derive(Debug, Default)]
pub(crate) struct TxnShared {
    pub(crate) ctl: Mutex<TxnControl>,
    pub(crate) changed: Condvar,
}

/// A transactional request in flight.
#[derive(Debug, Clone)]
pub(crate) enum TxnRequest {
    FindCoordinator { group: Option<String> },
    InitProducerId,
    AddPartitions(Vec<(Arc<str>, i32)>),
    AddOffsets,
    OffsetCommit,
    EndTxn { commit: bool },
}

/// Steps of `send_offsets_to_transaction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetsStep {
    AddOffsets,
    Commit,
}

/// The sender's side of the transaction.
#[derive(Debug)]
pub(crate) struct Transactions {
    pub(crate) shared: Arc<TxnShared>,
    pub(crate) id: String,
    timeout_ms: i32,
    coordinator: Option<NodeId>,
    group_coordinator: Option<(String, NodeId)>,
    /// Partitions added to the current transaction.
    pub(crate) added: HashSet<(Arc<str>, i32)>,
    /// Partitions with a batch waiting to be added.
    pub(crate) to_add: BTreeSet<(Arc<str>, i32)>,
    /// A transactional request is in flight (one at a time).
    busy: bool,
    retry_at: Option<Instant>,
    offsets_step: OffsetsStep,
    /// Offsets were committed with the current transaction.
    has_offsets: bool,
    /// The epoch must be bumped once the transaction is aborted (a sequence
    /// hole: KIP-360).
    pub(crate) bump_after_abort: bool,
    /// Transactions v2 (KIP-890) for the next transaction: decided when the
    /// producer becomes ready (after init and after every end).
    pub(crate) v2: bool,
    /// The producer's log prefix (its transactional id included).
    log: LogContext,
}

impl Transactions {
    pub(crate) fn new(
        shared: Arc<TxnShared>,
        id: String,
        timeout: Duration,
        log: LogContext,
    ) -> Self {
        Transactions {
            shared,
            log,
            id,
            timeout_ms: timeout.as_millis().min(i32::MAX as u128) as i32,
            coordinator: None,
            group_coordinator: None,
            added: HashSet::new(),
            to_add: BTreeSet::new(),
            busy: false,
            retry_at: None,
            offsets_step: OffsetsStep::AddOffsets,
            has_offsets: false,
            bump_after_abort: false,
            v2: false,
        }
    }

    pub(crate) fn state(&self) -> TxnState {
        self.shared.ctl.lock().state
    }

    /// Whether batches may be drained: inside a transaction or committing.
    pub(crate) fn may_produce(&self) -> bool {
        matches!(self.state(), TxnState::InTransaction | TxnState::Committing)
    }

    fn finish(&mut self, state: TxnState, result: Result<(), TransactionError>) {
        let mut ctl = self.shared.ctl.lock();
        if let Some(op) = ctl.op.take() {
            ctl.finished = Some((op.id, result.clone()));
        }
        ctl.state = state;
        if let Err(e) = &result {
            if matches!(state, TxnState::AbortableError | TxnState::FatalError) {
                ctl.error = Some(e.clone());
            }
        } else {
            ctl.error = None;
        }
        self.shared.changed.notify_all();
    }

    /// The transaction must be aborted (a record failed, the broker lost
    /// our state): the state becomes `AbortableError` unless worse.
    pub(crate) fn abortable(&mut self, error: TransactionError) {
        let mut ctl = self.shared.ctl.lock();
        if matches!(
            ctl.state,
            TxnState::InTransaction | TxnState::Committing | TxnState::Ready
        ) {
            log::warn!("{}transaction must abort: {error}", self.log);
            ctl.state = TxnState::AbortableError;
            ctl.error = Some(error.clone());
            if let Some(op) = ctl.op.take() {
                ctl.finished = Some((op.id, Err(error)));
            }
            self.shared.changed.notify_all();
        }
    }

    pub(crate) fn fatal(&mut self, error: TransactionError) {
        // Logged by `set_fatal`, which every caller calls first.
        let mut ctl = self.shared.ctl.lock();
        ctl.state = TxnState::FatalError;
        ctl.error = Some(error.clone());
        if let Some(op) = ctl.op.take() {
            ctl.finished = Some((op.id, Err(error)));
        }
        self.shared.changed.notify_all();
    }
}

/// What a transactional error code means for the transaction.
fn classify(code: ErrorCode, what: &str) -> TransactionError {
    let message = format!("{what} failed");
    let e = match code {
        ErrorCode::PRODUCER_FENCED
        | ErrorCode::INVALID_PRODUCER_EPOCH
        | ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        | ErrorCode::CLUSTER_AUTHORIZATION_FAILED
        | ErrorCode::UNSUPPORTED_VERSION
        | ErrorCode::INVALID_TXN_STATE
        | ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT => TransactionError::fatal(message),
        // FENCED_INSTANCE_ID (TxnOffsetCommit) fences the consumer, not the
        // producer: abortable, as in the Java client.
        _ => TransactionError::abortable(message),
    };
    e.with_code(code)
}

/// Whether the request is simply to be sent again (after re-finding the
/// coordinator when `needs_coordinator_lookup`).
fn retry_code(code: ErrorCode) -> bool {
    code.needs_coordinator_lookup()
        || code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
        || code == ErrorCode::CONCURRENT_TRANSACTIONS
        || code == ErrorCode::OPERATION_NOT_ATTEMPTED
        || code == ErrorCode::REQUEST_TIMED_OUT
        || code == ErrorCode::NETWORK_EXCEPTION
}

impl<N: Network> Sender<N> {
    /// One step of the transaction's work: the operation asked, the
    /// partitions to add. Does nothing without `transactional.id`.
    pub(super) fn run_transactions(&mut self, now: Instant, wake: &mut Wake) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        if txn.busy {
            return;
        }
        if let Some(at) = txn.retry_at {
            if at > now {
                wake.at(at);
                return;
            }
            txn.retry_at = None;
        }
        // A sequence problem in a transaction: abort it, then bump.
        if self.idempotence.as_ref().is_some_and(|i| i.bump_needed) {
            let txn = self.txn.as_mut().expect("checked");
            txn.bump_after_abort = true;
            if txn.state() != TxnState::Aborting {
                txn.abortable(TransactionError::abortable(
                    "the broker refused a sequence (records lost or out of order): abort \
                     the transaction",
                ));
            }
        }
        let op = self
            .txn
            .as_ref()
            .and_then(|t| t.shared.ctl.lock().op.clone());
        match op.map(|o| o.kind) {
            Some(TxnOpKind::Init) => self.txn_init(now, wake),
            Some(TxnOpKind::Commit) => self.txn_end(true, now, wake),
            Some(TxnOpKind::Abort) => self.txn_end(false, now, wake),
            Some(TxnOpKind::SendOffsets { offsets, group }) => {
                self.txn_offsets(&offsets, &group, now, wake)
            }
            None => {}
        }
        let txn = self.txn.as_ref().expect("checked");
        if !txn.busy && !txn.to_add.is_empty() && txn.may_produce() {
            self.txn_add_partitions(now, wake);
        }
    }

    /// The coordinator of the transactional id (or of `group`), if known and
    /// connected; else starts finding or connecting to it.
    fn txn_coordinator(
        &mut self,
        group: Option<&str>,
        now: Instant,
        wake: &mut Wake,
    ) -> Option<NodeId> {
        let txn = self.txn.as_ref()?;
        let known = match group {
            None => txn.coordinator,
            Some(g) => txn
                .group_coordinator
                .as_ref()
                .filter(|(name, _)| name == g)
                .map(|(_, n)| *n),
        };
        let txn_id = txn.id.clone();
        let Some(node) = known else {
            let node = self.least_loaded_node(now, wake)?;
            let (key, key_type) = match group {
                None => (txn_id, KEY_TYPE_TRANSACTION),
                Some(g) => (g.to_owned(), KEY_TYPE_GROUP),
            };
            let version = self
                .net
                .api_versions(node)
                .and_then(|v| v.pick_version::<FindCoordinatorRequest>())?;
            let req = if version >= 4 {
                FindCoordinatorRequest {
                    key: String::new(),
                    key_type,
                    coordinator_keys: vec![key],
                }
            } else {
                FindCoordinatorRequest {
                    key,
                    key_type,
                    coordinator_keys: Vec::new(),
                }
            };
            let group = group.map(str::to_owned);
            self.send_txn(
                node,
                &req,
                version,
                TxnRequest::FindCoordinator { group },
                now,
            );
            return None;
        };
        match self.net.state(node, now) {
            ConnState::Ready => Some(node),
            ConnState::Disconnected => {
                self.net.connect(node, now);
                None
            }
            ConnState::BackingOff { .. } => {
                // A coordinator that cannot be reached may have moved (its
                // broker crashed): find it again, after a backoff.
                log::debug!(
                    "{}coordinator node {node} unreachable; finding it again",
                    self.log
                );
                let backoff = self.shared.config.retry_backoff;
                if let Some(t) = self.txn.as_mut() {
                    match group {
                        None => t.coordinator = None,
                        Some(_) => t.group_coordinator = None,
                    }
                    let at = saturating_add(now, backoff);
                    t.retry_at = Some(at);
                    wake.at(at);
                }
                None
            }
            ConnState::Connecting => None,
        }
    }

    fn send_txn<R: Request>(
        &mut self,
        node: NodeId,
        req: &R,
        version: i16,
        what: TxnRequest,
        now: Instant,
    ) -> bool {
        let Some(corr) = self.send_request(node, req, version) else {
            return false;
        };
        if let Some(t) = self.txn.as_mut() {
            t.busy = true;
        }
        self.request_sent(
            corr,
            InFlight::Txn {
                node,
                sent_at: now,
                version,
                what,
            },
        );
        true
    }

    fn stamp(&self) -> (i64, i16) {
        self.idempotence
            .as_ref()
            .map_or((-1, -1), |i| (i.producer_id, i.epoch))
    }

    fn txn_init(&mut self, now: Instant, wake: &mut Wake) {
        let Some(node) = self.txn_coordinator(None, now, wake) else {
            return;
        };
        let Some(version) = self
            .net
            .api_versions(node)
            .and_then(|v| v.pick_version::<InitProducerIdRequest>())
        else {
            return self.txn_fatal("the broker does not support InitProducerId");
        };
        let txn = self.txn.as_ref().expect("transactional");
        // A bump after an abort keeps the producer id (KIP-360, v3+).
        let (pid, epoch) = if txn.bump_after_abort && version >= 3 {
            self.stamp()
        } else {
            (-1, -1)
        };
        let req = InitProducerIdRequest {
            transactional_id: Some(txn.id.clone()),
            transaction_timeout_ms: txn.timeout_ms,
            producer_id: pid,
            producer_epoch: epoch,
        };
        self.send_txn(node, &req, version, TxnRequest::InitProducerId, now);
    }

    /// Commit or abort: waits for the transaction's batches (for an abort,
    /// fails those not sent yet), then EndTxn if anything was added.
    fn txn_end(&mut self, commit: bool, now: Instant, wake: &mut Wake) {
        if !commit {
            self.fail_unsent_for_abort();
        }
        // Every batch of the transaction must be complete first.
        if self.shared.acc.incomplete_count() > 0 || self.produce_in_flight() > 0 {
            return;
        }
        let txn = self.txn.as_mut().expect("transactional");
        if commit && txn.state() == TxnState::AbortableError {
            return; // `abortable` already answered the commit
        }
        if txn.added.is_empty() && !txn.has_offsets {
            txn.to_add.clear();
            if !commit && txn.bump_after_abort {
                return self.txn_init(now, wake);
            }
            txn.finish(TxnState::Ready, Ok(()));
            return;
        }
        let Some(node) = self.txn_coordinator(None, now, wake) else {
            return;
        };
        let Some(version) = self
            .net
            .api_versions(node)
            .and_then(|v| v.pick_version::<EndTxnRequest>())
            .map(|v| {
                if self.txn.as_ref().is_some_and(|t| t.v2) {
                    v
                } else {
                    v.min(4)
                }
            })
        else {
            return self.txn_fatal("the broker does not support EndTxn");
        };
        let (producer_id, producer_epoch) = self.stamp();
        let req = EndTxnRequest {
            transactional_id: self.txn.as_ref().expect("transactional").id.clone(),
            producer_id,
            producer_epoch,
            committed: commit,
        };
        self.send_txn(node, &req, version, TxnRequest::EndTxn { commit }, now);
    }

    /// Aborting: batches not sent yet fail (they would be aborted anyway);
    /// those in flight are waited for.
    fn fail_unsent_for_abort(&mut self) {
        let mut unsent = Vec::new();
        for tq in self.shared.acc.topics() {
            for q in &tq.partitions {
                unsent.extend(q.lock().batches.drain(..));
            }
        }
        for b in unsent {
            let why = if b.maybe_written {
                "the transaction was aborted (the record may have been written: read_committed \
                 readers never see it)"
            } else {
                "the transaction was aborted before this record was sent"
            };
            self.complete_failed(b, Error::Transaction(TransactionError::abortable(why)));
        }
    }

    fn txn_offsets(
        &mut self,
        offsets: &[(String, i32, i64)],
        group: &ConsumerGroupMetadata,
        now: Instant,
        wake: &mut Wake,
    ) {
        let step = self.txn.as_ref().expect("transactional").offsets_step;
        let (producer_id, producer_epoch) = self.stamp();
        let id = self.txn.as_ref().expect("transactional").id.clone();
        match step {
            OffsetsStep::AddOffsets => {
                let Some(node) = self.txn_coordinator(None, now, wake) else {
                    return;
                };
                let Some(version) = self
                    .net
                    .api_versions(node)
                    .and_then(|v| v.pick_version::<AddOffsetsToTxnRequest>())
                else {
                    return self.txn_fatal("the broker does not support AddOffsetsToTxn");
                };
                let req = AddOffsetsToTxnRequest {
                    transactional_id: id,
                    producer_id,
                    producer_epoch,
                    group_id: group.group().to_owned(),
                };
                self.send_txn(node, &req, version, TxnRequest::AddOffsets, now);
            }
            OffsetsStep::Commit => {
                let Some(node) = self.txn_coordinator(Some(group.group()), now, wake) else {
                    return;
                };
                let Some(version) = self
                    .net
                    .api_versions(node)
                    .and_then(|v| v.pick_version::<TxnOffsetCommitRequest>())
                else {
                    return self.txn_fatal("the broker does not support TxnOffsetCommit");
                };
                let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
                for (topic, partition, offset) in offsets {
                    let p = TxnOffsetCommitRequestPartition {
                        partition_index: *partition,
                        committed_offset: *offset,
                        ..Default::default()
                    };
                    match topics.iter_mut().find(|t| t.name == *topic) {
                        Some(t) => t.partitions.push(p),
                        None => topics.push(TxnOffsetCommitRequestTopic {
                            name: topic.clone(),
                            partitions: vec![p],
                        }),
                    }
                }
                let (generation_id, member_id, group_instance_id) = if version >= 3 {
                    (
                        group.generation(),
                        group.member().to_owned(),
                        group.instance().map(str::to_owned),
                    )
                } else {
                    (-1, String::new(), None)
                };
                let req = TxnOffsetCommitRequest {
                    transactional_id: id,
                    group_id: group.group().to_owned(),
                    producer_id,
                    producer_epoch,
                    generation_id,
                    member_id,
                    group_instance_id,
                    topics,
                };
                self.send_txn(node, &req, version, TxnRequest::OffsetCommit, now);
            }
        }
    }

    fn txn_add_partitions(&mut self, now: Instant, wake: &mut Wake) {
        let Some(node) = self.txn_coordinator(None, now, wake) else {
            return;
        };
        let Some(version) = self
            .net
            .api_versions(node)
            .and_then(|v| v.pick_version::<AddPartitionsToTxnRequest>())
            .map(|v| v.min(MAX_CLIENT_VERSION))
        else {
            return self.txn_fatal("the broker does not support AddPartitionsToTxn");
        };
        let txn = self.txn.as_ref().expect("transactional");
        let partitions: Vec<(Arc<str>, i32)> = txn.to_add.iter().cloned().collect();
        let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
        for (topic, p) in &partitions {
            match topics.iter_mut().find(|t| *t.name == **topic) {
                Some(t) => t.partitions.push(*p),
                None => topics.push(AddPartitionsToTxnTopic {
                    name: topic.to_string(),
                    partitions: vec![*p],
                }),
            }
        }
        let (pid, epoch) = self.stamp();
        let req = AddPartitionsToTxnRequest::single(version, &txn.id.clone(), pid, epoch, topics);
        self.send_txn(
            node,
            &req,
            version,
            TxnRequest::AddPartitions(partitions),
            now,
        );
    }

    fn txn_fatal(&mut self, message: &str) {
        let e = TransactionError::fatal(message);
        self.set_fatal(Error::Transaction(e.clone()));
        if let Some(t) = self.txn.as_mut() {
            t.fatal(e);
        }
    }

    /// A transactional request got no answer (timeout, disconnect).
    pub(super) fn txn_request_failed(&mut self, node: NodeId, what: &TxnRequest, now: Instant) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        txn.busy = false;
        txn.retry_at = Some(saturating_add(now, self.shared.config.retry_backoff));
        if !matches!(what, TxnRequest::FindCoordinator { .. }) {
            if txn.coordinator == Some(node) {
                txn.coordinator = None;
            }
            if txn
                .group_coordinator
                .as_ref()
                .is_some_and(|(_, n)| *n == node)
            {
                txn.group_coordinator = None;
            }
        }
    }

    /// The answer to a transactional request.
    pub(super) fn handle_txn_response(
        &mut self,
        node: NodeId,
        version: i16,
        what: TxnRequest,
        frame: &[u8],
        now: Instant,
    ) {
        if let Some(t) = self.txn.as_mut() {
            t.busy = false;
        }
        // At a transaction boundary (init, end): v1 or v2 for the next
        // transaction, decided before the caller can begin it.
        if matches!(what, TxnRequest::InitProducerId | TxnRequest::EndTxn { .. }) {
            let v2 = self.transaction_v2(node);
            let txn = self.txn.as_mut().expect("transactional");
            if txn.v2 != v2 {
                log::info!(
                    "{}transactions {}",
                    txn.log,
                    if v2 {
                        "v2 (KIP-890, transaction.version >= 2)"
                    } else {
                        "v1"
                    }
                );
            }
            txn.v2 = v2;
        }
        let result = match &what {
            TxnRequest::FindCoordinator { group } => {
                self.on_find_coordinator(group.clone(), version, frame)
            }
            TxnRequest::InitProducerId => self.on_txn_init(version, frame),
            TxnRequest::AddPartitions(partitions) => {
                self.on_add_partitions(partitions, version, frame)
            }
            TxnRequest::AddOffsets => self.on_add_offsets(version, frame),
            TxnRequest::OffsetCommit => self.on_offset_commit(version, frame),
            TxnRequest::EndTxn { commit } => self.on_end_txn(*commit, version, frame),
        };
        if let Err(code) = result {
            self.txn_retry(node, code, &what, now);
        }
    }

    /// Whether `node` (the coordinator) offers transactions v2: the
    /// finalized feature `transaction.version` >= 2, EndTxn v5 and Produce
    /// v12 (which adds partitions to the transaction itself).
    fn transaction_v2(&self, node: NodeId) -> bool {
        use crate::protocol::messages::produce::ProduceRequest;
        self.net.api_versions(node).is_some_and(|v| {
            v.finalized_features
                .iter()
                .any(|f| f.name == "transaction.version" && f.max_version_level >= 2)
                && v.pick_version::<EndTxnRequest>().is_some_and(|e| e >= 5)
                && v.pick_version::<ProduceRequest>().is_some_and(|p| p >= 12)
        })
    }

    /// A retriable error: re-find the coordinator if it moved, back off.
    fn txn_retry(&mut self, node: NodeId, code: ErrorCode, what: &TxnRequest, now: Instant) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        log::debug!(
            "{}{what:?} to node {node} failed with {code}; retrying",
            txn.log
        );
        if code.needs_coordinator_lookup() {
            match what {
                // No coordinator was known: the lookup itself is retried
                // (forgetting the transaction's coordinator here would cost
                // a lookup when a group's coordinator is not available).
                TxnRequest::FindCoordinator { .. } => {}
                TxnRequest::OffsetCommit => txn.group_coordinator = None,
                _ => txn.coordinator = None,
            }
        }
        let backoff = if code == ErrorCode::CONCURRENT_TRANSACTIONS
            || code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS
        {
            SHORT_BACKOFF
        } else {
            self.shared.config.retry_backoff
        };
        txn.retry_at = Some(saturating_add(now, backoff));
    }

    /// Decodes a response, turning a bad frame into a retry.
    fn decode<R: Request>(&self, frame: &[u8], version: i16) -> Result<R::Response, ErrorCode> {
        decode_response::<R>(frame, version)
            .map(|(_, r)| r)
            .map_err(|e| {
                log::warn!("{}bad response to api {}: {e}", self.log, R::API_KEY);
                ErrorCode::NETWORK_EXCEPTION
            })
    }

    /// Handles a non-retriable transactional error code.
    fn txn_error(&mut self, code: ErrorCode, what: &str) {
        let e = classify(code, what);
        if e.is_fatal() {
            self.set_fatal(Error::Transaction(e.clone()));
            if let Some(t) = self.txn.as_mut() {
                t.fatal(e);
            }
        } else if let Some(t) = self.txn.as_mut() {
            t.abortable(e);
        }
    }

    fn on_find_coordinator(
        &mut self,
        group: Option<String>,
        version: i16,
        frame: &[u8],
    ) -> Result<(), ErrorCode> {
        let resp: FindCoordinatorResponse =
            self.decode::<FindCoordinatorRequest>(frame, version)?;
        let txn = self.txn.as_ref().expect("transactional");
        let key = group.clone().unwrap_or_else(|| txn.id.clone());
        let Some(c) = resp.result_for(&key) else {
            return Err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        };
        let code = ErrorCode(c.error_code);
        if code != ErrorCode::NONE {
            if code.is_retriable() || retry_code(code) {
                return Err(code);
            }
            self.txn_error(code, "FindCoordinator");
            return Ok(());
        }
        let Ok(port) = u16::try_from(c.port) else {
            return Err(ErrorCode::COORDINATOR_NOT_AVAILABLE);
        };
        if self.brokers.get(&c.node_id) != Some(&(c.host.clone(), port)) {
            self.net.set_address(c.node_id, &c.host, port);
        }
        log::debug!(
            "{}coordinator of {key}: node {} ({}:{port})",
            self.log,
            c.node_id,
            c.host
        );
        let txn = self.txn.as_mut().expect("transactional");
        match group {
            None => txn.coordinator = Some(c.node_id),
            Some(g) => txn.group_coordinator = Some((g, c.node_id)),
        }
        Ok(())
    }

    fn on_txn_init(&mut self, version: i16, frame: &[u8]) -> Result<(), ErrorCode> {
        let resp: InitProducerIdResponse = self.decode::<InitProducerIdRequest>(frame, version)?;
        let code = ErrorCode(resp.error_code);
        if code != ErrorCode::NONE {
            if retry_code(code) || code.is_retriable() {
                return Err(code);
            }
            self.txn_error(code, "InitProducerId");
            return Ok(());
        }
        log::info!(
            "{}ProducerId set to {} with epoch {}",
            self.log,
            resp.producer_id,
            resp.producer_epoch
        );
        if let Some(idem) = self.idempotence.as_mut() {
            idem.reset(resp.producer_id, resp.producer_epoch);
        }
        let txn = self.txn.as_mut().expect("transactional");
        txn.bump_after_abort = false;
        txn.added.clear();
        txn.to_add.clear();
        txn.has_offsets = false;
        txn.offsets_step = OffsetsStep::AddOffsets;
        txn.finish(TxnState::Ready, Ok(()));
        Ok(())
    }

    fn on_add_partitions(
        &mut self,
        partitions: &[(Arc<str>, i32)],
        version: i16,
        frame: &[u8],
    ) -> Result<(), ErrorCode> {
        let resp: AddPartitionsToTxnResponse =
            self.decode::<AddPartitionsToTxnRequest>(frame, version)?;
        if resp.error_code != 0 {
            let code = ErrorCode(resp.error_code);
            if retry_code(code) {
                return Err(code);
            }
            self.txn_error(code, "AddPartitionsToTxn");
            return Ok(());
        }
        let mut retry = None;
        let mut failed = None;
        let txn = self.txn.as_mut().expect("transactional");
        for t in resp.topic_results() {
            for p in &t.results_by_partition {
                let code = ErrorCode(p.partition_error_code);
                let Some(key) = partitions
                    .iter()
                    .find(|(n, i)| **n == *t.name && *i == p.partition_index)
                else {
                    continue;
                };
                if code == ErrorCode::NONE {
                    txn.to_add.remove(key);
                    txn.added.insert(key.clone());
                } else if retry_code(code) {
                    retry = Some(code);
                } else {
                    failed = Some(code);
                }
            }
        }
        if let Some(code) = failed {
            self.txn_error(code, "AddPartitionsToTxn");
            return Ok(());
        }
        retry.map_or(Ok(()), Err)
    }

    fn on_add_offsets(&mut self, version: i16, frame: &[u8]) -> Result<(), ErrorCode> {
        let resp: AddOffsetsToTxnResponse =
            self.decode::<AddOffsetsToTxnRequest>(frame, version)?;
        let code = ErrorCode(resp.error_code);
        if code == ErrorCode::NONE {
            let txn = self.txn.as_mut().expect("transactional");
            txn.offsets_step = OffsetsStep::Commit;
            txn.has_offsets = true;
            return Ok(());
        }
        if retry_code(code) {
            return Err(code);
        }
        self.txn_error(code, "AddOffsetsToTxn");
        Ok(())
    }

    fn on_offset_commit(&mut self, version: i16, frame: &[u8]) -> Result<(), ErrorCode> {
        let resp: TxnOffsetCommitResponse =
            self.decode::<TxnOffsetCommitRequest>(frame, version)?;
        let codes: Vec<ErrorCode> = resp
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| ErrorCode(p.error_code)))
            .filter(|c| *c != ErrorCode::NONE)
            .collect();
        // The group coordinator may not know the topic yet: retried, as in
        // the Java client.
        let retry = |c: ErrorCode| retry_code(c) || c == ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
        if let Some(code) = codes.iter().copied().find(|c| retry(*c)) {
            return Err(code);
        }
        if let Some(code) = codes.first().copied() {
            self.txn_error(code, "TxnOffsetCommit");
            return Ok(());
        }
        let txn = self.txn.as_mut().expect("transactional");
        txn.offsets_step = OffsetsStep::AddOffsets;
        txn.finish(TxnState::InTransaction, Ok(()));
        Ok(())
    }

    fn on_end_txn(&mut self, commit: bool, version: i16, frame: &[u8]) -> Result<(), ErrorCode> {
        let resp: EndTxnResponse = self.decode::<EndTxnRequest>(frame, version)?;
        let code = ErrorCode(resp.error_code);
        if code != ErrorCode::NONE {
            if retry_code(code) {
                return Err(code);
            }
            self.txn_error(
                code,
                if commit {
                    "EndTxn (commit)"
                } else {
                    "EndTxn (abort)"
                },
            );
            return Ok(());
        }
        // v5 (transactions v2): every end bumps the epoch; the sequences
        // start again at 0.
        let bumped = version >= 5 && resp.producer_id >= 0 && resp.producer_epoch >= 0;
        if bumped {
            if let Some(idem) = self.idempotence.as_mut() {
                idem.reset(resp.producer_id, resp.producer_epoch);
            }
        }
        let txn = self.txn.as_mut().expect("transactional");
        log::debug!(
            "{}transaction {}",
            txn.log,
            if commit { "committed" } else { "aborted" }
        );
        if bumped {
            txn.bump_after_abort = false;
        }
        txn.added.clear();
        txn.to_add.clear();
        txn.has_offsets = false;
        // A transaction ended after AddOffsetsToTxn and a refused
        // TxnOffsetCommit: the next one must add the group again.
        txn.offsets_step = OffsetsStep::AddOffsets;
        if !commit && txn.bump_after_abort {
            return Ok(()); // the next step bumps the epoch, then finishes
        }
        txn.finish(TxnState::Ready, Ok(()));
        Ok(())
    }

    /// A batch of the transaction failed for good: the transaction cannot
    /// commit (fencing and authorization errors are fatal).
    pub(super) fn txn_batch_failed(&mut self, error: &Error) {
        let Some(txn) = self.txn.as_mut() else {
            return;
        };
        if txn.state() == TxnState::Aborting {
            return;
        }
        if let Error::Broker { code, .. } = error {
            let e = classify(*code, "Produce");
            if e.is_fatal() {
                self.set_fatal(Error::Transaction(e.clone()));
                if let Some(t) = self.txn.as_mut() {
                    t.fatal(e);
                }
                return;
            }
        }
        txn.abortable(TransactionError::abortable(format!(
            "a record of the transaction failed: {error}"
        )));
    }
}
