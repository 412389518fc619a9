//! With the `metrics` feature: the producer's metrics reported through the
//! [`metrics`] crate facade, to whatever recorder the application installed
//! (a Prometheus exporter, StatsD, ...).
//!
//! Once per [`INTERVAL`] the sender thread publishes every metric of
//! [`Producer::metrics`](crate::Producer::metrics) as
//! `kafka.producer.<java-name>`, its tags as labels with `-` turned into `_`
//! (`client_id`, `topic`, `node_id`): `-total` metrics as counters (their
//! absolute value), the others as gauges (an average or maximum of an empty
//! window is not published). Three distributions are histograms, recorded
//! as they happen: `kafka.producer.request-latency` (ms, per response),
//! `kafka.producer.batch-size` (bytes, per batch sent) and
//! `kafka.producer.record-queue-time` (ms, per batch sent). Nothing is
//! recorded per record.

use super::Metric;
use metrics::{Histogram, Label};
use std::time::Duration;

/// How often the sender thread publishes.
pub(crate) const INTERVAL: Duration = Duration::from_secs(1);

/// The metric name of a Java metric.
fn name(java: &str) -> String {
    format!("kafka.producer.{java}")
}

/// Java's tags as labels: `client-id` becomes `client_id`.
fn labels(tags: &[(&'static str, String)]) -> Vec<Label> {
    tags.iter()
        .map(|(k, v)| Label::new(k.replace('-', "_"), v.clone()))
        .collect()
}

/// Reports `metrics` to the installed recorder.
pub(crate) fn publish(metrics: &[Metric]) {
    for m in metrics {
        if m.name.ends_with("-total") {
            let v = if m.value.is_finite() && m.value > 0.0 {
                m.value as u64
            } else {
                0
            };
            metrics::counter!(name(m.name), labels(&m.tags)).absolute(v);
        } else if !m.value.is_nan() {
            metrics::gauge!(name(m.name), labels(&m.tags)).set(m.value);
        }
    }
}

/// Handles of the histograms the sender records into as things happen.
/// They are taken again at each publication, so a recorder installed after
/// the producer was built receives them within an [`INTERVAL`].
#[derive(Debug, Clone)]
pub(crate) struct Histograms {
    pub(crate) request_latency: Histogram,
    pub(crate) batch_size: Histogram,
    pub(crate) record_queue_time: Histogram,
}

impl Histograms {
    /// The handles for client `client_id`.
    pub(crate) fn new(client_id: &str) -> Self {
        let l = || vec![Label::new("client_id", client_id.to_string())];
        Histograms {
            request_latency: metrics::histogram!(name("request-latency"), l()),
            batch_size: metrics::histogram!(name("batch-size"), l()),
            record_queue_time: metrics::histogram!(name("record-queue-time"), l()),
        }
    }
}
