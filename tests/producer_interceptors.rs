//! Interceptors against librdkafka's mock cluster: what `on_send` changes is
//! what the rdkafka consumer reads back, every outcome reaches
//! `on_acknowledgement` once, in order and before the record's callback,
//! refusals included, and a panicking interceptor changes nothing else.

mod common;

use common::consume_all;
use common::faults::Mock;
use kafka_sync::{
    Error, Header, Producer, ProducerConfig, ProducerInterceptor, ProducerRecord, RecordMetadata,
    Refusal,
};
use rdkafka::types::RDKafkaRespErr;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one interceptor saw.
#[derive(Default)]
struct Seen {
    sent: AtomicU64,
    /// (topic, partition, offset) of every acknowledged record.
    acked: Mutex<HashSet<(String, i32, i64)>>,
    errors: Mutex<Vec<String>>,
    /// Each acknowledgement's thread name.
    threads: Mutex<HashSet<String>>,
    closed: AtomicU64,
}

/// Adds a header and appends its name to the value; counts what it sees.
struct Tagger {
    name: &'static str,
    seen: Arc<Seen>,
    /// Other interceptors that must have acknowledged a record first.
    after: Option<Arc<Seen>>,
}

impl ProducerInterceptor<String, String> for Tagger {
    fn on_send(&self, record: &mut ProducerRecord<String, String>) {
        self.seen.sent.fetch_add(1, Ordering::SeqCst);
        let value = record.value.take().unwrap_or_default();
        record.value = Some(format!("{value}|{}", self.name));
        record
            .headers
            .push(Header::new("via", self.name.as_bytes()));
    }

    fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
        let thread = std::thread::current().name().unwrap_or("").to_string();
        self.seen.threads.lock().unwrap().insert(thread);
        match result {
            Ok(md) => {
                let id = (md.topic.to_string(), md.partition, md.offset);
                if let Some(before) = &self.after {
                    assert!(before.acked.lock().unwrap().contains(&id), "order");
                }
                self.seen.acked.lock().unwrap().insert(id);
            }
            Err(e) => self.seen.errors.lock().unwrap().push(e.to_string()),
        }
    }

    fn close(&self) {
        self.seen.closed.fetch_add(1, Ordering::SeqCst);
    }
}

/// Panics in every method.
struct Bomb;

impl ProducerInterceptor<String, String> for Bomb {
    fn on_send(&self, record: &mut ProducerRecord<String, String>) {
        record.value = Some("half-changed".into());
        panic!("on_send of a bad interceptor");
    }
    fn on_acknowledgement(&self, _: Result<&RecordMetadata, &Error>) {
        panic!("on_acknowledgement of a bad interceptor");
    }
    fn close(&self) {
        panic!("close of a bad interceptor");
    }
}

fn config(bootstrap: &str) -> ProducerConfig {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .linger(Duration::from_millis(5))
        .retry_backoff(Duration::from_millis(10))
        .build()
        .unwrap()
}

#[test]
fn two_interceptors_rewrite_records_and_see_every_outcome_in_order() {
    let mock = Mock::new(3, "icpt-a", 3);
    let first = Arc::new(Seen::default());
    let second = Arc::new(Seen::default());
    let producer: Producer<String, String> = Producer::builder(config(&mock.bootstrap))
        .interceptor(Tagger {
            name: "first",
            seen: first.clone(),
            after: None,
        })
        .interceptor(Tagger {
            name: "second",
            seen: second.clone(),
            after: Some(first.clone()),
        })
        .build()
        .unwrap();
    let n = 2_000;
    let callbacks = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for i in 0..n {
        let rec = ProducerRecord::new("icpt-a", format!("v{i}")).key(format!("k{i}"));
        if i % 2 == 0 {
            handles.push(producer.send(rec).unwrap());
        } else {
            let (c, f, s) = (callbacks.clone(), first.clone(), second.clone());
            producer
                .send_with_callback(rec, move |r| {
                    let md = r.expect("delivered");
                    let id = (md.topic.to_string(), md.partition, md.offset);
                    // Both interceptors saw the outcome before the callback.
                    assert!(f.acked.lock().unwrap().contains(&id));
                    assert!(s.acked.lock().unwrap().contains(&id));
                    c.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap();
        }
    }
    for h in handles {
        h.wait().unwrap();
    }
    producer.flush().unwrap();
    assert_eq!(callbacks.load(Ordering::SeqCst), n / 2);
    for seen in [&first, &second] {
        assert_eq!(seen.sent.load(Ordering::SeqCst), n);
        assert_eq!(seen.acked.lock().unwrap().len() as u64, n);
        assert!(seen.errors.lock().unwrap().is_empty());
        let threads = seen.threads.lock().unwrap();
        assert!(
            threads.iter().all(|t| t.starts_with("kafka-sync-sender")),
            "acknowledged on the sender thread: {threads:?}"
        );
    }
    producer.close(Duration::from_secs(10));
    assert_eq!(first.closed.load(Ordering::SeqCst), 1);
    assert_eq!(second.closed.load(Ordering::SeqCst), 1);

    // What the consumer reads is what the interceptors made.
    let got = consume_all(
        &mock.bootstrap,
        "icpt-a",
        &[0, 1, 2],
        n as usize,
        Duration::from_secs(30),
    );
    assert_eq!(got.len(), n as usize);
    for r in &got {
        let value = String::from_utf8(r.value.clone().unwrap()).unwrap();
        assert!(value.ends_with("|first|second"), "{value}");
        let via: Vec<_> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(
            via,
            [
                ("via", Some(b"first".to_vec())),
                ("via", Some(b"second".to_vec()))
            ]
        );
    }
}

#[test]
fn refusals_and_delivery_failures_reach_on_acknowledgement_once() {
    let mock = Mock::new(1, "icpt-b", 1);
    let seen = Arc::new(Seen::default());
    let producer: Producer<String, String> = Producer::builder(config(&mock.bootstrap))
        .interceptor(Tagger {
            name: "t",
            seen: seen.clone(),
            after: None,
        })
        .build()
        .unwrap();
    producer
        .send(ProducerRecord::new("icpt-b", "warm".to_string()))
        .unwrap()
        .wait()
        .unwrap();
    // Refused by `send`: seen on the caller's thread, record handed back.
    let refused = producer
        .send(ProducerRecord::new("icpt-b", "nowhere".to_string()).partition(7))
        .unwrap_err();
    assert!(matches!(refused.error, Refusal::InvalidPartition { .. }));
    assert_eq!(refused.record.value.as_deref(), Some("nowhere|t"));
    assert_eq!(seen.errors.lock().unwrap().len(), 1);
    assert!(seen
        .threads
        .lock()
        .unwrap()
        .contains(std::thread::current().name().unwrap()));
    // Failed by the broker (not retriable): seen once, as the handle's error.
    mock.produce_errors(&[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED]);
    let failed = producer
        .send(ProducerRecord::new("icpt-b", "denied".to_string()))
        .unwrap()
        .wait()
        .unwrap_err();
    // A handle completes as soon as the outcome is known; `flush` returns
    // once the acknowledgements (and callbacks) ran.
    producer.flush().unwrap();
    let errors = seen.errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[1], failed.to_string());
    assert_eq!(seen.acked.lock().unwrap().len(), 1, "only the warm-up");
    assert_eq!(seen.sent.load(Ordering::SeqCst), 3);
    producer.close(Duration::from_secs(10));
}

#[test]
fn a_panicking_interceptor_changes_nothing_else() {
    let mock = Mock::new(1, "icpt-c", 2);
    let seen = Arc::new(Seen::default());
    let producer: Producer<String, String> = Producer::builder(config(&mock.bootstrap))
        .interceptor(Bomb)
        .interceptor(Tagger {
            name: "after-bomb",
            seen: seen.clone(),
            after: None,
        })
        .build()
        .unwrap();
    let n = 200u64;
    let callbacks = Arc::new(AtomicU64::new(0));
    for i in 0..n {
        let c = callbacks.clone();
        producer
            .send_with_callback(ProducerRecord::new("icpt-c", format!("v{i}")), move |r| {
                r.expect("delivered");
                c.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
    }
    producer.flush().unwrap();
    assert_eq!(callbacks.load(Ordering::SeqCst), n);
    assert_eq!(seen.acked.lock().unwrap().len() as u64, n);
    producer.close(Duration::from_secs(10));
    assert_eq!(seen.closed.load(Ordering::SeqCst), 1);
    let got = consume_all(
        &mock.bootstrap,
        "icpt-c",
        &[0, 1],
        n as usize,
        Duration::from_secs(30),
    );
    assert_eq!(got.len() as u64, n);
    // The bomb's change before its panic stays; the next one still ran.
    assert!(got
        .iter()
        .all(|r| r.value.as_deref() == Some(b"half-changed|after-bomb".as_slice())));
}
