//! [`MioNetwork`] against tiny blocking servers on 127.0.0.1, one thread each.

use super::{has_disconnect, has_ready, poll_until, test_config};
use crate::net::{ConnState, MioNetwork, NetError, NetEvent, Network, NodeId};
use crate::protocol::messages::api_versions::{
    ApiVersion, ApiVersionsRequest, ApiVersionsResponse,
};
use crate::protocol::messages::metadata::MetadataRequest;
use crate::protocol::{decode_request, encode_request, encode_response};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const NODE: NodeId = 1;

/// Starts a server thread that accepts one connection and runs `script` on it.
pub(super) fn serve(script: impl FnOnce(TcpStream) + Send + 'static) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(super::WAIT)).unwrap();
        script(stream);
    });
    (port, handle)
}

/// Reads one request frame (without size prefix).
pub(super) fn read_frame(s: &mut TcpStream) -> Vec<u8> {
    let mut size = [0; 4];
    s.read_exact(&mut size).unwrap();
    let mut frame = vec![0; i32::from_be_bytes(size) as usize];
    s.read_exact(&mut frame).unwrap();
    frame
}

fn versions(keys: &[(i16, i16, i16)]) -> ApiVersionsResponse {
    ApiVersionsResponse {
        api_keys: keys
            .iter()
            .map(|&(api_key, min_version, max_version)| ApiVersion {
                api_key,
                min_version,
                max_version,
            })
            .collect(),
        ..ApiVersionsResponse::default()
    }
}

/// Plays a broker that supports ApiVersions v0–2 only: v4 gets error 35 with
/// a v0 body, the retry at v2 a proper answer.
pub(super) fn serve_handshake(s: &mut TcpStream) {
    let (h, req) = decode_request::<ApiVersionsRequest>(&read_frame(s)).unwrap();
    assert_eq!(
        (h.api_version, h.client_id.as_deref()),
        (4, Some("net-test"))
    );
    assert!(h.correlation_id < 0, "internal ids are negative");
    assert_eq!(req.client_software_name, "kafka-sync");
    let refusal = ApiVersionsResponse {
        error_code: 35,
        ..versions(&[(18, 0, 2)])
    };
    let out = encode_response::<ApiVersionsRequest>(&refusal, 0, h.correlation_id).unwrap();
    s.write_all(&out).unwrap();
    let (h, _) = decode_request::<ApiVersionsRequest>(&read_frame(s)).unwrap();
    assert_eq!(h.api_version, 2);
    let ok = versions(&[(18, 0, 2), (3, 1, 12)]);
    let out = encode_response::<ApiVersionsRequest>(&ok, 2, h.correlation_id).unwrap();
    s.write_all(&out).unwrap();
}

fn connect(port: u16, config: &crate::ProducerConfig) -> MioNetwork {
    let (mut net, _waker) = MioNetwork::new(config).unwrap();
    net.set_address(NODE, "127.0.0.1", port);
    net.connect(NODE, Instant::now());
    assert_eq!(net.state(NODE, Instant::now()), ConnState::Connecting);
    net
}

pub(super) fn metadata_frame(correlation_id: i32) -> Vec<u8> {
    encode_request(&MetadataRequest::all_topics(), 1, correlation_id, Some("t")).unwrap()
}

#[test]
fn handshake_fallback_response_in_pieces_then_peer_close() {
    let (port, server) = serve(|mut s| {
        serve_handshake(&mut s);
        let (h, _) = decode_request::<MetadataRequest>(&read_frame(&mut s)).unwrap();
        let mut reply = vec![0, 0, 0, 9];
        reply.extend_from_slice(&h.correlation_id.to_be_bytes());
        reply.extend_from_slice(b"hello");
        s.write_all(&reply[..6]).unwrap();
        thread::sleep(Duration::from_millis(100));
        s.write_all(&reply[6..]).unwrap();
        thread::sleep(Duration::from_millis(100));
        // Dropping the stream closes the connection.
    });
    let mut net = connect(port, &test_config());
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: NODE }]);
    assert_eq!(net.state(NODE, Instant::now()), ConnState::Ready);
    assert_eq!(net.api_versions(NODE).unwrap().range(3), Some((1, 12)));

    net.send(NODE, metadata_frame(7)).unwrap();
    let events = poll_until(&mut net, |e| !e.is_empty());
    let mut frame = 7i32.to_be_bytes().to_vec();
    frame.extend_from_slice(b"hello");
    let expected = NetEvent::Response {
        node: NODE,
        correlation_id: 7,
        frame,
    };
    assert_eq!(events, [expected]);

    let events = poll_until(&mut net, has_disconnect);
    assert!(matches!(
        &events[..],
        [NetEvent::Disconnected { node: NODE, .. }]
    ));
    assert!(matches!(
        net.state(NODE, Instant::now()),
        ConnState::BackingOff { .. }
    ));
    assert!(matches!(net.send(NODE, vec![1]), Err(NetError::NotReady)));
    server.join().unwrap();
    // No second Disconnected for the same connection.
    let mut more = Vec::new();
    net.poll(Some(Duration::from_millis(50)), Instant::now(), &mut more)
        .unwrap();
    assert!(more.is_empty(), "{more:?}");
}

#[test]
fn connect_refused_backs_off() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut net = connect(port, &test_config());
    let events = poll_until(&mut net, has_disconnect);
    assert!(
        matches!(&events[..], [NetEvent::Disconnected { node: NODE, .. }]),
        "{events:?}"
    );
    let now = Instant::now();
    let ConnState::BackingOff { until } = net.state(NODE, now) else {
        panic!("not backing off");
    };
    // 500 ms ± 20%, measured from a moment shortly before `now`.
    assert!(
        until > now + Duration::from_millis(300),
        "{:?}",
        until - now
    );
    assert!(until <= now + Duration::from_millis(600));
    // connect() is a no-op while backing off, and the state clears after.
    net.connect(NODE, now);
    assert!(matches!(net.state(NODE, now), ConnState::BackingOff { .. }));
    assert_eq!(net.state(NODE, until), ConnState::Disconnected);
}

#[test]
fn unknown_address_is_reported_by_next_poll() {
    let (mut net, _waker) = MioNetwork::new(&test_config()).unwrap();
    net.connect(5, Instant::now());
    let events = poll_until(&mut net, has_disconnect);
    assert!(matches!(
        &events[..],
        [NetEvent::Disconnected { node: 5, .. }]
    ));
}

#[test]
fn silent_broker_times_out_handshake() {
    // A listener that never accepts: the kernel completes the TCP handshake,
    // but nobody answers ApiVersions.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = crate::ProducerConfig {
        request_timeout: Duration::from_millis(200),
        ..test_config()
    };
    let mut net = connect(port, &config);
    let started = Instant::now();
    let events = poll_until(&mut net, has_disconnect);
    let [NetEvent::Disconnected { reason, .. }] = &events[..] else {
        panic!("{events:?}");
    };
    assert!(reason.contains("timed out"), "{reason}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    drop(listener);
}

#[test]
fn oversized_frame_disconnects() {
    let (port, server) = serve(|mut s| {
        serve_handshake(&mut s);
        s.write_all(&(200 * 1024 * 1024i32).to_be_bytes()).unwrap();
        let _ = s.read(&mut [0; 1]); // wait for the client to close
    });
    let mut net = connect(port, &test_config());
    let events = poll_until(&mut net, has_disconnect);
    let [NetEvent::Ready { .. }, NetEvent::Disconnected { reason, .. }] = &events[..] else {
        panic!("{events:?}");
    };
    assert!(reason.contains("frame size"), "{reason}");
    server.join().unwrap();
}

#[test]
fn big_request_is_written_across_polls() {
    const BIG: usize = 8 * 1024 * 1024;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (port, server) = serve(move |mut s| {
        serve_handshake(&mut s);
        rx.recv().unwrap(); // let the client's socket buffers fill up first
        let frame = read_frame(&mut s);
        assert_eq!(frame.len(), BIG);
        let mut reply = vec![0, 0, 0, 4];
        reply.extend_from_slice(&frame[4..8]);
        s.write_all(&reply).unwrap();
        let _ = s.read(&mut [0; 1]);
    });
    let mut net = connect(port, &test_config());
    poll_until(&mut net, has_ready);
    let mut frame = vec![0u8; BIG + 4];
    frame[..4].copy_from_slice(&(BIG as i32).to_be_bytes());
    frame[8..12].copy_from_slice(&42i32.to_be_bytes());
    net.send(NODE, frame).unwrap();
    let pending = net.pending_bytes(NODE);
    assert!(pending > 0 && pending < BIG + 4, "{pending}");
    tx.send(()).unwrap();
    let events = poll_until(&mut net, |e| !e.is_empty());
    assert!(matches!(
        &events[..],
        [NetEvent::Response {
            correlation_id: 42,
            ..
        }]
    ));
    assert_eq!(net.pending_bytes(NODE), 0);
    net.disconnect(NODE, Instant::now());
    let events = poll_until(&mut net, has_disconnect);
    assert_eq!(events.len(), 1);
    server.join().unwrap();
}

#[test]
fn waker_ends_a_blocking_poll() {
    let (mut net, waker) = MioNetwork::new(&test_config()).unwrap();
    let started = Instant::now();
    // The test keeps a reference: closing the waker's file descriptor before
    // the poll sees the wake-up would cancel it.
    let remote = waker.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        remote.wake().unwrap();
    });
    let mut events = Vec::new();
    net.poll(None, Instant::now(), &mut events).unwrap();
    assert!(events.is_empty());
    assert!(started.elapsed() < super::WAIT);
    t.join().unwrap();
    drop(waker);
}
