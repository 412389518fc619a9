//! Faults only a real cluster produces, on Apache Kafka 4.x and 3.9 (3-node
//! KRaft, replication factor 3, `min.insync.replicas=2`, unclean leader
//! election off; see `tests/common/kafka.rs`).
//!
//! Each scenario sends 100,000 keyed records (per-key sequence numbers in the
//! values, `tests/common/faults/`) to a topic of its own, paced over
//! [`SEND_SECS`] so that the fault lands mid-stream, reads everything back
//! with the rdkafka consumer (`check.crcs=true`) and counts per partition:
//!
//! - SIGKILL the leader of the busiest partition, three rounds (restarted
//!   on the same ports and data dir after each);
//! - a rolling restart of all three brokers (controlled shutdowns);
//! - SIGSTOP the busiest partition's leader for longer than
//!   `request.timeout.ms` and the broker session timeout, then SIGCONT;
//! - a controlled shutdown (SIGTERM) of that leader: its leaderships move,
//!   and the producer follows the KIP-951 hints in the old leader's Produce
//!   answers (asserted: hints were used);
//! - the producer's connections cut by the fault proxies again and again.
//!
//! With idempotence on (acks=all): 0 lost, 0 duplicated, 0 reordered per
//! partition, 0 failed — asserted. With it off: nothing acknowledged is lost
//! (asserted, acks=all); duplicates and reorders are printed. With acks=1
//! and a SIGKILLed leader, records acknowledged by the leader alone and lost
//! with it are counted and printed.
//!
//! Every scenario prints a `FAULT ...` line (run with `--nocapture`).
//! The scenarios share one cluster per version and run one at a time.

mod common;

use common::faults::{
    producer_config_with, run_scenario_with, Ctx, Outcome, Target, KEYS, PARTITIONS,
};
use common::kafka::{KafkaCluster, Version};
use kafka_sync::config::Acks;
use kafka_sync::partitioner::key_partition;
use std::sync::Mutex;
use std::time::Duration;

/// Sending is paced over this many seconds (the faults take seconds each).
const SEND_SECS: f64 = 30.0;
/// `request.timeout.ms` of the producer in these scenarios.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a paused broker stays stopped: longer than the request timeout
/// and than `broker.session.timeout.ms` (6 s), so that it is fenced.
const PAUSE: Duration = Duration::from_secs(8);

/// One scenario at a time: they kill brokers of the shared cluster.
static SERIAL: Mutex<()> = Mutex::new(());

fn sleep(d: Duration) {
    std::thread::sleep(d);
}

/// The partition with the most keys.
fn busiest_partition() -> i32 {
    let mut counts = vec![0; PARTITIONS as usize];
    for k in 0..KEYS {
        counts[key_partition(format!("k{k}").as_bytes(), PARTITIONS) as usize] += 1;
    }
    (0..PARTITIONS).max_by_key(|p| counts[*p as usize]).unwrap()
}

/// Runs `inject` as a scenario on a fresh topic of the shared cluster.
fn scenario(
    version: Version,
    name: &str,
    idempotent: bool,
    acks: Acks,
    proxied: bool,
    inject: impl FnOnce(&Ctx<'_>),
) -> Option<Outcome> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let k = KafkaCluster::shared(version)?;
    let _logs = k.logs_on_panic();
    k.wait_fully_replicated(Duration::from_secs(120));
    let topic = k.new_topic("faults", PARTITIONS);
    let bootstrap = if proxied {
        &k.proxied_bootstrap
    } else {
        &k.bootstrap
    };
    let cfg = producer_config_with(bootstrap, idempotent, acks, REQUEST_TIMEOUT);
    let full_name = format!("kafka-{}/{name}", version.as_str());
    let target = Target::Kafka {
        cluster: k,
        topic: &topic,
        proxied,
    };
    let out = run_scenario_with(&full_name, target, idempotent, cfg, SEND_SECS, inject);
    k.wait_fully_replicated(Duration::from_secs(120));
    if name == "controlled-shutdown" {
        // The moved leaderships come back as KIP-951 hints in the old
        // leader's NOT_LEADER_OR_FOLLOWER answers (Produce v10+), and the
        // producer follows them without waiting for a Metadata round trip.
        out.check(out.leader_hints > 0, "no leader hint was used");
    }
    if idempotent {
        out.assert_exactly_once_in_order(true);
    } else if acks == Acks::All {
        out.assert_no_loss();
    }
    Some(out)
}

// --- The faults -----------------------------------------------------------

/// SIGKILL the busiest partition's leader at 20 %, 45 % and 70 % of the
/// records; each time it is restarted after a second.
fn kill_leader_three_rounds(ctx: &Ctx<'_>) {
    let k = ctx.kafka();
    let p = busiest_partition();
    for frac in [0.2, 0.45, 0.7] {
        ctx.wait_sent(frac);
        let leader = k.leader_of(ctx.topic, p);
        k.kill(leader);
        sleep(Duration::from_secs(1));
        k.restart(leader);
    }
}

/// Every broker in turn: controlled shutdown, restart, wait until fully
/// replicated again.
fn rolling_restart(ctx: &Ctx<'_>) {
    let k = ctx.kafka();
    for id in k.node_ids() {
        k.shutdown(id, Duration::from_secs(60));
        k.restart(id);
        k.wait_fully_replicated(Duration::from_secs(120));
    }
}

/// The busiest partition's leader hangs (SIGSTOP) for [`PAUSE`], then goes on.
fn pause_leader(ctx: &Ctx<'_>) {
    let k = ctx.kafka();
    let leader = k.leader_of(ctx.topic, busiest_partition());
    k.pause(leader);
    sleep(PAUSE);
    k.resume(leader);
}

/// The busiest partition's leader shuts down cleanly (its leaderships move
/// to the other replicas), stays away for 3 s, and comes back.
fn controlled_shutdown_of_leader(ctx: &Ctx<'_>) {
    let k = ctx.kafka();
    let leader = k.leader_of(ctx.topic, busiest_partition());
    k.shutdown(leader, Duration::from_secs(60));
    sleep(Duration::from_secs(3));
    k.restart(leader);
}

/// Every connection the producer has is cut, ten times, 700 ms apart.
fn proxy_cuts(ctx: &Ctx<'_>) {
    for _ in 0..10 {
        ctx.kafka().cut_proxied_connections();
        sleep(Duration::from_millis(700));
    }
}

/// SIGKILL the busiest partition's leader once; restart it after 3 s.
fn kill_leader_once(ctx: &Ctx<'_>) {
    let k = ctx.kafka();
    let leader = k.leader_of(ctx.topic, busiest_partition());
    k.kill(leader);
    sleep(Duration::from_secs(3));
    k.restart(leader);
}

// --- The tests ------------------------------------------------------------

macro_rules! fault_tests {
    ($($test:ident: $version:expr, $name:literal, $idem:expr, $proxied:expr, $inject:expr;)*) => {$(
        #[test]
        fn $test() {
            scenario($version, $name, $idem, Acks::All, $proxied, $inject);
        }
    )*};
}

fault_tests! {
    v4_kill_leader_idempotent: Version::V4, "kill-leader-x3", true, false, kill_leader_three_rounds;
    v4_kill_leader_plain: Version::V4, "kill-leader-x3", false, false, kill_leader_three_rounds;
    v4_rolling_restart_idempotent: Version::V4, "rolling-restart", true, false, rolling_restart;
    v4_rolling_restart_plain: Version::V4, "rolling-restart", false, false, rolling_restart;
    v4_pause_leader_idempotent: Version::V4, "sigstop-leader", true, false, pause_leader;
    v4_pause_leader_plain: Version::V4, "sigstop-leader", false, false, pause_leader;
    v4_controlled_shutdown_idempotent: Version::V4, "controlled-shutdown", true, false, controlled_shutdown_of_leader;
    v4_controlled_shutdown_plain: Version::V4, "controlled-shutdown", false, false, controlled_shutdown_of_leader;
    v4_proxy_cuts_idempotent: Version::V4, "proxy-cuts", true, true, proxy_cuts;
    v4_proxy_cuts_plain: Version::V4, "proxy-cuts", false, true, proxy_cuts;
    v39_kill_leader_idempotent: Version::V3_9, "kill-leader-x3", true, false, kill_leader_three_rounds;
    v39_kill_leader_plain: Version::V3_9, "kill-leader-x3", false, false, kill_leader_three_rounds;
    v39_rolling_restart_idempotent: Version::V3_9, "rolling-restart", true, false, rolling_restart;
    v39_rolling_restart_plain: Version::V3_9, "rolling-restart", false, false, rolling_restart;
    v39_pause_leader_idempotent: Version::V3_9, "sigstop-leader", true, false, pause_leader;
    v39_pause_leader_plain: Version::V3_9, "sigstop-leader", false, false, pause_leader;
}

/// acks=1 (idempotence needs acks=all): what the killed leader had
/// acknowledged before its followers copied it is gone. Counted and printed;
/// nothing may hang or be refused.
#[test]
fn v4_kill_leader_acks1() {
    let Some(out) = scenario(
        Version::V4,
        "kill-leader-acks1",
        false,
        Acks::Leader,
        false,
        kill_leader_once,
    ) else {
        return;
    };
    println!(
        "FAULT-NOTE acks=1: {} acknowledged records lost with the killed leader",
        out.total.lost
    );
    out.check(out.stuck == 0, "records never completed");
    out.check(out.refused == 0, "send refused records");
    out.check(
        out.total.read + out.total.lost >= out.records - out.failed,
        "records unaccounted for",
    );
}

// --- Adaptive partitioning (KIP-794) ---------------------------------------

/// Records placed and acknowledged while one broker was stopped.
#[derive(Debug)]
struct Placement {
    sent: usize,
    /// Of `sent`, how many went to the stopped broker's partitions.
    to_stopped: usize,
    /// Of `sent`, how many were acknowledged before it went on.
    acked_while_stopped: usize,
}

/// Sends null-key 100-byte records at about 20,000/s to `topic` (one
/// replica per partition) while `victim` is SIGSTOPped for `pause`, then
/// SIGCONTs it and waits for every record.
fn place_while_stopped(
    k: &KafkaCluster,
    topic: &str,
    victim: i32,
    stopped: &[i32],
    cfg: kafka_sync::config::ProducerConfigBuilder,
    pause: Duration,
) -> Placement {
    use kafka_sync::{Producer, ProducerRecord};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Instant;
    let cfg = cfg.bootstrap_servers(&k.bootstrap).build().unwrap();
    let p: Producer<Vec<u8>, Vec<u8>> = Producer::new(cfg).unwrap();
    let rec = || ProducerRecord::new(topic, vec![b'x'; 100]);
    p.send(rec()).unwrap().wait().unwrap();
    let acked = Arc::new(AtomicUsize::new(0));
    let placed: Arc<Vec<AtomicUsize>> = Arc::new((0..6).map(|_| AtomicUsize::new(0)).collect());
    k.pause(victim);
    let start = Instant::now();
    let mut sent = 0;
    while start.elapsed() < pause {
        for _ in 0..200 {
            let (acked, placed) = (acked.clone(), placed.clone());
            p.send_with_callback(rec(), move |r| {
                let md = r.expect("delivered");
                placed[md.partition as usize].fetch_add(1, Ordering::Relaxed);
                acked.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
            sent += 1;
        }
        sleep(Duration::from_millis(10));
    }
    let acked_while_stopped = acked.load(Ordering::Relaxed);
    k.resume(victim);
    p.flush_timeout(Duration::from_secs(60)).unwrap();
    p.close(Duration::from_secs(10));
    assert_eq!(
        acked.load(Ordering::Relaxed),
        sent,
        "every record delivered"
    );
    let to_stopped = stopped
        .iter()
        .map(|&s| placed[s as usize].load(Ordering::Relaxed))
        .sum();
    Placement {
        sent,
        to_stopped,
        acked_while_stopped,
    }
}

/// One broker of three is SIGSTOPped for 3 s (less than the broker session
/// timeout: it is not fenced, its partitions keep their leader) under a
/// topic with one replica per partition. Uniform sticky partitioning keeps
/// sending a third of the records to its two partitions, where they wait;
/// adaptive partitioning (the default) sends few there, so records still
/// flow to the others, and with `partitioner.availability.timeout.ms` none
/// once the broker was stuck that long.
#[test]
fn v4_adaptive_partitioning_avoids_a_stopped_broker() {
    use kafka_sync::ProducerConfig;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(k) = KafkaCluster::shared(Version::V4) else {
        return;
    };
    let _logs = k.logs_on_panic();
    k.wait_fully_replicated(Duration::from_secs(120));
    let topic = common::kafka::unique_topic("adaptive");
    k.create_unreplicated_topic(&topic, 6);
    let victim = k.leader_of(&topic, 0);
    let stopped: Vec<i32> = (0..6)
        .filter(|&p| k.leader_of(&topic, p) == victim)
        .collect();
    let share = |stopped: &[i32]| stopped.len() as f64 / 6.0;
    let pause = Duration::from_secs(3);
    let base = || ProducerConfig::builder().linger(Duration::from_millis(5));
    let mut results = Vec::new();
    for (name, cfg) in [
        ("uniform", base().partitioner_adaptive(false)),
        ("adaptive", base()),
        (
            "adaptive+availability 500 ms",
            base().partitioner_availability_timeout(Duration::from_millis(500)),
        ),
    ] {
        let out = place_while_stopped(k, &topic, victim, &stopped, cfg, pause);
        let to_stopped = out.to_stopped as f64 / out.sent as f64;
        let acked = out.acked_while_stopped as f64 / out.sent as f64;
        println!(
            "ADAPTIVE {name}: {} records in {pause:?} with node {victim} (partitions {stopped:?}, \
             {:.0} % of them) stopped: {:.1} % placed there, {:.1} % acknowledged while it was",
            out.sent,
            share(&stopped) * 100.0,
            to_stopped * 100.0,
            acked * 100.0
        );
        results.push((name, to_stopped, acked));
        k.wait_fully_replicated(Duration::from_secs(120));
    }
    let uniform = results[0].1;
    assert!(
        uniform > share(&stopped) * 0.6,
        "uniform placement: {results:?}"
    );
    assert!(
        results[1].1 < uniform * 0.6,
        "adaptive sends fewer there: {results:?}"
    );
    assert!(
        results[1].2 > results[0].2,
        "more flows while stopped: {results:?}"
    );
    assert!(
        results[2].1 < uniform * 0.3,
        "availability timeout: {results:?}"
    );
}
