//! Plain counters the producer keeps, and their snapshot; the sensors
//! behind the Java metrics.

use super::sensors::Sensors;
use super::stat::Window;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Live counters, updated by the sender thread (and callers for appends).
#[derive(Debug)]
pub(crate) struct Metrics {
    /// The Java metrics' records (sender thread; read by `metrics()`).
    pub(crate) sensors: Mutex<Sensors>,
    /// Ready connections now.
    pub(crate) connections: AtomicU64,
    pub(crate) records_sent: AtomicU64,
    pub(crate) records_failed: AtomicU64,
    pub(crate) batches_sent: AtomicU64,
    pub(crate) batches_retried: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) requests_sent: AtomicU64,
    pub(crate) request_latency_us_total: AtomicU64,
    pub(crate) responses: AtomicU64,
    pub(crate) in_flight_requests: AtomicU64,
    pub(crate) leader_hints_used: AtomicU64,
    pub(crate) produce_throttle_time_ms_total: AtomicU64,
    pub(crate) produce_throttle_time_max_ms: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(Duration::from_secs(30), 2)
    }
}

impl Metrics {
    /// Counters whose windowed stats use `metrics.sample.window.ms` and
    /// `metrics.num.samples`.
    pub(crate) fn new(window: Duration, samples: usize) -> Self {
        Metrics {
            sensors: Mutex::new(Sensors::new(Window {
                size: window,
                samples,
            })),
            connections: AtomicU64::new(0),
            records_sent: AtomicU64::new(0),
            records_failed: AtomicU64::new(0),
            batches_sent: AtomicU64::new(0),
            batches_retried: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            requests_sent: AtomicU64::new(0),
            request_latency_us_total: AtomicU64::new(0),
            responses: AtomicU64::new(0),
            in_flight_requests: AtomicU64::new(0),
            leader_hints_used: AtomicU64::new(0),
            produce_throttle_time_ms_total: AtomicU64::new(0),
            produce_throttle_time_max_ms: AtomicU64::new(0),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}

/// A point-in-time copy of the producer's plain counters
/// ([`Producer::counters`](crate::Producer::counters)); the Java client's
/// metrics are [`ProducerMetrics`](super::ProducerMetrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Records acknowledged (or sent, with `acks=0`).
    pub records_sent: u64,
    /// Records that failed for good.
    pub records_failed: u64,
    /// Batches acknowledged.
    pub batches_sent: u64,
    /// Batch attempts that were retried.
    pub batches_retried: u64,
    /// Record-batch bytes written in Produce requests (retries included).
    pub bytes_sent: u64,
    /// Produce requests written.
    pub requests_sent: u64,
    /// Mean Produce round trip in microseconds (0 before the first response).
    pub request_latency_avg_us: u64,
    /// Produce requests written and not yet answered.
    pub in_flight_requests: u64,
    /// Bytes of `buffer.memory` in use.
    pub buffer_used_bytes: u64,
    /// The whole `buffer.memory`.
    pub buffer_total_bytes: u64,
    /// Partition leaders learned from a Produce response's leader hint
    /// (`NOT_LEADER_OR_FOLLOWER` with `current_leader`, KIP-951) rather
    /// than from a Metadata response.
    pub leader_hints_used: u64,
    /// Mean `throttle_time_ms` of Produce responses (0 before the first),
    /// as the Java client's `produce-throttle-time-avg`: how long brokers
    /// asked this producer to hold back for quotas (KIP-219). A throttled
    /// broker is sent nothing until that time has passed.
    pub produce_throttle_time_avg_ms: u64,
    /// Largest `throttle_time_ms` of a Produce response so far (the Java
    /// client's `produce-throttle-time-max`).
    pub produce_throttle_time_max_ms: u64,
}

impl Metrics {
    pub(crate) fn snapshot(&self, buffer_used: usize, buffer_total: usize) -> MetricsSnapshot {
        let responses = self.responses.load(Relaxed);
        MetricsSnapshot {
            records_sent: self.records_sent.load(Relaxed),
            records_failed: self.records_failed.load(Relaxed),
            batches_sent: self.batches_sent.load(Relaxed),
            batches_retried: self.batches_retried.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            requests_sent: self.requests_sent.load(Relaxed),
            request_latency_avg_us: self
                .request_latency_us_total
                .load(Relaxed)
                .checked_div(responses)
                .unwrap_or(0),
            in_flight_requests: self.in_flight_requests.load(Relaxed),
            buffer_used_bytes: buffer_used as u64,
            buffer_total_bytes: buffer_total as u64,
            leader_hints_used: self.leader_hints_used.load(Relaxed),
            produce_throttle_time_avg_ms: self
                .produce_throttle_time_ms_total
                .load(Relaxed)
                .checked_div(responses)
                .unwrap_or(0),
            produce_throttle_time_max_ms: self.produce_throttle_time_max_ms.load(Relaxed),
        }
    }
}
