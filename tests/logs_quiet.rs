//! What the producer logs (issue 14 item 4), against librdkafka's mock
//! cluster: a clean 100,000-record run is quiet at `info`, and a retry is
//! logged once, at `warn`, with the client id, the topic-partition and the
//! error's name.

mod common;

use common::faults::Mock;
use common::log_capture;
use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use rdkafka::types::RDKafkaRespErr;
use std::time::Duration;

fn show(lines: &[String]) -> String {
    lines.iter().map(|l| format!("\n  {l}")).collect()
}

#[test]
fn a_hundred_thousand_records_log_fewer_than_twenty_lines_at_info() {
    log_capture::init();
    let mock = Mock::new(3, "logs-quiet", 3);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .client_id("logs-quiet-100k")
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    let n = 100_000;
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let mut rec = ProducerRecord::new("logs-quiet", format!("v{i}"));
        if i % 3 == 0 {
            rec = rec.key(format!("k{}", i % 100));
        }
        handles.push(producer.send(rec).unwrap());
    }
    producer.flush().unwrap();
    for h in handles {
        h.wait().unwrap();
    }
    producer.close(Duration::from_secs(10));
    let lines = log_capture::lines_of("logs-quiet-100k");
    eprintln!("{} lines at info and above:{}", lines.len(), show(&lines));
    assert!(
        lines.len() < 20,
        "{} lines at info and above:{}",
        lines.len(),
        show(&lines)
    );
    let cluster_id = lines.iter().filter(|l| l.contains("Cluster ID: ")).count();
    assert_eq!(cluster_id, 1, "cluster id logged once:{}", show(&lines));
}

#[test]
fn a_retry_is_logged_once_with_client_id_topic_partition_and_error() {
    log_capture::init();
    let mock = Mock::new(1, "logs-retry", 1);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .client_id("logs-retry-client")
        .retry_backoff(Duration::from_millis(10))
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    let send = |v: &str| {
        producer
            .send(ProducerRecord::new("logs-retry", v.to_string()))
            .unwrap()
            .wait()
    };
    send("warm").unwrap();
    mock.produce_errors(&[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS]);
    send("retried").unwrap();
    producer.close(Duration::from_secs(10));
    let lines = log_capture::lines_of("logs-retry-client");
    let retries: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("WARN ") && l.contains("retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "one retry line:{}", show(&lines));
    let line = retries[0];
    eprintln!("retry logged as: {line}");
    for part in [
        "[Producer clientId=logs-retry-client] ",
        "topic-partition logs-retry-0",
        "NOT_ENOUGH_REPLICAS",
        "node 1",
        "attempt 1",
    ] {
        assert!(line.contains(part), "{part:?} missing in {line}");
    }
}
