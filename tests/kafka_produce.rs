//! The producer against real Apache Kafka — a 3-node KRaft cluster of 4.x
//! and one of 3.9 — with every record read back by TWO independent
//! consumers: librdkafka (`check.crcs=true`) and Kafka's own Java console
//! consumer. Neither shares code with our producer.
//!
//! Proven on both versions:
//! - every codec (none, gzip, snappy, lz4, zstd) is written in batches Kafka
//!   accepts, stores with that codec and a valid CRC (its `DumpLogSegments`
//!   says so) and both consumers decode;
//! - keys, values and headers come back byte for byte: null keys, null
//!   values (tombstones, also with a null key), empty keys and values,
//!   non-ASCII text, values with newlines and large values, no headers,
//!   a header with a null value, empty header values, duplicate header
//!   keys in order, many headers;
//! - timestamps: explicit ones (1 ms after the epoch, the year 2000, an hour
//!   ago) and the send time when none is given, as `RecordMetadata` says;
//! - explicit partitions win; keyed records land on
//!   `partitioner::key_partition` (the Java client's murmur2), as the
//!   broker stored them;
//! - the offsets `RecordMetadata` reports are where the records are;
//! - the protocol versions the producer picked (seen by the fault proxy):
//!   Produce v11 on 3.9, v13 (topics by id) on 4.x.

mod common;

use common::java::{batch_codecs, console_consume, first_segment};
use common::kafka::{KafkaCluster, Version};
use common::{consume_all, Consumed};
use kafka_sync::partitioner::key_partition;
use kafka_sync::{
    Compression, Header, Producer, ProducerConfig, ProducerRecord, RecordMetadata, Refusal,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

type Bytes = Vec<u8>;

const TIMEOUT: Duration = Duration::from_secs(60);
/// 1 ms after the Unix epoch: far in the past.
const FAR_PAST: i64 = 1;
/// 2000-01-01T00:00:00Z.
const Y2K: i64 = 946_684_800_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn producer(bootstrap: &str, compression: Compression) -> Producer<Bytes, Bytes> {
    let cfg = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .compression(compression)
        .linger(Duration::from_millis(20))
        .max_block(Duration::from_secs(30))
        .build()
        .unwrap();
    Producer::new(cfg).unwrap()
}

/// Record `i` of the mixed set: every shape the docs at the top list,
/// cycling with different periods so that they combine.
fn mixed_record(
    topic: &str,
    i: usize,
    partitions: i32,
    hour_ago: i64,
) -> ProducerRecord<Bytes, Bytes> {
    let value = match i % 10 {
        4 => None, // tombstone
        7 => Some(Vec::new()),
        9 => Some(
            format!("line {i} of a long value: ünïcødé ✓\n")
                .repeat(200)
                .into_bytes(),
        ),
        _ => Some(
            format!("value-{i} ✓ ünïcødé ")
                .repeat(1 + i % 4)
                .into_bytes(),
        ),
    };
    let key = match i % 6 {
        0 => None,
        5 if i == 5 => Some(Vec::new()),
        _ => Some(format!("key-{}-ключ", i % 13).into_bytes()),
    };
    let headers = match i % 5 {
        0 => vec![],
        1 => vec![Header::new("trace", format!("t-{i}"))],
        2 => vec![
            Header::new("dup", "first"),
            Header {
                key: "nil".into(),
                value: None,
            },
            Header::new("dup", "second"),
        ],
        3 => vec![Header::new("empty", ""), Header::new("ключ", "значение ✓")],
        _ => (0..12)
            .map(|h| Header::new(format!("h{h}"), format!("{i}/{h}")))
            .collect(),
    };
    let timestamp = match i % 7 {
        1 => Some(FAR_PAST),
        2 => Some(Y2K + i as i64),
        3 => Some(hour_ago),
        _ => None,
    };
    ProducerRecord {
        topic: topic.into(),
        partition: (i % 8 == 3).then_some((i / 8) as i32 % partitions),
        key,
        value,
        timestamp,
        headers,
    }
}

/// Sends `records` (all asynchronously, then waits), checks each
/// `RecordMetadata` against the record (explicit partition or the key's
/// partition, explicit timestamp or the send time) and returns what both
/// readers must find, keyed by (partition, offset).
fn send_all(
    p: &Producer<Bytes, Bytes>,
    partitions: i32,
    records: Vec<ProducerRecord<Bytes, Bytes>>,
) -> BTreeMap<(i32, i64), Consumed> {
    let before = now_ms();
    let handles: Vec<_> = records
        .iter()
        .map(|r| {
            p.send(r.clone())
                .unwrap_or_else(|e| panic!("send: {}", e.error))
        })
        .collect();
    let mut expected = BTreeMap::new();
    for (r, h) in records.into_iter().zip(handles) {
        let md: RecordMetadata = h.wait().expect("delivered");
        let after = now_ms();
        assert!(md.offset >= 0, "{md:?}");
        match (r.partition, &r.key) {
            (Some(explicit), _) => assert_eq!(md.partition, explicit, "explicit partition"),
            (None, Some(k)) => assert_eq!(md.partition, key_partition(k, partitions), "key {k:?}"),
            (None, None) => assert!((0..partitions).contains(&md.partition)),
        }
        match r.timestamp {
            Some(ts) => assert_eq!(md.timestamp, ts, "explicit timestamp"),
            None => assert!(
                (before..=after).contains(&md.timestamp),
                "send time {} not in [{before}, {after}]",
                md.timestamp
            ),
        }
        let c = Consumed {
            partition: md.partition,
            offset: md.offset,
            key: r.key,
            value: r.value,
            headers: r.headers.into_iter().map(|h| (h.key, h.value)).collect(),
            timestamp: Some(md.timestamp),
        };
        assert!(
            expected.insert((md.partition, md.offset), c).is_none(),
            "offset reported twice"
        );
    }
    expected
}

/// Compares what `reader` read with what was sent, field by field.
fn check(reader: &str, topic: &str, expected: &BTreeMap<(i32, i64), Consumed>, got: &[Consumed]) {
    assert_eq!(
        got.len(),
        expected.len(),
        "{reader} on {topic}: record count"
    );
    let mut seen = BTreeSet::new();
    for g in got {
        let at = format!("{reader} on {topic}[{}] offset {}", g.partition, g.offset);
        assert!(seen.insert((g.partition, g.offset)), "{at}: read twice");
        let e = expected
            .get(&(g.partition, g.offset))
            .unwrap_or_else(|| panic!("{at}: no record was sent there"));
        assert_eq!(g.key, e.key, "{at}: key");
        assert_eq!(g.value, e.value, "{at}: value");
        assert_eq!(g.headers, e.headers, "{at}: headers");
        assert_eq!(g.timestamp, e.timestamp, "{at}: timestamp");
    }
}

/// Reads `topic` with both consumers and checks both against `expected`.
fn read_back_twice(
    k: &KafkaCluster,
    topic: &str,
    partitions: i32,
    expected: &BTreeMap<(i32, i64), Consumed>,
) {
    let parts: Vec<i32> = (0..partitions).collect();
    let rd = consume_all(&k.bootstrap, topic, &parts, expected.len(), TIMEOUT);
    check("rdkafka", topic, expected, &rd);
    let java = console_consume(k, topic, expected.len(), TIMEOUT);
    check("java", topic, expected, &java);
}

fn every_codec(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    const PARTITIONS: i32 = 3;
    const N: usize = 120;
    let mut segments = Vec::new();
    for codec in Compression::ALL {
        let t0 = Instant::now();
        let name = format!("{codec:?}").to_lowercase();
        let topic = k.new_topic(&format!("codec-{name}"), PARTITIONS);
        let p = producer(&k.bootstrap, codec);
        let hour_ago = now_ms() - 3_600_000;
        let records = (0..N)
            .map(|i| mixed_record(&topic, i, PARTITIONS, hour_ago))
            .collect();
        let expected = send_all(&p, PARTITIONS, records);
        p.close(Duration::from_secs(10));
        read_back_twice(k, &topic, PARTITIONS, &expected);
        eprintln!(
            "kafka {}: {name}: {N} records, both readers agree ({:.1} s)",
            v.as_str(),
            t0.elapsed().as_secs_f64()
        );
        segments.extend((0..PARTITIONS).map(|p| (name.clone(), first_segment(k, &topic, p))));
    }
    // The batches are stored with the codec asked for (the broker keeps the
    // producer's codec), and Kafka finds their CRCs valid.
    let files: Vec<_> = segments.iter().map(|(_, f)| f.clone()).collect();
    for ((name, f), found) in segments.iter().zip(batch_codecs(k, &files)) {
        assert_eq!(
            found,
            BTreeSet::from([name.clone()]),
            "batch codecs in {}",
            f.display()
        );
    }
}

fn keyed_records_follow_key_partition(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    const PARTITIONS: i32 = 7;
    let topic = k.new_topic("keyed", PARTITIONS);
    let p = producer(&k.bootstrap, Compression::Lz4);
    let records = (0..700)
        .map(|i| {
            ProducerRecord::new(topic.as_str(), format!("v{i}").into_bytes())
                .key(format!("user-{}", i % 101).into_bytes())
        })
        .collect();
    let expected = send_all(&p, PARTITIONS, records);
    p.close(Duration::from_secs(10));
    read_back_twice(k, &topic, PARTITIONS, &expected);
    // The readers confirmed the partitions; every partition got some keys.
    let used: BTreeSet<i32> = expected.keys().map(|(p, _)| *p).collect();
    assert_eq!(used.len(), PARTITIONS as usize, "keys spread over {used:?}");
}

/// Partitions added while the producer runs are used once its metadata
/// refresh (`metadata.max.age.ms`) sees them: no caller thread's cached
/// route to the topic outlives the change.
fn partitions_added_while_producing_are_used(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("grown", 2);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&k.bootstrap)
        .metadata_max_age(Duration::from_millis(500))
        .build()
        .unwrap();
    let p: Producer<Bytes, Bytes> = Producer::new(config).unwrap();
    let record = |value: &str| ProducerRecord::new(topic.as_str(), value.as_bytes().to_vec());
    p.send(record("before")).unwrap().wait().unwrap();
    match p.send(record("early").partition(3)) {
        Err(e) => assert!(
            matches!(e.error, Refusal::InvalidPartition { partitions: 2, .. }),
            "{e}"
        ),
        Ok(_) => panic!("partition 3 of a topic with 2 accepted"),
    }
    k.add_partitions(&topic, 4);
    let deadline = Instant::now() + TIMEOUT;
    let md = loop {
        match p.send(record("after").partition(3)) {
            Ok(handle) => break handle.wait().unwrap(),
            Err(e) => {
                assert!(Instant::now() < deadline, "partition 3 never usable: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    assert_eq!(md.partition, 3);
    p.close(Duration::from_secs(10));
    let got = consume_all(&k.bootstrap, &topic, &[3], 1, TIMEOUT);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].value.as_deref(), Some(&b"after"[..]));
    assert_eq!(got[0].offset, md.offset);
}

/// Kafka's names of the API keys this producer may use.
fn api_name(key: i16) -> &'static str {
    match key {
        0 => "Produce",
        3 => "Metadata",
        10 => "FindCoordinator",
        17 => "SaslHandshake",
        18 => "ApiVersions",
        22 => "InitProducerId",
        24 => "AddPartitionsToTxn",
        25 => "AddOffsetsToTxn",
        26 => "EndTxn",
        28 => "TxnOffsetCommit",
        36 => "SaslAuthenticate",
        _ => "?",
    }
}

fn protocol_versions(v: Version) {
    let Some(k) = KafkaCluster::shared(v) else {
        return;
    };
    let _logs = k.logs_on_panic();
    let topic = k.new_topic("versions", 3);
    // Only this test talks through the proxies.
    let p = producer(&k.proxied_bootstrap, Compression::Zstd);
    let records = (0..30)
        .map(|i| {
            ProducerRecord::new(topic.as_str(), format!("v{i}").into_bytes())
                .key(format!("k{i}").into_bytes())
        })
        .collect();
    let expected = send_all(&p, 3, records);
    p.close(Duration::from_secs(10));
    let got = consume_all(&k.bootstrap, &topic, &[0, 1, 2], expected.len(), TIMEOUT);
    check("rdkafka", &topic, &expected, &got);

    let mut seen: BTreeMap<i16, BTreeSet<i16>> = BTreeMap::new();
    for id in k.node_ids() {
        for (api, vs) in k.with_proxy(id, |p| p.versions_seen()) {
            seen.entry(api).or_default().extend(vs);
        }
    }
    eprintln!("kafka {}: request versions the producer used:", v.as_str());
    eprintln!("  {:<20} {:>3}  versions", "API", "key");
    for (api, vs) in &seen {
        eprintln!("  {:<20} {api:>3}  {vs:?}", api_name(*api));
    }
    let produce = seen.get(&0).expect("no Produce request seen");
    match v {
        Version::V3_9 => assert_eq!(produce, &BTreeSet::from([11]), "Produce on 3.9"),
        // Topic ids (KIP-516) from Metadata v10+ name the topics in v13.
        Version::V4 => assert_eq!(produce, &BTreeSet::from([13]), "Produce on 4.x"),
    }
}

#[test]
fn every_codec_v4() {
    every_codec(Version::V4)
}

#[test]
fn every_codec_v3_9() {
    every_codec(Version::V3_9)
}

#[test]
fn keyed_records_follow_key_partition_v4() {
    keyed_records_follow_key_partition(Version::V4)
}

#[test]
fn keyed_records_follow_key_partition_v3_9() {
    keyed_records_follow_key_partition(Version::V3_9)
}

#[test]
fn partitions_added_while_producing_are_used_v4() {
    partitions_added_while_producing_are_used(Version::V4)
}

#[test]
fn protocol_versions_v4() {
    protocol_versions(Version::V4)
}

#[test]
fn protocol_versions_v3_9() {
    protocol_versions(Version::V3_9)
}

/// The console consumer's format as 4.4.0 and 3.9.2 print it (see
/// `common/java.rs`): nulls, empty fields and headers parse apart.
#[test]
fn console_consumer_output_parses() {
    use common::java::{parse, EOL, HSEP, NULL, SEP};
    let raw = format!(
        "CreateTime:1{SEP}Partition:2{SEP}Offset:3{SEP}dup:a{HSEP}nil:{NULL}{HSEP}e:{SEP}{NULL}{SEP}v\nw{EOL}\
         CreateTime:4{SEP}Partition:0{SEP}Offset:5{SEP}NO_HEADERS{SEP}{SEP}{NULL}{EOL}"
    );
    let got = parse(raw.as_bytes()).unwrap();
    let headers = vec![
        ("dup".to_string(), Some(b"a".to_vec())),
        ("nil".to_string(), None),
        ("e".to_string(), Some(vec![])),
    ];
    let first = Consumed {
        partition: 2,
        offset: 3,
        key: None,
        value: Some(b"v\nw".to_vec()),
        headers,
        timestamp: Some(1),
    };
    let second = Consumed {
        partition: 0,
        offset: 5,
        key: Some(vec![]),
        value: None,
        headers: vec![],
        timestamp: Some(4),
    };
    assert_eq!(got, vec![first, second]);
    assert!(parse(format!("CreateTime:1{SEP}Partition:2{EOL}").as_bytes()).is_err());
    assert!(parse(b"Option --property is deprecated\n").is_err());
}
