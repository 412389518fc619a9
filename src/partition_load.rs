//! Adaptive partitioning (KIP-794): how loaded each partition is, as the
//! sender thread last saw it, for the default partitioner's sticky choice.
//!
//! The sender counts, per topic, the batches queued in each partition whose
//! leader is known (and, with `partitioner.availability.timeout.ms`, whose
//! leader has taken a request recently) and publishes a [`PartitionLoad`]
//! when the counts change. When the default partitioner picks a new sticky
//! partition it draws one at random, each partition weighted by
//! `max_queued + 1 - queued`: a partition whose broker is slow, so that
//! batches pile up in its queue, gets few new batches. Equal counts publish
//! nothing (a uniform pick), as do topics of one partition.
//!
//! Nothing here knows of threads beyond its lock: the sender publishes, any
//! caller thread reads (once per sticky switch, about once per
//! `batch.size` bytes).

use crate::hash::FastMap;
use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A topic's partitions with their pick weights, as a cumulative table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionLoad {
    /// The partitions that may be picked, ascending.
    partitions: Vec<i32>,
    /// `cumulative[i]`: the sum of the weights of `partitions[..=i]`.
    cumulative: Vec<u32>,
}

impl PartitionLoad {
    /// The table for `queued` (partition, batches queued) of the partitions
    /// that may be picked, out of `count` partitions of the topic. `None`
    /// means a uniform pick over the available partitions: fewer than two
    /// partitions in the topic, no partition left, or all counts equal with
    /// none left out.
    pub(crate) fn from_queued(queued: &[(i32, u32)], count: usize) -> Option<PartitionLoad> {
        if count < 2 || queued.is_empty() {
            return None;
        }
        let max = queued.iter().map(|&(_, q)| q).max().unwrap_or(0);
        let min = queued.iter().map(|&(_, q)| q).min().unwrap_or(0);
        if max == min && queued.len() == count {
            return None;
        }
        let mut total = 0u32;
        let mut partitions = Vec::with_capacity(queued.len());
        let mut cumulative = Vec::with_capacity(queued.len());
        for &(p, q) in queued {
            total = total.saturating_add(max - q + 1);
            partitions.push(p);
            cumulative.push(total);
        }
        Some(PartitionLoad {
            partitions,
            cumulative,
        })
    }

    /// The partition a random number `random` draws.
    pub(crate) fn pick(&self, random: usize) -> i32 {
        let total = *self.cumulative.last().expect("never empty") as usize;
        let r = (random % total) as u32;
        let i = self.cumulative.partition_point(|&c| c <= r);
        self.partitions[i.min(self.partitions.len() - 1)]
    }

    /// The partitions that may be picked.
    #[cfg(test)]
    pub(crate) fn partitions(&self) -> &[i32] {
        &self.partitions
    }
}

/// The last published load of every topic, shared by the sender (writer)
/// and the default partitioner (reader).
#[derive(Debug, Default)]
pub(crate) struct LoadTable {
    /// Set when a partitioner reads the table: until then the sender does
    /// not count (a custom partitioner, or adaptive partitioning off).
    wanted: AtomicBool,
    topics: RwLock<FastMap<String, Arc<PartitionLoad>>>,
}

impl LoadTable {
    /// A partitioner will read the table: the sender should fill it.
    pub(crate) fn want(&self) {
        self.wanted.store(true, Ordering::Relaxed);
    }

    /// Whether a partitioner reads the table.
    pub(crate) fn wanted(&self) -> bool {
        self.wanted.load(Ordering::Relaxed)
    }

    /// Replaces `topic`'s load (`None`: a uniform pick).
    pub(crate) fn publish(&self, topic: &str, load: Option<PartitionLoad>) {
        let mut topics = self.topics.write();
        match load {
            Some(load) => match topics.get_mut(topic) {
                Some(slot) => *slot = Arc::new(load),
                None => {
                    topics.insert(topic.to_owned(), Arc::new(load));
                }
            },
            None => {
                topics.remove(topic);
            }
        }
    }

    /// `topic`'s last published load, if any.
    pub(crate) fn get(&self, topic: &str) -> Option<Arc<PartitionLoad>> {
        self.topics.read().get(topic).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(load: &PartitionLoad, draws: usize) -> FastMap<i32, usize> {
        let mut seen = FastMap::default();
        for r in 0..draws {
            *seen.entry(load.pick(r)).or_default() += 1;
        }
        seen
    }

    #[test]
    fn partition_load_equal_queues_pick_uniformly() {
        assert_eq!(
            PartitionLoad::from_queued(&[(0, 2), (1, 2), (2, 2)], 3),
            None
        );
        assert_eq!(PartitionLoad::from_queued(&[(0, 5)], 1), None);
        assert_eq!(PartitionLoad::from_queued(&[], 3), None);
    }

    #[test]
    fn partition_load_weighs_by_queued_batches() {
        // Partition 1 has 9 batches queued, the others none or one:
        // weights 10, 1, 9 (max 9 + 1 - queued).
        let load = PartitionLoad::from_queued(&[(0, 0), (1, 9), (2, 1)], 3).unwrap();
        let seen = counts(&load, 2000);
        assert_eq!(seen[&0], 1000);
        assert_eq!(seen[&1], 100);
        assert_eq!(seen[&2], 900);
    }

    #[test]
    fn partition_load_left_out_partitions_are_never_picked() {
        // Equal counts, but partition 1 is left out (its leader is stuck).
        let load = PartitionLoad::from_queued(&[(0, 1), (2, 1)], 3).unwrap();
        assert_eq!(load.partitions(), &[0, 2]);
        let seen = counts(&load, 1000);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[&0], 500);
        assert!(!seen.contains_key(&1));
    }

    #[test]
    fn load_table_publishes_and_forgets() {
        let table = LoadTable::default();
        assert!(!table.wanted());
        table.want();
        assert!(table.wanted());
        let load = PartitionLoad::from_queued(&[(0, 0), (1, 3)], 2).unwrap();
        table.publish("t", Some(load.clone()));
        assert_eq!(*table.get("t").unwrap(), load);
        table.publish("t", None);
        assert!(table.get("t").is_none());
    }
}
