//! Durations at the edges, stepped: every timeout, backoff and interval of
//! the configuration set to zero, tiny, the protocol's int32 limit, huge
//! (`Duration::MAX`, `u64::MAX` ms) or anything between, and the sender
//! driven through bootstrap, retries, refused InitProducerIds, request
//! timeouts and delivery timeouts with a manual clock that jumps by up to
//! thousands of days. Nothing may panic, and every record accepted
//! completes once the clock passes its delivery timeout.

use super::tests::{done, harness, Harness};
use crate::config::ProducerConfig;
use crate::protocol::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::{ErrorCode, Message};
use proptest::prelude::*;
use std::time::Duration;

/// Durations worth trying: the edges and a few ordinary values.
pub(crate) fn edge_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(Duration::from_millis(1)),
        Just(Duration::from_millis(100)),
        Just(Duration::from_millis(i32::MAX as u64)),
        Just(Duration::from_millis(i32::MAX as u64 + 1)),
        Just(Duration::from_millis(i64::MAX as u64)),
        Just(Duration::from_millis(u64::MAX)),
        Just(Duration::from_secs(u64::MAX)),
        Just(Duration::MAX),
        (0u64..5_000).prop_map(Duration::from_millis),
    ]
}

/// The duration settings, in this order.
#[derive(Debug, Clone)]
struct Durations([Duration; 10]);

fn apply(d: &Durations, idempotent: bool) -> crate::config::ProducerConfigBuilder {
    let [max_block, linger, request, delivery, retry, retry_max, reconnect, reconnect_max, age, txn] =
        d.0;
    ProducerConfig::builder()
        .enable_idempotence(idempotent)
        .max_block(max_block)
        .linger(linger)
        .request_timeout(request)
        .delivery_timeout(delivery)
        .retry_backoff(retry)
        .retry_backoff_max(retry_max)
        .reconnect_backoff(reconnect)
        .reconnect_backoff_max(reconnect_max)
        .metadata_max_age(age)
        .transaction_timeout(txn)
}

/// Answers what the sender wrote: Produce with a retriable error (or
/// success when `ok`), InitProducerId with a retriable refusal (or a
/// producer id when `ok`).
fn answer_everything(h: &mut Harness, ok: bool) {
    for node in [-1, 1, 2] {
        for s in h.take(node) {
            if s.api_key == ProduceRequest::API_KEY {
                let code = if ok {
                    ErrorCode::NONE
                } else {
                    ErrorCode::NOT_LEADER_OR_FOLLOWER
                };
                let resp = super::tests::produce_answer(&s, code, 0);
                h.answer::<ProduceRequest>(node, &s, &resp);
            } else if s.api_key == InitProducerIdRequest::API_KEY {
                let resp = InitProducerIdResponse {
                    error_code: if ok {
                        0
                    } else {
                        ErrorCode::COORDINATOR_NOT_AVAILABLE.0
                    },
                    producer_id: if ok { 1 } else { -1 },
                    producer_epoch: 0,
                    ..Default::default()
                };
                h.answer::<InitProducerIdRequest>(node, &s, &resp);
            }
        }
    }
}

/// Clock jumps: from nothing to thousands of days.
const JUMPS: [Duration; 7] = [
    Duration::ZERO,
    Duration::from_millis(1),
    Duration::from_millis(150),
    Duration::from_secs(40),
    Duration::from_secs(86_400),
    Duration::from_secs(30 * 86_400),
    Duration::from_secs(10_000 * 86_400),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_duration_setting_panics_the_sender(
        d in proptest::array::uniform10(edge_duration()).prop_map(Durations),
        idempotent in any::<bool>(),
        jumps in proptest::collection::vec(0..JUMPS.len(), 1..12),
    ) {
        let builder = apply(&d, idempotent);
        // Out-of-range values are refused by validation, naming the property.
        if let Err(e) = builder.clone().bootstrap_servers("boot:9092").build() {
            prop_assert!(e.property.ends_with(".ms"), "{e}");
            return Ok(());
        }
        let mut h = harness(builder);
        h.step();
        h.step();
        let a = h.append(0, b"a");
        let b = h.append(1, b"b");
        for (i, jump) in jumps.iter().enumerate() {
            h.advance(JUMPS[*jump]);
            h.step();
            answer_everything(&mut h, i % 3 == 2);
            h.step();
        }
        // Past every delivery timeout (at most i32::MAX ms, about 25 days):
        // every accepted record has completed, one way or another.
        h.advance(Duration::from_secs(30 * 86_400));
        for _ in 0..3 {
            h.step();
            answer_everything(&mut h, true);
        }
        prop_assert!(done(&a).is_some(), "record a never completed");
        prop_assert!(done(&b).is_some(), "record b never completed");
        prop_assert_eq!(h.shared.acc.incomplete_count(), 0);
    }
}

#[test]
fn manual_clock_saturates_instead_of_overflowing() {
    let c = crate::clock::ManualClock::new();
    c.advance(Duration::MAX);
    let t = crate::clock::Clock::now(&c);
    c.advance(Duration::MAX);
    assert!(crate::clock::Clock::now(&c) >= t);
}
