//! What the sender thread records for the Java client's metrics, and the
//! snapshot [`Producer::metrics`](crate::Producer::metrics) reads. One lock
//! is taken per request, response or completed batch, never per record.

use super::stat::{Meter, Sampled, Window};
use super::Metric;
use crate::net::NodeId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One batch of a Produce request, as the metrics see it.
pub(crate) struct SentBatch<'a> {
    pub(crate) topic: &'a Arc<str>,
    pub(crate) records: u32,
    pub(crate) wire_size: usize,
    pub(crate) uncompressed_size: usize,
    pub(crate) max_record_size: u32,
    pub(crate) queue_time: Duration,
}

#[derive(Debug, Default)]
struct TopicSensors {
    record_send: Meter,
    record_error: Meter,
    record_retry: Meter,
    bytes: Meter,
    compression: Sampled,
}

#[derive(Debug, Default)]
struct NodeSensors {
    request_latency: Sampled,
    outgoing_bytes: Meter,
}

/// The sender's records, windowed as `metrics.sample.window.ms` and
/// `metrics.num.samples` say.
#[derive(Debug)]
pub(crate) struct Sensors {
    window: Window,
    record_send: Meter,
    record_error: Meter,
    record_retry: Meter,
    record_size: Sampled,
    batch_size: Sampled,
    batch_split: Meter,
    records_per_request: Sampled,
    compression_rate: Sampled,
    record_queue_time: Sampled,
    request_latency: Sampled,
    requests: Meter,
    responses: Meter,
    produce_throttle: Sampled,
    outgoing_bytes: Meter,
    incoming_bytes: Meter,
    connection_creation: Meter,
    connection_close: Meter,
    metadata_updated: Option<Instant>,
    topics: HashMap<Arc<str>, TopicSensors>,
    nodes: HashMap<NodeId, NodeSensors>,
    /// With the `metrics` feature: the facade's histograms, once the sender
    /// published the first time.
    #[cfg(feature = "metrics")]
    pub(crate) histograms: Option<super::export::Histograms>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Sensors {
    pub(crate) fn new(window: Window) -> Self {
        Sensors {
            window,
            record_send: Meter::default(),
            record_error: Meter::default(),
            record_retry: Meter::default(),
            record_size: Sampled::default(),
            batch_size: Sampled::default(),
            batch_split: Meter::default(),
            records_per_request: Sampled::default(),
            compression_rate: Sampled::default(),
            record_queue_time: Sampled::default(),
            request_latency: Sampled::default(),
            requests: Meter::default(),
            responses: Meter::default(),
            produce_throttle: Sampled::default(),
            outgoing_bytes: Meter::default(),
            incoming_bytes: Meter::default(),
            connection_creation: Meter::default(),
            connection_close: Meter::default(),
            metadata_updated: None,
            topics: HashMap::new(),
            nodes: HashMap::new(),
            #[cfg(feature = "metrics")]
            histograms: None,
        }
    }

    fn topic(&mut self, topic: &Arc<str>) -> &mut TopicSensors {
        if !self.topics.contains_key(topic) {
            self.topics.insert(topic.clone(), TopicSensors::default());
        }
        self.topics.get_mut(topic).expect("inserted")
    }

    /// A Produce request of `bytes` bytes written to `node`.
    pub(crate) fn request_sent<'a>(
        &mut self,
        node: NodeId,
        bytes: usize,
        batches: impl Iterator<Item = SentBatch<'a>>,
        now: Instant,
    ) {
        let w = self.window;
        let mut records = 0u64;
        for b in batches {
            records += u64::from(b.records);
            self.batch_size.record(&w, b.wire_size as f64, now);
            self.record_size
                .record(&w, f64::from(b.max_record_size), now);
            self.record_queue_time.record(&w, ms(b.queue_time), now);
            #[cfg(feature = "metrics")]
            if let Some(h) = &self.histograms {
                h.batch_size.record(b.wire_size as f64);
                h.record_queue_time.record(ms(b.queue_time));
            }
            let ratio = if b.uncompressed_size > 0 {
                b.wire_size as f64 / b.uncompressed_size as f64
            } else {
                1.0
            };
            self.compression_rate.record(&w, ratio, now);
            let t = self.topic(b.topic);
            t.bytes.record(&w, b.wire_size as f64, now);
            t.compression.record(&w, ratio, now);
        }
        self.records_per_request.record(&w, records as f64, now);
        self.requests.record(&w, 1.0, now);
        self.outgoing_bytes.record(&w, bytes as f64, now);
        let n = self.nodes.entry(node).or_default();
        n.outgoing_bytes.record(&w, bytes as f64, now);
    }

    /// Any request of `bytes` bytes other than Produce written to `node`.
    pub(crate) fn other_request_sent(&mut self, node: NodeId, bytes: usize, now: Instant) {
        let w = self.window;
        self.requests.record(&w, 1.0, now);
        self.outgoing_bytes.record(&w, bytes as f64, now);
        let n = self.nodes.entry(node).or_default();
        n.outgoing_bytes.record(&w, bytes as f64, now);
    }

    /// A response of `bytes` bytes from `node`, `latency` after its request.
    pub(crate) fn response(&mut self, node: NodeId, bytes: usize, latency: Duration, now: Instant) {
        let w = self.window;
        self.responses.record(&w, 1.0, now);
        self.incoming_bytes.record(&w, bytes as f64, now);
        self.request_latency.record(&w, ms(latency), now);
        #[cfg(feature = "metrics")]
        if let Some(h) = &self.histograms {
            h.request_latency.record(ms(latency));
        }
        let n = self.nodes.entry(node).or_default();
        n.request_latency.record(&w, ms(latency), now);
    }

    /// A Produce response's `throttle_time_ms`.
    pub(crate) fn throttle(&mut self, throttle_ms: u64, now: Instant) {
        let w = self.window;
        self.produce_throttle.record(&w, throttle_ms as f64, now);
    }

    /// `records` of `topic` counted in the producer's meter `all` picks
    /// and the topic's meter `one` picks.
    fn count_records(
        &mut self,
        topic: &Arc<str>,
        records: u32,
        now: Instant,
        all: fn(&mut Sensors) -> &mut Meter,
        one: fn(&mut TopicSensors) -> &mut Meter,
    ) {
        let w = self.window;
        all(self).record(&w, f64::from(records), now);
        one(self.topic(topic)).record(&w, f64::from(records), now);
    }

    /// `records` of `topic` acknowledged.
    pub(crate) fn records_sent(&mut self, topic: &Arc<str>, records: u32, now: Instant) {
        self.count_records(
            topic,
            records,
            now,
            |s| &mut s.record_send,
            |t| &mut t.record_send,
        );
    }

    /// `records` of `topic` failed for good.
    pub(crate) fn records_failed(&mut self, topic: &Arc<str>, records: u32, now: Instant) {
        self.count_records(
            topic,
            records,
            now,
            |s| &mut s.record_error,
            |t| &mut t.record_error,
        );
    }

    /// `records` of `topic` to be sent again.
    pub(crate) fn records_retried(&mut self, topic: &Arc<str>, records: u32, now: Instant) {
        self.count_records(
            topic,
            records,
            now,
            |s| &mut s.record_retry,
            |t| &mut t.record_retry,
        );
    }

    /// A batch split in two after MESSAGE_TOO_LARGE.
    pub(crate) fn batch_split(&mut self, now: Instant) {
        let w = self.window;
        self.batch_split.record(&w, 1.0, now);
    }

    /// A connection became ready.
    pub(crate) fn connection_created(&mut self, now: Instant) {
        let w = self.window;
        self.connection_creation.record(&w, 1.0, now);
    }

    /// A ready connection was closed or lost.
    pub(crate) fn connection_closed(&mut self, now: Instant) {
        let w = self.window;
        self.connection_close.record(&w, 1.0, now);
    }

    /// A Metadata response was applied.
    pub(crate) fn metadata_updated(&mut self, now: Instant) {
        self.metadata_updated = Some(now);
    }

    /// Every metric at `now`; `gauges` are the values read elsewhere.
    pub(crate) fn snapshot(&self, gauges: &Gauges, now: Instant) -> Vec<Metric> {
        let w = &self.window;
        let client = gauges.client_id.as_str();
        let mut out = Vec::with_capacity(64 + 5 * self.topics.len() + 3 * self.nodes.len());
        let mut p = |name: &'static str, value: f64| {
            out.push(Metric::new(
                PRODUCER,
                name,
                vec![("client-id", client.to_owned())],
                value,
            ));
        };
        let meter = |p: &mut dyn FnMut(&'static str, f64), rate, total, m: &Meter| {
            p(rate, m.rate(w, now));
            p(total, m.total);
        };
        meter(
            &mut p,
            "record-send-rate",
            "record-send-total",
            &self.record_send,
        );
        meter(
            &mut p,
            "record-error-rate",
            "record-error-total",
            &self.record_error,
        );
        meter(
            &mut p,
            "record-retry-rate",
            "record-retry-total",
            &self.record_retry,
        );
        p("record-size-avg", self.record_size.avg(w, now));
        p("record-size-max", self.record_size.max(w, now));
        p("batch-size-avg", self.batch_size.avg(w, now));
        p("batch-size-max", self.batch_size.max(w, now));
        meter(
            &mut p,
            "batch-split-rate",
            "batch-split-total",
            &self.batch_split,
        );
        p(
            "records-per-request-avg",
            self.records_per_request.avg(w, now),
        );
        p("compression-rate-avg", self.compression_rate.avg(w, now));
        p("record-queue-time-avg", self.record_queue_time.avg(w, now));
        p("record-queue-time-max", self.record_queue_time.max(w, now));
        p("request-latency-avg", self.request_latency.avg(w, now));
        p("request-latency-max", self.request_latency.max(w, now));
        meter(&mut p, "request-rate", "request-total", &self.requests);
        meter(&mut p, "response-rate", "response-total", &self.responses);
        p("requests-in-flight", gauges.requests_in_flight as f64);
        p("buffer-total-bytes", gauges.buffer_total as f64);
        p("buffer-available-bytes", gauges.buffer_available as f64);
        p(
            "bufferpool-wait-time-ns-total",
            gauges.bufferpool_wait_ns as f64,
        );
        p(
            "produce-throttle-time-avg",
            self.produce_throttle.avg(w, now),
        );
        p(
            "produce-throttle-time-max",
            self.produce_throttle.max(w, now),
        );
        p(
            "metadata-age",
            self.metadata_updated
                .map_or(f64::NAN, |t| now.saturating_duration_since(t).as_secs_f64()),
        );
        p("connection-count", gauges.connections as f64);
        meter(
            &mut p,
            "connection-creation-rate",
            "connection-creation-total",
            &self.connection_creation,
        );
        meter(
            &mut p,
            "connection-close-rate",
            "connection-close-total",
            &self.connection_close,
        );
        meter(
            &mut p,
            "outgoing-byte-rate",
            "outgoing-byte-total",
            &self.outgoing_bytes,
        );
        meter(
            &mut p,
            "incoming-byte-rate",
            "incoming-byte-total",
            &self.incoming_bytes,
        );
        let mut topics: Vec<_> = self.topics.iter().collect();
        topics.sort_by(|a, b| a.0.cmp(b.0));
        for (topic, t) in topics {
            let tags = || {
                vec![
                    ("client-id", client.to_owned()),
                    ("topic", topic.to_string()),
                ]
            };
            let mut t_out = |name, value| out.push(Metric::new(TOPIC, name, tags(), value));
            t_out("record-send-rate", t.record_send.rate(w, now));
            t_out("record-send-total", t.record_send.total);
            t_out("record-error-rate", t.record_error.rate(w, now));
            t_out("record-error-total", t.record_error.total);
            t_out("record-retry-rate", t.record_retry.rate(w, now));
            t_out("record-retry-total", t.record_retry.total);
            t_out("byte-rate", t.bytes.rate(w, now));
            t_out("byte-total", t.bytes.total);
            t_out("compression-rate", t.compression.avg(w, now));
        }
        let mut nodes: Vec<_> = self.nodes.iter().collect();
        nodes.sort_by_key(|(id, _)| **id);
        for (id, n) in nodes {
            let tags = || {
                vec![
                    ("client-id", client.to_owned()),
                    ("node-id", format!("node-{id}")),
                ]
            };
            let mut n_out = |name, value| out.push(Metric::new(NODE, name, tags(), value));
            n_out("request-latency-avg", n.request_latency.avg(w, now));
            n_out("request-latency-max", n.request_latency.max(w, now));
            n_out("outgoing-byte-rate", n.outgoing_bytes.rate(w, now));
            n_out("outgoing-byte-total", n.outgoing_bytes.total);
        }
        out
    }
}

/// The producer-wide group.
pub(crate) const PRODUCER: &str = "producer-metrics";
/// Per topic (tag `topic`).
pub(crate) const TOPIC: &str = "producer-topic-metrics";
/// Per broker (tag `node-id`, `node-<id>` as in Java).
pub(crate) const NODE: &str = "producer-node-metrics";

/// Values the snapshot reads from outside the sensors.
pub(crate) struct Gauges {
    pub(crate) client_id: String,
    pub(crate) requests_in_flight: u64,
    pub(crate) buffer_total: usize,
    pub(crate) buffer_available: usize,
    pub(crate) bufferpool_wait_ns: u64,
    pub(crate) connections: u64,
}
