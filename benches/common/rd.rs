//! librdkafka's side of a comparison: rdkafka's `BaseProducer` with a
//! context that counts delivery reports, a send that waits out a full
//! queue, and the thread that serves delivery reports.

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, ToBytes};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _, ProducerContext};
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// The producer of the comparisons.
pub type Rd = BaseProducer<Ctx>;

/// Counts delivery reports and wakes the waiting thread when `target`
/// records are done.
#[derive(Default)]
pub struct Ctx {
    /// Records acknowledged.
    pub delivered: AtomicU64,
    /// Records failed.
    pub failed: AtomicU64,
    target: AtomicU64,
    waiter: Mutex<Option<Thread>>,
    /// Failures are expected (records purged at close): not printed.
    pub quiet: AtomicBool,
    /// Times [`send`] slept on a full queue.
    pub queue_full_sleeps: AtomicU64,
    /// Where [`stamp`](Self::stamp) counts from.
    epoch: OnceLock<Instant>,
    /// The latency (µs) of every record sent with a [`stamp`](Self::stamp)
    /// as its delivery opaque.
    pub latencies: Mutex<Vec<u32>>,
}

impl ClientContext for Ctx {}

impl ProducerContext for Ctx {
    /// 0, or the record's [`Ctx::stamp`]: the cheapest per-record context
    /// librdkafka offers (a pointer-sized opaque, nothing allocated).
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent: usize) {
        if sent != 0 {
            let us = (self.stamp() - sent) / 1000;
            self.latencies.lock().unwrap().push(us as u32);
        }
        if let Err((e, _)) = result {
            if self.failed.fetch_add(1, Relaxed) < 5 && !self.quiet.load(Relaxed) {
                eprintln!("rdkafka delivery failed: {e}");
            }
        } else {
            self.delivered.fetch_add(1, Relaxed);
        }
        if self.done() >= self.target.load(Relaxed) {
            if let Some(t) = self.waiter.lock().unwrap().as_ref() {
                t.unpark();
            }
        }
    }
}

impl Ctx {
    /// Now, as a record's delivery opaque: nanoseconds since the first
    /// stamp, plus one (never 0).
    pub fn stamp(&self) -> usize {
        self.epoch.get_or_init(Instant::now).elapsed().as_nanos() as usize + 1
    }

    /// Records done either way.
    pub fn done(&self) -> u64 {
        self.delivered.load(Relaxed) + self.failed.load(Relaxed)
    }

    /// Blocks until `target` records are done.
    pub fn wait_for(&self, target: u64) {
        *self.waiter.lock().unwrap() = Some(std::thread::current());
        self.target.store(target, Relaxed);
        while self.done() < target {
            std::thread::park_timeout(Duration::from_millis(10));
        }
    }

    /// No wake-ups until the next [`wait_for`](Self::wait_for).
    pub fn hold_wakeups(&self) {
        self.target.store(u64::MAX, Relaxed);
    }
}

/// The settings both clients share in the comparisons, in librdkafka's
/// words: `buffer_memory` bytes of queue (and a message-count limit high
/// enough not to bind), 5 requests in flight, TCP_NODELAY.
pub fn config(
    acks: &str,
    idempotence: bool,
    linger_ms: u64,
    batch_size: usize,
    buffer_memory: usize,
) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("acks", acks)
        .set("enable.idempotence", idempotence.to_string())
        .set("linger.ms", linger_ms.to_string())
        .set("batch.size", batch_size.to_string())
        .set(
            "queue.buffering.max.kbytes",
            (buffer_memory / 1024).to_string(),
        )
        .set("queue.buffering.max.messages", "10000000")
        .set("max.in.flight.requests.per.connection", "5")
        .set("socket.nagle.disable", "true");
    c
}

/// Enqueues `record`, sleeping 200 µs while the queue is full (the queue
/// still holds plenty for the broker meanwhile). Returns false when `stop`
/// was raised meanwhile.
pub fn send<K: ToBytes + ?Sized>(
    p: &Rd,
    mut record: BaseRecord<'_, K, [u8], usize>,
    stop: &AtomicBool,
) -> bool {
    loop {
        match p.send(record) {
            Ok(()) => return true,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                if stop.load(Relaxed) {
                    return false;
                }
                record = r;
                p.context().queue_full_sleeps.fetch_add(1, Relaxed);
                std::thread::sleep(Duration::from_micros(200));
            }
            Err((e, _)) => panic!("rdkafka send failed: {e}"),
        }
    }
}

/// Runs `f` while a thread calls `poll` to serve delivery reports (as
/// `ThreadedProducer`'s thread does).
pub fn with_poller<R>(p: &Rd, f: impl FnOnce() -> R) -> R {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let poller = s.spawn(|| {
            while !stop.load(Relaxed) {
                p.poll(Duration::from_millis(100));
            }
        });
        let r = f();
        stop.store(true, Relaxed);
        poller.join().unwrap();
        r
    })
}
