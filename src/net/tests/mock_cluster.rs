//! [`MioNetwork`] against librdkafka's mock cluster: a broker we did not write.

use super::{has_ready, poll_until, test_config};
use crate::net::{MioNetwork, NetEvent, Network};
use crate::protocol::messages::metadata::MetadataRequest;
use crate::protocol::{decode_response, encode_request};
use rdkafka::mocking::MockCluster;
use std::time::Instant;

#[test]
fn handshake_and_metadata_against_mock_cluster() {
    let cluster = MockCluster::new(1).unwrap();
    let servers = cluster.bootstrap_servers();
    let first = servers.split(',').next().unwrap();
    let (host, port) = first.rsplit_once(':').unwrap();
    let (mut net, _waker) = MioNetwork::new(&test_config()).unwrap();
    net.set_address(-1, host, port.parse().unwrap());
    net.connect(-1, Instant::now());
    let events = poll_until(&mut net, has_ready);
    assert_eq!(events, [NetEvent::Ready { node: -1 }]);

    let versions = net.api_versions(-1).unwrap();
    let version = versions.pick_version::<MetadataRequest>().unwrap();
    let frame =
        encode_request(&MetadataRequest::all_topics(), version, 0, Some("net-test")).unwrap();
    net.send(-1, frame).unwrap();
    let events = poll_until(&mut net, |e| !e.is_empty());
    let [NetEvent::Response {
        node: -1,
        correlation_id: 0,
        frame,
    }] = &events[..]
    else {
        panic!("{events:?}");
    };
    let (header, body) = decode_response::<MetadataRequest>(frame, version).unwrap();
    assert_eq!(header.correlation_id, 0);
    assert_eq!(body.brokers.len(), 1);
    assert_eq!(body.brokers[0].port.to_string(), port);
}
