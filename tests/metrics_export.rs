//! The `metrics` feature: the producer reports its Java-named metrics
//! through the `metrics` facade. A recording recorder (installed globally,
//! so this file holds one test) captures what a run against librdkafka's
//! mock cluster publishes.
#![cfg(feature = "metrics")]

mod common;

use common::faults::Mock;
use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One recorded metric: its kind, name and labels.
type Id = (&'static str, String, Vec<(String, String)>);

#[derive(Default)]
struct Values {
    counters: HashMap<Id, u64>,
    gauges: HashMap<Id, f64>,
    histograms: HashMap<Id, Vec<f64>>,
}

#[derive(Default, Clone)]
struct Recording(Arc<Mutex<Values>>);

struct Handle {
    rec: Recording,
    id: Id,
}

fn id(kind: &'static str, key: &Key) -> Id {
    let mut labels: Vec<(String, String)> = key
        .labels()
        .map(|l| (l.key().to_string(), l.value().to_string()))
        .collect();
    labels.sort();
    (kind, key.name().to_string(), labels)
}

impl CounterFn for Handle {
    fn increment(&self, value: u64) {
        *self
            .rec
            .0
            .lock()
            .unwrap()
            .counters
            .entry(self.id.clone())
            .or_default() += value;
    }
    fn absolute(&self, value: u64) {
        let mut v = self.rec.0.lock().unwrap();
        let c = v.counters.entry(self.id.clone()).or_default();
        *c = (*c).max(value);
    }
}

impl GaugeFn for Handle {
    fn increment(&self, value: f64) {
        *self
            .rec
            .0
            .lock()
            .unwrap()
            .gauges
            .entry(self.id.clone())
            .or_default() += value;
    }
    fn decrement(&self, value: f64) {
        *self
            .rec
            .0
            .lock()
            .unwrap()
            .gauges
            .entry(self.id.clone())
            .or_default() -= value;
    }
    fn set(&self, value: f64) {
        self.rec
            .0
            .lock()
            .unwrap()
            .gauges
            .insert(self.id.clone(), value);
    }
}

impl HistogramFn for Handle {
    fn record(&self, value: f64) {
        let mut v = self.rec.0.lock().unwrap();
        v.histograms.entry(self.id.clone()).or_default().push(value);
    }
}

impl Recorder for Recording {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let rec = self.clone();
        Counter::from_arc(Arc::new(Handle {
            rec,
            id: id("counter", key),
        }))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        let rec = self.clone();
        Gauge::from_arc(Arc::new(Handle {
            rec,
            id: id("gauge", key),
        }))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let rec = self.clone();
        Histogram::from_arc(Arc::new(Handle {
            rec,
            id: id("histogram", key),
        }))
    }
}

fn recording() -> &'static Recording {
    static R: OnceLock<Recording> = OnceLock::new();
    R.get_or_init(|| {
        let r = Recording::default();
        metrics::set_global_recorder(r.clone()).expect("the only recorder");
        r
    })
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn counter(rec: &Recording, name: &str, l: &[(&str, &str)]) -> Option<u64> {
    let v = rec.0.lock().unwrap();
    v.counters
        .get(&("counter", name.to_string(), labels(l)))
        .copied()
}

#[test]
fn a_run_publishes_java_named_counters_gauges_and_histograms_with_client_id() {
    let rec = recording();
    let mock = Mock::new(3, "export-a", 3);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .client_id("export-test")
        .linger(Duration::from_millis(5))
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    let n = 5_000u64;
    for i in 0..n {
        let rec = ProducerRecord::new("export-a", format!("value-{i:05}")).key(format!("k{i}"));
        producer.send(rec).unwrap();
    }
    producer.flush().unwrap();

    // The sender publishes once a second: wait for a publication that
    // saw every acknowledgement.
    let client = [("client_id", "export-test")];
    let topic = [("client_id", "export-test"), ("topic", "export-a")];
    let deadline = Instant::now() + Duration::from_secs(10);
    while counter(rec, "kafka.producer.record-send-total", &client) != Some(n) {
        assert!(
            Instant::now() < deadline,
            "record-send-total never reached {n}: {:?}",
            counter(rec, "kafka.producer.record-send-total", &client)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        counter(rec, "kafka.producer.record-send-total", &topic),
        Some(n),
        "per topic"
    );
    assert_eq!(
        counter(rec, "kafka.producer.record-error-total", &client),
        Some(0)
    );
    let v = rec.0.lock().unwrap();
    let gauge = |name: &str, l: &[(&str, &str)]| {
        v.gauges
            .get(&("gauge", name.to_string(), labels(l)))
            .copied()
    };
    // Gauges: the buffer's size is the default 32 MiB; a batch is sized.
    assert_eq!(
        gauge("kafka.producer.buffer-total-bytes", &client),
        Some(33_554_432.0)
    );
    let batch_avg = gauge("kafka.producer.batch-size-avg", &client).expect("batch-size-avg");
    assert!(batch_avg > 0.0 && batch_avg <= 16_384.0, "{batch_avg}");
    // A node metric carries the node id as a label.
    assert!(
        v.counters
            .keys()
            .any(|(_, name, l)| name == "kafka.producer.outgoing-byte-total"
                && l.iter()
                    .any(|(k, v)| k == "node_id" && v.starts_with("node-"))),
        "a node's outgoing-byte-total: {:?}",
        v.counters.keys().collect::<Vec<_>>()
    );
    // Every published metric carries the client id.
    let all_ids = v
        .counters
        .keys()
        .chain(v.gauges.keys())
        .chain(v.histograms.keys());
    for (_, name, l) in all_ids {
        assert!(name.starts_with("kafka.producer."), "{name}");
        assert!(
            l.iter()
                .any(|(k, v)| k == "client_id" && v == "export-test"),
            "{name} {l:?}"
        );
    }
    // Histograms: one latency per response, one size per batch sent.
    let hist = |name: &str| {
        v.histograms
            .get(&("histogram", name.to_string(), labels(&client)))
            .cloned()
            .unwrap_or_default()
    };
    let sizes = hist("kafka.producer.batch-size");
    assert!(!sizes.is_empty(), "batch-size histogram");
    assert!(
        sizes.iter().all(|s| *s > 0.0 && *s <= 16_384.0),
        "{sizes:?}"
    );
    let latencies = hist("kafka.producer.request-latency");
    assert!(!latencies.is_empty(), "request-latency histogram");
    assert!(latencies.iter().all(|l| *l >= 0.0), "{latencies:?}");
    assert!(!hist("kafka.producer.record-queue-time").is_empty());
}
