//! The Java client's metrics (`Producer::metrics`) after real runs against
//! librdkafka's mock cluster: the values agree with what was sent, what
//! the rdkafka consumer reads back, and what failed or was retried.

mod common;

use common::consume_all;
use common::faults::Mock;
use kafka_sync::{Producer, ProducerConfig, ProducerMetrics, ProducerRecord};
use rdkafka::types::RDKafkaRespErr;
use std::time::Duration;

const P: &str = "producer-metrics";
const T: &str = "producer-topic-metrics";
const N: &str = "producer-node-metrics";

fn get(m: &ProducerMetrics, group: &str, name: &str) -> f64 {
    m.get(group, name)
        .unwrap_or_else(|| panic!("{group}:{name} missing in\n{m}"))
}

fn topic(m: &ProducerMetrics, name: &str, t: &str) -> f64 {
    m.get_tagged(T, name, "topic", t)
        .unwrap_or_else(|| panic!("{T}:{name} for {t} missing in\n{m}"))
}

#[test]
fn metrics_after_ten_thousand_records_match_what_was_written() {
    let mock = Mock::new(3, "metrics-a", 4);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .client_id("metrics-test")
        .linger(Duration::from_millis(5))
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    let n = 10_000;
    for i in 0..n {
        let rec = ProducerRecord::new("metrics-a", format!("value-{i:05}")).key(format!("k{i}"));
        producer.send(rec).unwrap();
    }
    producer.flush().unwrap();
    let m = producer.metrics();
    let got = consume_all(
        &mock.bootstrap,
        "metrics-a",
        &[0, 1, 2, 3],
        n,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), n, "read back");

    assert_eq!(get(&m, P, "record-send-total"), n as f64);
    assert_eq!(topic(&m, "record-send-total", "metrics-a"), n as f64);
    assert!(get(&m, P, "record-send-rate") > 0.0);
    assert_eq!(get(&m, P, "record-error-total"), 0.0);
    assert_eq!(get(&m, P, "record-retry-total"), 0.0);
    // Every metric carries the client id.
    assert!(m.iter().all(|x| x.tag("client-id") == Some("metrics-test")));
    // Sizes: a record is a few tens of bytes; batches at most batch.size.
    let record_max = get(&m, P, "record-size-max");
    assert!((10.0..100.0).contains(&record_max), "{record_max}");
    let batch_avg = get(&m, P, "batch-size-avg");
    let batch_max = get(&m, P, "batch-size-max");
    assert!(
        batch_avg > record_max && batch_avg <= batch_max,
        "{batch_avg} {batch_max}"
    );
    assert!(batch_max <= 16_384.0 + 100.0, "{batch_max}");
    let per_request = get(&m, P, "records-per-request-avg");
    assert!(per_request > 1.0, "{per_request}");
    assert_eq!(get(&m, P, "compression-rate-avg"), 1.0, "no compression");
    let queue_max = get(&m, P, "record-queue-time-max");
    assert!((0.0..10_000.0).contains(&queue_max), "{queue_max}");
    // Requests and responses: Produce plus Metadata/InitProducerId.
    let requests = get(&m, P, "request-total");
    let responses = get(&m, P, "response-total");
    assert!(requests >= 2.0, "{requests}");
    assert_eq!(requests, responses, "flushed: every request answered");
    assert_eq!(get(&m, P, "requests-in-flight"), 0.0);
    let latency = get(&m, P, "request-latency-avg");
    assert!(latency.is_finite() && latency >= 0.0, "{latency}");
    assert!(get(&m, P, "request-latency-max") >= latency);
    // Bytes: at least the records' own, both ways.
    let out = get(&m, P, "outgoing-byte-total");
    assert!(out > (n * 10) as f64, "{out}");
    assert!(get(&m, P, "incoming-byte-total") > 0.0);
    assert!(topic(&m, "byte-total", "metrics-a") <= out);
    // Buffer: all given back after flush.
    assert_eq!(get(&m, P, "buffer-total-bytes"), 32.0 * 1024.0 * 1024.0);
    assert_eq!(
        get(&m, P, "buffer-available-bytes"),
        get(&m, P, "buffer-total-bytes")
    );
    assert_eq!(get(&m, P, "bufferpool-wait-time-ns-total"), 0.0);
    // Connections: the bootstrap one and the leaders'.
    let count = get(&m, P, "connection-count");
    assert!((1.0..=4.0).contains(&count), "{count}");
    assert!(get(&m, P, "connection-creation-total") >= count);
    let age = get(&m, P, "metadata-age");
    assert!((0.0..60.0).contains(&age), "{age}");
    // Per node: every leader answered.
    let nodes: Vec<_> = m
        .iter()
        .filter(|x| x.group == N && x.name == "outgoing-byte-total")
        .collect();
    assert!(!nodes.is_empty());
    assert!(nodes
        .iter()
        .all(|x| x.tag("node-id").is_some_and(|id| id.starts_with("node-"))));
    let node_bytes: f64 = nodes.iter().map(|x| x.value).sum();
    assert_eq!(node_bytes, out, "per node adds up");
    let text = m.to_string();
    assert!(
        text.contains("producer-metrics:record-send-total:{client-id=metrics-test}"),
        "{text}"
    );
    producer.close(Duration::from_secs(10));
}

#[test]
fn retries_and_errors_are_counted_per_record_and_per_topic() {
    let mock = Mock::new(1, "metrics-b", 1);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .linger(Duration::ZERO)
        .enable_idempotence(false)
        .retry_backoff(Duration::from_millis(10))
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    // Warm up (metadata, connection), then one retriable error, then one
    // that is not retriable.
    producer
        .send(ProducerRecord::new("metrics-b", "warm".to_string()))
        .unwrap()
        .wait()
        .unwrap();
    mock.produce_errors(&[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS]);
    producer
        .send(ProducerRecord::new("metrics-b", "retried".to_string()))
        .unwrap()
        .wait()
        .unwrap();
    mock.produce_errors(&[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED]);
    let failed = producer
        .send(ProducerRecord::new("metrics-b", "failed".to_string()))
        .unwrap()
        .wait();
    assert!(failed.is_err(), "{failed:?}");
    let m = producer.metrics();
    assert_eq!(get(&m, P, "record-send-total"), 2.0);
    assert_eq!(get(&m, P, "record-retry-total"), 1.0);
    assert_eq!(get(&m, P, "record-error-total"), 1.0);
    assert_eq!(topic(&m, "record-retry-total", "metrics-b"), 1.0);
    assert_eq!(topic(&m, "record-error-total", "metrics-b"), 1.0);
    assert!(get(&m, P, "record-error-rate") > 0.0);
    let got = consume_all(
        &mock.bootstrap,
        "metrics-b",
        &[0],
        2,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), 2);
    producer.close(Duration::from_secs(10));
}

#[test]
fn averages_of_nothing_are_nan_as_in_java() {
    let mock = Mock::new(1, "metrics-c", 1);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    let m = producer.metrics();
    assert!(get(&m, P, "batch-size-avg").is_nan());
    assert!(get(&m, P, "record-queue-time-max").is_nan());
    assert_eq!(get(&m, P, "record-send-total"), 0.0);
    assert_eq!(get(&m, P, "record-send-rate"), 0.0);
    assert!(m
        .get_tagged(T, "record-send-total", "topic", "metrics-c")
        .is_none());
    producer.close(Duration::from_secs(10));
}
