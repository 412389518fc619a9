//! SASL authentication of one connection, after ApiVersions: SaslHandshake
//! v1 names the mechanism (KIP-43), then SaslAuthenticate requests carry the
//! mechanism's messages (KIP-152) until it completes. The broker's
//! `session_lifetime_ms` (SaslAuthenticate v1+, KIP-368) tells when the
//! connection must authenticate again; the network then runs the same
//! exchange on the ready connection.
//!
//! Knows nothing of sockets: it turns response frames into the next request
//! frame, success or failure.

use crate::protocol::messages::api_versions::ApiVersionsResponse;
use crate::protocol::messages::sasl_authenticate::SaslAuthenticateRequest;
use crate::protocol::messages::sasl_handshake::SaslHandshakeRequest;
use crate::protocol::{decode_response, encode_request, ErrorCode, Message};
use crate::sasl::{SaslCredentials, SaslExchange};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::FakeNetwork;
    use crate::protocol::messages::sasl_authenticate::SaslAuthenticateResponse;
    use crate::protocol::messages::sasl_handshake::SaslHandshakeResponse;
    use crate::protocol::{decode_request, encode_response, Request};
    use crate::sasl::{Password, SaslMechanism};

    fn creds(mechanism: SaslMechanism) -> SaslCredentials {
        SaslCredentials {
            mechanism,
            username: "alice".into(),
            password: Password::from("alice-secret"),
            token_provider: None,
        }
    }

    fn versions() -> ApiVersionsResponse {
        FakeNetwork::broker_versions(&[(17, 0, 1), (36, 0, 2)])
    }

    /// The answer frame (without size prefix) to a request with `id`.
    fn answer<R: Request>(resp: &R::Response, version: i16, id: i32) -> Vec<u8> {
        encode_response::<R>(resp, version, id).unwrap()[4..].to_vec()
    }

    #[test]
    fn plain_handshake_then_authenticate_with_the_session_lifetime() {
        let (mut a, frame) =
            Authenticator::start(&creds(SaslMechanism::Plain), &versions(), -1, "c").unwrap();
        let (_, hs) = decode_request::<SaslHandshakeRequest>(&frame[4..]).unwrap();
        assert_eq!(hs.mechanism, "PLAIN");
        assert_eq!(a.waiting_for(), -1);
        let ok = SaslHandshakeResponse {
            error_code: 0,
            mechanisms: vec!["PLAIN".into()],
        };
        let Progress::Send(frame) =
            a.on_frame(&answer::<SaslHandshakeRequest>(&ok, 1, -1), -2, "c")
        else {
            panic!("expected SaslAuthenticate");
        };
        let (h, auth) = decode_request::<SaslAuthenticateRequest>(&frame[4..]).unwrap();
        assert_eq!(h.api_version, 2, "highest version both sides have");
        assert_eq!(auth.auth_bytes, b"\0alice\0alice-secret");
        assert_eq!(a.waiting_for(), -2);
        let done = SaslAuthenticateResponse {
            session_lifetime_ms: 10_000,
            ..Default::default()
        };
        match a.on_frame(&answer::<SaslAuthenticateRequest>(&done, 2, -2), -3, "c") {
            Progress::Done { session_lifetime } => {
                assert_eq!(session_lifetime, Some(Duration::from_secs(10)))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            reauth_after(Duration::from_secs(10), 0.0),
            Duration::from_millis(8500)
        );
        assert_eq!(
            reauth_after(Duration::from_secs(10), 1.0),
            Duration::from_millis(9500)
        );
    }

    #[test]
    fn refusals_name_the_cause_and_never_the_password() {
        let c = creds(SaslMechanism::ScramSha512);
        let (mut a, _) = Authenticator::start(&c, &versions(), -1, "c").unwrap();
        let refused = SaslHandshakeResponse {
            error_code: ErrorCode::UNSUPPORTED_SASL_MECHANISM.0,
            mechanisms: vec!["PLAIN".into(), "OAUTHBEARER".into()],
        };
        let Progress::Failed(m) =
            a.on_frame(&answer::<SaslHandshakeRequest>(&refused, 1, -1), -2, "c")
        else {
            panic!("expected a failure");
        };
        assert!(
            m.contains("SCRAM-SHA-512") && m.contains("PLAIN, OAUTHBEARER"),
            "{m}"
        );
        let (mut a, _) =
            Authenticator::start(&creds(SaslMechanism::Plain), &versions(), -1, "c").unwrap();
        let ok = SaslHandshakeResponse::default();
        assert!(matches!(
            a.on_frame(&answer::<SaslHandshakeRequest>(&ok, 1, -1), -2, "c"),
            Progress::Send(_)
        ));
        let bad = SaslAuthenticateResponse {
            error_code: ErrorCode::SASL_AUTHENTICATION_FAILED.0,
            error_message: Some("Invalid username or password".into()),
            ..Default::default()
        };
        let Progress::Failed(m) =
            a.on_frame(&answer::<SaslAuthenticateRequest>(&bad, 2, -2), -3, "c")
        else {
            panic!("expected a failure");
        };
        assert!(
            m.contains("SASL_AUTHENTICATION_FAILED") && m.contains("Invalid username"),
            "{m}"
        );
        assert!(!m.contains("alice-secret"));
        // Garbage for an answer fails, it does not panic.
        let (mut a, _) =
            Authenticator::start(&creds(SaslMechanism::Plain), &versions(), -1, "c").unwrap();
        assert!(matches!(
            a.on_frame(&[0xff, 1], -2, "c"),
            Progress::Failed(_)
        ));
        // A broker without SaslHandshake v1.
        let old = FakeNetwork::broker_versions(&[(17, 0, 0)]);
        assert!(Authenticator::start(&creds(SaslMechanism::Plain), &old, -1, "c").is_err());
    }
}
