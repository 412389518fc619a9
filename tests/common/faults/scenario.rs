//! Where a scenario runs, what the injecting closure sees, and the driver.

use super::super::kafka::KafkaCluster;
use super::super::proxy::{FaultProxy, TansuBehindProxy};
use super::analyse::analyse;
use super::mock::Mock;
use super::outcome::{error_kind, Outcome};
use super::read_back::read_back;
use super::{
    records, send_secs, DELIVERY_TIMEOUT, FAILED_MAYBE_WRITTEN, FAILED_NOT_WRITTEN, KEYS, OK,
    PARTITIONS, PENDING, REFUSED, REQUEST_TIMEOUT, TOPIC,
};
use kafka_sync::config::Acks;
use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the scenario runs.
pub enum Target<'a> {
    /// The 3-broker mock cluster.
    Mock(&'a Mock),
    /// tansu behind the fault proxy.
    Tansu(&'a TansuBehindProxy),
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
    pub proxy: Option<&'a FaultProxy>,
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
    pub fn proxy(&self) -> &FaultProxy {
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
    super::super::fault_log::init();
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
