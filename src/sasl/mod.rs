//! SASL client mechanisms for `SaslAuthenticate` (KIP-152): PLAIN
//! (RFC 4616), SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) and
//! OAUTHBEARER (RFC 7628), plus a parser for the Java client's
//! `sasl.jaas.config`.
//!
//! Pure logic: no I/O, no threads. The connection state machine creates one
//! [`SaslExchange`] per connection attempt, sends
//! [`SaslExchange::first_message`] in the first `SaslAuthenticate` request,
//! and feeds the `auth_bytes` of every successful answer to
//! [`SaslExchange::on_server_message`] until it returns `Ok(None)`. An answer
//! with an error code ends the attempt without involving the exchange.
//!
//! # Secrets
//!
//! Passwords and tokens live in [`Password`], whose `Debug` and `Display`
//! print `[redacted]`. No `Debug` output, error string or log line of this
//! module contains a password, a token, a salted password, a client proof
//! or a server signature (a test formats them all to check).

// Crate-internal items stay unused until the connection state machine
// drives an exchange.
#![cfg_attr(not(test), allow(dead_code))]

mod jaas;
mod oauth;
mod plain;
mod scram;
#[cfg(test)]
mod tests;

// Re-exported by the crate root; used by `config`.
#[allow(unused_imports)]
pub(crate) use jaas::{parse_jaas, JaasLogin, JaasModule};
#[allow(unused_imports)]
pub use oauth::{OAuthToken, TokenProvider, UnsecuredTokenProvider};

use oauth::OAuthExchange;
use plain::PlainExchange;
use scram::{ScramExchange, ScramHash};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A secret string (a password or a token). `Debug` prints
/// `Password("[redacted]")` and `Display` prints `[redacted]`; the value is
/// only reachable inside the crate. Its bytes are overwritten when dropped
/// (best effort: copies made before, e.g. by reallocation, are not).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The secret itself.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(s: String) -> Password {
        Password(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Password {
        Password(s.to_owned())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(\"[redacted]\")")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        wipe_vec(std::mem::take(&mut self.0).into_bytes());
    }
}

/// Overwrites a buffer that held secret material (best effort).
pub(crate) fn wipe(buf: &mut [u8]) {
    buf.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&*buf);
}

/// [`wipe`]s a buffer and drops it.
pub(crate) fn wipe_vec(mut buf: Vec<u8>) {
    wipe(&mut buf);
}

/// A SASL mechanism (`sasl.mechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616): user name and password in clear; use with TLS.
    Plain,
    /// `SCRAM-SHA-256` (RFC 5802, RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512` (RFC 5802 with SHA-512).
    ScramSha512,
    /// `OAUTHBEARER` (RFC 7628, KIP-255): a bearer token from a [`TokenProvider`].
    OAuthBearer,
}

impl SaslMechanism {
    /// Every mechanism, in the order of the error message of `from_str`.
    const ALL: [SaslMechanism; 4] = [
        SaslMechanism::Plain,
        SaslMechanism::ScramSha256,
        SaslMechanism::ScramSha512,
        SaslMechanism::OAuthBearer,
    ];

    /// The IANA name, as sent in `SaslHandshake`.
    ///
    /// ```
    /// use kafka_sync::SaslMechanism;
    /// assert_eq!(SaslMechanism::ScramSha512.name(), "SCRAM-SHA-512");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SaslMechanism {
    type Err = String;

    /// Parses a mechanism name, ignoring ASCII case and surrounding blanks.
    fn from_str(s: &str) -> Result<SaslMechanism, String> {
        let s = s.trim();
        if let Some(m) = Self::ALL.iter().find(|m| m.name().eq_ignore_ascii_case(s)) {
            return Ok(*m);
        }
        let valid = Self::ALL.map(|m| m.name()).join(", ");
        Err(format!(
            "unsupported SASL mechanism `{}`: expected one of {valid}",
            printable(s.as_bytes(), 64)
        ))
    }
}

/// What authentication needs: the mechanism and its credentials
/// (`username`/`password` for PLAIN and SCRAM, `token_provider` for
/// OAUTHBEARER).
#[derive(Clone)]
pub(crate) struct SaslCredentials {
    /// The mechanism.
    pub mechanism: SaslMechanism,
    /// The user name (PLAIN, SCRAM).
    pub username: String,
    /// The password (PLAIN, SCRAM).
    pub password: Password,
    /// Where OAUTHBEARER tokens come from.
    pub token_provider: Option<Arc<dyn TokenProvider>>,
}

impl fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("token_provider", &self.token_provider)
            .finish()
    }
}

/// The mechanism-specific state of an exchange.
enum Inner {
    Plain(PlainExchange),
    Scram(ScramExchange),
    OAuth(OAuthExchange),
}

/// One SASL authentication, for one connection attempt.
pub(crate) struct SaslExchange {
    mechanism: SaslMechanism,
    inner: Inner,
}

impl SaslExchange {
    /// Starts an exchange. Fails on unusable credentials (an empty user name,
    /// OAUTHBEARER without a token provider, a token provider error, an
    /// expired or malformed token). Calls the token provider for OAUTHBEARER.
    pub fn new(creds: &SaslCredentials) -> Result<SaslExchange, String> {
        Self::build(creds, None)
    }

    /// Like [`SaslExchange::new`] with a fixed SCRAM client nonce.
    #[cfg(test)]
    pub(crate) fn with_scram_nonce(
        creds: &SaslCredentials,
        nonce: &str,
    ) -> Result<SaslExchange, String> {
        Self::build(creds, Some(nonce.to_owned()))
    }

    fn build(creds: &SaslCredentials, nonce: Option<String>) -> Result<SaslExchange, String> {
        let scram = |hash| match nonce {
            Some(n) => ScramExchange::with_nonce(hash, &creds.username, &creds.password, n),
            None => ScramExchange::new(hash, &creds.username, &creds.password),
        };
        let inner = match creds.mechanism {
            SaslMechanism::Plain => {
                Inner::Plain(PlainExchange::new(&creds.username, &creds.password)?)
            }
            SaslMechanism::ScramSha256 => Inner::Scram(scram(ScramHash::Sha256)?),
            SaslMechanism::ScramSha512 => Inner::Scram(scram(ScramHash::Sha512)?),
            SaslMechanism::OAuthBearer => {
                let provider = creds.token_provider.as_ref().ok_or(
                    "SASL mechanism OAUTHBEARER needs a token provider (none is configured)",
                )?;
                let token = provider
                    .token()
                    .map_err(|e| format!("OAUTHBEARER token provider failed: {e}"))?;
                Inner::OAuth(OAuthExchange::new(token)?)
            }
        };
        Ok(SaslExchange {
            mechanism: creds.mechanism,
            inner,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> SaslMechanism {
        self.mechanism
    }

    /// The client's first message, the `auth_bytes` of the first
    /// `SaslAuthenticate` request. Only once per exchange.
    pub fn first_message(&mut self) -> Result<Vec<u8>, String> {
        match &mut self.inner {
            Inner::Plain(x) => x.first_message(),
            Inner::Scram(x) => x.first_message(),
            Inner::OAuth(x) => x.first_message(),
        }
    }

    /// Takes the `auth_bytes` of a successful `SaslAuthenticate` answer:
    /// `Ok(Some(bytes))` is the next client message to send, `Ok(None)`
    /// means authentication is complete (for SCRAM: the server's signature
    /// is verified). An `Err` fails the attempt; the exchange stays failed.
    pub fn on_server_message(&mut self, data: &[u8]) -> Result<Option<Vec<u8>>, String> {
        match &mut self.inner {
            Inner::Plain(x) => x.on_server_message(data),
            Inner::Scram(x) => x.on_server_message(data),
            Inner::OAuth(x) => x.on_server_message(data),
        }
    }

    /// Whether authentication completed successfully.
    pub fn is_complete(&self) -> bool {
        match &self.inner {
            Inner::Plain(x) => x.is_complete(),
            Inner::Scram(x) => x.is_complete(),
            Inner::OAuth(x) => x.is_complete(),
        }
    }

    /// For OAUTHBEARER: the server's error (RFC 7628 JSON, made printable)
    /// when it rejected the token; the broker then fails the next
    /// `SaslAuthenticate` with an error code, and this gives the detail.
    pub fn server_error(&self) -> Option<&str> {
        match &self.inner {
            Inner::OAuth(x) => x.server_error(),
            _ => None,
        }
    }

    /// A short name of the current step, for logs and `Debug`.
    fn step(&self) -> &'static str {
        match &self.inner {
            Inner::Plain(x) => x.step(),
            Inner::Scram(x) => x.step(),
            Inner::OAuth(x) => x.step(),
        }
    }
}

impl fmt::Debug for SaslExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslExchange")
            .field("mechanism", &self.mechanism)
            .field("step", &self.step())
            .finish()
    }
}

/// Server-supplied bytes made safe to put in an error message: at most
/// `max` characters, anything but printable ASCII shown as `?`.
pub(crate) fn printable(bytes: &[u8], max: usize) -> String {
    let mut s: String = bytes
        .iter()
        .take(max)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    if bytes.len() > max {
        s.push_str("...");
    }
    s
}
