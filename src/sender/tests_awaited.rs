//! Stepped sender tests for `wait.sends.batch`: a batch a thread waits for
//! goes before `linger.ms`, once it is `AWAITED_GRACE` old and nothing of
//! its partition is in flight.

use super::tests::{harness, no_idempotence, produce_ok, Harness};
use crate::protocol::messages::produce::ProduceRequest;
use std::time::Duration;

const US: Duration = Duration::from_micros(1);

fn lingering(wait_sends_batch: bool) -> Harness {
    let mut h = harness(
        no_idempotence()
            .linger(Duration::from_secs(3600))
            .delivery_timeout(Duration::from_secs(7200))
            .wait_sends_batch(wait_sends_batch),
    );
    h.bootstrap(&[1, 2]);
    h
}

#[test]
fn awaited_batch_goes_after_its_grace_not_its_linger() {
    let mut h = lingering(true);
    let handle = h.append(0, b"v");
    h.step();
    assert!(h.produces(1).is_empty(), "lingers while nobody waits");
    // The sender is not running: the wait times out, marking it awaited.
    assert!(handle.wait_timeout(Duration::from_millis(1)).is_none());
    h.advance(199 * US);
    assert!(h.produces(1).is_empty(), "within its grace");
    h.advance(US);
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1, "awaited and 200 µs old: it goes");
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 7));
    h.step();
    assert_eq!(handle.wait().unwrap().offset, 7);
}

#[test]
fn awaited_batch_waits_for_its_partitions_answer() {
    let mut h = lingering(true);
    let first = h.append(0, b"a");
    assert!(first.wait_timeout(Duration::from_millis(1)).is_none());
    h.advance(Duration::from_millis(1));
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1);
    // The next one is awaited too, but the first is in flight: it fills.
    let second = h.append(0, b"b");
    assert!(second.wait_timeout(Duration::from_millis(1)).is_none());
    h.advance(Duration::from_millis(1));
    h.step();
    assert!(h.produces(1).is_empty(), "one of the partition in flight");
    h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 0));
    h.step();
    h.step();
    let next = h.produces(1);
    assert_eq!(next.len(), 1, "the answer lets it go");
    h.answer::<ProduceRequest>(1, &next[0], &produce_ok(&next[0], 1));
    h.step();
    assert_eq!(second.wait().unwrap().offset, 1);
}

#[test]
fn without_wait_sends_batch_an_awaited_batch_lingers() {
    let mut h = lingering(false);
    let handle = h.append(0, b"v");
    assert!(handle.wait_timeout(Duration::from_millis(1)).is_none());
    h.advance(Duration::from_secs(60));
    h.step();
    assert!(h.produces(1).is_empty(), "linger.ms is an hour");
}
