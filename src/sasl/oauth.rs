//! SASL OAUTHBEARER (RFC 7628, KIP-255, KIP-342): the client sends a
//! bearer token (and SASL extensions) in one GS2 message; the server answers
//! nothing on success, or an RFC 7628 JSON error, which the client
//! acknowledges with a single `%x01` before the server fails the exchange.

use super::{printable, Password};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The RFC 7628 key/value separator.
const SEP: u8 = 0x01;

/// An OAuth 2 bearer token for SASL OAUTHBEARER, as a [`TokenProvider`]
/// gives it.
#[derive(Clone)]
pub struct OAuthToken {
    /// The token (`b64token` of RFC 6750, usually a compact JWT).
    pub token: Password,
    /// When the token expires; an expired token is not sent.
    pub lifetime: SystemTime,
    /// The principal the token is for (informational).
    pub principal: String,
    /// SASL extensions (KIP-342) sent with the token: keys of ASCII letters
    /// (not `auth`), values of printable ASCII, blanks, CR or LF.
    pub extensions: Vec<(String, String)>,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.extensions.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OAuthToken")
            .field("token", &self.token)
            .field("lifetime", &self.lifetime)
            .field("principal", &self.principal)
            .field("extension_keys", &keys)
            .finish()
    }
}

/// Supplies OAUTHBEARER tokens. Called on the producer's sender thread
/// before each authentication (each new broker connection), so it must not
/// block long: cache the token and refresh it ahead of its expiry elsewhere.
/// Its `Debug` must not print secrets.
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// The token to authenticate with, or why there is none.
    fn token(&self) -> Result<OAuthToken, String>;
}

/// A claim value of an unsecured token.
#[derive(Debug, Clone, PartialEq)]
enum Claim {
    String(String),
    Number(f64),
    List(Vec<String>),
}

/// Unsecured JWTs (`"alg":"none"`, empty signature: `header.payload.`) as
/// the Java client's default OAUTHBEARER login handler makes them, for tests
/// and development clusters whose brokers use the unsecured validator.
///
/// The claims are `sub` (the principal), `iat` and `exp` (seconds since the
/// epoch), `scope` (a list, when not empty) and any added claims.
#[derive(Debug, Clone)]
pub struct UnsecuredTokenProvider {
    principal: String,
    lifetime: Duration,
    scope: Vec<String>,
    claims: Vec<(String, Claim)>,
    extensions: Vec<(String, String)>,
}

impl UnsecuredTokenProvider {
    /// Tokens for `principal`, valid for one hour (as the Java default).
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// let _tokens = UnsecuredTokenProvider::new("alice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(principal: impl Into<String>) -> UnsecuredTokenProvider {
        UnsecuredTokenProvider {
            principal: principal.into(),
            lifetime: Duration::from_secs(3600),
            scope: Vec::new(),
            claims: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// How long each token is valid (whole seconds, at least one).
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// use std::time::Duration;
    /// let _tokens = UnsecuredTokenProvider::new("alice").lifetime(Duration::from_secs(60));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lifetime(mut self, lifetime: Duration) -> UnsecuredTokenProvider {
        self.lifetime = lifetime;
        self
    }

    /// The `scope` claim (none when empty).
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// let _tokens = UnsecuredTokenProvider::new("alice").scope(vec!["produce".into()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope(mut self, scope: Vec<String>) -> UnsecuredTokenProvider {
        self.scope = scope;
        self
    }

    /// Adds a string claim (not `sub`, `iat`, `exp`, nor `scope` when a scope is set).
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// let _tokens = UnsecuredTokenProvider::new("alice").string_claim("team", "payments");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn string_claim(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> UnsecuredTokenProvider {
        self.claims.push((name.into(), Claim::String(value.into())));
        self
    }

    /// Adds a number claim (finite).
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// let _tokens = UnsecuredTokenProvider::new("alice").number_claim("tier", 2.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn number_claim(mut self, name: impl Into<String>, value: f64) -> UnsecuredTokenProvider {
        self.claims.push((name.into(), Claim::Number(value)));
        self
    }

    /// Adds a list-of-strings claim.
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// let _tokens = UnsecuredTokenProvider::new("alice").list_claim("groups", vec!["a".into(), "b".into()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list_claim(
        mut self,
        name: impl Into<String>,
        values: Vec<String>,
    ) -> UnsecuredTokenProvider {
        self.claims.push((name.into(), Claim::List(values)));
        self
    }

    /// Adds a SASL extension (KIP-342) sent with each token.
    ///
    /// ```
    /// use kafka_sync::UnsecuredTokenProvider;
    /// let _tokens = UnsecuredTokenProvider::new("alice").extension("traceId", "4bf92f35");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extension(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> UnsecuredTokenProvider {
        self.extensions.push((key.into(), value.into()));
        self
    }

    /// A token issued at `now`.
    pub(crate) fn token_at(&self, now: SystemTime) -> Result<OAuthToken, String> {
        if self.principal.is_empty() {
            return Err("unsecured OAUTHBEARER token needs a principal (it is empty)".into());
        }
        let lifetime = self.lifetime.as_secs();
        if lifetime == 0 {
            return Err("unsecured OAUTHBEARER token lifetime must be at least 1 s".into());
        }
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "the clock is before 1970")?
            .as_secs();
        let exp = iat
            .checked_add(lifetime)
            .filter(|&e| e < i64::MAX as u64)
            .ok_or("unsecured OAUTHBEARER token lifetime is too long")?;
        let mut names: Vec<&str> = vec!["sub", "iat", "exp"];
        if !self.scope.is_empty() {
            names.push("scope");
        }
        let mut claims = String::from("{\"sub\":");
        json_string(&mut claims, &self.principal);
        claims.push_str(&format!(",\"iat\":{iat},\"exp\":{exp}"));
        if !self.scope.is_empty() {
            claims.push_str(",\"scope\":");
            json_list(&mut claims, &self.scope);
        }
        for (name, value) in &self.claims {
            if name.is_empty() {
                return Err("unsecured OAUTHBEARER token claim with an empty name".into());
            }
            if names.contains(&name.as_str()) {
                return Err(format!(
                    "unsecured OAUTHBEARER token claim `{}` is set twice or reserved",
                    printable(name.as_bytes(), 64)
                ));
            }
            names.push(name);
            claims.push(',');
            json_string(&mut claims, name);
            claims.push(':');
            match value {
                Claim::String(s) => json_string(&mut claims, s),
                Claim::List(l) => json_list(&mut claims, l),
                Claim::Number(n) if n.is_finite() => claims.push_str(&n.to_string()),
                Claim::Number(_) => {
                    return Err(format!(
                        "unsecured OAUTHBEARER token claim `{}` is not a finite number",
                        printable(name.as_bytes(), 64)
                    ))
                }
            }
        }
        claims.push('}');
        let token = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(&claims)
        );
        Ok(OAuthToken {
            token: Password::from(token),
            lifetime: UNIX_EPOCH + Duration::from_secs(exp),
            principal: self.principal.clone(),
            extensions: self.extensions.clone(),
        })
    }
}

impl TokenProvider for UnsecuredTokenProvider {
    fn token(&self) -> Result<OAuthToken, String> {
        self.token_at(SystemTime::now())
    }
}

/// Appends `s` as a JSON string.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a JSON list of strings.
fn json_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, item);
    }
    out.push(']');
}

/// Whether `token` is an RFC 6750 `b64token`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// Checks SASL extensions against RFC 7628 (as Kafka does): keys of ASCII
/// letters other than `auth`, non-empty values of `%x21-7E`, blank, CR, LF.
pub(crate) fn validate_extensions(extensions: &[(String, String)]) -> Result<(), String> {
    for (i, (key, value)) in extensions.iter().enumerate() {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err("OAUTHBEARER extension keys must be ASCII letters".into());
        }
        if key == "auth" {
            return Err("OAUTHBEARER extension key `auth` is reserved".into());
        }
        if extensions[..i].iter().any(|(k, _)| k == key) {
            return Err(format!("OAUTHBEARER extension `{key}` is given twice"));
        }
        if value.is_empty()
            || !value
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) || b" \t\r\n".contains(&b))
        {
            return Err(format!(
                "OAUTHBEARER extension `{key}` has an empty value or one with characters \
                 other than printable ASCII, blank, CR and LF"
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Initial,
    Sent,
    /// The server rejected the token; `%x01` was sent.
    AwaitFailure,
    Complete,
    Failed,
}

/// An OAUTHBEARER exchange.
pub(crate) struct OAuthExchange {
    token: Password,
    extensions: Vec<(String, String)>,
    server_error: Option<String>,
    step: Step,
}

impl OAuthExchange {
    /// Checks the token (a `b64token`, not expired) and its extensions.
    pub(crate) fn new(token: OAuthToken) -> Result<OAuthExchange, String> {
        if !is_b64token(token.token.expose()) {
            return Err("the OAUTHBEARER token is empty or not an RFC 6750 b64token".into());
        }
        if token.lifetime <= SystemTime::now() {
            return Err("the OAUTHBEARER token from the provider has expired".into());
        }
        validate_extensions(&token.extensions)?;
        Ok(OAuthExchange {
            token: token.token,
            extensions: token.extensions,
            server_error: None,
            step: Step::Initial,
        })
    }

    /// `n,,^Aauth=Bearer <token>[^Akey=value]*^A^A` (no authorization id).
    pub(crate) fn first_message(&mut self) -> Result<Vec<u8>, String> {
        if self.step != Step::Initial {
            return Err("OAUTHBEARER first message was already sent".into());
        }
        let mut msg = Vec::with_capacity(32 + self.token.expose().len());
        msg.extend_from_slice(b"n,,");
        msg.push(SEP);
        msg.extend_from_slice(b"auth=Bearer ");
        msg.extend_from_slice(self.token.expose().as_bytes());
        for (key, value) in &self.extensions {
            msg.push(SEP);
            msg.extend_from_slice(key.as_bytes());
            msg.push(b'=');
            msg.extend_from_slice(value.as_bytes());
        }
        msg.push(SEP);
        msg.push(SEP);
        self.token = Password::from("");
        self.step = Step::Sent;
        Ok(msg)
    }

    /// An empty answer completes; a non-empty one is the server's error,
    /// acknowledged with `%x01` (RFC 7628 section 3.2.3).
    pub(crate) fn on_server_message(&mut self, data: &[u8]) -> Result<Option<Vec<u8>>, String> {
        match self.step {
            Step::Sent if data.is_empty() => {
                self.step = Step::Complete;
                Ok(None)
            }
            Step::Sent => {
                self.server_error = Some(printable(data, 500));
                self.step = Step::AwaitFailure;
                Ok(Some(vec![SEP]))
            }
            Step::AwaitFailure => {
                self.step = Step::Failed;
                Err(format!(
                    "OAUTHBEARER authentication failed: {}",
                    self.server_error.as_deref().unwrap_or_default()
                ))
            }
            Step::Initial => {
                self.step = Step::Failed;
                Err("OAUTHBEARER: server message before the client's first message".into())
            }
            Step::Complete => {
                self.step = Step::Failed;
                Err("OAUTHBEARER: server message after authentication completed".into())
            }
            Step::Failed => Err("OAUTHBEARER exchange already failed".into()),
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.step == Step::Complete
    }

    pub(crate) fn server_error(&self) -> Option<&str> {
        self.server_error.as_deref()
    }

    pub(crate) fn step(&self) -> &'static str {
        match self.step {
            Step::Initial => "initial",
            Step::Sent => "awaiting server answer",
            Step::AwaitFailure => "token rejected, awaiting failure",
            Step::Complete => "complete",
            Step::Failed => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str, extensions: &[(&str, &str)]) -> OAuthToken {
        OAuthToken {
            token: Password::from(value),
            lifetime: SystemTime::now() + Duration::from_secs(60),
            principal: "alice".into(),
            extensions: extensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn decode_part(part: &str) -> String {
        String::from_utf8(URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn unsecured_token_claims() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = UnsecuredTokenProvider::new("alice")
            .lifetime(Duration::from_secs(60))
            .scope(vec!["read".into(), "write".into()])
            .string_claim("iss", "me \"q\"")
            .number_claim("n", 1.5)
            .list_claim("groups", vec!["g".into()])
            .extension("traceId", "abc")
            .token_at(now)
            .unwrap();
        let parts: Vec<&str> = t.token.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "", "empty signature");
        assert_eq!(decode_part(parts[0]), r#"{"alg":"none"}"#);
        assert_eq!(
            decode_part(parts[1]),
            r#"{"sub":"alice","iat":1700000000,"exp":1700000060,"scope":["read","write"],"iss":"me \"q\"","n":1.5,"groups":["g"]}"#
        );
        assert_eq!(t.lifetime, now + Duration::from_secs(60));
        assert_eq!(t.principal, "alice");
        assert_eq!(t.extensions, vec![("traceId".into(), "abc".into())]);
        assert!(is_b64token(t.token.expose()));
    }

    #[test]
    fn unsecured_token_default_has_no_scope() {
        let now = UNIX_EPOCH + Duration::from_secs(10);
        let t = UnsecuredTokenProvider::new("bob").token_at(now).unwrap();
        let payload = t.token.expose().split('.').nth(1).unwrap().to_owned();
        assert_eq!(
            decode_part(&payload),
            r#"{"sub":"bob","iat":10,"exp":3610}"#
        );
        // And the real clock works.
        assert!(UnsecuredTokenProvider::new("bob").token().is_ok());
    }

    #[test]
    fn unsecured_token_rejects_bad_claims() {
        let now = SystemTime::now();
        let p = || UnsecuredTokenProvider::new("a");
        assert!(UnsecuredTokenProvider::new("").token_at(now).is_err());
        assert!(p().lifetime(Duration::ZERO).token_at(now).is_err());
        assert!(p().lifetime(Duration::MAX).token_at(now).is_err());
        assert!(p().string_claim("exp", "1").token_at(now).is_err());
        assert!(p().string_claim("sub", "b").token_at(now).is_err());
        assert!(p().string_claim("", "b").token_at(now).is_err());
        assert!(p()
            .string_claim("x", "1")
            .number_claim("x", 1.0)
            .token_at(now)
            .is_err());
        assert!(p().number_claim("x", f64::NAN).token_at(now).is_err());
        assert!(p()
            .scope(vec!["s".into()])
            .list_claim("scope", vec!["t".into()])
            .token_at(now)
            .is_err());
        // Without a scope, a `scope` claim of one's own is fine.
        assert!(p().string_claim("scope", "s t").token_at(now).is_ok());
    }

    #[test]
    fn oauthbearer_first_message_and_success() {
        let mut x = OAuthExchange::new(token("abc.def.", &[])).unwrap();
        assert_eq!(
            x.first_message().unwrap(),
            b"n,,\x01auth=Bearer abc.def.\x01\x01"
        );
        assert!(x.first_message().is_err());
        assert_eq!(x.on_server_message(b"").unwrap(), None);
        assert!(x.is_complete());
        assert!(x.on_server_message(b"").is_err());
    }

    #[test]
    fn oauthbearer_extensions_in_first_message() {
        let t = token("tok", &[("traceId", "a b"), ("logicalCluster", "lkc-1")]);
        let mut x = OAuthExchange::new(t).unwrap();
        assert_eq!(
            x.first_message().unwrap(),
            b"n,,\x01auth=Bearer tok\x01traceId=a b\x01logicalCluster=lkc-1\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_server_error_is_acknowledged_then_fails() {
        let mut x = OAuthExchange::new(token("tok", &[])).unwrap();
        x.first_message().unwrap();
        let json = br#"{"status":"invalid_token"}"#;
        assert_eq!(x.on_server_message(json).unwrap(), Some(vec![0x01]));
        assert!(!x.is_complete());
        assert_eq!(x.server_error(), Some(r#"{"status":"invalid_token"}"#));
        let e = x.on_server_message(b"").unwrap_err();
        assert!(e.contains("invalid_token"), "{e}");
        assert!(!x.is_complete());
    }

    #[test]
    fn oauthbearer_rejects_bad_tokens_and_extensions() {
        for bad in ["", "a b", "a\x01b", "==", "a=b", "ä"] {
            let e = OAuthExchange::new(token(bad, &[])).err().unwrap();
            assert!(e.contains("b64token"), "{e}");
        }
        assert!(OAuthExchange::new(token("abc==", &[])).is_ok());
        let mut expired = token("abc", &[]);
        expired.lifetime = SystemTime::now() - Duration::from_secs(1);
        assert!(OAuthExchange::new(expired)
            .err()
            .unwrap()
            .contains("expired"));
        for ext in [
            &[("auth", "x")][..],
            &[("a1", "x")],
            &[("", "x")],
            &[("a", "")],
            &[("a", "\x01")],
            &[("a", "x"), ("a", "y")],
        ] {
            assert!(OAuthExchange::new(token("abc", ext)).is_err(), "{ext:?}");
        }
        let e = OAuthExchange::new(token("abc", &[("k", "hidden\x01value")]))
            .err()
            .unwrap();
        assert!(!e.contains("hidden"), "{e}");
    }
}
