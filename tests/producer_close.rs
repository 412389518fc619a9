//! `close(Duration::ZERO)` as in the Java client: records not yet sent fail
//! at once with `Closed { may_have_persisted: false }`, nothing new is
//! written, and the call returns at once. Against librdkafka's mock cluster,
//! read back by the rdkafka consumer.

mod common;

use common::{consume_all, mock_cluster};
use kafka_sync::{DeliveryError, Producer, ProducerConfig, ProducerRecord};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

const TOPIC: &str = "close-zero";

#[test]
fn close_with_a_zero_timeout_fails_unsent_records_at_once_and_writes_nothing_new() {
    let cluster = mock_cluster(1, &[(TOPIC, 2)]);
    let bootstrap = cluster.bootstrap_servers();
    let config = ProducerConfig::builder()
        .bootstrap_servers(&bootstrap)
        .linger(Duration::from_secs(30))
        .request_timeout(Duration::from_secs(5))
        .delivery_timeout(Duration::from_secs(60))
        .max_block(Duration::from_secs(10))
        .build()
        .unwrap();
    let producer: Producer<String, String> = Producer::new(config).unwrap();
    // One record per partition, flushed: the leader's connection is up, so
    // the records below could go out at once if close sent them.
    let warm: Vec<_> = (0..2)
        .map(|p| {
            let rec = ProducerRecord::new(TOPIC, format!("warm-{p}")).partition(p);
            producer.send(rec).unwrap()
        })
        .collect();
    producer.flush().unwrap();
    for h in warm {
        h.wait().expect("warm-up record delivered");
    }
    // Lingering for 30 s: not sent yet.
    let handles: Vec<_> = (0..100)
        .map(|i| {
            let rec = ProducerRecord::new(TOPIC, format!("v{i}")).partition(i % 2);
            producer.send(rec).unwrap()
        })
        .collect();
    let (tx, rx) = channel();
    for i in 0..100 {
        let tx = tx.clone();
        let rec = ProducerRecord::new(TOPIC, format!("cb{i}")).partition(i % 2);
        producer
            .send_with_callback(rec, move |r| tx.send(r).unwrap())
            .unwrap();
    }
    drop(tx);
    let t0 = Instant::now();
    producer.close(Duration::ZERO);
    let took = t0.elapsed();
    println!("close(Duration::ZERO) returned after {took:?}");
    assert!(took < Duration::from_secs(5), "close(0) took {took:?}");
    let closed = |r: &Result<kafka_sync::RecordMetadata, DeliveryError>| {
        matches!(
            r,
            Err(DeliveryError::Closed {
                may_have_persisted: false
            })
        )
    };
    for (i, h) in handles.iter().enumerate() {
        let r = h.wait_timeout(Duration::ZERO).expect("completed by close");
        assert!(closed(&r), "record {i}: {r:?}");
    }
    let callbacks: Vec<_> = rx.try_iter().collect();
    assert_eq!(
        callbacks.len(),
        100,
        "every callback ran once, before close returned"
    );
    assert!(
        callbacks.iter().all(closed),
        "{:?}",
        callbacks.iter().find(|r| !closed(r))
    );
    // Only the two warm-up records are in the log.
    let got = consume_all(&bootstrap, TOPIC, &[0, 1], 2, Duration::from_secs(20));
    assert!(got
        .iter()
        .all(|c| c.value.as_deref().is_some_and(|v| v.starts_with(b"warm-"))));
}
