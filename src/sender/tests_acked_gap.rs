//! A batch whose answer was lost while a later batch of its partition (same
//! producer id and epoch) was acknowledged is in the log: the broker appends
//! only contiguous sequences. A late retry of it is refused as
//! OUT_OF_ORDER_SEQUENCE_NUMBER once more than five later batches were
//! written (the broker's duplicate window), which must not be taken for a
//! gap. Found on Kafka 3.9: a leader SIGSTOPped with acks=all in flight;
//! the batch retried for `delivery.timeout.ms` and failed, though written.

use super::tests::{done, harness, produce_answer, produce_ok, Harness, Sent};
use crate::config::ProducerConfig;
use crate::delivery::DeliveryHandle;
use crate::protocol::messages::init_producer_id::InitProducerIdRequest;
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::{ErrorCode, Message};
use std::time::Duration;

fn config() -> crate::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .linger(Duration::ZERO)
        .batch_size(1024)
}

/// Two batches of partition 0, each sent in a request of its own to node 1.
fn two_requests() -> (
    Harness,
    DeliveryHandle,
    Vec<Sent>,
    DeliveryHandle,
    Vec<Sent>,
) {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    h.confirmed(0, 1);
    let a = h.append(0, &[1; 600]);
    h.step();
    h.step();
    let first = h.produces(1);
    let b = h.append(0, &[2; 600]);
    h.step();
    h.step();
    let second = h.produces(1);
    assert_eq!((first.len(), second.len()), (1, 1), "one request each");
    (h, a, first, b, second)
}

#[test]
fn out_of_order_for_a_late_copy_before_an_acknowledged_batch_means_written() {
    let (mut h, a, first, b, second) = two_requests();
    // The earlier batch's answer leaves it maybe written; the later one is
    // acknowledged; the retry of the earlier one (a late copy) is refused as
    // out of order: it is in the log.
    h.answer::<ProduceRequest>(
        1,
        &first[0],
        &produce_answer(&first[0], ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND, -1),
    );
    h.answer::<ProduceRequest>(1, &second[0], &produce_ok(&second[0], 11));
    h.step();
    assert_eq!(done(&b).unwrap().unwrap().offset, 11);
    let mut answered = false;
    for _ in 0..30 {
        h.advance(Duration::from_millis(100));
        let sent: Vec<_> = h.take(1).into_iter().chain(h.take(2)).collect();
        for s in sent {
            assert_ne!(s.api_key, InitProducerIdRequest::API_KEY, "no epoch bump");
            if s.api_key == ProduceRequest::API_KEY {
                assert!(!answered, "resent once");
                h.answer::<ProduceRequest>(
                    1,
                    &s,
                    &produce_answer(&s, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1),
                );
                answered = true;
            }
        }
        h.step();
    }
    assert!(answered, "the earlier batch was retried");
    let md = done(&a).expect("completed").expect("written, not failed");
    assert_eq!(md.offset, -1, "offset unknown");
}

#[test]
fn out_of_order_while_a_later_batch_is_in_flight_does_not_bump() {
    let (mut h, _a, first, b, second) = two_requests();
    // Refused while the later batch is unanswered: no bump (its answer may
    // prove the earlier one written), a retry instead.
    h.answer::<ProduceRequest>(
        1,
        &first[0],
        &produce_answer(&first[0], ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1),
    );
    h.step();
    assert!(!h.sender.idempotence.as_ref().unwrap().bump_needed);
    h.answer::<ProduceRequest>(1, &second[0], &produce_ok(&second[0], 11));
    h.step();
    assert_eq!(done(&b).unwrap().unwrap().offset, 11);
    assert!(!h.sender.idempotence.as_ref().unwrap().bump_needed);
}

/// The base sequences of partition 0's batches in a Produce request.
fn sequences(s: &Sent) -> Vec<i32> {
    let req: ProduceRequest = s.decode();
    req.topic_data
        .iter()
        .flat_map(|t| t.partition_data.iter())
        .filter(|p| p.index == 0)
        .map(|p| {
            let r = p.records.as_deref().expect("records");
            i32::from_be_bytes(r[53..57].try_into().expect("base sequence"))
        })
        .collect()
}

/// Found on Kafka 3.9 (SIGSTOP of a leader, acks=all): a batch was still
/// unanswered at the old leader when a later one went to the new leader,
/// which had no state for the producer id and so accepted it out of turn;
/// the earlier batch's retry was then refused as out of order and taken for
/// written (the rule above), though it was not in the log. A partition's
/// batches now go to the new leader only once the old one has none of them
/// in flight.
/// A harness with partition 0's first batch (sequence 0) sent to node 1:
/// its handle and the request frames.
fn first_batch_sent(h: &mut Harness) -> (DeliveryHandle, Vec<Sent>) {
    h.bootstrap(&[1, 2]);
    let a = h.append(0, &[1; 600]);
    h.step();
    h.step();
    let first = h.produces(1);
    assert_eq!(sequences(&first[0]), [0]);
    (a, first)
}

#[test]
fn after_a_leader_change_nothing_goes_to_the_new_leader_before_the_old_one_answered() {
    let mut h = harness(config().request_timeout(Duration::from_secs(5)));
    let (a, _first) = first_batch_sent(&mut h);
    // The leader moves to node 2 while the first batch is unanswered.
    h.leaders = vec![2, 2];
    h.sender.metadata_needed = true;
    h.advance(Duration::from_secs(1));
    for node in [-1, 1, 2] {
        for s in h.take_all(node) {
            let md = h.metadata();
            h.answer::<crate::protocol::messages::metadata::MetadataRequest>(node, &s, &md);
        }
    }
    h.step();
    let b = h.append(0, &[2; 600]);
    for _ in 0..3 {
        h.advance(Duration::from_millis(100));
        assert!(
            h.produces(2).is_empty(),
            "nothing of partition 0 to node 2 yet"
        );
    }
    // The old leader never answers: the request times out, and the first
    // batch goes to node 2 ahead of the second.
    let mut seen = Vec::new();
    for _ in 0..100 {
        h.advance(Duration::from_millis(100));
        for s in h.produces(2) {
            let seqs = sequences(&s);
            h.answer::<ProduceRequest>(2, &s, &produce_ok(&s, 20 + seen.len() as i64));
            seen.extend(seqs);
        }
        let _ = h.take(1);
        if seen.len() >= 2 {
            break;
        }
    }
    h.step();
    assert_eq!(seen, [0, 1], "in sequence order at the new leader");
    assert_eq!(done(&a).unwrap().unwrap().offset, 20);
    assert_eq!(done(&b).unwrap().unwrap().offset, 21);
}

/// Found on Kafka 4.4 (CI, `kafka_faults`): on a topic just created, a
/// partition's first batch was refused by its leader, which had not taken
/// the partition over yet (NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION,
/// both "may be written"); the second batch, pipelined right behind, found
/// the leader ready and without state for our producer id, and was written
/// first, out of turn. The first one's retry was then refused as out of
/// order and, a later batch being acknowledged, taken for written (the rule
/// above): 51 acknowledged records lost. Until a node acknowledged a batch
/// of the partition (with no failure since), one batch of it at a time goes
/// there.
#[test]
fn a_leader_that_acknowledged_nothing_yet_gets_one_batch_at_a_time() {
    let mut h = harness(config());
    let (a, first) = first_batch_sent(&mut h);
    let b = h.append(0, &[2; 600]);
    h.step();
    assert!(h.produces(1).is_empty(), "the second waits for the first");
    // Refused while the node takes over: the first goes again, alone.
    let refused = produce_answer(&first[0], ErrorCode::NOT_LEADER_OR_FOLLOWER, -1);
    h.answer::<ProduceRequest>(1, &first[0], &refused);
    let mut seen = Vec::new();
    for _ in 0..50 {
        h.advance(Duration::from_millis(100));
        let _ = h.take(-1);
        let sent: Vec<_> = h.take(1);
        assert!(sent.len() <= 1, "one request of partition 0 at a time");
        for s in sent {
            seen.extend(sequences(&s));
            let offset = 30 + seen.len() as i64;
            h.answer::<ProduceRequest>(1, &s, &produce_ok(&s, offset));
        }
        h.step();
        if done(&b).is_some() {
            break;
        }
    }
    assert_eq!(seen, [0, 1], "the first again, then the second");
    assert_eq!(done(&a).unwrap().unwrap().offset, 31);
    assert_eq!(done(&b).unwrap().unwrap().offset, 32);
    // Acknowledged: pipelining resumes.
    let _c = h.append(0, &[3; 600]);
    h.step();
    h.step();
    let _d = h.append(0, &[4; 600]);
    h.step();
    h.step();
    assert_eq!(h.produces(1).len(), 2, "two requests in flight");
}
