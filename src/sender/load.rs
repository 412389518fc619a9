//! Adaptive partitioning, the sender's side: count the batches queued per
//! partition during each drain pass and publish them for the default
//! partitioner (see [`crate::partition_load`]); track which leaders could
//! take no request, for `partitioner.availability.timeout.ms`.

use super::Sender;
use crate::metadata::TopicMeta;
use crate::net::{Network, NodeId};
use crate::partition_load::PartitionLoad;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What the sender keeps for adaptive partitioning.
#[derive(Default)]
pub(crate) struct LoadCounts {
    /// Per leader that could not be sent to when it had a batch ready:
    /// since when (cleared when it can be sent to again).
    blocked_since: HashMap<NodeId, Instant>,
    /// Per topic: the (partition, queued) list last published.
    published: HashMap<Arc<str>, Vec<(i32, u32)>>,
    /// The current topic's queued batches per partition (reused).
    pub(super) queued: Vec<u32>,
    /// The list being built (reused).
    entries: Vec<(i32, u32)>,
}

impl<N: Network> Sender<N> {
    /// Whether this drain pass counts queues (a partitioner reads them).
    pub(super) fn counting_load(&self) -> bool {
        self.shared.load.wanted()
    }

    /// A leader had a batch ready and `ready` says whether it could take it.
    pub(super) fn note_leader(&mut self, leader: NodeId, ready: bool, now: Instant) {
        if ready {
            self.load.blocked_since.remove(&leader);
        } else {
            self.load.blocked_since.entry(leader).or_insert(now);
        }
    }

    /// Publishes `topic`'s queue counts (in `self.load.queued`) if they
    /// changed: partitions without a leader are left out, and so are those
    /// whose leader has been blocked for `partitioner.availability.timeout.ms`.
    pub(super) fn publish_load(
        &mut self,
        topic: &Arc<str>,
        meta: Option<&TopicMeta>,
        now: Instant,
    ) {
        let timeout = self.shared.config.partitioner_availability_timeout;
        let counts = &mut self.load;
        counts.entries.clear();
        if let Some(meta) = meta {
            for (p, &queued) in counts.queued.iter().enumerate() {
                let Some(leader) = meta.leader(p as i32) else {
                    continue;
                };
                let stuck = !timeout.is_zero()
                    && counts
                        .blocked_since
                        .get(&leader)
                        .is_some_and(|since| now.saturating_duration_since(*since) >= timeout);
                if !stuck {
                    counts.entries.push((p as i32, queued));
                }
            }
        }
        if counts.published.get(topic) == Some(&counts.entries) {
            return;
        }
        let load = PartitionLoad::from_queued(&counts.entries, counts.queued.len());
        self.shared.load.publish(topic, load);
        counts
            .published
            .insert(topic.clone(), counts.entries.clone());
    }

    /// `topic` was forgotten: so is its load.
    pub(super) fn forget_load(&mut self, topic: &str) {
        self.load.published.remove(topic);
        self.shared.load.publish(topic, None);
    }
}
