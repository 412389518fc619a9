//! Stepped sender tests for adaptive partitioning (KIP-794): the queue
//! counts the sender publishes for the default partitioner, and a leader
//! that takes no request for `partitioner.availability.timeout.ms`.

use super::tests::{harness, no_idempotence, produce_ok, Harness, Sent, TOPIC};
use crate::protocol::messages::produce::ProduceRequest;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// Partition 0 led by node 1, partition 1 by node 2; one request in flight
/// per node, one record per batch.
fn stalled_node_2(timeout: Duration) -> (Harness, Sent) {
    let cfg = no_idempotence()
        .linger(Duration::ZERO)
        .batch_size(1024)
        .max_in_flight(1)
        .request_timeout(Duration::from_millis(5000))
        .delivery_timeout(Duration::from_millis(10_000))
        .partitioner_availability_timeout(timeout);
    let mut h = harness(cfg);
    h.shared.load.want();
    h.bootstrap(&[1, 2]);
    // One batch each goes; node 1 answers, node 2 never does.
    let _ = (h.append(0, &[1; 600]), h.append(1, &[1; 600]));
    h.step();
    h.step();
    let to_1 = h.produces(1);
    let mut to_2 = h.produces(2);
    assert_eq!((to_1.len(), to_2.len()), (1, 1));
    h.answer::<ProduceRequest>(1, &to_1[0], &produce_ok(&to_1[0], 0));
    // Three more batches wait for node 2, none for node 1.
    for _ in 0..3 {
        let _ = h.append(1, &[2; 600]);
    }
    h.step();
    h.step();
    (h, to_2.remove(0))
}

#[test]
fn load_a_slow_leaders_partition_gets_a_small_weight() {
    let (h, _) = stalled_node_2(Duration::ZERO);
    let load = h.shared.load.get(TOPIC).expect("a load is published");
    // Queued: partition 0 none, partition 1 three: weights 4 and 1.
    let picks: Vec<i32> = (0..5).map(|r| load.pick(r)).collect();
    assert_eq!(picks, [0, 0, 0, 0, 1]);
}

#[test]
fn load_nothing_is_counted_unless_a_partitioner_wants_it() {
    let mut h = harness(no_idempotence().linger(Duration::ZERO));
    h.bootstrap(&[1, 2]);
    let _ = h.append(1, &[2; 600]);
    let _ = h.append(1, &[2; 600]);
    h.step();
    assert!(h.shared.load.get(TOPIC).is_none());
}

#[test]
fn load_a_leader_blocked_past_the_availability_timeout_is_left_out() {
    let (mut h, first) = stalled_node_2(Duration::from_millis(100));
    let load = h.shared.load.get(TOPIC).expect("a load is published");
    assert_eq!(load.partitions(), &[0, 1], "not blocked for long yet");
    for _ in 0..100 {
        h.advance(MS);
    }
    let load = h.shared.load.get(TOPIC).expect("a load is published");
    assert_eq!(load.partitions(), &[0], "node 2 blocked for 100 ms");
    // Node 2 answers: its partition is back in.
    let to_2 = h.produces(2);
    assert_eq!(to_2.len(), 0, "still one in flight, unanswered");
    h.answer::<ProduceRequest>(2, &first, &produce_ok(&first, 0));
    h.step();
    h.step();
    let load = h.shared.load.get(TOPIC);
    assert!(
        load.as_ref().is_none_or(|l| l.partitions().contains(&1)),
        "{load:?}"
    );
}
