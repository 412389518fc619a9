//! The producer end to end against librdkafka's mock cluster and tansu,
//! always read back by the rdkafka consumer.

mod common;

use common::{consume_all, mock_cluster, Tansu};
use kafka_sync::partitioner::key_partition;
use kafka_sync::{Compression, Producer, ProducerConfig, ProducerRecord, Refusal};
use std::collections::HashMap;
use std::time::Duration;

fn config(bootstrap: &str) -> kafka_sync::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(10))
}

fn produce_and_check(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    n: usize,
    compression: Compression,
) {
    let producer: Producer<String, String> =
        Producer::new(config(bootstrap).compression(compression).build().unwrap()).unwrap();
    let mut handles = Vec::new();
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..n {
        let rec = ProducerRecord::new(topic, format!("value-{i}")).key(format!("key-{}", i % 50));
        if i % 2 == 0 {
            handles.push(producer.send(rec).unwrap());
        } else {
            let tx = tx.clone();
            producer
                .send_with_callback(rec, move |r| tx.send(r).unwrap())
                .unwrap();
        }
    }
    drop(tx);
    for h in handles {
        let md = h.wait().expect("delivered");
        assert_eq!(&*md.topic, topic);
        assert!(md.offset >= 0);
    }
    let callbacks: Vec<_> = rx.iter().collect();
    assert_eq!(callbacks.len(), n / 2);
    for r in callbacks {
        let md = r.expect("delivered");
        assert!(md.offset >= 0);
    }
    producer.flush().unwrap();
    let m = producer.counters();
    assert_eq!(m.records_sent as usize, n);
    assert_eq!(m.records_failed, 0);
    producer.close(Duration::from_secs(10));

    let parts: Vec<i32> = (0..partitions).collect();
    let got = consume_all(bootstrap, topic, &parts, n, Duration::from_secs(30));
    let mut per_partition: HashMap<i32, Vec<usize>> = HashMap::new();
    for c in &got {
        let key = c.key.clone().unwrap();
        assert_eq!(
            c.partition,
            key_partition(&key, partitions),
            "key {} landed where Java would not put it",
            String::from_utf8_lossy(&key)
        );
        let v = String::from_utf8(c.value.clone().unwrap()).unwrap();
        per_partition
            .entry(c.partition)
            .or_default()
            .push(v.trim_start_matches("value-").parse().unwrap());
    }
    for (p, values) in per_partition {
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "partition {p} out of order"
        );
    }
}

#[test]
fn produces_to_mock_cluster_and_reads_back() {
    let cluster = mock_cluster(3, &[("basic", 4)]);
    produce_and_check(
        &cluster.bootstrap_servers(),
        "basic",
        4,
        2000,
        Compression::None,
    );
}

#[test]
fn produces_compressed_to_mock_cluster() {
    let cluster = mock_cluster(3, &[("basic-lz4", 3), ("basic-zstd", 3)]);
    produce_and_check(
        &cluster.bootstrap_servers(),
        "basic-lz4",
        3,
        1000,
        Compression::Lz4,
    );
    produce_and_check(
        &cluster.bootstrap_servers(),
        "basic-zstd",
        3,
        1000,
        Compression::Zstd,
    );
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn produces_to_tansu_and_reads_back() {
    let Some(tansu) = Tansu::start() else { return };
    tansu.create_topic("basic", 3);
    produce_and_check(&tansu.bootstrap, "basic", 3, 2000, Compression::Snappy);
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn unknown_topic_times_out_with_a_clear_error_and_gives_the_record_back() {
    let Some(tansu) = Tansu::start() else { return };
    let producer: Producer<String, String> = Producer::new(
        config(&tansu.bootstrap)
            .max_block(Duration::from_millis(1500))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = producer
        .send(ProducerRecord::new("no-such-topic", "v".to_string()))
        .unwrap_err();
    assert!(
        matches!(err.error, Refusal::MetadataTimeout { .. }),
        "{}",
        err.error
    );
    assert_eq!(err.record.value.as_deref(), Some("v"));
}

#[test]
fn send_bytes_copies_a_reused_buffer_and_keys_partition_as_send_does() {
    let cluster = mock_cluster(1, &[("bytes", 3)]);
    let bootstrap = cluster.bootstrap_servers();
    // A String producer: send_bytes bypasses its serializers.
    let producer: Producer<String, String> =
        Producer::new(config(&bootstrap).build().unwrap()).unwrap();
    let mut buf = Vec::new();
    let mut handles = Vec::new();
    for i in 0..300u32 {
        buf.clear();
        buf.extend_from_slice(format!("k{}|v{i}", i % 7).as_bytes());
        let split = buf.iter().position(|b| *b == b'|').unwrap();
        let rec = ProducerRecord::new("bytes", &buf[split + 1..]).key(&buf[..split]);
        handles.push(producer.send_bytes(rec).unwrap());
    }
    let partitions: Vec<i32> = handles
        .into_iter()
        .map(|h| h.wait().unwrap().partition)
        .collect();
    let got = consume_all(
        &bootstrap,
        "bytes",
        &[0, 1, 2],
        300,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), 300);
    for r in &got {
        let key = String::from_utf8(r.key.clone().unwrap()).unwrap();
        let value = String::from_utf8(r.value.clone().unwrap()).unwrap();
        let i: usize = value[1..].parse().unwrap();
        assert_eq!(key, format!("k{}", i % 7), "the bytes of that send");
        assert_eq!(r.partition, key_partition(key.as_bytes(), 3));
        assert_eq!(partitions[i], r.partition);
    }
}
