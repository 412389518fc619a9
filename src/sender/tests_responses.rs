//! Stepped sender tests: a response is matched to a request by its
//! connection (node) and the order of requests on it, not by correlation id
//! alone (issue 11, item 5). A broker answers the requests of one connection
//! in order; a response that does not answer the oldest request in flight
//! there (another node's request, an unknown id, out of order) closes that
//! connection, and its requests fail as unanswered (and are retried).

use super::tests::{done, harness, no_idempotence, produce_ok, Harness, Sent};
use crate::config::ProducerConfig;
use crate::delivery::DeliveryHandle;
use crate::protocol::messages::produce::ProduceRequest;
use std::time::Duration;

fn config() -> crate::config::ProducerConfigBuilder {
    no_idempotence()
        .linger(Duration::ZERO)
        .batch_size(1024)
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(10))
}

/// Sends one batch of `partition` and returns its handle and request.
fn send(h: &mut Harness, partition: i32, node: i32) -> (DeliveryHandle, Sent) {
    let handle = h.append(partition, &[7; 600]);
    h.step();
    h.step();
    let mut sent = h.produces(node);
    assert_eq!(sent.len(), 1, "one request to node {node}");
    (handle, sent.remove(0))
}

/// Steps until every Produce request to `node` is answered with success
/// and `handles` are complete (at most 200 ms).
fn deliver(h: &mut Harness, node: i32, handles: &[&DeliveryHandle]) {
    for _ in 0..200 {
        if handles.iter().all(|x| done(x).is_some()) {
            break;
        }
        h.advance(Duration::from_millis(1));
        for s in h.produces(node) {
            h.answer::<ProduceRequest>(node, &s, &produce_ok(&s, 5));
        }
    }
    for x in handles {
        done(x).expect("complete").expect("delivered");
    }
}

#[test]
fn a_response_with_another_nodes_correlation_id_closes_that_connection() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    let (a, to_1) = send(&mut h, 0, 1);
    let (b, to_2) = send(&mut h, 1, 2);
    // Node 2 "answers" node 1's request.
    h.answer::<ProduceRequest>(2, &to_1, &produce_ok(&to_1, 99));
    h.step();
    assert!(
        done(&a).is_none(),
        "node 1's record completed by node 2's answer"
    );
    assert!(
        done(&b).is_none(),
        "node 2's record completed by a wrong answer"
    );
    assert_eq!(h.sender.net.disconnect_count(2), 1, "node 2 closed");
    assert_eq!(h.sender.net.disconnect_count(1), 0, "node 1 untouched");
    // Node 1's own answer still completes its request.
    h.answer::<ProduceRequest>(1, &to_1, &produce_ok(&to_1, 10));
    h.step();
    assert_eq!(done(&a).unwrap().unwrap().offset, 10);
    // Node 2's batch, unanswered when its connection closed, is retried.
    drop(to_2);
    deliver(&mut h, 2, &[&b]);
}

#[test]
fn a_response_with_an_unknown_correlation_id_closes_the_connection() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    let (a, mut to_1) = send(&mut h, 0, 1);
    let real = to_1.correlation_id;
    to_1.correlation_id = 9_999;
    h.answer::<ProduceRequest>(1, &to_1, &produce_ok(&to_1, 99));
    h.step();
    assert!(done(&a).is_none(), "completed by an answer to nothing");
    assert_eq!(h.sender.net.disconnect_count(1), 1);
    to_1.correlation_id = real;
    deliver(&mut h, 1, &[&a]);
}

#[test]
fn a_response_out_of_order_on_a_connection_closes_it() {
    let mut h = harness(
        ProducerConfig::builder()
            .linger(Duration::ZERO)
            .batch_size(1024)
            .retry_backoff(Duration::from_millis(10))
            .retry_backoff_max(Duration::from_millis(10)),
    );
    h.bootstrap(&[1, 1]);
    let (a, _first) = send(&mut h, 0, 1);
    let (b, second) = send(&mut h, 1, 1);
    // The later request answered before the earlier one.
    h.answer::<ProduceRequest>(1, &second, &produce_ok(&second, 20));
    h.step();
    assert!(done(&b).is_none(), "an out-of-order answer was taken");
    assert_eq!(h.sender.net.disconnect_count(1), 1);
    deliver(&mut h, 1, &[&a, &b]);
}
