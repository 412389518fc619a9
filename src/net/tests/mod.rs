//! Tests of the network layer: [`MioNetwork`] against tiny in-test TCP
//! servers and librdkafka's mock cluster, and [`FakeNetwork`]'s scripting.

mod dns;
mod dns_canonical;
mod fake;
mod idle_and_setup;
mod mio_local;
mod mock_cluster;

use super::{MioNetwork, NetEvent, Network};
use crate::config::ProducerConfig;
use std::time::{Duration, Instant};

/// How long a test waits for something that should happen at once.
const WAIT: Duration = Duration::from_secs(5);

/// Polls until `done` holds for the events gathered so far; panics after
/// [`WAIT`]. Returns all gathered events.
fn poll_until(net: &mut MioNetwork, done: impl Fn(&[NetEvent]) -> bool) -> Vec<NetEvent> {
    let deadline = Instant::now() + WAIT;
    let mut events = Vec::new();
    while !done(&events) {
        let now = Instant::now();
        assert!(now < deadline, "timed out; events so far: {events:?}");
        net.poll(Some(Duration::from_millis(50)), now, &mut events)
            .unwrap();
    }
    events
}

fn has_ready(events: &[NetEvent]) -> bool {
    events.iter().any(|e| matches!(e, NetEvent::Ready { .. }))
}

fn has_disconnect(events: &[NetEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, NetEvent::Disconnected { .. }))
}

fn test_config() -> ProducerConfig {
    ProducerConfig {
        client_id: "net-test".into(),
        reconnect_backoff: Duration::from_millis(500),
        reconnect_backoff_max: Duration::from_millis(5000),
        ..ProducerConfig::default()
    }
}

/// Whether `s` matches KIP-511's `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn kip511_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.';
    !b.is_empty() && edge(&b[0]) && edge(&b[b.len() - 1]) && b.iter().all(inner)
}

#[test]
fn client_software_name_and_version_are_kip511_valid() {
    use super::mio_net::{CLIENT_SOFTWARE_NAME, CLIENT_SOFTWARE_VERSION};
    assert!(kip511_valid(CLIENT_SOFTWARE_NAME));
    assert!(kip511_valid(CLIENT_SOFTWARE_VERSION));
    assert!(!kip511_valid("-x") && !kip511_valid("x.") && !kip511_valid("a b"));
}
