//! Metadata and InitProducerId: the requests the sender makes for itself.

use super::{InFlight, Sender, Wake};
use crate::clock::saturating_add;
use crate::error::Error;
use crate::metadata;
use crate::net::{ConnState, Network, NodeId};
use crate::protocol::messages::init_producer_id::InitProducerIdRequest;
use crate::protocol::messages::metadata::{MetadataRequest, MetadataResponse};
use crate::protocol::{decode_response, encode_request, ErrorCode, Request};
use std::sync::Arc;
use std::time::Instant;

impl<N: Network> Sender<N> {
    /// A node to ask (metadata, producer id): a ready one with the fewest
    /// requests in flight; else starts connecting to a known broker or a
    /// bootstrap server and returns `None`.
    pub(super) fn least_loaded_node(&mut self, now: Instant, wake: &mut Wake) -> Option<NodeId> {
        let mut nodes: Vec<NodeId> = self.brokers.keys().copied().collect();
        nodes.sort_unstable();
        nodes.extend(self.bootstrap.iter().copied());
        let mut ready = None;
        let mut fewest = usize::MAX;
        for &n in &nodes {
            if self.net.state(n, now) != ConnState::Ready {
                continue;
            }
            // A throttled broker (KIP-219) gets nothing, not even Metadata.
            if let Some(until) = self.throttled(n, now) {
                wake.at(until);
                continue;
            }
            let load = self.node_in_flight(n);
            if load < fewest {
                fewest = load;
                ready = Some(n);
            }
        }
        if ready.is_some() {
            return ready;
        }
        if nodes
            .iter()
            .any(|n| self.net.state(*n, now) == ConnState::Connecting)
        {
            return None;
        }
        // Rotate through candidates so one dead bootstrap server is not retried forever.
        let start = (crate::random::next_u64() as usize) % nodes.len().max(1);
        for i in 0..nodes.len() {
            let n = nodes[(start + i) % nodes.len()];
            match self.net.state(n, now) {
                ConnState::Disconnected => {
                    self.net.connect(n, now);
                    return None;
                }
                ConnState::BackingOff { until } => wake.at(until),
                _ => {}
            }
        }
        None
    }

    /// Encodes and writes one request; its correlation id, or `None` if it
    /// could not be written.
    pub(super) fn send_request<R: Request>(
        &mut self,
        node: NodeId,
        req: &R,
        version: i16,
    ) -> Option<i32> {
        let corr = self.correlation_id();
        let frame = match encode_request(req, version, corr, Some(&self.shared.config.client_id)) {
            Ok(f) => f,
            Err(e) => {
                log::error!(
                    "{}cannot encode api {} v{version}: {e}",
                    self.log,
                    R::API_KEY
                );
                return None;
            }
        };
        let bytes = frame.len();
        self.net.send(node, frame).ok()?;
        let now = self.step_now;
        self.shared
            .metrics
            .sensors
            .lock()
            .other_request_sent(node, bytes, now);
        Some(corr)
    }

    /// `metadata.max.idle.ms`: forgets topics that had no batch queued or
    /// in flight for that long and that no caller waits for: they leave the
    /// metadata requests, and their queues, metadata and partitioner state
    /// go (the next record for one fetches its metadata again). Producer
    /// ids' sequence numbers are kept: forgetting them would make the broker
    /// refuse the partition's next batch. Checked at most once a second.
    pub(super) fn forget_idle_topics(&mut self, now: Instant) {
        if now < self.next_idle_sweep {
            return;
        }
        self.next_idle_sweep = saturating_add(now, std::time::Duration::from_secs(1));
        let idle = self.shared.config.metadata_max_idle;
        let candidates: Vec<String> = self
            .topics
            .keys()
            .filter(|t| {
                self.topic_used
                    .get(t.as_str())
                    .is_none_or(|used| saturating_add(*used, idle) <= now)
            })
            .cloned()
            .collect();
        for topic in candidates {
            let in_flight = self
                .partition_in_flight
                .iter()
                .any(|((t, _), (_, n))| **t == *topic && *n > 0);
            if in_flight || self.shared.cluster.is_wanted(&topic) {
                continue;
            }
            if !self.shared.acc.retire_topic(&topic) {
                // Records queued: in use after all.
                self.topic_used.insert(Arc::from(topic.as_str()), now);
                continue;
            }
            if !self.shared.cluster.forget(&topic) {
                continue;
            }
            log::info!(
                "{}forgetting topic {topic}: nothing sent to it for {} ms (metadata.max.idle.ms)",
                self.log,
                idle.as_millis()
            );
            self.topics.remove(&topic);
            self.topic_used.remove(topic.as_str());
            self.forget_load(&topic);
        }
    }

    pub(super) fn maybe_request_metadata(&mut self, now: Instant, wake: &mut Wake) {
        if self.metadata_in_flight {
            return;
        }
        let keep = self
            .shared
            .config
            .max_block
            .saturating_add(std::time::Duration::from_secs(60));
        let wanted = self.shared.cluster.wanted(keep);
        let due = self.metadata_needed || !wanted.is_empty() || now >= self.metadata_due;
        if !due {
            wake.at(self.metadata_due);
            return;
        }
        if let Some(last) = self.metadata_last_attempt {
            let allowed = saturating_add(last, self.shared.config.retry_backoff);
            if now < allowed {
                wake.at(allowed);
                return;
            }
        }
        let Some(node) = self.least_loaded_node(now, wake) else {
            return;
        };
        let Some(version) = self
            .net
            .api_versions(node)
            .and_then(|v| v.pick_version::<MetadataRequest>())
        else {
            log::error!(
                "{}node {node} supports no Metadata version we know",
                self.log
            );
            return;
        };
        // Known topics, topics callers wait for, and topics with queues but
        // no metadata (records appended just as their topic was forgotten,
        // `metadata.max.idle.ms`).
        let queued = self.shared.acc.topics();
        let topics: std::collections::BTreeSet<String> = self
            .topics
            .keys()
            .cloned()
            .chain(wanted)
            .chain(queued.iter().map(|q| q.name.to_string()))
            .collect();
        let topics: Vec<String> = topics.into_iter().collect();
        let req = MetadataRequest::for_topics(topics);
        if let Some(corr) = self.send_request(node, &req, version) {
            self.metadata_in_flight = true;
            self.metadata_last_attempt = Some(now);
            self.request_sent(
                corr,
                InFlight::Metadata {
                    node,
                    sent_at: now,
                    version,
                },
            );
        }
    }

    pub(super) fn handle_metadata_response(
        &mut self,
        node: NodeId,
        version: i16,
        frame: &[u8],
        now: Instant,
    ) {
        self.metadata_in_flight = false;
        let resp: MetadataResponse = match decode_response::<MetadataRequest>(frame, version) {
            Ok((_, r)) => r,
            Err(e) => {
                log::warn!("{}bad Metadata response from node {node}: {e}", self.log);
                self.metadata_needed = true;
                return;
            }
        };
        if resp.cluster_id.is_some() && resp.cluster_id != self.cluster_id {
            let id = resp.cluster_id.as_deref().unwrap_or_default();
            log::info!("{}Cluster ID: {id}", self.log);
            self.cluster_id = resp.cluster_id.clone();
        }
        let (brokers, topics) = metadata::parse(&resp, &self.log);
        for (id, (host, port)) in &brokers {
            if self.brokers.get(id) != Some(&(host.clone(), *port)) {
                log::debug!("{}node {id} is at {host}:{port}", self.log);
                self.net.set_address(*id, host, *port);
            }
        }
        if !brokers.is_empty() {
            self.brokers = brokers;
        }
        let mut published = std::collections::HashMap::new();
        let mut incomplete = false;
        for (name, mut meta) in topics {
            // A broker that has not caught up must not undo a newer leader
            // (learned from a leader hint or an earlier answer).
            if let Some(old) = self.topics.get(&name) {
                let kept = meta.keep_newer_leaders(old);
                if kept > 0 {
                    log::debug!(
                        "{}metadata from node {node} is older than what we know for {kept} \
                         partition(s) of {name}; keeping ours",
                        self.log
                    );
                }
            }
            let old = self.topics.get(&name).map(|m| &**m);
            metadata::log_changes(&self.log, node, &name, old, &meta);
            if meta.error.is_some() || meta.available.len() < meta.partitions.len() {
                incomplete = true;
            }
            let meta = Arc::new(meta);
            if !meta.partitions.is_empty() {
                if !self.topics.contains_key(&name) {
                    self.topic_used.insert(Arc::from(name.as_str()), now);
                }
                self.topics.insert(name.clone(), meta.clone());
            }
            published.insert(name, meta);
        }
        self.shared.cluster.publish(&published);
        self.shared.metrics.sensors.lock().metadata_updated(now);
        // Leaderless partitions or erroring topics: look again after a backoff.
        self.metadata_needed = incomplete;
        self.metadata_due = saturating_add(now, self.shared.config.metadata_max_age);
    }

    pub(super) fn maybe_init_producer_id(&mut self, now: Instant, wake: &mut Wake) {
        let Some(idem) = self.idempotence.as_ref() else {
            return;
        };
        // A transactional producer gets its id from its coordinator
        // (`init_transactions`), and bumps only after an abort.
        if self.txn.is_some() {
            return;
        }
        let bump = idem.producer_id >= 0 && idem.bump_needed;
        let needs = !idem.requested && (idem.producer_id < 0 || bump);
        // A bump waits until every Produce request has been answered, so no
        // answer under the old epoch can arrive after the reset.
        if !needs
            || (bump && (self.produce_in_flight() > 0 || self.unresolved_before_bump()))
            || self.shared.fatal.lock().is_some()
        {
            return;
        }
        if let Some(at) = idem.init_retry_at.filter(|at| *at > now) {
            wake.at(at);
            return;
        }
        let (pid, epoch) = (idem.producer_id, idem.epoch);
        let Some(node) = self.least_loaded_node(now, wake) else {
            return;
        };
        let Some(version) = self
            .net
            .api_versions(node)
            .and_then(|v| v.pick_version::<InitProducerIdRequest>())
        else {
            self.set_fatal(Error::Fatal(format!(
                "node {node} does not support InitProducerId, which idempotence needs \
                 (set enable.idempotence=false)"
            )));
            return;
        };
        // KIP-360: v3+ bumps the epoch of the current id; older brokers give a new id.
        let new_id = self.idempotence.as_ref().is_some_and(|i| i.new_id_instead);
        let (producer_id, producer_epoch) = if bump && version >= 3 && !new_id {
            (pid, epoch)
        } else {
            (-1, -1)
        };
        let req = InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: self.shared.config.transaction_timeout.as_millis() as i32,
            producer_id,
            producer_epoch,
        };
        if let Some(corr) = self.send_request(node, &req, version) {
            if let Some(i) = self.idempotence.as_mut() {
                i.requested = true;
            }
            self.request_sent(
                corr,
                InFlight::InitProducerId {
                    node,
                    sent_at: now,
                    version,
                },
            );
        }
    }

    /// An InitProducerId attempt failed (retriable error, bad answer, lost
    /// connection): the next one waits a backoff, as the Java client's
    /// `TransactionManager` re-enqueues it after `retry.backoff.ms`.
    pub(super) fn init_producer_id_failed(&mut self, now: Instant) {
        let Some(failures) = self.idempotence.as_ref().map(|i| i.init_failures + 1) else {
            return;
        };
        let backoff = self.backoff(failures);
        if let Some(idem) = self.idempotence.as_mut() {
            idem.requested = false;
            idem.init_failures = failures;
            idem.init_retry_at = Some(saturating_add(now, backoff));
        }
        log::debug!(
            "{}InitProducerId attempt {failures} failed; next in {} ms",
            self.log,
            backoff.as_millis()
        );
    }

    pub(super) fn handle_init_producer_id_response(
        &mut self,
        node: NodeId,
        version: i16,
        frame: &[u8],
        now: Instant,
    ) {
        let Some(idem) = self.idempotence.as_mut() else {
            return;
        };
        idem.requested = false;
        match decode_response::<InitProducerIdRequest>(frame, version) {
            Err(e) => {
                log::warn!(
                    "{}bad InitProducerId response from node {node}: {e}",
                    self.log
                );
                self.init_producer_id_failed(now);
            }
            Ok((_, r)) if r.error_code == 0 => {
                log::info!(
                    "{}ProducerId set to {} with epoch {} (InitProducerId v{version} to node {node})",
                    self.log,
                    r.producer_id,
                    r.producer_epoch
                );
                let restamp = idem.producer_id >= 0;
                idem.reset(r.producer_id, r.producer_epoch);
                if restamp {
                    self.restamp_queued_batches();
                }
            }
            Ok((_, r)) => {
                let code = ErrorCode(r.error_code);
                if code.is_retriable() || code.needs_coordinator_lookup() {
                    log::info!(
                        "{}InitProducerId failed with {code}; retrying after a backoff",
                        self.log
                    );
                    self.init_producer_id_failed(now);
                } else if idem.bump_needed && !idem.new_id_instead {
                    // Some brokers cannot bump the epoch of an idempotent
                    // producer (tansu answers UNKNOWN_SERVER_ERROR): a new
                    // producer id restarts the sequences just as well.
                    log::info!(
                        "{}epoch bump refused with {code}; asking for a new producer id",
                        self.log
                    );
                    idem.new_id_instead = true;
                } else {
                    self.set_fatal(Error::Fatal(format!("InitProducerId failed: {code}")));
                }
            }
        }
    }

    /// After an epoch bump: queued batches that already had a sequence get a
    /// new one (and the new epoch) when next drained, in queue order.
    fn restamp_queued_batches(&mut self) {
        for tq in self.shared.acc.topics() {
            for q in &tq.partitions {
                for b in q.lock().batches.iter_mut() {
                    if b.is_sealed() {
                        b.base_sequence = -1;
                    }
                }
            }
        }
    }

    pub(super) fn set_fatal(&mut self, error: Error) {
        let mut fatal = self.shared.fatal.lock();
        if fatal.is_none() {
            log::error!("{}fatal error: {error}", self.log);
        }
        *fatal = Some(error);
        drop(fatal);
        self.shared
            .has_fatal
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Produce requests may go out: no producer id is being waited for.
    pub(super) fn can_produce(&self) -> bool {
        self.idempotence.as_ref().is_none_or(|i| i.ready())
    }
}
