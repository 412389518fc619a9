//! Durations at the edges, end to end: every timeout, backoff and interval
//! set from the builder (`Duration::MAX`, `u64::MAX` ms, ...) or as a Java
//! property string ("9223372036854775807", ...), a producer built against an
//! unreachable bootstrap server with the system clock or a manual one, and
//! `send`/`try_send`/`send_timeout`/`send_deadline`/`flush`/`close` called
//! with small waits. Nothing may panic: a panic on the sender thread would
//! turn the producer fatal, which every later send reports.

use kafka_sync::clock::{Clock, ManualClock, SystemClock};
use kafka_sync::config::ProducerConfigBuilder;
use kafka_sync::{Error, Producer, ProducerConfig, ProducerRecord};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every duration property.
const NAMES: [&str; 10] = [
    "max.block.ms",
    "linger.ms",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "metadata.max.age.ms",
    "transaction.timeout.ms",
];

fn set_duration(b: ProducerConfigBuilder, i: usize, d: Duration) -> ProducerConfigBuilder {
    match i {
        0 => b.max_block(d),
        1 => b.linger(d),
        2 => b.request_timeout(d),
        3 => b.delivery_timeout(d),
        4 => b.retry_backoff(d),
        5 => b.retry_backoff_max(d),
        6 => b.reconnect_backoff(d),
        7 => b.reconnect_backoff_max(d),
        8 => b.metadata_max_age(d),
        _ => b.transaction_timeout(d),
    }
}

#[derive(Debug, Clone)]
enum Setting {
    Builder(usize, Duration),
    Property(usize, &'static str),
}

fn setting() -> impl Strategy<Value = Setting> {
    let duration = prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_millis(1)),
        Just(Duration::from_millis(30)),
        Just(Duration::from_millis(i32::MAX as u64)),
        Just(Duration::from_millis(u64::MAX)),
        Just(Duration::from_secs(u64::MAX)),
        Just(Duration::MAX),
    ];
    let text = prop_oneof![
        Just("0"),
        Just("1"),
        Just("2147483647"),
        Just("2147483648"),
        Just("9223372036854775807"),
        Just("18446744073709551615"),
        Just("18446744073709551616"),
    ];
    prop_oneof![
        (0..NAMES.len(), duration).prop_map(|(i, d)| Setting::Builder(i, d)),
        (0..NAMES.len(), text).prop_map(|(i, t)| Setting::Property(i, t)),
    ]
}

fn check(what: &str, r: Result<(), Error>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert!(
            !matches!(e, Error::Fatal(_)),
            "{what}: the sender thread died: {e}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn no_duration_setting_panics_the_producer(
        settings in proptest::collection::vec(setting(), 1..6),
        manual in any::<bool>(),
        idempotent in any::<bool>(),
        close_after in prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::from_millis(20)),
            Just(Duration::MAX),
        ],
    ) {
        let mut b = ProducerConfig::builder()
            .bootstrap_servers("127.0.0.1:1")
            .enable_idempotence(idempotent);
        for s in &settings {
            b = match s {
                Setting::Builder(i, d) => set_duration(b, *i, *d),
                Setting::Property(i, t) => b.set(NAMES[*i], t),
            };
        }
        let config = match b.build() {
            Ok(c) => c,
            Err(e) => {
                prop_assert!(NAMES.contains(&e.property.as_str()), "{e}");
                return Ok(());
            }
        };
        let clock: Arc<dyn Clock> = if manual {
            Arc::new(ManualClock::new())
        } else {
            Arc::new(SystemClock)
        };
        let short = config.max_block <= Duration::from_millis(30);
        let producer: Producer<String, String> =
            Producer::builder(config).clock(clock).build().unwrap();
        let rec = || ProducerRecord::new("t", "v".to_string());
        let small = Duration::from_millis(15);
        check("send_timeout", producer.send_timeout(rec(), small).map(drop).map_err(|e| Error::from(e.error)))?;
        check(
            "send_deadline",
            producer
                .send_deadline(rec(), Instant::now() + small)
                .map(drop)
                .map_err(|e| Error::from(e.error)),
        )?;
        check("try_send", producer.try_send(rec()).map(drop).map_err(|e| Error::from(e.error)))?;
        // These wait max.block.ms: only when it is short.
        if short {
            check("send", producer.send(rec()).map(drop).map_err(|e| Error::from(e.error)))?;
            check(
                "send_with_callback",
                producer.send_with_callback(rec(), drop).map_err(|e| Error::from(e.error)),
            )?;
            check("partitions_for", producer.partitions_for("t").map(drop))?;
        }
        producer.flush().unwrap();
        let _ = producer.counters();
        check("try_send after flush", producer.try_send(rec()).map(drop).map_err(|e| Error::from(e.error)))?;
        producer.close(close_after);
    }
}
