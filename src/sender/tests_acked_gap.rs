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
