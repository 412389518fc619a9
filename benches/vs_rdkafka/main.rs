//! kafka-sync against rdkafka's `BaseProducer` (librdkafka), on the same broker
//! process, alternating runs.
//!
//! ```sh
//! cargo bench --bench vs_rdkafka --all-features            # everything (~10 min)
//! BENCH_QUICK=1 cargo bench --bench vs_rdkafka --all-features -- size,latency
//! ```
//!
//! `scripts/bench.sh` runs this and renders `BENCHMARKS.md` from the JSON lines.
//!
//! # How a measurement is made
//!
//! The parent process starts the brokers: a private tansu process (found
//! through `TANSU_BIN` or `~/.cache/ksync/tansu/bin/tansu`), and librdkafka's
//! mock cluster (one broker, in this parent process). Each scenario gets a
//! fresh broker (tansu keeps everything in memory) and a fresh topic, then
//! runs every client `BENCH_REPS` times against it, alternating
//! (ours, rdkafka, rdkafka, ours, ...).
//!
//! Every run is a child process (this binary with `child ARGS`) that builds one
//! producer, warms it up (one record sent and acknowledged: connection,
//! metadata, producer id), then measures the workload from the first `send`
//! to the last acknowledgement. CPU time is `getrusage(RUSAGE_SELF)` user+sys
//! of the child over that span (every thread of the process: callers, our
//! sender thread, librdkafka's threads and its poll thread); peak RSS is the
//! child's `VmHWM` over its whole life (`ru_maxrss` is not used: Linux
//! carries the parent's RSS at fork over `exec` into it). The child prints one `RESULT`
//! line; the parent appends one JSON object per run to `BENCH_OUT`
//! (default `target/vs_rdkafka.jsonl`).
//!
//! Both clients get the same settings: acks=all, idempotence on, linger.ms=5,
//! batch.size=16384 (the Java default; group `size_1mb` repeats the
//! record-size sweep with librdkafka's default, 1000000, for both),
//! buffer.memory 32 MiB (librdkafka:
//! queue.buffering.max.kbytes=32768 and a message-count limit high enough not
//! to bind), 5 requests in flight, TCP_NODELAY (librdkafka:
//! socket.nagle.disable=true), the same codec. Values come from one pool of
//! about 1 MiB of distinct, log-like payloads (compressible 2–4x), the same
//! bytes for both clients; keys are null unless the scenario says keyed.
//!
//! Ours uses `send` and drops the handle (fire and forget; failures are
//! checked from the metrics at the end). rdkafka uses `BaseProducer::send`
//! with a dedicated thread calling `poll` (as `ThreadedProducer` does) to
//! serve delivery reports; a caller that gets `QueueFull` sleeps 200 µs and
//! retries (the queue still holds plenty for the broker meanwhile).
//!
//! # Environment
//!
//! - `BENCH_RECORDS` (1000000): records per throughput run for records of up
//!   to 100 B; larger records send at most `BENCH_BYTES` (256 MiB) per run.
//! - `BENCH_REPS` (3): runs per client per scenario.
//! - `BENCH_BROKERS` (`tansu,mock`), `BENCH_GROUPS` (all: `size,size_1mb,
//!   codec,acks,threads,partitions,latency,memory`); a command-line argument that does
//!   not start with `-` also selects groups.
//! - `BENCH_QUICK=1`: 100000 records, 1 rep, shorter latency and memory runs.
//! - `BENCH_OUT`: the JSON-lines file (appended to).

#[path = "../common/mod.rs"]
mod bench_common;
mod brokers;
mod measure;
mod ours;
mod parent;
mod report;
mod scenarios;
/// The tests' tansu harness, shared.
#[path = "../../tests/common/tansu.rs"]
mod tansu;
mod theirs;
mod workload;

use workload::Spec;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        let spec = Spec::from_args(&args[1..]);
        let result = match spec.client.as_str() {
            "ours" => ours::run(&spec),
            "rdkafka" => theirs::run(&spec),
            c => panic!("unknown client {c}"),
        };
        let line: Vec<String> = result.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("RESULT {}", line.join(" "));
        return;
    }
    parent::run(&args);
}
