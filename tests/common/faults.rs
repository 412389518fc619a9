//! The fault-suite driver: a producer sends keyed records with per-key
//! sequence numbers in their values while a fault is injected, everything is
//! read back with the rdkafka consumer, and the log is checked per partition
//! for lost, duplicated and reordered records.
//!
//! - [`Mock`]: librdkafka's mock cluster with raw access (per-broker errors
//!   with delays, round-trip times, broker down/up, leader moves). It owns an
//!   idle rdkafka client created with `test.mock.num.brokers`, through which
//!   the raw `rd_kafka_mock_*` functions (re-exported by `rdkafka::bindings`)
//!   are reached.
//! - [`run_scenario`]: the driver; [`Outcome`]: what it measured.
//!
//! Records: key `k<K>` for K in 0..60, value `k<K>:<SEQ>` where SEQ counts
//! that key's records; record number `i` is key `i % 60`, sequence `i / 60`.
//!
//! # What is counted, per partition
//!
//! - lost: acknowledged as written but not in the log;
//! - duplicated: a `key:seq` seen again after its first copy;
//! - reordered: a first copy whose sequence is lower than one already seen
//!   for its key (duplicates are not counted again here);
//! - failed: records completed with an error (kinds listed in `errors`).
//!
//! # The mock does not check sequence numbers
//!
//! librdkafka's mock keeps every batch it is sent (it checks sequences only
//! for transactional producers): a batch written whose response was lost and
//! that the producer rightly retries with the *same* sequence is kept twice,
//! and a batch sent after a failed one is kept although a real broker would
//! answer OUT_OF_ORDER_SEQUENCE_NUMBER. When anything is duplicated or
//! reordered, the partition is fetched once more with the independent
//! `kafka-protocol` crate, which shows each record's producer id, epoch and
//! sequence, and every anomaly is attributed:
//! - `broker_dups`: both copies carry the same (producer id, epoch, sequence):
//!   a sequence-checking broker keeps one; `producer_dups`: the others;
//! - `broker_gaps`: batches the broker accepted although their base sequence
//!   does not follow the previous batch of the same producer id and epoch;
//! - `producer_reorders`: reorders not explained by an accepted gap earlier in
//!   the partition, or where the producer stamped the later record with a
//!   lower sequence of the same epoch.

use super::kafka::KafkaCluster;
use super::Consumed;
use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::TopicName;
use kafka_protocol::messages::{FetchRequest, FetchResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::RecordBatchDecoder;
use kafka_sync::config::Acks;
use kafka_sync::partitioner::key_partition;
use kafka_sync::{Error, Producer, ProducerConfig, ProducerRecord};
use rdkafka::bindings as rd;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys per scenario.
pub const KEYS: usize = 60;
/// Partitions of the topic.
pub const PARTITIONS: i32 = 6;
/// The topic.
pub const TOPIC: &str = "faults";
/// `request.timeout.ms` of the producer in every scenario.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(1500);
/// `delivery.timeout.ms`: generous, so that no fault here should exhaust it.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Records per scenario: 100,000, or `FAULT_RECORDS` (for development).
pub fn records() -> usize {
    std::env::var("FAULT_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// How long sending all records should take at least (the sender is paced so
/// that faults land while records are still being produced):
/// `FAULT_SEND_SECS`, default 2 s.
fn send_secs() -> f64 {
    std::env::var("FAULT_SEND_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0)
}

/// librdkafka's mock cluster with raw access. Dropping it stops the cluster.
pub struct Mock {
    /// Owns the cluster: it is destroyed with this client.
    client: BaseProducer,
    ptr: *mut rd::rd_kafka_mock_cluster_t,
    /// Bootstrap list.
    pub bootstrap: String,
    /// Number of brokers (ids 1..=brokers).
    pub brokers: i32,
}

// The rd_kafka_mock_* functions lock the cluster or post to its thread.
unsafe impl Send for Mock {}
unsafe impl Sync for Mock {}

fn check(err: rd::rd_kafka_resp_err_t, what: &str) {
    assert_eq!(
        err,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR,
        "mock cluster: {what} failed"
    );
}

impl Mock {
    /// Starts a mock cluster of `brokers` brokers with `topic` (`partitions`
    /// partitions, replication factor min(brokers, 3)).
    pub fn new(brokers: i32, topic: &str, partitions: i32) -> Mock {
        let client: BaseProducer = ClientConfig::new()
            .set("test.mock.num.brokers", brokers.to_string())
            .set("log_level", "2")
            .create()
            .expect("rdkafka client owning the mock cluster");
        let ptr = unsafe { rd::rd_kafka_handle_mock_cluster(client.client().native_ptr()) };
        assert!(!ptr.is_null(), "no mock cluster");
        let bootstrap = unsafe { CStr::from_ptr(rd::rd_kafka_mock_cluster_bootstraps(ptr)) }
            .to_string_lossy()
            .into_owned();
        let m = Mock {
            client,
            ptr,
            bootstrap,
            brokers,
        };
        let t = CString::new(topic).unwrap();
        check(
            unsafe { rd::rd_kafka_mock_topic_create(ptr, t.as_ptr(), partitions, brokers.min(3)) },
            "create topic",
        );
        m
    }

    /// Makes `broker` the leader of `topic[partition]`.
    pub fn partition_leader(&self, topic: &str, partition: i32, broker: i32) {
        let t = CString::new(topic).unwrap();
        check(
            unsafe {
                rd::rd_kafka_mock_partition_set_leader(self.ptr, t.as_ptr(), partition, broker)
            },
            "set leader",
        );
    }

    /// Disconnects `broker` and refuses new connections (leaders unchanged).
    pub fn broker_down(&self, broker: i32) {
        check(
            unsafe { rd::rd_kafka_mock_broker_set_down(self.ptr, broker) },
            "broker down",
        );
    }

    /// Lets `broker` accept connections again.
    pub fn broker_up(&self, broker: i32) {
        check(
            unsafe { rd::rd_kafka_mock_broker_set_up(self.ptr, broker) },
            "broker up",
        );
    }

    /// Delays every response of `broker` by `rtt` (the request is handled,
    /// and a Produce written, when it arrives).
    pub fn set_rtt(&self, broker: i32, rtt: Duration) {
        check(
            unsafe { rd::rd_kafka_mock_broker_set_rtt(self.ptr, broker, rtt.as_millis() as i32) },
            "set rtt",
        );
    }

    /// The next `errors.len()` Produce requests, on any broker, fail with
    /// these errors in order (the request's records are not written;
    /// `__TRANSPORT` closes the connection instead of answering).
    pub fn produce_errors(&self, errors: &[RDKafkaRespErr]) {
        unsafe {
            rd::rd_kafka_mock_push_request_errors_array(self.ptr, 0, errors.len(), errors.as_ptr())
        }
    }

    /// Clears the cluster-wide Produce error stack.
    pub fn clear_produce_errors(&self) {
        unsafe { rd::rd_kafka_mock_clear_request_errors(self.ptr, 0) }
    }

    /// The next Produce requests to `broker` fail with these errors, each
    /// answered after its delay.
    pub fn broker_produce_errors(&self, broker: i32, errors: &[(RDKafkaRespErr, Duration)]) {
        for (err, rtt) in errors {
            check(
                unsafe {
                    rd::rd_kafka_mock_broker_push_request_error_rtts(
                        self.ptr,
                        broker,
                        0,
                        1,
                        *err as std::ffi::c_int,
                        rtt.as_millis() as std::ffi::c_int,
                    )
                },
                "push broker errors",
            );
        }
    }

    /// Produce errors still queued for `broker`.
    pub fn broker_produce_errors_left(&self, broker: i32) -> usize {
        let mut n = 0usize;
        check(
            unsafe { rd::rd_kafka_mock_broker_error_stack_cnt(self.ptr, broker, 0, &mut n) },
            "error stack count",
        );
        n
    }
}

/// Where the scenario runs.
pub enum Target<'a> {
    /// The 3-broker mock cluster.
    Mock(&'a Mock),
    /// tansu behind the fault proxy.
    Tansu(&'a super::proxy::TansuBehindProxy),
    /// A real Kafka cluster and a topic of [`PARTITIONS`] partitions on it;
    /// with `proxied` the producer connects through the cluster's fault
    /// proxies.
    Kafka {
        /// The cluster.
        cluster: &'a KafkaCluster,
        /// The scenario's own topic.
        topic: &'a str,
        /// Whether the producer goes through the proxies.
        proxied: bool,
    },
}

impl Target<'_> {
    /// Where the producer bootstraps from.
    fn bootstrap(&self) -> &str {
        match self {
            Target::Mock(m) => &m.bootstrap,
            Target::Tansu(t) => &t.bootstrap,
            Target::Kafka {
                cluster,
                proxied: true,
                ..
            } => &cluster.proxied_bootstrap,
            Target::Kafka { cluster, .. } => &cluster.bootstrap,
        }
    }

    /// Where the log is read back from (never through a proxy on Kafka).
    fn read_bootstrap(&self) -> &str {
        match self {
            Target::Kafka { cluster, .. } => &cluster.bootstrap,
            other => other.bootstrap(),
        }
    }

    fn topic(&self) -> &str {
        match self {
            Target::Kafka { topic, .. } => topic,
            _ => TOPIC,
        }
    }
}

/// What an injecting closure can see and touch.
pub struct Ctx<'a> {
    /// The mock cluster, if the scenario runs there.
    pub mock: Option<&'a Mock>,
    /// The fault proxy, if the scenario runs on tansu.
    pub proxy: Option<&'a super::proxy::FaultProxy>,
    /// The Kafka cluster, if the scenario runs there.
    pub kafka: Option<&'a KafkaCluster>,
    /// The scenario's topic.
    pub topic: &'a str,
    /// Leader of each partition when the fault is injected.
    pub leaders: Vec<i32>,
    /// Records per scenario.
    pub total: usize,
    sent: &'a AtomicUsize,
    done: &'a AtomicUsize,
}

impl Ctx<'_> {
    /// The mock cluster (panics on tansu).
    pub fn mock(&self) -> &Mock {
        self.mock.expect("a mock-cluster scenario")
    }

    /// The Kafka cluster (panics elsewhere).
    pub fn kafka(&self) -> &KafkaCluster {
        self.kafka.expect("a Kafka scenario")
    }

    /// The fault proxy (panics on the mock).
    pub fn proxy(&self) -> &super::proxy::FaultProxy {
        self.proxy.expect("a tansu scenario")
    }

    /// Records handed to `send` so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// Records completed (either way) so far.
    pub fn completed(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    /// Waits until `fraction` of the records were handed to `send` (at most 60 s).
    pub fn wait_sent(&self, fraction: f64) {
        let want = (self.total as f64 * fraction) as usize;
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.sent() < want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Records handed to `send` but not completed yet.
    pub fn in_flight(&self) -> usize {
        self.sent().saturating_sub(self.completed())
    }
}

/// Per-record state kept by the callbacks.
const PENDING: u8 = 0;
const OK: u8 = 1;
const FAILED_MAYBE_WRITTEN: u8 = 2;
const FAILED_NOT_WRITTEN: u8 = 3;
const REFUSED: u8 = 4;

/// Counts of one partition.
#[derive(Debug, Default, Clone)]
pub struct PartitionCounts {
    /// Records read.
    pub read: usize,
    /// Acknowledged but not read.
    pub lost: usize,
    /// Copies after the first.
    pub duplicated: usize,
    /// First copies out of their key's order.
    pub reordered: usize,
    /// Duplicates with the same producer id, epoch and sequence.
    pub broker_dups: usize,
    /// Batches accepted out of sequence.
    pub broker_gaps: usize,
    /// Duplicates not explained by the broker.
    pub producer_dups: usize,
    /// Reorders not explained by the broker.
    pub producer_reorders: usize,
}

/// What a scenario measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Scenario name.
    pub name: String,
    /// Whether idempotence was on.
    pub idempotent: bool,
    /// Records sent.
    pub records: usize,
    /// Totals over partitions.
    pub total: PartitionCounts,
    /// Per partition.
    pub partitions: Vec<PartitionCounts>,
    /// Records completed with an error.
    pub failed: usize,
    /// Failed records that are in the log anyway.
    pub failed_but_written: usize,
    /// Failed records said "not written" that are in the log: a wrong error.
    pub failed_not_written_but_present: usize,
    /// Records refused by `send`.
    pub refused: usize,
    /// Records without a completion when the wait ended (failed by `close`).
    pub stuck: usize,
    /// Records on another partition than their key's.
    pub misplaced: usize,
    /// Error kinds and how many records failed with each.
    pub errors: BTreeMap<String, usize>,
    /// Batches the producer retried.
    pub retried: u64,
    /// KIP-951 leader hints the producer used.
    pub leader_hints: u64,
    /// Whether the anomalies were attributed with a raw fetch.
    pub attributed: bool,
    /// Seconds from the first send to the last completion.
    pub produce_secs: f64,
    /// Seconds for the whole scenario.
    pub secs: f64,
    /// Examples of anomalies, for the assertion messages.
    pub examples: Vec<String>,
}

impl Outcome {
    /// The summary line (`FAULT ...`), printed by [`run_scenario`].
    pub fn line(&self) -> String {
        let t = &self.total;
        let mut s = format!(
            "FAULT {} idempotence={} records={} lost={} duplicated={} reordered={} failed={} secs={:.1}",
            self.name,
            if self.idempotent { "on" } else { "off" },
            self.records,
            t.lost,
            t.duplicated,
            t.reordered,
            self.failed,
            self.secs
        );
        if self.attributed {
            s += &format!(
                " broker_dups={} broker_gaps={} producer_dups={} producer_reorders={}",
                t.broker_dups, t.broker_gaps, t.producer_dups, t.producer_reorders
            );
        }
        s += &format!(
            " retried_batches={} leader_hints={} produce_secs={:.1} stuck={} refused={} failed_but_written={} misplaced={}",
            self.retried,
            self.leader_hints,
            self.produce_secs,
            self.stuck,
            self.refused,
            self.failed_but_written,
            self.misplaced
        );
        if !self.errors.is_empty() {
            s += &format!(" errors={:?}", self.errors);
        }
        s
    }

    fn detail(&self) -> String {
        let mut s = self.line();
        for (p, c) in self.partitions.iter().enumerate() {
            s += &format!("\n  partition {p}: {c:?}");
        }
        for e in self.examples.iter().take(12) {
            s += &format!("\n  {e}");
        }
        s + &super::fault_log::kept()
    }

    /// Nothing acknowledged is missing, nothing failed or hung, every record
    /// is on its key's partition, and no error said "not written" of a
    /// record that is in the log.
    pub fn assert_no_loss(&self) {
        assert_eq!(
            self.total.lost,
            0,
            "acknowledged records lost:\n{}",
            self.detail()
        );
        assert_eq!(self.stuck, 0, "records never completed:\n{}", self.detail());
        assert_eq!(self.refused, 0, "send refused records:\n{}", self.detail());
        assert_eq!(
            self.misplaced,
            0,
            "records on the wrong partition:\n{}",
            self.detail()
        );
        assert_eq!(
            self.failed_not_written_but_present,
            0,
            "errors said 'not written' of records that are in the log:\n{}",
            self.detail()
        );
    }

    /// [`assert_no_loss`](Self::assert_no_loss) and no failed record.
    pub fn assert_all_delivered(&self) {
        self.assert_no_loss();
        assert_eq!(self.failed, 0, "records failed:\n{}", self.detail());
    }

    /// Everything delivered once, in order. On a broker that does not check
    /// sequences (the mock), duplicates and reorders the broker alone is to
    /// blame for are allowed (see the module docs); on tansu nothing is.
    pub fn assert_exactly_once_in_order(&self, broker_checks_sequences: bool) {
        self.assert_all_delivered();
        if broker_checks_sequences {
            assert_eq!(self.total.duplicated, 0, "duplicates:\n{}", self.detail());
            assert_eq!(self.total.reordered, 0, "reordered:\n{}", self.detail());
        } else {
            assert_eq!(
                self.total.producer_dups,
                0,
                "duplicates a sequence-checking broker would keep too:\n{}",
                self.detail()
            );
            assert_eq!(
                self.total.producer_reorders,
                0,
                "reorders not explained by the mock accepting sequence gaps:\n{}",
                self.detail()
            );
        }
    }

    /// Asserts `cond` with the details.
    pub fn check(&self, cond: bool, what: &str) {
        assert!(cond, "{what}:\n{}", self.detail());
    }
}

fn error_kind(e: &Error) -> String {
    match e {
        Error::Broker {
            code,
            may_have_persisted,
            ..
        } => format!("Broker({code},maybe_written={may_have_persisted})"),
        Error::DeliveryTimeout {
            last_error,
            may_have_persisted,
            ..
        } => format!(
            "DeliveryTimeout(last={},maybe_written={may_have_persisted})",
            last_error.map_or("none".to_string(), |c| c.to_string())
        ),
        Error::Closed { may_have_persisted } => {
            format!("Closed(maybe_written={may_have_persisted})")
        }
        Error::Fatal(m) => format!("Fatal({m})"),
        other => format!("{other}"),
    }
}

/// The producer configuration of every scenario.
pub fn producer_config(bootstrap: &str, idempotent: bool) -> ProducerConfig {
    producer_config_with(bootstrap, idempotent, Acks::All, REQUEST_TIMEOUT)
}

/// [`producer_config`] with `acks` and `request.timeout.ms` given.
pub fn producer_config_with(
    bootstrap: &str,
    idempotent: bool,
    acks: Acks,
    request_timeout: Duration,
) -> ProducerConfig {
    ProducerConfig::builder()
        .bootstrap_servers(bootstrap)
        .enable_idempotence(idempotent)
        .acks(acks)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(60))
        .request_timeout(request_timeout)
        .delivery_timeout(DELIVERY_TIMEOUT)
        .build()
        .expect("config")
}

/// Runs one scenario: sends [`records`] records, calls `inject` once a
/// quarter of them were handed to `send` (it runs on this thread while
/// sending goes on; it should undo its fault before returning), waits for
/// every completion, reads the topic back and counts. Prints the summary
/// line and returns the outcome; asserts nothing itself.
pub fn run_scenario(
    name: &str,
    target: Target<'_>,
    idempotent: bool,
    inject: impl FnOnce(&Ctx<'_>),
) -> Outcome {
    let config = producer_config(target.bootstrap(), idempotent);
    run_scenario_with(name, target, idempotent, config, send_secs(), inject)
}

/// [`run_scenario`] with the producer's configuration given, and sending
/// paced over at least `send_secs` seconds.
pub fn run_scenario_with(
    name: &str,
    target: Target<'_>,
    idempotent: bool,
    config: ProducerConfig,
    send_secs: f64,
    inject: impl FnOnce(&Ctx<'_>),
) -> Outcome {
    super::fault_log::init();
    let t0 = Instant::now();
    let n = records();
    let topic = target.topic().to_string();
    let topic = topic.as_str();
    let producer: Producer<String, String> = Producer::new(config).expect("producer");
    let status: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(PENDING)).collect());
    let errors: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let sent = AtomicUsize::new(0);
    let done = Arc::new(AtomicUsize::new(0));
    // Metadata first, so that the pacing below measures producing only.
    let before = producer.partitions_for(topic).expect("topic metadata");
    assert_eq!(before.len(), PARTITIONS as usize);
    let pace = Duration::from_secs_f64(send_secs / n as f64);
    let produce_start = Instant::now();
    std::thread::scope(|s| {
        let sender = s.spawn(|| {
            for i in 0..n {
                if i % 256 == 0 {
                    let due = produce_start + pace * i as u32;
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                }
                let (k, seq) = (i % KEYS, i / KEYS);
                let rec = ProducerRecord::new(topic, format!("k{k}:{seq}")).key(format!("k{k}"));
                let (st, errs, dn) = (status.clone(), errors.clone(), done.clone());
                let r = producer.send_with_callback(rec, move |r| {
                    let code = match r {
                        Ok(_) => OK,
                        Err(e) => {
                            *errs
                                .lock()
                                .unwrap()
                                .entry(error_kind(&e.clone().into()))
                                .or_default() += 1;
                            if e.may_have_persisted() {
                                FAILED_MAYBE_WRITTEN
                            } else {
                                FAILED_NOT_WRITTEN
                            }
                        }
                    };
                    st[i].store(code, Ordering::SeqCst);
                    dn.fetch_add(1, Ordering::SeqCst);
                });
                if let Err(e) = r {
                    *errors
                        .lock()
                        .unwrap()
                        .entry(format!("refused: {}", error_kind(&e.error.clone().into())))
                        .or_default() += 1;
                    status[i].store(REFUSED, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
        });
        let ctx = Ctx {
            mock: match &target {
                Target::Mock(m) => Some(m),
                _ => None,
            },
            proxy: match &target {
                Target::Tansu(t) => Some(&t.proxy),
                _ => None,
            },
            kafka: match &target {
                Target::Kafka { cluster, .. } => Some(cluster),
                _ => None,
            },
            topic,
            leaders: before.iter().map(|p| p.leader.unwrap_or(-1)).collect(),
            total: n,
            sent: &sent,
            done: done.as_ref(),
        };
        ctx.wait_sent(0.25);
        inject(&ctx);
        sender.join().expect("sending thread");
    });
    // Every record completes within delivery.timeout.ms; allow more, then
    // give up and let close() fail what is left.
    let deadline = Instant::now() + DELIVERY_TIMEOUT + Duration::from_secs(30);
    while done.load(Ordering::SeqCst) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let produce_secs = produce_start.elapsed().as_secs_f64();
    let stuck = n - done.load(Ordering::SeqCst);
    let metrics = producer.counters();
    producer.close(Duration::from_secs(5));

    let mut out = Outcome {
        name: name.to_string(),
        idempotent,
        records: n,
        stuck,
        retried: metrics.batches_retried,
        leader_hints: metrics.leader_hints_used,
        produce_secs,
        errors: errors.lock().unwrap().clone(),
        ..Outcome::default()
    };
    let st: Vec<u8> = status.iter().map(|s| s.load(Ordering::SeqCst)).collect();
    out.failed = st
        .iter()
        .filter(|s| **s == FAILED_MAYBE_WRITTEN || **s == FAILED_NOT_WRITTEN)
        .count();
    out.refused = st.iter().filter(|s| **s == REFUSED).count();

    let bootstrap = target.read_bootstrap();
    let log = read_back(bootstrap, topic, PARTITIONS, Duration::from_secs(60));
    analyse(&mut out, &st, &log, bootstrap, topic);
    out.secs = t0.elapsed().as_secs_f64();
    println!("{}", out.line());
    for (p, c) in out.partitions.iter().enumerate() {
        if c.lost + c.duplicated + c.reordered > 0 {
            println!("FAULT-DETAIL {name} partition {p}: {c:?}");
        }
    }
    for e in out.examples.iter().take(6) {
        println!("FAULT-DETAIL {name} {e}");
    }
    out
}

fn parse(c: &Consumed) -> Option<(usize, usize)> {
    let value = std::str::from_utf8(c.value.as_deref()?).ok()?;
    let (k, seq) = value.split_once(':')?;
    let key: usize = k.strip_prefix('k')?.parse().ok()?;
    if c.key.as_deref() != Some(k.as_bytes()) {
        return None;
    }
    Some((key, seq.parse().ok()?))
}

fn analyse(out: &mut Outcome, st: &[u8], log: &[Vec<Consumed>], bootstrap: &str, topic: &str) {
    let n = st.len();
    let mut first_offset: Vec<i64> = vec![-1; n];
    let mut parts = vec![PartitionCounts::default(); PARTITIONS as usize];
    // Per partition: (offset, record index) of duplicates, and of reorders
    // with the offset of the higher record seen before.
    let mut dups: Vec<Vec<(i64, usize)>> = vec![Vec::new(); PARTITIONS as usize];
    let mut reorders: Vec<Vec<(i64, i64)>> = vec![Vec::new(); PARTITIONS as usize];
    for (p, records) in log.iter().enumerate() {
        let mut max_seq: HashMap<usize, (usize, i64)> = HashMap::new();
        for c in records {
            parts[p].read += 1;
            let Some((key, seq)) = parse(c) else {
                out.examples
                    .push(format!("unparsable record at {p}@{}: {c:?}", c.offset));
                continue;
            };
            let idx = seq * KEYS + key;
            if idx >= n {
                out.examples
                    .push(format!("unknown record k{key}:{seq} at {p}@{}", c.offset));
                continue;
            }
            if key_partition(format!("k{key}").as_bytes(), PARTITIONS) != c.partition {
                out.misplaced += 1;
            }
            if first_offset[idx] >= 0 {
                parts[p].duplicated += 1;
                dups[p].push((c.offset, idx));
                if out.examples.len() < 40 {
                    out.examples.push(format!(
                        "duplicate k{key}:{seq} at {p}@{} (first at @{})",
                        c.offset, first_offset[idx]
                    ));
                }
                continue;
            }
            first_offset[idx] = c.offset;
            match max_seq.get(&key) {
                Some(&(m, at)) if m > seq => {
                    parts[p].reordered += 1;
                    reorders[p].push((c.offset, at));
                    if out.examples.len() < 40 {
                        out.examples.push(format!(
                            "reordered k{key}:{seq} at {p}@{} after k{key}:{m} at @{at}",
                            c.offset
                        ));
                    }
                }
                _ => {
                    max_seq.insert(key, (seq, c.offset));
                }
            }
        }
    }
    for (idx, s) in st.iter().enumerate() {
        let present = first_offset[idx] >= 0;
        let p = key_partition(format!("k{}", idx % KEYS).as_bytes(), PARTITIONS) as usize;
        match *s {
            OK if !present => {
                parts[p].lost += 1;
                if out.examples.len() < 40 {
                    out.examples.push(format!(
                        "lost k{}:{} (acknowledged)",
                        idx % KEYS,
                        idx / KEYS
                    ));
                }
            }
            FAILED_MAYBE_WRITTEN if present => out.failed_but_written += 1,
            FAILED_NOT_WRITTEN if present => {
                out.failed_but_written += 1;
                out.failed_not_written_but_present += 1;
            }
            _ => {}
        }
    }
    let anomalies = parts.iter().any(|c| c.duplicated + c.reordered > 0);
    let always = std::env::var_os("FAULT_ATTRIBUTE").is_some();
    if (anomalies || always) && out.idempotent {
        match attribute(
            bootstrap,
            topic,
            &mut parts,
            &dups,
            &reorders,
            &first_offset,
            &mut out.examples,
        ) {
            Ok(()) => out.attributed = true,
            Err(e) => {
                out.examples
                    .insert(0, format!("could not attribute anomalies: {e}"));
                println!(
                    "FAULT-NOTE {}: could not attribute anomalies: {e}",
                    out.name
                );
            }
        }
    }
    if !out.attributed {
        // Unattributed: the producer is blamed for everything.
        for c in &mut parts {
            c.broker_dups = 0;
            c.broker_gaps = 0;
            c.producer_dups = c.duplicated;
            c.producer_reorders = c.reordered;
        }
    }
    let mut total = PartitionCounts::default();
    for c in &parts {
        total.read += c.read;
        total.lost += c.lost;
        total.duplicated += c.duplicated;
        total.reordered += c.reordered;
        total.broker_dups += c.broker_dups;
        total.broker_gaps += c.broker_gaps;
        total.producer_dups += c.producer_dups;
        total.producer_reorders += c.producer_reorders;
    }
    out.total = total;
    out.partitions = parts;
}

/// A record as the raw fetch shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    producer_id: i64,
    epoch: i16,
    sequence: i32,
}

/// Fetches the partitions with anomalies through `kafka-protocol` and
/// attributes each duplicate and reorder (see the module docs).
fn attribute(
    bootstrap: &str,
    topic_name: &str,
    parts: &mut [PartitionCounts],
    dups: &[Vec<(i64, usize)>],
    reorders: &[Vec<(i64, i64)>],
    first_offset: &[i64],
    examples: &mut Vec<String>,
) -> Result<(), String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| e.to_string())?;
    let md = consumer
        .fetch_metadata(Some(topic_name), Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let brokers: HashMap<i32, String> = md
        .brokers()
        .iter()
        .map(|b| (b.id(), format!("{}:{}", b.host(), b.port())))
        .collect();
    let topic = md.topics().first().ok_or("no topic metadata")?;
    for (p, c) in parts.iter_mut().enumerate() {
        if c.duplicated + c.reordered == 0 && std::env::var_os("FAULT_ATTRIBUTE").is_none() {
            continue;
        }
        let leader = topic
            .partitions()
            .iter()
            .find(|x| x.id() == p as i32)
            .map(|x| x.leader())
            .ok_or("no partition metadata")?;
        let addr = brokers.get(&leader).ok_or("leader not in metadata")?;
        let batches = raw_fetch(addr, topic_name, p as i32)?;
        let mut stamps: HashMap<i64, Stamp> = HashMap::new();
        // Accepted gaps: offsets of batches out of sequence for their
        // producer id and epoch.
        let mut expected: HashMap<(i64, i16), i32> = HashMap::new();
        let mut seen_batches: std::collections::HashSet<(i64, i16, i32)> = Default::default();
        let mut gaps: Vec<i64> = Vec::new();
        for b in &batches {
            let first = b.first().ok_or("empty batch")?;
            for (off, s) in b {
                stamps.insert(*off, *s);
            }
            let key = (first.1.producer_id, first.1.epoch);
            let base = first.1.sequence;
            if first.1.producer_id < 0 {
                continue;
            }
            let dup = !seen_batches.insert((key.0, key.1, base));
            match expected.get(&key) {
                Some(&e) if e != base && !dup => gaps.push(first.0),
                None if base != 0 && !dup => gaps.push(first.0),
                _ => {}
            }
            if !dup {
                expected.insert(key, base.wrapping_add(b.len() as i32));
            }
        }
        c.broker_gaps = gaps.len();
        let first_gap = gaps.iter().copied().min().unwrap_or(i64::MAX);
        for &(off, idx) in &dups[p] {
            let (a, b) = (stamps.get(&first_offset[idx]), stamps.get(&off));
            match (a, b) {
                (Some(a), Some(b)) if a == b && a.producer_id >= 0 => c.broker_dups += 1,
                _ => {
                    c.producer_dups += 1;
                    if c.producer_dups <= 3 {
                        examples.insert(
                            0,
                            format!(
                                "producer duplicate k{}:{} in partition {p}: first copy @{} {:?}, again @{off} {:?}",
                                idx % KEYS,
                                idx / KEYS,
                                first_offset[idx],
                                a,
                                b
                            ),
                        );
                    }
                }
            }
        }
        for &(off, higher_at) in &reorders[p] {
            let (r, h) = (stamps.get(&off), stamps.get(&higher_at));
            let stamped_backwards = matches!((r, h), (Some(r), Some(h))
                if r.producer_id == h.producer_id && r.epoch == h.epoch && r.sequence > h.sequence);
            if stamped_backwards || first_gap > off || r.is_none() || h.is_none() {
                c.producer_reorders += 1;
            }
        }
    }
    Ok(())
}

/// Reads a whole partition from `addr` with Fetch v11, decoding batches with
/// `kafka-protocol`: per batch, (offset, stamp) of each record.
fn raw_fetch(addr: &str, topic: &str, partition: i32) -> Result<Vec<Vec<(i64, Stamp)>>, String> {
    const VERSION: i16 = 11;
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut out = Vec::new();
    let mut offset = 0i64;
    let mut corr = 0;
    loop {
        corr += 1;
        let req = FetchRequest::default()
            .with_max_wait_ms(10)
            .with_min_bytes(1)
            .with_max_bytes(64 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(partition)
                    .with_current_leader_epoch(-1)
                    .with_fetch_offset(offset)
                    .with_partition_max_bytes(32 << 20)])]);
        let header = RequestHeader::default()
            .with_request_api_key(1)
            .with_request_api_version(VERSION)
            .with_correlation_id(corr)
            .with_client_id(Some(StrBytes::from_static_str("fault-suite")));
        let mut buf = BytesMut::new();
        header
            .encode(&mut buf, FetchRequest::header_version(VERSION))
            .map_err(|e| e.to_string())?;
        req.encode(&mut buf, VERSION).map_err(|e| e.to_string())?;
        let mut frame = (buf.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&buf);
        s.write_all(&frame).map_err(|e| e.to_string())?;
        let mut size = [0u8; 4];
        s.read_exact(&mut size).map_err(|e| e.to_string())?;
        let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
        s.read_exact(&mut body).map_err(|e| e.to_string())?;
        let mut b = Bytes::from(body);
        ResponseHeader::decode(&mut b, FetchResponse::header_version(VERSION))
            .map_err(|e| e.to_string())?;
        let resp = FetchResponse::decode(&mut b, VERSION).map_err(|e| e.to_string())?;
        let part = resp
            .responses
            .first()
            .and_then(|t| t.partitions.first())
            .ok_or("empty fetch response")?;
        if part.error_code != 0 {
            return Err(format!("fetch error {}", part.error_code));
        }
        let hw = part.high_watermark;
        let mut records = part.records.clone().unwrap_or_default();
        let mut progressed = false;
        while records.len() >= 61 {
            let len = i32::from_be_bytes(records[8..12].try_into().unwrap()) as usize;
            if records.len() < 12 + len {
                break;
            }
            let mut one = records.split_to(12 + len);
            let set = RecordBatchDecoder::decode(&mut one).map_err(|e| e.to_string())?;
            let batch: Vec<(i64, Stamp)> = set
                .records
                .iter()
                .filter(|r| r.offset >= offset)
                .map(|r| {
                    (
                        r.offset,
                        Stamp {
                            producer_id: r.producer_id,
                            epoch: r.producer_epoch,
                            sequence: r.sequence,
                        },
                    )
                })
                .collect();
            if let Some(last) = set.records.last() {
                if last.offset >= offset {
                    offset = last.offset + 1;
                    progressed = true;
                }
            }
            if !batch.is_empty() {
                out.push(batch);
            }
        }
        if offset >= hw {
            return Ok(out);
        }
        if !progressed {
            return Err(format!(
                "fetch made no progress at offset {offset} (hw {hw})"
            ));
        }
    }
}

/// Reads every partition of `topic` up to its high watermark with the
/// rdkafka consumer (`check.crcs=true`); records per partition in offset
/// order.
pub fn read_back(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    timeout: Duration,
) -> Vec<Vec<Consumed>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "ksync-fault-reader")
        .set("enable.auto.commit", "false")
        .set("check.crcs", "true")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "50")
        .create()
        .expect("create rdkafka consumer");
    let deadline = Instant::now() + timeout;
    let mut high = Vec::new();
    for p in 0..partitions {
        loop {
            match consumer.fetch_watermarks(topic, p, Duration::from_secs(5)) {
                Ok((_, h)) => {
                    high.push(h);
                    break;
                }
                Err(e) => {
                    assert!(Instant::now() < deadline, "watermarks of {topic}[{p}]: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).expect("assign");
    let mut out: Vec<Vec<Consumed>> = vec![Vec::new(); partitions as usize];
    let mut next: Vec<i64> = vec![0; partitions as usize];
    while next.iter().zip(&high).any(|(n, h)| n < h) {
        assert!(
            Instant::now() < deadline,
            "read only up to {next:?} of {high:?} from {topic}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => panic!("consumer error on {topic}: {e}"),
            Some(Ok(m)) => {
                let p = m.partition() as usize;
                next[p] = m.offset() + 1;
                out[p].push(Consumed {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers: Vec::new(),
                    timestamp: m.timestamp().to_millis(),
                });
            }
        }
    }
    // Some brokers report a high watermark short of the last batch (tansu
    // 0.6 answers ListOffsets(latest) with the last batch's base offset):
    // keep reading until nothing more comes for a while.
    let mut quiet_until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < quiet_until {
        assert!(Instant::now() < deadline, "{topic} never went quiet");
        match consumer.poll(Duration::from_millis(50)) {
            None => {}
            Some(Err(e)) => panic!("consumer error on {topic}: {e}"),
            Some(Ok(m)) => {
                quiet_until = Instant::now() + Duration::from_millis(500);
                let p = m.partition() as usize;
                out[p].push(Consumed {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers: Vec::new(),
                    timestamp: m.timestamp().to_millis(),
                });
            }
        }
    }
    let past: Vec<usize> = out
        .iter()
        .zip(&high)
        .map(|(recs, h)| recs.iter().filter(|c| c.offset >= *h).count())
        .collect();
    if past.iter().any(|n| *n > 0) {
        println!("FAULT-NOTE read records past the high watermarks {high:?} of {topic}: {past:?}");
    }
    out
}
