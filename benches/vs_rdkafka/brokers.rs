//! The brokers a scenario runs on: a private tansu process, or librdkafka's
//! mock cluster in the parent process.

use crate::tansu::{tansu_bin, Tansu};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use std::time::Duration;

pub enum Broker {
    Tansu(Tansu),
    Mock(MockCluster<'static, DefaultProducerContext>),
}

impl Broker {
    pub fn start(kind: &str) -> Broker {
        match kind {
            "tansu" => Broker::Tansu(Tansu::start_at(tansu_bin().expect("tansu"))),
            "mock" => Broker::Mock(MockCluster::new(1).expect("mock cluster")),
            k => panic!("unknown broker {k}"),
        }
    }

    pub fn bootstrap(&self) -> String {
        match self {
            Broker::Tansu(t) => t.bootstrap.clone(),
            Broker::Mock(m) => m.bootstrap_servers(),
        }
    }

    pub fn create_topic(&self, name: &str, partitions: i32) {
        match self {
            Broker::Tansu(t) => t.create_topic(name, partitions),
            Broker::Mock(m) => m.create_topic(name, partitions, 1).expect("mock topic"),
        }
    }

    /// Delays every response of the mock broker (None for tansu).
    pub fn delay(&self, rtt: Duration) -> bool {
        match self {
            Broker::Tansu(_) => false,
            Broker::Mock(m) => {
                m.broker_round_trip_time(1, rtt).expect("mock rtt");
                true
            }
        }
    }
}
