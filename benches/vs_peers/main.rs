//! kafka-sync against its two peers, on the same broker process,
//! alternating runs: the Java producer (kafka-clients 4.4.0, driven by
//! Kafka's own `ProducerPerformance`) and rdkafka's `BaseProducer`
//! (librdkafka).
//!
//! ```sh
//! cargo bench --bench vs_peers --all-features            # everything (long)
//! BENCH_QUICK=1 cargo bench --bench vs_peers --all-features -- size,latency
//! ```
//!
//! `scripts/bench.sh` runs this and renders `BENCHMARKS.md` from the JSON lines.
//!
//! # Brokers
//!
//! - `mock`: librdkafka's mock cluster (one broker, in this parent process),
//!   fresh per scenario.
//! - `tansu`: a private tansu process (found through `TANSU_BIN` or
//!   `~/.cache/ksync/tansu/bin/tansu`; it keeps everything in memory), fresh
//!   per scenario.
//! - `kafka`: real Apache Kafka 4.4.0, a 3-node KRaft cluster on loopback
//!   (the tests' harness `tests/common/kafka.rs`; jars from
//!   `scripts/kafka.sh`), started once per bench invocation (~20 s). Every
//!   topic has replication factor 3 with `min.insync.replicas=2` (the
//!   cluster's setting); a scenario gets a fresh topic, created with its
//!   full ISR before the first run and deleted after the last. Clients
//!   bootstrap from the brokers' own listeners (no proxy).
//!
//! Brokers run one after another (every scenario on `mock`, then on
//! `tansu`, then on `kafka`), so no idle broker shares the cores with
//! another's runs. A broker that is not there is skipped with a line
//! saying so. The mock-only rows (a broker RTT added) run on `mock` only.
//!
//! # How a measurement is made
//!
//! Each scenario runs every client `BENCH_REPS` times against the same
//! broker and topic, alternating, the order rotated each rep
//! (ours,rdkafka,java / java,ours,rdkafka / rdkafka,java,ours / ...),
//! after one discarded warm-up run on the fresh topic (a tenth of the
//! records, at least 1000, by the scenario's first client: on Kafka the
//! first producer to a new topic ran at a fraction of the later ones' rate,
//! which fell on whichever client the rotation put first).
//! Every run is a child process (this binary with `child ARGS`); it prints
//! one `RESULT` line and the parent appends one JSON object per run to
//! `BENCH_OUT` (default `target/vs_peers.jsonl`).
//!
//! **ours and rdkafka**: the child builds one producer, warms it up (one
//! record sent and acknowledged: connection, metadata, producer id), then
//! measures the workload from the first `send` to the last
//! acknowledgement. CPU time is `getrusage(RUSAGE_SELF)` user+sys of the
//! child over that span (every thread of the process: callers, our sender
//! thread, librdkafka's threads and its poll thread). Ours uses `send` and
//! drops the handle (fire and forget; failures are checked from the
//! metrics at the end). rdkafka uses `BaseProducer::send` with a dedicated
//! thread calling `poll` (as `ThreadedProducer` does) to serve delivery
//! reports; a caller that gets `QueueFull` sleeps 200 µs and retries.
//!
//! **java** (`java.rs`, `java/BenchDriver.java`): the child writes the
//! value pool to a payload file and runs one JVM (kafka-producer-perf-test's
//! JVM flags: `-Xmx512M`, G1) with a driver compiled by the parent
//! (`javac`, classpath the Kafka 4.4.0 jars). Throughput mode: the driver
//! calls `org.apache.kafka.tools.ProducerPerformance.main` (it returns
//! normally; it only exits on bad arguments) twice in the same JVM: a
//! discarded warm-up run of `max(records/5, min(records, 100000))` records
//! (JIT compilation; a producer of its own), then the measured run of
//! records+1 records with `--warmup-records 1`. The measured span starts at
//! the second `send` (the first one fetched the metadata; marked by an
//! interceptor, `interceptor.classes`, that otherwise does nothing) and
//! ends when `main` returns, after `producer.close()`, so after every
//! acknowledgement. Throughput is records over that span's wall time; CPU
//! is the JVM's process CPU time over it
//! (`com.sun.management.OperatingSystemMXBean.getProcessCpuTime()`: every
//! JVM thread, user+sys, JIT and GC included); the acknowledged count and
//! ProducerPerformance's own figures (records/s, latencies) come from its
//! steady-state summary line (forwarded as `pp_*`). ProducerPerformance
//! sends with a callback per record (its latency statistics), picks a value
//! from the payload file at random per record, and, keyed, makes a key per
//! record (`--key-distribution random --record-key-range 10000`: decimal
//! strings of 1–4 bytes, ours and rdkafka use 10-byte keys from a pool of
//! 10 000). Latency mode: the driver's own loop, `send(record).get()` per
//! record on one `KafkaProducer` with the same settings, after a discarded
//! warm-up loop of the same length on the same producer. Sync mode: the
//! driver's own callers (below). Java is not run with more than one caller
//! thread elsewhere (ProducerPerformance has one), nor in memory or
//! baseline mode, and it runs on `kafka` only: kafka-clients 4.4
//! gets no record acknowledged by the mock cluster (it logs the mock's
//! connection as throttled) nor by tansu 0.6 (tansu fails to decode its
//! requests, "failed to fill whole buffer"): every batch expires.
//!
//! **Callback mode** (group `callback`), the path most applications take:
//! every record gets a completion that records its latency, as
//! ProducerPerformance and `producer_perf` do. Ours: `send_with_callback`
//! with a closure that captures the send `Instant` and pushes the latency
//! into a mutex-guarded vector; rdkafka: the send time (nanoseconds, as a
//! `usize`) travels as the record's delivery opaque, nothing allocated per
//! record, and the delivery report pushes the latency the same way; java:
//! ProducerPerformance as in throughput mode (its own callback per record).
//!
//! **Sync mode** (group `sync_threads`, `sync_wait.rs`): N caller threads
//! (1, 8, 64, 256) share one producer, and each sends one record and blocks
//! until it is acknowledged before it sends the next, `BENCH_SYNC_RECORDS`
//! (500; quick 100) records per caller (caller `t` the records `t, t + N,
//! ...`). Settings are the defaults of every group (below; linger.ms=5 is
//! also every client's own default: ours, librdkafka's since 1.5, the Java
//! client's since 4.0). The span runs from when every caller is ready (a
//! barrier) to when the last is done; records/s is all callers' records
//! over it, latency (p50, p99: `lat_p50_us`, `lat_p99_us`) is per record
//! from before the send call to its acknowledgement, over every caller's
//! records, and CPU is the whole process's over the span plus the start of
//! the callers. Ours: `producer.send(record)?.wait()`. rdkafka: a
//! `ThreadedProducer` (its thread calls `poll`) whose context holds a slot
//! (a mutex and a condvar) per caller; the caller's index travels as the
//! record's delivery opaque, the delivery report fills the slot, and the
//! caller waits on it after `send`. Java: `sync` mode of the driver, N
//! threads calling `producer.send(record).get()` on one shared
//! `KafkaProducer`, after a discarded warm-up round of the same length
//! (same threads, same producer: JIT); the JVM's process CPU time as in
//! the other modes. Java runs on `kafka` only, as elsewhere.
//!
//! Peak RSS is the child's `VmHWM` over its whole life (`ru_maxrss` is not
//! used: Linux carries the parent's RSS at fork over `exec` into it; for
//! java, the JVM's).
//!
//! Every client gets the same settings: acks=all, idempotence on,
//! linger.ms=5, batch.size=16384 (the Java default; group `size_1mb`
//! repeats the record-size sweep with librdkafka's default, 1000000, for
//! all), buffer.memory 32 MiB (librdkafka: queue.buffering.max.kbytes=32768
//! and a message-count limit high enough not to bind), 5 requests in
//! flight, the same codec; ours and librdkafka set TCP_NODELAY
//! (librdkafka: socket.nagle.disable=true), as the Java client always
//! does. Values come from one pool of about 1 MiB of distinct, log-like
//! payloads (compressible 2–4x), the same bytes for every client; keys are
//! null unless the scenario says keyed.
//!
//! # Environment
//!
//! - `BENCH_RECORDS` (1000000): records per throughput run for records of up
//!   to 100 B; larger records send at most `BENCH_BYTES` (256 MiB) per run.
//! - `BENCH_REPS` (3): runs per client per scenario.
//! - `BENCH_BROKERS` (`mock,tansu,kafka`), `BENCH_CLIENTS`
//!   (`ours,rdkafka,java`), `BENCH_GROUPS` (all: `size,size_1mb,codec,codec_threads,
//!   callback,acks,threads,partitions,latency,sync_threads,memory`); a
//!   command-line argument that does not start with `-` also selects groups.
//! - `BENCH_SYNC_RECORDS` (500): records per caller in group `sync_threads`.
//! - `BENCH_QUICK=1`: 100000 records, 1 rep, shorter latency, sync and
//!   memory runs.
//! - `BENCH_OUT`: the JSON-lines file (appended to).
//! - `BENCH_OURS_PROPS` (none): `name=value,...` properties set on our
//!   producer after the scenario's (for experiments; not in the results).

#[path = "../common/mod.rs"]
mod bench_common;
mod brokers;
mod child;
mod harness;
mod java;
mod librdkafka;
mod measure;
mod ours;
mod parent;
mod report;
mod scenarios;
mod sync_wait;
mod workload;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        child::child_main(&args[1..]);
        return;
    }
    parent::run(&args);
}
