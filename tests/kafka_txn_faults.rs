//! Transactions through a crash of the transaction coordinator, on 3-node
//! Kafka clusters of this test binary's own (the crash would disturb other
//! tests' transactions), 4.x (transactions v2) and 3.9 (v1): the
//! coordinator is SIGKILLed in the middle of a transaction and again
//! during `commit_transaction`. Every transaction must end wholly committed
//! or wholly aborted, never half, and the caller must be told which: read_committed (the rdkafka consumer)
//! sees all of a transaction whose commit returned Ok and none of one that
//! failed and was aborted.

mod common;

use common::consume_isolated;
use common::kafka::{KafkaCluster, Version};
use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(90);
const RECORDS: usize = 50;

fn producer(bootstrap: &str, id: &str) -> Producer<String, String> {
    let cfg = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .transactional_id(id)
        .linger(Duration::from_millis(5))
        .request_timeout(Duration::from_secs(5))
        .max_block(Duration::from_secs(60))
        .build()
        .unwrap();
    Producer::new(cfg).unwrap()
}

/// One transaction of `RECORDS` records, with the coordinator killed
/// `delay` after the commit starts (`None`: before it, once the records
/// are written). Returns whether the caller was told it committed.
fn transaction_through_a_crash(
    k: &KafkaCluster,
    p: &Producer<String, String>,
    topic: &str,
    id: &str,
    tag: &str,
    delay: Option<Duration>,
) -> bool {
    p.begin_transaction().unwrap();
    let handles: Vec<_> = (0..RECORDS)
        .map(|i| {
            p.send(ProducerRecord::new(topic, format!("{tag}-{i}")).partition(i as i32 % 3))
                .unwrap()
        })
        .collect();
    for h in handles {
        h.wait().expect("written in the transaction");
    }
    let coordinator = k.transaction_coordinator(id);
    let t0 = Instant::now();
    let killer = match delay {
        None => {
            k.kill(coordinator);
            None
        }
        Some(d) => Some(std::thread::spawn(move || std::thread::sleep(d))),
    };
    // A commit that timed out goes on: call it again (bounded).
    let commit = || {
        let mut r = p.commit_transaction(T);
        for _ in 0..3 {
            if !matches!(&r, Err(e) if e.is_retriable()) {
                break;
            }
            r = p.commit_transaction(T);
        }
        r
    };
    let result = match killer {
        None => commit(),
        Some(sleeper) => std::thread::scope(|s| {
            let commit = s.spawn(commit);
            sleeper.join().unwrap();
            k.kill(coordinator);
            commit.join().unwrap()
        }),
    };
    println!(
        "{tag}: coordinator node {coordinator} killed; commit returned {result:?} after {:?}",
        t0.elapsed()
    );
    let committed = match result {
        Ok(()) => true,
        Err(e) => {
            assert!(!e.is_fatal(), "{tag}: not fenced by a crash: {e}");
            let mut abort = p.abort_transaction(T);
            while matches!(&abort, Err(e) if e.is_retriable()) {
                abort = p.abort_transaction(T);
            }
            abort.unwrap_or_else(|e| panic!("{tag}: abort after a failed commit: {e}"));
            false
        }
    };
    k.restart(coordinator);
    k.wait_fully_replicated(Duration::from_secs(120));
    committed
}

#[test]
fn kafka4_coordinator_crashes_leave_whole_transactions() {
    coordinator_crashes(Version::V4);
}

#[test]
fn kafka39_coordinator_crashes_leave_whole_transactions() {
    coordinator_crashes(Version::V3_9);
}

fn coordinator_crashes(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("txn-crash", 3);
    let id = format!("{topic}-id");
    let p = producer(&k.bootstrap, &id);
    p.init_transactions(T).unwrap();
    let mid = transaction_through_a_crash(k, &p, &topic, &id, "mid", None);
    let during =
        transaction_through_a_crash(k, &p, &topic, &id, "during", Some(Duration::from_millis(5)));
    // A last transaction after both crashes.
    p.begin_transaction().unwrap();
    for i in 0..5 {
        p.send(ProducerRecord::new(&topic, format!("after-{i}")).partition(i % 3))
            .unwrap();
    }
    p.commit_transaction(T).unwrap();
    p.close(Duration::from_secs(10));
    let expected = 5 + RECORDS * (usize::from(mid) + usize::from(during));
    let seen = consume_isolated(
        &k.bootstrap,
        &topic,
        &[0, 1, 2],
        expected,
        T,
        "read_committed",
    );
    for (tag, committed) in [("mid", mid), ("during", during)] {
        let n = seen
            .iter()
            .filter(|c| {
                c.value
                    .as_deref()
                    .is_some_and(|v| v.starts_with(tag.as_bytes()))
            })
            .count();
        let want = if committed { RECORDS } else { 0 };
        assert_eq!(
            n, want,
            "{tag}: {n} of {RECORDS} records visible (committed: {committed})"
        );
        println!("{tag}: committed {committed}, read_committed sees {n} of {RECORDS}");
    }
}
