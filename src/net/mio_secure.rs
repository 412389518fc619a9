//! The security phases of a [`MioNetwork`] connection: the TLS handshake
//! after TCP connects, SASL after ApiVersions, re-authentication of a ready
//! connection, and the failures that are reported as
//! [`NetEvent::AuthenticationFailed`] (see the `net` module notes).

use super::{MioNetwork, Phase, HANDSHAKE_VERSION};
use crate::clock::saturating_add;
use crate::net::auth::{reauth_after, Authenticator, Progress};
use crate::net::connection::Connection;
use crate::net::tls::is_tls_failure;
use crate::net::{NetEvent, NodeId};
use crate::protocol::messages::api_versions::ApiVersionsResponse;
use std::io;
use std::time::Instant;

impl MioNetwork {
    /// Like [`fail`](Self::fail) for a failure retrying will not fix (a
    /// refused authentication, an untrusted certificate): reported as
    /// [`NetEvent::AuthenticationFailed`].
    pub(super) fn fail_auth(&mut self, node: NodeId, reason: String, now: Instant) {
        self.close(node, now);
        log::error!("{}{reason}", self.log);
        self.pending
            .push(NetEvent::AuthenticationFailed { node, reason });
    }

    /// `host:port` of a node, for messages.
    pub(super) fn where_is(&self, node: NodeId) -> String {
        match self.nodes.get(&node).and_then(|n| n.address.as_ref()) {
            Some((h, p)) => format!("node {node} ({h}:{p})"),
            None => format!("node {node}"),
        }
    }

    /// A read or write error: TLS failures are authentication failures.
    pub(super) fn fail_io(&mut self, node: NodeId, what: &str, e: io::Error, now: Instant) {
        if is_tls_failure(&e) {
            let reason = format!("TLS with {} failed: {e}", self.where_is(node));
            return self.fail_auth(node, reason, now);
        }
        let handshaking = self
            .nodes
            .get(&node)
            .is_some_and(|n| matches!(n.phase, Phase::Handshaking { .. }));
        let tls_answer = handshaking
            && e.kind() == io::ErrorKind::InvalidData
            && self
                .nodes
                .get(&node)
                .and_then(|n| n.conn.as_ref())
                .and_then(Connection::first_unread_byte)
                .is_some_and(|b| b == 0x15 || b == 0x16);
        if tls_answer {
            let reason = format!(
                "{} answered with TLS: its listener needs security.protocol=SSL or SASL_SSL",
                self.where_is(node)
            );
            return self.fail_auth(node, reason, now);
        }
        let tls_closed = self
            .nodes
            .get(&node)
            .is_some_and(|n| matches!(n.phase, Phase::TlsHandshaking { .. }));
        if tls_closed {
            let cause = if e.kind() == io::ErrorKind::UnexpectedEof {
                "closed by the broker".to_owned()
            } else {
                format!("{what}: {e}")
            };
            let reason = format!(
                "connection lost during the TLS handshake with {} ({cause}; is it a TLS listener?)",
                self.where_is(node)
            );
            // Once may be a broker going down; twice in a row, the listener
            // does not speak TLS (a plaintext broker drops a ClientHello).
            let again = self.nodes.get(&node).is_some_and(|n| n.failures >= 1);
            if again {
                return self.fail_auth(node, reason, now);
            }
            return self.fail(node, reason, now);
        }
        self.fail(node, format!("{what} failed: {e}"), now);
    }

    /// After TCP connected: the TLS handshake, or ApiVersions.
    pub(super) fn connected(&mut self, node: NodeId, deadline: Instant, now: Instant) {
        let Some(tls) = self.tls.clone() else {
            if let Err(e) = self.send_api_versions(node, HANDSHAKE_VERSION, deadline) {
                self.fail(node, format!("write failed: {e}"), now);
            }
            return;
        };
        let host = self
            .nodes
            .get(&node)
            .and_then(|n| n.address.as_ref())
            .map(|(h, _)| h.clone())
            .unwrap_or_default();
        let session = match tls.session(&host) {
            Ok(s) => s,
            Err(e) => return self.fail_io(node, "TLS", e, now),
        };
        let n = self.nodes.get_mut(&node).expect("connected node");
        n.phase = Phase::TlsHandshaking { deadline };
        let conn = n.conn.as_mut().expect("connected node has a connection");
        conn.tls = Some(Box::new(session));
        if let Err(e) = conn.flush() {
            self.fail_io(node, "write", e, now);
        }
    }

    /// ApiVersions answered: SASL next, or ready.
    pub(super) fn negotiated(
        &mut self,
        node: NodeId,
        resp: ApiVersionsResponse,
        deadline: Instant,
        now: Instant,
    ) {
        let n = self.nodes.get_mut(&node).expect("handshaking node");
        n.versions = Some(resp);
        if self.sasl.is_some() {
            n.phase = Phase::Authenticating { deadline };
            return self.authenticate(node, now);
        }
        self.ready(node);
    }

    fn ready(&mut self, node: NodeId) {
        log::debug!(
            "{}Connection to {} established",
            self.log,
            self.where_is(node)
        );
        let n = self.nodes.get_mut(&node).expect("node");
        n.phase = Phase::Ready;
        n.failures = 0;
        self.pending.push(NetEvent::Ready { node });
    }

    /// Starts a SASL exchange (first or re-authentication).
    pub(super) fn authenticate(&mut self, node: NodeId, now: Instant) {
        let id = self.internal_id();
        let creds = self.sasl.as_ref().expect("SASL configured");
        let n = self.nodes.get_mut(&node).expect("node");
        let versions = n.versions.as_ref().expect("negotiated");
        match Authenticator::start(creds, versions, id, &self.client_id) {
            Ok((auth, frame)) => {
                log::debug!(
                    "{}node {node}: SASL {} authentication",
                    self.log,
                    creds.mechanism.name()
                );
                n.auth = Some(auth);
                let conn = n.conn.as_mut().expect("node has a connection");
                conn.queue(frame);
                if let Err(e) = conn.flush() {
                    self.fail_io(node, "write", e, now);
                }
            }
            Err(e) => {
                let reason = self.auth_failure(node, &e);
                self.fail_auth(node, reason, now);
            }
        }
    }

    fn auth_failure(&self, node: NodeId, message: &str) -> String {
        let mechanism = self.sasl.as_ref().map_or("?", |c| c.mechanism.name());
        format!(
            "SASL {mechanism} authentication with {} failed: {message}",
            self.where_is(node)
        )
    }

    /// Handles the answer to the SASL exchange's request.
    pub(super) fn on_auth_frame(&mut self, node: NodeId, frame: &[u8], now: Instant) {
        let id = self.internal_id();
        let n = self.nodes.get_mut(&node).expect("node");
        let auth = n.auth.as_mut().expect("authenticating");
        match auth.on_frame(frame, id, &self.client_id) {
            Progress::Send(frame) => {
                let conn = n.conn.as_mut().expect("node has a connection");
                conn.queue(frame);
                if let Err(e) = conn.flush() {
                    self.fail_io(node, "write", e, now);
                }
            }
            Progress::Done { session_lifetime } => {
                n.auth = None;
                n.reauth_at = session_lifetime.map(|l| {
                    let jitter = f64::from(self.next_token as u32 % 1000) / 1000.0;
                    saturating_add(now, reauth_after(l, jitter))
                });
                if let Some(l) = session_lifetime {
                    log::debug!(
                        "{}node {node}: authenticated; the session lasts {l:?}",
                        self.log
                    );
                }
                if matches!(n.phase, Phase::Ready) {
                    // A re-authentication: the held frames go out now.
                    let held = std::mem::take(&mut n.held);
                    let conn = n.conn.as_mut().expect("ready node has a connection");
                    for segment in held {
                        conn.queue_segment(segment);
                    }
                    if let Err(e) = conn.flush() {
                        self.fail_io(node, "write", e, now);
                    }
                } else {
                    self.ready(node);
                }
            }
            Progress::Failed(message) => {
                let reason = self.auth_failure(node, &message);
                self.fail_auth(node, reason, now);
            }
        }
    }
}
