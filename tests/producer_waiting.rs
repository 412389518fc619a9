//! Waiting and closing like a blocking API: `wait_deadline`, outcomes on a
//! crossbeam channel for `select!`, `flush_timeout`, and `close(&self)`
//! through an `Arc`, against librdkafka's mock cluster (a broker taken down
//! holds records back).

mod common;

use common::consume_all;
use common::faults::Mock;
use crossbeam_channel::{select, unbounded};
use kafka_sync::{FlushError, Producer, ProducerConfig, ProducerRecord, Refusal};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn producer(bootstrap: &str) -> Producer<String, String> {
    Producer::new(
        ProducerConfig::builder()
            .bootstrap_servers(bootstrap)
            .linger(Duration::from_millis(2))
            .reconnect_backoff(Duration::from_millis(20))
            .reconnect_backoff_max(Duration::from_millis(50))
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn warm(p: &Producer<String, String>, topic: &str) {
    p.send(ProducerRecord::new(topic, "warm".to_string()))
        .unwrap()
        .wait()
        .unwrap();
}

#[test]
fn outcomes_arrive_on_a_channel_and_select_over_them() {
    let mock = Mock::new(3, "wait-a", 3);
    let p = producer(&mock.bootstrap);
    let (tx, rx) = unbounded();
    let (_stop_tx, stop_rx) = unbounded::<()>();
    let n = 1_000u32;
    for i in 0..n {
        let rec = ProducerRecord::new("wait-a", format!("v{i}")).key(format!("k{i}"));
        p.send_with_channel(rec, i, &tx).unwrap();
    }
    let mut seen = HashSet::new();
    let deadline = crossbeam_channel::at(Instant::now() + Duration::from_secs(30));
    while seen.len() < n as usize {
        select! {
            recv(rx) -> got => {
                let (i, result) = got.unwrap();
                let md = result.expect("delivered");
                assert_eq!(md.topic.as_ref(), "wait-a");
                assert!(seen.insert(i), "tag {i} twice");
            }
            recv(stop_rx) -> _ => unreachable!(),
            recv(deadline) -> _ => panic!("only {} of {n} outcomes", seen.len()),
        }
    }
    assert!(rx.try_recv().is_err(), "one outcome per record");
    let got = consume_all(
        &mock.bootstrap,
        "wait-a",
        &[0, 1, 2],
        n as usize,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), n as usize);
}

#[test]
fn wait_deadline_and_flush_timeout_return_while_a_broker_is_down() {
    let mock = Mock::new(1, "wait-b", 1);
    let p = producer(&mock.bootstrap);
    warm(&p, "wait-b");
    mock.broker_down(1);
    let handle = p
        .send(ProducerRecord::new("wait-b", "held".to_string()))
        .unwrap();
    let started = Instant::now();
    assert!(handle
        .wait_deadline(started + Duration::from_millis(300))
        .is_none());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert_eq!(
        p.flush_timeout(Duration::from_millis(200)),
        Err(FlushError::TimedOut {
            incomplete_batches: 1
        })
    );
    mock.broker_up(1);
    assert_eq!(p.flush_timeout(Duration::from_secs(30)), Ok(()));
    let md = handle
        .wait_deadline(Instant::now())
        .expect("complete after the flush")
        .expect("delivered");
    assert_eq!(md.offset, 1);
    // A timeout too large for an Instant means no bound.
    assert_eq!(p.flush_timeout(Duration::MAX), Ok(()));
}

#[test]
fn flush_timeout_in_a_callback_is_refused_at_once() {
    let mock = Mock::new(1, "wait-c", 1);
    let p = Arc::new(producer(&mock.bootstrap));
    let (tx, rx) = unbounded();
    let p2 = p.clone();
    p.send_with_callback(ProducerRecord::new("wait-c", "v".to_string()), move |r| {
        r.expect("delivered");
        let _ = tx.send(p2.flush_timeout(Duration::from_secs(5)));
    })
    .unwrap();
    let got = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(got, Err(FlushError::InCallback));
    p.close(Duration::from_secs(10));
}

#[test]
fn close_through_an_arc_once_then_sends_are_refused() {
    let mock = Mock::new(1, "wait-d", 1);
    let p = Arc::new(producer(&mock.bootstrap));
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                (0..250)
                    .map(|i| {
                        p.send(ProducerRecord::new("wait-d", format!("{t}-{i}")))
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let handles: Vec<_> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    // Any holder closes; everything accepted before completes.
    let closer = p.clone();
    std::thread::spawn(move || closer.close(Duration::from_secs(30)))
        .join()
        .unwrap();
    for h in handles {
        h.wait_deadline(Instant::now())
            .expect("complete after close")
            .expect("delivered");
    }
    // Later closes do nothing; sends are refused with the record back.
    p.close(Duration::ZERO);
    let refused = p
        .send(ProducerRecord::new("wait-d", "late".to_string()))
        .unwrap_err();
    assert!(matches!(refused.error, Refusal::Closed));
    assert_eq!(refused.record.value.as_deref(), Some("late"));
    drop(p);
    let got = consume_all(
        &mock.bootstrap,
        "wait-d",
        &[0],
        1_000,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), 1_000);
}
