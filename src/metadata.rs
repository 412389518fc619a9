//! The cluster as the producer knows it: brokers, topics, partitions and
//! leaders, learned from Metadata responses.
//!
//! The sender thread owns the authoritative copy and publishes every update
//! into a [`ClusterView`] that caller threads read (partition counts for
//! partitioning) and wait on (a topic seen for the first time).

use crate::error::Error;
use crate::hash::FastMap;
use crate::log_context::LogContext;
use crate::protocol::messages::metadata::MetadataResponse;
use crate::protocol::ErrorCode;
use parking_lot::{Condvar, Mutex, RwLock};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One partition's leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionMeta {
    pub(crate) leader: Option<i32>,
    pub(crate) leader_epoch: i32,
    pub(crate) replicas: Vec<i32>,
    pub(crate) isr: Vec<i32>,
}

/// One topic as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TopicMeta {
    /// The topic id (Metadata v10+, KIP-516); all zeros when the broker
    /// gave none. Produce v13 names topics by it.
    pub(crate) topic_id: [u8; 16],
    /// Indexed by partition; empty while the topic is unknown.
    pub(crate) partitions: Vec<PartitionMeta>,
    /// Partitions with a leader, ascending.
    pub(crate) available: Vec<i32>,
    /// The topic-level error of the last response, if any.
    pub(crate) error: Option<ErrorCode>,
}

impl TopicMeta {
    pub(crate) fn leader(&self, partition: i32) -> Option<i32> {
        self.partitions.get(partition as usize)?.leader
    }

    /// The topic id, if the brokers gave one (not all zeros).
    pub(crate) fn known_topic_id(&self) -> Option<[u8; 16]> {
        (self.topic_id != [0; 16]).then_some(self.topic_id)
    }

    /// Applies a leader hint (KIP-951: `current_leader` in a Produce
    /// response) to `partition`, as the Java client's
    /// `Metadata.updatePartitionLeadership`: only a complete hint (leader and
    /// epoch) for a known partition, and only when its epoch is newer than
    /// the one known (if one is). Returns whether the leader changed.
    pub(crate) fn apply_leader_hint(&mut self, partition: i32, leader: i32, epoch: i32) -> bool {
        if leader < 0 || epoch < 0 || partition < 0 {
            return false;
        }
        let Some(p) = self.partitions.get_mut(partition as usize) else {
            return false;
        };
        if p.leader_epoch >= 0 && epoch <= p.leader_epoch {
            return false;
        }
        p.leader = Some(leader);
        p.leader_epoch = epoch;
        self.update_available();
        true
    }

    /// Keeps partitions of `old` whose leader epoch is newer than what
    /// `self` (a fresh Metadata answer, perhaps from a broker that has not
    /// caught up) says, as the Java client's `Metadata.updateLatestMetadata`
    /// does (KIP-320): a leader learned from a hint or a newer answer is not
    /// undone by a stale one. This holds for plain refreshes too, and for
    /// brokers that give leader epochs (Metadata v7+) but no topic ids
    /// (before v10). Only a new, different topic id (the topic was
    /// recreated: its epochs start again) or an answer without an epoch
    /// for the partition is taken as is. Returns how many partitions were
    /// kept.
    pub(crate) fn keep_newer_leaders(&mut self, old: &TopicMeta) -> usize {
        if self.known_topic_id().is_some() && self.topic_id != old.topic_id {
            return 0;
        }
        let mut kept = 0;
        for (new, old) in self.partitions.iter_mut().zip(&old.partitions) {
            if old.leader_epoch >= 0 && new.leader_epoch >= 0 && new.leader_epoch < old.leader_epoch
            {
                *new = old.clone();
                kept += 1;
            }
        }
        if kept > 0 {
            self.update_available();
        }
        kept
    }

    fn update_available(&mut self) {
        self.available = (0..self.partitions.len() as i32)
            .filter(|i| self.partitions[*i as usize].leader.is_some())
            .collect();
    }
}

/// Logs how `new` changes what was known of topic `name` (`old`): a new
/// topic and moved leaders at `debug`, a changed partition count at `info`
/// (partitions as `topic-N`, as the Java client prints them).
pub(crate) fn log_changes(
    log: &LogContext,
    node: i32,
    name: &str,
    old: Option<&TopicMeta>,
    new: &TopicMeta,
) {
    if let Some(e) = new.error {
        log::debug!("{log}metadata from node {node}: topic {name}: {e}");
        return;
    }
    let count = new.partitions.len();
    let Some(old) = old.filter(|o| !o.partitions.is_empty()) else {
        log::debug!("{log}metadata from node {node}: topic {name} has {count} partitions");
        return;
    };
    if old.partitions.len() != count {
        log::info!(
            "{log}topic {name}: partition count changed from {} to {count}",
            old.partitions.len()
        );
    }
    for (i, (o, n)) in old.partitions.iter().zip(&new.partitions).enumerate() {
        if o.leader != n.leader {
            let show =
                |l: Option<i32>| l.map_or_else(|| "none".to_owned(), |l| format!("node {l}"));
            log::debug!(
                "{log}leader of {name}-{i}: {} (epoch {}), was {}",
                show(n.leader),
                n.leader_epoch,
                show(o.leader)
            );
        }
    }
}

/// Brokers by id: (host, port).
pub(crate) type Brokers = HashMap<i32, (String, u16)>;

/// Converts a Metadata response into brokers and topics.
pub(crate) fn parse(
    resp: &MetadataResponse,
    log: &LogContext,
) -> (Brokers, HashMap<String, TopicMeta>) {
    let brokers = resp
        .brokers
        .iter()
        .filter_map(|b| Some((b.node_id, (b.host.clone(), u16::try_from(b.port).ok()?))))
        .collect();
    let mut topics = HashMap::new();
    for t in &resp.topics {
        let Some(name) = t.name.clone() else { continue };
        let error = (t.error_code != 0).then_some(ErrorCode(t.error_code));
        let mut meta = TopicMeta {
            error,
            topic_id: t.topic_id,
            ..TopicMeta::default()
        };
        // Partitions are dense (0..n); anything else is not trusted, so a
        // hostile index cannot size an allocation.
        let count = t.partitions.len();
        let dense = t
            .partitions
            .iter()
            .all(|p| p.partition_index >= 0 && (p.partition_index as usize) < count);
        if t.error_code == 0 && !dense {
            log::warn!(
                "{log}ignoring metadata of topic {name}: partition indexes are not 0..{count}"
            );
            continue;
        }
        if t.error_code == 0 {
            meta.partitions = vec![
                PartitionMeta {
                    leader: None,
                    leader_epoch: -1,
                    replicas: vec![],
                    isr: vec![],
                };
                count
            ];
            for p in &t.partitions {
                meta.partitions[p.partition_index as usize] = PartitionMeta {
                    leader: (p.leader_id >= 0).then_some(p.leader_id),
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.clone(),
                    isr: p.isr_nodes.clone(),
                };
            }
            meta.update_available();
        }
        topics.insert(name, meta);
    }
    (brokers, topics)
}

/// What caller threads see of the cluster, kept current by the sender.
#[derive(Default)]
pub(crate) struct ClusterView {
    topics: RwLock<FastMap<String, Arc<TopicMeta>>>,
    /// Topics callers need that the sender should ask for, with when a
    /// caller last asked (real time: callers wait on real condvars).
    wanted: Mutex<BTreeMap<String, Instant>>,
    /// Topics forgotten since a caller last looked (for the partitioner).
    forgotten: Mutex<Vec<String>>,
    has_forgotten: std::sync::atomic::AtomicBool,
    generation: Mutex<u64>,
    /// Bumped after every change to `topics` (publish, forget): a caller's
    /// cached route to a topic (`crate::route`) is good while it is equal.
    changes: AtomicU64,
    updated: Condvar,
    /// The last authentication failure, until a connection succeeds again:
    /// callers waiting for metadata fail with it at once.
    auth_error: Mutex<Option<String>>,
}

impl ClusterView {
    /// Records an authentication failure (`Some`) or a successful
    /// connection (`None`); waiting callers see it at once.
    pub(crate) fn set_auth_error(&self, error: Option<String>) {
        let mut current = self.auth_error.lock();
        if current.is_none() && error.is_none() {
            return;
        }
        *current = error;
        drop(current);
        self.notify();
    }

    /// The last authentication failure, if no connection succeeded since.
    #[cfg(test)]
    pub(crate) fn auth_error(&self) -> Option<String> {
        self.auth_error.lock().clone()
    }

    /// The count of changes to the topics so far (read before looking a
    /// topic up, to know when the answer may have changed).
    pub(crate) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// The topic if its partitions are known.
    pub(crate) fn topic(&self, topic: &str) -> Option<Arc<TopicMeta>> {
        self.topics
            .read()
            .get(topic)
            .filter(|t| !t.partitions.is_empty())
            .cloned()
    }

    /// The last error the brokers gave for `topic`.
    pub(crate) fn topic_error(&self, topic: &str) -> Option<ErrorCode> {
        self.topics.read().get(topic).and_then(|t| t.error)
    }

    /// Waits until `topic`'s partitions are known or `deadline` passes.
    /// `wake` is called when the sender must be told about a new topic.
    pub(crate) fn wait_for_topic(
        &self,
        topic: &str,
        started: Instant,
        deadline: Option<Instant>,
        wake: &dyn Fn(),
    ) -> Result<Arc<TopicMeta>, Error> {
        if let Some(t) = self.topic(topic) {
            return Ok(t);
        }
        if self
            .wanted
            .lock()
            .insert(topic.to_owned(), Instant::now())
            .is_none()
        {
            wake();
        }
        let mut gen = self.generation.lock();
        loop {
            if let Some(t) = self.topic(topic) {
                return Ok(t);
            }
            if let Some(message) = self.auth_error.lock().clone() {
                return Err(Error::Authentication { message });
            }
            match deadline {
                None => self.updated.wait(&mut gen),
                Some(d) => {
                    if Instant::now() >= d {
                        return Err(Error::MetadataTimeout {
                            topic: topic.to_owned(),
                            waited: Instant::now().saturating_duration_since(started),
                            last_error: self.topic_error(topic),
                        });
                    }
                    self.updated.wait_until(&mut gen, d);
                }
            }
        }
    }

    /// Topics callers are waiting for (sender side). Topics nobody asked
    /// for within `max_wait` (every waiter has given up) are dropped, so an
    /// unknown topic is not looked up forever.
    pub(crate) fn wanted(&self, max_wait: Duration) -> Vec<String> {
        let now = Instant::now();
        let mut wanted = self.wanted.lock();
        wanted.retain(|_, asked| now.saturating_duration_since(*asked) <= max_wait);
        wanted.keys().cloned().collect()
    }

    /// Publishes a metadata update (sender side) and wakes waiting callers.
    /// Topics absent from `topics` keep their previous state.
    pub(crate) fn publish(&self, topics: &HashMap<String, Arc<TopicMeta>>) {
        {
            let mut map = self.topics.write();
            for (name, meta) in topics {
                map.insert(name.clone(), meta.clone());
            }
            self.changes.fetch_add(1, Ordering::Release);
        }
        {
            let mut wanted = self.wanted.lock();
            wanted.retain(|t, _| topics.get(t).is_none_or(|m| m.partitions.is_empty()));
        }
        let mut gen = self.generation.lock();
        *gen += 1;
        self.updated.notify_all();
    }

    /// Forgets `topic` (sender side; `metadata.max.idle.ms`): the next
    /// record for it waits for its metadata again. Not while a caller
    /// waits for it.
    pub(crate) fn forget(&self, topic: &str) -> bool {
        if self.wanted.lock().contains_key(topic) {
            return false;
        }
        self.topics.write().remove(topic);
        self.changes.fetch_add(1, Ordering::Release);
        self.forgotten.lock().push(topic.to_owned());
        self.has_forgotten
            .store(true, std::sync::atomic::Ordering::Release);
        true
    }

    /// Topics forgotten since the last call (caller side: one atomic load
    /// when there are none).
    pub(crate) fn take_forgotten(&self) -> Vec<String> {
        if !self
            .has_forgotten
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return Vec::new();
        }
        let mut forgotten = self.forgotten.lock();
        self.has_forgotten
            .store(false, std::sync::atomic::Ordering::Release);
        std::mem::take(&mut *forgotten)
    }

    /// Whether a caller waits for `topic`'s metadata.
    pub(crate) fn is_wanted(&self, topic: &str) -> bool {
        self.wanted.lock().contains_key(topic)
    }

    /// Wakes every waiter without news (e.g. on close).
    pub(crate) fn notify(&self) {
        let mut gen = self.generation.lock();
        *gen += 1;
        self.updated.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::messages::metadata::{
        MetadataBroker, MetadataPartition, MetadataResponse, MetadataTopic,
    };
    use std::time::Duration;

    pub(crate) fn response(topic: &str, leaders: &[i32]) -> MetadataResponse {
        MetadataResponse {
            brokers: vec![MetadataBroker {
                node_id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
            }],
            topics: vec![MetadataTopic {
                name: Some(topic.into()),
                partitions: leaders
                    .iter()
                    .enumerate()
                    .map(|(i, l)| MetadataPartition {
                        partition_index: i as i32,
                        leader_id: *l,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn parse_finds_leaders_and_available_partitions() {
        let (brokers, topics) = parse(&response("t", &[1, -1, 1]), &LogContext::default());
        assert_eq!(brokers[&1], ("h".to_string(), 9092));
        let t = &topics["t"];
        assert_eq!(t.partitions.len(), 3);
        assert_eq!(t.available, [0, 2]);
        assert_eq!(t.leader(1), None);
    }

    #[test]
    fn parse_keeps_the_topic_id() {
        let mut md = response("t", &[1]);
        md.topics[0].topic_id = [7; 16];
        let (_, topics) = parse(&md, &LogContext::default());
        assert_eq!(topics["t"].known_topic_id(), Some([7; 16]));
        let (_, topics) = parse(&response("t", &[1]), &LogContext::default());
        assert_eq!(topics["t"].known_topic_id(), None, "all zeros: no id");
    }

    #[test]
    fn leader_hints_apply_only_when_newer_and_complete() {
        let mut md = response("t", &[-1, 1]);
        md.topics[0].partitions[1].leader_epoch = 5;
        let (_, mut topics) = parse(&md, &LogContext::default());
        let t = topics.get_mut("t").unwrap();
        assert!(!t.apply_leader_hint(1, 2, 5), "same epoch");
        assert!(!t.apply_leader_hint(1, 2, 4), "older epoch");
        assert!(!t.apply_leader_hint(1, 2, -1), "no epoch");
        assert!(!t.apply_leader_hint(1, -1, 6), "no leader");
        assert!(!t.apply_leader_hint(7, 2, 6), "unknown partition");
        assert!(t.apply_leader_hint(1, 2, 6));
        assert_eq!((t.leader(1), t.partitions[1].leader_epoch), (Some(2), 6));
        // Partition 0 had no leader nor epoch: any complete hint is news.
        assert!(t.apply_leader_hint(0, 3, 0));
        assert_eq!(t.available, [0, 1]);
    }

    #[test]
    fn stale_metadata_does_not_undo_a_newer_leader_of_the_same_topic() {
        let with = |id: u8, leader: i32, epoch: i32| {
            let mut md = response("t", &[leader, 1]);
            md.topics[0].topic_id = [id; 16];
            md.topics[0].partitions[0].leader_epoch = epoch;
            parse(&md, &LogContext::default()).1.remove("t").unwrap()
        };
        let known = with(1, 2, 6);
        let mut stale = with(1, 1, 5);
        assert_eq!(stale.keep_newer_leaders(&known), 1);
        assert_eq!(stale.leader(0), Some(2));
        let mut newer = with(1, 1, 7);
        assert_eq!(newer.keep_newer_leaders(&known), 0);
        assert_eq!(newer.leader(0), Some(1));
        // Recreated (another id, or an id where none was known): taken as is.
        let mut recreated = with(2, 1, 0);
        assert_eq!(recreated.keep_newer_leaders(&known), 0);
        let mut first_id = with(1, 1, 0);
        assert_eq!(first_id.keep_newer_leaders(&with(0, 2, 6)), 0);
        // No ids at all (Metadata v7-v9): the epochs still decide (KIP-320).
        let mut no_ids = with(0, 1, 5);
        assert_eq!(no_ids.keep_newer_leaders(&with(0, 2, 6)), 1);
        assert_eq!(no_ids.leader(0), Some(2));
        // No epoch in the answer: taken as is.
        let mut no_epoch = with(1, 1, -1);
        assert_eq!(no_epoch.keep_newer_leaders(&known), 0);
    }

    #[test]
    fn callers_wait_for_a_topic_until_published_or_deadline() {
        let view = Arc::new(ClusterView::default());
        let woke = std::sync::atomic::AtomicUsize::new(0);
        let wake = || {
            woke.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        };
        let t0 = Instant::now();
        let err = view
            .wait_for_topic("t", t0, Some(t0 + Duration::from_millis(20)), &wake)
            .unwrap_err();
        assert!(matches!(err, Error::MetadataTimeout { .. }), "{err}");
        assert_eq!(view.wanted(Duration::from_secs(60)), ["t"]);
        let v2 = view.clone();
        let waiter = std::thread::spawn(move || {
            v2.wait_for_topic("t", Instant::now(), None, &|| {})
                .map(|t| t.partitions.len())
        });
        std::thread::sleep(Duration::from_millis(20));
        let (_, topics) = parse(&response("t", &[1, 1]), &LogContext::default());
        view.publish(&topics.into_iter().map(|(k, v)| (k, Arc::new(v))).collect());
        assert_eq!(waiter.join().unwrap().unwrap(), 2);
        assert!(view.wanted(Duration::from_secs(60)).is_empty());
    }
}
