//! The fault suite: each scenario produces 100,000 keyed records (per-key
//! sequence numbers in the values), injects a fault while records are in
//! flight, reads everything back with the rdkafka consumer and counts, per
//! partition, records lost, duplicated and reordered (see
//! `tests/common/faults/` for the exact definitions and for how anomalies
//! are attributed on the mock, which does not check sequence numbers).
//!
//! Twelve faults on librdkafka's 3-broker mock cluster, each run with
//! idempotence on (everything exactly once, in order, nothing failed) and
//! off (acks=all with retries: nothing lost; duplicates and reorders are
//! printed), and two on tansu — which does check sequence numbers — behind
//! a proxy (`tests/common/proxy.rs`): one drops connections after the broker
//! answered a Produce request, the other also makes a batch fail for good
//! (INVALID_RECORD) while such an answer is being lost.
//!
//! Every scenario prints one line for the results table:
//! `FAULT <scenario> idempotence=<on|off> records=<n> lost=<l> duplicated=<d>
//! reordered=<r> failed=<f> secs=<t> ...` (run with `--nocapture`).
//! `FAULT_RECORDS=<n>` runs fewer records while developing.

mod common;

use common::faults::{
    run_scenario, Ctx, Mock, Outcome, Target, PARTITIONS, REQUEST_TIMEOUT, TOPIC,
};
use common::proxy::TansuBehindProxy;
use rdkafka::types::RDKafkaRespErr as E;
use std::time::{Duration, Instant};

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// Pushes `waves` waves of `per_wave` copies of `err` onto the mock's
/// Produce error stack, `gap_ms` apart, so that the errors hit requests
/// spread over the run.
fn error_waves(ctx: &Ctx<'_>, err: E, waves: usize, per_wave: usize, gap_ms: u64) {
    for _ in 0..waves {
        ctx.mock().produce_errors(&vec![err; per_wave]);
        sleep_ms(gap_ms);
    }
}

fn next_broker(b: i32) -> i32 {
    b % 3 + 1
}

// --- The twelve mock faults ---------------------------------------------

/// Every partition's leader moves to another broker at 25% of the records,
/// and again at 50%.
fn leader_moves(ctx: &Ctx<'_>) {
    let m = ctx.mock();
    for (p, l) in ctx.leaders.iter().enumerate() {
        m.partition_leader(TOPIC, p as i32, next_broker(*l));
    }
    ctx.wait_sent(0.5);
    for (p, l) in ctx.leaders.iter().enumerate() {
        m.partition_leader(TOPIC, p as i32, next_broker(next_broker(*l)));
    }
}

/// Takes broker `b` down with requests in flight: it first answers 250 ms
/// late for 300 ms, so that its connections carry unanswered requests when
/// it goes down (the mock wrote those batches on arrival: their retries are
/// duplicates only a sequence-checking broker drops, `broker_dups`).
fn down_with_requests_in_flight(ctx: &Ctx<'_>, b: i32) {
    let m = ctx.mock();
    m.set_rtt(b, Duration::from_millis(250));
    sleep_ms(300);
    m.broker_down(b);
    m.set_rtt(b, Duration::ZERO);
}

/// The leader of partition 0 goes down for 500 ms (less than
/// request.timeout.ms) with requests in flight, and comes back; leaders do
/// not change.
fn broker_down_then_up(ctx: &Ctx<'_>) {
    let b = ctx.leaders[0];
    down_with_requests_in_flight(ctx, b);
    sleep_ms(500);
    ctx.mock().broker_up(b);
}

/// The leader of partition 0 goes down for 4 s (request.timeout.ms is
/// 1.5 s) with requests in flight.
fn broker_down_longer_than_request_timeout(ctx: &Ctx<'_>) {
    let b = ctx.leaders[0];
    down_with_requests_in_flight(ctx, b);
    sleep_ms(REQUEST_TIMEOUT.as_millis() as u64 * 8 / 3);
    ctx.mock().broker_up(b);
}

/// 20 Produce requests answered NOT_LEADER_OR_FOLLOWER (4 waves of 5).
fn not_leader_or_follower(ctx: &Ctx<'_>) {
    error_waves(
        ctx,
        E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        4,
        5,
        150,
    );
}

/// 20 Produce requests answered REQUEST_TIMED_OUT.
fn request_timed_out(ctx: &Ctx<'_>) {
    error_waves(ctx, E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 4, 5, 150);
}

/// 20 Produce requests answered NOT_ENOUGH_REPLICAS.
fn not_enough_replicas(ctx: &Ctx<'_>) {
    error_waves(ctx, E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, 4, 5, 150);
}

/// 20 Produce requests answered NOT_ENOUGH_REPLICAS_AFTER_APPEND (the mock
/// does not write them).
fn not_enough_replicas_after_append(ctx: &Ctx<'_>) {
    error_waves(
        ctx,
        E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        4,
        5,
        150,
    );
}

/// The leader of partition 0 answers 1 s later than request.timeout.ms for
/// 3 s. The mock writes each Produce when it arrives, so the batches of the
/// timed-out requests are in the log and their retries are duplicates the
/// mock keeps (a real broker would drop them: same producer id, epoch and
/// sequence; counted as `broker_dups`).
fn slow_broker(ctx: &Ctx<'_>) {
    let b = ctx.leaders[0];
    ctx.mock()
        .set_rtt(b, REQUEST_TIMEOUT + Duration::from_secs(1));
    sleep_ms(3000);
    ctx.mock().set_rtt(b, Duration::ZERO);
}

/// 5 Produce requests make the broker close the connection instead of
/// answering (the mock has not written them), 150 ms apart.
fn connection_closed_mid_request(ctx: &Ctx<'_>) {
    error_waves(ctx, E::RD_KAFKA_RESP_ERR__TRANSPORT, 5, 1, 150);
}

/// 6 Produce requests answered OUT_OF_ORDER_SEQUENCE_NUMBER (3 waves of 2).
fn out_of_order_sequence_number(ctx: &Ctx<'_>) {
    error_waves(
        ctx,
        E::RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
        3,
        2,
        200,
    );
}

/// 6 Produce requests answered UNKNOWN_PRODUCER_ID (3 waves of 2).
fn unknown_producer_id(ctx: &Ctx<'_>) {
    error_waves(ctx, E::RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID, 3, 2, 200);
}

/// At once, on different brokers: broker 1 answers slow errors
/// (REQUEST_TIMED_OUT after 300 ms, NOT_ENOUGH_REPLICAS), broker 3 closes
/// connections and answers NOT_LEADER_OR_FOLLOWER, broker 2 goes down for
/// 1 s with requests in flight, and the partitions broker 1 leads move to broker 3; then broker 3
/// becomes slower than request.timeout.ms for 2 s.
fn several_faults_at_once(ctx: &Ctx<'_>) {
    let m = ctx.mock();
    let slow = Duration::from_millis(300);
    m.broker_produce_errors(
        1,
        &[
            (E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, slow),
            (E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, slow),
            (E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, Duration::ZERO),
            (E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, slow),
            (E::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, Duration::ZERO),
        ],
    );
    m.broker_produce_errors(
        3,
        &[
            (E::RD_KAFKA_RESP_ERR__TRANSPORT, Duration::ZERO),
            (
                E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                Duration::ZERO,
            ),
            (
                E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                Duration::ZERO,
            ),
            (E::RD_KAFKA_RESP_ERR__TRANSPORT, Duration::ZERO),
            (
                E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                Duration::ZERO,
            ),
        ],
    );
    down_with_requests_in_flight(ctx, 2);
    sleep_ms(200);
    for (p, l) in ctx.leaders.iter().enumerate() {
        if *l == 1 {
            m.partition_leader(TOPIC, p as i32, 3);
        }
    }
    sleep_ms(800);
    m.broker_up(2);
    m.set_rtt(3, REQUEST_TIMEOUT + Duration::from_millis(500));
    sleep_ms(2000);
    m.set_rtt(3, Duration::ZERO);
}

/// Runs a mock scenario and checks it. Without idempotence only
/// `may_fail_without_idempotence` scenarios may fail records (errors the
/// Java client does not retry for a non-idempotent producer).
fn mock(
    name: &str,
    idempotent: bool,
    may_fail_without_idempotence: bool,
    inject: fn(&Ctx<'_>),
) -> Outcome {
    let cluster = Mock::new(3, TOPIC, PARTITIONS);
    let out = run_scenario(name, Target::Mock(&cluster), idempotent, inject);
    out.check(
        out.retried > 0 || out.failed > 0,
        "the fault did not bite: no batch was retried or failed",
    );
    if idempotent {
        out.assert_exactly_once_in_order(false);
    } else {
        out.assert_no_loss();
        if !may_fail_without_idempotence {
            out.check(out.failed == 0, "records failed");
        }
    }
    out
}

macro_rules! mock_scenarios {
    ($($name:ident: may_fail_without_idempotence = $may_fail:expr;)*) => {
        /// Idempotence on (the default): exactly once, in order, none failed.
        mod idempotence_on {
            use super::*;
            $(
                #[test]
                fn $name() {
                    mock(stringify!($name), true, false, super::$name);
                }
            )*
        }
        /// Idempotence off, acks=all, default retries: nothing lost.
        mod idempotence_off {
            use super::*;
            $(
                #[test]
                fn $name() {
                    mock(stringify!($name), false, $may_fail, super::$name);
                }
            )*
        }
    };
}

mock_scenarios! {
    leader_moves: may_fail_without_idempotence = false;
    broker_down_then_up: may_fail_without_idempotence = false;
    broker_down_longer_than_request_timeout: may_fail_without_idempotence = false;
    not_leader_or_follower: may_fail_without_idempotence = false;
    request_timed_out: may_fail_without_idempotence = false;
    not_enough_replicas: may_fail_without_idempotence = false;
    not_enough_replicas_after_append: may_fail_without_idempotence = false;
    slow_broker: may_fail_without_idempotence = false;
    connection_closed_mid_request: may_fail_without_idempotence = false;
    // Not retriable for a producer without idempotence (as in the Java client).
    out_of_order_sequence_number: may_fail_without_idempotence = true;
    unknown_producer_id: may_fail_without_idempotence = true;
    several_faults_at_once: may_fail_without_idempotence = false;
}

// --- tansu: a response lost after the broker wrote the batch -------------

/// Eight times, 150 ms apart: the proxy forwards a Produce request, waits
/// for tansu's response (tansu has the batch), drops it and closes the
/// connection. The producer must retry; with idempotence tansu recognises
/// the sequence and keeps one copy.
fn tansu_response_lost(idempotent: bool) -> Option<Outcome> {
    let tansu = TansuBehindProxy::start(TOPIC, PARTITIONS)?;
    let out = run_scenario(
        "tansu_response_lost_after_write",
        Target::Tansu(&tansu),
        idempotent,
        |ctx| {
            let proxy = ctx.proxy();
            for _ in 0..8 {
                proxy.drop_produce_responses(1);
                let deadline = Instant::now() + Duration::from_secs(5);
                while proxy.armed() > 0 && Instant::now() < deadline {
                    sleep_ms(1);
                }
                sleep_ms(150);
            }
            proxy.disarm();
        },
    );
    let dropped = tansu.proxy.dropped();
    println!(
        "FAULT-DETAIL tansu_response_lost_after_write idempotence={} responses_dropped={dropped} produce_requests={} connections={}",
        if idempotent { "on" } else { "off" },
        tansu.proxy.produce_requests(),
        tansu.proxy.accepted()
    );
    out.check(dropped > 0, "the proxy dropped no response");
    Some(out)
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn tansu_response_lost_after_write_idempotent() {
    let Some(out) = tansu_response_lost(true) else {
        return;
    };
    out.assert_exactly_once_in_order(true);
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn tansu_response_lost_after_write_not_idempotent() {
    let Some(out) = tansu_response_lost(false) else {
        return;
    };
    out.assert_no_loss();
    out.check(out.failed == 0, "records failed");
    // The retried batches were written twice: this is what idempotence
    // prevents (see the idempotent twin of this test).
    out.check(
        out.total.duplicated > 0,
        "expected duplicates without idempotence: did the fault bite?",
    );
}

// --- tansu: a batch fails for good while another answer is lost ----------

/// INVALID_RECORD: not retriable, the batch is not written.
const INVALID_RECORD: i16 = 87;

/// Eight times, 200 ms apart: the proxy keeps one partition's batch of a
/// Produce request from tansu and answers it INVALID_RECORD (a batch that
/// fails for good, leaving a hole in that partition's sequence), holding
/// that answer back 50 ms; the *next* Produce request is written by tansu
/// and its answer lost (connection closed). The failed records are the
/// only ones allowed to be missing; the batches of the lost answer are
/// retried and must not be written twice: tansu drops a retry only if it
/// carries the producer id, epoch and sequence of the first attempt.
fn tansu_failed_batch_and_lost_answer(idempotent: bool) -> Option<Outcome> {
    let tansu = TansuBehindProxy::start(TOPIC, PARTITIONS)?;
    let out = run_scenario(
        "tansu_failed_batch_and_lost_answer",
        Target::Tansu(&tansu),
        idempotent,
        |ctx| {
            let proxy = ctx.proxy();
            for _ in 0..8 {
                proxy.inject_partition_error(INVALID_RECORD, Duration::from_millis(50));
                proxy.drop_produce_responses(1);
                let deadline = Instant::now() + Duration::from_secs(5);
                while (proxy.armed() > 0 || proxy.injections_pending() > 0)
                    && Instant::now() < deadline
                {
                    sleep_ms(1);
                }
                sleep_ms(200);
            }
            proxy.disarm();
        },
    );
    let injected = tansu.proxy.injected();
    println!(
        "FAULT-DETAIL tansu_failed_batch_and_lost_answer idempotence={} responses_dropped={} errors_injected={} produce_requests={}",
        if idempotent { "on" } else { "off" },
        tansu.proxy.dropped(),
        injected.len(),
        tansu.proxy.produce_requests()
    );
    out.check(
        tansu.proxy.dropped() > 0 && !injected.is_empty(),
        "the faults did not happen",
    );
    out.assert_no_loss();
    out.check(
        out.errors.keys().all(|k| k.contains("INVALID_RECORD")),
        "records failed with other errors than the injected INVALID_RECORD",
    );
    Some(out)
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn tansu_failed_batch_and_lost_answer_idempotent() {
    let Some(out) = tansu_failed_batch_and_lost_answer(true) else {
        return;
    };
    out.check(out.total.duplicated == 0, "duplicates");
    out.check(out.total.reordered == 0, "reordered");
}

#[test]
#[cfg_attr(
    not(ksync_tansu),
    ignore = "needs tansu: set TANSU_BIN or run scripts/test.sh"
)]
fn tansu_failed_batch_and_lost_answer_not_idempotent() {
    tansu_failed_batch_and_lost_answer(false);
}
