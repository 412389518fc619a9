//! A batch whose answer was lost while a later batch of its partition (same
//! producer id and epoch) was acknowledged is in the log: the broker appends
//! only contiguous sequences. A late retry of it is refused as
//! OUT_OF_ORDER_SEQUENCE_NUMBER once more than five later batches were
//! written (the broker's duplicate window), which must not be taken for a
//! gap. Found on Kafka 3.9: a leader SIGSTOPped with acks=all in flight;
//! the batch retried for `delivery.timeout.ms` and failed, though written.

use super::tests::{done, harness, produce_answer, produce_ok};
use crate::config::ProducerConfig;
use crate::protocol::messages::init_producer_id::InitProducerIdRequest;
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::{ErrorCode, Message};
use std::time::Duration;

fn config() -> crate::config::ProducerConfigBuilder {
    ProducerConfig::builder()
        .linger(Duration::ZERO)
        .batch_size(1024)
}

#[test]
fn out_of_order_for_a_batch_before_an_acknowledged_one_means_written() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    let a = h.append(0, &[1; 600]);
    h.step();
    h.step();
    let first = h.produces(1);
    assert_eq!(first.len(), 1);
    let b = h.append(0, &[2; 600]);
    h.step();
    h.step();
    let second = h.produces(1);
    assert_eq!(second.len(), 1, "the second batch goes in its own request");
    // The later batch is acknowledged first; the earlier one's answer says
    // out of order (its own ack was lost and this is a late copy).
    h.answer::<ProduceRequest>(1, &second[0], &produce_ok(&second[0], 11));
    h.answer::<ProduceRequest>(
        1,
        &first[0],
        &produce_answer(&first[0], ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1),
    );
    h.step();
    assert_eq!(done(&b).unwrap().unwrap().offset, 11);
    let md = done(&a).expect("completed").expect("written, not failed");
    assert_eq!(md.offset, -1, "offset unknown");
    for _ in 0..20 {
        h.advance(Duration::from_millis(100));
        for s in h.take(1).into_iter().chain(h.take(2)) {
            assert_ne!(s.api_key, ProduceRequest::API_KEY, "nothing resent");
            assert_ne!(s.api_key, InitProducerIdRequest::API_KEY, "no epoch bump");
        }
    }
}

#[test]
fn out_of_order_while_a_later_batch_is_in_flight_waits_for_its_answer() {
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
    assert_eq!((first.len(), second.len()), (1, 1));
    // The earlier batch is refused while the later one is still unanswered:
    // no bump (the later answer may prove it written), a retry instead.
    h.answer::<ProduceRequest>(
        1,
        &first[0],
        &produce_answer(&first[0], ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1),
    );
    h.step();
    assert!(done(&a).is_none());
    assert!(!h.sender.idempotence.as_ref().unwrap().bump_needed);
    h.answer::<ProduceRequest>(1, &second[0], &produce_ok(&second[0], 11));
    h.step();
    assert_eq!(done(&b).unwrap().unwrap().offset, 11);
    for _ in 0..20 {
        h.advance(Duration::from_millis(100));
        for s in h.take(1).into_iter().chain(h.take(2)) {
            assert_ne!(
                s.api_key,
                ProduceRequest::API_KEY,
                "not resent: it is written"
            );
            assert_ne!(s.api_key, InitProducerIdRequest::API_KEY, "no epoch bump");
        }
    }
    assert_eq!(done(&a).expect("completed").expect("written").offset, -1);
}
