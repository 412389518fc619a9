//! The brokers a scenario runs on: librdkafka's mock cluster in the parent
//! process, a private tansu process (both fresh per scenario), or one real
//! 3-node Kafka cluster per bench invocation (a fresh topic per scenario,
//! deleted after it).

use crate::harness::kafka::{block_on, KafkaCluster, Version};
use crate::harness::tansu::{tansu_bin, Tansu};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use std::time::{Duration, Instant};

/// Kafka 4.4.0 in KRaft mode: 3 combined broker+controller nodes on
/// loopback, replication factor 3, `min.insync.replicas=2` (the harness's
/// cluster settings, `tests/common/node.rs::replication_properties`).
pub struct RealKafka {
    cluster: KafkaCluster,
    admin: AdminClient<DefaultClientContext>,
}

impl RealKafka {
    pub fn start() -> Result<RealKafka, String> {
        let t0 = Instant::now();
        let cluster = KafkaCluster::start(Version::V4, 3)?;
        let admin = ClientConfig::new()
            .set("bootstrap.servers", &cluster.bootstrap)
            .create()
            .map_err(|e| e.to_string())?;
        eprintln!(
            "kafka: 3-node Kafka {} cluster up in {:.1} s",
            Version::V4.as_str(),
            t0.elapsed().as_secs_f64()
        );
        Ok(RealKafka { cluster, admin })
    }

    fn delete_topic(&self, topic: &str) {
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        if let Err(e) = block_on(self.admin.delete_topics(&[topic], &opts)) {
            eprintln!("kafka: deleting topic {topic}: {e}");
        }
    }
}

impl Drop for RealKafka {
    /// Stops the nodes (they would die with this process anyway) and
    /// removes the cluster's directory (its data).
    fn drop(&mut self) {
        let dir = self.cluster.data_dir(1);
        for id in self.cluster.live_nodes() {
            self.cluster.kill(id);
        }
        if let Some(dir) = dir.parent().and_then(|d| d.parent()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub enum Broker<'a> {
    Tansu(Tansu),
    Mock(MockCluster<'static, DefaultProducerContext>),
    Kafka(&'a RealKafka),
}

impl<'a> Broker<'a> {
    /// The broker of `kind` for one scenario (`kafka`: the running cluster).
    pub fn start(kind: &str, kafka: Option<&'a RealKafka>) -> Broker<'a> {
        match kind {
            "tansu" => Broker::Tansu(Tansu::start_at(tansu_bin().expect("tansu"))),
            "mock" => Broker::Mock(MockCluster::new(1).expect("mock cluster")),
            "kafka" => Broker::Kafka(kafka.expect("the Kafka cluster is started")),
            k => panic!("unknown broker {k}"),
        }
    }

    pub fn bootstrap(&self) -> String {
        match self {
            Broker::Tansu(t) => t.bootstrap.clone(),
            Broker::Mock(m) => m.bootstrap_servers(),
            Broker::Kafka(k) => k.cluster.bootstrap.clone(),
        }
    }

    /// Creates the scenario's topic (on Kafka: replication factor 3, and
    /// waits until every partition has its full ISR).
    pub fn create_topic(&self, name: &str, partitions: i32) {
        match self {
            Broker::Tansu(t) => t.create_topic(name, partitions),
            Broker::Mock(m) => m.create_topic(name, partitions, 1).expect("mock topic"),
            Broker::Kafka(k) => {
                let t0 = Instant::now();
                k.cluster.create_topic(name, partitions);
                if t0.elapsed() > Duration::from_secs(2) {
                    eprintln!(
                        "kafka: topic {name} ({partitions} partitions, RF 3) ready in {:.1} s",
                        t0.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }

    /// After the scenario: Kafka deletes its topic (the data is on disk).
    pub fn done(self, topic: &str) {
        if let Broker::Kafka(k) = self {
            k.delete_topic(topic);
        }
    }

    /// Delays every response of the mock broker (false elsewhere).
    pub fn delay(&self, rtt: Duration) -> bool {
        match self {
            Broker::Tansu(_) | Broker::Kafka(_) => false,
            Broker::Mock(m) => {
                m.broker_round_trip_time(1, rtt).expect("mock rtt");
                true
            }
        }
    }
}
