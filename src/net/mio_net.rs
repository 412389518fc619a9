//! [`MioNetwork`]: the real [`Network`], one `mio::Poll` over all broker sockets.
//!
//! # Implementation notes
//!
//! - Every connection gets a fresh poll token, so a late event for a closed
//!   connection cannot be mistaken for one of its successor.
//! - Failures found while handling events are stamped with the caller's
//!   `now` plus the real time spent inside `poll`, so that backoff after a
//!   long wait is measured from when the failure was seen.
//! - Failures of writes started by [`Network::send`] (which has no clock) are
//!   remembered and reported by the next poll.
//! - Host names are resolved on resolver threads (`dns_threads`); a node
//!   waits in `Resolving` and its answer, polled like an event, starts the
//!   connect. A node has at most one lookup outstanding: an attempt that
//!   times out while resolving leaves its lookup running, and the next
//!   attempt waits for that one instead of queueing another behind it; an
//!   answer that arrives while the node is not resolving is dropped.
//! - The resolved addresses are tried in turn, one per attempt; a failure
//!   before the handshake completes moves on to the next address, and once
//!   all were tried (or a ready connection is lost) the host is resolved
//!   again. IP literals are used as they are, without a thread (unless they
//!   are bootstrap servers to canonicalize).
//! - An attempt's setup deadline (`socket.connection.setup.timeout.ms`)
//!   doubles with each consecutive failed attempt of the node, up to
//!   `socket.connection.setup.timeout.max.ms`, with ±20% jitter (the
//!   reconnect [`Backoff`]); losing a ready connection starts it again. It
//!   bounds resolving, connecting, TLS and SASL. As in the Java client, the
//!   ApiVersions exchange is a request bounded by `request.timeout.ms`
//!   instead (each request of it, from when it is written), and its time
//!   does not count against the setup deadline: SASL, which comes after it
//!   here (before it in Java), gets the setup deadline moved by that time.
//! - `connections.max.idle.ms`: `send` only marks a node as active (it has
//!   no clock); the next poll stamps it, and so does every socket event. A
//!   ready connection is idle when nothing is left to write or half read,
//!   no SASL exchange is going on, and every request written has been
//!   answered: the network counts the requests written (but Produce with
//!   `acks=0`, which brokers do not answer) and the responses read. An idle
//!   connection past the limit is closed (reported as
//!   [`NetEvent::Disconnected`], without backoff) and opened again on the
//!   next `connect`.

use super::auth::Authenticator;
use super::backoff::Backoff;
use super::connection::{connect_finished, start_connect, Connection, SocketOptions};
use super::dns_threads::{Answer, DnsThreads, Pending};
use super::tls::TlsConnector;
use super::{ConnState, NetError, NetEvent, Network, NodeId, Resolver, Segment};
use crate::clock::saturating_add;
use crate::config::{ClientDnsLookup, ProducerConfig};
use crate::log_context::LogContext;
use crate::protocol::encode_request;
use crate::protocol::header::peek_correlation_id;
use crate::protocol::messages::api_versions::{
    decode_api_versions_response, fallback_version, ApiVersionsRequest, ApiVersionsResponse,
};
use crate::protocol::Reader;
use crate::sasl::SaslCredentials;
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest response frame accepted (100 MiB); a bigger size prefix is taken
/// as a corrupt or hostile peer and closes the connection.
pub const MAX_RESPONSE_SIZE: usize = 100 * 1024 * 1024;

/// ApiVersions version tried first on every connection.
const HANDSHAKE_VERSION: i16 = 4;
/// KIP-511 client software name and version.
pub(crate) const CLIENT_SOFTWARE_NAME: &str = "kafka-sync";
pub(crate) const CLIENT_SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// ApiVersions error code for a version the broker does not support.
const UNSUPPORTED_VERSION: i16 = 35;

const WAKER_TOKEN: Token = Token(0);

#[path = "mio_secure.rs"]
mod secure;

/// Where a node's connection stands. A connection exists exactly in
/// `Connecting`, `Handshaking` and `Ready`; the setup deadline
/// (`socket.connection.setup.timeout.ms`) covers resolving, connecting, TLS
/// and SASL; ApiVersions has `Node::api_deadline` (`request.timeout.ms`).
#[derive(Debug, Clone, Copy, Default)]
enum Phase {
    #[default]
    Idle,
    BackingOff(Instant),
    Resolving {
        deadline: Instant,
    },
    Connecting {
        deadline: Instant,
    },
    /// TLS handshake (rustls), before ApiVersions.
    TlsHandshaking {
        deadline: Instant,
    },
    Handshaking {
        deadline: Instant,
        version: i16,
        correlation_id: i32,
    },
    /// SASL, after ApiVersions (the exchange is `Node::auth`).
    Authenticating {
        deadline: Instant,
    },
    Ready,
}

#[derive(Debug, Default)]
struct Node {
    address: Option<(String, u16)>,
    phase: Phase,
    conn: Option<Connection>,
    /// A write error seen by `send`, reported by the next poll.
    broken: Option<String>,
    /// Consecutive failed attempts (reset by a successful handshake).
    failures: u32,
    /// The addresses of `address`, tried in turn from `next_addr`.
    resolved: Vec<SocketAddr>,
    next_addr: usize,
    /// The lookup of `address` not answered yet.
    lookup: Option<Pending>,
    versions: Option<ApiVersionsResponse>,
    /// The SASL exchange going on (while `Authenticating`, or a
    /// re-authentication while `Ready`).
    auth: Option<Authenticator>,
    /// When a ready connection must authenticate again (KIP-368).
    reauth_at: Option<Instant>,
    /// Frames the sender wrote during a re-authentication: they go out once
    /// it completes.
    held: Vec<Segment>,
    /// Consecutive failed attempts since the node was last ready: the
    /// setup deadline grows with them.
    setup_failures: u32,
    /// The sender wrote to the connection since the last poll.
    touched: bool,
    /// The last traffic on the ready connection (a socket event or a write).
    last_active: Option<Instant>,
    /// Requests written to the connection and not answered yet (Produce
    /// with `acks=0` is not counted: brokers do not answer it).
    awaiting: usize,
    /// When the first ApiVersions request of the attempt was written.
    handshake_started: Option<Instant>,
    /// When the ApiVersions request in flight times out
    /// (`request.timeout.ms` after it was written).
    api_deadline: Option<Instant>,
}

/// The real network: non-blocking sockets multiplexed with `mio`.
///
/// Resolving, connect, TLS and SASL together must finish within the
/// connection setup timeout: `socket.connection.setup.timeout.ms`, doubled
/// per consecutive failed attempt of the node up to
/// `socket.connection.setup.timeout.max.ms`, with ±20% jitter; the
/// ApiVersions exchange in between gets `request.timeout.ms`. A ready
/// connection with nothing in flight and no traffic for
/// `connections.max.idle.ms` is closed. Host names are resolved on resolver
/// threads (`client.dns.lookup`), never on the polling thread. Failed
/// attempts back off exponentially from `reconnect.backoff.ms` to
/// `reconnect.backoff.max.ms` with ±20% jitter.
#[derive(Debug)]
pub struct MioNetwork {
    poll: Poll,
    events: Events,
    nodes: HashMap<NodeId, Node>,
    tokens: HashMap<Token, NodeId>,
    next_token: usize,
    backoff: Backoff,
    options: SocketOptions,
    client_id: String,
    /// The connection setup deadline after n failed attempts.
    setup: Backoff,
    /// `connections.max.idle.ms`.
    max_idle: Option<Duration>,
    /// `request.timeout.ms`, for the ApiVersions exchange.
    request_timeout: Duration,
    /// The `now` of the socket event being handled.
    event_now: Instant,
    max_response_size: usize,
    next_internal_id: i32,
    /// Events not yet handed out by `poll`.
    pending: Vec<NetEvent>,
    /// Scratch buffers reused across polls.
    frames: Vec<Vec<u8>>,
    ready: Vec<(Token, bool, bool)>,
    dns: DnsThreads,
    dns_lookup: ClientDnsLookup,
    /// TLS for every connection (`SSL`, `SASL_SSL`).
    tls: Option<TlsConnector>,
    /// SASL for every connection (`SASL_PLAINTEXT`, `SASL_SSL`).
    sasl: Option<SaslCredentials>,
    /// The producer's log prefix (`[Producer clientId=...] `).
    log: LogContext,
}

impl MioNetwork {
    /// Bytes queued and not yet written on `node` (tests of partial writes).
    #[cfg(test)]
    pub(crate) fn pending_bytes(&self, node: NodeId) -> usize {
        let conn = self.nodes.get(&node).and_then(|n| n.conn.as_ref());
        conn.map_or(0, Connection::pending_bytes)
    }

    /// A network without connections, and the waker that makes a blocked
    /// [`Network::poll`] return early (from any thread).
    ///
    /// # Notes
    ///
    /// The network keeps a reference to the waker (its resolver threads
    /// wake the poll with it), so it stays open while the network lives.
    /// Host names are resolved with [`Resolver::system`].
    pub fn new(config: &ProducerConfig) -> io::Result<(MioNetwork, Arc<Waker>)> {
        Self::with_resolver(config, Resolver::system())
    }

    /// Like [`MioNetwork::new`], resolving host names with `resolver`. Its
    /// functions run on the network's resolver threads
    /// (`kafka-sync-dns-<client.id>`, started when a host name is first
    /// resolved, at most a few, ending when the network is dropped).
    pub fn with_resolver(
        config: &ProducerConfig,
        resolver: Resolver,
    ) -> io::Result<(MioNetwork, Arc<Waker>)> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER_TOKEN)?);
        // The ConfigError rides inside the io::Error: the producer hands it
        // to the caller as a configuration error naming the property.
        let invalid =
            |e: crate::config::ConfigError| io::Error::new(io::ErrorKind::InvalidInput, e);
        let log = config.log_context();
        let tls = if config.security_protocol.uses_tls() {
            Some(TlsConnector::new(&config.tls, &log).map_err(invalid)?)
        } else {
            None
        };
        let sasl = if config.security_protocol.uses_sasl() {
            Some(crate::config::sasl_credentials(&config.sasl).map_err(invalid)?)
        } else {
            None
        };
        let dns = DnsThreads::new(resolver, waker.clone(), &config.client_id, log.clone());
        let net = MioNetwork {
            poll,
            events: Events::with_capacity(256),
            nodes: HashMap::new(),
            tokens: HashMap::new(),
            next_token: 1,
            backoff: Backoff::new(config.reconnect_backoff, config.reconnect_backoff_max),
            options: SocketOptions {
                send_buffer: config.send_buffer_bytes,
                receive_buffer: config.receive_buffer_bytes,
            },
            client_id: config.client_id.clone(),
            setup: Backoff::new(
                config.socket_connection_setup_timeout,
                config.socket_connection_setup_timeout_max,
            ),
            max_idle: config.connections_max_idle,
            request_timeout: config.request_timeout,
            event_now: Instant::now(),
            max_response_size: MAX_RESPONSE_SIZE,
            next_internal_id: -1,
            pending: Vec::new(),
            frames: Vec::new(),
            ready: Vec::new(),
            dns,
            dns_lookup: config.client_dns_lookup,
            tls,
            sasl,
            log,
        };
        Ok((net, waker))
    }

    /// The setup deadline of `node`'s connection attempt, while it is
    /// being set up.
    #[cfg(test)]
    pub(crate) fn setup_deadline(&self, node: NodeId) -> Option<Instant> {
        match self.nodes.get(&node)?.phase {
            Phase::Resolving { deadline }
            | Phase::Connecting { deadline }
            | Phase::TlsHandshaking { deadline }
            | Phase::Handshaking { deadline, .. }
            | Phase::Authenticating { deadline } => Some(deadline),
            _ => None,
        }
    }

    /// Whether `node`'s connection is in the ApiVersions exchange.
    #[cfg(test)]
    pub(crate) fn in_api_versions(&self, node: NodeId) -> bool {
        let phase = self.nodes.get(&node).map(|n| n.phase);
        matches!(phase, Some(Phase::Handshaking { .. }))
    }

    /// Whether `node` is a bootstrap server to resolve through canonical names.
    fn canonical(&self, node: NodeId) -> bool {
        node < 0 && self.dns_lookup == ClientDnsLookup::ResolveCanonicalBootstrapServersOnly
    }

    /// Starts an attempt that must be set up by `deadline`: a connect to the
    /// next untried address, or else a lookup (`Resolving`).
    fn start(&mut self, node: NodeId, deadline: Instant) -> Result<(), String> {
        let canonical = self.canonical(node);
        let n = self.nodes.entry(node).or_default();
        let (host, port) = n.address.clone().ok_or("no address known for node")?;
        if n.next_addr >= n.resolved.len() && !canonical {
            if let Ok(ip) = host.parse::<IpAddr>() {
                (n.resolved, n.next_addr) = (vec![SocketAddr::new(ip, port)], 0);
            }
        }
        if let Some(&addr) = n.resolved.get(n.next_addr) {
            n.next_addr += 1;
            return self.open(node, addr, deadline);
        }
        n.phase = Phase::Resolving { deadline };
        if n.lookup.is_none() {
            log::trace!("{}node {node}: resolving {host}:{port}", self.log);
            n.lookup = Some(self.dns.submit(node, &host, port, canonical));
        }
        Ok(())
    }

    /// Handles the answer to a lookup.
    fn on_answer(&mut self, answer: Answer, now: Instant) {
        let node = answer.node;
        let Some(n) = self.nodes.get_mut(&node) else {
            return;
        };
        if n.lookup.as_ref().map(|l| l.ticket) != Some(answer.ticket) {
            return; // asked for an address the node no longer has
        }
        n.lookup = None;
        let Phase::Resolving { deadline } = n.phase else {
            log::trace!("{}node {node}: late lookup answer dropped", self.log);
            return;
        };
        match answer.result {
            Ok(addrs) => {
                log::trace!("{}node {node}: resolved to {addrs:?}", self.log);
                (n.resolved, n.next_addr) = (addrs, 0);
                if let Err(reason) = self.start(node, deadline) {
                    self.fail(node, reason, now);
                }
            }
            Err(reason) => self.fail(node, reason, now),
        }
    }

    fn open(&mut self, node: NodeId, addr: SocketAddr, deadline: Instant) -> Result<(), String> {
        let mut stream = start_connect(addr, self.options)
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let token = Token(self.next_token);
        self.next_token += 1;
        self.poll
            .registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| format!("cannot register socket: {e}"))?;
        log::debug!(
            "{}Initiating connection to node {node} using address {addr}",
            self.log
        );
        self.tokens.insert(token, node);
        let n = self.nodes.entry(node).or_default();
        n.conn = Some(Connection::new(stream, token));
        n.phase = Phase::Connecting { deadline };
        Ok(())
    }

    /// Closes the node's connection, starts backing off and reports the
    /// disconnection: logged at `info` for an established connection, at
    /// `warn` for an attempt that failed.
    fn fail(&mut self, node: NodeId, reason: String, now: Instant) {
        let (established, delay) = self.close(node, now);
        let at = self.where_is(node);
        if established {
            log::info!("{}{at} disconnected: {reason}", self.log);
        } else {
            log::warn!(
                "{}Connection to {at} could not be established: {reason}; \
                 retrying in {} ms",
                self.log,
                delay.as_millis()
            );
        }
        self.pending.push(NetEvent::Disconnected { node, reason });
    }

    /// Closes the node's connection and starts backing off: whether the
    /// connection was established (ready), and the backoff.
    pub(super) fn close(&mut self, node: NodeId, now: Instant) -> (bool, Duration) {
        let n = self.nodes.entry(node).or_default();
        let established = matches!(n.phase, Phase::Ready);
        if let Some(mut conn) = n.conn.take() {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.tokens.remove(&conn.token);
        }
        n.broken = None;
        n.auth = None;
        n.reauth_at = None;
        n.held.clear();
        (n.touched, n.last_active, n.awaiting) = (false, None, 0);
        (n.handshake_started, n.api_deadline) = (None, None);
        if matches!(n.phase, Phase::Ready) {
            // The broker may have moved: resolve again.
            (n.resolved, n.next_addr) = (Vec::new(), 0);
            n.setup_failures = 0;
        } else {
            n.setup_failures = n.setup_failures.saturating_add(1);
        }
        let delay = self.backoff.delay(n.failures);
        n.failures = n.failures.saturating_add(1);
        n.phase = Phase::BackingOff(saturating_add(now, delay));
        (established, delay)
    }

    /// Closes a ready connection that was idle for `connections.max.idle.ms`
    /// and reports it; the node can connect again at once (no backoff).
    fn close_idle(&mut self, node: NodeId, idle: Duration) {
        let n = self.nodes.get_mut(&node).expect("idle node");
        if let Some(mut conn) = n.conn.take() {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.tokens.remove(&conn.token);
        }
        n.phase = Phase::Idle;
        (n.touched, n.last_active, n.awaiting) = (false, None, 0);
        (n.resolved, n.next_addr) = (Vec::new(), 0);
        n.setup_failures = 0;
        let reason = format!(
            "idle for {} ms (connections.max.idle.ms): closed",
            idle.as_millis()
        );
        log::debug!("{}{}: {reason}", self.log, self.where_is(node));
        self.pending.push(NetEvent::Disconnected { node, reason });
    }

    /// When the node's ready connection becomes idle past
    /// `connections.max.idle.ms`, if it is idle now (nothing in flight).
    fn idle_deadline(&self, n: &Node) -> Option<Instant> {
        let max_idle = self.max_idle?;
        let conn = n.conn.as_ref()?;
        let quiet = matches!(n.phase, Phase::Ready)
            && n.auth.is_none()
            && n.held.is_empty()
            && n.broken.is_none()
            && !n.touched
            && n.awaiting == 0
            && conn.pending_bytes() == 0
            && !conn.has_partial_frame();
        quiet.then(|| n.last_active.map(|t| saturating_add(t, max_idle)))?
    }

    /// A correlation id for internal requests: negative, never colliding
    /// with the sender's non-negative ids.
    fn internal_id(&mut self) -> i32 {
        let id = self.next_internal_id;
        self.next_internal_id = if id == i32::MIN { -1 } else { id - 1 };
        id
    }

    /// Queues an ApiVersions request at `version` and moves to `Handshaking`.
    fn send_api_versions(
        &mut self,
        node: NodeId,
        version: i16,
        deadline: Instant,
    ) -> io::Result<()> {
        let correlation_id = self.internal_id();
        let req = ApiVersionsRequest {
            client_software_name: CLIENT_SOFTWARE_NAME.into(),
            client_software_version: CLIENT_SOFTWARE_VERSION.into(),
        };
        let frame = encode_request(&req, version, correlation_id, Some(&self.client_id))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let now = self.event_now;
        let api_deadline = saturating_add(now, self.request_timeout);
        let n = self.nodes.get_mut(&node).expect("node with a connection");
        n.phase = Phase::Handshaking {
            deadline,
            version,
            correlation_id,
        };
        n.handshake_started.get_or_insert(now);
        n.api_deadline = Some(api_deadline);
        let conn = n.conn.as_mut().expect("handshaking node has a connection");
        conn.queue(frame);
        conn.flush()
    }

    /// Handles one response frame of `node`.
    fn on_frame(&mut self, node: NodeId, frame: Vec<u8>, now: Instant) {
        let phase = self.nodes.get(&node).map(|n| n.phase);
        let auth_id = self
            .nodes
            .get(&node)
            .and_then(|n| n.auth.as_ref())
            .map(Authenticator::waiting_for);
        if let Some(id) = auth_id {
            let authenticating = matches!(phase, Some(Phase::Authenticating { .. }));
            if authenticating || peek_correlation_id(&frame).ok() == Some(id) {
                if peek_correlation_id(&frame).ok() != Some(id) {
                    let reason = "SASL answer with a wrong correlation id".to_owned();
                    return self.fail(node, reason, now);
                }
                return self.on_auth_frame(node, &frame, now);
            }
        }
        let Some(Phase::Handshaking {
            deadline,
            version,
            correlation_id,
        }) = phase
        else {
            match peek_correlation_id(&frame) {
                Ok(correlation_id) => {
                    if correlation_id >= 0 {
                        let n = self.nodes.get_mut(&node).expect("node with a frame");
                        n.awaiting = n.awaiting.saturating_sub(1);
                    }
                    self.pending.push(NetEvent::Response {
                        node,
                        correlation_id,
                        frame,
                    })
                }
                Err(_) => self.fail(node, "response frame too short".into(), now),
            }
            return;
        };
        let resp = match decode_api_versions_response(&frame, version) {
            Ok((c, _)) if c != correlation_id => {
                let reason = format!("ApiVersions answered with correlation id {c}");
                return self.fail(node, reason, now);
            }
            Ok((_, resp)) => resp,
            Err(e) => return self.fail(node, format!("bad ApiVersions response: {e}"), now),
        };
        if resp.error_code == UNSUPPORTED_VERSION && version > 0 {
            let retry = fallback_version(&resp, version);
            log::debug!(
                "{}node {node}: ApiVersions v{version} unsupported, retrying v{retry}",
                self.log
            );
            if let Err(e) = self.send_api_versions(node, retry, deadline) {
                self.fail(node, format!("write failed: {e}"), now);
            }
        } else if resp.error_code != 0 {
            let reason = format!(
                "ApiVersions v{version} failed with error {}",
                resp.error_code
            );
            self.fail(node, reason, now);
        } else {
            log::trace!("{}node {node}: ApiVersions v{version} answered", self.log);
            // The exchange's time does not count against the setup deadline.
            let n = self.nodes.get_mut(&node).expect("handshaking node");
            let started = n.handshake_started.take().unwrap_or(now);
            n.api_deadline = None;
            let deadline = saturating_add(deadline, now.saturating_duration_since(started));
            self.negotiated(node, resp, deadline, now);
        }
    }

    /// Handles readiness of the connection behind `token`.
    fn on_ready(&mut self, token: Token, readable: bool, writable: bool, now: Instant) {
        let Some(&node) = self.tokens.get(&token) else {
            return; // a connection closed earlier in this poll
        };
        self.event_now = now;
        let n = self.nodes.get_mut(&node).expect("registered node");
        n.last_active = Some(now);
        let conn = n.conn.as_mut().expect("registered connection");
        if let Phase::Connecting { deadline } = n.phase {
            match connect_finished(&conn.stream) {
                Ok(false) => return,
                Ok(true) => {
                    self.connected(node, deadline, now);
                    if !self.tokens.contains_key(&token) {
                        return;
                    }
                }
                Err(e) => return self.fail(node, format!("connect failed: {e}"), now),
            }
        }
        let is_tls = self
            .nodes
            .get(&node)
            .and_then(|n| n.conn.as_ref())
            .is_some_and(|c| c.tls.is_some());
        if readable {
            let mut frames = std::mem::take(&mut self.frames);
            let conn = self.nodes.get_mut(&node).and_then(|n| n.conn.as_mut());
            let result = conn
                .expect("connected")
                .read_frames(self.max_response_size, &mut frames);
            for frame in frames.drain(..) {
                if self.tokens.contains_key(&token) {
                    self.on_frame(node, frame, now);
                }
            }
            self.frames = frames;
            if !self.tokens.contains_key(&token) {
                return;
            }
            match result {
                Ok(true) => {}
                Ok(false) => {
                    let e = io::Error::from(io::ErrorKind::UnexpectedEof);
                    let tls = self
                        .nodes
                        .get(&node)
                        .is_some_and(|n| matches!(n.phase, Phase::TlsHandshaking { .. }));
                    if tls {
                        return self.fail_io(node, "closed", e, now);
                    }
                    return self.fail(node, "connection closed by peer".into(), now);
                }
                Err(e) => return self.fail_io(node, "read", e, now),
            }
        }
        // TLS may have records to write after a read (handshake, alerts).
        if writable || is_tls {
            let conn = self.nodes.get_mut(&node).and_then(|n| n.conn.as_mut());
            if let Err(e) = conn.expect("connected").flush() {
                return self.fail_io(node, "write", e, now);
            }
        }
        let n = self.nodes.get(&node).expect("registered node");
        if let (Phase::TlsHandshaking { deadline }, Some(conn)) = (n.phase, n.conn.as_ref()) {
            if !conn.tls_handshaking() {
                log::trace!("{}node {node}: TLS handshake done", self.log);
                if let Err(e) = self.send_api_versions(node, HANDSHAKE_VERSION, deadline) {
                    self.fail_io(node, "write", e, now);
                }
            }
        }
    }

    /// Reports deferred write errors and connections past their setup deadline.
    fn expire(&mut self, now: Instant) {
        let mut failed = Vec::new();
        let mut reauth = Vec::new();
        let mut idle = Vec::new();
        for n in self.nodes.values_mut() {
            if std::mem::take(&mut n.touched) {
                n.last_active = Some(now);
            }
        }
        for (&node, n) in &self.nodes {
            if self.idle_deadline(n).is_some_and(|t| t <= now) {
                idle.push(node);
                continue;
            }
            if let Some(reason) = &n.broken {
                failed.push((node, reason.clone()));
                continue;
            }
            match n.phase {
                Phase::Resolving { deadline } if deadline <= now => {
                    let (host, port) = n.address.as_ref().map_or(("?", 0), |(h, p)| (h, *p));
                    let reason = format!("cannot resolve {host}:{port}: timed out");
                    failed.push((node, reason));
                }
                Phase::Handshaking { deadline, .. }
                    if n.api_deadline.unwrap_or(deadline) <= now =>
                {
                    let reason = "ApiVersions handshake timed out (request.timeout.ms)";
                    failed.push((node, reason.to_owned()));
                }
                Phase::Connecting { deadline }
                | Phase::TlsHandshaking { deadline }
                | Phase::Authenticating { deadline }
                    if deadline <= now =>
                {
                    let what = match n.phase {
                        Phase::Connecting { .. } => "connect",
                        Phase::TlsHandshaking { .. } => "TLS handshake",
                        _ => "SASL authentication",
                    };
                    failed.push((node, format!("{what} timed out")));
                }
                Phase::Ready if n.auth.is_none() && n.reauth_at.is_some_and(|t| t <= now) => {
                    reauth.push(node);
                }
                _ => {}
            }
        }
        for (node, reason) in failed {
            self.fail(node, reason, now);
        }
        if let Some(max_idle) = self.max_idle {
            for node in idle {
                self.close_idle(node, max_idle);
            }
        }
        for node in reauth {
            log::debug!(
                "{}node {node}: re-authenticating before the session ends",
                self.log
            );
            if let Some(n) = self.nodes.get_mut(&node) {
                n.reauth_at = None;
            }
            self.authenticate(node, now);
        }
    }

    /// The earliest resolve/connect/handshake deadline, re-authentication
    /// or idle connection closing, if any.
    fn next_deadline(&self) -> Option<Instant> {
        self.nodes
            .values()
            .filter_map(|n| match n.phase {
                Phase::Handshaking { deadline, .. } => Some(n.api_deadline.unwrap_or(deadline)),
                Phase::Resolving { deadline }
                | Phase::Connecting { deadline }
                | Phase::TlsHandshaking { deadline }
                | Phase::Authenticating { deadline } => Some(deadline),
                Phase::Ready if n.auth.is_none() => [n.reauth_at, self.idle_deadline(n)]
                    .into_iter()
                    .flatten()
                    .min(),
                _ => None,
            })
            .min()
    }

    /// Handles every lookup answer that has arrived.
    fn take_answers(&mut self, now: Instant) {
        while let Some(answer) = self.dns.try_answer() {
            self.on_answer(answer, now);
        }
    }
}

impl Network for MioNetwork {
    fn set_address(&mut self, node: NodeId, host: &str, port: u16) {
        let n = self.nodes.entry(node).or_default();
        if n.address
            .as_ref()
            .is_some_and(|(h, p)| h == host && *p == port)
        {
            return;
        }
        n.address = Some((host.to_owned(), port));
        (n.resolved, n.next_addr) = (Vec::new(), 0);
        if let Some(lookup) = n.lookup.take() {
            lookup.cancel();
        }
        if let Phase::Resolving { deadline } = n.phase {
            // Resolve the new address instead, within the same deadline; a
            // failure to start is reported by the next poll.
            if let Err(reason) = self.start(node, deadline) {
                self.nodes.entry(node).or_default().broken = Some(reason);
            }
        }
    }

    fn state(&self, node: NodeId, now: Instant) -> ConnState {
        match self.nodes.get(&node).map(|n| n.phase) {
            None | Some(Phase::Idle) => ConnState::Disconnected,
            Some(Phase::BackingOff(until)) if now < until => ConnState::BackingOff { until },
            Some(Phase::BackingOff(_)) => ConnState::Disconnected,
            Some(
                Phase::Resolving { .. }
                | Phase::Connecting { .. }
                | Phase::TlsHandshaking { .. }
                | Phase::Handshaking { .. }
                | Phase::Authenticating { .. },
            ) => ConnState::Connecting,
            Some(Phase::Ready) => ConnState::Ready,
        }
    }

    fn connect(&mut self, node: NodeId, now: Instant) {
        if self.state(node, now) != ConnState::Disconnected {
            return;
        }
        let failures = self.nodes.get(&node).map_or(0, |n| n.setup_failures);
        let timeout = self.setup.delay(failures);
        if let Err(reason) = self.start(node, saturating_add(now, timeout)) {
            self.fail(node, reason, now);
        }
    }

    fn api_versions(&self, node: NodeId) -> Option<&ApiVersionsResponse> {
        self.nodes.get(&node)?.versions.as_ref()
    }

    fn send(&mut self, node: NodeId, frame: Vec<u8>) -> Result<(), NetError> {
        let Some(n) = self.nodes.get_mut(&node) else {
            return Err(NetError::NotReady);
        };
        let (Phase::Ready, Some(conn)) = (n.phase, n.conn.as_mut()) else {
            return Err(NetError::NotReady);
        };
        n.touched = true;
        n.awaiting += usize::from(awaits_answer(&frame));
        if n.auth.is_some() {
            n.held.push(Segment::Owned(frame));
            return Ok(());
        }
        conn.queue(frame);
        if n.broken.is_none() {
            if let Err(e) = conn.flush() {
                n.broken = Some(format!("write failed: {e}"));
            }
        }
        Ok(())
    }

    fn send_segments(&mut self, node: NodeId, segments: Vec<Segment>) -> Result<(), NetError> {
        let ready = self
            .nodes
            .get(&node)
            .is_some_and(|n| matches!(n.phase, Phase::Ready) && n.conn.is_some());
        if !ready {
            return Err(NetError::NotReady);
        }
        let n = self.nodes.get_mut(&node).expect("checked");
        n.touched = true;
        let head = segments.first().map_or(&[][..], Segment::as_slice);
        n.awaiting += usize::from(awaits_answer(head));
        if n.auth.is_some() {
            n.held.extend(segments);
            return Ok(());
        }
        let conn = n.conn.as_mut().expect("checked");
        for segment in segments {
            conn.queue_segment(segment);
        }
        if n.broken.is_none() {
            if let Err(e) = conn.flush() {
                n.broken = Some(format!("write failed: {e}"));
            }
        }
        Ok(())
    }

    fn disconnect(&mut self, node: NodeId, now: Instant) {
        let connecting = |n: &Node| n.conn.is_some() || matches!(n.phase, Phase::Resolving { .. });
        if self.nodes.get(&node).is_some_and(connecting) {
            // The sender logged why.
            self.close(node, now);
            let reason = "disconnected by client".to_owned();
            log::debug!("{}{}: {reason}", self.log, self.where_is(node));
            self.pending.push(NetEvent::Disconnected { node, reason });
        }
    }

    fn poll(
        &mut self,
        timeout: Option<Duration>,
        now: Instant,
        events: &mut Vec<NetEvent>,
    ) -> io::Result<()> {
        let started = Instant::now();
        self.expire(now);
        self.take_answers(now);
        let timeout = if self.pending.is_empty() {
            match (timeout, self.next_deadline()) {
                (t, None) => t,
                (None, Some(d)) => Some(d.saturating_duration_since(now)),
                (Some(t), Some(d)) => Some(t.min(d.saturating_duration_since(now))),
            }
        } else {
            Some(Duration::ZERO)
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.events.clear(),
            Err(e) => return Err(e),
        }
        let now = saturating_add(now, started.elapsed());
        let mut ready = std::mem::take(&mut self.ready);
        ready.extend(
            self.events
                .iter()
                .filter(|e| e.token() != WAKER_TOKEN)
                .map(|e| {
                    let readable = e.is_readable() || e.is_read_closed() || e.is_error();
                    let writable = e.is_writable() || e.is_write_closed() || e.is_error();
                    (e.token(), readable, writable)
                }),
        );
        for (token, readable, writable) in ready.drain(..) {
            self.on_ready(token, readable, writable, now);
        }
        self.ready = ready;
        self.take_answers(now);
        events.append(&mut self.pending);
        Ok(())
    }
}

/// Whether the broker answers the request whose frame (size prefix first)
/// starts with `head`: every request but Produce with `acks=0`. A head too
/// short to tell counts as answered (which can only keep a connection open).
pub(super) fn awaits_answer(head: &[u8]) -> bool {
    produce_acks(head) != Some(0)
}

/// The `acks` of a Produce request frame (request header v1 or v2, then
/// `transactional_id` from v3 on, then `acks`); `None` for other requests.
fn produce_acks(head: &[u8]) -> Option<i16> {
    use crate::protocol::messages::produce::API_KEY as PRODUCE;
    let mut r = Reader::new(head.get(4..)?);
    if r.i16().ok()? != PRODUCE {
        return None;
    }
    let version = r.i16().ok()?;
    let flexible = version >= 9;
    r.i32().ok()?; // correlation id
    let client_id = r.i16().ok()?;
    r.take(usize::try_from(client_id).unwrap_or(0)).ok()?;
    if flexible {
        r.skip_tagged_fields().ok()?;
    }
    if version >= 3 {
        let len = if flexible {
            i64::from(r.uvarint().ok()?) - 1
        } else {
            i64::from(r.i16().ok()?)
        };
        r.take(usize::try_from(len).unwrap_or(0)).ok()?;
    }
    r.i16().ok()
}
