//! Attributing duplicates and reorders with a raw fetch (see the module docs of [`super`]).

use super::outcome::PartitionCounts;
use super::KEYS;
use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::TopicName;
use kafka_protocol::messages::{FetchRequest, FetchResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::RecordBatchDecoder;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A record as the raw fetch shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    producer_id: i64,
    epoch: i16,
    sequence: i32,
}

/// Fetches the partitions with anomalies through `kafka-protocol` and
/// attributes each duplicate and reorder (see the module docs).
pub(super) fn attribute(
    bootstrap: &str,
    topic_name: &str,
    parts: &mut [PartitionCounts],
    dups: &[Vec<(i64, usize)>],
    reorders: &[Vec<(i64, i64)>],
    first_offset: &[i64],
    examples: &mut Vec<String>,
) -> Result<(), String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| e.to_string())?;
    let md = consumer
        .fetch_metadata(Some(topic_name), Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let brokers: HashMap<i32, String> = md
        .brokers()
        .iter()
        .map(|b| (b.id(), format!("{}:{}", b.host(), b.port())))
        .collect();
    let topic = md.topics().first().ok_or("no topic metadata")?;
    for (p, c) in parts.iter_mut().enumerate() {
        if c.duplicated + c.reordered == 0 && std::env::var_os("FAULT_ATTRIBUTE").is_none() {
            continue;
        }
        let leader = topic
            .partitions()
            .iter()
            .find(|x| x.id() == p as i32)
            .map(|x| x.leader())
            .ok_or("no partition metadata")?;
        let addr = brokers.get(&leader).ok_or("leader not in metadata")?;
        let batches = raw_fetch(addr, topic_name, p as i32)?;
        let mut stamps: HashMap<i64, Stamp> = HashMap::new();
        // Accepted gaps: offsets of batches out of sequence for their
        // producer id and epoch.
        let mut expected: HashMap<(i64, i16), i32> = HashMap::new();
        let mut seen_batches: HashSet<(i64, i16, i32)> = Default::default();
        let mut gaps: Vec<i64> = Vec::new();
        for b in &batches {
            let first = b.first().ok_or("empty batch")?;
            for (off, s) in b {
                stamps.insert(*off, *s);
            }
            let key = (first.1.producer_id, first.1.epoch);
            let base = first.1.sequence;
            if first.1.producer_id < 0 {
                continue;
            }
            let dup = !seen_batches.insert((key.0, key.1, base));
            match expected.get(&key) {
                Some(&e) if e != base && !dup => gaps.push(first.0),
                None if base != 0 && !dup => gaps.push(first.0),
                _ => {}
            }
            if !dup {
                expected.insert(key, base.wrapping_add(b.len() as i32));
            }
        }
        c.broker_gaps = gaps.len();
        let first_gap = gaps.iter().copied().min().unwrap_or(i64::MAX);
        for &(off, idx) in &dups[p] {
            let (a, b) = (stamps.get(&first_offset[idx]), stamps.get(&off));
            match (a, b) {
                (Some(a), Some(b)) if a == b && a.producer_id >= 0 => c.broker_dups += 1,
                _ => {
                    c.producer_dups += 1;
                    if c.producer_dups <= 3 {
                        examples.insert(
                            0,
                            format!(
                                "producer duplicate k{}:{} in partition {p}: first copy @{} {:?}, again @{off} {:?}",
                                idx % KEYS,
                                idx / KEYS,
                                first_offset[idx],
                                a,
                                b
                            ),
                        );
                    }
                }
            }
        }
        for &(off, higher_at) in &reorders[p] {
            let (r, h) = (stamps.get(&off), stamps.get(&higher_at));
            let stamped_backwards = matches!((r, h), (Some(r), Some(h))
                if r.producer_id == h.producer_id && r.epoch == h.epoch && r.sequence > h.sequence);
            if stamped_backwards || first_gap > off || r.is_none() || h.is_none() {
                c.producer_reorders += 1;
            }
        }
    }
    Ok(())
}

/// Reads a whole partition from `addr` with Fetch v11, decoding batches with
/// `kafka-protocol`: per batch, (offset, stamp) of each record.
fn raw_fetch(addr: &str, topic: &str, partition: i32) -> Result<Vec<Vec<(i64, Stamp)>>, String> {
    const VERSION: i16 = 11;
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut out = Vec::new();
    let mut offset = 0i64;
    let mut corr = 0;
    loop {
        corr += 1;
        let req = FetchRequest::default()
            .with_max_wait_ms(10)
            .with_min_bytes(1)
            .with_max_bytes(64 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(partition)
                    .with_current_leader_epoch(-1)
                    .with_fetch_offset(offset)
                    .with_partition_max_bytes(32 << 20)])]);
        let header = RequestHeader::default()
            .with_request_api_key(1)
            .with_request_api_version(VERSION)
            .with_correlation_id(corr)
            .with_client_id(Some(StrBytes::from_static_str("fault-suite")));
        let mut buf = BytesMut::new();
        header
            .encode(&mut buf, FetchRequest::header_version(VERSION))
            .map_err(|e| e.to_string())?;
        req.encode(&mut buf, VERSION).map_err(|e| e.to_string())?;
        let mut frame = (buf.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&buf);
        s.write_all(&frame).map_err(|e| e.to_string())?;
        let mut size = [0u8; 4];
        s.read_exact(&mut size).map_err(|e| e.to_string())?;
        let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
        s.read_exact(&mut body).map_err(|e| e.to_string())?;
        let mut b = Bytes::from(body);
        ResponseHeader::decode(&mut b, FetchResponse::header_version(VERSION))
            .map_err(|e| e.to_string())?;
        let resp = FetchResponse::decode(&mut b, VERSION).map_err(|e| e.to_string())?;
        let part = resp
            .responses
            .first()
            .and_then(|t| t.partitions.first())
            .ok_or("empty fetch response")?;
        if part.error_code != 0 {
            return Err(format!("fetch error {}", part.error_code));
        }
        let hw = part.high_watermark;
        let mut records = part.records.clone().unwrap_or_default();
        let mut progressed = false;
        while records.len() >= 61 {
            let len = i32::from_be_bytes(records[8..12].try_into().unwrap()) as usize;
            if records.len() < 12 + len {
                break;
            }
            let mut one = records.split_to(12 + len);
            let set = RecordBatchDecoder::decode(&mut one).map_err(|e| e.to_string())?;
            let batch: Vec<(i64, Stamp)> = set
                .records
                .iter()
                .filter(|r| r.offset >= offset)
                .map(|r| {
                    (
                        r.offset,
                        Stamp {
                            producer_id: r.producer_id,
                            epoch: r.producer_epoch,
                            sequence: r.sequence,
                        },
                    )
                })
                .collect();
            if let Some(last) = set.records.last() {
                if last.offset >= offset {
                    offset = last.offset + 1;
                    progressed = true;
                }
            }
            if !batch.is_empty() {
                out.push(batch);
            }
        }
        if offset >= hw {
            return Ok(out);
        }
        if !progressed {
            return Err(format!(
                "fetch made no progress at offset {offset} (hw {hw})"
            ));
        }
    }
}
