//! Delivery callbacks against librdkafka's mock cluster: a callback runs
//! after its batch's result is set; `wait`, `flush` and `close` called from
//! a callback (on the sender thread) return at once instead of
//! deadlocking; dropping the last producer handle in a callback does not
//! make the sender thread join itself; a panicking callback changes nothing
//! else.
//!
//! A test that finds the sender thread stuck leaks the producer (it cannot
//! be closed) and fails.

mod common;

use common::{consume_all, mock_cluster};
use kafka_sync::{DeliveryError, DeliveryHandle, Error, Producer, ProducerConfig, ProducerRecord};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// How long a test waits for a callback before calling the sender stuck.
const STUCK: Duration = Duration::from_secs(15);

/// Panics on any thread of this test binary, as "thread: message".
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            PANICS
                .lock()
                .unwrap()
                .push(format!("{}: {message}", thread.name().unwrap_or("?")));
            default(info);
        }));
    });
}

/// Panics on a sender thread other than the deliberate ones.
fn unexpected_sender_panics() -> Vec<String> {
    PANICS
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.starts_with("kafka-sync-sender") && !p.contains("deliberate"))
        .cloned()
        .collect()
}

fn producer(bootstrap: &str) -> Producer<String, String> {
    let config = ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .linger(Duration::from_millis(20))
        .max_block(Duration::from_secs(10))
        .build()
        .unwrap();
    Producer::new(config).unwrap()
}

fn rec(topic: &str, value: &str) -> ProducerRecord<String, String> {
    ProducerRecord::new(topic, value.to_owned()).partition(0)
}

/// Receives from `rx`, or leaks `keep` (a producer whose sender thread is
/// stuck cannot be dropped) and fails.
fn recv_or_leak<T, K>(rx: &Receiver<T>, what: &str, keep: K) -> (T, K) {
    match rx.recv_timeout(STUCK) {
        Ok(v) => (v, keep),
        Err(e) => {
            std::mem::forget(keep);
            panic!("{what}: no answer within {STUCK:?} ({e}): the sender thread is stuck");
        }
    }
}

#[test]
fn a_callback_runs_after_its_batch_result_is_set() {
    record_panics();
    let cluster = mock_cluster(1, &[("cb-order", 1)]);
    let producer = producer(&cluster.bootstrap_servers());
    // Both records go in one batch (linger.ms = 20).
    let first = producer.send(rec("cb-order", "first")).unwrap();
    let (tx, rx) = channel();
    producer
        .send_with_callback(rec("cb-order", "second"), move |r| {
            let done = first.is_done();
            let t0 = Instant::now();
            let waited = first.wait();
            tx.send((done, t0.elapsed(), waited, r)).unwrap();
        })
        .unwrap();
    let ((done, took, first, second), producer) = recv_or_leak(&rx, "the callback", producer);
    println!("wait() on a record of the same batch took {took:?}");
    assert!(done, "the batch's result is set before its callbacks run");
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.offset + 1, second.offset);
    producer.close(Duration::from_secs(10));
    assert_eq!(unexpected_sender_panics(), Vec::<String>::new());
}

#[test]
fn waiting_in_a_callback_on_an_incomplete_record_fails_at_once() {
    record_panics();
    let cluster = mock_cluster(1, &[("cb-wait", 1)]);
    let producer = Arc::new(producer(&cluster.bootstrap_servers()));
    let p2 = producer.clone();
    let (tx, rx) = channel();
    producer
        .send_with_callback(rec("cb-wait", "a"), move |r| {
            r.unwrap();
            // Later records: their batch cannot complete while this
            // callback holds the sender thread.
            let b = p2.try_send(rec("cb-wait", "b")).unwrap();
            let c = p2.try_send(rec("cb-wait", "c")).unwrap();
            let t0 = Instant::now();
            let timed = b.wait_timeout(Duration::from_secs(60));
            let polled = b.wait_timeout(Duration::ZERO);
            let waited = c.wait();
            tx.send((t0.elapsed(), timed, polled, waited, b)).unwrap();
        })
        .unwrap();
    let ((took, timed, polled, waited, b), producer) = recv_or_leak(&rx, "the callback", producer);
    println!("wait_timeout(60 s) and wait() in a callback returned after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    for (what, r) in [
        ("wait_timeout", timed.expect("an answer")),
        ("wait", waited),
    ] {
        let e = r.unwrap_err();
        assert!(matches!(e, DeliveryError::InCallback), "{what}: {e}");
        assert!(
            e.may_have_persisted(),
            "{what}: the record is still on its way"
        );
    }
    assert!(polled.is_none(), "a zero wait does not block: not an error");
    // The records themselves are delivered as usual.
    let md = b.wait_timeout(Duration::from_secs(10)).expect("delivered");
    assert!(md.unwrap().offset >= 1);
    drop(producer);
    assert_eq!(unexpected_sender_panics(), Vec::<String>::new());
}

#[test]
fn flush_in_a_callback_returns_at_once_and_flush_outside_waits_for_callbacks() {
    record_panics();
    let cluster = mock_cluster(1, &[("cb-flush", 1)]);
    let producer = Arc::new(producer(&cluster.bootstrap_servers()));
    let p2 = producer.clone();
    let (tx, rx) = channel();
    producer
        .send_with_callback(rec("cb-flush", "a"), move |r| {
            r.unwrap();
            let _pending = p2.try_send(rec("cb-flush", "b")).unwrap();
            let t0 = Instant::now();
            let flushed = p2.flush();
            tx.send((t0.elapsed(), flushed)).unwrap();
        })
        .unwrap();
    let ((took, flushed), producer) = recv_or_leak(&rx, "flush in the callback", producer);
    println!("flush() in a callback returned after {took:?}: {flushed:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        matches!(flushed, Err(Error::InCallback { .. })),
        "flush in a callback is refused: {flushed:?}"
    );
    // Outside callbacks, flush returns only once every callback has run.
    let ran = Arc::new(Mutex::new(0));
    for i in 0..20 {
        let ran = ran.clone();
        producer
            .send_with_callback(rec("cb-flush", &format!("v{i}")), move |r| {
                r.unwrap();
                std::thread::sleep(Duration::from_millis(5));
                *ran.lock().unwrap() += 1;
            })
            .unwrap();
    }
    producer.flush().unwrap();
    assert_eq!(
        *ran.lock().unwrap(),
        20,
        "flush returned before the callbacks ran"
    );
    drop(producer);
    assert_eq!(unexpected_sender_panics(), Vec::<String>::new());
}

#[test]
fn close_in_a_callback_does_not_join_the_sender_thread() {
    record_panics();
    let cluster = mock_cluster(1, &[("cb-close", 1)]);
    let slot: Arc<Mutex<Option<Producer<String, String>>>> =
        Arc::new(Mutex::new(Some(producer(&cluster.bootstrap_servers()))));
    let s2 = slot.clone();
    let (tx, rx) = channel();
    let first = {
        let guard = slot.lock().unwrap();
        let p = guard.as_ref().unwrap();
        let first = p.send(rec("cb-close", "first")).unwrap();
        p.send_with_callback(rec("cb-close", "second"), move |r| {
            r.unwrap();
            let p = s2.lock().unwrap().take().expect("the producer");
            let pending: DeliveryHandle = p.try_send(rec("cb-close", "after")).unwrap();
            let t0 = Instant::now();
            p.close(Duration::from_secs(30));
            tx.send((t0.elapsed(), pending)).unwrap();
        })
        .unwrap();
        first
    };
    let ((took, pending), _slot) = recv_or_leak(&rx, "close in the callback", slot);
    println!("close(30 s) in a callback returned after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(first.wait().is_ok());
    // As in the Java client, close from a callback is close(0): what was
    // not sent fails at once, and the sender thread stops by itself.
    let r = pending
        .wait_timeout(Duration::from_secs(10))
        .expect("the record sent before close completed");
    assert!(
        matches!(
            r,
            Err(DeliveryError::Closed {
                may_have_persisted: false
            })
        ),
        "{r:?}"
    );
    assert_eq!(unexpected_sender_panics(), Vec::<String>::new());
}

#[test]
fn dropping_the_last_producer_in_a_callback_does_not_join_the_sender_thread() {
    record_panics();
    let cluster = mock_cluster(1, &[("cb-drop", 1)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer = Arc::new(producer(&bootstrap));
    let p2 = producer.clone();
    let (gate_tx, gate_rx) = channel::<()>();
    let (tx, rx) = channel();
    producer
        .send_with_callback(rec("cb-drop", "a"), move |r| {
            gate_rx.recv().unwrap(); // the test has dropped its handle
            let later = p2.try_send(rec("cb-drop", "b")).unwrap();
            drop(p2); // the last one: closes the producer from the sender thread
            tx.send((r, later)).unwrap();
        })
        .unwrap();
    let weak = Arc::downgrade(&producer);
    drop(producer);
    gate_tx.send(()).unwrap();
    let ((r, later), _) = recv_or_leak(&rx, "the callback", ());
    assert!(r.is_ok());
    assert!(weak.upgrade().is_none());
    // Dropping closes "waiting for everything": the sender thread, which
    // cannot join itself, delivers what is left and then stops.
    let md = later
        .wait_timeout(Duration::from_secs(10))
        .expect("delivered after the drop");
    assert!(md.unwrap().offset >= 1);
    assert_eq!(unexpected_sender_panics(), Vec::<String>::new());
    let got = consume_all(&bootstrap, "cb-drop", &[0], 2, Duration::from_secs(20));
    assert_eq!(got.len(), 2);
}

#[test]
fn a_panicking_callback_is_contained_and_changes_nothing_else() {
    record_panics();
    let cluster = mock_cluster(1, &[("cb-panic", 1)]);
    let bootstrap = cluster.bootstrap_servers();
    let producer = producer(&bootstrap);
    let (tx, rx) = channel();
    for i in 0..3 {
        let tx = tx.clone();
        producer
            .send_with_callback(rec("cb-panic", &format!("v{i}")), move |r| {
                if i == 1 {
                    panic!("deliberate callback panic");
                }
                tx.send((i, r.map(|m| m.offset))).unwrap();
            })
            .unwrap();
    }
    drop(tx);
    let mut seen: Vec<(i32, i64)> = rx.iter().map(|(i, r)| (i, r.expect("delivered"))).collect();
    seen.sort();
    assert_eq!(seen.len(), 2, "the other callbacks of the batch ran");
    assert_eq!(
        seen[1].1,
        seen[0].1 + 2,
        "the panicking record was written too"
    );
    // The producer carries on.
    let md = producer
        .send(rec("cb-panic", "after"))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(md.offset, seen[1].1 + 1);
    let m = producer.counters();
    assert_eq!((m.records_sent, m.records_failed), (4, 0));
    producer.close(Duration::from_secs(10));
    let panics = PANICS.lock().unwrap().clone();
    assert!(
        panics
            .iter()
            .any(|p| p.contains("deliberate callback panic")),
        "{panics:?}"
    );
    assert_eq!(unexpected_sender_panics(), Vec::<String>::new());
    assert_eq!(
        consume_all(&bootstrap, "cb-panic", &[0], 4, Duration::from_secs(20)).len(),
        4
    );
}
