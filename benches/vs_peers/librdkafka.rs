//! rdkafka's runs (in the child): `BaseProducer::send` with a thread
//! calling `poll` for delivery reports (`bench_common::rd`).

use crate::bench_common::rd::{self, Rd};
use crate::measure::{latency_report, latency_run, span_report, usage};
use crate::workload::{send_all, send_for, Payloads, Report, Spec};
use rdkafka::producer::{BaseRecord, Producer as _};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Instant;

/// The settings of `rd::config` for `spec`, with its broker and codec.
pub fn config(spec: &Spec) -> rdkafka::ClientConfig {
    let mut c = rd::config(
        &spec.acks,
        spec.idempotence,
        spec.linger_ms,
        spec.batch_size,
        spec.buffer_memory,
    );
    c.set("bootstrap.servers", &spec.bootstrap)
        .set("compression.type", &spec.codec)
        .set("message.max.bytes", "1048576");
    c
}

fn producer(spec: &Spec) -> Rd {
    config(spec)
        .create_with_context(Default::default())
        .expect("rdkafka producer")
}

/// Enqueues record `i`, sleeping while the queue is full. Returns false
/// when `stop` was raised meanwhile.
fn send(producer: &Rd, spec: &Spec, p: &Payloads, i: u64, stop: &AtomicBool) -> bool {
    send_with(producer, spec, p, i, stop, 0)
}

/// `send` with `opaque` as the record's delivery opaque (0, or a
/// [`Ctx::stamp`](rd::Ctx::stamp) to have its latency recorded).
fn send_with(
    producer: &Rd,
    spec: &Spec,
    p: &Payloads,
    i: u64,
    stop: &AtomicBool,
    opaque: usize,
) -> bool {
    let mut record = BaseRecord::with_opaque_to(&spec.topic, opaque).payload(p.value(i));
    if spec.keyed {
        record = record.key(p.key(i));
    }
    rd::send(producer, record, stop)
}

pub fn run(spec: &Spec) -> Report {
    if spec.mode == "sync" {
        return crate::sync_wait::rdkafka(spec);
    }
    let payloads = Payloads::new(spec.size);
    let producer = producer(spec);
    let never = AtomicBool::new(false);
    let ctx = producer.context();
    let report = rd::with_poller(&producer, || {
        send(&producer, spec, &payloads, 0, &never);
        ctx.wait_for(1);
        assert_eq!(ctx.failed.load(Relaxed), 0, "warm-up record failed");
        match spec.mode.as_str() {
            "throughput" => {
                let before = usage();
                let start = Instant::now();
                send_all(spec, |i| {
                    send(&producer, spec, &payloads, i, &never);
                });
                ctx.wait_for(1 + spec.records);
                let elapsed = start.elapsed();
                let after = usage();
                let failed = ctx.failed.load(Relaxed);
                assert_eq!(failed, 0, "rdkafka: records failed");
                span_report(spec.records, failed, spec.size, elapsed, &before, &after)
            }
            // A delivery report per record that records its latency (the
            // send time travels as its opaque: nothing allocated).
            "callback" => {
                ctx.latencies.lock().unwrap().reserve(spec.records as usize);
                let before = usage();
                let start = Instant::now();
                send_all(spec, |i| {
                    send_with(&producer, spec, &payloads, i, &never, ctx.stamp());
                });
                ctx.wait_for(1 + spec.records);
                let elapsed = start.elapsed();
                let after = usage();
                assert_eq!(ctx.failed.load(Relaxed), 0, "rdkafka: records failed");
                let lat = std::mem::take(&mut *ctx.latencies.lock().unwrap());
                assert_eq!(lat.len() as u64, spec.records, "delivery reports missing");
                latency_report(lat, elapsed, &before, &after)
            }
            "latency" => {
                let r = latency_run(spec.records, |i| {
                    send(&producer, spec, &payloads, i, &never);
                    ctx.wait_for(2 + i);
                });
                assert_eq!(ctx.failed.load(Relaxed), 0, "rdkafka: records failed");
                r
            }
            "memory" => {
                // Records purged at close are expected failures.
                ctx.quiet.store(true, Relaxed);
                let before = usage();
                let start = Instant::now();
                let sent = send_for(spec, |i, stop| send(&producer, spec, &payloads, i, stop));
                let elapsed = start.elapsed();
                let acked = ctx.delivered.load(Relaxed) - 1;
                let mut r = span_report(acked, 0, spec.size, elapsed, &before, &usage());
                r.push(("accepted", sent.to_string()));
                r
            }
            "baseline" => Vec::new(),
            m => panic!("unknown mode {m}"),
        }
    });
    let queue_full_sleeps = ctx.queue_full_sleeps.load(Relaxed);
    // Dropping purges what is left (memory mode) and flushes for 500 ms.
    drop(producer);
    let mut report = report;
    report.push(("maxrss_kb", usage().maxrss_kb.to_string()));
    report.push(("queue_full_sleeps", queue_full_sleeps.to_string()));
    report
}
