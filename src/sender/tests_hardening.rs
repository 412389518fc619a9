//! Stepped sender tests for the "every accepted record completes exactly
//! once, nothing stalls the sender" hardening: InitProducerId backoff,
//! `close` with a zero timeout, broker throttling (KIP-219) and leader-epoch
//! freshness of metadata (KIP-320). Same harness as `tests.rs`.

use super::tests::{
    done, harness, harness_with, metadata, no_idempotence, produce_ok, Harness, Sent, TOPIC,
};
use super::CloseRequest;
use crate::clock::Clock;
use crate::config::ProducerConfig;
use crate::net::{FakeNetwork, NodeId};
use crate::protocol::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::messages::metadata::{MetadataRequest, MetadataResponse};
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::{ErrorCode, Message};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// Takes every InitProducerId request written to any node (Metadata
/// requests are answered by the harness; anything else is dropped).
fn init_requests(h: &mut Harness) -> Vec<(NodeId, Sent)> {
    let mut out = Vec::new();
    for node in [-1, 1, 2] {
        for s in h.take(node) {
            if s.api_key == InitProducerIdRequest::API_KEY {
                out.push((node, s));
            }
        }
    }
    out
}

fn refuse_init(h: &mut Harness, (node, sent): &(NodeId, Sent), code: ErrorCode) {
    let resp = InitProducerIdResponse {
        error_code: code.0,
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    h.answer::<InitProducerIdRequest>(*node, sent, &resp);
}

/// Advances 1 ms at a time (at most `limit`) until an InitProducerId is
/// written; returns it and when.
fn next_init(h: &mut Harness, limit: Duration) -> Option<((NodeId, Sent), Instant)> {
    let end = h.clock.now() + limit;
    while h.clock.now() < end {
        h.advance(MS);
        if let Some(init) = init_requests(h).pop() {
            return Some((init, h.clock.now()));
        }
    }
    None
}

#[test]
fn init_producer_id_refused_with_a_retriable_error_is_retried_after_a_backoff() {
    let mut h = harness(
        ProducerConfig::builder()
            .linger(Duration::ZERO)
            .retry_backoff(Duration::from_millis(100))
            .retry_backoff_max(Duration::from_millis(1000)),
    );
    h.leaders = vec![1, 1];
    h.step();
    h.step();
    let first = init_requests(&mut h);
    assert_eq!(first.len(), 1, "one InitProducerId at start");
    refuse_init(&mut h, &first[0], ErrorCode::COORDINATOR_NOT_AVAILABLE);
    let refused_at = h.clock.now();
    let wake = h.step();
    for _ in 0..20 {
        h.step();
    }
    assert!(
        init_requests(&mut h).is_empty(),
        "InitProducerId re-sent on every step, without a backoff"
    );
    assert!(
        wake.is_some_and(|w| w > refused_at && w <= refused_at + MS * 120),
        "the sender must wake up for the retry: {:?}",
        wake.map(|w| w - refused_at)
    );
    // retry.backoff.ms = 100 ms with ±20% jitter.
    let (second, at) = next_init(&mut h, Duration::from_secs(1)).expect("retried");
    let waited = at - refused_at;
    println!("first retry after {waited:?}");
    assert!(waited >= MS * 80 && waited <= MS * 121, "{waited:?}");
    // The second refusal backs off exponentially: 200 ms ± 20%.
    refuse_init(&mut h, &second, ErrorCode::COORDINATOR_NOT_AVAILABLE);
    h.step();
    let refused_at = h.clock.now();
    let (third, at) = next_init(&mut h, Duration::from_secs(2)).expect("retried again");
    let waited = at - refused_at;
    println!("second retry after {waited:?}");
    assert!(waited >= MS * 160 && waited <= MS * 241, "{waited:?}");
    // Success: Produce goes, and a later bump starts from the base backoff.
    let resp = InitProducerIdResponse {
        producer_id: 7,
        producer_epoch: 0,
        ..Default::default()
    };
    h.answer::<InitProducerIdRequest>(third.0, &third.1, &resp);
    h.step();
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1, "Produce once the producer id is known");
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 3));
    h.step();
    assert_eq!(done(&handle).unwrap().unwrap().offset, 3);
}

#[test]
fn close_with_a_zero_timeout_fails_unsent_records_and_writes_nothing() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let in_flight = h.append(0, b"in flight");
    h.step();
    h.step();
    assert_eq!(h.produces(1).len(), 1, "node 1 connected, one request out");
    // Ready to go at the next step: the queue head of partition 0 (node 1
    // is connected and has room) and partition 1.
    let queued = h.append(0, b"queued");
    let other = h.append(1, b"other");
    h.shared.acc.close();
    *h.shared.close.lock() = Some(CloseRequest {
        deadline: Some(h.clock.now()),
        immediately: false,
    });
    super::run_loop(&mut h.sender, &h.clock);
    for node in [1, 2] {
        let produced = h
            .take_all(node)
            .iter()
            .filter(|s| s.api_key == ProduceRequest::API_KEY)
            .count();
        assert_eq!(
            produced, 0,
            "close(0) wrote a Produce request to node {node}"
        );
    }
    for (name, handle) in [("queued", &queued), ("other", &other)] {
        let err = done(handle).expect("failed at once").unwrap_err();
        assert!(
            matches!(
                err,
                crate::DeliveryError::Closed {
                    may_have_persisted: false
                }
            ),
            "{name}: {err:?}"
        );
    }
    let err = done(&in_flight).expect("failed at once").unwrap_err();
    assert!(
        matches!(
            err,
            crate::DeliveryError::Closed {
                may_have_persisted: true
            }
        ),
        "in flight: {err:?}"
    );
    assert_eq!(h.shared.acc.incomplete_count(), 0);
    assert_eq!(h.shared.acc.pool.used(), 0);
}

#[test]
fn a_throttled_broker_gets_no_request_until_its_throttle_time_passed() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let first = h.append(0, b"a");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1);
    let mut resp = produce_ok(&sent[0], 10);
    resp.throttle_time_ms = 500;
    h.answer::<ProduceRequest>(1, &sent[0], &resp);
    h.step();
    let throttled_at = h.clock.now();
    assert_eq!(done(&first).unwrap().unwrap().offset, 10);
    let to_1 = h.append(0, b"b");
    let to_2 = h.append(1, b"c");
    let wake = h.step(); // node 2: connect
    h.step(); // node 2: ready, sends
    let sent = h.produces(2);
    assert_eq!(sent.len(), 1, "other nodes are not throttled");
    h.answer::<ProduceRequest>(2, &sent[0], &produce_ok(&sent[0], 20));
    h.step();
    assert_eq!(done(&to_2).unwrap().unwrap().offset, 20);
    assert!(
        h.take_all(1).is_empty(),
        "a request to the throttled node 1"
    );
    assert!(
        wake.is_some_and(|w| w <= throttled_at + MS * 500),
        "the sender must wake up when the throttle ends: {:?}",
        wake.map(|w| w.saturating_duration_since(throttled_at))
    );
    h.advance(MS * 499);
    assert!(h.take_all(1).is_empty(), "sent to node 1 before 500 ms");
    assert!(done(&to_1).is_none());
    h.advance(MS);
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1, "sent once the throttle time passed");
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 11));
    h.step();
    assert_eq!(done(&to_1).unwrap().unwrap().offset, 11);
    let m = h.shared.metrics.snapshot(0, 0);
    assert_eq!(m.produce_throttle_time_max_ms, 500);
    assert_eq!(m.produce_throttle_time_avg_ms, 500 / 3, "3 responses");
}

/// Topic `t`: partition 0 led by `leader` at `epoch`, partition 1 by broker 1.
fn with_epoch(leader: i32, epoch: i32, topic_id: [u8; 16]) -> MetadataResponse {
    let mut md = metadata(&[leader, 1]);
    md.topics[0].topic_id = topic_id;
    md.topics[0].partitions[0].leader_epoch = epoch;
    md.topics[0].partitions[1].leader_epoch = 0;
    md
}

/// Answers every Metadata request written (to any node) with `md`.
fn answer_metadata(h: &mut Harness, md: &MetadataResponse) -> usize {
    let mut answered = 0;
    for node in [-1, 1, 2] {
        for s in h.take_all(node) {
            if s.api_key == MetadataRequest::API_KEY {
                h.answer::<MetadataRequest>(node, &s, md);
                answered += 1;
            }
        }
    }
    answered
}

/// A metadata refresh answered with `md`.
fn refresh(h: &mut Harness, md: &MetadataResponse) {
    h.sender.metadata_needed = true;
    h.advance(Duration::from_secs(1)); // past retry.backoff.ms
    assert_eq!(answer_metadata(h, md), 1, "one Metadata request");
    h.step();
}

/// Leader and epoch of partition 0, as callers and as the sender see it.
fn leader_of_0(h: &Harness) -> (Option<i32>, i32) {
    let t = h.shared.cluster.topic(TOPIC).expect("topic known");
    let p = &t.partitions[0];
    let mine = &h.sender.topics[TOPIC].partitions[0];
    assert_eq!((p.leader, p.leader_epoch), (mine.leader, mine.leader_epoch));
    (p.leader, p.leader_epoch)
}

fn stale_metadata_is_ignored(h: &mut Harness, id: [u8; 16]) {
    h.step();
    h.step();
    assert_eq!(answer_metadata(h, &with_epoch(1, 5, id)), 1);
    h.step();
    assert_eq!(leader_of_0(h), (Some(1), 5));
    refresh(h, &with_epoch(2, 4, id));
    assert_eq!(
        leader_of_0(h),
        (Some(1), 5),
        "an older leader epoch replaced a newer one"
    );
    // Records go to the leader of the newer epoch.
    let handle = h.append(0, b"x");
    h.step();
    h.step();
    assert_eq!(h.produces(2).len(), 0);
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1, "sent to the leader of epoch 5");
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 1));
    h.step();
    assert!(done(&handle).unwrap().is_ok());
    refresh(h, &with_epoch(2, 5, id));
    assert_eq!(leader_of_0(h), (Some(2), 5), "the same epoch is taken");
    refresh(h, &with_epoch(1, 6, id));
    assert_eq!(leader_of_0(h), (Some(1), 6), "a newer epoch is taken");
}

#[test]
fn stale_metadata_without_topic_ids_does_not_undo_a_newer_leader() {
    // Metadata v9: leader epochs (v7+) but no topic ids (v10+).
    let v9 = FakeNetwork::broker_versions(&[(0, 3, 11), (3, 1, 9), (18, 0, 4), (22, 0, 5)]);
    let mut h = harness_with(no_idempotence().linger(Duration::ZERO), v9);
    stale_metadata_is_ignored(&mut h, [0; 16]);
}

#[test]
fn stale_metadata_with_topic_ids_does_not_undo_a_newer_leader() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    stale_metadata_is_ignored(&mut h, [9; 16]);
    // A recreated topic (another id) starts its epochs again: taken as is.
    refresh(&mut h, &with_epoch(2, 0, [8; 16]));
    assert_eq!(leader_of_0(&h), (Some(2), 0));
}
