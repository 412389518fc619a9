//! Stepped sender tests for a sequenced batch that passes
//! `delivery.timeout.ms` while its request is unanswered (issue 11, item 1):
//! it fails at once, but its sequence stays unresolved until the answer,
//! the connection's end or a later acknowledgement tells whether it was
//! written; then, if it may be a hole, the epoch is bumped, so later batches
//! of the partition are delivered in order instead of being refused as out
//! of order until they expire too.

use super::tests::{done, harness, produce_answer, produce_ok, Harness, Sent};
use crate::clock::Clock;
use crate::config::ProducerConfig;
use crate::delivery::DeliveryHandle;
use crate::protocol::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::{ErrorCode, Message};
use crate::record_batch::read_batches;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

fn config() -> crate::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .linger(Duration::ZERO)
        .batch_size(1024)
        .request_timeout(Duration::from_millis(1000))
        .delivery_timeout(Duration::from_millis(1000))
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(10))
}

/// (producer epoch, base sequence) of the one batch of a Produce request.
fn stamp(sent: &Sent) -> (i16, i32) {
    let req: ProduceRequest = sent.decode();
    let records = req.topic_data[0].partition_data[0]
        .records
        .as_ref()
        .unwrap();
    let header = read_batches(records).unwrap()[0].header;
    (header.producer_epoch, header.base_sequence)
}

/// A (sequence 0, 500 ms old) and B (sequence 1, new) in flight to node 1
/// in two requests; then A passes `delivery.timeout.ms` in flight.
fn a_expires_in_flight() -> (Harness, DeliveryHandle, Sent, DeliveryHandle, Sent) {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    h.confirmed(0, 1);
    let a = h.append_created(0, &[1; 600], h.clock.now() - Duration::from_millis(500));
    h.step();
    h.step();
    let first = h.produces(1);
    let b = h.append(0, &[2; 600]);
    h.step();
    h.step();
    let second = h.produces(1);
    assert_eq!((first.len(), second.len()), (1, 1), "one request each");
    assert_eq!((stamp(&first[0]), stamp(&second[0])), ((3, 0), (3, 1)));
    h.advance(Duration::from_millis(501));
    match done(&a) {
        Some(Err(crate::DeliveryError::DeliveryTimeout {
            may_have_persisted: true,
            ..
        })) => {}
        other => panic!("A expired in flight: {other:?}"),
    }
    assert!(done(&b).is_none());
    let (first, second) = (first.into_iter().next(), second.into_iter().next());
    (h, a, first.unwrap(), b, second.unwrap())
}

/// Steps 1 ms at a time (at most `limit`), answering Produce requests with
/// `answer` and an InitProducerId with epoch 4, until `b` completes.
fn drive(
    h: &mut Harness,
    b: &DeliveryHandle,
    limit: Duration,
    mut answer: impl FnMut(&Sent) -> crate::protocol::messages::produce::ProduceResponse,
) -> (Vec<(i16, i32)>, usize) {
    let mut stamps = Vec::new();
    let mut inits = 0;
    let end = h.clock.now() + limit;
    while done(b).is_none() && h.clock.now() < end {
        h.advance(MS);
        for node in [-1, 1, 2] {
            for s in h.take(node) {
                if s.api_key == InitProducerIdRequest::API_KEY {
                    inits += 1;
                    let resp = InitProducerIdResponse {
                        producer_id: 4242,
                        producer_epoch: 4,
                        ..Default::default()
                    };
                    h.answer::<InitProducerIdRequest>(node, &s, &resp);
                } else if s.api_key == ProduceRequest::API_KEY {
                    stamps.push(stamp(&s));
                    let resp = answer(&s);
                    h.answer::<ProduceRequest>(node, &s, &resp);
                }
            }
        }
    }
    (stamps, inits)
}

#[test]
fn expired_in_flight_then_answered_written_needs_no_bump() {
    let (mut h, _a, first, b, second) = a_expires_in_flight();
    h.answer::<ProduceRequest>(1, &first, &produce_ok(&first, 10));
    h.answer::<ProduceRequest>(1, &second, &produce_ok(&second, 11));
    h.step();
    assert_eq!(done(&b).unwrap().unwrap().offset, 11);
    // The next batch follows under the same stamp: nothing was bumped.
    let c = h.append(0, &[3; 600]);
    let (stamps, inits) = drive(&mut h, &c, Duration::from_millis(200), |s| {
        produce_ok(s, 12)
    });
    assert_eq!(done(&c).unwrap().unwrap().offset, 12);
    assert_eq!((stamps, inits), (vec![(3, 2)], 0));
}

#[test]
fn expired_in_flight_then_refused_bumps_and_later_batches_are_delivered() {
    let (mut h, _a, first, b, second) = a_expires_in_flight();
    // A was not written; B, behind it, is out of order.
    let not_leader = produce_answer(&first, ErrorCode::NOT_LEADER_OR_FOLLOWER, -1);
    h.answer::<ProduceRequest>(1, &first, &not_leader);
    let oos = produce_answer(&second, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1);
    h.answer::<ProduceRequest>(1, &second, &oos);
    h.step();
    let (stamps, inits) = drive(&mut h, &b, Duration::from_millis(800), |s| {
        if stamp(s).0 == 3 {
            produce_answer(s, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
        } else {
            produce_ok(s, 20)
        }
    });
    let md = done(&b)
        .expect("B completes before its delivery timeout")
        .expect("B is delivered after the bump");
    assert_eq!(md.offset, 20);
    assert_eq!(inits, 1, "one epoch bump");
    assert_eq!(stamps.last(), Some(&(4, 0)), "B re-stamped: {stamps:?}");
}

#[test]
fn expired_in_flight_then_connection_lost_bumps_and_later_batches_are_delivered() {
    let (mut h, _a, _first, b, _second) = a_expires_in_flight();
    h.sender.net.drop_connection(1);
    h.step();
    // B may be written: it is resolved under its old stamp first (the
    // broker says out of order: not written), then re-stamped.
    let (stamps, inits) = drive(&mut h, &b, Duration::from_millis(800), |s| {
        if stamp(s).0 == 3 {
            produce_answer(s, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
        } else {
            produce_ok(s, 30)
        }
    });
    let md = done(&b)
        .expect("B completes before its delivery timeout")
        .expect("B is delivered after the bump");
    assert_eq!(md.offset, 30);
    assert_eq!(inits, 1, "one epoch bump");
    assert_eq!(
        stamps.first(),
        Some(&(3, 1)),
        "B resolved first: {stamps:?}"
    );
    assert_eq!(stamps.last(), Some(&(4, 0)), "then re-stamped: {stamps:?}");
}

#[test]
fn expired_in_flight_and_a_later_batch_acknowledged_is_written() {
    let (mut h, _a, first, b, second) = a_expires_in_flight();
    // A's answer leaves it open (the broker timed out waiting for replicas:
    // maybe written); B is acknowledged: A, before it under the same
    // stamp, is in the log.
    let open = produce_answer(&first, ErrorCode::REQUEST_TIMED_OUT, -1);
    h.answer::<ProduceRequest>(1, &first, &open);
    h.answer::<ProduceRequest>(1, &second, &produce_ok(&second, 41));
    h.step();
    assert_eq!(done(&b).unwrap().unwrap().offset, 41);
    let c = h.append(0, &[3; 600]);
    let (stamps, inits) = drive(&mut h, &c, Duration::from_millis(200), |s| {
        produce_ok(s, 42)
    });
    assert_eq!(done(&c).unwrap().unwrap().offset, 42);
    assert_eq!((stamps, inits), (vec![(3, 2)], 0));
}
