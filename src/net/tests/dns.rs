//! Host name resolution off the sender thread, with injected lookups
//! against tiny servers on 127.0.0.1.

use super::mio_local::{metadata_frame, read_frame, serve, serve_handshake};
use super::{has_disconnect, has_ready, poll_until, test_config};
use crate::net::{ConnState, MioNetwork, NetEvent, Network, NodeId, Resolver};
use crate::protocol::decode_request;
use crate::protocol::messages::metadata::MetadataRequest;
use crossbeam_channel::bounded;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub(super) fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A port nobody listens on (connections are refused).
pub(super) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Sleeps until `node` may connect again.
pub(super) fn after_backoff(net: &MioNetwork, node: NodeId) {
    if let ConnState::BackingOff { until } = net.state(node, Instant::now()) {
        thread::sleep(until.saturating_duration_since(Instant::now()));
    }
}

/// The hosts a resolver was asked for, in order.
#[derive(Clone, Default)]
pub(super) struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    pub(super) fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    pub(super) fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A listener serving one connection with the ApiVersions handshake, then
/// keeping it open until the client closes it.
pub(super) fn broker() -> (u16, thread::JoinHandle<()>) {
    serve(|mut s| {
        serve_handshake(&mut s);
        let _ = s.read(&mut [0; 1]);
    })
}

/// (a) A lookup hanging for up to 10 s does not hold up another node.
#[test]
fn hanging_lookup_does_not_delay_other_nodes() {
    let (port, server) = serve(|mut s| {
        serve_handshake(&mut s);
        let (h, _) = decode_request::<MetadataRequest>(&read_frame(&mut s)).unwrap();
        let mut reply = vec![0, 0, 0, 5];
        reply.extend_from_slice(&h.correlation_id.to_be_bytes());
        reply.push(1);
        s.write_all(&reply).unwrap();
        let _ = s.read(&mut [0; 1]);
    });
    let (gate_tx, gate) = bounded::<()>(0);
    let resolver = Resolver::new(move |host, port| match host {
        "fast.test" => Ok(vec![local(port)]),
        _ => {
            let _ = gate.recv_timeout(Duration::from_secs(10));
            Err(io::Error::other("slow lookup gave up"))
        }
    });
    let (mut net, _waker) = MioNetwork::with_resolver(&test_config(), resolver).unwrap();
    net.set_address(1, "slow.test", 9092);
    net.set_address(2, "fast.test", port);
    let started = Instant::now();
    net.connect(1, Instant::now());
    net.connect(2, Instant::now());
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: 2 }]);
    net.send(2, metadata_frame(3)).unwrap();
    let events = poll_until(&mut net, |e| !e.is_empty());
    assert!(
        matches!(
            &events[..],
            [NetEvent::Response {
                node: 2,
                correlation_id: 3,
                ..
            }]
        ),
        "{events:?}"
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "node 2 answered after {took:?}"
    );
    // Node 1 is still resolving.
    assert_eq!(net.state(1, Instant::now()), ConnState::Connecting);
    drop(gate_tx);
    let events = poll_until(&mut net, has_disconnect);
    let [NetEvent::Disconnected { node: 1, reason }] = &events[..] else {
        panic!("{events:?}");
    };
    assert!(
        reason.contains("cannot resolve slow.test:9092: slow lookup gave up"),
        "{reason}"
    );
    drop(net);
    server.join().unwrap();
}

/// (b) Two addresses, the first refusing: the next attempt uses the second
/// without a new lookup; a lost connection makes the next attempt resolve again.
#[test]
fn every_address_is_tried_in_turn() {
    let (port, server) = broker();
    let refused = closed_port();
    let calls = Calls::default();
    let seen = calls.clone();
    let resolver = Resolver::new(move |host, _| {
        seen.push(host);
        Ok(vec![local(refused), local(port)])
    });
    let (mut net, _waker) = MioNetwork::with_resolver(&test_config(), resolver).unwrap();
    net.set_address(1, "two.test", 9092);
    net.connect(1, Instant::now());
    let events = poll_until(&mut net, has_disconnect);
    let [NetEvent::Disconnected { node: 1, reason }] = &events[..] else {
        panic!("{events:?}");
    };
    assert!(reason.contains("connect failed"), "{reason}");
    after_backoff(&net, 1);
    net.connect(1, Instant::now());
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: 1 }]);
    assert_eq!(calls.get(), ["two.test"]);

    // A ready connection is lost: the next attempt resolves again.
    net.disconnect(1, Instant::now());
    poll_until(&mut net, has_disconnect);
    server.join().unwrap();
    after_backoff(&net, 1);
    net.connect(1, Instant::now());
    poll_until(&mut net, has_disconnect); // the refusing address again
    assert_eq!(calls.get(), ["two.test", "two.test"]);
}

/// (c) A failed or empty lookup is a disconnection with a clear reason and backoff.
#[test]
fn lookup_failure_disconnects_and_backs_off() {
    let resolver = Resolver::new(|host, _| match host {
        "empty.test" => Ok(Vec::new()),
        _ => Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
    });
    let (mut net, _waker) = MioNetwork::with_resolver(&test_config(), resolver).unwrap();
    net.set_address(1, "nx.test", 9092);
    net.set_address(2, "empty.test", 9093);
    net.connect(1, Instant::now());
    net.connect(2, Instant::now());
    let events = poll_until(&mut net, |e| e.len() == 2);
    for (node, expected) in [
        (1, "cannot resolve nx.test:9092: no such host"),
        (2, "cannot resolve empty.test:9093: no address"),
    ] {
        let reason = events.iter().find_map(|e| match e {
            NetEvent::Disconnected { node: n, reason } if *n == node => Some(reason),
            _ => None,
        });
        assert_eq!(reason.map(String::as_str), Some(expected), "{events:?}");
        let now = Instant::now();
        let ConnState::BackingOff { until } = net.state(node, now) else {
            panic!("node {node} is not backing off");
        };
        assert!(
            until > now + Duration::from_millis(200),
            "{:?}",
            until - now
        );
    }
}

/// (d) A lookup outlasting the setup timeout fails the node; its late
/// answer is dropped, and the next attempt looks the host up again.
#[test]
fn lookup_past_setup_timeout_fails_and_late_answer_is_ignored() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (gate_tx, gate) = bounded::<()>(0);
    let calls = Calls::default();
    let seen = calls.clone();
    let resolver = Resolver::new(move |host, _| {
        seen.push(host);
        let _ = gate.recv_timeout(Duration::from_secs(10));
        Ok(vec![local(port)])
    });
    let config = crate::ProducerConfig {
        socket_connection_setup_timeout: Duration::from_millis(300),
        socket_connection_setup_timeout_max: Duration::from_millis(300),
        ..test_config()
    };
    let (mut net, _waker) = MioNetwork::with_resolver(&config, resolver).unwrap();
    net.set_address(1, "hang.test", 9092);
    let started = Instant::now();
    net.connect(1, Instant::now());
    let events = poll_until(&mut net, has_disconnect);
    let [NetEvent::Disconnected { node: 1, reason }] = &events[..] else {
        panic!("{events:?}");
    };
    assert_eq!(reason, "cannot resolve hang.test:9092: timed out");
    assert!(started.elapsed() >= Duration::from_millis(250));

    // The late answer changes nothing: no event, no connection, still backing off.
    gate_tx.send(()).unwrap();
    let mut events = Vec::new();
    let until = Instant::now() + Duration::from_millis(200);
    while Instant::now() < until {
        net.poll(Some(Duration::from_millis(20)), Instant::now(), &mut events)
            .unwrap();
    }
    assert!(events.is_empty(), "{events:?}");
    assert!(matches!(
        net.state(1, Instant::now()),
        ConnState::BackingOff { .. }
    ));
    listener.set_nonblocking(true).unwrap();
    let err = listener.accept().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);

    // The next attempt asks again (and this time gets through).
    drop(gate_tx);
    listener.set_nonblocking(false).unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(super::WAIT)).unwrap();
        serve_handshake(&mut s);
        let _ = s.read(&mut [0; 1]);
    });
    after_backoff(&net, 1);
    net.connect(1, Instant::now());
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: 1 }]);
    assert_eq!(calls.get(), ["hang.test", "hang.test"]);
    drop(net);
    server.join().unwrap();
}

/// An attempt made while an earlier lookup of the node still hangs waits
/// for that lookup rather than queueing a second one; `disconnect` ends a
/// resolving attempt.
#[test]
fn retry_waits_for_the_lookup_still_running() {
    let (port, server) = broker();
    let (gate_tx, gate) = bounded::<()>(0);
    let calls = Calls::default();
    let seen = calls.clone();
    let resolver = Resolver::new(move |host, _| {
        seen.push(host);
        let _ = gate.recv_timeout(Duration::from_secs(10));
        Ok(vec![local(port)])
    });
    let config = crate::ProducerConfig {
        socket_connection_setup_timeout: Duration::from_millis(300),
        socket_connection_setup_timeout_max: Duration::from_millis(300),
        ..test_config()
    };
    let (mut net, _waker) = MioNetwork::with_resolver(&config, resolver).unwrap();
    net.set_address(1, "hang.test", 9092);
    net.connect(1, Instant::now());
    let events = poll_until(&mut net, has_disconnect);
    assert!(
        matches!(&events[..], [NetEvent::Disconnected { reason, .. }] if reason.contains("timed out"))
    );
    after_backoff(&net, 1);
    net.connect(1, Instant::now());
    net.disconnect(1, Instant::now());
    let events = poll_until(&mut net, has_disconnect);
    assert!(
        matches!(&events[..], [NetEvent::Disconnected { reason, .. }] if reason == "disconnected by client")
    );
    after_backoff(&net, 1);
    net.connect(1, Instant::now());
    assert_eq!(net.state(1, Instant::now()), ConnState::Connecting);
    gate_tx.send(()).unwrap();
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: 1 }]);
    assert_eq!(calls.get(), ["hang.test"]);
    drop(net);
    server.join().unwrap();
}

/// A changed address drops the cached addresses (and a pending lookup).
#[test]
fn set_address_invalidates_resolved_addresses() {
    let (port, server) = broker();
    let (refused, refused2) = (closed_port(), closed_port());
    let (_gate_tx, gate) = bounded::<()>(0);
    let calls = Calls::default();
    let seen = calls.clone();
    let resolver = Resolver::new(move |host, _| {
        seen.push(host);
        match host {
            "old.test" => Ok(vec![local(refused), local(refused2)]),
            "new.test" => Ok(vec![local(port)]),
            _ => {
                let _ = gate.recv_timeout(Duration::from_secs(10));
                Ok(vec![local(refused)])
            }
        }
    });
    let (mut net, _waker) = MioNetwork::with_resolver(&test_config(), resolver).unwrap();
    net.set_address(1, "old.test", 9092);
    net.connect(1, Instant::now());
    poll_until(&mut net, has_disconnect);
    // Same address again: nothing changes. A new one: resolved anew, even
    // while the node is resolving another name.
    net.set_address(1, "old.test", 9092);
    net.set_address(1, "slow.test", 9092);
    after_backoff(&net, 1);
    net.connect(1, Instant::now());
    let deadline = Instant::now() + super::WAIT;
    while calls.get().len() < 2 {
        assert!(Instant::now() < deadline, "slow.test never looked up");
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(net.state(1, Instant::now()), ConnState::Connecting);
    net.set_address(1, "new.test", 9092);
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: 1 }]);
    assert_eq!(calls.get(), ["old.test", "slow.test", "new.test"]);
    drop(net);
    server.join().unwrap();
}

/// IP literals need no lookup; lookups run on named threads that end with
/// the network.
#[test]
fn literals_skip_the_resolver_and_threads_end_with_the_network() {
    let (port, server) = broker();
    let calls = Calls::default();
    let seen = calls.clone();
    let token = Arc::new(());
    let held = token.clone();
    let resolver = Resolver::new(move |host, _| {
        let _ = &held;
        seen.push(format!("{host} on {:?}", thread::current().name()));
        Err(io::Error::other("nope"))
    });
    let (mut net, waker) = MioNetwork::with_resolver(&test_config(), resolver).unwrap();
    net.set_address(1, "127.0.0.1", port);
    net.set_address(2, "name.test", 9092);
    net.connect(1, Instant::now());
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: 1 }]);
    assert!(calls.get().is_empty());
    net.connect(2, Instant::now());
    poll_until(&mut net, has_disconnect);
    assert_eq!(
        calls.get(),
        ["name.test on Some(\"kafka-sync-dns-net-test\")"]
    );
    drop(net);
    drop(waker);
    let deadline = Instant::now() + super::WAIT;
    while Arc::strong_count(&token) > 1 {
        assert!(Instant::now() < deadline, "resolver threads still running");
        thread::sleep(Duration::from_millis(10));
    }
    server.join().unwrap();
}
