//! [`FakeNetwork`]: a scripted [`Network`] test double for stepped sender tests.

use super::{ConnState, NetError, NetEvent, Network, NodeId};
use crate::protocol::header::{peek_correlation_id, RequestHeader};
use crate::protocol::messages::api_versions::{ApiVersion, ApiVersionsResponse};
use crate::protocol::{decode_request, encode_response, Request};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// A test double for [`Network`]: no sockets, no threads, no sleeping.
///
/// It records what the code under test does (connects, sent frames, poll
/// timeouts) and lets the test script what the network does. Scripted
/// happenings are queued and take effect when [`Network::poll`] delivers
/// them, as on a real network: after [`FakeNetwork::make_ready`] the node is
/// still connecting until the next poll reports [`NetEvent::Ready`]. `poll`
/// never blocks, whatever timeout it is given.
///
/// # Examples
///
/// ```
/// use kafka_sync::net::{ConnState, FakeNetwork, NetEvent, Network};
/// use std::time::Instant;
///
/// let now = Instant::now();
/// let mut net = FakeNetwork::new();
/// net.connect(1, now);
/// net.make_ready(1, FakeNetwork::broker_versions(&[(0, 3, 9), (3, 1, 12)]));
/// let mut events = Vec::new();
/// net.poll(None, now, &mut events).unwrap();
/// assert_eq!(events, [NetEvent::Ready { node: 1 }]);
/// assert_eq!(net.state(1, now), ConnState::Ready);
///
/// net.send(1, vec![0, 0, 0, 4, 0, 0, 0, 7]).unwrap();
/// assert_eq!(net.sent(1), [vec![0, 0, 0, 4, 0, 0, 0, 7]]);
/// net.respond(1, vec![0, 0, 0, 7, 42]);
/// events.clear();
/// net.poll(None, now, &mut events).unwrap();
/// assert!(matches!(&events[0], NetEvent::Response { correlation_id: 7, .. }));
/// ```
#[derive(Debug, Default)]
pub struct FakeNetwork {
    nodes: BTreeMap<NodeId, FakeNode>,
    script: VecDeque<Scripted>,
    backoff: Duration,
    auto_ready: Option<ApiVersionsResponse>,
    poll_timeouts: Vec<Option<Duration>>,
}

#[derive(Debug, Default)]
struct FakeNode {
    address: Option<(String, u16)>,
    state: FakeState,
    versions: Option<ApiVersionsResponse>,
    sent: Vec<Vec<u8>>,
    connects: usize,
    disconnects: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum FakeState {
    #[default]
    Disconnected,
    BackingOff(Instant),
    Connecting,
    Ready,
}

#[derive(Debug)]
enum Scripted {
    Ready(NodeId, ApiVersionsResponse),
    Fail(NodeId, String),
    /// A refused authentication: the node backs off.
    AuthFail(NodeId, String),
    /// Delivered as is; the state change (if any) already happened.
    Event(NetEvent),
}

impl Scripted {
    fn node(&self) -> NodeId {
        match self {
            Scripted::Ready(node, _) | Scripted::Fail(node, _) | Scripted::AuthFail(node, _) => {
                *node
            }
            Scripted::Event(
                NetEvent::Ready { node }
                | NetEvent::Response { node, .. }
                | NetEvent::Disconnected { node, .. }
                | NetEvent::AuthenticationFailed { node, .. },
            ) => *node,
        }
    }
}

impl FakeNetwork {
    /// A network where nothing is connected, connects never complete unless
    /// scripted, and failures back off for zero time.
    pub fn new() -> Self {
        Self::default()
    }

    /// An ApiVersions answer listing `(api_key, min_version, max_version)` ranges.
    pub fn broker_versions(ranges: &[(i16, i16, i16)]) -> ApiVersionsResponse {
        ApiVersionsResponse {
            api_keys: ranges
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

    /// Every later [`Network::connect`] succeeds by itself: the next poll
    /// reports the node ready with `versions`. `None` turns this off.
    pub fn set_auto_ready(&mut self, versions: Option<ApiVersionsResponse>) {
        self.auto_ready = versions;
    }

    /// How long a node backs off after a failure or disconnect (zero by default:
    /// it is disconnected and may connect again at once).
    pub fn set_reconnect_backoff(&mut self, backoff: Duration) {
        self.backoff = backoff;
    }

    /// Scripts a successful connect and handshake: the next poll reports
    /// [`NetEvent::Ready`] and the node becomes ready with `versions`.
    pub fn make_ready(&mut self, node: NodeId, versions: ApiVersionsResponse) {
        self.script.push_back(Scripted::Ready(node, versions));
    }

    /// Scripts a failed connect: the next poll reports
    /// [`NetEvent::Disconnected`] and the node backs off.
    pub fn fail_connect(&mut self, node: NodeId) {
        let reason = "connect failed (scripted)".to_owned();
        self.script.push_back(Scripted::Fail(node, reason));
    }

    /// Scripts a lost connection: after the events queued before it, the next
    /// poll reports [`NetEvent::Disconnected`] and the node backs off.
    pub fn drop_connection(&mut self, node: NodeId) {
        let reason = "connection dropped (scripted)".to_owned();
        self.script.push_back(Scripted::Fail(node, reason));
    }

    /// Scripts a refused authentication: the next poll reports
    /// [`NetEvent::AuthenticationFailed`] with `reason` and the node backs off.
    pub fn fail_authentication(&mut self, node: NodeId, reason: &str) {
        self.script
            .push_back(Scripted::AuthFail(node, reason.to_owned()));
    }

    /// Scripts a response frame (without size prefix, starting with the
    /// correlation id) arriving on `node`.
    ///
    /// # Panics
    ///
    /// If `frame` is shorter than a correlation id.
    pub fn respond(&mut self, node: NodeId, frame: Vec<u8>) {
        let correlation_id =
            peek_correlation_id(&frame).expect("frame starts with a correlation id");
        self.script.push_back(Scripted::Event(NetEvent::Response {
            node,
            correlation_id,
            frame,
        }));
    }

    /// Scripts the response `body` to a request of type `R` sent at `version`
    /// with `correlation_id`, encoded as a broker would.
    ///
    /// # Panics
    ///
    /// If `body` cannot be encoded at `version`.
    pub fn respond_with<R: Request>(
        &mut self,
        node: NodeId,
        version: i16,
        correlation_id: i32,
        body: &R::Response,
    ) {
        let mut frame =
            encode_response::<R>(body, version, correlation_id).expect("encodable response");
        frame.drain(..4);
        self.respond(node, frame);
    }

    /// Takes the frames (size prefix included) sent to `node` so far.
    pub fn sent(&mut self, node: NodeId) -> Vec<Vec<u8>> {
        self.nodes
            .get_mut(&node)
            .map(|n| std::mem::take(&mut n.sent))
            .unwrap_or_default()
    }

    /// Takes the frames sent to `node` so far, decoded as requests of type `R`.
    ///
    /// # Panics
    ///
    /// If a frame is not a valid `R` request.
    pub fn sent_requests<R: Request>(&mut self, node: NodeId) -> Vec<(RequestHeader, R)> {
        self.sent(node)
            .iter()
            .map(|f| decode_request::<R>(&f[4..]).expect("sent frame decodes as the request type"))
            .collect()
    }

    /// How many times [`Network::connect`] started a connection to `node`.
    pub fn connect_count(&self, node: NodeId) -> usize {
        self.nodes.get(&node).map_or(0, |n| n.connects)
    }

    /// How many times [`Network::disconnect`] closed a connection to `node`.
    pub fn disconnect_count(&self, node: NodeId) -> usize {
        self.nodes.get(&node).map_or(0, |n| n.disconnects)
    }

    /// The address last given for `node` with [`Network::set_address`].
    pub fn address(&self, node: NodeId) -> Option<(&str, u16)> {
        let (host, port) = self.nodes.get(&node)?.address.as_ref()?;
        Some((host, *port))
    }

    /// Takes the timeouts that [`Network::poll`] was called with, oldest first.
    pub fn poll_timeouts(&mut self) -> Vec<Option<Duration>> {
        std::mem::take(&mut self.poll_timeouts)
    }

    /// Whether scripted happenings wait for the next poll.
    pub fn has_scripted(&self) -> bool {
        !self.script.is_empty()
    }

    /// Puts `node` in its post-failure state (backing off from `now`).
    fn reset(&mut self, node: NodeId, now: Instant) {
        let backoff = self.backoff;
        let n = self.nodes.entry(node).or_default();
        n.state = if backoff.is_zero() {
            FakeState::Disconnected
        } else {
            FakeState::BackingOff(crate::clock::saturating_add(now, backoff))
        };
    }
}

impl Network for FakeNetwork {
    fn set_address(&mut self, node: NodeId, host: &str, port: u16) {
        self.nodes.entry(node).or_default().address = Some((host.to_owned(), port));
    }

    fn state(&self, node: NodeId, now: Instant) -> ConnState {
        match self
            .nodes
            .get(&node)
            .map_or(FakeState::Disconnected, |n| n.state)
        {
            FakeState::Disconnected => ConnState::Disconnected,
            FakeState::BackingOff(until) if now < until => ConnState::BackingOff { until },
            FakeState::BackingOff(_) => ConnState::Disconnected,
            FakeState::Connecting => ConnState::Connecting,
            FakeState::Ready => ConnState::Ready,
        }
    }

    fn connect(&mut self, node: NodeId, now: Instant) {
        if self.state(node, now) != ConnState::Disconnected {
            return;
        }
        let n = self.nodes.entry(node).or_default();
        n.state = FakeState::Connecting;
        n.connects += 1;
        if let Some(versions) = &self.auto_ready {
            self.script
                .push_back(Scripted::Ready(node, versions.clone()));
        }
    }

    fn api_versions(&self, node: NodeId) -> Option<&ApiVersionsResponse> {
        self.nodes.get(&node)?.versions.as_ref()
    }

    fn send(&mut self, node: NodeId, frame: Vec<u8>) -> Result<(), NetError> {
        match self.nodes.get_mut(&node) {
            Some(n) if n.state == FakeState::Ready => {
                n.sent.push(frame);
                Ok(())
            }
            _ => Err(NetError::NotReady),
        }
    }

    /// Like the real network: scripted happenings not yet delivered for
    /// `node` are lost, and the next poll reports the disconnection.
    fn disconnect(&mut self, node: NodeId, now: Instant) {
        let connected = matches!(
            self.nodes.get(&node).map(|n| n.state),
            Some(FakeState::Connecting | FakeState::Ready)
        );
        if !connected {
            return;
        }
        self.script.retain(|s| s.node() != node);
        self.reset(node, now);
        self.nodes.entry(node).or_default().disconnects += 1;
        let reason = "disconnected by client".to_owned();
        self.script
            .push_back(Scripted::Event(NetEvent::Disconnected { node, reason }));
    }

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        now: Instant,
        events: &mut Vec<NetEvent>,
    ) -> std::io::Result<()> {
        self.poll_timeouts.push(timeout);
        while let Some(s) = self.script.pop_front() {
            let event = match s {
                Scripted::Ready(node, versions) => {
                    let n = self.nodes.entry(node).or_default();
                    n.state = FakeState::Ready;
                    n.versions = Some(versions);
                    NetEvent::Ready { node }
                }
                Scripted::Fail(node, reason) => {
                    self.reset(node, now);
                    NetEvent::Disconnected { node, reason }
                }
                Scripted::AuthFail(node, reason) => {
                    self.reset(node, now);
                    NetEvent::AuthenticationFailed { node, reason }
                }
                Scripted::Event(e) => e,
            };
            events.push(event);
        }
        Ok(())
    }
}
