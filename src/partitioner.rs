//! Partitioners: which partition a record without an explicit one goes to.
//!
//! A [`Partitioner`] sees the record's topic and serialized key and value
//! ([`RecordView`]) and the topic's partitions ([`TopicPartitions`]). It runs
//! on the thread that calls `send`, so it must be thread-safe and quick. A
//! partition set on the record wins: the partitioner is not asked.
//!
//! - [`DefaultPartitioner`], as the Java client's built-in partitioner:
//!   a keyed record goes to `to_positive(murmur2(key)) % count` over **all**
//!   partitions ([`key_partition`]), so a key lands where the Java client
//!   puts it; a record without a key goes to a *sticky* partition, chosen at
//!   random among the available ones and kept until about `batch.size` bytes
//!   went to it (KIP-480 sticky partitioner, KIP-794 uniform sticky).
//! - [`RoundRobinPartitioner`], as Java's `RoundRobinPartitioner`: each
//!   topic cycles through its available partitions, keys ignored.
//! - Any closure `Fn(&RecordView, &TopicPartitions) -> Result<i32, Error>`.
//!
//! # Examples
//!
//! ```
//! use kafka_sync::partitioner::{
//!     key_partition, DefaultPartitioner, Partitioner, RecordView, TopicPartitions,
//! };
//! use kafka_sync::{Error, ProducerConfig};
//!
//! let partitioner = DefaultPartitioner::new(&ProducerConfig::default());
//! // Partition 3 of 6 has no leader.
//! let partitions = TopicPartitions { count: 6, available: &[0, 1, 2, 4, 5] };
//!
//! // A key is hashed over all partitions, as the Java client does.
//! let keyed = RecordView { topic: "orders", key: Some(&b"customer-42"[..]), value: None };
//! assert_eq!(partitioner.partition(&keyed, &partitions)?, key_partition(b"customer-42", 6));
//!
//! // Records without a key stick to one available partition for a while.
//! let unkeyed = RecordView { topic: "orders", key: None, value: Some(&b"{}"[..]) };
//! let first = partitioner.partition(&unkeyed, &partitions)?;
//! assert_ne!(first, 3);
//! assert_eq!(partitioner.partition(&unkeyed, &partitions)?, first);
//!
//! // A custom partitioner: a closure.
//! let by_value_length = |r: &RecordView<'_>, p: &TopicPartitions<'_>| -> Result<i32, Error> {
//!     Ok(r.value.map_or(0, |v| v.len() as i32) % p.count)
//! };
//! assert_eq!(by_value_length.partition(&unkeyed, &partitions)?, 2);
//! # Ok::<(), Error>(())
//! ```

use crate::config::ProducerConfig;
use crate::error::Error;
use crate::hash::FastMap;
use crate::partition_load::LoadTable;
use parking_lot::{Mutex, RwLock};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What a partitioner sees of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Topic.
    pub topic: &'a str,
    /// The serialized key; `None` when the key is null.
    pub key: Option<&'a [u8]>,
    /// The serialized value; `None` when the value is null.
    pub value: Option<&'a [u8]>,
}

/// What a partitioner sees of the topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicPartitions<'a> {
    /// How many partitions the topic has: they are `0..count`.
    pub count: i32,
    /// The partitions that have a leader, ascending (a subset of `0..count`).
    pub available: &'a [i32],
}

/// Chooses the partition of a record that does not name one.
///
/// Called on the caller's thread for every such record, by many threads at
/// once: keep it quick and use interior mutability for any state. Custom
/// settings can be read at construction from
/// [`ProducerConfig::custom`](crate::ProducerConfig) (`custom.*` properties).
pub trait Partitioner: Send + Sync + 'static {
    /// The partition for `record`, in `0..partitions.count`; an error refuses
    /// the record with it (use [`Error::Partitioner`]).
    fn partition(
        &self,
        record: &RecordView<'_>,
        partitions: &TopicPartitions<'_>,
    ) -> Result<i32, Error>;

    /// The producer forgot `topic` (nothing was sent to it for
    /// `metadata.max.idle.ms`): drop any state kept for it. Called on a
    /// caller thread, by the next `send` after the topic was forgotten.
    /// Does nothing by default.
    fn forget_topic(&self, _topic: &str) {}
}

/// A closure `Fn(record, partitions) -> Result<i32, Error>` is a partitioner.
///
/// Annotate its arguments (`|r: &RecordView<'_>, p: &TopicPartitions<'_>|`)
/// so that it accepts any lifetime.
impl<F> Partitioner for F
where
    F: Fn(&RecordView<'_>, &TopicPartitions<'_>) -> Result<i32, Error> + Send + Sync + 'static,
{
    fn partition(
        &self,
        record: &RecordView<'_>,
        partitions: &TopicPartitions<'_>,
    ) -> Result<i32, Error> {
        self(record, partitions)
    }
}

/// Kafka's 32-bit murmur2 hash, bit for bit as Java's `Utils.murmur2`
/// (seed `0x9747b28c`), which the Java client hashes keys with.
///
/// ```
/// use kafka_sync::partitioner::murmur2;
/// // The value Java's Utils.murmur2 gives for these bytes.
/// assert_eq!(murmur2(b"21"), -973932308);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    // Java: `int h = seed ^ length`, all arithmetic wrapping 32-bit.
    let mut h = SEED ^ (data.len() as u32);
    let mut words = data.chunks_exact(4);
    for word in &mut words {
        let mut k = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = words.remainder();
    // The Java switch falls through from 3 to 2 to 1.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// A non-negative number from `h`, as Java's `Utils.toPositive`:
/// `h & 0x7fffffff` (not `abs`: `i32::MIN` gives 0).
///
/// ```
/// use kafka_sync::partitioner::{murmur2, to_positive};
/// assert!(to_positive(murmur2(b"any key")) >= 0);
/// assert_eq!(to_positive(-1), i32::MAX);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_positive(h: i32) -> i32 {
    h & 0x7fff_ffff
}

/// The partition the Java client gives `key` among `count` partitions:
/// `to_positive(murmur2(key)) % count`.
///
/// # Panics
///
/// If `count` is not positive.
///
/// ```
/// use kafka_sync::partitioner::key_partition;
/// // Where the Java client puts key "user-1" in a topic of 6 partitions.
/// let p = key_partition(b"user-1", 6);
/// assert!((0..6).contains(&p));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn key_partition(key: &[u8], count: i32) -> i32 {
    assert!(count > 0, "a topic has at least one partition");
    to_positive(murmur2(key)) % count
}

/// Refuses a topic without partitions.
fn check_count(record: &RecordView<'_>, partitions: &TopicPartitions<'_>) -> Result<(), Error> {
    if partitions.count <= 0 {
        return Err(Error::Partitioner(format!(
            "topic {} has {} partitions",
            record.topic, partitions.count
        )));
    }
    Ok(())
}

/// The Java client's default partitioning: murmur2 of the key, or uniform
/// sticky partitioning for records without a key.
///
/// - Keyed record (an empty key included): [`key_partition`] over all
///   partitions, available or not, as Java does, so that a key's partition
///   only changes when the partition count does.
/// - Null key: each topic has a current partition, chosen at random among
///   the available partitions (among all when none is available). Records go
///   there until about `batch.size` bytes went to it, counting each record
///   as its value's length plus an estimated 8 bytes of record framing
///   (headers are not seen); then a new random partition is chosen, a
///   different one when there is a choice. A current partition that lost
///   its leader is replaced at once.
///
/// With `partitioner.ignore.keys=true`
/// ([`ProducerConfig::partitioner_ignore_keys`]) keyed records are placed
/// the same way (their key's length counted too), keys not hashed.
///
/// The producer's own default partitioner (no partitioner plugged in) also
/// does KIP-794's adaptive partitioning unless
/// `partitioner.adaptive.partitioning.enable=false`: the new sticky
/// partition is drawn with each partition weighted by how few batches wait
/// in its queue, as the sender last counted them, so a slow broker's
/// partitions get fewer new batches (and none while its leader could take
/// no request for `partitioner.availability.timeout.ms`, when set). One
/// built with [`DefaultPartitioner::new`] has no such counts and picks
/// uniformly. Unlike Java, the switch does not wait for the batch to be
/// ready.
#[derive(Debug)]
pub struct DefaultPartitioner {
    /// Bytes after which a topic's sticky partition changes.
    sticky_bytes: usize,
    /// `partitioner.ignore.keys`: keyed records go to the sticky partition.
    ignore_keys: bool,
    /// Per topic: the sticky partition. The map's write lock is taken only to
    /// add a topic; each topic's own lock is held for a few instructions.
    topics: RwLock<FastMap<String, Mutex<Sticky>>>,
    /// Adaptive partitioning: the queue counts the sender publishes.
    load: Option<Arc<LoadTable>>,
}

/// A topic's current sticky partition.
#[derive(Debug)]
struct Sticky {
    /// The current partition; -1 before the first record.
    partition: i32,
    /// Bytes counted to it since it was chosen.
    produced: usize,
}

/// What a record adds to the sticky partition's count besides key and value:
/// about the smallest size of a v2 record's length, attributes, deltas,
/// key/value lengths and header count.
const RECORD_OVERHEAD: usize = 8;

impl DefaultPartitioner {
    /// A partitioner that switches a topic's sticky partition after about
    /// `config.batch_size` bytes, and hashes keys unless
    /// `config.partitioner_ignore_keys`.
    ///
    /// ```
    /// use kafka_sync::partitioner::DefaultPartitioner;
    /// use kafka_sync::ProducerConfig;
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let _partitioner = DefaultPartitioner::new(&config);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: &ProducerConfig) -> Self {
        DefaultPartitioner {
            sticky_bytes: config.batch_size.max(1),
            ignore_keys: config.partitioner_ignore_keys,
            topics: RwLock::new(FastMap::default()),
            load: None,
        }
    }

    /// Picks new sticky partitions weighted by `load` (adaptive partitioning).
    pub(crate) fn with_load(mut self, load: Arc<LoadTable>) -> Self {
        load.want();
        self.load = Some(load);
        self
    }

    /// A new sticky partition for `topic`, other than `avoid` when picked
    /// uniformly: weighted by the published load when there is one and it
    /// names a usable partition.
    fn choose(&self, topic: &str, partitions: &TopicPartitions<'_>, avoid: i32) -> i32 {
        if let Some(load) = self.load.as_ref().and_then(|l| l.get(topic)) {
            let p = load.pick(next_random());
            if usable(p, partitions) {
                return p;
            }
        }
        random_partition(partitions, avoid)
    }

    /// The sticky partition for a record of `bytes` bytes to `topic`.
    fn sticky(&self, topic: &str, bytes: usize, partitions: &TopicPartitions<'_>) -> i32 {
        {
            let topics = self.topics.read();
            if let Some(sticky) = topics.get(topic) {
                return sticky
                    .lock()
                    .next(bytes, partitions, self.sticky_bytes, |avoid| {
                        self.choose(topic, partitions, avoid)
                    });
            }
        }
        let mut topics = self.topics.write();
        let sticky = topics.entry(topic.to_owned()).or_insert_with(|| {
            Mutex::new(Sticky {
                partition: -1,
                produced: 0,
            })
        });
        let sticky = sticky.get_mut();
        let choose = |avoid| self.choose(topic, partitions, avoid);
        sticky.next(bytes, partitions, self.sticky_bytes, choose)
    }
}

impl Default for DefaultPartitioner {
    /// With the default `batch.size` (16384).
    fn default() -> Self {
        DefaultPartitioner::new(&ProducerConfig::default())
    }
}

impl Sticky {
    /// The partition for the next record, of `bytes` bytes; switches after
    /// `limit` bytes to the partition `choose` picks (other than the one it
    /// is given, when it can). Runs under the topic's lock: no allocation,
    /// no blocking.
    fn next(
        &mut self,
        bytes: usize,
        partitions: &TopicPartitions<'_>,
        limit: usize,
        choose: impl Fn(i32) -> i32,
    ) -> i32 {
        if !usable(self.partition, partitions) {
            self.partition = choose(self.partition);
            self.produced = 0;
        }
        let partition = self.partition;
        self.produced = self.produced.saturating_add(bytes);
        if self.produced >= limit {
            self.partition = choose(partition);
            self.produced = 0;
        }
        partition
    }
}

/// Whether a null-key record may go to `partition`: it exists and, when some
/// partitions are available, it is one of them.
fn usable(partition: i32, partitions: &TopicPartitions<'_>) -> bool {
    (0..partitions.count).contains(&partition)
        && (partitions.available.is_empty()
            || partitions.available.binary_search(&partition).is_ok())
}

/// A random partition among the available ones (all when none is), other
/// than `avoid` when there is a choice. `partitions.count` is positive.
fn random_partition(partitions: &TopicPartitions<'_>, avoid: i32) -> i32 {
    let random = next_random();
    let available = partitions.available;
    if available.is_empty() {
        let count = partitions.count as usize;
        return match usize::try_from(avoid) {
            Ok(avoid) if count > 1 && avoid < count => {
                let i = random % (count - 1);
                (if i >= avoid { i + 1 } else { i }) as i32
            }
            _ => (random % count) as i32,
        };
    }
    match available.binary_search(&avoid) {
        Ok(avoid) if available.len() > 1 => {
            let i = random % (available.len() - 1);
            available[if i >= avoid { i + 1 } else { i }]
        }
        _ => available[random % available.len()],
    }
}

/// A per-thread xorshift64* generator, seeded from the clock, the thread and
/// std's per-process random hash keys: uniform enough to spread partitions,
/// and no contention between sending threads.
fn next_random() -> usize {
    (crate::random::next_u64() >> 32) as usize
}

impl Partitioner for DefaultPartitioner {
    fn partition(
        &self,
        record: &RecordView<'_>,
        partitions: &TopicPartitions<'_>,
    ) -> Result<i32, Error> {
        check_count(record, partitions)?;
        if let Some(key) = record.key.filter(|_| !self.ignore_keys) {
            return Ok(key_partition(key, partitions.count));
        }
        let len = |b: Option<&[u8]>| b.map_or(0, <[u8]>::len);
        let bytes = len(record.key) + len(record.value) + RECORD_OVERHEAD;
        Ok(self.sticky(record.topic, bytes, partitions))
    }

    fn forget_topic(&self, topic: &str) {
        self.topics.write().remove(topic);
    }
}

/// Java's `RoundRobinPartitioner`: each topic cycles through its available
/// partitions (all when none is available), one record each, keys ignored.
///
/// Record `n` of a topic (from 0) goes to `available[n % available.len()]`.
/// Spreads records evenly, at the cost of small batches: each partition's
/// batch gets only one record in `available.len()`.
#[derive(Debug, Default)]
pub struct RoundRobinPartitioner {
    /// Per topic: how many records were partitioned.
    counters: RwLock<FastMap<String, AtomicUsize>>,
}

impl RoundRobinPartitioner {
    /// A round-robin partitioner (the configuration is not used).
    ///
    /// ```
    /// use kafka_sync::partitioner::RoundRobinPartitioner;
    /// use kafka_sync::ProducerConfig;
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let _partitioner = RoundRobinPartitioner::new(&config);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(_config: &ProducerConfig) -> Self {
        RoundRobinPartitioner::default()
    }

    /// The topic's next record number.
    fn next(&self, topic: &str) -> usize {
        {
            let counters = self.counters.read();
            if let Some(counter) = counters.get(topic) {
                return counter.fetch_add(1, Ordering::Relaxed);
            }
        }
        let mut counters = self.counters.write();
        let counter = counters.entry(topic.to_owned()).or_default();
        counter.fetch_add(1, Ordering::Relaxed)
    }
}

impl Partitioner for RoundRobinPartitioner {
    fn partition(
        &self,
        record: &RecordView<'_>,
        partitions: &TopicPartitions<'_>,
    ) -> Result<i32, Error> {
        check_count(record, partitions)?;
        let n = self.next(record.topic);
        Ok(if partitions.available.is_empty() {
            (n % partitions.count as usize) as i32
        } else {
            partitions.available[n % partitions.available.len()]
        })
    }

    fn forget_topic(&self, topic: &str) {
        self.counters.write().remove(topic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    /// Java outputs of `Utils.murmur2`.
    ///
    /// From Kafka's `UtilsTest.testMurmur2`, and from kafkajs's
    /// `defaultJava/murmur2.spec.js` (generated by running Kafka's murmur2 in
    /// Java); `""` and `[ff 80 7f]` from running the same Java code.
    const JAVA_MURMUR2: &[(&[u8], i32)] = &[
        // UtilsTest.testMurmur2
        (b"21", -973_932_308),
        (b"foobar", -790_332_482),
        (b"a-little-bit-long-string", -985_981_536),
        (b"a-little-bit-longer-string", -1_486_304_829),
        (
            b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58_897_971,
        ),
        (b"abc", 479_470_107),
        // kafkajs defaultJava (Java-generated)
        (b"0", 971_027_396),
        (b"1", -1_993_445_489),
        (b"128", -326_012_175),
        (b"2187", -1_508_407_203),
        (b"16384", -325_739_742),
        (b"78125", -1_654_490_814),
        (b"279936", 1_462_227_128),
        (b"823543", -2_014_198_330),
        (b"2097152", 607_668_903),
        (b"4782969", -1_182_699_775),
        (b"10000000", -1_830_336_757),
        (b"19487171", -1_603_849_305),
        (b"35831808", -857_013_643),
        (b"62748517", -1_167_431_028),
        (b"105413504", -381_294_639),
        (b"170859375", -1_658_323_481),
        (b"100:48069", 1_009_543_857),
        // The same Java code, run here
        (b"", 275_646_681),
        (&[0xff, 0x80, 0x7f], 968_261_134),
    ];

    fn config(batch_size: usize) -> ProducerConfig {
        ProducerConfig {
            batch_size,
            ..ProducerConfig::default()
        }
    }

    fn unkeyed<'a>(topic: &'a str, value: &'a [u8]) -> RecordView<'a> {
        RecordView {
            topic,
            key: None,
            value: Some(value),
        }
    }

    fn all(count: i32) -> TopicPartitions<'static> {
        TopicPartitions {
            count,
            available: &[],
        }
    }

    #[test]
    fn partitioner_murmur2_matches_java() {
        let mut tails = BTreeSet::new();
        for (input, expected) in JAVA_MURMUR2 {
            assert_eq!(
                murmur2(input),
                *expected,
                "murmur2({:?})",
                String::from_utf8_lossy(input)
            );
            tails.insert(input.len() % 4);
        }
        assert_eq!(tails, BTreeSet::from([0, 1, 2, 3]), "every tail length");
    }

    #[test]
    fn partitioner_to_positive_masks_the_sign_bit() {
        assert_eq!(to_positive(0), 0);
        assert_eq!(to_positive(5), 5);
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-790_332_482), 1_357_151_166);
    }

    #[test]
    fn partitioner_keys_hash_over_all_partitions_like_java() {
        // toPositive(murmur2("foobar")) = 1357151166.
        assert_eq!(key_partition(b"foobar", 10), 6);
        assert_eq!(key_partition(b"foobar", 50), 16);
        assert_eq!(key_partition(b"foobar", 1), 0);
        let p = DefaultPartitioner::new(&config(100));
        let record = RecordView {
            topic: "t",
            key: Some(&b"foobar"[..]),
            value: Some(&b"v"[..]),
        };
        // Partitions without a leader do not change a key's partition.
        let few = TopicPartitions {
            count: 10,
            available: &[0, 1],
        };
        for _ in 0..100 {
            assert_eq!(p.partition(&record, &few).unwrap(), 6);
            assert_eq!(p.partition(&record, &all(50)).unwrap(), 16);
        }
        // The value and the topic play no part.
        let other = RecordView {
            topic: "u",
            value: None,
            ..record
        };
        assert_eq!(p.partition(&other, &all(10)).unwrap(), 6);
        // An empty key is a key: hashed, not sticky.
        let empty = RecordView {
            key: Some(&b""[..]),
            ..record
        };
        let expected = to_positive(275_646_681) % 7;
        for _ in 0..50 {
            assert_eq!(p.partition(&empty, &all(7)).unwrap(), expected);
        }
    }

    #[test]
    fn partitioner_keyed_partition_is_stable_across_instances() {
        let a = DefaultPartitioner::new(&config(1));
        let b = DefaultPartitioner::default();
        for i in 0..200u32 {
            let key = i.to_string();
            let record = RecordView {
                topic: "t",
                key: Some(key.as_bytes()),
                value: None,
            };
            let pa = a.partition(&record, &all(12)).unwrap();
            assert_eq!(pa, b.partition(&record, &all(12)).unwrap());
            assert_eq!(pa, key_partition(key.as_bytes(), 12));
        }
    }

    /// Splits a sequence into runs of equal partitions.
    fn runs(partitions: &[i32]) -> Vec<(i32, usize)> {
        let mut runs: Vec<(i32, usize)> = Vec::new();
        for &p in partitions {
            match runs.last_mut() {
                Some((q, n)) if *q == p => *n += 1,
                _ => runs.push((p, 1)),
            }
        }
        runs
    }

    #[test]
    fn partitioner_sticky_switches_after_batch_size_bytes() {
        // 10 value bytes + 8 framing = 18 per record: 6 records reach 100.
        let p = DefaultPartitioner::new(&config(100));
        let parts = all(4);
        let seq: Vec<i32> = (0..600)
            .map(|_| p.partition(&unkeyed("t", &[0; 10]), &parts).unwrap())
            .collect();
        let runs = runs(&seq);
        assert_eq!(runs.len(), 100, "{runs:?}");
        assert!(runs.iter().all(|&(_, n)| n == 6), "{runs:?}");
        // Each run is a new partition (runs() merges equal neighbours, so
        // 100 runs of exactly 6 means no switch picked the same one).
        let used: BTreeSet<i32> = seq.iter().copied().collect();
        assert_eq!(used, BTreeSet::from([0, 1, 2, 3]));
    }

    #[test]
    fn partitioner_sticky_counts_large_records_and_tiny_ones() {
        // A record as large as batch.size gets a partition of its own.
        let p = DefaultPartitioner::new(&config(100));
        let big = [0u8; 100];
        let seq: Vec<i32> = (0..50)
            .map(|_| p.partition(&unkeyed("t", &big), &all(3)).unwrap())
            .collect();
        assert!(runs(&seq).iter().all(|&(_, n)| n == 1), "{seq:?}");
        // Records without key or value still move the partition on.
        let p = DefaultPartitioner::new(&config(80));
        let empty = RecordView {
            topic: "t",
            key: None,
            value: None,
        };
        let seq: Vec<i32> = (0..100)
            .map(|_| p.partition(&empty, &all(3)).unwrap())
            .collect();
        assert!(runs(&seq).iter().all(|&(_, n)| n == 10), "{seq:?}");
    }

    #[test]
    fn partitioner_sticky_spreads_uniformly() {
        let p = DefaultPartitioner::new(&config(1));
        let mut counts = BTreeMap::new();
        for _ in 0..8000 {
            *counts
                .entry(p.partition(&unkeyed("t", b"x"), &all(8)).unwrap())
                .or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 8, "{counts:?}");
        // 1000 expected each; a fair generator is far inside these bounds.
        assert!(
            counts.values().all(|&n| (700..1300).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn partitioner_ignore_keys_places_keyed_records_like_null_keys() {
        let config = ProducerConfig {
            partitioner_ignore_keys: true,
            ..config(100)
        };
        let p = DefaultPartitioner::new(&config);
        let keyed = RecordView {
            topic: "t",
            key: Some(&b"foobar"[..]),
            value: Some(&b"v"[..]),
        };
        // One key, 10 partitions: hashed it would always be partition 6.
        // Ignored, it follows the sticky partition: 100 bytes each (key 6 +
        // value 1 + 8 of framing = 15 bytes a record, so 7 records).
        let placed: Vec<i32> = (0..7000)
            .map(|_| p.partition(&keyed, &all(10)).unwrap())
            .collect();
        let stuck = runs(&placed);
        assert!(
            stuck[..stuck.len() - 1].iter().all(|&(_, n)| n == 7),
            "{stuck:?}"
        );
        let mut counts = BTreeMap::new();
        for &partition in &placed {
            *counts.entry(partition).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 10, "spread over every partition: {counts:?}");
        assert!(
            counts.values().all(|&n| (400..1000).contains(&n)),
            "{counts:?}"
        );
        // Keyed and unkeyed records share the topic's sticky partition.
        let next = p.partition(&keyed, &all(10)).unwrap();
        let unkeyed = p.partition(&unkeyed("t", b"x"), &all(10)).unwrap();
        assert_eq!(unkeyed, next);
        // Only available partitions, as for null keys.
        let few = TopicPartitions {
            count: 10,
            available: &[2, 3],
        };
        for _ in 0..100 {
            assert!([2, 3].contains(&p.partition(&keyed, &few).unwrap()));
        }
        // Off (the default), the key decides.
        let hashed = DefaultPartitioner::new(&ProducerConfig::default());
        assert!((0..100).all(|_| hashed.partition(&keyed, &all(10)).unwrap() == 6));
    }

    #[test]
    fn partitioner_sticky_uses_only_available_partitions() {
        let p = DefaultPartitioner::new(&config(1));
        let parts = TopicPartitions {
            count: 8,
            available: &[1, 3, 5],
        };
        let used: BTreeSet<i32> = (0..300)
            .map(|_| p.partition(&unkeyed("t", b"x"), &parts).unwrap())
            .collect();
        assert_eq!(used, BTreeSet::from([1, 3, 5]));
        // When the current partition loses its leader, the next record
        // already goes elsewhere, even before batch.size bytes.
        let p = DefaultPartitioner::new(&config(1_000_000));
        let first = p.partition(&unkeyed("t", b"x"), &parts).unwrap();
        assert_eq!(p.partition(&unkeyed("t", b"x"), &parts).unwrap(), first);
        let only_seven = TopicPartitions {
            count: 8,
            available: &[7],
        };
        assert_eq!(p.partition(&unkeyed("t", b"x"), &only_seven).unwrap(), 7);
        // Back to the first set: 7 is unavailable, a new one is chosen
        // among them and kept.
        let again = p.partition(&unkeyed("t", b"x"), &parts).unwrap();
        assert!([1, 3, 5].contains(&again), "{again}");
        for _ in 0..20 {
            assert_eq!(p.partition(&unkeyed("t", b"x"), &parts).unwrap(), again);
        }
        // A partition count that shrank below the current partition.
        assert_eq!(p.partition(&unkeyed("t", b"x"), &all(1)).unwrap(), 0);
    }

    #[test]
    fn partitioner_sticky_without_available_partitions_uses_all() {
        let p = DefaultPartitioner::new(&config(1));
        let used: BTreeSet<i32> = (0..500)
            .map(|_| p.partition(&unkeyed("t", b"x"), &all(5)).unwrap())
            .collect();
        assert_eq!(used, BTreeSet::from([0, 1, 2, 3, 4]));
        // One partition: always it, switching or not.
        for _ in 0..20 {
            assert_eq!(p.partition(&unkeyed("t", b"x"), &all(1)).unwrap(), 0);
        }
        let one = TopicPartitions {
            count: 4,
            available: &[2],
        };
        for _ in 0..20 {
            assert_eq!(p.partition(&unkeyed("t", b"x"), &one).unwrap(), 2);
        }
    }

    #[test]
    fn partitioner_adaptive_sends_few_batches_to_long_queues() {
        use crate::partition_load::{LoadTable, PartitionLoad};
        let table = Arc::new(LoadTable::default());
        // batch.size 1: every record picks a new partition.
        let p = DefaultPartitioner::new(&config(1)).with_load(table.clone());
        assert!(table.wanted());
        // Partition 2 of 3 has 99 batches queued: weights 100, 100, 1.
        table.publish(
            "t",
            PartitionLoad::from_queued(&[(0, 0), (1, 0), (2, 99)], 3),
        );
        let mut seen = [0usize; 3];
        for _ in 0..10_000 {
            seen[p.partition(&unkeyed("t", b"v"), &all(3)).unwrap() as usize] += 1;
        }
        assert!(seen[2] < 200, "{seen:?}");
        assert!(seen[0] > 4000 && seen[1] > 4000, "{seen:?}");
        // A load naming only a partition that lost its leader is not used.
        table.publish("t", PartitionLoad::from_queued(&[(2, 0)], 3));
        let partitions = TopicPartitions {
            count: 3,
            available: &[0, 1],
        };
        for _ in 0..100 {
            let chosen = p.partition(&unkeyed("t", b"v"), &partitions).unwrap();
            assert_ne!(chosen, 2);
        }
        // Without a load: uniform again.
        table.publish("t", None);
        let mut seen = [0usize; 3];
        for _ in 0..3000 {
            seen[p.partition(&unkeyed("t", b"v"), &all(3)).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    #[test]
    fn partitioner_sticky_is_per_topic() {
        // 2 records of 42 bytes (34 + 8) fill 80 bytes.
        let p = DefaultPartitioner::new(&config(80));
        let value = [0u8; 34];
        let mut seq_a = Vec::new();
        let mut seq_b = Vec::new();
        for i in 0..300 {
            // Interleave unevenly: topic b gets a record every third round.
            seq_a.push(p.partition(&unkeyed("a", &value), &all(6)).unwrap());
            if i % 3 == 0 {
                seq_b.push(p.partition(&unkeyed("b", &value), &all(6)).unwrap());
            }
        }
        assert!(runs(&seq_a).iter().all(|&(_, n)| n == 2), "{seq_a:?}");
        assert!(runs(&seq_b).iter().all(|&(_, n)| n == 2), "{seq_b:?}");
    }

    #[test]
    fn partitioner_refuses_topics_without_partitions() {
        let record = unkeyed("t", b"x");
        for count in [0, -1] {
            let parts = all(count);
            assert!(matches!(
                DefaultPartitioner::default().partition(&record, &parts),
                Err(Error::Partitioner(_))
            ));
            assert!(matches!(
                RoundRobinPartitioner::default().partition(&record, &parts),
                Err(Error::Partitioner(_))
            ));
            let keyed = RecordView {
                key: Some(&b"k"[..]),
                ..record
            };
            assert!(matches!(
                DefaultPartitioner::default().partition(&keyed, &parts),
                Err(Error::Partitioner(_))
            ));
        }
    }

    #[test]
    fn partitioner_sticky_from_many_threads() {
        let p = Arc::new(DefaultPartitioner::new(&config(64)));
        let parts: &'static [i32] = &[0, 2, 4, 6];
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let p = Arc::clone(&p);
                std::thread::spawn(move || {
                    let topic = format!("topic-{}", t % 3);
                    let mut used = BTreeSet::new();
                    for _ in 0..2000 {
                        let parts = TopicPartitions {
                            count: 8,
                            available: parts,
                        };
                        used.insert(p.partition(&unkeyed(&topic, b"0123"), &parts).unwrap());
                    }
                    used
                })
            })
            .collect();
        for t in threads {
            let used = t.join().unwrap();
            assert!(used.iter().all(|p| parts.contains(p)), "{used:?}");
            assert!(used.len() > 1, "{used:?}");
        }
    }

    #[test]
    fn partitioner_round_robin_cycles() {
        let p = RoundRobinPartitioner::new(&ProducerConfig::default());
        let seq: Vec<i32> = (0..9)
            .map(|i| {
                let key = format!("same-{}", i % 2);
                let record = RecordView {
                    topic: "t",
                    key: Some(key.as_bytes()),
                    value: None,
                };
                p.partition(&record, &all(4)).unwrap()
            })
            .collect();
        assert_eq!(seq, [0, 1, 2, 3, 0, 1, 2, 3, 0]);
        // Another topic has its own cycle; only available partitions are used.
        let parts = TopicPartitions {
            count: 5,
            available: &[0, 2, 3],
        };
        let seq: Vec<i32> = (0..7)
            .map(|_| p.partition(&unkeyed("u", b""), &parts).unwrap())
            .collect();
        assert_eq!(seq, [0, 2, 3, 0, 2, 3, 0]);
        // The first topic goes on where it was.
        assert_eq!(p.partition(&unkeyed("t", b""), &all(4)).unwrap(), 1);
    }

    #[test]
    fn partitioner_round_robin_from_many_threads_is_even() {
        let p = Arc::new(RoundRobinPartitioner::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let p = Arc::clone(&p);
                std::thread::spawn(move || {
                    let mut counts = [0usize; 3];
                    for _ in 0..3000 {
                        counts[p.partition(&unkeyed("t", b""), &all(3)).unwrap() as usize] += 1;
                    }
                    counts
                })
            })
            .collect();
        let mut total = [0usize; 3];
        for t in threads {
            for (sum, n) in total.iter_mut().zip(t.join().unwrap()) {
                *sum += n;
            }
        }
        assert_eq!(total, [4000, 4000, 4000]);
    }

    #[test]
    fn partitioner_closures_and_trait_objects() {
        // The spec's example: a special key goes to the first half (hashed
        // by value), other keys to the second half (hashed by key), no key
        // is an error.
        let special = b"special".to_vec();
        let custom = move |r: &RecordView<'_>, p: &TopicPartitions<'_>| -> Result<i32, Error> {
            let key = r
                .key
                .ok_or_else(|| Error::Partitioner("a key is required".into()))?;
            let half = p.count / 2;
            if key == special.as_slice() {
                Ok(key_partition(r.value.unwrap_or_default(), half.max(1)))
            } else {
                Ok(half + key_partition(key, p.count - half))
            }
        };
        let partitioners: Vec<Box<dyn Partitioner>> = vec![
            Box::new(custom),
            Box::new(DefaultPartitioner::default()),
            Box::new(RoundRobinPartitioner::default()),
        ];
        let special = RecordView {
            topic: "t",
            key: Some(&b"special"[..]),
            value: Some(&b"foobar"[..]),
        };
        assert_eq!(partitioners[0].partition(&special, &all(20)).unwrap(), 6);
        let other = RecordView {
            key: Some(&b"foobar"[..]),
            ..special
        };
        assert_eq!(partitioners[0].partition(&other, &all(20)).unwrap(), 16);
        assert!(matches!(
            partitioners[0].partition(&unkeyed("t", b"v"), &all(20)),
            Err(Error::Partitioner(_))
        ));
        for p in &partitioners[1..] {
            assert!((0..20).contains(&p.partition(&special, &all(20)).unwrap()));
        }
    }

    proptest! {
        #[test]
        fn partitioner_results_are_in_range(
            count in 1i32..64,
            mask in any::<u64>(),
            key in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            value_len in 0usize..300,
            batch_size in 0usize..500,
            rounds in 1usize..40,
        ) {
            let available: Vec<i32> = (0..count).filter(|p| mask >> p & 1 == 1).collect();
            let parts = TopicPartitions { count, available: &available };
            let value = vec![7u8; value_len];
            let record = RecordView { topic: "t", key: key.as_deref(), value: Some(&value) };
            let default = DefaultPartitioner::new(&config(batch_size));
            let round_robin = RoundRobinPartitioner::default();
            for _ in 0..rounds {
                for p in [default.partition(&record, &parts), round_robin.partition(&record, &parts)] {
                    let p = p.unwrap();
                    prop_assert!((0..count).contains(&p));
                }
                let p = default.partition(&record, &parts).unwrap();
                match &key {
                    Some(key) => prop_assert_eq!(p, key_partition(key, count)),
                    None if !available.is_empty() => prop_assert!(available.contains(&p)),
                    None => {}
                }
                let p = round_robin.partition(&record, &parts).unwrap();
                prop_assert!(available.is_empty() || available.contains(&p));
            }
        }

        #[test]
        fn partitioner_murmur2_to_positive_is_never_negative(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let h = to_positive(murmur2(&data));
            prop_assert!(h >= 0);
            prop_assert_eq!(h, murmur2(&data) & 0x7fff_ffff);
        }
    }
}
