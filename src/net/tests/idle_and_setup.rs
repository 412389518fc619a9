//! `connections.max.idle.ms` and `socket.connection.setup.timeout{,.max}.ms`
//! on [`MioNetwork`], against tiny servers on 127.0.0.1. The network takes
//! its `now` from the caller, so the tests move it forward instead of
//! sleeping.

use super::mio_local::{metadata_frame, read_frame, serve, serve_handshake};
use super::{has_ready, test_config};
use crate::net::mio_net::awaits_answer;
use crate::net::{ConnState, MioNetwork, NetEvent, Network, NodeId};
use crate::protocol::encode_request;
use crate::protocol::messages::produce::{PartitionProduceData, ProduceRequest, TopicProduceData};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const NODE: NodeId = 1;

/// One poll at the given (possibly future) `now`.
fn poll_at(net: &mut MioNetwork, now: Instant) -> Vec<NetEvent> {
    let mut events = Vec::new();
    net.poll(Some(Duration::from_millis(20)), now, &mut events)
        .unwrap();
    events
}

/// Polls at `now` until `done` holds for the events gathered (real time
/// passes for the sockets; the network's clock stays at `now`).
fn poll_at_until(
    net: &mut MioNetwork,
    now: Instant,
    done: impl Fn(&[NetEvent]) -> bool,
) -> Vec<NetEvent> {
    let deadline = Instant::now() + super::WAIT;
    let mut events = Vec::new();
    while !done(&events) {
        assert!(Instant::now() < deadline, "timed out; events: {events:?}");
        events.extend(poll_at(net, now));
    }
    events
}

/// A broker that answers the handshake, then reads everything until the
/// client closes.
fn sink_broker() -> (u16, thread::JoinHandle<()>) {
    serve(|mut s| {
        serve_handshake(&mut s);
        let mut buf = [0; 4096];
        while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    })
}

/// A broker for many attempts: connections the client already closed are
/// skipped; the first one it talks on gets the handshake, then is read
/// until the client closes it.
fn patient_broker() -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || loop {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(super::WAIT)).unwrap();
        if !matches!(s.peek(&mut [0; 1]), Ok(n) if n > 0) {
            continue;
        }
        serve_handshake(&mut s);
        let _ = s.read(&mut [0; 1]);
        return;
    });
    (port, handle)
}

#[test]
fn idle_connection_is_closed_and_reopened_but_not_with_a_request_in_flight() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (answer_tx, answer) = mpsc::channel::<()>();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(super::WAIT)).unwrap();
        serve_handshake(&mut s);
        let frame = read_frame(&mut s);
        answer.recv().unwrap();
        let mut reply = vec![0, 0, 0, 4];
        reply.extend_from_slice(&frame[4..8]); // the correlation id
        s.write_all(&reply).unwrap();
        // The client closes the idle connection.
        assert_eq!(s.read(&mut [0; 1]).unwrap(), 0);
        // And opens a new one when asked to connect again.
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(super::WAIT)).unwrap();
        serve_handshake(&mut s);
        let _ = s.read(&mut [0; 1]);
    });
    let config = crate::ProducerConfig {
        connections_max_idle: Some(Duration::from_secs(60)),
        ..test_config()
    };
    let (mut net, _waker) = MioNetwork::new(&config).unwrap();
    net.set_address(NODE, "127.0.0.1", port);
    let t = Instant::now();
    net.connect(NODE, t);
    poll_at_until(&mut net, t, has_ready);
    let s = Duration::from_secs;

    // A request is unanswered: the connection is not idle, however long.
    net.send(NODE, metadata_frame(7)).unwrap();
    assert!(poll_at(&mut net, t + s(10)).is_empty());
    assert!(poll_at(&mut net, t + s(500)).is_empty());
    assert_eq!(net.state(NODE, t + s(500)), ConnState::Ready);

    // Answered at t+500 s: the last traffic.
    answer_tx.send(()).unwrap();
    let events = poll_at_until(&mut net, t + s(500), |e| !e.is_empty());
    assert!(
        matches!(
            &events[..],
            [NetEvent::Response {
                correlation_id: 7,
                ..
            }]
        ),
        "{events:?}"
    );
    assert!(poll_at(&mut net, t + s(559)).is_empty(), "59 s idle: open");
    assert_eq!(net.state(NODE, t + s(559)), ConnState::Ready);
    let events = poll_at(&mut net, t + s(561));
    let [NetEvent::Disconnected { node: NODE, reason }] = &events[..] else {
        panic!("{events:?}");
    };
    assert!(reason.contains("connections.max.idle.ms"), "{reason}");
    // No backoff: it may connect again at once, and does.
    assert_eq!(net.state(NODE, t + s(561)), ConnState::Disconnected);
    net.connect(NODE, t + s(561));
    assert_eq!(net.state(NODE, t + s(561)), ConnState::Connecting);
    let events = poll_at_until(&mut net, t + s(561), has_ready);
    assert_eq!(events, [NetEvent::Ready { node: NODE }]);
    drop(net);
    server.join().unwrap();
}

#[test]
fn writes_keep_a_connection_open_and_none_closes_never() {
    for max_idle in [Some(Duration::from_secs(60)), None] {
        let (port, server) = sink_broker();
        let config = crate::ProducerConfig {
            connections_max_idle: max_idle,
            ..test_config()
        };
        let (mut net, _waker) = MioNetwork::new(&config).unwrap();
        net.set_address(NODE, "127.0.0.1", port);
        let t = Instant::now();
        net.connect(NODE, t);
        poll_at_until(&mut net, t, has_ready);
        let s = Duration::from_secs;
        assert!(poll_at(&mut net, t + s(50)).is_empty());
        // A Produce with acks=0 is written (and stamps the connection) but
        // expects no answer: the connection can become idle after it.
        net.send(NODE, produce_frame(9, 0, 3)).unwrap();
        assert!(poll_at(&mut net, t + s(100)).is_empty());
        assert!(poll_at(&mut net, t + s(159)).is_empty());
        let events = poll_at(&mut net, t + s(161));
        if max_idle.is_some() {
            assert!(
                matches!(&events[..], [NetEvent::Disconnected { .. }]),
                "{events:?}"
            );
        } else {
            assert!(events.is_empty(), "{events:?}");
            assert!(poll_at(&mut net, t + s(1_000_000)).is_empty());
            assert_eq!(net.state(NODE, t + s(1_000_000)), ConnState::Ready);
        }
        drop(net);
        server.join().unwrap();
    }
}

/// A Produce request frame at `version` with `acks`.
fn produce_frame(version: i16, acks: i16, correlation_id: i32) -> Vec<u8> {
    let req = ProduceRequest {
        transactional_id: (version >= 3).then(|| "txn-id".to_owned()),
        acks,
        timeout_ms: 30_000,
        topic_data: vec![TopicProduceData {
            name: "t".into(),
            topic_id: [0; 16],
            partition_data: vec![PartitionProduceData {
                index: 0,
                records: None,
            }],
        }],
    };
    encode_request(&req, version, correlation_id, Some("client")).unwrap()
}

#[test]
fn only_produce_with_acks_0_goes_unanswered() {
    for version in 3..=12 {
        for (acks, answered) in [(0, false), (1, true), (-1, true)] {
            let frame = produce_frame(version, acks, 5);
            assert_eq!(awaits_answer(&frame), answered, "v{version} acks={acks}");
            // The header segment alone tells (the records come later).
            assert_eq!(awaits_answer(&frame[..40]), answered, "v{version}");
        }
        let anonymous = ProduceRequest {
            transactional_id: None,
            acks: 0,
            ..ProduceRequest::default()
        };
        let frame = encode_request(&anonymous, version, 1, None).unwrap();
        assert!(!awaits_answer(&frame), "v{version}, no ids");
    }
    assert!(awaits_answer(&metadata_frame(3)));
    assert!(awaits_answer(&[]) && awaits_answer(&[0, 0, 0, 9, 0, 0]));
}

#[test]
fn setup_deadline_doubles_per_failed_attempt_and_resets_once_ready() {
    let (port, server) = patient_broker();
    let ms = Duration::from_millis;
    let config = crate::ProducerConfig {
        socket_connection_setup_timeout: ms(1000),
        socket_connection_setup_timeout_max: ms(5000),
        ..test_config()
    };
    let (mut net, _waker) = MioNetwork::new(&config).unwrap();
    net.set_address(NODE, "127.0.0.1", port);
    // Each attempt is given up by the client (a failure while connecting),
    // an hour apart so that no backoff is in the way.
    let hour = Duration::from_secs(3600);
    let mut now = Instant::now();
    for (attempt, term) in [1000u64, 2000, 4000, 5000, 5000].into_iter().enumerate() {
        net.connect(NODE, now);
        let deadline = net.setup_deadline(NODE).expect("connecting");
        let timeout = deadline - now;
        let (lo, hi) = (ms(term * 8 / 10), ms((term * 12 / 10).min(5000)));
        assert!(
            timeout >= lo && timeout <= hi,
            "attempt {attempt}: {timeout:?} not in {lo:?}..={hi:?}"
        );
        net.disconnect(NODE, now);
        now += hour;
    }
    // A deadline that passes fails the attempt (the next one is longer).
    net.connect(NODE, now);
    let deadline = net.setup_deadline(NODE).unwrap();
    poll_at(&mut net, deadline);
    now = deadline + hour;
    // This time the broker answers: ready, and the count starts again.
    net.connect(NODE, now);
    poll_at_until(&mut net, now, has_ready);
    net.disconnect(NODE, now);
    now += hour;
    net.connect(NODE, now);
    let timeout = net.setup_deadline(NODE).unwrap() - now;
    assert!(timeout >= ms(800) && timeout <= ms(1200), "{timeout:?}");
    drop(net);
    server.join().unwrap();
}

#[test]
fn setup_timeout_is_constant_when_the_max_is_not_above_it() {
    let ms = Duration::from_millis;
    let config = crate::ProducerConfig {
        socket_connection_setup_timeout: ms(3000),
        socket_connection_setup_timeout_max: ms(2000),
        ..test_config()
    };
    let port = super::dns::closed_port();
    let (mut net, _waker) = MioNetwork::new(&config).unwrap();
    net.set_address(NODE, "127.0.0.1", port);
    let mut now = Instant::now();
    for _ in 0..4 {
        net.connect(NODE, now);
        assert_eq!(net.setup_deadline(NODE).unwrap() - now, ms(2000));
        net.disconnect(NODE, now);
        now += Duration::from_secs(3600);
    }
}

#[test]
fn api_versions_is_bounded_by_the_request_timeout_not_the_setup_timeout() {
    // A listener that never accepts: TCP connects (the kernel completes it),
    // ApiVersions is never answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = crate::ProducerConfig {
        socket_connection_setup_timeout: Duration::from_millis(100),
        socket_connection_setup_timeout_max: Duration::from_millis(100),
        request_timeout: Duration::from_secs(10),
        ..test_config()
    };
    let (mut net, _waker) = MioNetwork::new(&config).unwrap();
    net.set_address(NODE, "127.0.0.1", port);
    let t = Instant::now();
    net.connect(NODE, t);
    let deadline = Instant::now() + super::WAIT;
    while !net.in_api_versions(NODE) {
        assert!(Instant::now() < deadline, "never connected");
        assert!(poll_at(&mut net, t).is_empty());
    }
    // Past the setup deadline, within the request timeout: still waiting.
    assert!(poll_at(&mut net, t + Duration::from_secs(2)).is_empty());
    assert!(net.in_api_versions(NODE));
    let events = poll_at(&mut net, t + Duration::from_secs(11));
    let [NetEvent::Disconnected { reason, .. }] = &events[..] else {
        panic!("{events:?}");
    };
    assert_eq!(
        reason,
        "ApiVersions handshake timed out (request.timeout.ms)"
    );
    drop(listener);
}
