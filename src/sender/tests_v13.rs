//! Stepped sender tests for Produce v13 (topic ids, KIP-516) and for leader
//! hints in Produce responses (KIP-951). Same harness as `tests.rs`.

use super::tests::{
    done, harness_with, metadata, no_idempotence, produce_answer, produce_ok, Harness, Sent, TOPIC,
};
use crate::accumulator::RecordRef;
use crate::delivery::DeliveryHandle;
use crate::net::FakeNetwork;
use crate::protocol::messages::api_versions::ApiVersionsResponse;
use crate::protocol::messages::metadata::{MetadataRequest, MetadataResponse};
use crate::protocol::messages::produce::{
    LeaderIdAndEpoch, NodeEndpoint, ProduceRequest, ProduceResponse,
};
use crate::protocol::{ErrorCode, Message};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

const T_ID: [u8; 16] = [0x11; 16];
const U_ID: [u8; 16] = [0x22; 16];
const OTHER: &str = "u";

/// Brokers that speak Produce up to `produce_max` and Metadata up to v12.
fn versions(produce_max: i16) -> ApiVersionsResponse {
    FakeNetwork::broker_versions(&[(0, 3, produce_max), (3, 1, 12), (18, 0, 4), (22, 0, 5)])
}

/// Topic `t` (id `T_ID`) and topic `u` (id `u_id`), both led by broker 1.
fn two_topics(u_id: [u8; 16]) -> MetadataResponse {
    let mut md = metadata(&[1, 1]);
    md.topics[0].topic_id = T_ID;
    let mut u = md.topics[0].clone();
    u.name = Some(OTHER.into());
    u.topic_id = u_id;
    md.topics.push(u);
    md
}

/// Connects to the bootstrap server and answers its Metadata request with
/// `md` (non-idempotent harnesses only).
fn bootstrap_with(h: &mut Harness, md: &MetadataResponse) {
    h.step();
    h.step();
    let sent = h.take_all(-1);
    let req = sent
        .iter()
        .find(|s| s.api_key == MetadataRequest::API_KEY)
        .expect("a metadata request");
    h.answer::<MetadataRequest>(-1, req, md);
    h.step();
    assert!(h.shared.cluster.topic(TOPIC).is_some());
}

fn append_to(h: &Harness, topic: &str, partition: i32, value: &[u8]) -> DeliveryHandle {
    let a = h
        .shared
        .acc
        .append(
            topic,
            partition,
            2,
            &RecordRef::new(1_000, None, Some(value), &[]),
            &crate::wait::Bound::forever(),
            &h.clock,
            None,
        )
        .ok()
        .expect("appended");
    DeliveryHandle {
        batch: a.result,
        info: a.info,
    }
}

/// Sends one record to each of `t` and `u` (partition 0, leader 1) and
/// returns the one Produce request carrying both.
fn produce_to_both(h: &mut Harness, u_id: [u8; 16]) -> (Sent, DeliveryHandle, DeliveryHandle) {
    // The caller side asks for `u`, so the first Metadata request names it.
    let now = std::time::Instant::now();
    let _ = h
        .shared
        .cluster
        .wait_for_topic(OTHER, now, Some(now), &|| {});
    bootstrap_with(h, &two_topics(u_id));
    let ht = append_to(h, TOPIC, 0, b"to t");
    let hu = append_to(h, OTHER, 0, b"to u");
    h.step();
    h.step();
    let mut sent = h.produces(1);
    assert_eq!(sent.len(), 1, "one request for both topics");
    (sent.remove(0), ht, hu)
}

#[test]
fn produce_v13_names_topics_by_id_and_maps_answers_back_by_id() {
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(13));
    let (sent, ht, hu) = produce_to_both(&mut h, U_ID);
    assert_eq!(sent.version, 13);
    let req: ProduceRequest = sent.decode();
    let mut ids: Vec<_> = req.topic_data.iter().map(|t| t.topic_id).collect();
    ids.sort();
    assert_eq!(ids, [T_ID, U_ID]);
    assert!(req.topic_data.iter().all(|t| t.name.is_empty()));
    // The answer names topics by id only, in another order than asked, with
    // an offset per topic: each batch must get its own topic's.
    let mut resp = produce_ok(&sent, 0);
    resp.responses.reverse();
    for t in &mut resp.responses {
        let offset = if t.topic_id == T_ID { 10 } else { 20 };
        t.partition_responses[0].base_offset = offset;
    }
    h.answer::<ProduceRequest>(1, &sent, &resp);
    h.step();
    let mt = done(&ht).expect("t complete").unwrap();
    let mu = done(&hu).expect("u complete").unwrap();
    assert_eq!((&*mt.topic, mt.offset), (TOPIC, 10));
    assert_eq!((&*mu.topic, mu.offset), (OTHER, 20));
}

#[test]
fn produce_falls_back_to_v12_when_a_topic_id_is_unknown() {
    // `u` has no id (all zeros): the whole request goes by name, as v12.
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(13));
    let (sent, ht, hu) = produce_to_both(&mut h, [0; 16]);
    assert_eq!(sent.version, 12);
    let req: ProduceRequest = sent.decode();
    let mut names: Vec<_> = req.topic_data.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    assert_eq!(names, [TOPIC, OTHER]);
    h.answer::<ProduceRequest>(1, &sent, &produce_ok(&sent, 7));
    h.step();
    assert_eq!(done(&ht).unwrap().unwrap().offset, 7);
    assert_eq!(done(&hu).unwrap().unwrap().offset, 7);

    // A broker without v13 gets v12 even when every id is known.
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(12));
    let (sent, _, _) = produce_to_both(&mut h, U_ID);
    assert_eq!(sent.version, 12);
}

/// UNKNOWN_TOPIC_ID and INCONSISTENT_TOPIC_ID (the topic was recreated with a
/// new id): retried, after a metadata refresh, under the new id.
#[test]
fn a_stale_topic_id_refreshes_metadata_and_retries_with_the_new_id() {
    for code in [
        ErrorCode::UNKNOWN_TOPIC_ID,
        ErrorCode::INCONSISTENT_TOPIC_ID,
    ] {
        assert!(
            code.is_retriable() && code.needs_metadata_refresh(),
            "{code}"
        );
        let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(13));
        h.topic_id = T_ID;
        h.bootstrap(&[1, 1]);
        let handle = h.append(0, b"x");
        h.step();
        h.step();
        let sent = h.produces(1);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].decode::<ProduceRequest>().topic_data[0].topic_id,
            T_ID
        );
        h.answer::<ProduceRequest>(1, &sent[0], &produce_answer(&sent[0], code, -1));
        h.step();
        assert!(done(&handle).is_none(), "{code} is retriable");
        assert!(h.sender.metadata_needed || h.sender.metadata_in_flight);
        // The topic now has another id; metadata says so when asked.
        h.topic_id = U_ID;
        let mut metadata_requests = 0;
        let mut ids = Vec::new();
        for _ in 0..100 {
            h.advance(Duration::from_millis(10));
            for node in [-1, 1, 2] {
                for s in h.take_all(node) {
                    if s.api_key == MetadataRequest::API_KEY {
                        metadata_requests += 1;
                        let md = h.metadata();
                        h.answer::<MetadataRequest>(node, &s, &md);
                        continue;
                    }
                    let id = s.decode::<ProduceRequest>().topic_data[0].topic_id;
                    ids.push(id);
                    let answer = if id == U_ID { ErrorCode::NONE } else { code };
                    h.answer::<ProduceRequest>(node, &s, &produce_answer(&s, answer, 3));
                }
            }
            if done(&handle).is_some() {
                break;
            }
        }
        assert!(metadata_requests >= 1, "metadata refreshed after {code}");
        assert_eq!(ids.last(), Some(&U_ID), "retried under the new id");
        assert_eq!(done(&handle).expect("complete").unwrap().offset, 3);
    }
}

/// NOT_LEADER_OR_FOLLOWER naming partition 0's new leader, broker 3 (not in
/// the metadata) at epoch `epoch`, with its endpoint.
fn not_leader_with_hint(sent: &Sent, epoch: i32) -> ProduceResponse {
    let mut resp = produce_answer(sent, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1);
    resp.responses[0].partition_responses[0].current_leader = LeaderIdAndEpoch {
        leader_id: 3,
        leader_epoch: epoch,
    };
    resp.node_endpoints = vec![NodeEndpoint {
        node_id: 3,
        host: "b3".into(),
        port: 9093,
        rack: None,
    }];
    resp
}

/// Metadata for `t` (id `T_ID`): partition 0 led by `leader` at `epoch`,
/// partition 1 by broker 2.
fn metadata_with_epoch(leader: i32, epoch: i32) -> MetadataResponse {
    let mut md = metadata(&[leader, 2]);
    md.topics[0].topic_id = T_ID;
    md.topics[0].partitions[0].leader_epoch = epoch;
    md
}

fn hints_used(h: &Harness) -> u64 {
    h.shared.metrics.leader_hints_used.load(Relaxed)
}

#[test]
fn a_leader_hint_sends_the_retry_to_the_new_leader_without_waiting_for_metadata() {
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(12));
    bootstrap_with(&mut h, &metadata_with_epoch(1, 3));
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1);
    // Past retry.backoff.ms since the last Metadata request: a refresh may go.
    h.clock.advance(Duration::from_millis(200));
    h.answer::<ProduceRequest>(1, &sent[0], &not_leader_with_hint(&sent[0], 4));
    h.step(); // the hint is applied; the retry connects to broker 3 at once
    assert_eq!(h.sender.net.address(3), Some(("b3", 9093)));
    assert_eq!(hints_used(&h), 1);
    let view = h.shared.cluster.topic(TOPIC).unwrap();
    assert_eq!(
        (view.leader(0), view.partitions[0].leader_epoch),
        (Some(3), 4)
    );
    h.step(); // connected: the retry goes, no Metadata answer in between
    let mut refresh = Vec::new();
    for node in [-1, 1, 2] {
        for s in h.take_all(node) {
            assert_eq!(
                s.api_key,
                MetadataRequest::API_KEY,
                "only a refresh elsewhere"
            );
            refresh.push((node, s));
        }
    }
    assert_eq!(
        refresh.len(),
        1,
        "a background metadata refresh is still asked"
    );
    let retry = h.take_all(3);
    assert_eq!(retry.len(), 1, "the retry went to the hinted leader");
    assert_eq!(retry[0].api_key, ProduceRequest::API_KEY);
    h.answer::<ProduceRequest>(3, &retry[0], &produce_ok(&retry[0], 42));
    // The refresh comes from a broker that has not caught up (epoch 3, leader
    // 1): the newer leader from the hint stays.
    let (node, s) = refresh.remove(0);
    h.answer::<MetadataRequest>(node, &s, &metadata_with_epoch(1, 3));
    h.step();
    assert_eq!(done(&handle).expect("complete").unwrap().offset, 42);
    assert_eq!(h.shared.cluster.topic(TOPIC).unwrap().leader(0), Some(3));
}

#[test]
fn a_hint_not_newer_than_the_known_epoch_or_without_an_endpoint_is_ignored() {
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(12));
    bootstrap_with(&mut h, &metadata_with_epoch(1, 3));
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    let sent = h.produces(1);
    // Epoch 3 is what we know: not newer.
    h.answer::<ProduceRequest>(1, &sent[0], &not_leader_with_hint(&sent[0], 3));
    h.step();
    assert_eq!(hints_used(&h), 0);
    assert_eq!(h.shared.cluster.topic(TOPIC).unwrap().leader(0), Some(1));
    assert_eq!(h.sender.net.address(3), None, "no endpoint registered");
    // The retry backs off and goes to the old leader.
    h.step();
    assert!(h.take_all(3).is_empty());
    h.advance(Duration::from_millis(150));
    let retry = h.produces(1);
    assert_eq!(
        retry.len(),
        1,
        "retried to the known leader after the backoff"
    );
    // A newer hint naming a broker whose endpoint nobody gave: ignored too.
    let mut resp = not_leader_with_hint(&retry[0], 9);
    resp.node_endpoints.clear();
    h.answer::<ProduceRequest>(1, &retry[0], &resp);
    h.step();
    assert_eq!(hints_used(&h), 0);
    assert_eq!(h.shared.cluster.topic(TOPIC).unwrap().leader(0), Some(1));
    assert!(done(&handle).is_none());
}

/// Produce v13 and a leader hint together: the hint's topic is known by id.
#[test]
fn a_leader_hint_in_a_v13_answer_finds_its_topic_by_id() {
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), versions(13));
    bootstrap_with(&mut h, &metadata_with_epoch(1, 3));
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent[0].version, 13);
    h.answer::<ProduceRequest>(1, &sent[0], &not_leader_with_hint(&sent[0], 4));
    h.step();
    h.step();
    assert_eq!(hints_used(&h), 1);
    let retry: Vec<_> = h.take_all(3);
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].version, 13);
    h.answer::<ProduceRequest>(3, &retry[0], &produce_ok(&retry[0], 1));
    h.step();
    assert_eq!(done(&handle).unwrap().unwrap().offset, 1);
}
