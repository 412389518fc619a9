//! Smoke test of the real-Kafka harness (temporary).
mod common;

use common::kafka::{KafkaCluster, Version};
use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use std::time::Duration;

#[test]
fn produce_and_read_back_on_kafka4() {
    let Some(k) = KafkaCluster::shared(Version::V4) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("smoke", 3);
    let cfg = ProducerConfig::builder()
        .bootstrap_servers(&k.proxied_bootstrap)
        .build()
        .unwrap();
    let p: Producer<String, String> = Producer::new(cfg).unwrap();
    for i in 0..1000 {
        p.send(ProducerRecord::new(topic.as_str(), format!("v{i}")).key(format!("k{}", i % 7)))
            .unwrap();
    }
    p.flush();
    p.close(Duration::from_secs(5));
    let got = common::consume_all(
        &k.bootstrap,
        &topic,
        &[0, 1, 2],
        1000,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), 1000);
    for id in k.node_ids() {
        eprintln!(
            "node {id} versions: {:?}",
            k.with_proxy(id, |p| p.versions_seen())
        );
    }
}
