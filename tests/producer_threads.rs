//! One producer shared by many caller threads, and a leader move in the
//! middle of a stream: every record read back exactly once, in order per key.

mod common;

use common::{consume_all, mock_cluster, Consumed, Tansu};
use kafka_sync::partitioner::key_partition;
use kafka_sync::{DeliveryHandle, Producer, ProducerConfig, ProducerRecord};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn config(bootstrap: &str) -> kafka_sync::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(10))
}

/// Parses `<key>` and `<seq>` back from a record written as key
/// `thread-T`, value `T:SEQ`.
fn parse(c: &Consumed) -> (String, usize) {
    let key = String::from_utf8(c.key.clone().expect("key")).unwrap();
    let value = String::from_utf8(c.value.clone().expect("value")).unwrap();
    let (t, seq) = value.split_once(':').expect("T:SEQ");
    assert_eq!(key, format!("thread-{t}"), "value {value} under key {key}");
    (key, seq.parse().unwrap())
}

/// Checks that each key's records are exactly 0..per_key, in offset order,
/// all on the key's partition.
fn check_exactly_once_in_order(got: &[Consumed], keys: usize, per_key: usize, partitions: i32) {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for c in got {
        let (key, seq) = parse(c);
        assert_eq!(
            c.partition,
            key_partition(key.as_bytes(), partitions),
            "{key} on partition {}",
            c.partition
        );
        by_key.entry(key).or_default().push(seq);
    }
    assert_eq!(by_key.len(), keys);
    for (key, seqs) in by_key {
        if seqs.len() != per_key || seqs.iter().enumerate().any(|(i, s)| *s != i) {
            let first_bad = seqs.iter().enumerate().find(|(i, s)| **s != *i);
            panic!(
                "{key}: {} records, expected 0..{per_key} once each in order; first mismatch {first_bad:?}",
                seqs.len()
            );
        }
    }
}

fn many_threads(bootstrap: &str, topic: &str, partitions: i32) {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 5_000;
    let producer: Producer<String, String> =
        Producer::new(config(bootstrap).build().unwrap()).unwrap();
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let handles: Vec<Vec<DeliveryHandle>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let producer = &producer;
                let (ok, failed) = (ok.clone(), failed.clone());
                s.spawn(move || {
                    let mut handles = Vec::with_capacity(PER_THREAD / 2);
                    for seq in 0..PER_THREAD {
                        let rec = ProducerRecord::new(topic, format!("{t}:{seq}"))
                            .key(format!("thread-{t}"));
                        if (seq + t) % 2 == 0 {
                            handles.push(producer.send(rec).expect("accepted"));
                        } else {
                            let (ok, failed) = (ok.clone(), failed.clone());
                            producer
                                .send_with_callback(rec, move |r| {
                                    match r {
                                        Ok(md) if md.offset >= 0 => &ok,
                                        _ => &failed,
                                    }
                                    .fetch_add(1, Ordering::SeqCst);
                                })
                                .expect("accepted");
                        }
                    }
                    handles
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let sent_in = t0.elapsed();
    producer.flush().unwrap();
    println!(
        "{topic}: {} records from {THREADS} threads accepted in {sent_in:?}, flushed after {:?}",
        THREADS * PER_THREAD,
        t0.elapsed()
    );
    let mut offsets: HashMap<(i32, i64), ()> = HashMap::new();
    for h in handles.iter().flatten() {
        assert!(h.is_done(), "flush left a record incomplete");
    }
    for h in handles.into_iter().flatten() {
        let md = h.wait().expect("delivered");
        assert!(
            offsets.insert((md.partition, md.offset), ()).is_none(),
            "two records at {}@{}",
            md.partition,
            md.offset
        );
    }
    let m = producer.counters();
    producer.close(Duration::from_secs(10));
    // close joined the sender thread: every callback has run.
    assert_eq!(failed.load(Ordering::SeqCst), 0);
    assert_eq!(ok.load(Ordering::SeqCst), THREADS * PER_THREAD / 2);
    assert_eq!(m.records_sent as usize, THREADS * PER_THREAD);
    assert_eq!(m.records_failed, 0);

    let parts: Vec<i32> = (0..partitions).collect();
    let got = consume_all(
        bootstrap,
        topic,
        &parts,
        THREADS * PER_THREAD,
        Duration::from_secs(30),
    );
    check_exactly_once_in_order(&got, THREADS, PER_THREAD, partitions);
}

#[test]
fn eight_threads_share_one_producer_on_the_mock_cluster() {
    let cluster = mock_cluster(3, &[("threads", 6)]);
    many_threads(&cluster.bootstrap_servers(), "threads", 6);
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn eight_threads_share_one_producer_on_tansu() {
    let Some(tansu) = Tansu::start() else { return };
    tansu.create_topic("threads", 4);
    many_threads(&tansu.bootstrap, "threads", 4);
}

#[test]
fn leader_moves_mid_stream_records_delivered_once_in_order() {
    const KEYS: usize = 6;
    const PER_KEY: usize = 1_000;
    const PARTS: i32 = 3;
    let cluster = mock_cluster(3, &[("moving", PARTS)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer: Producer<String, String> = Producer::new(
        config(&bootstrap)
            .enable_idempotence(true)
            .batch_size(1024)
            .linger(Duration::ZERO)
            .retry_backoff(Duration::from_millis(20))
            .request_timeout(Duration::from_secs(5))
            .delivery_timeout(Duration::from_secs(15))
            .build()
            .unwrap(),
    )
    .unwrap();
    let before = producer.partitions_for("moving").unwrap();
    let send = |seq: usize| -> Vec<DeliveryHandle> {
        (0..KEYS)
            .map(|k| {
                let rec =
                    ProducerRecord::new("moving", format!("{k}:{seq}")).key(format!("thread-{k}"));
                producer.send(rec).expect("accepted")
            })
            .collect()
    };
    let mut handles = Vec::new();
    for seq in 0..PER_KEY / 2 {
        handles.extend(send(seq));
    }
    // Part of the stream is acknowledged, part still queued or in flight.
    handles[handles.len() / 4]
        .wait_timeout(Duration::from_secs(10))
        .expect("first half progressing")
        .expect("delivered");
    let mut moved = Vec::new();
    for p in &before {
        let old = p.leader.expect("leader");
        let new = old % 3 + 1;
        cluster
            .partition_leader("moving", p.partition, Some(new))
            .unwrap();
        moved.push((p.partition, old, new));
    }
    println!("moved leaders (partition, old, new): {moved:?}");
    for seq in PER_KEY / 2..PER_KEY {
        handles.extend(send(seq));
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    for h in handles {
        let left = deadline.saturating_duration_since(Instant::now());
        h.wait_timeout(left)
            .expect("completed in time")
            .expect("delivered despite the leader move");
    }
    let after = producer.partitions_for("moving").unwrap();
    let m = producer.counters();
    println!("metrics after the move: {m:?}");
    producer.close(Duration::from_secs(10));
    assert!(m.batches_retried > 0, "the old leader refused some batches");
    assert_eq!(m.records_failed, 0);
    for (p, _, new) in &moved {
        assert_eq!(
            after[*p as usize].leader,
            Some(*new),
            "metadata followed the move"
        );
    }
    let parts: Vec<i32> = (0..PARTS).collect();
    let got = consume_all(
        &bootstrap,
        "moving",
        &parts,
        KEYS * PER_KEY,
        Duration::from_secs(20),
    );
    check_exactly_once_in_order(&got, KEYS, PER_KEY, PARTS);
}
