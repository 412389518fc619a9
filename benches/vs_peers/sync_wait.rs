//! Group `sync_threads` (mode `sync`, in the child): `spec.threads`
//! callers share one producer, and each sends one record and blocks until
//! it is acknowledged before it sends the next. [`run`] times every record
//! from the send call to its acknowledgement; ours calls it from `ours.rs`,
//! and [`rdkafka`] is rdkafka's whole run (a `ThreadedProducer` whose
//! delivery reports complete a slot per caller).

use crate::measure::{latency_report, usage};
use crate::workload::{Payloads, Report, Spec};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer as _, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Barrier, Condvar, Mutex};
use std::time::Instant;

/// Runs `one(caller, i)` (send record `i` and wait for it) in
/// `spec.threads` callers, caller `t` taking `t, t + threads, ...` below
/// `spec.records`. The span starts when every caller is ready and ends
/// when the last is done; its CPU time (the whole process) also counts
/// starting the callers, as the Java driver's does.
pub fn run(spec: &Spec, one: impl Fn(usize, u64) + Sync) -> Report {
    let n = spec.threads;
    let (one, start_line) = (&one, &Barrier::new(n + 1));
    let before = usage();
    std::thread::scope(|s| {
        let callers: Vec<_> = (0..n)
            .map(|t| {
                s.spawn(move || {
                    let mut lat = Vec::with_capacity((spec.records as usize).div_ceil(n));
                    start_line.wait();
                    for i in (t as u64..spec.records).step_by(n) {
                        let sent = Instant::now();
                        one(t, i);
                        lat.push(sent.elapsed().as_micros() as u32);
                    }
                    lat
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        let mut lat = Vec::with_capacity(spec.records as usize);
        for c in callers {
            lat.extend(c.join().expect("caller panicked"));
        }
        let elapsed = start.elapsed();
        let mut r = latency_report(lat, elapsed, &before, &usage());
        r.push(("threads", n.to_string()));
        r
    })
}

/// One caller's record: pending (`None`) until its delivery report.
#[derive(Default)]
struct Slot {
    outcome: Mutex<Option<bool>>,
    done: Condvar,
}

/// rdkafka's context: a slot per caller, the caller's index travelling as
/// the record's delivery opaque (nothing allocated per record).
struct Slots {
    slots: Vec<Slot>,
    failed: AtomicU64,
}

impl ClientContext for Slots {}

impl ProducerContext for Slots {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, caller: usize) {
        if let Err((e, _)) = result {
            if self.failed.fetch_add(1, Relaxed) < 5 {
                eprintln!("rdkafka delivery failed: {e}");
            }
        }
        let slot = &self.slots[caller];
        *slot.outcome.lock().unwrap() = Some(result.is_ok());
        slot.done.notify_one();
    }
}

type Threaded = ThreadedProducer<Slots>;

/// Sends record `i` with `caller`'s slot and blocks until its delivery
/// report; returns whether it was acknowledged.
fn send_wait(p: &Threaded, spec: &Spec, values: &Payloads, caller: usize, i: u64) -> bool {
    let slot = &p.context().slots[caller];
    *slot.outcome.lock().unwrap() = None;
    let record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(&spec.topic, caller)
        .payload(values.value(i));
    if let Err((e, _)) = p.send(record) {
        panic!("rdkafka send failed: {e}");
    }
    let mut outcome = slot.outcome.lock().unwrap();
    loop {
        match *outcome {
            Some(ok) => return ok,
            None => outcome = slot.done.wait(outcome).unwrap(),
        }
    }
}

/// rdkafka's run: the settings of `bench_common::rd::config`, a
/// `ThreadedProducer` (its own thread calls `poll` and serves the delivery
/// reports), warmed up with one acknowledged record.
pub fn rdkafka(spec: &Spec) -> Report {
    let values = Payloads::new(spec.size);
    let c = crate::librdkafka::config(spec);
    let slots = Slots {
        slots: (0..spec.threads).map(|_| Slot::default()).collect(),
        failed: AtomicU64::new(0),
    };
    let producer: Threaded = c.create_with_context(slots).expect("rdkafka producer");
    assert!(
        send_wait(&producer, spec, &values, 0, 0),
        "warm-up record failed"
    );
    let mut r = run(spec, |t, i| {
        assert!(send_wait(&producer, spec, &values, t, i), "record failed");
    });
    assert_eq!(producer.context().failed.load(Relaxed), 0);
    drop(producer);
    r.push(("maxrss_kb", usage().maxrss_kb.to_string()));
    r
}
