//! [`FakeNetwork`]: scripted happenings take effect when polled.

use crate::net::{ConnState, FakeNetwork, NetError, NetEvent, Network};
use crate::protocol::encode_request;
use crate::protocol::messages::metadata::{MetadataRequest, MetadataResponse};
use std::time::{Duration, Instant};

fn poll(net: &mut FakeNetwork, now: Instant) -> Vec<NetEvent> {
    let mut events = Vec::new();
    net.poll(Some(Duration::from_secs(1)), now, &mut events)
        .unwrap();
    events
}

#[test]
fn connect_ready_send_respond() {
    let now = Instant::now();
    let mut net = FakeNetwork::new();
    net.set_address(-1, "b", 9092);
    assert_eq!(net.address(-1), Some(("b", 9092)));
    assert!(matches!(net.send(-1, vec![1]), Err(NetError::NotReady)));
    net.connect(-1, now);
    net.connect(-1, now); // no-op while connecting
    assert_eq!(net.connect_count(-1), 1);
    net.make_ready(-1, FakeNetwork::broker_versions(&[(3, 1, 12)]));
    assert_eq!(net.state(-1, now), ConnState::Connecting);
    assert_eq!(poll(&mut net, now), [NetEvent::Ready { node: -1 }]);
    assert_eq!(net.api_versions(-1).unwrap().range(3), Some((1, 12)));

    let frame = encode_request(&MetadataRequest::all_topics(), 4, 3, Some("c")).unwrap();
    net.send(-1, frame).unwrap();
    let sent = net.sent_requests::<MetadataRequest>(-1);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0.correlation_id, 3);
    assert!(net.sent(-1).is_empty(), "drained");

    net.respond_with::<MetadataRequest>(-1, 4, 3, &MetadataResponse::default());
    let events = poll(&mut net, now);
    assert!(matches!(
        &events[..],
        [NetEvent::Response {
            node: -1,
            correlation_id: 3,
            ..
        }]
    ));
    assert_eq!(net.poll_timeouts(), [Some(Duration::from_secs(1)); 2]);
}

#[test]
fn failures_back_off_from_the_poll_that_reports_them() {
    let t0 = Instant::now();
    let mut net = FakeNetwork::new();
    net.set_reconnect_backoff(Duration::from_millis(100));
    net.connect(1, t0);
    net.fail_connect(1);
    let t1 = t0 + Duration::from_millis(10);
    let events = poll(&mut net, t1);
    assert!(matches!(
        &events[..],
        [NetEvent::Disconnected { node: 1, .. }]
    ));
    let until = t1 + Duration::from_millis(100);
    assert_eq!(net.state(1, t1), ConnState::BackingOff { until });
    net.connect(1, t1);
    assert_eq!(net.connect_count(1), 1);
    assert_eq!(net.state(1, until), ConnState::Disconnected);
    net.connect(1, until);
    assert_eq!(net.connect_count(1), 2);
}

#[test]
fn responses_before_a_drop_arrive_then_the_drop() {
    let now = Instant::now();
    let mut net = FakeNetwork::new();
    net.set_auto_ready(Some(FakeNetwork::broker_versions(&[])));
    net.connect(2, now);
    assert_eq!(poll(&mut net, now), [NetEvent::Ready { node: 2 }]);
    net.respond(2, vec![0, 0, 0, 1]);
    net.drop_connection(2);
    let events = poll(&mut net, now);
    assert!(matches!(
        &events[..],
        [
            NetEvent::Response {
                correlation_id: 1,
                ..
            },
            NetEvent::Disconnected { node: 2, .. }
        ]
    ));
    assert_eq!(net.state(2, now), ConnState::Disconnected);
}

#[test]
fn client_disconnect_loses_undelivered_responses() {
    let now = Instant::now();
    let mut net = FakeNetwork::new();
    net.set_auto_ready(Some(FakeNetwork::broker_versions(&[])));
    net.connect(3, now);
    poll(&mut net, now);
    net.respond(3, vec![0, 0, 0, 1]);
    net.disconnect(3, now);
    net.disconnect(3, now); // already disconnected: nothing more
    assert_eq!(net.disconnect_count(3), 1);
    assert_eq!(net.state(3, now), ConnState::Disconnected);
    let events = poll(&mut net, now);
    assert!(
        matches!(&events[..], [NetEvent::Disconnected { node: 3, .. }]),
        "{events:?}"
    );
    assert!(!net.has_scripted());
}
