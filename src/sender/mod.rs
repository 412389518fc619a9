//! The sender thread: one loop that owns every broker connection.
//!
//! [`Sender::run_once`] is a step function: given the current time it
//! absorbs network events, expires and retries batches, refreshes metadata,
//! obtains a producer id, drains ready batches into Produce requests, and
//! returns when it next needs to run. The thread loop (`run`) alternates it
//! with a blocking `Network::poll`; tests call it directly with a
//! `FakeNetwork` and a `ManualClock`.
//!
//! # When a batch may fail
//!
//! - never sent and older than `delivery.timeout.ms`: `DeliveryTimeout`, not written;
//! - an attempt failed with a retriable error: retried after a backoff
//!   (exponential, with jitter) while `retries` and `delivery.timeout.ms` allow;
//!   a request that timed out or whose connection dropped counts as
//!   "may have been written";
//! - a non-retriable error: `Broker` error, with the may-have-been-written flag
//!   from every attempt so far;
//! - closing past the close timeout: `Closed`.

mod start;
pub(crate) use start::{start, Started};
mod idempotence;
pub(crate) use crate::sequence::sequence_after;
mod epoch;
mod load;
mod produce;
mod produce_request;
mod requests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_acked_gap;
#[cfg(test)]
mod tests_auth;
#[cfg(test)]
mod tests_awaited;
#[cfg(test)]
mod tests_durations;
#[cfg(test)]
mod tests_hardening;
#[cfg(test)]
mod tests_idle;
#[cfg(test)]
mod tests_inflight;
#[cfg(test)]
mod tests_load;
#[cfg(test)]
mod tests_panic;
#[cfg(test)]
mod tests_responses;
#[cfg(test)]
mod tests_txn;
#[cfg(test)]
mod tests_v13;
pub(crate) mod txn;

use crate::accumulator::batch::ProducerBatch;
use crate::accumulator::Accumulator;
use crate::clock::Clock;
use crate::config::ProducerConfig;
use crate::error::Error;
use crate::log_context::LogContext;
use crate::metadata::{Brokers, ClusterView, TopicMeta};
use crate::metrics::Metrics;
use crate::net::{NetEvent, Network, NodeId};
use crate::protocol::ErrorCode;
use idempotence::Idempotence;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// State shared by the producer handle and the sender thread.
pub(crate) struct Shared {
    pub(crate) config: Arc<ProducerConfig>,
    pub(crate) acc: Arc<Accumulator>,
    pub(crate) cluster: Arc<ClusterView>,
    pub(crate) metrics: Arc<Metrics>,
    /// Set by `close`: stop once everything is done or at the deadline.
    pub(crate) close: Mutex<Option<CloseRequest>>,
    /// A fatal error (e.g. fenced): every later send fails with it.
    pub(crate) fatal: Mutex<Option<Error>>,
    /// Whether `fatal` is set (checked on every send without the lock).
    pub(crate) has_fatal: std::sync::atomic::AtomicBool,
    /// With `transactional.id`: the transaction's state, shared with callers.
    pub(crate) txn: Option<Arc<txn::TxnShared>>,
    /// Adaptive partitioning: queued batches per partition, as the sender
    /// counted them (filled only once a partitioner wants it).
    pub(crate) load: Arc<crate::partition_load::LoadTable>,
}

impl Shared {
    /// The state of a new producer with `config` and the sender's `wake`:
    /// with `wait.sends.batch`, a thread that waits for a lingering batch
    /// wakes the sender to send it.
    pub(crate) fn with_wake(
        config: Arc<ProducerConfig>,
        wake: Option<crate::delivery::Wake>,
    ) -> Self {
        let hurry = wake.filter(|_| config.wait_sends_batch);
        Shared {
            acc: Arc::new(
                Accumulator::new(config.batch_size, config.buffer_memory)
                    .with_compression(config.compression, config.compression_level())
                    .with_hurry(hurry),
            ),
            cluster: Arc::new(ClusterView::default()),
            metrics: Arc::new(Metrics::new(
                config.metrics_sample_window,
                config.metrics_num_samples,
            )),
            close: Mutex::new(None),
            fatal: Mutex::new(None),
            has_fatal: std::sync::atomic::AtomicBool::new(false),
            txn: config
                .transactional_id
                .as_ref()
                .map(|_| Arc::new(txn::TxnShared::default())),
            load: Arc::default(),
            config,
        }
    }

    /// Every metric at `now` (see [`crate::metrics`]).
    pub(crate) fn collect_metrics(&self, now: Instant) -> Vec<crate::metrics::Metric> {
        let m = &self.metrics;
        let pool = &self.acc.pool;
        let relaxed = std::sync::atomic::Ordering::Relaxed;
        let gauges = crate::metrics::sensors::Gauges {
            client_id: self.config.client_id.clone(),
            requests_in_flight: m.in_flight_requests.load(relaxed),
            buffer_total: pool.total(),
            buffer_available: pool.total().saturating_sub(pool.used()),
            bufferpool_wait_ns: pool.wait_ns(),
            connections: m.connections.load(relaxed),
        };
        m.sensors.lock().snapshot(&gauges, now)
    }
}

/// A request to stop the sender.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CloseRequest {
    /// Fail whatever is left at this instant (`None`: wait for everything).
    pub(crate) deadline: Option<Instant>,
    /// Fail whatever is left now, whatever the time (`close(Duration::ZERO)`,
    /// or `close` from a callback, on the sender thread itself).
    pub(crate) immediately: bool,
}

impl CloseRequest {
    /// Whether what is left must fail at `now`: nothing more is sent.
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.immediately || self.deadline.is_some_and(|d| now >= d)
    }
}

pub(crate) use crate::delivery::on_sender_thread;

/// A request written and not yet answered.
pub(crate) enum InFlight {
    Produce {
        node: NodeId,
        sent_at: Instant,
        version: i16,
        batches: Vec<ProducerBatch>,
        /// The topic ids the request named its topics by (v13+; empty
        /// before): the response names them the same way.
        topic_ids: Vec<([u8; 16], Arc<str>)>,
    },
    Metadata {
        node: NodeId,
        sent_at: Instant,
        version: i16,
    },
    InitProducerId {
        node: NodeId,
        sent_at: Instant,
        version: i16,
    },
    /// A request of the transaction (coordinator, partitions, offsets, end).
    Txn {
        node: NodeId,
        sent_at: Instant,
        version: i16,
        what: txn::TxnRequest,
    },
}

impl InFlight {
    fn node(&self) -> NodeId {
        match self {
            InFlight::Produce { node, .. }
            | InFlight::Metadata { node, .. }
            | InFlight::InitProducerId { node, .. }
            | InFlight::Txn { node, .. } => *node,
        }
    }

    fn sent_at(&self) -> Instant {
        match self {
            InFlight::Produce { sent_at, .. }
            | InFlight::Metadata { sent_at, .. }
            | InFlight::InitProducerId { sent_at, .. }
            | InFlight::Txn { sent_at, .. } => *sent_at,
        }
    }
}

/// The earliest of several wake-up times.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Wake(Option<Instant>);

impl Wake {
    pub(crate) fn at(&mut self, t: Instant) {
        self.0 = Some(self.0.map_or(t, |c| c.min(t)));
    }
}

/// The sender: see the module docs.
pub(crate) struct Sender<N: Network> {
    pub(crate) shared: Arc<Shared>,
    /// The prefix of every log line (`[Producer clientId=...] `).
    pub(crate) log: LogContext,
    /// The cluster id of the last Metadata answer (logged when it changes).
    cluster_id: Option<String>,
    pub(crate) net: N,
    events: Vec<NetEvent>,
    next_correlation_id: i32,
    pub(crate) in_flight: HashMap<i32, InFlight>,
    /// Per node, the correlation ids of the requests written to its
    /// connection and not answered yet, oldest first: a broker answers in
    /// order, so a response must match the oldest.
    node_order: HashMap<NodeId, VecDeque<i32>>,
    /// Per partition, Produce requests in flight carrying one of its batches,
    /// and the node they went to (with idempotence all go to one node:
    /// see `drain_and_send`).
    partition_in_flight: HashMap<(Arc<str>, i32), (NodeId, usize)>,
    /// With idempotence, per partition, the node (and producer id and
    /// epoch) that acknowledged its last answered batch, when no attempt
    /// of the partition failed since: that node has our producer state for
    /// it, so batches may be pipelined there (see `drain_and_send`).
    confirmed: HashMap<(Arc<str>, i32), (NodeId, i64, i16)>,
    /// Nodes with a ready connection (for the connection metrics).
    connected: std::collections::HashSet<NodeId>,
    /// The time of the current loop step, for metrics recorded where no
    /// `now` is at hand.
    step_now: Instant,
    /// With the `metrics` feature: when the metrics are published next.
    #[cfg(feature = "metrics")]
    export_due: Instant,
    brokers: Brokers,
    topics: HashMap<String, Arc<TopicMeta>>,
    /// When each known topic last had a batch queued (or was first seen):
    /// `metadata.max.idle.ms` counts from there.
    topic_used: HashMap<Arc<str>, Instant>,
    next_idle_sweep: Instant,
    bootstrap: Vec<NodeId>,
    metadata_due: Instant,
    metadata_needed: bool,
    metadata_last_attempt: Option<Instant>,
    metadata_in_flight: bool,
    pub(crate) idempotence: Option<Idempotence>,
    /// With `transactional.id`: the transaction's sender side.
    pub(crate) txn: Option<txn::Transactions>,
    /// Brokers that asked us to hold back (KIP-219 `throttle_time_ms`):
    /// nothing is sent to them before the instant.
    throttled_until: HashMap<NodeId, Instant>,
    /// `retry.backoff.ms` to `retry.backoff.max.ms`, with jitter.
    retry_backoff: crate::net::Backoff,
    /// Adaptive partitioning's counts (see `load.rs`).
    load: load::LoadCounts,
    /// Tests: panic at this stage (see `maybe_panic`).
    #[cfg(test)]
    pub(crate) panic_at: Option<&'static str>,
}

impl<N: Network> Sender<N> {
    /// A sender over `net`; bootstrap servers get node ids -1, -2, ...
    pub(crate) fn new(shared: Arc<Shared>, mut net: N, now: Instant) -> Self {
        let mut bootstrap = Vec::new();
        for (i, server) in shared.config.bootstrap_servers.iter().enumerate() {
            let node = -1 - i as NodeId;
            if let Some((host, port)) = server.rsplit_once(':') {
                if let Ok(port) = port.parse() {
                    net.set_address(
                        node,
                        host.trim_start_matches('[').trim_end_matches(']'),
                        port,
                    );
                    bootstrap.push(node);
                }
            }
        }
        let log = shared.config.log_context();
        let idempotence = shared
            .config
            .enable_idempotence
            .then(|| Idempotence::new(log.clone()));
        let txn = match (&shared.txn, &shared.config.transactional_id) {
            (Some(t), Some(id)) => Some(txn::Transactions::new(
                t.clone(),
                id.clone(),
                shared.config.transaction_timeout,
                log.clone(),
            )),
            _ => None,
        };
        let retry_backoff = crate::net::Backoff::new(
            shared.config.retry_backoff,
            shared
                .config
                .retry_backoff_max
                .max(shared.config.retry_backoff),
        );
        Sender {
            shared,
            log,
            cluster_id: None,
            net,
            events: Vec::new(),
            next_correlation_id: 0,
            in_flight: HashMap::new(),
            node_order: HashMap::new(),
            partition_in_flight: HashMap::new(),
            confirmed: HashMap::new(),
            connected: std::collections::HashSet::new(),
            step_now: Instant::now(),
            #[cfg(feature = "metrics")]
            export_due: now,
            brokers: HashMap::new(),
            topics: HashMap::new(),
            topic_used: HashMap::new(),
            next_idle_sweep: now,
            bootstrap,
            metadata_due: now,
            metadata_needed: true,
            metadata_last_attempt: None,
            metadata_in_flight: false,
            idempotence,
            txn,
            throttled_until: HashMap::new(),
            retry_backoff,
            load: load::LoadCounts::default(),
            #[cfg(test)]
            panic_at: None,
        }
    }

    /// Tests inject a panic at a named stage of the loop, to check that
    /// every accepted record still completes; does nothing otherwise.
    #[inline]
    pub(crate) fn maybe_panic(&self, _stage: &'static str) {
        #[cfg(test)]
        if self.panic_at == Some(_stage) {
            panic!("injected sender panic at {_stage}");
        }
    }

    fn config(&self) -> &ProducerConfig {
        &self.shared.config
    }

    fn closing(&self) -> bool {
        self.shared.close.lock().is_some()
    }

    /// One step; returns when to run again (`None`: only on an event).
    pub(crate) fn run_once(&mut self, now: Instant) -> Option<Instant> {
        self.poll_network(Some(Duration::ZERO), now);
        let mut wake = Wake::default();
        self.check_request_timeouts(now, &mut wake);
        self.forget_idle_topics(now);
        self.maybe_request_metadata(now, &mut wake);
        self.maybe_init_producer_id(now, &mut wake);
        self.expire_batches(now, &mut wake);
        self.resolve_sequences();
        self.run_transactions(now, &mut wake);
        // Past the close deadline (`close(Duration::ZERO)`) nothing new is
        // written: what is left fails with `Closed`, as in the Java client.
        let may_send = match &self.txn {
            Some(t) => self.can_produce() && t.may_produce(),
            None => self.can_produce() || self.idempotence.as_ref().is_some_and(|i| i.bump_needed),
        };
        if may_send && !self.closing_forced(now) {
            while self.drain_and_send(now, &mut wake) > 0 {}
        }
        #[cfg(feature = "metrics")]
        self.export_metrics(now, &mut wake);
        wake.0
    }

    /// With the `metrics` feature: every metric to the `metrics` facade,
    /// once per [`crate::metrics::export::INTERVAL`].
    #[cfg(feature = "metrics")]
    fn export_metrics(&mut self, now: Instant, wake: &mut Wake) {
        if now >= self.export_due {
            crate::metrics::export::publish(&self.shared.collect_metrics(now));
            let h = crate::metrics::export::Histograms::new(&self.shared.config.client_id);
            self.shared.metrics.sensors.lock().histograms = Some(h);
            self.export_due = crate::clock::saturating_add(now, crate::metrics::export::INTERVAL);
        }
        wake.at(self.export_due);
    }

    /// Waits for network events (at most `timeout`) and handles them.
    pub(crate) fn poll_network(&mut self, timeout: Option<Duration>, now: Instant) {
        self.step_now = now;
        let mut events = std::mem::take(&mut self.events);
        if let Err(e) = self.net.poll(timeout, now, &mut events) {
            log::error!("{}network poll failed: {e}", self.log);
        }
        for event in events.drain(..) {
            self.handle_event(event, now);
        }
        self.events = events;
    }

    fn handle_event(&mut self, event: NetEvent, now: Instant) {
        match event {
            NetEvent::Ready { node } => {
                self.shared.cluster.set_auth_error(None);
                self.connection_changed(node, true, now);
            }
            NetEvent::Disconnected { node, .. } => {
                self.connection_changed(node, false, now);
                self.fail_node(node, ErrorCode::NETWORK_EXCEPTION, now);
            }
            NetEvent::AuthenticationFailed { node, reason } => {
                self.connection_changed(node, false, now);
                self.fail_node(node, ErrorCode::NETWORK_EXCEPTION, now);
                self.authentication_failed(reason);
            }
            NetEvent::Response {
                node,
                correlation_id,
                frame,
            } => self.handle_response(node, correlation_id, &frame, now),
        }
    }

    /// Connection metrics: `node`'s connection became ready or went away.
    fn connection_changed(&mut self, node: NodeId, ready: bool, now: Instant) {
        let changed = if ready {
            self.connected.insert(node)
        } else {
            self.connected.remove(&node)
        };
        if changed {
            let m = &self.shared.metrics;
            let mut sensors = m.sensors.lock();
            if ready {
                sensors.connection_created(now);
            } else {
                sensors.connection_closed(now);
            }
            m.connections.store(
                self.connected.len() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
    }

    fn handle_response(&mut self, node: NodeId, correlation_id: i32, frame: &[u8], now: Instant) {
        let Some(req) = self.answered(node, correlation_id, now) else {
            return;
        };
        self.request_done(correlation_id, &req);
        let latency = now.saturating_duration_since(req.sent_at());
        self.shared
            .metrics
            .sensors
            .lock()
            .response(node, frame.len() + 4, latency, now);
        match req {
            InFlight::Produce {
                node,
                sent_at,
                version,
                batches,
                topic_ids,
            } => {
                let m = &self.shared.metrics;
                Metrics::add(&m.responses, 1);
                Metrics::add(
                    &m.request_latency_us_total,
                    now.saturating_duration_since(sent_at).as_micros() as u64,
                );
                self.handle_produce_response(node, version, frame, batches, &topic_ids, now)
            }
            InFlight::Metadata { node, version, .. } => {
                self.handle_metadata_response(node, version, frame, now)
            }
            InFlight::InitProducerId { node, version, .. } => {
                self.handle_init_producer_id_response(node, version, frame, now)
            }
            InFlight::Txn {
                node,
                version,
                what,
                ..
            } => self.handle_txn_response(node, version, what, frame, now),
        }
    }

    /// Assigns the next correlation id (non-negative, wrapping).
    fn correlation_id(&mut self) -> i32 {
        let id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1) & i32::MAX;
        id
    }

    /// The request a response of `node` answers: the oldest one written to
    /// that connection. A response that does not match it (another node's
    /// request, one answered already, out of order) means the connection
    /// cannot be trusted: it is closed and its requests fail as unanswered.
    fn answered(&mut self, node: NodeId, corr: i32, now: Instant) -> Option<InFlight> {
        let oldest = self.node_order.get(&node).and_then(|q| q.front().copied());
        if oldest == Some(corr) && self.in_flight.get(&corr).is_some_and(|r| r.node() == node) {
            return self.in_flight.remove(&corr);
        }
        log::warn!(
            "{}node {node} answered correlation id {corr}, expected {}; closing the connection",
            self.log,
            oldest.map_or_else(|| "none".to_owned(), |c| c.to_string())
        );
        self.net.disconnect(node, now);
        self.fail_node(node, ErrorCode::NETWORK_EXCEPTION, now);
        None
    }

    /// Requests in flight to `node`.
    pub(crate) fn node_in_flight(&self, node: NodeId) -> usize {
        self.node_order.get(&node).map_or(0, VecDeque::len)
    }

    /// Produce requests in flight carrying a batch of `key`'s partition.
    pub(crate) fn partition_in_flight(&self, key: &(Arc<str>, i32)) -> usize {
        self.partition_in_flight.get(key).map_or(0, |(_, n)| *n)
    }

    fn request_sent(&mut self, corr: i32, req: InFlight) {
        self.node_order
            .entry(req.node())
            .or_default()
            .push_back(corr);
        if let InFlight::Produce { batches, .. } = &req {
            let node = req.node();
            for b in batches {
                let entry = self
                    .partition_in_flight
                    .entry((b.topic.clone(), b.partition))
                    .or_insert((node, 0));
                *entry = (node, entry.1 + 1);
            }
            Metrics::add(&self.shared.metrics.in_flight_requests, 1);
        }
        self.in_flight.insert(corr, req);
    }

    fn request_done(&mut self, corr: i32, req: &InFlight) {
        if let Some(q) = self.node_order.get_mut(&req.node()) {
            q.retain(|c| *c != corr);
            if q.is_empty() {
                self.node_order.remove(&req.node());
            }
        }
        if let InFlight::Produce { batches, .. } = req {
            for b in batches {
                let key = (b.topic.clone(), b.partition);
                if let Some((_, n)) = self.partition_in_flight.get_mut(&key) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        self.partition_in_flight.remove(&key);
                    }
                }
            }
            self.shared
                .metrics
                .in_flight_requests
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Every request in flight to `node` failed (disconnect or timeout).
    fn fail_node(&mut self, node: NodeId, code: ErrorCode, now: Instant) {
        let mut corrs: Vec<i32> = self
            .in_flight
            .iter()
            .filter(|(_, r)| r.node() == node)
            .map(|(c, _)| *c)
            .collect();
        corrs.sort_unstable();
        for corr in corrs {
            let req = self.in_flight.remove(&corr).expect("listed");
            self.request_done(corr, &req);
            match req {
                InFlight::Produce { batches, .. } => {
                    for b in batches {
                        self.retry_or_fail(b, node, code, None, true, now);
                    }
                }
                InFlight::Metadata { .. } => {
                    self.metadata_in_flight = false;
                    self.metadata_needed = true;
                }
                InFlight::InitProducerId { .. } => self.init_producer_id_failed(now),
                InFlight::Txn { what, .. } => self.txn_request_failed(node, &what, now),
            }
        }
        self.metadata_needed = true;
    }

    fn check_request_timeouts(&mut self, now: Instant, wake: &mut Wake) {
        let timeout = self.config().request_timeout;
        let mut expired = Vec::new();
        for req in self.in_flight.values() {
            let due = crate::clock::saturating_add(req.sent_at(), timeout);
            if due <= now {
                expired.push(req.node());
            } else {
                wake.at(due);
            }
        }
        expired.sort_unstable();
        expired.dedup();
        for node in expired {
            log::warn!(
                "{}Disconnecting from node {node} due to request timeout ({} ms)",
                self.log,
                timeout.as_millis()
            );
            self.net.disconnect(node, now);
            self.fail_node(node, ErrorCode::REQUEST_TIMED_OUT, now);
        }
    }

    /// When `node` may be sent to again, if it is throttled at `now`.
    pub(crate) fn throttled(&self, node: NodeId, now: Instant) -> Option<Instant> {
        self.throttled_until
            .get(&node)
            .copied()
            .filter(|until| *until > now)
    }

    /// A broker answered with `throttle_time_ms` (KIP-219): as the Java
    /// client, send it nothing more for that long (from Produce v6 on the
    /// broker answers at once and expects the client to hold back; before,
    /// it delayed the answer itself).
    pub(crate) fn throttle(&mut self, node: NodeId, throttle_ms: i32, version: i16, now: Instant) {
        let ms = u64::try_from(throttle_ms).unwrap_or(0);
        let m = &self.shared.metrics;
        m.sensors.lock().throttle(ms, now);
        Metrics::add(&m.produce_throttle_time_ms_total, ms);
        m.produce_throttle_time_max_ms
            .fetch_max(ms, std::sync::atomic::Ordering::Relaxed);
        self.throttled_until.retain(|_, until| *until > now);
        if ms > 0 && version >= 6 {
            log::trace!("{}node {node} throttles us for {ms} ms", self.log);
            let until = crate::clock::saturating_add(now, Duration::from_millis(ms));
            let entry = self.throttled_until.entry(node).or_insert(until);
            *entry = (*entry).max(until);
        }
    }

    /// `retry.backoff.ms` growing to `retry.backoff.max.ms` (±20% jitter)
    /// for the `attempt`-th retry (1 for the first).
    fn backoff(&mut self, attempt: u32) -> Duration {
        self.retry_backoff.delay(attempt.saturating_sub(1))
    }

    /// A batch with a sequence failed for good: its sequence is a hole the
    /// broker would refuse to skip, so the epoch must be bumped.
    pub(crate) fn sequenced_batch_failed(&mut self, batch: &ProducerBatch) {
        if batch.base_sequence >= 0 && !self.closing() && self.shared.fatal.lock().is_none() {
            if let Some(idem) = self.idempotence.as_mut() {
                if batch.producer_id == idem.producer_id && batch.producer_epoch == idem.epoch {
                    idem.request_bump("a sequenced batch failed");
                }
            }
        }
    }

    /// Produce requests in flight.
    pub(crate) fn produce_in_flight(&self) -> usize {
        self.in_flight
            .values()
            .filter(|r| matches!(r, InFlight::Produce { .. }))
            .count()
    }

    /// Whether everything accepted has completed.
    pub(crate) fn is_idle(&self) -> bool {
        self.shared.acc.incomplete_count() == 0
    }

    /// Fails every queued and in-flight batch with `error` (closing).
    /// Fails every queued and in-flight batch: with `Closed` (closing past
    /// the deadline), or with `fatal` when given.
    pub(crate) fn fail_all(&mut self, fatal: Option<Error>) {
        let error = |maybe: bool| {
            fatal.clone().unwrap_or(Error::Closed {
                may_have_persisted: maybe,
            })
        };
        let reqs: Vec<(i32, InFlight)> = self.in_flight.drain().collect();
        for (corr, req) in reqs {
            self.request_done(corr, &req);
            if let InFlight::Produce { batches, .. } = req {
                for b in batches {
                    self.complete_failed(b, error(true));
                }
            }
        }
        for tq in self.shared.acc.topics() {
            for q in &tq.partitions {
                let drained: Vec<ProducerBatch> = q.lock().batches.drain(..).collect();
                for b in drained {
                    let maybe = b.maybe_written;
                    self.complete_failed(b, error(maybe));
                }
            }
        }
    }

    /// A broker refused us (SASL, TLS): callers waiting for metadata fail
    /// at once, and so does every batch waiting to be sent — retrying
    /// would only fail again until `delivery.timeout.ms`. Batches in
    /// flight elsewhere go on; the connections keep being retried.
    fn authentication_failed(&mut self, message: String) {
        self.shared.cluster.set_auth_error(Some(message.clone()));
        let error = Error::Authentication { message };
        for tq in self.shared.acc.topics() {
            for q in &tq.partitions {
                // A batch that may already be written keeps its place: it
                // is resolved by a later answer or its delivery timeout.
                let failed: Vec<ProducerBatch> = {
                    let mut q = q.lock();
                    let (keep, fail): (std::collections::VecDeque<_>, Vec<_>) = q
                        .batches
                        .drain(..)
                        .map(|b| (b.maybe_written, b))
                        .fold(Default::default(), |(mut k, mut f), (keep, b)| {
                            if keep {
                                k.push_back(b);
                            } else {
                                f.push(b);
                            }
                            (k, f)
                        });
                    q.batches = keep;
                    fail
                };
                for b in failed {
                    self.complete_failed(b, error.clone());
                }
            }
        }
    }

    pub(crate) fn complete_failed(&mut self, mut batch: ProducerBatch, error: Error) {
        if batch.expired {
            return;
        }
        self.sequenced_batch_failed(&batch);
        self.txn_batch_failed(&error);
        log::debug!(
            "{}batch of {} records for {}-{} failed: {error}",
            self.log,
            batch.record_count,
            batch.topic,
            batch.partition
        );
        Metrics::add(
            &self.shared.metrics.records_failed,
            u64::from(batch.record_count),
        );
        self.shared.metrics.sensors.lock().records_failed(
            &batch.topic,
            batch.record_count,
            self.step_now,
        );
        let result = batch.result.clone();
        self.shared.acc.release(&mut batch);
        batch.fail(error);
        self.shared.acc.untrack(&result);
    }
}

/// The sender thread's loop. Runs until `close` is requested and everything
/// is done (or the close deadline passes). Should the loop ever panic, the
/// producer turns fatal and every record still pending fails, so no caller
/// waits forever.
pub(crate) fn run<N: Network>(mut sender: Sender<N>, clock: Arc<dyn Clock>) {
    crate::delivery::mark_sender_thread();
    sender.log.set_current();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_loop(&mut sender, &*clock)
    }));
    if result.is_err() {
        log::error!(
            "{}the sender thread panicked; failing every pending record",
            sender.log
        );
        let error = Error::Fatal("the producer's sender thread panicked".into());
        sender.set_fatal(error.clone());
        sender.shared.acc.close();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sender.fail_all(Some(error.clone()))
        }));
        // Batches the loop held in local lists failed as they were dropped
        // in the unwind; any result still incomplete fails here.
        sender.shared.acc.fail_incomplete(&error);
    }
    sender.shared.cluster.notify();
    log::debug!("{}sender thread stopped", sender.log);
}

fn run_loop<N: Network>(sender: &mut Sender<N>, clock: &dyn Clock) {
    loop {
        let now = clock.now();
        // A close whose deadline has passed (`close(Duration::ZERO)`) stops
        // before anything else is sent: unsent records fail with
        // `Closed { may_have_persisted: false }`.
        if sender.closing_forced(now) {
            sender.fail_all(None);
            break;
        }
        let next = sender.run_once(now);
        let close = *sender.shared.close.lock();
        if let Some(close) = close {
            if sender.is_idle() {
                break;
            }
            if close.due(now) {
                sender.fail_all(None);
                break;
            }
        }
        let mut until = next;
        if let Some(d) = close.and_then(|c| c.deadline) {
            until = Some(until.map_or(d, |u| u.min(d)));
        }
        let now = clock.now();
        let timeout = match until.map(|t| t.saturating_duration_since(now)) {
            // epoll counts whole milliseconds: a shorter wait (an awaited
            // batch's grace, the end of a linger) sleeps precisely, then
            // looks at the sockets without blocking.
            Some(t) if !t.is_zero() && t < Duration::from_millis(1) => {
                std::thread::sleep(t);
                Some(Duration::ZERO)
            }
            t => t,
        };
        sender.poll_network(timeout, now);
    }
}
