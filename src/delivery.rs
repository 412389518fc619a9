//! Per-record completion: handles to wait on and callbacks.
//!
//! Records are completed a batch at a time. Every batch has one shared
//! `BatchResult`; a [`DeliveryHandle`] is that `Arc` plus the record's index
//! in the batch and what its metadata needs, so a `send` costs no allocation
//! of its own for completion. Callbacks are stored in the batch and run on the
//! sender thread when the batch completes.
//!
//! Completion has two steps: the batch's outcome is set first (waking every
//! waiting handle; a callback that looks at a handle of its own batch sees
//! it complete), then its callbacks run, then the batch is *settled*:
//! `flush` waits for that, so it returns only after the callbacks of its
//! records have run.
//!
//! Callbacks run on the sender thread, so nothing there may wait for a
//! delivery: on a sender thread, [`DeliveryHandle::wait`] and
//! [`DeliveryHandle::wait_timeout`] on a record that is not complete return
//! [`DeliveryError::InCallback`] at once instead of deadlocking.

use crate::error::{DeliveryError, Error};
use crate::record::RecordMetadata;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Wakes the sender thread.
pub(crate) type Wake = Arc<dyn Fn() + Send + Sync>;

/// A batch's way to wake the sender when a thread starts waiting for it
/// (`wait.sends.batch`).
#[derive(Clone)]
pub(crate) struct Hurry(pub(crate) Wake);

impl std::fmt::Debug for Hurry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hurry")
    }
}

thread_local! {
    /// Set on every producer's sender thread, where delivery callbacks run.
    static SENDER_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the current thread as a sender thread (where callbacks run).
pub(crate) fn mark_sender_thread() {
    SENDER_THREAD.with(|s| s.set(true));
}

/// Whether the current thread is a sender thread (so the caller is a
/// delivery callback): waiting there for a delivery would deadlock.
pub(crate) fn on_sender_thread() -> bool {
    SENDER_THREAD.with(std::cell::Cell::get)
}

/// How a batch ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Written: the offset of its first record and, for LogAppendTime
    /// topics, the broker's timestamp (-1 otherwise).
    Written {
        base_offset: i64,
        log_append_time: i64,
    },
    /// Failed.
    Failed(Error),
    /// Split into smaller batches (MESSAGE_TOO_LARGE): records
    /// `first..first + count` continue in `result`, indexed from 0 there.
    Split(Vec<SplitPart>),
}

/// One part of a split batch.
#[derive(Debug, Clone)]
pub(crate) struct SplitPart {
    pub(crate) first: u32,
    pub(crate) count: u32,
    pub(crate) result: Arc<BatchResult>,
}

/// The shared completion slot of one batch, with where its records went.
#[derive(Debug)]
pub(crate) struct BatchResult {
    topic: Arc<str>,
    partition: i32,
    slot: Mutex<Slot>,
    done: Condvar,
    /// With `wait.sends.batch`: wakes the sender when a thread first waits.
    hurry: Option<Hurry>,
    /// A thread waits for a record of the batch: it need not linger.
    awaited: AtomicBool,
}

#[derive(Debug, Default)]
struct Slot {
    outcome: Option<Outcome>,
    /// The outcome is set and the batch's callbacks have run.
    settled: bool,
    /// Threads parked in `wait` for the outcome: unparked one by one when
    /// it is set, so that they all become runnable at once (a condvar's
    /// `notify_all` hands its mutex from one woken waiter to the next).
    parked: Vec<std::thread::Thread>,
}

impl BatchResult {
    /// The result of a batch for `topic`'s `partition`.
    #[cfg(test)]
    pub(crate) fn new(topic: Arc<str>, partition: i32) -> Arc<Self> {
        Self::hurried(topic, partition, None)
    }

    /// The same, waking the sender through `hurry` (if any) when a thread
    /// first waits for one of its records.
    pub(crate) fn hurried(topic: Arc<str>, partition: i32, hurry: Option<&Hurry>) -> Arc<Self> {
        Arc::new(BatchResult {
            topic,
            partition,
            slot: Mutex::default(),
            done: Condvar::new(),
            hurry: hurry.cloned(),
            awaited: AtomicBool::new(false),
        })
    }

    /// Whether a thread waits for one of the batch's records (and the
    /// producer sends such a batch without lingering).
    pub(crate) fn awaited(&self) -> bool {
        self.awaited.load(Ordering::Acquire)
    }

    /// A thread is about to block on this batch: the first one marks it
    /// awaited and wakes the sender, which sends it without waiting out
    /// `linger.ms` (the waiting thread adds nothing more to it).
    fn hurry(&self) {
        if let Some(hurry) = &self.hurry {
            if !self.awaited.swap(true, Ordering::AcqRel) {
                (hurry.0)();
            }
        }
    }

    /// The partition the batch's records go to.
    pub(crate) fn partition(&self) -> i32 {
        self.partition
    }

    /// The result of record `info` of this batch given its `outcome`.
    pub(crate) fn record_result(
        &self,
        info: &RecordInfo,
        outcome: &Outcome,
    ) -> Result<RecordMetadata, DeliveryError> {
        info.result(&self.topic, self.partition, outcome)
    }

    /// Sets the outcome once and settles the batch (it has no callbacks of
    /// its own left to run); later calls are ignored.
    pub(crate) fn complete(&self, outcome: Outcome) -> bool {
        let set = self.set_outcome(outcome);
        self.settle();
        set
    }

    /// Sets the outcome once and wakes every waiting handle; later calls
    /// are ignored. `settle` follows once the callbacks have run.
    pub(crate) fn set_outcome(&self, outcome: Outcome) -> bool {
        let mut slot = self.slot.lock();
        if slot.outcome.is_some() {
            return false;
        }
        slot.outcome = Some(outcome);
        let parked = std::mem::take(&mut slot.parked);
        drop(slot);
        self.done.notify_all();
        for thread in parked {
            thread.unpark();
        }
        true
    }

    /// The callbacks of the batch have run: wakes `wait_all` (flush).
    pub(crate) fn settle(&self) {
        let mut slot = self.slot.lock();
        if slot.outcome.is_some() && !slot.settled {
            slot.settled = true;
            self.done.notify_all();
        }
    }

    /// The outcome, if set.
    fn peek(&self) -> Option<Outcome> {
        self.slot.lock().outcome.clone()
    }

    /// Whether a final outcome is known for the records of `index` (following splits).
    pub(crate) fn is_done_for(&self, index: u32) -> bool {
        match self.slot.lock().outcome.as_ref() {
            None => false,
            Some(Outcome::Split(parts)) => match find_part(parts, index) {
                Some(p) => p.result.is_done_for(index - p.first),
                None => true,
            },
            Some(_) => true,
        }
    }

    /// Waits until every record of this batch has its final outcome and
    /// every callback of the batch has run, following splits, or until
    /// `deadline` (`None`: no bound); whether the batch settled.
    pub(crate) fn wait_all(&self, deadline: Option<Instant>) -> bool {
        let outcome = {
            let mut slot = self.slot.lock();
            while !slot.settled {
                match deadline {
                    None => self.done.wait(&mut slot),
                    Some(d) => {
                        if self.done.wait_until(&mut slot, d).timed_out() && !slot.settled {
                            return false;
                        }
                    }
                }
            }
            slot.outcome.clone()
        };
        match outcome {
            Some(Outcome::Split(parts)) => parts.iter().all(|p| p.result.wait_all(deadline)),
            _ => true,
        }
    }

    /// Waits for the final outcome of the record at `index`, following
    /// splits; `None` if `deadline` passes first. On a sender thread (in a
    /// callback) a record that is not complete is [`DeliveryError::InCallback`] at
    /// once, unless the deadline is already past (a poll, not a wait).
    pub(crate) fn wait_record(
        self: &Arc<Self>,
        mut info: RecordInfo,
        deadline: Option<Instant>,
    ) -> Option<Result<RecordMetadata, DeliveryError>> {
        let mut batch = self.clone();
        let in_callback = on_sender_thread();
        loop {
            let outcome = if in_callback {
                match batch.peek() {
                    Some(o) => o,
                    None if deadline.is_some_and(|d| d <= Instant::now()) => return None,
                    None => return Some(Err(DeliveryError::InCallback)),
                }
            } else {
                batch.wait(deadline)?
            };
            match outcome {
                Outcome::Split(parts) => {
                    let Some(p) = find_part(&parts, info.index) else {
                        return Some(Err(DeliveryError::Fatal(
                            "record lost in a batch split".into(),
                        )));
                    };
                    info.index -= p.first;
                    batch = p.result.clone();
                }
                other => return Some(batch.record_result(&info, &other)),
            }
        }
    }

    /// Waits until completed or `deadline` passes (`None`: forever).
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Option<Outcome> {
        let mut slot = self.slot.lock();
        if let Some(o) = slot.outcome.as_ref() {
            return Some(o.clone());
        }
        if deadline.is_some_and(|d| d <= Instant::now()) {
            return None;
        }
        if self.hurry.is_some() {
            drop(slot);
            self.hurry();
            slot = self.slot.lock();
        }
        let me = std::thread::current();
        let mut listed = false;
        loop {
            if let Some(o) = slot.outcome.as_ref() {
                return Some(o.clone());
            }
            if !listed {
                slot.parked.push(me.clone());
                listed = true;
            }
            drop(slot);
            // An unpark left over from an earlier wait only makes this
            // loop look once more.
            match deadline {
                None => std::thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if d <= now {
                        let mut slot = self.slot.lock();
                        slot.parked.retain(|t| t.id() != me.id());
                        return slot.outcome.clone();
                    }
                    std::thread::park_timeout(d - now);
                }
            }
            slot = self.slot.lock();
        }
    }
}

fn find_part(parts: &[SplitPart], index: u32) -> Option<&SplitPart> {
    parts
        .iter()
        .find(|p| index >= p.first && index - p.first < p.count)
}

/// What a record's metadata needs besides its batch (topic, partition,
/// outcome).
#[derive(Debug, Clone)]
pub(crate) struct RecordInfo {
    pub(crate) index: u32,
    pub(crate) timestamp: i64,
    pub(crate) key_size: usize,
    pub(crate) value_size: usize,
}

impl RecordInfo {
    fn result(
        &self,
        topic: &Arc<str>,
        partition: i32,
        outcome: &Outcome,
    ) -> Result<RecordMetadata, DeliveryError> {
        match outcome {
            Outcome::Written {
                base_offset,
                log_append_time,
            } => Ok(RecordMetadata {
                topic: topic.clone(),
                partition,
                offset: if *base_offset < 0 {
                    -1
                } else {
                    base_offset + i64::from(self.index)
                },
                timestamp: if *log_append_time >= 0 {
                    *log_append_time
                } else {
                    self.timestamp
                },
                serialized_key_size: self.key_size,
                serialized_value_size: self.value_size,
            }),
            Outcome::Failed(e) => Err(DeliveryError::from_internal(e.clone())),
            Outcome::Split(_) => Err(DeliveryError::Fatal(
                "split batch outcome read directly".into(),
            )),
        }
    }
}

/// A boxed completion callback; runs once on the sender thread.
pub(crate) type Callback = Box<dyn FnOnce(Result<RecordMetadata, DeliveryError>) + Send + 'static>;

/// The handle `send` returns: wait on it for the record's metadata, or drop
/// it (fire and forget — the record is still delivered).
///
/// # Examples
///
/// ```no_run
/// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
/// # let producer: Producer<String, String> = Producer::new(
/// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build().unwrap()).unwrap();
/// let handle = producer.send(ProducerRecord::new("events", "hello".to_string()))?;
/// let metadata = handle.wait()?;
/// println!("written at {}[{}]@{}", metadata.topic, metadata.partition, metadata.offset);
/// # Ok::<(), kafka_sync::Error>(())
/// ```
#[derive(Debug)]
pub struct DeliveryHandle {
    pub(crate) batch: Arc<BatchResult>,
    pub(crate) info: RecordInfo,
}

impl DeliveryHandle {
    /// Blocks until the record is written or has failed.
    ///
    /// In a delivery callback (on the sender thread) it does not block: a
    /// record that is not complete yet is [`DeliveryError::InCallback`] at once (its
    /// delivery is not affected), since waiting there would deadlock. A
    /// record of the callback's own batch is complete already.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let md = producer.send(ProducerRecord::new("events", "v".to_string()))?.wait()?;
    /// println!("offset {}", md.offset);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(self) -> Result<RecordMetadata, DeliveryError> {
        self.batch
            .wait_record(self.info, None)
            .expect("waited without deadline")
    }

    /// Blocks at most `timeout`; `None` if the record is not complete by then
    /// (the handle stays usable). `Duration::MAX` (any timeout too large
    /// for an `Instant`) means no timeout. In a delivery callback, as
    /// [`wait`](Self::wait): [`DeliveryError::InCallback`] at once for a record that
    /// is not complete, unless `timeout` is zero (`None`: a poll never
    /// blocks).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use std::time::Duration;
    /// let handle = producer.send(ProducerRecord::new("events", "v".to_string()))?;
    /// match handle.wait_timeout(Duration::from_secs(5)) {
    ///     Some(Ok(md)) => println!("offset {}", md.offset),
    ///     Some(Err(e)) => eprintln!("failed: {e}"),
    ///     None => eprintln!("still on its way after 5 s"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<RecordMetadata, DeliveryError>> {
        let deadline = Instant::now().checked_add(timeout);
        self.batch.wait_record(self.info.clone(), deadline)
    }

    /// Blocks until `deadline` at most; `None` if the record is not
    /// complete by then (the handle stays usable). In a delivery callback
    /// as [`wait_timeout`](Self::wait_timeout).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # use std::time::{Duration, Instant};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build().unwrap()).unwrap();
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let handles: Vec<_> = (0..10)
    ///     .map(|i| producer.send(ProducerRecord::new("events", format!("v{i}"))))
    ///     .collect::<Result<_, _>>()?;
    /// for h in &handles {
    ///     match h.wait_deadline(deadline) {
    ///         Some(Ok(md)) => println!("at offset {}", md.offset),
    ///         Some(Err(e)) => eprintln!("failed: {e}"),
    ///         None => eprintln!("not complete within 5 s"),
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_deadline(
        &self,
        deadline: Instant,
    ) -> Option<Result<RecordMetadata, DeliveryError>> {
        self.batch.wait_record(self.info.clone(), Some(deadline))
    }

    /// Whether the record is complete (waiting would not block).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let handle = producer.send(ProducerRecord::new("events", "v".to_string()))?;
    /// while !handle.is_done() {
    ///     std::thread::yield_now(); // do other work
    /// }
    /// handle.wait()?; // does not block now
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_done(&self) -> bool {
        self.batch.is_done_for(self.info.index)
    }

    /// The partition the record was appended to.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let handle = producer.send(ProducerRecord::new("events", "v".to_string()).key("k".to_string()))?;
    /// println!("appended to partition {}", handle.partition());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn partition(&self) -> i32 {
        self.batch.partition()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(index: u32) -> RecordInfo {
        RecordInfo {
            index,
            timestamp: 77,
            key_size: 1,
            value_size: 3,
        }
    }

    #[test]
    fn handles_share_one_batch_result() {
        let batch = BatchResult::new("t".into(), 2);
        let a = DeliveryHandle {
            batch: batch.clone(),
            info: info(0),
        };
        let b = DeliveryHandle {
            batch: batch.clone(),
            info: info(4),
        };
        assert!(a.wait_timeout(Duration::from_millis(1)).is_none());
        let t = std::thread::spawn(move || b.wait());
        assert!(batch.complete(Outcome::Written {
            base_offset: 10,
            log_append_time: -1
        }));
        assert!(!batch.complete(Outcome::Failed(Error::Closed {
            may_have_persisted: false
        })));
        let m = t.join().unwrap().unwrap();
        assert_eq!((m.offset, m.timestamp, m.partition), (14, 77, 2));
        assert_eq!(a.wait().unwrap().offset, 10);
    }

    #[test]
    fn many_waiting_threads_all_wake_and_timed_out_ones_leave_the_list() {
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let wake: Wake = Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let batch = BatchResult::hurried("t".into(), 0, Some(&Hurry(wake)));
        assert!(!batch.awaited());
        // A poll neither hurries nor lists the thread.
        assert!(batch.wait(Some(Instant::now())).is_none());
        assert!(!batch.awaited());
        // A wait that times out hurries once and leaves the list.
        assert!(batch
            .wait(Some(Instant::now() + Duration::from_millis(5)))
            .is_none());
        assert!(batch.awaited());
        assert!(batch.slot.lock().parked.is_empty());
        let threads: Vec<_> = (0..32)
            .map(|i| {
                let (batch, woken) = (batch.clone(), woken.clone());
                std::thread::spawn(move || {
                    let h = DeliveryHandle {
                        batch,
                        info: info(i),
                    };
                    let md = h.wait().unwrap();
                    woken.fetch_add(1, Ordering::Relaxed);
                    md.offset
                })
            })
            .collect();
        while batch.slot.lock().parked.len() < 32 {
            std::thread::sleep(Duration::from_millis(1));
        }
        batch.complete(Outcome::Written {
            base_offset: 100,
            log_append_time: -1,
        });
        let offsets: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(offsets, (100..132).collect::<Vec<_>>());
        assert_eq!(woken.load(Ordering::Relaxed), 32);
        // The sender was woken by the first waiter only.
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn acks_zero_and_log_append_time() {
        let m = BatchResult::new("t".into(), 2)
            .record_result(
                &info(3),
                &Outcome::Written {
                    base_offset: -1,
                    log_append_time: 999,
                },
            )
            .unwrap();
        assert_eq!((m.offset, m.timestamp), (-1, 999));
    }
}
