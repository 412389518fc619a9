//! The network layer of the sender thread: one non-blocking TCP connection
//! per broker, multiplexed with `mio`.
//!
//! Only the sender thread touches this module; the only threads it starts
//! are [`MioNetwork`]'s resolver threads, which do nothing but look up host
//! names (see the notes below).
//! The sender drives it through the [`Network`] trait: [`MioNetwork`] is the
//! real implementation, [`FakeNetwork`] a scripted test double for stepped
//! sender tests with a manual clock.
//!
//! # Connection life cycle
//!
//! ```text
//! Disconnected --connect--> Connecting --resolved, TCP up, ApiVersions answered--> Ready
//!      ^                        |                                         |
//!      |                        +---- failure / timeout ----+-------------+
//!      |                                                    v
//!      +------------- backoff elapsed ----------------- BackingOff
//! ```
//!
//! Every new connection first negotiates versions with ApiVersions (KIP-35,
//! KIP-511): v4 first, falling back to the broker's highest version (or v0)
//! on `UNSUPPORTED_VERSION`. Only then is the node [`ConnState::Ready`] and
//! [`NetEvent::Ready`] reported; [`Network::api_versions`] gives the
//! broker's answer for picking request versions.
//!
//! # Correlation ids
//!
//! Negative correlation ids are reserved for requests the network layer sends
//! itself (the ApiVersions handshake). The sender must use non-negative ids.
//!
//! # Notes
//!
//! Host names are resolved off the sender thread: [`MioNetwork`] hands each
//! lookup to its resolver threads (`kafka-sync-dns-<client.id>`, started on
//! demand, at most eight, ending when the network is dropped), whose answer
//! wakes the poll. A lookup that hangs delays only its own node, which
//! counts as [`ConnState::Connecting`] meanwhile and fails with a
//! `cannot resolve host:port: ...` reason (then backs off as after any
//! failure) when the lookup fails or outlasts the connection setup
//! deadline (`socket.connection.setup.timeout.ms`, doubled per consecutive
//! failed attempt of the node up to `socket.connection.setup.timeout.max.ms`),
//! which covers resolving, connecting, TLS and SASL; the ApiVersions
//! exchange is bounded by `request.timeout.ms`. A ready connection with
//! nothing in flight and no traffic for `connections.max.idle.ms` is closed
//! (a [`NetEvent::Disconnected`], no backoff) and opened on demand. IP
//! literals need no thread. The resolved addresses are tried in turn, one
//! per connect attempt, and the host is resolved again once all were tried
//! or a ready connection is lost; `client.dns.lookup =
//! resolve_canonical_bootstrap_servers_only` resolves bootstrap servers
//! through the canonical names of their addresses. The lookup functions
//! can be replaced ([`MioNetwork::with_resolver`], [`Resolver`]).

mod auth;
mod backoff;
mod connection;
mod dns_threads;
mod fake;
mod mio_net;
mod resolver;
#[cfg(test)]
mod tests;
#[cfg(feature = "tls")]
mod tls;
#[cfg(not(feature = "tls"))]
#[path = "no_tls.rs"]
mod tls;

pub use backoff::Backoff;
pub use fake::FakeNetwork;
pub use mio_net::{MioNetwork, MAX_RESPONSE_SIZE};
pub use resolver::{LookupFn, Resolver, ReverseFn};

use crate::protocol::messages::api_versions::ApiVersionsResponse;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A broker id. Bootstrap servers, whose ids are not known yet, use
/// `-1, -2, ...` as the Java client does.
pub type NodeId = i32;

/// Something that happened on the network, reported by [`Network::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// TCP connected and ApiVersions negotiated: the node takes requests now.
    Ready {
        /// The node.
        node: NodeId,
    },
    /// The connection failed in a way retrying will not fix: the broker
    /// refused our SASL credentials or mechanism, or TLS failed (an
    /// untrusted or mismatched certificate, a refused client certificate).
    /// Like [`NetEvent::Disconnected`], every request written to it and not
    /// answered is lost; the node backs off before the next attempt.
    AuthenticationFailed {
        /// The node.
        node: NodeId,
        /// What failed, for the user: mechanism or TLS, broker, the broker's
        /// message (never a secret).
        reason: String,
    },
    /// A whole response frame (without its size prefix) arrived on `node`.
    Response {
        /// The node.
        node: NodeId,
        /// The correlation id from the response header.
        correlation_id: i32,
        /// Response header and body.
        frame: Vec<u8>,
    },
    /// The connection failed or closed; every request written to it and not
    /// yet answered is lost (the sender decides what that means). Also
    /// reported after [`Network::disconnect`] of a connecting or ready node.
    Disconnected {
        /// The node.
        node: NodeId,
        /// Why, for logs.
        reason: String,
    },
}

/// The state of the connection to one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// No connection; [`Network::connect`] starts one.
    Disconnected,
    /// The last attempt failed; [`Network::connect`] does nothing before `until`.
    BackingOff {
        /// When the node may be connected again.
        until: Instant,
    },
    /// TCP connect or ApiVersions handshake in progress.
    Connecting,
    /// Connected and negotiated: [`Network::send`] works.
    Ready,
}

/// Why [`Network::send`] refused a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// The node is not [`ConnState::Ready`]; nothing was queued.
    NotReady,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::NotReady => f.write_str("node is not ready"),
        }
    }
}

impl std::error::Error for NetError {}

/// One piece of a request frame: bytes owned by the frame, or bytes shared
/// with their owner (a record batch kept for retries), written without a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Bytes owned by the frame.
    Owned(Vec<u8>),
    /// Bytes shared with their owner.
    Shared(Arc<Vec<u8>>),
}

impl Segment {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Segment::Owned(v) => v,
            Segment::Shared(v) => v,
        }
    }
}

/// What the sender needs from the network. [`MioNetwork`] is the real one,
/// [`FakeNetwork`] drives tests.
///
/// Connection state changes only inside [`Network::poll`] or through the
/// caller's own [`Network::connect`] and [`Network::disconnect`] calls, so a
/// sender that handles the events of each poll sees a consistent picture.
pub trait Network: Send {
    /// Sets (or changes) where `node` is reached; used by the next connect.
    fn set_address(&mut self, node: NodeId, host: &str, port: u16);

    /// The state of the connection to `node` at `now`.
    fn state(&self, node: NodeId, now: Instant) -> ConnState;

    /// Starts a non-blocking connect unless connecting, ready or backing off.
    /// A failure to even start (unknown address, resolution error) is reported
    /// as [`NetEvent::Disconnected`] by the next poll.
    fn connect(&mut self, node: NodeId, now: Instant);

    /// The broker's ApiVersions answer, once the node has been ready.
    fn api_versions(&self, node: NodeId) -> Option<&ApiVersionsResponse>;

    /// Queues a complete request frame (size prefix included) on a ready node
    /// and tries to write it at once. An I/O error does not fail the call: it
    /// is reported as [`NetEvent::Disconnected`] by the next poll.
    fn send(&mut self, node: NodeId, frame: Vec<u8>) -> Result<(), NetError>;

    /// Like [`Network::send`] for a frame made of `segments` (in order);
    /// shared segments are written without being copied where the network
    /// supports it. The default joins them and calls `send`.
    fn send_segments(&mut self, node: NodeId, segments: Vec<Segment>) -> Result<(), NetError> {
        let mut frame = Vec::with_capacity(segments.iter().map(|s| s.as_slice().len()).sum());
        for s in &segments {
            frame.extend_from_slice(s.as_slice());
        }
        self.send(node, frame)
    }

    /// Closes the connection to `node` (if any) and backs off before the next
    /// connect; the next poll reports [`NetEvent::Disconnected`] if there was
    /// a connection.
    fn disconnect(&mut self, node: NodeId, now: Instant);

    /// Waits at most `timeout` (`None` = forever, zero = don't block) for I/O
    /// or a wake-up, does all reads and writes that are possible, and appends
    /// what happened to `events`.
    fn poll(
        &mut self,
        timeout: Option<Duration>,
        now: Instant,
        events: &mut Vec<NetEvent>,
    ) -> std::io::Result<()>;
}
