//! The foundation's real proof: Produce requests built by our codec, sent over
//! a plain blocking socket to real brokers (librdkafka's mock cluster and
//! tansu), for every codec at Produce v3, v7, v9 and the broker's highest
//! version, then read back by the rdkafka consumer with `check.crcs=true`.
//! Keys, values (null included), headers and timestamps must all match.

mod common;

use common::raw::RawConn;
use common::{consume_all, mock_cluster, Consumed, Tansu};
use kafka_sync::protocol::messages::init_producer_id::InitProducerIdRequest;
use kafka_sync::protocol::messages::metadata::{MetadataRequest, MetadataResponse};
use kafka_sync::protocol::messages::produce::{
    PartitionProduceData, ProduceRequest, ProduceResponse, TopicProduceData,
};
use kafka_sync::protocol::ErrorCode;
use kafka_sync::record_batch::{BatchOptions, BatchWriter, Compression, Header};
use std::collections::BTreeMap;
use std::time::Duration;

const PARTITIONS: i32 = 2;
const RECORDS: usize = 40;
const BASE_TS: i64 = 1_700_000_000_000;

/// The records sent to one partition: nulls, headers and a timestamp that
/// goes backwards (negative delta) included.
fn records(partition: i32) -> Vec<Consumed> {
    (0..RECORDS)
        .map(|i| {
            let key = (i % 7 != 3).then(|| format!("key-{partition}-{i}").into_bytes());
            let value = (i % 11 != 5).then(|| format!("value {i} ").repeat(i % 5 + 1).into_bytes());
            let headers = match i % 3 {
                0 => vec![],
                1 => vec![("trace".to_string(), Some(vec![i as u8; 3]))],
                _ => vec![
                    ("a".to_string(), Some(b"1".to_vec())),
                    ("nil".to_string(), None),
                ],
            };
            let timestamp = if i == 4 {
                BASE_TS - 1000
            } else {
                BASE_TS + 3 * i as i64
            };
            Consumed {
                partition,
                offset: i as i64,
                key,
                value,
                headers,
                timestamp: Some(timestamp),
            }
        })
        .collect()
}

fn batch(records: &[Consumed], options: &BatchOptions) -> Vec<u8> {
    let mut w = BatchWriter::with_capacity(4096);
    for r in records {
        let headers: Vec<Header> = r
            .headers
            .iter()
            .map(|(k, v)| Header {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        w.append(
            r.timestamp.unwrap(),
            r.key.as_deref(),
            r.value.as_deref(),
            &headers,
        );
    }
    w.finish(options).expect("finish batch")
}

fn metadata(conn: &mut RawConn, topic: &str) -> MetadataResponse {
    let v = conn.version_of::<MetadataRequest>();
    for _ in 0..50 {
        let md = conn.call(&MetadataRequest::for_topics([topic]), v);
        let ready = md.topic(topic).is_some_and(|t| {
            t.error_code == 0
                && t.partitions.len() == PARTITIONS as usize
                && (0..PARTITIONS).all(|p| md.leader(topic, p).is_some())
        });
        if ready {
            return md;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no metadata for {topic}");
}

fn produce_version_set(max: i16) -> Vec<i16> {
    let mut v: Vec<i16> = [3, 7, 9, max].into_iter().filter(|v| *v <= max).collect();
    v.dedup();
    v
}

/// Produces one batch per partition of `topic` at `version` with `codec`,
/// grouped per leader, and checks the response.
fn produce_topic(bootstrap: &str, topic: &str, version: i16, codec: Compression) {
    let mut boot = RawConn::connect(bootstrap);
    let md = metadata(&mut boot, topic);
    let mut by_leader: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for p in 0..PARTITIONS {
        let b = md.leader(topic, p).unwrap();
        by_leader
            .entry(format!("{}:{}", b.host, b.port))
            .or_default()
            .push(p);
    }
    let options = BatchOptions::default().with_compression(codec);
    for (addr, parts) in by_leader {
        let mut conn = RawConn::connect(&addr);
        let req = ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 10_000,
            topic_data: vec![TopicProduceData {
                name: topic.to_string(),
                topic_id: [0; 16],
                partition_data: parts
                    .iter()
                    .map(|p| PartitionProduceData {
                        index: *p,
                        records: Some(batch(&records(*p), &options)),
                    })
                    .collect(),
            }],
        };
        let resp: ProduceResponse = conn.call(&req, version);
        let got: Vec<_> = resp.partitions().collect();
        assert_eq!(got.len(), parts.len(), "{topic}: one answer per partition");
        for (t, p) in got {
            assert_eq!(t.name, topic);
            assert_eq!(
                ErrorCode(p.error_code),
                ErrorCode::NONE,
                "{topic}[{}] v{version} {codec}: {:?}",
                p.index,
                p.error_message
            );
            assert_eq!(p.base_offset, 0, "{topic}[{}] first batch", p.index);
        }
    }
}

fn check_read_back(bootstrap: &str, topic: &str) {
    let parts: Vec<i32> = (0..PARTITIONS).collect();
    let mut got = consume_all(
        bootstrap,
        topic,
        &parts,
        RECORDS * PARTITIONS as usize,
        Duration::from_secs(30),
    );
    got.sort_by_key(|c| (c.partition, c.offset));
    let want: Vec<Consumed> = parts.iter().flat_map(|p| records(*p)).collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{topic}: record differs");
    }
}

fn combos(max_produce: i16) -> Vec<(i16, Compression)> {
    let mut out = Vec::new();
    for v in produce_version_set(max_produce) {
        for codec in Compression::ALL {
            // zstd needs Produce v7+ (Kafka 2.1).
            if codec == Compression::Zstd && v < 7 {
                continue;
            }
            assert!(
                codec.is_available(),
                "run with --all-features: {codec} missing"
            );
            out.push((v, codec));
        }
    }
    out
}

fn run_matrix(bootstrap: &str, create_topic: &dyn Fn(&str)) -> usize {
    let max = RawConn::connect(bootstrap).version_of::<ProduceRequest>();
    assert!(max >= 9, "broker supports only Produce v{max}");
    let combos = combos(max);
    for (v, codec) in &combos {
        let topic = format!("raw-v{v}-{codec}");
        create_topic(&topic);
        produce_topic(bootstrap, &topic, *v, *codec);
    }
    for (v, codec) in &combos {
        check_read_back(bootstrap, &format!("raw-v{v}-{codec}"));
    }
    combos.len()
}

#[test]
fn raw_produce_every_codec_and_version_to_mock_cluster() {
    let cluster = mock_cluster(3, &[]);
    let bootstrap = cluster.bootstrap_servers();
    let n = run_matrix(&bootstrap, &|t| {
        cluster.create_topic(t, PARTITIONS, 3).unwrap()
    });
    // 5 codecs at v7, v9, v10 and 4 at v3.
    assert_eq!(n, 19);
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn raw_produce_every_codec_and_version_to_tansu() {
    let Some(tansu) = Tansu::start() else { return };
    let n = run_matrix(&tansu.bootstrap, &|t| tansu.create_topic(t, PARTITIONS));
    assert!(n >= 19, "{n} combinations");
}

/// tansu checks idempotent sequences: our producer-id, epoch and base
/// sequence fields must be where the broker looks. A replay of the same batch
/// must be recognised as a duplicate and a gap refused, and the reader must
/// see exactly one copy.
#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn raw_idempotent_batches_are_deduplicated_by_tansu() {
    let Some(tansu) = Tansu::start() else { return };
    let topic = "raw-idempotent";
    tansu.create_topic(topic, PARTITIONS);
    let mut conn = RawConn::connect(&tansu.bootstrap);
    let _ = metadata(&mut conn, topic);
    let v = conn.version_of::<InitProducerIdRequest>();
    let init = conn.call(
        &InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        },
        v,
    );
    assert_eq!(init.error_code, 0, "InitProducerId v{v}");
    let (pid, epoch) = (init.producer_id, init.producer_epoch);
    assert!(pid >= 0);

    let all = records(0);
    let (first, second) = all.split_at(RECORDS / 2);
    let pv = conn.version_of::<ProduceRequest>();
    let mut produce = |recs: &[Consumed], seq: i32| -> (i16, i64) {
        let req = ProduceRequest {
            transactional_id: None,
            acks: -1,
            timeout_ms: 10_000,
            topic_data: vec![TopicProduceData {
                name: topic.into(),
                topic_id: [0; 16],
                partition_data: vec![PartitionProduceData {
                    index: 0,
                    records: Some(batch(
                        recs,
                        &BatchOptions::idempotent(pid, epoch, seq)
                            .with_compression(Compression::Lz4),
                    )),
                }],
            }],
        };
        let resp = conn.call(&req, pv);
        let (_, p) = resp.partitions().next().unwrap();
        (p.error_code, p.base_offset)
    };
    assert_eq!(produce(first, 0), (0, 0));
    let (dup, _) = produce(first, 0);
    assert!(
        dup == ErrorCode::DUPLICATE_SEQUENCE_NUMBER.0 || dup == 0,
        "replay answered {}",
        ErrorCode(dup)
    );
    let gap = first.len() as i32 + 7;
    assert_eq!(
        produce(second, gap).0,
        ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER.0
    );
    assert_eq!(produce(second, first.len() as i32), (0, first.len() as i64));

    let got = consume_all(
        &tansu.bootstrap,
        topic,
        &[0],
        RECORDS,
        Duration::from_secs(30),
    );
    assert_eq!(got, all);
}
