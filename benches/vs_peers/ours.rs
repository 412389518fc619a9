//! Our producer's runs (in the child).

use crate::measure::{latency_report, latency_run, span_report, usage};
use crate::workload::{send_all, send_for, Payloads, Report, Spec};
use kafka_sync::{Producer, ProducerConfig, ProducerRecord, Topic};
use std::sync::Mutex;
use std::time::{Duration, Instant};

type P = Producer<&'static [u8], &'static [u8]>;

fn producer(spec: &Spec) -> P {
    let mut config = ProducerConfig::builder()
        .bootstrap_servers(&spec.bootstrap)
        .set("acks", &spec.acks)
        .set("enable.idempotence", spec.idempotence.to_string())
        .set("linger.ms", spec.linger_ms.to_string())
        .set("batch.size", spec.batch_size.to_string())
        .set("buffer.memory", spec.buffer_memory.to_string())
        .set("compression.type", &spec.codec)
        .set("max.in.flight.requests.per.connection", "5");
    // Experiments: `BENCH_OURS_PROPS=name=value,name=value` on top.
    for kv in std::env::var("BENCH_OURS_PROPS")
        .unwrap_or_default()
        .split(',')
    {
        if let Some((k, v)) = kv.split_once('=') {
            config = config.set(k.trim(), v.trim());
        }
    }
    Producer::new(config.build().expect("config")).expect("producer")
}

/// The run's topic, named once for the whole run (as a `const` topic in an
/// application: no copy of the name per record).
fn topic(spec: &Spec) -> Topic {
    static TOPIC: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    Topic::from_static(TOPIC.get_or_init(|| Box::leak(spec.topic.clone().into_boxed_str())))
}

fn record(spec: &Spec, p: &Payloads, i: u64) -> ProducerRecord<&'static [u8], &'static [u8]> {
    let r = ProducerRecord::new(topic(spec), p.value(i));
    if spec.keyed {
        r.key(p.key(i))
    } else {
        r
    }
}

pub fn run(spec: &Spec) -> Report {
    let payloads = Payloads::new(spec.size);
    let producer = producer(spec);
    // Warm-up: connection, metadata, producer id.
    producer
        .send(record(spec, &payloads, 0))
        .expect("warm-up send")
        .wait()
        .expect("warm-up record");
    let warm = producer.counters().records_sent;
    let report = match spec.mode.as_str() {
        "throughput" => {
            let before = usage();
            let start = Instant::now();
            send_all(spec, |i| {
                if let Err(e) = producer.send(record(spec, &payloads, i)) {
                    panic!("send refused: {}", e.error);
                }
            });
            producer.flush().expect("flush");
            let elapsed = start.elapsed();
            let after = usage();
            let m = producer.counters();
            let sent = m.records_sent - warm;
            assert_eq!(m.records_failed, 0, "records failed: {m:?}");
            assert_eq!(
                sent, spec.records,
                "not every record was acknowledged: {m:?}"
            );
            let mut r = span_report(sent, m.records_failed, spec.size, elapsed, &before, &after);
            r.push(("requests", m.requests_sent.to_string()));
            r.push(("batches", m.batches_sent.to_string()));
            r
        }
        // As `ProducerPerformance` and `producer_perf` send: a callback per
        // record that records its latency.
        "callback" => {
            static LATENCIES: Mutex<Vec<u32>> = Mutex::new(Vec::new());
            LATENCIES.lock().unwrap().reserve(spec.records as usize);
            let before = usage();
            let start = Instant::now();
            send_all(spec, |i| {
                let sent = Instant::now();
                let r = producer.send_with_callback(record(spec, &payloads, i), move |r| {
                    r.expect("record");
                    let us = sent.elapsed().as_micros() as u32;
                    LATENCIES.lock().unwrap().push(us);
                });
                if let Err(e) = r {
                    panic!("send refused: {}", e.error);
                }
            });
            producer.flush().expect("flush");
            let elapsed = start.elapsed();
            let lat = std::mem::take(&mut *LATENCIES.lock().unwrap());
            assert_eq!(lat.len() as u64, spec.records, "callbacks missing");
            latency_report(lat, elapsed, &before, &usage())
        }
        "latency" => latency_run(spec.records, |i| {
            producer
                .send(record(spec, &payloads, i))
                .expect("send")
                .wait()
                .expect("record");
        }),
        // Group `sync_threads`: every caller waits for each of its records.
        "sync" => crate::sync_wait::run(spec, |_, i| {
            producer
                .send(record(spec, &payloads, i))
                .expect("send")
                .wait()
                .expect("record");
        }),
        "memory" => {
            let before = usage();
            let start = Instant::now();
            let sent = send_for(spec, |i, _| {
                producer.send(record(spec, &payloads, i)).is_ok()
            });
            let elapsed = start.elapsed();
            let m = producer.counters();
            let acked = m.records_sent - warm;
            let mut r = span_report(acked, 0, spec.size, elapsed, &before, &usage());
            r.push(("accepted", sent.to_string()));
            r.push(("buffer_used_at_stop", m.buffer_used_bytes.to_string()));
            producer.close(Duration::from_secs(1));
            r
        }
        "baseline" => Vec::new(),
        m => panic!("unknown mode {m}"),
    };
    let mut report = report;
    report.push(("maxrss_kb", usage().maxrss_kb.to_string()));
    report
}
