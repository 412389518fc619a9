//! Stepped sender tests for `metadata.max.idle.ms` (issue 11, item 9): a
//! topic nothing was sent to for that long leaves the metadata requests,
//! and the accumulator and the cluster view forget it; a topic in use is
//! kept; a record for a forgotten topic fetches its metadata again.

use super::tests::{done, harness, no_idempotence, produce_ok, Harness, TOPIC};
use crate::clock::Clock;
use crate::net::NodeId;
use crate::protocol::messages::metadata::MetadataRequest;
use crate::protocol::messages::produce::ProduceRequest;
use crate::protocol::Message;
use std::time::Duration;

const SEC: Duration = Duration::from_secs(1);

fn config() -> crate::config::ProducerConfigBuilder {
    no_idempotence()
        .linger(Duration::ZERO)
        .metadata_max_idle(Duration::from_secs(5))
        .metadata_max_age(Duration::from_secs(2))
}

/// Steps `secs` seconds, answering every request; returns the topics of
/// each Metadata request written.
fn run_for(h: &mut Harness, secs: u64) -> Vec<Vec<String>> {
    let mut asked = Vec::new();
    for _ in 0..secs * 10 {
        h.advance(SEC / 10);
        for node in [-1 as NodeId, 1, 2] {
            for s in h.take_all(node) {
                if s.api_key == MetadataRequest::API_KEY {
                    let req: MetadataRequest = s.decode();
                    let names: Vec<String> = req
                        .topics
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|t| t.name)
                        .collect();
                    // As a broker: only the topics asked for.
                    let mut md = h.metadata();
                    md.topics
                        .retain(|t| t.name.as_ref().is_some_and(|n| names.contains(n)));
                    asked.push(names);
                    h.answer::<MetadataRequest>(node, &s, &md);
                } else if s.api_key == ProduceRequest::API_KEY {
                    h.answer::<ProduceRequest>(node, &s, &produce_ok(&s, 0));
                }
            }
        }
    }
    asked
}

fn delivered(h: &mut Harness, partition: i32) {
    let handle = h.append(partition, b"v");
    run_for(h, 1);
    done(&handle).expect("complete").expect("delivered");
}

#[test]
fn an_idle_topic_is_forgotten_and_leaves_the_metadata_requests() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    delivered(&mut h, 0);
    let asked = run_for(&mut h, 3);
    assert!(
        asked.iter().all(|t| t.iter().any(|n| n == TOPIC)),
        "asked for before it was idle: {asked:?}"
    );
    assert!(h.shared.cluster.topic(TOPIC).is_some());
    let asked = run_for(&mut h, 4);
    assert!(h.shared.cluster.topic(TOPIC).is_none(), "not forgotten");
    assert_eq!(h.shared.acc.topic_count(), 0, "its queues are gone");
    let last = asked.last().expect("periodic metadata requests");
    assert!(
        !last.iter().any(|n| n == TOPIC),
        "still asked for: {last:?}"
    );
    assert_eq!(h.shared.cluster.take_forgotten(), vec![TOPIC.to_string()]);
}

#[test]
fn a_topic_in_use_is_kept() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    let start = h.clock.now();
    while h.clock.now() < start + 12 * SEC {
        delivered(&mut h, 1);
    }
    assert!(h.shared.cluster.topic(TOPIC).is_some());
    assert_eq!(h.shared.acc.topic_count(), 1);
}

#[test]
fn a_record_for_a_forgotten_topic_fetches_its_metadata_again() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    delivered(&mut h, 0);
    run_for(&mut h, 8);
    assert!(h.shared.cluster.topic(TOPIC).is_none(), "not forgotten");
    // As the producer does: wait for metadata (the caller registers the
    // topic as wanted), then append.
    let cluster = h.shared.cluster.clone();
    let waiter = std::thread::spawn(move || {
        cluster.wait_for_topic(
            TOPIC,
            std::time::Instant::now(),
            Some(std::time::Instant::now() + Duration::from_secs(20)),
            &|| {},
        )
    });
    while !h.shared.cluster.is_wanted(TOPIC) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let asked = run_for(&mut h, 1);
    assert!(
        asked.iter().any(|t| t.iter().any(|n| n == TOPIC)),
        "{asked:?}"
    );
    assert!(waiter.join().unwrap().is_ok(), "metadata known again");
    delivered(&mut h, 0);
}

#[test]
fn an_append_racing_with_forgetting_lands_in_the_new_queues() {
    let mut h = harness(config());
    h.bootstrap(&[1, 2]);
    delivered(&mut h, 0);
    // A caller looked up the queues just before they were retired.
    let old = h.shared.acc.queue(TOPIC, 0).expect("queues");
    assert!(h.shared.acc.retire_topic(TOPIC));
    let handle = h.append(0, b"late");
    assert!(old.lock().batches.is_empty(), "appended to a retired queue");
    let new = h.shared.acc.queue(TOPIC, 0).expect("new queues");
    assert_eq!(new.lock().batches.len(), 1);
    run_for(&mut h, 1);
    done(&handle).expect("complete").expect("delivered");
}
