//! The producer's metrics: the Java client's metrics by their Java names
//! ([`Producer::metrics`](crate::Producer::metrics)), and a few plain
//! counters ([`Producer::counters`](crate::Producer::counters)).
//!
//! Groups and tags are Java's: `producer-metrics` (tag `client-id`),
//! `producer-topic-metrics` (tags `client-id`, `topic`) and
//! `producer-node-metrics` (tags `client-id`, `node-id` as `node-<id>`).
//! Rates are per second over the window `metrics.sample.window.ms` ×
//! `metrics.num.samples`; averages and maxima cover that window too and
//! are `NaN` when nothing was recorded in it, as in Java; `-total` values
//! count since the producer started. Times are in milliseconds
//! (`metadata-age` in seconds), sizes in bytes.
//!
//! ```no_run
//! use kafka_sync::{Producer, ProducerConfig};
//! let producer: Producer = Producer::new(ProducerConfig::builder()
//!     .bootstrap_servers("localhost:9092")
//!     .build()?)?;
//! let m = producer.metrics();
//! println!("{:?}", m.get("producer-metrics", "record-send-rate"));
//! println!("{:?}", m.get_tagged("producer-topic-metrics", "byte-total", "topic", "events"));
//! print!("{m}"); // every metric, one per line, as Java's tools print them
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod counters;
#[cfg(feature = "metrics")]
pub(crate) mod export;
pub(crate) mod sensors;
pub(crate) mod stat;

pub(crate) use counters::Metrics;
pub use counters::MetricsSnapshot;

/// One metric: its group, name, tags and value at the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// `producer-metrics`, `producer-topic-metrics` or `producer-node-metrics`.
    pub group: &'static str,
    /// The Java client's name, e.g. `record-send-rate`.
    pub name: &'static str,
    /// `client-id` first, then `topic` or `node-id` for those groups.
    pub tags: Vec<(&'static str, String)>,
    /// The value (`NaN` for an average or maximum of nothing).
    pub value: f64,
}

impl Metric {
    pub(crate) fn new(
        group: &'static str,
        name: &'static str,
        tags: Vec<(&'static str, String)>,
        value: f64,
    ) -> Self {
        Metric {
            group,
            name,
            tags,
            value,
        }
    }

    /// The value of tag `key`, if the metric has it.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// for m in producer.metrics().iter().filter(|m| m.group == "producer-node-metrics") {
    ///     println!("{} {:?} = {}", m.name, m.tag("node-id"), m.value);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Every metric of a producer at one instant
/// ([`Producer::metrics`](crate::Producer::metrics)).
#[derive(Debug, Clone, Default)]
pub struct ProducerMetrics {
    metrics: Vec<Metric>,
}

impl ProducerMetrics {
    pub(crate) fn new(metrics: Vec<Metric>) -> Self {
        ProducerMetrics { metrics }
    }

    /// All metrics: the producer-wide group first, then per topic (by
    /// name), then per node (by id).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// for m in producer.metrics().iter() {
    ///     println!("{}:{} {:?} = {}", m.group, m.name, m.tags, m.value);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Metric> {
        self.metrics.iter()
    }

    /// How many metrics there are.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let m = producer.metrics();
    /// println!("{} metrics", m.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.metrics.len()
    }

    /// Whether there are none.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// assert!(!producer.metrics().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// The value of the first metric of `group` named `name`; for the
    /// producer-wide group, the only one.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let m = producer.metrics();
    /// let avg = m.get("producer-metrics", "request-latency-avg").unwrap_or(f64::NAN);
    /// println!("average request latency {avg:.1} ms");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, group: &str, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.group == group && m.name == name)
            .map(|m| m.value)
    }

    /// The value of the metric of `group` named `name` whose tag `key` is
    /// `value` (e.g. `"topic", "events"` or `"node-id", "node-1"`).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let m = producer.metrics();
    /// let total = m.get_tagged("producer-topic-metrics", "record-send-total", "topic", "events");
    /// println!("{total:?} records of events acknowledged");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_tagged(&self, group: &str, name: &str, key: &str, value: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.group == group && m.name == name && m.tag(key) == Some(value))
            .map(|m| m.value)
    }
}

impl<'a> IntoIterator for &'a ProducerMetrics {
    type Item = &'a Metric;
    type IntoIter = std::slice::Iter<'a, Metric>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// One line per metric, as the Java tools' `--print-metrics` prints them:
/// `group:name:{tag=value, ...} : value`.
impl std::fmt::Display for ProducerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<(String, f64)> = self
            .metrics
            .iter()
            .map(|m| {
                let tags: Vec<String> = m.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                (
                    format!("{}:{}:{{{}}}", m.group, m.name, tags.join(", ")),
                    m.value,
                )
            })
            .collect();
        let width = lines.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        writeln!(f, "{:<width$}   Value", "Metric Name")?;
        for (name, value) in lines {
            writeln!(f, "{name:<width$} : {value:.3}")?;
        }
        Ok(())
    }
}
