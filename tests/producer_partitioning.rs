//! Where records land: Java-compatible key hashing cross-checked against
//! librdkafka's `murmur2_random` partitioner, explicit partitions, and null
//! keys/values. Everything produced is read back with the rdkafka consumer.

mod common;

use common::{consume_all, mock_cluster};
use kafka_sync::partitioner::key_partition;
use kafka_sync::{Producer, ProducerConfig, ProducerRecord, Refusal};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

fn config(bootstrap: &str) -> kafka_sync::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(10))
}

/// `n` keys of pseudo-random bytes (all byte values), lengths 0..=40, the
/// first one empty; deterministic.
fn varied_keys(n: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|i| {
            if i == 0 {
                return Vec::new();
            }
            let len = (next() % 41) as usize;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect()
}

#[test]
fn keyed_records_land_where_librdkafka_murmur2_random_puts_them() {
    const N: usize = 2000;
    const PARTS: i32 = 7;
    let cluster = mock_cluster(3, &[("part-ours", PARTS), ("part-rdkafka", PARTS)]);
    let bootstrap = cluster.bootstrap_servers();
    let keys = varied_keys(N);
    assert!(keys.iter().any(Vec::is_empty));
    assert!(keys.iter().any(|k| k.len() == 40));
    assert!(
        keys.iter().any(|k| k.len() % 4 == 3),
        "tail of 3 bytes covered"
    );

    // Ours.
    let producer: Producer<Vec<u8>, Vec<u8>> =
        Producer::new(config(&bootstrap).build().unwrap()).unwrap();
    let mut handles = Vec::with_capacity(N);
    for (i, key) in keys.iter().enumerate() {
        let rec = ProducerRecord::new("part-ours", i.to_string().into_bytes()).key(key.clone());
        handles.push(producer.send(rec).unwrap());
    }
    for (i, h) in handles.into_iter().enumerate() {
        let md = h.wait().expect("delivered");
        assert_eq!(md.partition, key_partition(&keys[i], PARTS));
    }
    producer.close(Duration::from_secs(10));

    // librdkafka, Java-compatible partitioner.
    let rd: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .create()
        .expect("rdkafka producer");
    for (i, key) in keys.iter().enumerate() {
        let payload = i.to_string();
        let mut record = BaseRecord::to("part-rdkafka")
            .key(&key[..])
            .payload(&payload);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match rd.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    assert!(Instant::now() < deadline, "rdkafka queue stayed full");
                    record = r;
                    rd.poll(Duration::from_millis(10));
                }
                Err((e, _)) => panic!("rdkafka send failed: {e}"),
            }
        }
        rd.poll(Duration::ZERO);
    }
    rd.flush(Duration::from_secs(10)).expect("rdkafka flush");
    drop(rd);

    let parts: Vec<i32> = (0..PARTS).collect();
    let partition_by_index = |topic: &str| -> HashMap<usize, i32> {
        let got = consume_all(&bootstrap, topic, &parts, N, Duration::from_secs(20));
        let mut map = HashMap::new();
        for c in got {
            let i: usize = String::from_utf8(c.value.unwrap())
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                c.key.as_deref().unwrap_or_default(),
                &keys[i][..],
                "{topic}: key of record {i} changed"
            );
            assert!(map.insert(i, c.partition).is_none(), "{topic}: {i} twice");
        }
        map
    };
    let ours = partition_by_index("part-ours");
    let theirs = partition_by_index("part-rdkafka");
    assert_eq!(ours.len(), N);
    assert_eq!(theirs.len(), N);
    let mut mismatches = Vec::new();
    for i in 0..N {
        if ours[&i] != theirs[&i] {
            mismatches.push((i, keys[i].len(), ours[&i], theirs[&i]));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} keys on a different partition than librdkafka's murmur2 puts them \
         (index, key length, ours, librdkafka): {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(10)]
    );
    let used: HashSet<i32> = ours.values().copied().collect();
    assert_eq!(used.len(), PARTS as usize, "every partition gets keys");
}

#[test]
fn explicit_partition_wins_and_out_of_range_is_refused() {
    let cluster = mock_cluster(3, &[("explicit", 3)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer: Producer<String, String> =
        Producer::new(config(&bootstrap).build().unwrap()).unwrap();
    for bad in [3, 7, -1, i32::MAX] {
        let rec = ProducerRecord::new("explicit", format!("bad-{bad}"))
            .key("k".to_string())
            .partition(bad);
        let t0 = Instant::now();
        let err = producer.send(rec.clone()).unwrap_err();
        assert!(t0.elapsed() < Duration::from_secs(2));
        match &err.error {
            Refusal::InvalidPartition {
                topic,
                partition,
                partitions,
            } => {
                assert_eq!(
                    (topic.as_str(), *partition, *partitions),
                    ("explicit", bad, 3)
                );
            }
            other => panic!("expected InvalidPartition for {bad}, got {other}"),
        }
        assert_eq!(err.record, rec, "record handed back unchanged");
        // try_send refuses it the same way.
        let err = producer.try_send(rec).unwrap_err();
        assert!(matches!(err.error, Refusal::InvalidPartition { .. }));
    }
    // A valid explicit partition overrides the key hash.
    let mut handles = Vec::new();
    for p in 0..3 {
        for i in 0..5 {
            let rec = ProducerRecord::new("explicit", format!("p{p}-{i}"))
                .key("same-key".to_string())
                .partition(p);
            handles.push((p, producer.send(rec).unwrap()));
        }
    }
    for (p, h) in handles {
        assert_eq!(h.partition(), p);
        assert_eq!(h.wait().unwrap().partition, p);
    }
    producer.close(Duration::from_secs(10));
    let got = consume_all(
        &bootstrap,
        "explicit",
        &[0, 1, 2],
        15,
        Duration::from_secs(15),
    );
    for c in got {
        let v = String::from_utf8(c.value.unwrap()).unwrap();
        assert!(
            v.starts_with(&format!("p{}-", c.partition)),
            "{v} on {}",
            c.partition
        );
        assert_eq!(c.key.as_deref(), Some(&b"same-key"[..]));
    }
}

#[test]
fn null_keys_null_values_and_tombstones_read_back_as_null() {
    let cluster = mock_cluster(3, &[("nulls", 2)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer: Producer<Vec<u8>, Vec<u8>> =
        Producer::new(config(&bootstrap).build().unwrap()).unwrap();
    // (key, value) in send order, all to partition 0 so the order is known.
    type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);
    let cases: Vec<KeyValue> = vec![
        (None, Some(b"no key".to_vec())),
        (Some(b"tomb".to_vec()), None),
        (None, None),
        (Some(b"k".to_vec()), Some(b"v".to_vec())),
        (Some(Vec::new()), Some(b"empty key".to_vec())),
    ];
    let mut handles = Vec::new();
    for (key, value) in &cases {
        let rec = ProducerRecord {
            topic: "nulls".into(),
            partition: Some(0),
            key: key.clone(),
            value: value.clone(),
            timestamp: None,
            headers: Vec::new(),
        };
        handles.push(producer.send(rec).unwrap());
    }
    // The tombstone constructor, partitioned by its key.
    let tomb = ProducerRecord::<Vec<u8>, Vec<u8>>::tombstone("nulls", b"deleted".to_vec());
    let tomb_handle = producer.send(tomb).unwrap();
    let tomb_partition = key_partition(b"deleted", 2);
    assert_eq!(tomb_handle.partition(), tomb_partition);
    for (h, (key, value)) in handles.into_iter().zip(&cases) {
        let md = h.wait().unwrap();
        assert_eq!(md.serialized_key_size, key.as_ref().map_or(0, Vec::len));
        assert_eq!(md.serialized_value_size, value.as_ref().map_or(0, Vec::len));
    }
    let md = tomb_handle.wait().unwrap();
    assert_eq!(md.serialized_value_size, 0);
    producer.close(Duration::from_secs(10));

    let got = consume_all(&bootstrap, "nulls", &[0, 1], 6, Duration::from_secs(15));
    let p0: Vec<_> = got.iter().filter(|c| c.partition == 0).collect();
    let expected_p0 = if tomb_partition == 0 { 6 } else { 5 };
    assert_eq!(p0.len(), expected_p0);
    for (c, (key, value)) in p0.iter().zip(&cases) {
        // The reader may not tell an empty key from a null one; everything
        // else must match exactly.
        if key.as_ref().is_some_and(Vec::is_empty) {
            assert!(c.key.as_deref().unwrap_or_default().is_empty());
        } else {
            assert_eq!(&c.key, key, "key at offset {}", c.offset);
        }
        assert_eq!(&c.value, value, "value at offset {}", c.offset);
    }
    let t = got
        .iter()
        .find(|c| c.key.as_deref() == Some(&b"deleted"[..]))
        .expect("tombstone read back");
    assert_eq!(t.partition, tomb_partition);
    assert_eq!(t.value, None, "a tombstone has a null value");
}
