//! Draining ready batches into Produce requests, and handling the answers.

use super::produce_request::broker_error;
use super::{InFlight, Sender, Wake};
use crate::accumulator::batch::ProducerBatch;
use crate::clock::saturating_add;
use crate::config::Acks;
use crate::delivery::Outcome;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::net::{ConnState, Network, NodeId, Segment};
use crate::protocol::messages::produce::{
    PartitionProduceRef, PartitionProduceResponse, ProduceRequest, ProduceRequestRef,
    ProduceResponse, TopicProduceRef,
};
use crate::protocol::{decode_response, ErrorCode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a failed attempt of a batch went: the node it went to, whether it
/// was sent and got no answer (may be written), and whether the partition's
/// leader just changed (a leader hint: the retry goes at once, no backoff).
#[derive(Debug, Clone, Copy)]
struct Attempt {
    node: NodeId,
    unanswered: bool,
    leader_changed: bool,
}

/// An awaited batch (`wait.sends.batch`) is this old at least when it goes
/// (at most `linger.ms`): threads woken together by one answer all append
/// to it before it goes, instead of the first one's record going alone.
const AWAITED_GRACE: Duration = Duration::from_micros(200);

/// Highest Produce version we send. v13 names topics by id (KIP-516); a
/// request goes as v12 when a topic's id is not known.
const MAX_PRODUCE_VERSION: i16 = 13;

impl<N: Network> Sender<N> {
    /// Fails queued batches older than `delivery.timeout.ms` (and everything
    /// after a fatal error); notes when the next one expires.
    pub(super) fn expire_batches(&mut self, now: Instant, wake: &mut Wake) {
        let timeout = self.shared.config.delivery_timeout;
        let fatal = self.shared.fatal.lock().clone();
        let mut expired = Vec::new();
        for tq in self.shared.acc.topics() {
            for q in &tq.partitions {
                let mut q = q.lock();
                if fatal.is_some() {
                    expired.extend(q.batches.drain(..));
                    continue;
                }
                while q
                    .batches
                    .front()
                    .is_some_and(|b| saturating_add(b.created, timeout) <= now)
                {
                    expired.push(q.batches.pop_front().expect("front exists"));
                }
                if let Some(b) = q.batches.front() {
                    wake.at(saturating_add(b.created, timeout));
                }
            }
        }
        // Batches in flight past their deadline fail now; their answers are
        // ignored when they come.
        let mut late = Vec::new();
        let mut unresolved = Vec::new();
        for req in self.in_flight.values_mut() {
            if let super::InFlight::Produce { batches, .. } = req {
                for b in batches.iter_mut().filter(|b| !b.expired) {
                    let deadline = saturating_add(b.created, timeout);
                    if deadline <= now {
                        b.expire_in_place(Error::DeliveryTimeout {
                            after: now.saturating_duration_since(b.created),
                            may_have_persisted: true,
                            last_error: b.last_error,
                        });
                        late.push((
                            b.reserved,
                            b.record_count,
                            b.result.clone(),
                            b.topic.clone(),
                        ));
                        if b.base_sequence >= 0 {
                            unresolved.push((
                                b.topic.clone(),
                                b.partition,
                                b.base_sequence,
                                b.record_count,
                                b.producer_id,
                                b.producer_epoch,
                            ));
                        }
                    } else {
                        wake.at(deadline);
                    }
                }
            }
        }
        if let Some(idem) = self.idempotence.as_mut() {
            for (topic, partition, base, count, pid, epoch) in unresolved {
                if pid == idem.producer_id && epoch == idem.epoch {
                    idem.mark_unresolved(&topic, partition, base, count);
                }
            }
        }
        for (reserved, records, result, topic) in late {
            self.shared.acc.release_parts(&result, reserved);
            Metrics::add(&self.shared.metrics.records_failed, u64::from(records));
            let mut sensors = self.shared.metrics.sensors.lock();
            sensors.records_failed(&topic, records, now);
        }
        for b in expired {
            let error = fatal.clone().unwrap_or_else(|| Error::DeliveryTimeout {
                after: now.saturating_duration_since(b.created),
                may_have_persisted: b.maybe_written,
                last_error: b.last_error,
            });
            self.complete_failed(b, error);
        }
    }

    /// One pass over all partitions: at most one request per ready leader,
    /// at most one batch per partition in it. Returns requests sent.
    pub(super) fn drain_and_send(&mut self, now: Instant, wake: &mut Wake) -> usize {
        let cfg = self.shared.config.clone();
        // Committing sends everything at once, as a flush does.
        let committing = self
            .txn
            .as_ref()
            .is_some_and(|t| t.state() == super::txn::TxnState::Committing);
        let flushing = self.shared.acc.flushing() || self.closing() || committing;
        let idempotent = self.idempotence.is_some();
        // While an epoch bump waits, only batches that may already be written
        // are sent (under their old stamp), so the broker can tell us.
        let bumping = self.idempotence.as_ref().is_some_and(|i| i.bump_needed);
        if bumping {
            self.settle_before_bump();
        }
        let mut per_node: HashMap<NodeId, (usize, Vec<ProducerBatch>)> = HashMap::new();
        let mut want_add = Vec::new();
        let counting = self.counting_load();
        let track_leaders = counting && !cfg.partitioner_availability_timeout.is_zero();
        for tq in self.shared.acc.topics() {
            let meta = self.topics.get(&*tq.name).cloned();
            let mut used = false;
            if counting {
                self.load.queued.clear();
                self.load.queued.resize(tq.partitions.len(), 0);
            }
            for (p, queue) in tq.partitions.iter().enumerate() {
                // Is the head batch ready? (Noting when it will be, if not.)
                {
                    let q = queue.lock();
                    if counting {
                        self.load.queued[p] = q.batches.len() as u32;
                    }
                    let p = p as i32;
                    let Some(head) = q.batches.front() else {
                        continue;
                    };
                    used = true;
                    // Its appending thread is compressing it: it comes back
                    // with a wake-up (the append reports the batch full).
                    if head.is_closing() {
                        continue;
                    }
                    if bumping && !self.resolves_before_bump(head) {
                        continue;
                    }
                    if head.is_sealed() {
                        if let Some(at) = head.retry_at.filter(|at| *at > now) {
                            wake.at(at);
                            continue;
                        }
                        // A retry goes alone, first, so the broker sees sequences in order.
                        let key = (tq.name.clone(), p);
                        if idempotent && self.partition_in_flight(&key) > 0 {
                            continue;
                        }
                    } else {
                        let full = q.batches.len() > 1
                            || head.size() >= cfg.batch_size
                            || head.is_closed();
                        // A thread waits for it (`wait.sends.batch`): it
                        // gets nothing more from that thread by lingering.
                        // While a request of the partition is in flight it
                        // keeps filling until the answer (or linger.ms):
                        // under many waiting threads batches still grow.
                        let linger_end = saturating_add(head.created, cfg.linger);
                        let grace_end = saturating_add(head.created, cfg.linger.min(AWAITED_GRACE));
                        let awaited = head.result.awaited()
                            && self.partition_in_flight(&(tq.name.clone(), p)) == 0;
                        if awaited && now < grace_end && !(full || flushing) {
                            wake.at(grace_end);
                            continue;
                        }
                        if !(full || flushing || awaited || now >= linger_end) {
                            wake.at(linger_end);
                            continue;
                        }
                    }
                }
                let p = p as i32;
                // Transactions v1: a partition is added before its first
                // batch; v2: Produce adds it (noted when its batch goes).
                if let Some(txn) = &self.txn {
                    let key = (tq.name.clone(), p);
                    if !txn.v2 && !txn.added.contains(&key) {
                        want_add.push(key);
                        continue;
                    }
                }
                let Some(leader) = meta.as_ref().and_then(|m| m.leader(p)) else {
                    self.metadata_needed = true;
                    continue;
                };
                // With idempotence, a partition's batches go to one node at
                // a time: after a leader change, the new leader gets nothing
                // of the partition until the old one answered (or its requests
                // timed out). A new leader that has no state for our producer
                // id accepts any sequence, so a later batch sent there first
                // would be written ahead of earlier ones still unanswered at
                // the old leader, and those could then never be written in
                // order (nor told apart from written ones by their refusal).
                //
                // And until a batch of the partition was acknowledged by
                // this leader with no failure since, one batch at a time
                // goes there: a leader without our producer state (a new
                // leader, or a new topic's) that refuses one batch (say,
                // NOT_LEADER_OR_FOLLOWER while it takes the partition over)
                // and accepts the next would write the later one first.
                if idempotent {
                    let key = (tq.name.clone(), p);
                    if let Some((node, n)) = self.partition_in_flight.get(&key) {
                        if *n > 0 && (*node != leader || !self.is_confirmed(&key, leader)) {
                            continue;
                        }
                    }
                }
                let ready = match self.net.state(leader, now) {
                    ConnState::Ready => match self.throttled(leader, now) {
                        Some(until) => {
                            wake.at(until);
                            false
                        }
                        None => true,
                    },
                    ConnState::Disconnected => {
                        self.net.connect(leader, now);
                        false
                    }
                    ConnState::BackingOff { until } => {
                        wake.at(until);
                        false
                    }
                    ConnState::Connecting => false,
                };
                let ready = ready && self.node_in_flight(leader) < cfg.max_in_flight;
                if track_leaders {
                    self.note_leader(leader, ready, now);
                }
                if !ready {
                    continue;
                }
                let (size, batches) = per_node.entry(leader).or_default();
                let mut q = queue.lock();
                let Some(head) = q.batches.front() else {
                    continue;
                };
                if !batches.is_empty() && *size + head.size() > cfg.max_request_size {
                    wake.at(now);
                    continue;
                }
                let batch = q.batches.pop_front().expect("head exists");
                drop(q);
                if let Some(txn) = self.txn.as_mut() {
                    txn.added.insert((tq.name.clone(), p));
                }
                *size += batch.size();
                batches.push(batch);
            }
            if used {
                self.topic_used.insert(tq.name.clone(), now);
            }
            if counting {
                self.publish_load(&tq.name, meta.as_deref(), now);
            }
        }
        if let Some(txn) = self.txn.as_mut() {
            let mut new = false;
            for key in want_add {
                new |= txn.to_add.insert(key);
            }
            if new {
                wake.at(now); // AddPartitionsToTxn goes on the next step
            }
        }
        self.maybe_panic("drained");
        let mut sent = 0;
        let mut nodes: Vec<_> = per_node
            .into_iter()
            .filter(|(_, (_, b))| !b.is_empty())
            .collect();
        nodes.sort_by_key(|(n, _)| *n);
        for (node, (_, batches)) in nodes {
            if self.send_produce(node, batches, now) {
                sent += 1;
            }
        }
        sent
    }

    /// Seals `batches` (sequence numbers, compression) and writes one
    /// Produce request to `node`.
    fn send_produce(&mut self, node: NodeId, batches: Vec<ProducerBatch>, now: Instant) -> bool {
        let cfg = self.shared.config.clone();
        let max_version = self
            .net
            .api_versions(node)
            .and_then(|v| v.pick_version::<ProduceRequest>())
            .map(|v| v.min(self.max_produce_version()));
        let ready = self.seal_for_request(batches, max_version);
        self.maybe_panic("sealed");
        let Some(max_version) = max_version else {
            return false;
        };
        if ready.is_empty() {
            return false;
        }
        let (version, ids) = self.produce_version(node, &ready, max_version);
        let corr = self.correlation_id();
        // The request is written as segments: small owned pieces of header
        // and framing, and the sealed batches themselves, shared, not copied.
        let mut head = Vec::with_capacity(128 + 32 * ready.len());
        let mut order: Vec<usize> = Vec::with_capacity(ready.len());
        let mut topic_ids: Vec<([u8; 16], Arc<str>)> = Vec::new();
        let positions = {
            let mut topics: Vec<TopicProduceRef<'_>> = Vec::new();
            let mut members: Vec<Vec<usize>> = Vec::new();
            for (i, b) in ready.iter().enumerate() {
                let part = PartitionProduceRef {
                    index: b.partition,
                    records: Some(b.wire()),
                };
                match topics.iter().position(|t| t.name == &*b.topic) {
                    Some(t) => {
                        topics[t].partitions.push(part);
                        members[t].push(i);
                    }
                    None => {
                        let topic_id = ids.as_ref().map_or([0; 16], |ids| ids[i]);
                        if ids.is_some() {
                            topic_ids.push((topic_id, b.topic.clone()));
                        }
                        topics.push(TopicProduceRef {
                            name: &b.topic,
                            topic_id,
                            partitions: vec![part],
                        });
                        members.push(vec![i]);
                    }
                }
            }
            order.extend(members.into_iter().flatten());
            let req = ProduceRequestRef {
                transactional_id: self.txn.as_ref().map(|t| t.id.as_str()),
                acks: cfg.acks.wire_value(),
                timeout_ms: cfg.request_timeout.as_millis().min(i32::MAX as u128) as i32,
                topics: &topics,
            };
            req.encode_frame_split(&mut head, version, corr, Some(&cfg.client_id))
        };
        let positions = match positions {
            Ok(p) => p,
            Err(e) => {
                log::error!("{}cannot encode Produce v{version}: {e}", self.log);
                for b in ready {
                    self.complete_failed(b, Error::Fatal(format!("cannot encode Produce: {e}")));
                }
                return false;
            }
        };
        let mut segments = Vec::with_capacity(2 * order.len() + 1);
        let mut from = 0;
        for (pos, i) in positions.iter().zip(&order) {
            segments.push(Segment::Owned(head[from..*pos].to_vec()));
            if let Some(wire) = ready[*i].shared_wire() {
                segments.push(Segment::Shared(wire));
            }
            from = *pos;
        }
        head.drain(..from);
        segments.push(Segment::Owned(head));
        let request_bytes: usize = segments.iter().map(|s| s.as_slice().len()).sum();
        if let Err(e) = self.net.send_segments(node, segments) {
            log::debug!("{}node {node} not ready for Produce: {e}", self.log);
            for b in ready {
                self.retry_or_fail(b, node, ErrorCode::NETWORK_EXCEPTION, None, false, now);
            }
            return false;
        }
        self.record_produce_sent(node, &ready, request_bytes, now);
        if cfg.acks == Acks::None {
            for b in ready {
                self.complete_written(b, -1, -1);
            }
            return true;
        }
        self.request_sent(
            corr,
            InFlight::Produce {
                node,
                sent_at: now,
                version,
                batches: ready,
                topic_ids,
            },
        );
        true
    }

    /// `topic_ids`: the ids the request named its topics by (v13+), which
    /// the response names them by too.
    pub(super) fn handle_produce_response(
        &mut self,
        node: NodeId,
        version: i16,
        frame: &[u8],
        batches: Vec<ProducerBatch>,
        topic_ids: &[([u8; 16], Arc<str>)],
        now: Instant,
    ) {
        let resp: ProduceResponse = match decode_response::<ProduceRequest>(frame, version) {
            Ok((_, r)) => r,
            Err(e) => {
                log::warn!(
                    "{}bad Produce response from node {node}: {e}; disconnecting",
                    self.log
                );
                self.net.disconnect(node, now);
                for b in batches {
                    self.retry_or_fail(b, node, ErrorCode::NETWORK_EXCEPTION, None, true, now);
                }
                self.fail_node(node, ErrorCode::NETWORK_EXCEPTION, now);
                return;
            }
        };
        self.throttle(node, resp.throttle_time_ms, version, now);
        self.maybe_panic("answered");
        // Topics by name (v3–12) or by the id we sent (v13+).
        let mut answers: HashMap<(&str, i32), _> = HashMap::new();
        for (t, p) in resp.partitions() {
            let name = if version >= 13 {
                match topic_ids.iter().find(|(id, _)| *id == t.topic_id) {
                    Some((_, name)) => &**name,
                    None => {
                        log::warn!(
                            "{}node {node} answered for a topic id we did not send",
                            self.log
                        );
                        continue;
                    }
                }
            } else {
                t.name.as_str()
            };
            answers.insert((name, p.index), p);
        }
        self.apply_leader_hints(node, &resp, &answers);
        for b in batches {
            let topic = b.topic.clone();
            let Some(p) = answers.get(&(&*topic, b.partition)).copied() else {
                log::warn!(
                    "{}no answer for {}-{} from node {node}",
                    self.log,
                    b.topic,
                    b.partition
                );
                self.retry_or_fail(b, node, ErrorCode::UNKNOWN_SERVER_ERROR, None, true, now);
                continue;
            };
            let code = ErrorCode(p.error_code);
            if code == ErrorCode::NONE {
                self.confirm(&b, node);
                self.complete_written(b, p.base_offset, p.log_append_time_ms);
            } else if code == ErrorCode::DUPLICATE_SEQUENCE_NUMBER && self.idempotence.is_some() {
                // An earlier attempt was written; its offset is not known.
                self.confirm(&b, node);
                self.complete_written(b, p.base_offset, p.log_append_time_ms);
            } else {
                if p.current_leader.leader_id >= 0 {
                    self.metadata_needed = true;
                }
                let message = p.error_message.clone().or_else(|| {
                    p.record_errors
                        .first()
                        .and_then(|e| e.batch_index_error_message.clone())
                });
                // The hint moved the leader elsewhere: the retry goes there at
                // once (KIP-951; the Java client skips the backoff when the
                // leader changed since the attempt).
                let leader_changed = p.current_leader.leader_id >= 0
                    && self
                        .topics
                        .get(&*topic)
                        .and_then(|m| m.leader(b.partition))
                        .is_some_and(|l| l != node);
                let how = Attempt {
                    node,
                    unanswered: false,
                    leader_changed,
                };
                self.retry_or_fail_after(b, code, message, how, now);
            }
        }
    }

    /// KIP-951: a partition answered with NOT_LEADER_OR_FOLLOWER or
    /// FENCED_LEADER_EPOCH may name its current leader (v10+), and the
    /// response the endpoints of such leaders. As the Java client
    /// (`Metadata.updatePartitionLeadership`), a hint newer than the leader
    /// epoch known updates the partition's leader at once, and its endpoint
    /// is registered, so the retry goes there without waiting for a Metadata
    /// round trip (which is still asked for). A hint whose leader has no
    /// known endpoint is ignored.
    fn apply_leader_hints(
        &mut self,
        node: NodeId,
        resp: &ProduceResponse,
        answers: &HashMap<(&str, i32), &PartitionProduceResponse>,
    ) {
        let mut published = HashMap::new();
        for (&(topic, partition), p) in answers {
            let code = ErrorCode(p.error_code);
            if code != ErrorCode::NOT_LEADER_OR_FOLLOWER && code != ErrorCode::FENCED_LEADER_EPOCH {
                continue;
            }
            let hint = p.current_leader;
            if hint.leader_id < 0 || hint.leader_epoch < 0 {
                continue;
            }
            let endpoint = resp
                .node_endpoint(hint.leader_id)
                .and_then(|e| Some((e.host.clone(), u16::try_from(e.port).ok()?)))
                .or_else(|| self.brokers.get(&hint.leader_id).cloned());
            let Some(endpoint) = endpoint else {
                log::debug!(
                    "{}leader hint for {topic}-{partition} names node {} without an endpoint; ignored",
                    self.log,
                    hint.leader_id
                );
                continue;
            };
            let Some(meta) = self.topics.get_mut(topic) else {
                continue;
            };
            if !Arc::make_mut(meta).apply_leader_hint(partition, hint.leader_id, hint.leader_epoch)
            {
                continue;
            }
            log::debug!(
                "{}leader hint from node {node}: {topic}-{partition} is led by node {} \
                 (epoch {}) at {}:{}",
                self.log,
                hint.leader_id,
                hint.leader_epoch,
                endpoint.0,
                endpoint.1
            );
            published.insert(topic.to_owned(), meta.clone());
            if self.brokers.get(&hint.leader_id) != Some(&endpoint) {
                self.net
                    .set_address(hint.leader_id, &endpoint.0, endpoint.1);
                self.brokers.insert(hint.leader_id, endpoint);
            }
            Metrics::add(&self.shared.metrics.leader_hints_used, 1);
        }
        if !published.is_empty() {
            self.shared.cluster.publish(&published);
        }
    }

    fn complete_written(
        &mut self,
        mut batch: ProducerBatch,
        base_offset: i64,
        log_append_time: i64,
    ) {
        // Also for a batch that expired in flight: its sequence is written.
        if let Some(idem) = self.idempotence.as_mut() {
            if batch.producer_epoch == idem.epoch && batch.producer_id == idem.producer_id {
                idem.acked(
                    &batch.topic,
                    batch.partition,
                    batch.base_sequence,
                    batch.record_count,
                );
            }
        }
        if batch.expired {
            return;
        }
        let m = &self.shared.metrics;
        Metrics::add(&m.records_sent, u64::from(batch.record_count));
        Metrics::add(&m.batches_sent, 1);
        let now = self.step_now;
        m.sensors
            .lock()
            .records_sent(&batch.topic, batch.record_count, now);
        let result = batch.result.clone();
        self.shared.acc.release(&mut batch);
        batch.complete(Outcome::Written {
            base_offset,
            log_append_time,
        });
        // Only now, with the callbacks run, may a `flush` stop waiting.
        self.shared.acc.untrack(&result);
    }

    /// A failed attempt: back into the queue after a backoff if the error is
    /// retriable and `retries`/`delivery.timeout.ms` allow, else fail.
    /// `unanswered`: the attempt was sent and got no answer (may be written).
    pub(super) fn retry_or_fail(
        &mut self,
        batch: ProducerBatch,
        node: NodeId,
        code: ErrorCode,
        message: Option<String>,
        unanswered: bool,
        now: Instant,
    ) {
        let how = Attempt {
            node,
            unanswered,
            leader_changed: false,
        };
        self.retry_or_fail_after(batch, code, message, how, now);
    }

    /// [`retry_or_fail`](Self::retry_or_fail), with how the attempt went
    /// (see [`Attempt`]).
    fn retry_or_fail_after(
        &mut self,
        mut batch: ProducerBatch,
        code: ErrorCode,
        message: Option<String>,
        how: Attempt,
        now: Instant,
    ) {
        let Attempt {
            node,
            unanswered,
            leader_changed,
        } = how;
        self.confirmed
            .remove(&(batch.topic.clone(), batch.partition));
        if batch.expired {
            return;
        }
        // Only for a late copy of a batch whose earlier answer was lost
        // (maybe written): brokers that do not check sequences (the
        // librdkafka mock) accept later batches after a refused one.
        if code == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER
            && batch.maybe_written
            && self.written_before_acked(&batch)
        {
            // Its answer was lost, but a later batch of the same stamp was
            // acknowledged: this one is in the log (offset unknown).
            log::info!(
                "{}{}-{} sequence {} is written: a later batch was acknowledged ({code} for this one)",
                self.log,
                batch.topic,
                batch.partition,
                batch.base_sequence
            );
            self.complete_written(batch, -1, -1);
            return;
        }
        let cfg = self.shared.config.clone();
        batch.last_error = Some(code);
        batch.maybe_written |= unanswered || code.may_have_persisted();
        if code == ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER && self.idempotence.is_some() {
            // The broker has our producer state and says this sequence does
            // not fit: a copy it had written would be answered as a duplicate
            // (it keeps the last five batches, and at most five are in flight).
            // So no attempt of this batch is in the log.
            batch.maybe_written = false;
        }
        if code.needs_metadata_refresh() {
            self.metadata_needed = true;
        }
        let too_large =
            code == ErrorCode::MESSAGE_TOO_LARGE || code == ErrorCode::RECORD_LIST_TOO_LARGE;
        if too_large
            && batch.record_count > 1
            && now < saturating_add(batch.created, cfg.delivery_timeout)
        {
            let original = batch.result.clone();
            let original_count = batch.record_count;
            batch = match batch.split(cfg.compression, cfg.compression_level()) {
                Ok((parts, outcome)) => {
                    log::warn!(
                        "{}Got error produce response from node {node} on topic-partition \
                         {}-{}, splitting a batch of {} records in two and retrying. Error: {code}",
                        self.log,
                        parts[0].topic,
                        parts[0].partition,
                        original_count
                    );
                    self.shared.metrics.sensors.lock().batch_split(now);
                    if let Some(q) = self.shared.acc.queue(&parts[0].topic, parts[0].partition) {
                        let mut q = q.lock();
                        // Last part first: each goes to the front of its place.
                        for p in parts.into_iter().rev() {
                            self.shared.acc.track(&p.result);
                            q.reenqueue(p);
                        }
                    }
                    // Handles of the original follow the outcome to the parts.
                    original.complete(outcome);
                    self.shared.acc.release_parts(&original, 0);
                    return;
                }
                Err(failed) => {
                    let (b, why) = *failed;
                    log::warn!(
                        "{}cannot split a batch of {}-{}: {why}",
                        self.log,
                        b.topic,
                        b.partition
                    );
                    b
                }
            };
        }
        // Transactions v2: the first Produce of a transaction adds its
        // partition and is refused while the previous transaction is still
        // being completed: retried, as the Java client does.
        let txn_busy = self.txn.is_some() && code == ErrorCode::CONCURRENT_TRANSACTIONS;
        let retriable = code.is_retriable() || txn_busy || self.idempotent_retry(&batch, code);
        let deadline = saturating_add(batch.created, cfg.delivery_timeout);
        let attempts = batch.attempts;
        if retriable && attempts <= cfg.retries && now < deadline && !self.closing_forced(now) {
            let backoff = if leader_changed {
                Duration::ZERO
            } else {
                self.backoff(attempts)
            };
            batch.retry_at = Some(saturating_add(now, backoff));
            log::warn!(
                "{}Got error produce response from node {node} on topic-partition {}-{}, \
                 retrying after attempt {attempts} ({} attempts left, next in {} ms). Error: {code}{}",
                self.log,
                batch.topic,
                batch.partition,
                cfg.retries.saturating_sub(attempts),
                backoff.as_millis(),
                message.as_deref().map_or_else(String::new, |m| format!(" ({m})"))
            );
            Metrics::add(&self.shared.metrics.batches_retried, 1);
            let mut sensors = self.shared.metrics.sensors.lock();
            sensors.records_retried(&batch.topic, batch.record_count, now);
            drop(sensors);
            match self.shared.acc.queue(&batch.topic, batch.partition) {
                Some(q) => q.lock().reenqueue(batch),
                None => self.complete_failed(batch, broker_error(code, true)),
            }
            return;
        }
        let error = if now >= deadline {
            Error::DeliveryTimeout {
                after: now.saturating_duration_since(batch.created),
                may_have_persisted: batch.maybe_written,
                last_error: Some(code),
            }
        } else {
            Error::Broker {
                code,
                message,
                may_have_persisted: batch.maybe_written,
            }
        };
        self.complete_failed(batch, error);
    }

    /// Settles the sequences of batches that expired in flight (see
    /// `idempotence`): one that an acknowledgement covers is written; one
    /// whose partition has nothing in flight any more, that nothing can
    /// tell about, is a possible hole in the sequence: the epoch is bumped,
    /// or every later batch of the partition would be refused as out of
    /// order until it expired too.
    pub(super) fn resolve_sequences(&mut self) {
        let Some(idem) = self.idempotence.as_ref() else {
            return;
        };
        let settled: Vec<_> = idem
            .unresolved()
            .into_iter()
            .filter_map(|(key, (base, count))| {
                let written = idem.acked_through(&key.0, key.1, base, count);
                let in_flight = self.partition_in_flight(&key) > 0;
                (written || !in_flight).then_some((key, base, written))
            })
            .collect();
        let bump_allowed = !self.closing() && self.shared.fatal.lock().is_none();
        let Some(idem) = self.idempotence.as_mut() else {
            return;
        };
        for (key, base, written) in settled {
            idem.resolved(&key);
            if written {
                log::debug!(
                    "{}{}-{} sequence {base}, expired in flight, was written",
                    self.log,
                    key.0,
                    key.1
                );
            } else if bump_allowed {
                idem.request_bump("a batch expired in flight, maybe not written");
            }
        }
    }

    /// Highest Produce version to send: transactions v1 stop at v11 (from
    /// v12 a broker with `transaction.version` 2 adds partitions itself).
    fn max_produce_version(&self) -> i16 {
        match &self.txn {
            Some(t) if !t.v2 => 11,
            _ => MAX_PRODUCE_VERSION,
        }
    }

    /// Whether a close deadline has passed: nothing more is sent.
    pub(super) fn closing_forced(&self, now: Instant) -> bool {
        self.shared.close.lock().is_some_and(|c| c.due(now))
    }
}
