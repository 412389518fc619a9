//! The panic path (issue 11, item 2): should the sender thread's loop panic,
//! every accepted record completes, exactly once, wherever its batch was:
//! in flight, queued, popped into a request being built, sealed and not yet
//! written, or in the middle of having its answer handled. A panic is
//! injected on purpose at each stage (`Sender::panic_at`, test builds only)
//! and the thread's own entry point (`run`) is called.

use super::tests::{harness, no_idempotence, produce_ok, Harness, TOPIC};
use crate::accumulator::RecordRef;
use crate::delivery::DeliveryHandle;
use crate::protocol::messages::produce::ProduceRequest;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A record with a callback that counts its calls.
struct Tracked {
    handle: DeliveryHandle,
    calls: Arc<AtomicUsize>,
    what: &'static str,
}

fn append(h: &Harness, partition: i32, what: &'static str) -> Tracked {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let a = h
        .shared
        .acc
        .append(
            TOPIC,
            partition,
            2,
            &RecordRef::new(1_000, None, Some(&[5; 600]), &[]),
            &crate::wait::Bound::forever(),
            &h.clock,
            Some(Box::new(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            })),
        )
        .ok()
        .expect("appended");
    Tracked {
        handle: DeliveryHandle {
            batch: a.result,
            info: a.info,
        },
        calls,
        what,
    }
}

/// In flight (A, partition 0, node 1), queued behind it (B: one request
/// per node at a time), and ready to be drained (C, partition 1, node 2);
/// then runs the sender thread's entry point with a panic at `stage`.
fn panic_at(stage: &'static str, answer_first: bool) {
    let mut h = harness(
        no_idempotence()
            .linger(Duration::ZERO)
            .batch_size(1024)
            .max_in_flight(1),
    );
    h.bootstrap(&[1, 2]);
    let a = append(&h, 0, "in flight");
    h.step();
    h.step();
    let sent = h.produces(1);
    assert_eq!(sent.len(), 1);
    let b = append(&h, 0, "queued");
    let c = append(&h, 1, "being drained");
    h.sender.net.make_ready(2, super::tests::versions());
    if answer_first {
        h.answer::<ProduceRequest>(1, &sent[0], &produce_ok(&sent[0], 1));
    }
    let Harness {
        mut sender,
        clock,
        shared,
        ..
    } = h;
    sender.panic_at = Some(stage);
    super::run(sender, Arc::new(clock)); // prints the injected panic
    for t in [&a, &b, &c] {
        match t.handle.wait_timeout(Duration::ZERO) {
            Some(Err(crate::DeliveryError::Fatal(_))) => {}
            other => panic!("{stage}: the record {} ended with {other:?}", t.what),
        }
        assert_eq!(
            t.calls.load(Ordering::SeqCst),
            1,
            "{stage}: the callback of the record {} ran once",
            t.what
        );
    }
    assert_eq!(shared.acc.incomplete_count(), 0, "{stage}: nothing left");
    assert!(
        shared.fatal.lock().is_some(),
        "{stage}: the producer is fatal"
    );
}

#[test]
fn a_panic_after_draining_completes_every_record() {
    panic_at("drained", false);
}

#[test]
fn a_panic_after_sealing_completes_every_record() {
    panic_at("sealed", false);
}

#[test]
fn a_panic_while_handling_an_answer_completes_every_record() {
    panic_at("answered", true);
}
