//! One clock for caller threads and the sender: with a `ManualClock`
//! injected (`ProducerBuilder::clock`), `linger.ms` and `delivery.timeout.ms`
//! of records appended by `send` count on that clock, not on the system's;
//! a thread waiting on a handle ends its batch's linger (`wait.sends.batch`).
//! Against librdkafka's mock cluster.

mod common;

use common::mock_cluster;
use kafka_sync::clock::ManualClock;
use kafka_sync::{DeliveryError, Producer, ProducerConfig, ProducerRecord};
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

fn producer(bootstrap: &str, clock: &ManualClock, linger: Duration) -> Producer<String, String> {
    producer_with(bootstrap, clock, linger, true)
}

fn producer_with(
    bootstrap: &str,
    clock: &ManualClock,
    linger: Duration,
    wait_sends_batch: bool,
) -> Producer<String, String> {
    let config = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .wait_sends_batch(wait_sends_batch)
        .linger(linger)
        .request_timeout(Duration::from_secs(30))
        .delivery_timeout(2 * HOUR)
        .max_block(Duration::from_secs(10))
        .build()
        .unwrap();
    Producer::builder(config)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

#[test]
fn linger_counts_on_the_injected_clock_for_records_sent_by_callers() {
    let cluster = mock_cluster(1, &[("clock-linger", 1)]);
    let clock = ManualClock::new();
    // The injected clock is far ahead of the system clock: a batch stamped
    // by the system clock would look ten hours old (past linger.ms and
    // delivery.timeout.ms) at once.
    clock.advance(10 * HOUR);
    let producer = producer(&cluster.bootstrap_servers(), &clock, HOUR);
    let handle = producer
        .send(ProducerRecord::new("clock-linger", "v".to_string()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !handle.is_done(),
        "the record completed before linger.ms passed on the injected clock: {:?}",
        handle.wait_timeout(Duration::ZERO)
    );
    clock.advance(HOUR - Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!handle.is_done(), "sent a second before linger.ms passed");
    clock.advance(Duration::from_secs(1)); // wakes the sender
    let md = handle
        .wait_timeout(Duration::from_secs(10))
        .expect("sent once linger.ms passed on the injected clock")
        .expect("delivered");
    assert_eq!(md.offset, 0);
    producer.close(Duration::from_secs(5));
}

/// `wait.sends.batch` (on by default): a thread blocking on a handle ends
/// its batch's linger once the batch is 200 µs old; the injected clock
/// moves 1 ms here, far from `linger.ms`, so only that can send it. Off,
/// the batch waits for `linger.ms` on that clock.
#[test]
fn a_waiting_thread_ends_its_batchs_linger_unless_wait_sends_batch_is_off() {
    let cluster = mock_cluster(1, &[("clock-wait", 1)]);
    let clock = ManualClock::new();
    let producer = producer(&cluster.bootstrap_servers(), &clock, HOUR);
    for i in 0..3 {
        let handle = producer
            .send(ProducerRecord::new("clock-wait", format!("v{i}")))
            .unwrap();
        // Past the awaited batch's grace (200 µs), far from linger.ms.
        clock.advance(Duration::from_millis(1));
        let md = handle
            .wait_timeout(Duration::from_secs(10))
            .expect("a waited-for batch goes before linger.ms")
            .expect("delivered");
        assert_eq!(md.offset, i);
    }
    producer.close(Duration::from_secs(5));

    let lingering = producer_with(&cluster.bootstrap_servers(), &clock, HOUR, false);
    let handle = lingering
        .send(ProducerRecord::new("clock-wait", "late".to_string()))
        .unwrap();
    clock.advance(Duration::from_millis(1));
    assert!(
        handle.wait_timeout(Duration::from_millis(500)).is_none(),
        "wait.sends.batch=false: the batch waits out linger.ms"
    );
    clock.advance(HOUR);
    let md = handle
        .wait_timeout(Duration::from_secs(10))
        .expect("sent once linger.ms passed")
        .expect("delivered");
    assert_eq!(md.offset, 3);
    lingering.close(Duration::from_secs(5));
}

#[test]
fn delivery_timeout_counts_on_the_injected_clock_for_records_sent_by_callers() {
    let cluster = mock_cluster(1, &[("clock-expiry", 1)]);
    let clock = ManualClock::new();
    clock.advance(10 * HOUR);
    let producer = producer(&cluster.bootstrap_servers(), &clock, Duration::ZERO);
    producer
        .send(ProducerRecord::new("clock-expiry", "warm".to_string()))
        .unwrap()
        .wait()
        .expect("delivered while the broker is up");
    cluster.broker_down(1).unwrap();
    let handle = producer
        .send(ProducerRecord::new("clock-expiry", "v".to_string()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !handle.is_done(),
        "failed before delivery.timeout.ms passed on the injected clock: {:?}",
        handle.wait_timeout(Duration::ZERO)
    );
    clock.advance(2 * HOUR + Duration::from_secs(1));
    let err = handle
        .wait_timeout(Duration::from_secs(10))
        .expect("expired once delivery.timeout.ms passed on the injected clock")
        .unwrap_err();
    match err {
        DeliveryError::DeliveryTimeout { after, .. } => {
            println!("expired after {after:?} on the injected clock");
            assert!(after >= 2 * HOUR && after < 2 * HOUR + Duration::from_secs(60));
        }
        other => panic!("expected a delivery timeout, got {other}"),
    }
    producer.close(Duration::ZERO);
}
