//! A refused authentication (SASL, TLS) fails what waits to be sent at
//! once, and callers waiting for metadata, instead of retrying until
//! `delivery.timeout.ms`; a later successful connection lets records
//! through again.

use super::tests::{done, harness, no_idempotence, produce_ok};
use crate::Error;
use std::time::{Duration, Instant};

const REASON: &str = "SASL PLAIN authentication with node 1 (b1:9092) failed: \
                      SASL_AUTHENTICATION_FAILED: Invalid username or password";

#[test]
fn a_refused_authentication_fails_queued_records_and_metadata_waits_at_once() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let a = h.append(0, b"x");
    let b = h.append(1, b"y");
    h.sender.net.fail_authentication(1, REASON);
    h.step();
    let e = done(&a).expect("failed at once").unwrap_err();
    let crate::DeliveryError::Authentication { message } = &e else {
        panic!("expected an authentication error, got {e}");
    };
    assert_eq!(message, REASON);
    assert!(!e.may_have_persisted());
    assert!(
        e.to_string().contains("Invalid username or password"),
        "{e}"
    );
    // The other partition's record failed too: the same credentials are
    // used everywhere.
    assert!(matches!(
        done(&b),
        Some(Err(crate::DeliveryError::Authentication { .. }))
    ));
    // A caller waiting for a topic's metadata fails at once.
    let started = Instant::now();
    let r = h.shared.cluster.wait_for_topic(
        "other",
        started,
        Some(started + Duration::from_secs(30)),
        &|| {},
    );
    assert!(matches!(r, Err(Error::Authentication { .. })), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The node is retried; once a connection succeeds, records go through.
    let c = h.append(0, b"z");
    let mut sent = Vec::new();
    for _ in 0..50 {
        h.advance(Duration::from_millis(100));
        sent.extend(h.take(1));
        if !sent.is_empty() {
            break;
        }
    }
    assert_eq!(sent.len(), 1, "sent after reconnecting");
    assert!(
        h.shared.cluster.auth_error().is_none(),
        "cleared by the connection"
    );
    h.answer::<crate::protocol::messages::produce::ProduceRequest>(
        1,
        &sent[0],
        &produce_ok(&sent[0], 7),
    );
    h.step();
    assert_eq!(done(&c).unwrap().unwrap().offset, 7);
}
