//! Limits and failures: a full buffer, unreachable or downed brokers,
//! oversize records, acks=0/1, flush/close semantics and `partitions_for`.
//! Everything that is produced is read back with the rdkafka consumer.

mod common;

use common::{consume_all, mock_cluster};
use kafka_sync::{Acks, DeliveryError, Producer, ProducerConfig, ProducerRecord, Refusal};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn config(bootstrap: &str) -> kafka_sync::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(10))
}

fn value_of(c: &common::Consumed) -> String {
    String::from_utf8(c.value.clone().expect("value")).expect("utf-8 value")
}

/// Lets the producer notice that connections were closed (a broker went
/// down) before the next records are appended.
fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn full_buffer_blocks_for_max_block_then_hands_the_record_back() {
    let cluster = mock_cluster(3, &[("bp", 1)]);
    let bootstrap = cluster.bootstrap_servers();
    let max_block = Duration::from_millis(500);
    let producer: Producer<String, String> = Producer::new(
        config(&bootstrap)
            .buffer_memory(64 * 1024)
            .batch_size(16 * 1024)
            .linger(Duration::ZERO)
            .max_block(max_block)
            .request_timeout(Duration::from_secs(10))
            .delivery_timeout(Duration::from_secs(15))
            .build()
            .unwrap(),
    )
    .unwrap();
    // Metadata, producer id and connection first, at full speed.
    producer
        .send(ProducerRecord::new("bp", "warm-up".to_string()))
        .unwrap()
        .wait()
        .unwrap();

    // Every broker now answers 4 s late: batches stay in flight and keep
    // their memory.
    cluster
        .broker_round_trip_time(-1, Duration::from_secs(4))
        .unwrap();
    let filler = "x".repeat(1024);
    let mut handles = Vec::new();
    let (refused, elapsed) = loop {
        assert!(handles.len() < 200, "64 KiB of buffer never filled up");
        let rec = ProducerRecord::new("bp", format!("{}:{filler}", handles.len()));
        let t0 = Instant::now();
        match producer.send(rec.clone()) {
            Ok(h) => handles.push(h),
            Err(e) => {
                let elapsed = t0.elapsed();
                assert_eq!(e.record, rec, "the refused record is handed back unchanged");
                break (e, elapsed);
            }
        }
    };
    println!(
        "buffer full after {} records; send blocked {elapsed:?}: {}",
        handles.len(),
        refused.error
    );
    assert!(!handles.is_empty());
    match refused.error {
        Refusal::BufferFull { waited } => {
            assert!(waited >= max_block, "waited {waited:?}");
        }
        other => panic!("expected BufferFull, got {other}"),
    }
    assert!(
        elapsed >= max_block && elapsed < Duration::from_secs(2),
        "send blocked {elapsed:?}, max.block.ms is {max_block:?}"
    );

    // try_send never blocks.
    let rec = ProducerRecord::new("bp", "try".to_string()).key("k".to_string());
    let t0 = Instant::now();
    let err = producer.try_send(rec.clone()).unwrap_err();
    let elapsed = t0.elapsed();
    assert!(
        matches!(err.error, Refusal::BufferFull { .. }),
        "try_send: {}",
        err.error
    );
    assert!(
        elapsed < Duration::from_millis(300),
        "try_send took {elapsed:?}"
    );
    assert_eq!(err.record, rec);

    // send_timeout uses its own bound.
    let t0 = Instant::now();
    let err = producer
        .send_timeout(rec.clone(), Duration::from_millis(200))
        .unwrap_err();
    let elapsed = t0.elapsed();
    assert!(matches!(err.error, Refusal::BufferFull { .. }));
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_millis(1500),
        "send_timeout(200 ms) took {elapsed:?}"
    );

    // The brokers recover: everything accepted earlier is delivered.
    cluster.broker_round_trip_time(-1, Duration::ZERO).unwrap();
    let accepted = handles.len();
    for h in handles {
        h.wait_timeout(Duration::from_secs(10))
            .expect("completed after recovery")
            .expect("delivered after recovery");
    }
    // And there is room again.
    producer
        .send_timeout(rec, Duration::from_secs(5))
        .expect("room after recovery")
        .wait()
        .unwrap();
    producer.close(Duration::from_secs(10));

    let got = consume_all(
        &bootstrap,
        "bp",
        &[0],
        accepted + 2,
        Duration::from_secs(15),
    );
    let values: Vec<String> = got.iter().map(value_of).collect();
    assert_eq!(values[0], "warm-up");
    for (i, v) in values[1..=accepted].iter().enumerate() {
        assert_eq!(v, &format!("{i}:{filler}"), "record {i} in order");
    }
    assert_eq!(values[accepted + 1], "try");
}

#[test]
fn unreachable_bootstrap_fails_send_with_metadata_timeout() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let max_block = Duration::from_millis(500);
    let producer: Producer<String, String> = Producer::new(
        config(&format!("127.0.0.1:{port}"))
            .max_block(max_block)
            .request_timeout(Duration::from_millis(500))
            .delivery_timeout(Duration::from_millis(1000))
            .reconnect_backoff(Duration::from_millis(20))
            .reconnect_backoff_max(Duration::from_millis(100))
            .build()
            .unwrap(),
    )
    .unwrap();
    let rec = ProducerRecord::new("nowhere", "v".to_string()).key("k".to_string());
    let t0 = Instant::now();
    let err = producer.send(rec.clone()).unwrap_err();
    let elapsed = t0.elapsed();
    println!("closed port: {} after {elapsed:?}", err.error);
    match &err.error {
        Refusal::MetadataTimeout { topic, waited, .. } => {
            assert_eq!(topic, "nowhere");
            assert!(*waited >= max_block, "waited {waited:?}");
        }
        other => panic!("expected MetadataTimeout, got {other}"),
    }
    assert!(
        elapsed >= max_block && elapsed < Duration::from_millis(1500),
        "send blocked {elapsed:?}"
    );
    assert_eq!(err.record, rec);
    // try_send does not wait for metadata at all.
    let t0 = Instant::now();
    let err = producer.try_send(rec).unwrap_err();
    assert!(matches!(err.error, Refusal::MetadataTimeout { .. }));
    assert!(t0.elapsed() < Duration::from_millis(300));
    // Nothing is buffered: close is quick.
    let t0 = Instant::now();
    producer.close(Duration::from_secs(5));
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "close took {:?}",
        t0.elapsed()
    );
}

/// A producer that gives up quickly: no linger, 1 s request timeout, the
/// given delivery timeout, short backoffs.
fn quick_failing_producer(bootstrap: &str, delivery_timeout: Duration) -> Producer<String, String> {
    Producer::new(
        config(bootstrap)
            .linger(Duration::ZERO)
            .request_timeout(Duration::from_millis(1000))
            .delivery_timeout(delivery_timeout)
            .retry_backoff(Duration::from_millis(50))
            .reconnect_backoff(Duration::from_millis(50))
            .reconnect_backoff_max(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn all_brokers_down_fails_records_with_delivery_timeout() {
    let cluster = mock_cluster(3, &[("down", 3)]);
    let bootstrap = cluster.bootstrap_servers();
    let delivery_timeout = Duration::from_millis(1500);
    let producer = quick_failing_producer(&bootstrap, delivery_timeout);
    producer
        .send(ProducerRecord::new("down", "before".to_string()).partition(0))
        .unwrap()
        .wait()
        .unwrap();
    cluster.broker_down(-1).unwrap();
    settle();

    let t0 = Instant::now();
    let mut handles = Vec::new();
    for i in 0..30 {
        let rec = ProducerRecord::new("down", format!("lost-{i}")).key(format!("k{i}"));
        handles.push(producer.send(rec).expect("metadata known: accepted"));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    producer
        .send_with_callback(
            ProducerRecord::new("down", "lost-cb".to_string()),
            move |r| {
                let _ = tx.send((r, Instant::now()));
            },
        )
        .unwrap();
    let bound = delivery_timeout + Duration::from_millis(1500);
    for h in handles {
        let r = h
            .wait_timeout(bound + Duration::from_secs(2))
            .expect("completed within delivery.timeout.ms + slack");
        let elapsed = t0.elapsed();
        let err = r.expect_err("no broker is up");
        println!(
            "after {elapsed:?}: {err}; may_have_persisted={}",
            err.may_have_persisted()
        );
        assert!(
            matches!(
                err,
                DeliveryError::DeliveryTimeout { .. } | DeliveryError::Broker { .. }
            ),
            "{err}"
        );
        if let DeliveryError::DeliveryTimeout { after, .. } = &err {
            assert!(*after >= delivery_timeout, "expired early: {after:?}");
        }
        assert!(
            !err.may_have_persisted(),
            "records sent after every broker was down were never sent: {err:?}"
        );
        assert!(elapsed <= bound, "failed only after {elapsed:?}");
    }
    let (r, at) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("callback ran");
    let err = r.expect_err("no broker is up");
    assert!(matches!(
        err,
        DeliveryError::DeliveryTimeout { .. } | DeliveryError::Broker { .. }
    ));
    assert!(at.duration_since(t0) <= bound);
    let m = producer.counters();
    assert_eq!(m.records_failed, 31);

    // Back up: the producer recovers, and none of the failed records was written.
    cluster.broker_up(-1).unwrap();
    producer
        .send_timeout(
            ProducerRecord::new("down", "after".to_string()).partition(0),
            Duration::from_secs(5),
        )
        .unwrap()
        .wait_timeout(Duration::from_secs(10))
        .expect("completed after recovery")
        .expect("delivered after recovery");
    producer.close(Duration::from_secs(5));
    let got = consume_all(&bootstrap, "down", &[0, 1, 2], 2, Duration::from_secs(15));
    let values: Vec<String> = got.iter().map(value_of).collect();
    assert_eq!(values, ["before", "after"]);
}

#[test]
fn records_in_flight_when_brokers_go_down_may_have_persisted() {
    let cluster = mock_cluster(3, &[("inflight-down", 1)]);
    let bootstrap = cluster.bootstrap_servers();
    let delivery_timeout = Duration::from_millis(2000);
    let producer = quick_failing_producer(&bootstrap, delivery_timeout);
    producer
        .send(ProducerRecord::new("inflight-down", "before".to_string()))
        .unwrap()
        .wait()
        .unwrap();
    // Requests reach the broker (the mock writes them at once) but the
    // answers are held back; then every broker goes away.
    cluster
        .broker_round_trip_time(-1, Duration::from_secs(3))
        .unwrap();
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for i in 0..5 {
        handles.push(
            producer
                .send(ProducerRecord::new("inflight-down", format!("maybe-{i}")))
                .unwrap(),
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    cluster.broker_down(-1).unwrap();
    for h in handles {
        let err = h
            .wait_timeout(delivery_timeout + Duration::from_secs(3))
            .expect("completed within delivery.timeout.ms + slack")
            .expect_err("no answer ever came");
        let elapsed = t0.elapsed();
        println!(
            "in flight, then down: after {elapsed:?}: {err}; may_have_persisted={}",
            err.may_have_persisted()
        );
        assert!(
            matches!(
                err,
                DeliveryError::DeliveryTimeout { .. } | DeliveryError::Broker { .. }
            ),
            "{err}"
        );
        assert!(
            err.may_have_persisted(),
            "sent and never answered: it may have been written: {err:?}"
        );
        assert!(
            elapsed <= delivery_timeout + Duration::from_millis(1500),
            "{elapsed:?}"
        );
    }
    cluster.broker_round_trip_time(-1, Duration::ZERO).unwrap();
    cluster.broker_up(-1).unwrap();
    producer.close(Duration::from_secs(5));
    // They were in fact written: the flag was right to say so.
    let got = consume_all(
        &bootstrap,
        "inflight-down",
        &[0],
        6,
        Duration::from_secs(15),
    );
    let values: Vec<String> = got.iter().map(value_of).collect();
    assert_eq!(values[0], "before");
    for (i, v) in values[1..].iter().enumerate() {
        assert_eq!(v, &format!("maybe-{i}"));
    }
}

#[test]
fn oversize_record_is_refused_and_a_large_one_gets_its_own_batch() {
    let cluster = mock_cluster(3, &[("big", 1)]);
    let bootstrap = cluster.bootstrap_servers();
    let max_request = 100_000;
    let producer: Producer<String, Vec<u8>> = Producer::new(
        config(&bootstrap)
            .batch_size(16 * 1024)
            .max_request_size(max_request)
            .linger(Duration::from_millis(50))
            .build()
            .unwrap(),
    )
    .unwrap();
    let huge: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let rec = ProducerRecord::new("big", huge).key("huge".to_string());
    let t0 = Instant::now();
    let err = producer.send(rec.clone()).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(2));
    match &err.error {
        Refusal::RecordTooLarge {
            size,
            max,
            property,
        } => {
            assert_eq!(*property, "max.request.size");
            assert_eq!(*max, max_request);
            assert!(*size > 200_000, "size {size}");
        }
        other => panic!("expected RecordTooLarge, got {other}"),
    }
    assert!(
        err.error.to_string().contains("max.request.size"),
        "{}",
        err.error
    );
    assert_eq!(err.record, rec, "the record is handed back");
    let err = producer.try_send(rec).unwrap_err();
    assert!(matches!(err.error, Refusal::RecordTooLarge { .. }));

    // Between batch.size and max.request.size: accepted, in a batch of its own.
    let large: Vec<u8> = (0..50_000u32).map(|i| (i % 253) as u8).collect();
    let small = |s: &str| ProducerRecord::new("big", s.as_bytes().to_vec());
    let h1 = producer.send(small("small-1")).unwrap();
    let h2 = producer
        .send(ProducerRecord::new("big", large.clone()).key("large".to_string()))
        .unwrap();
    let h3 = producer.send(small("small-2")).unwrap();
    let (m1, m2, m3) = (h1.wait().unwrap(), h2.wait().unwrap(), h3.wait().unwrap());
    assert_eq!(m2.serialized_value_size, 50_000);
    assert_eq!((m2.offset, m3.offset), (m1.offset + 1, m1.offset + 2));
    producer.close(Duration::from_secs(10));

    let got = consume_all(&bootstrap, "big", &[0], 3, Duration::from_secs(15));
    assert_eq!(got[0].value.as_deref(), Some(&b"small-1"[..]));
    assert_eq!(got[1].key.as_deref(), Some(&b"large"[..]));
    assert_eq!(
        got[1].value.as_deref(),
        Some(&large[..]),
        "large value intact"
    );
    assert_eq!(got[2].value.as_deref(), Some(&b"small-2"[..]));
}

fn acks_round_trip(acks: Acks, topic: &str, bootstrap: &str) {
    const N: usize = 300;
    let producer: Producer<String, String> = Producer::new(
        config(bootstrap)
            .acks(acks)
            .enable_idempotence(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut handles = Vec::new();
    for i in 0..N {
        let rec = ProducerRecord::new(topic, format!("{i}")).key(format!("k{}", i % 7));
        handles.push(producer.send(rec).unwrap());
    }
    let mut offsets = Vec::new();
    for h in handles {
        let md = h
            .wait_timeout(Duration::from_secs(10))
            .expect("completed")
            .expect("delivered");
        match acks {
            Acks::None => assert_eq!(md.offset, -1, "acks=0: offset unknown"),
            _ => assert!(md.offset >= 0),
        }
        offsets.push((md.partition, md.offset));
    }
    producer.close(Duration::from_secs(10));
    let got = consume_all(bootstrap, topic, &[0, 1, 2], N, Duration::from_secs(15));
    let mut seen = vec![false; N];
    for c in &got {
        let i: usize = value_of(c).parse().unwrap();
        assert!(!seen[i], "{i} twice");
        seen[i] = true;
        assert_eq!(c.key.as_deref(), Some(format!("k{}", i % 7).as_bytes()));
        if acks != Acks::None {
            assert_eq!(offsets[i], (c.partition, c.offset), "metadata of {i}");
        }
    }
}

#[test]
fn acks_zero_delivers_with_unknown_offsets() {
    let cluster = mock_cluster(3, &[("acks0", 3)]);
    acks_round_trip(Acks::None, "acks0", &cluster.bootstrap_servers());
}

#[test]
fn acks_one_delivers_with_offsets() {
    let cluster = mock_cluster(3, &[("acks1", 3)]);
    acks_round_trip(Acks::Leader, "acks1", &cluster.bootstrap_servers());
}

#[test]
fn flush_returns_only_after_every_earlier_record_completed() {
    let cluster = mock_cluster(3, &[("flush", 3)]);
    let bootstrap = cluster.bootstrap_servers();
    // A long linger: only flush makes these go out soon.
    let producer: Producer<String, String> = Producer::new(
        config(&bootstrap)
            .linger(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
    .unwrap();
    let n = 500;
    let mut handles = Vec::new();
    for i in 0..n {
        let rec = ProducerRecord::new("flush", i.to_string()).key((i % 11).to_string());
        handles.push(producer.send(rec).unwrap());
    }
    assert!(!handles.iter().all(|h| h.is_done()), "linger holds them");
    let t0 = Instant::now();
    producer.flush().unwrap();
    let took = t0.elapsed();
    let not_done = handles.iter().filter(|h| !h.is_done()).count();
    assert_eq!(not_done, 0, "{not_done} records incomplete after flush");
    assert!(
        took < Duration::from_secs(3),
        "flush ignored linger: {took:?}"
    );
    for h in handles {
        h.wait().unwrap();
    }
    // A flush with nothing pending returns at once.
    let t0 = Instant::now();
    producer.flush().unwrap();
    assert!(t0.elapsed() < Duration::from_millis(1000));
    producer.close(Duration::from_secs(10));
    let got = consume_all(&bootstrap, "flush", &[0, 1, 2], n, Duration::from_secs(15));
    assert_eq!(got.len(), n);
}

// Regression: callbacks once ran after the shared result was set, so
// flush() could return before them (fixed in ProducerBatch::complete).
#[test]
fn flush_returns_only_after_earlier_callbacks_ran() {
    let cluster = mock_cluster(1, &[("flush-cb", 1)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer: Producer<String, String> = Producer::new(
        config(&bootstrap)
            .linger(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
    .unwrap();
    let n = 50;
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..n {
        let ran = ran.clone();
        producer
            .send_with_callback(ProducerRecord::new("flush-cb", i.to_string()), move |r| {
                r.expect("delivered");
                // A callback that takes a little time (2 ms).
                std::thread::sleep(Duration::from_millis(2));
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
    }
    producer.flush().unwrap();
    let after_flush = ran.load(Ordering::SeqCst);
    producer.close(Duration::from_secs(10));
    assert_eq!(ran.load(Ordering::SeqCst), n, "every callback ran by close");
    assert_eq!(
        after_flush, n,
        "flush returned when only {after_flush} of {n} callbacks had run"
    );
    let got = consume_all(&bootstrap, "flush-cb", &[0], n, Duration::from_secs(15));
    assert_eq!(got.len(), n);
}

#[test]
fn close_with_brokers_down_fails_the_rest_with_closed_within_the_timeout() {
    let cluster = mock_cluster(3, &[("closing", 2)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer: Producer<String, String> = Producer::new(
        config(&bootstrap)
            .linger(Duration::ZERO)
            .request_timeout(Duration::from_secs(10))
            .delivery_timeout(Duration::from_secs(30))
            .reconnect_backoff(Duration::from_millis(50))
            .reconnect_backoff_max(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
    .unwrap();
    producer
        .send(ProducerRecord::new("closing", "before".to_string()).partition(0))
        .unwrap()
        .wait()
        .unwrap();
    cluster.broker_down(-1).unwrap();
    settle();
    let mut handles = Vec::new();
    for i in 0..20 {
        handles.push(
            producer
                .send(ProducerRecord::new("closing", format!("stuck-{i}")))
                .unwrap(),
        );
    }
    let callback_result = Arc::new(Mutex::new(None));
    let slot = callback_result.clone();
    producer
        .send_with_callback(
            ProducerRecord::new("closing", "stuck-cb".to_string()),
            move |r| *slot.lock().unwrap() = Some(r),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        handles.iter().all(|h| !h.is_done()),
        "still waiting for a broker"
    );

    let timeout = Duration::from_millis(1000);
    let t0 = Instant::now();
    producer.close(timeout);
    let took = t0.elapsed();
    println!("close({timeout:?}) took {took:?}");
    assert!(
        took >= Duration::from_millis(900) && took < timeout + Duration::from_millis(500),
        "close took {took:?}"
    );
    for h in handles {
        assert!(h.is_done(), "close completes every record");
        let err = h.wait().expect_err("not delivered");
        println!("{err}; may_have_persisted={}", err.may_have_persisted());
        assert!(matches!(err, DeliveryError::Closed { .. }), "{err}");
        assert!(!err.may_have_persisted(), "never sent: {err:?}");
    }
    let r = callback_result
        .lock()
        .unwrap()
        .take()
        .expect("callback ran before close returned");
    assert!(matches!(r, Err(DeliveryError::Closed { .. })), "{r:?}");

    cluster.broker_up(-1).unwrap();
    let got = consume_all(&bootstrap, "closing", &[0, 1], 1, Duration::from_secs(15));
    assert_eq!(value_of(&got[0]), "before");
}

#[test]
fn partitions_for_reports_partitions_and_leaders() {
    let cluster = mock_cluster(3, &[("layout", 5)]);
    cluster.partition_leader("layout", 0, Some(2)).unwrap();
    cluster.partition_leader("layout", 4, Some(3)).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let producer: Producer<String, String> =
        Producer::new(config(&bootstrap).build().unwrap()).unwrap();
    let parts = producer.partitions_for("layout").unwrap();
    assert_eq!(parts.len(), 5);
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.topic, "layout");
        assert_eq!(p.partition, i as i32);
        let leader = p.leader.expect("every partition has a leader");
        assert!((1..=3).contains(&leader), "leader {leader}");
        assert_eq!(p.replicas.len(), 3, "{p:?}");
        assert!(p.replicas.contains(&leader), "{p:?}");
        assert!(!p.in_sync_replicas.is_empty(), "{p:?}");
    }
    assert_eq!(parts[0].leader, Some(2));
    assert_eq!(parts[4].leader, Some(3));
    // Each partition takes a record, written where partitions_for says.
    let mut handles = Vec::new();
    for p in &parts {
        handles.push(
            producer
                .send(
                    ProducerRecord::new("layout", format!("to-{}", p.partition))
                        .partition(p.partition),
                )
                .unwrap(),
        );
    }
    for (h, p) in handles.into_iter().zip(&parts) {
        assert_eq!(h.wait().unwrap().partition, p.partition);
    }
    // An unknown topic on a broker that auto-creates it (the mock: 4
    // partitions) also works.
    let auto = producer.partitions_for("auto-created").unwrap();
    assert!(!auto.is_empty());
    producer.close(Duration::from_secs(10));
    let got = consume_all(
        &bootstrap,
        "layout",
        &[0, 1, 2, 3, 4],
        5,
        Duration::from_secs(15),
    );
    for c in got {
        assert_eq!(value_of(&c), format!("to-{}", c.partition));
    }
}
