//! SASL authentication of one connection, after ApiVersions: SaslHandshake
//! v1 names the mechanism (KIP-43), then SaslAuthenticate requests carry the
//! mechanism's messages (KIP-152) until it completes. The broker's
//! `session_lifetime_ms` (SaslAuthenticate v1+, KIP-368) tells when the
//! connection must authenticate again; the network then runs the same
//! exchange on the ready connection.
//!
//! Knows nothing of sockets: it turns response frames into the next request
//! frame, success or failure.

use super::sasl::{SaslCredentials, SaslExchange};
use crate::protocol::messages::api_versions::ApiVersionsResponse;
use crate::protocol::messages::sasl_authenticate::SaslAuthenticateRequest;
use crate::protocol::messages::sasl_handshake::SaslHandshakeRequest;
use crate::protocol::{decode_response, encode_request, ErrorCode, Message};
use std::time::Duration;

/// What an answer leads to.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Write this request frame (correlation id [`Authenticator::waiting_for`]).
    Send(Vec<u8>),
    /// Authenticated; the broker ends the session after this long (`None`:
    /// it does not).
    Done { session_lifetime: Option<Duration> },
    /// Refused or broken: why, for the user (no secret in it).
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Handshake,
    Authenticate,
}

/// One SASL exchange on one connection.
#[derive(Debug)]
pub(crate) struct Authenticator {
    exchange: SaslExchange,
    step: Step,
    correlation_id: i32,
    handshake_version: i16,
    authenticate_version: i16,
}

impl Authenticator {
    /// Starts authenticating: returns the authenticator and the
    /// SaslHandshake frame to write (with `correlation_id`).
    pub(crate) fn start(
        creds: &SaslCredentials,
        versions: &ApiVersionsResponse,
        correlation_id: i32,
        client_id: &str,
    ) -> Result<(Authenticator, Vec<u8>), String> {
        let handshake_version = versions
            .pick_version::<SaslHandshakeRequest>()
            .filter(|v| *v >= 1)
            .ok_or(
                "the broker does not support SaslHandshake v1 (SASL needs Kafka 1.0 or newer)",
            )?;
        let authenticate_version = versions
            .pick_version::<SaslAuthenticateRequest>()
            .ok_or("the broker does not support SaslAuthenticate")?;
        let exchange = SaslExchange::new(creds)?;
        let req = SaslHandshakeRequest {
            mechanism: creds.mechanism.name().to_owned(),
        };
        let frame = encode(&req, handshake_version, correlation_id, client_id)?;
        Ok((
            Authenticator {
                exchange,
                step: Step::Handshake,
                correlation_id,
                handshake_version,
                authenticate_version,
            },
            frame,
        ))
    }

    /// The correlation id of the request whose answer is awaited.
    pub(crate) fn waiting_for(&self) -> i32 {
        self.correlation_id
    }

    /// Handles the answer to the awaited request; the next request (if
    /// any) gets `next_id`.
    pub(crate) fn on_frame(&mut self, frame: &[u8], next_id: i32, client_id: &str) -> Progress {
        let mechanism = self.exchange.mechanism().name();
        match self.step {
            Step::Handshake => {
                let resp =
                    match decode_response::<SaslHandshakeRequest>(frame, self.handshake_version) {
                        Ok((_, r)) => r,
                        Err(e) => {
                            return Progress::Failed(format!("bad SaslHandshake response: {e}"))
                        }
                    };
                let code = ErrorCode(resp.error_code);
                if code == ErrorCode::UNSUPPORTED_SASL_MECHANISM {
                    return Progress::Failed(format!(
                        "the broker does not enable SASL mechanism {mechanism}; it enables: {}",
                        resp.mechanisms.join(", ")
                    ));
                }
                if code != ErrorCode::NONE {
                    return Progress::Failed(format!("SaslHandshake failed: {code}"));
                }
                let first = match self.exchange.first_message() {
                    Ok(m) => m,
                    Err(e) => return Progress::Failed(e),
                };
                self.step = Step::Authenticate;
                self.send(first, next_id, client_id)
            }
            Step::Authenticate => {
                let resp = match decode_response::<SaslAuthenticateRequest>(
                    frame,
                    self.authenticate_version,
                ) {
                    Ok((_, r)) => r,
                    Err(e) => {
                        return Progress::Failed(format!("bad SaslAuthenticate response: {e}"))
                    }
                };
                let code = ErrorCode(resp.error_code);
                if code != ErrorCode::NONE {
                    let mut text = format!("{code}");
                    if let Some(m) = resp.error_message.filter(|m| !m.is_empty()) {
                        text.push_str(&format!(": {m}"));
                    }
                    // OAUTHBEARER: the broker's JSON error came in the
                    // answer before (RFC 7628).
                    if let Some(detail) = self.exchange.server_error() {
                        text.push_str(&format!(" ({detail})"));
                    }
                    return Progress::Failed(text);
                }
                match self.exchange.on_server_message(&resp.auth_bytes) {
                    Ok(Some(next)) => self.send(next, next_id, client_id),
                    Ok(None) => Progress::Done {
                        session_lifetime: (resp.session_lifetime_ms > 0)
                            .then(|| Duration::from_millis(resp.session_lifetime_ms as u64)),
                    },
                    Err(e) => Progress::Failed(e),
                }
            }
        }
    }

    fn send(&mut self, auth_bytes: Vec<u8>, correlation_id: i32, client_id: &str) -> Progress {
        let req = SaslAuthenticateRequest { auth_bytes };
        self.correlation_id = correlation_id;
        match encode(&req, self.authenticate_version, correlation_id, client_id) {
            Ok(frame) => Progress::Send(frame),
            Err(e) => Progress::Failed(e),
        }
    }
}

fn encode<R: crate::protocol::Request + Message>(
    req: &R,
    version: i16,
    correlation_id: i32,
    client_id: &str,
) -> Result<Vec<u8>, String> {
    encode_request(req, version, correlation_id, Some(client_id)).map_err(|e| e.to_string())
}

/// When to authenticate again for a session of `lifetime`: as the Java
/// client, at 85–95% of it (randomly, so connections do not all go at once).
pub(crate) fn reauth_after(lifetime: Duration, jitter: f64) -> Duration {
    lifetime.mul_f64(0.85 + 0.10 * jitter.clamp(0.0, 1.0))
}
