//! Transactions (v1: AddPartitionsToTxn, EndTxn) against librdkafka's mock
//! cluster and real Apache Kafka (4.x and 3.9), read back by independent
//! consumers: the rdkafka consumer with `isolation.level=read_committed`
//! sees exactly the committed records, none of the aborted ones, and with
//! `read_uncommitted` the aborted ones too; on Kafka the Java console
//! consumer (`--isolation-level read_committed`) agrees. Fencing needs a
//! real coordinator: a second producer with the same transactional id makes
//! the first one's next call fail fatal, and its open transaction is never
//! visible. Kafka 4.x (with `transaction.version` 2 finalized) is driven
//! with transactions v2 (KIP-890: partitions added by Produce, an epoch
//! bump at every EndTxn v5), 3.9 with v1 (AddPartitionsToTxn, EndTxn v4 at
//! most, Produce v11); the versions seen by the fault proxies prove which.

mod common;

use common::java::{console_consume_raw_with, parse};
use common::kafka::{KafkaCluster, Version};
use common::{consume_isolated, mock_cluster, Consumed};
use kafka_sync::{
    ConsumerGroupMetadata, DeliveryError, Producer, ProducerConfig, ProducerRecord, Refusal,
    TransactionErrorKind,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn producer(bootstrap: &str, id: &str) -> Producer<String, String> {
    let cfg = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .transactional_id(id)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(30))
        .build()
        .unwrap();
    Producer::new(cfg).unwrap()
}

fn send(p: &Producer<String, String>, topic: &str, values: &[String]) {
    let handles: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            p.send(ProducerRecord::new(topic, v.clone()).partition(i as i32 % 2))
                .unwrap()
        })
        .collect();
    // Delivered within the transaction (written, not yet committed).
    for h in handles {
        h.wait().unwrap();
    }
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

fn sorted_values(got: &[Consumed]) -> Vec<String> {
    let mut v: Vec<String> = got
        .iter()
        .map(|c| String::from_utf8(c.value.clone().unwrap()).unwrap())
        .collect();
    v.sort();
    v
}

/// Commit 10, abort 5, commit 3 (the last with unsent records at abort
/// time tested separately); returns (committed, aborted) values.
fn cycle(bootstrap: &str, topic: &str, id: &str) -> (Vec<String>, Vec<String>) {
    let p = producer(bootstrap, id);
    p.init_transactions(T).unwrap();
    let first = values("commit-a", 10);
    p.begin_transaction().unwrap();
    send(&p, topic, &first);
    p.commit_transaction(T).unwrap();
    let aborted = values("abort", 5);
    p.begin_transaction().unwrap();
    send(&p, topic, &aborted);
    p.abort_transaction(T).unwrap();
    let last = values("commit-b", 3);
    p.begin_transaction().unwrap();
    send(&p, topic, &last);
    p.commit_transaction(T).unwrap();
    p.close(Duration::from_secs(10));
    let mut committed = [first, last].concat();
    committed.sort();
    (committed, aborted)
}

/// The mock accepts the whole protocol (FindCoordinator, InitProducerId,
/// AddPartitionsToTxn, EndTxn) but writes no transaction markers, so its
/// read_committed readers see aborted records too: only the protocol and
/// the records are checked here; Kafka checks the isolation.
#[test]
fn mock_commit_and_abort_cycles_complete() {
    let cluster = mock_cluster(3, &[("txn-mock", 2)]);
    let bootstrap = cluster.bootstrap_servers();
    let (committed, aborted) = cycle(&bootstrap, "txn-mock", "txn-mock-1");
    let all = consume_isolated(
        &bootstrap,
        "txn-mock",
        &[0, 1],
        committed.len() + aborted.len(),
        T,
        "read_uncommitted",
    );
    let mut expected = [committed, aborted].concat();
    expected.sort();
    assert_eq!(sorted_values(&all), expected);
}

#[test]
fn calls_in_the_wrong_state_are_refused_and_change_nothing() {
    let cluster = mock_cluster(1, &[("txn-state", 2)]);
    let p = producer(&cluster.bootstrap_servers(), "txn-state-1");
    let kind = |r: Result<(), kafka_sync::TransactionError>| r.unwrap_err().kind();
    assert_eq!(
        kind(p.begin_transaction()),
        TransactionErrorKind::InvalidState
    );
    match p.send(ProducerRecord::new("txn-state", "x".to_string())) {
        Err(e) => assert!(matches!(e.error, Refusal::Transaction(_)), "{:?}", e.error),
        Ok(_) => panic!("sent before init_transactions"),
    }
    p.init_transactions(T).unwrap();
    assert_eq!(
        kind(p.init_transactions(T)),
        TransactionErrorKind::InvalidState
    );
    assert_eq!(
        kind(p.commit_transaction(T)),
        TransactionErrorKind::InvalidState
    );
    assert_eq!(
        kind(p.abort_transaction(T)),
        TransactionErrorKind::InvalidState
    );
    match p.send(ProducerRecord::new("txn-state", "x".to_string())) {
        Err(e) => assert!(matches!(e.error, Refusal::Transaction(_)), "{:?}", e.error),
        Ok(_) => panic!("sent outside a transaction"),
    }
    p.begin_transaction().unwrap();
    assert_eq!(
        kind(p.begin_transaction()),
        TransactionErrorKind::InvalidState
    );
    // Still in the transaction: it commits.
    send(&p, "txn-state", &values("ok", 2));
    p.commit_transaction(T).unwrap();
    p.close(Duration::from_secs(5));
}

#[test]
fn abort_fails_unsent_records_with_a_clear_error() {
    let cluster = mock_cluster(1, &[("txn-unsent", 2)]);
    let cfg = ProducerConfig::builder()
        .bootstrap_servers(cluster.bootstrap_servers())
        .transactional_id("txn-unsent-1")
        .linger(Duration::from_secs(60))
        .batch_size(1 << 20)
        .build()
        .unwrap();
    let p: Producer<String, String> = Producer::new(cfg).unwrap();
    p.init_transactions(T).unwrap();
    p.begin_transaction().unwrap();
    let h = p
        .send(ProducerRecord::new("txn-unsent", "lingering".to_string()).partition(0))
        .unwrap();
    p.abort_transaction(T).unwrap();
    match h.wait() {
        Err(DeliveryError::Transaction(e)) => {
            assert!(e.is_abortable(), "{e}");
            assert!(e.message().contains("aborted"), "{e}");
        }
        other => panic!("expected an abort error, got {other:?}"),
    }
    p.close(Duration::from_secs(5));
}

fn kafka_cycle(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("txn", 2);
    let id = format!("{topic}-id");
    // Through the fault proxies, which record the request versions used.
    let (committed, aborted) = cycle(&k.proxied_bootstrap, &topic, &id);
    let mut versions: BTreeMap<i16, BTreeSet<i16>> = BTreeMap::new();
    for node in k.node_ids() {
        for (api, vs) in k.with_proxy(node, |p| p.versions_seen()) {
            versions.entry(api).or_default().extend(vs);
        }
    }
    println!("kafka {}: request versions: {versions:?}", v.as_str());
    let (produce, add_partitions, end_txn) = (
        versions.get(&0).cloned().unwrap_or_default(),
        versions.get(&24).cloned().unwrap_or_default(),
        versions.get(&26).cloned().unwrap_or_default(),
    );
    match v {
        // transaction.version 2 is finalized on a new 4.x cluster: KIP-890.
        Version::V4 => {
            assert!(add_partitions.is_empty(), "v2 adds partitions by Produce");
            assert_eq!(end_txn, BTreeSet::from([5]), "EndTxn v5 (epoch bump)");
            assert!(produce.iter().all(|p| *p >= 12), "Produce {produce:?}");
        }
        Version::V3_9 => {
            assert_eq!(add_partitions, BTreeSet::from([3]), "AddPartitionsToTxn v3");
            assert!(end_txn.iter().all(|e| *e <= 4), "EndTxn {end_txn:?}");
            assert_eq!(produce, BTreeSet::from([11]), "Produce v11 with v1");
        }
    }
    let seen = consume_isolated(
        &k.bootstrap,
        &topic,
        &[0, 1],
        committed.len(),
        T,
        "read_committed",
    );
    assert_eq!(sorted_values(&seen), committed, "rdkafka read_committed");
    let all = consume_isolated(
        &k.bootstrap,
        &topic,
        &[0, 1],
        committed.len() + aborted.len(),
        T,
        "read_uncommitted",
    );
    let mut expected = [committed.clone(), aborted].concat();
    expected.sort();
    assert_eq!(sorted_values(&all), expected, "rdkafka read_uncommitted");
    let extra = ["--isolation-level", "read_committed"];
    let (raw, stderr) =
        console_consume_raw_with(k, &topic, committed.len(), Duration::from_secs(20), &extra);
    let java = parse(&raw).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    assert_eq!(
        sorted_values(&java),
        committed,
        "Java read_committed\n{stderr}"
    );
}

#[test]
fn kafka4_commit_and_abort_cycles_read_back_committed_only() {
    kafka_cycle(Version::V4);
}

#[test]
fn kafka39_commit_and_abort_cycles_read_back_committed_only() {
    kafka_cycle(Version::V3_9);
}

#[test]
fn kafka4_a_second_producer_with_the_same_id_fences_the_first() {
    fencing(Version::V4);
}

#[test]
fn kafka39_a_second_producer_with_the_same_id_fences_the_first() {
    fencing(Version::V3_9);
}

fn fencing(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("txn-fence", 2);
    let id = format!("{topic}-id");
    let old = producer(&k.bootstrap, &id);
    old.init_transactions(T).unwrap();
    old.begin_transaction().unwrap();
    send(&old, &topic, &values("zombie", 4));
    // The new incarnation fences the old one and aborts its transaction.
    let new = producer(&k.bootstrap, &id);
    new.init_transactions(T).unwrap();
    let e = old.commit_transaction(T).unwrap_err();
    assert!(e.is_fatal(), "the fenced producer's commit: {e}");
    println!("fenced producer's commit: {e}");
    new.begin_transaction().unwrap();
    let fresh = values("fresh", 4);
    send(&new, &topic, &fresh);
    new.commit_transaction(T).unwrap();
    let seen = consume_isolated(
        &k.bootstrap,
        &topic,
        &[0, 1],
        fresh.len(),
        T,
        "read_committed",
    );
    assert_eq!(sorted_values(&seen), fresh);
    // The old one stays fatal.
    assert!(old.begin_transaction().unwrap_err().is_fatal());
    old.close(Duration::ZERO);
    new.close(Duration::from_secs(5));
}

#[test]
fn kafka4_offsets_sent_to_a_transaction_commit_with_it() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{ClientConfig, TopicPartitionList};
    let Some(k) = KafkaCluster::shared(Version::V4) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("txn-offsets", 2);
    let group = format!("{topic}-group");
    let committed = |offset_of: &str| -> Option<i64> {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &k.bootstrap)
            .set("group.id", &group)
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(offset_of, 0);
        let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
        got.elements()[0].offset().to_raw()
    };
    let p = producer(&k.bootstrap, &format!("{topic}-id"));
    p.init_transactions(T).unwrap();
    let meta = ConsumerGroupMetadata::new(group.clone());
    // Aborted: the offset is not committed.
    p.begin_transaction().unwrap();
    send(&p, &topic, &values("a", 2));
    p.send_offsets_to_transaction(&[(topic.clone(), 0, 42)], &meta, T)
        .unwrap();
    p.abort_transaction(T).unwrap();
    assert!(
        committed(&topic).is_none_or(|o| o < 0),
        "aborted offsets visible"
    );
    // Committed: it is.
    p.begin_transaction().unwrap();
    send(&p, &topic, &values("b", 2));
    p.send_offsets_to_transaction(&[(topic.clone(), 0, 43)], &meta, T)
        .unwrap();
    p.commit_transaction(T).unwrap();
    let mut got = committed(&topic);
    for _ in 0..50 {
        if got == Some(43) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        got = committed(&topic);
    }
    assert_eq!(got, Some(43));
    p.close(Duration::from_secs(5));
}

/// The `transactional_copy` example (built by `cargo test` with the other
/// examples) copies a topic exactly once: read_committed sees each record
/// of the source once in the target, and the group's offsets cover them.
#[test]
fn kafka4_transactional_copy_example_copies_exactly_once() {
    let Some(k) = KafkaCluster::shared(Version::V4) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let from = k.new_topic("copy-from", 2);
    let to = k.new_topic("copy-to", 2);
    let source: Producer<String, String> = Producer::new(
        ProducerConfig::builder()
            .bootstrap_servers(&k.bootstrap)
            .build()
            .unwrap(),
    )
    .unwrap();
    let originals = values("orig", 300);
    send(&source, &from, &originals);
    source.close(Duration::from_secs(5));
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/transactional_copy");
    assert!(example.exists(), "{} not built", example.display());
    let out = std::process::Command::new(&example)
        .args([
            "--bootstrap-server",
            &k.bootstrap,
            "--from",
            &from,
            "--to",
            &to,
        ])
        .args(["--group", &format!("{from}-copier")])
        .args(["--transactional-id", &format!("{from}-copier-1")])
        .args(["--batch", "64", "--idle-ms", "4000"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("copied 300 records"), "{stdout}\n{stderr}");
    let copied = consume_isolated(&k.bootstrap, &to, &[0, 1], 300, T, "read_committed");
    let mut want = originals.clone();
    want.sort();
    assert_eq!(sorted_values(&copied), want);
}
