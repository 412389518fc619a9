//! Idempotence after a lost request, against tansu (which checks sequence
//! numbers strictly), through the harness's fault proxy
//! ([`common::proxy::FaultProxy::swallow_requests`]).
//!
//! A batch that was sealed with a sequence number, sent, never reached the
//! broker, and then expired leaves a hole in the partition's sequence. The
//! Java client bumps the producer epoch (KIP-360) or takes a new producer id
//! and restarts the partition's sequence at 0, so later records are
//! delivered. A producer that keeps counting gets OUT_OF_ORDER_SEQUENCE_NUMBER
//! for every later batch of that partition.

mod common;

use common::consume_all;
use common::proxy::TansuBehindProxy;
use kafka_sync::{DeliveryError, Producer, ProducerConfig, ProducerRecord};
use std::time::Duration;

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn later_records_are_delivered_after_a_lost_sequenced_batch_expired() {
    // Every connection, bootstrap and leader, goes through the proxy.
    let Some(tansu) = TansuBehindProxy::start("gap", 1) else {
        return;
    };
    let (proxy, bootstrap) = (&tansu.proxy, tansu.bootstrap.clone());
    let delivery_timeout = Duration::from_millis(1500);
    let producer: Producer<String, String> = Producer::new(
        ProducerConfig::builder()
            .bootstrap_servers(&bootstrap)
            .linger(Duration::ZERO)
            .max_block(Duration::from_secs(5))
            .request_timeout(Duration::from_millis(500))
            .delivery_timeout(delivery_timeout)
            .retry_backoff(Duration::from_millis(50))
            .reconnect_backoff(Duration::from_millis(50))
            .reconnect_backoff_max(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap();
    producer
        .send(ProducerRecord::new("gap", "before".to_string()))
        .unwrap()
        .wait()
        .expect("delivered through the proxy");

    // This one is sent (with the next sequence number) and swallowed.
    proxy.swallow_requests(true);
    let err = producer
        .send(ProducerRecord::new("gap", "lost".to_string()))
        .unwrap()
        .wait_timeout(delivery_timeout + Duration::from_secs(3))
        .expect("expired in time")
        .expect_err("never reached the broker");
    println!("lost: {err}");
    assert!(
        matches!(err, DeliveryError::DeliveryTimeout { .. }),
        "{err}"
    );
    assert!(err.may_have_persisted(), "it was sent: {err:?}");

    proxy.swallow_requests(false);
    let mut results = Vec::new();
    for i in 0..3 {
        let r = producer
            .send(ProducerRecord::new("gap", format!("after-{i}")))
            .unwrap()
            .wait_timeout(Duration::from_secs(5))
            .expect("completed");
        println!("after-{i}: {r:?}");
        results.push(r);
    }
    producer.close(Duration::from_secs(5));
    for (i, r) in results.iter().enumerate() {
        assert!(
            r.is_ok(),
            "after-{i} was not delivered: {:?}",
            r.as_ref().unwrap_err()
        );
    }
    let got = consume_all(&bootstrap, "gap", &[0], 4, Duration::from_secs(15));
    let values: Vec<String> = got
        .iter()
        .map(|c| String::from_utf8(c.value.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(values, ["before", "after-0", "after-1", "after-2"]);
}
