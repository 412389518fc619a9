//! SCRAM-SHA-256 and SCRAM-SHA-512 clients (RFC 5802, RFC 7677), without
//! channel binding (`n,,` GS2 header) and without SASLprep (as the Java
//! client: the password's UTF-8 bytes are used as they are).
//!
//! ```text
//! client-first  n,,n=<saslname>,r=<client nonce>
//! server-first  r=<client nonce + server nonce>,s=<base64 salt>,i=<iterations>
//! client-final  c=biws,r=<nonce>,p=<base64 proof>
//! server-final  v=<base64 server signature>   or   e=<error>
//! ```

use super::{printable, wipe, wipe_vec, Password};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// The lowest iteration count accepted from a server (RFC 7677, Kafka).
pub(crate) const MIN_ITERATIONS: u32 = 4096;

/// The highest iteration count accepted from a server: Kafka's own limit is
/// 16384; this bounds how long a hostile server can keep the sender thread
/// busy computing PBKDF2 (about 0.1 s).
pub(crate) const MAX_ITERATIONS: u32 = 100_000;

/// Random bytes in a client nonce (base64: 32 printable characters).
const NONCE_BYTES: usize = 24;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScramHash {
    /// SCRAM-SHA-256.
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

impl ScramHash {
    fn name(self) -> &'static str {
        match self {
            ScramHash::Sha256 => "SCRAM-SHA-256",
            ScramHash::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// `HMAC(key, data)`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut m = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        match self {
            ScramHash::Sha256 => mac::<Hmac<Sha256>>(key, data),
            ScramHash::Sha512 => mac::<Hmac<Sha512>>(key, data),
        }
    }

    /// `H(data)`.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with HMAC, one hash length of output.
    pub(crate) fn salted_password(self, password: &[u8], salt: &[u8], i: u32) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => {
                let mut out = vec![0; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, i, &mut out);
                out
            }
            ScramHash::Sha512 => {
                let mut out = vec![0; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, i, &mut out);
                out
            }
        }
    }
}

/// Escapes a user name into a `saslname` (RFC 5802: `=` as `=3D`, `,` as `=2C`).
pub(crate) fn sasl_name(username: &str) -> String {
    username.replace('=', "=3D").replace(',', "=2C")
}

/// Whether `s` is a valid nonce: printable ASCII except `,`.
fn is_printable_nonce(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// Equality that does not stop at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Initial,
    AwaitServerFirst,
    AwaitServerFinal,
    Complete,
    Failed,
}

/// A SCRAM exchange.
pub(crate) struct ScramExchange {
    hash: ScramHash,
    password: Password,
    client_nonce: String,
    client_first_bare: String,
    /// The signature the server must prove it can compute (after server-first).
    server_signature: Vec<u8>,
    step: Step,
}

/// The fields of a server-first-message.
struct ServerFirst<'a> {
    nonce: &'a str,
    salt: Vec<u8>,
    iterations: u32,
}

impl ScramExchange {
    /// An exchange with a fresh random client nonce.
    pub(crate) fn new(
        hash: ScramHash,
        username: &str,
        password: &Password,
    ) -> Result<ScramExchange, String> {
        let mut bytes = [0u8; NONCE_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|e| format!("cannot get random bytes for the SCRAM nonce: {e}"))?;
        Self::with_nonce(hash, username, password, STANDARD.encode(bytes))
    }

    /// An exchange with the given client nonce (tests; [`Self::new`] otherwise).
    pub(crate) fn with_nonce(
        hash: ScramHash,
        username: &str,
        password: &Password,
        client_nonce: String,
    ) -> Result<ScramExchange, String> {
        if username.is_empty() {
            return Err(format!("{} needs a user name (it is empty)", hash.name()));
        }
        if !is_printable_nonce(&client_nonce) {
            return Err("SCRAM client nonce must be printable ASCII without ','".into());
        }
        let client_first_bare = format!("n={},r={}", sasl_name(username), client_nonce);
        Ok(ScramExchange {
            hash,
            password: password.clone(),
            client_nonce,
            client_first_bare,
            server_signature: Vec::new(),
            step: Step::Initial,
        })
    }

    pub(crate) fn first_message(&mut self) -> Result<Vec<u8>, String> {
        if self.step != Step::Initial {
            return Err(format!(
                "{} client-first-message was already sent",
                self.hash.name()
            ));
        }
        self.step = Step::AwaitServerFirst;
        Ok(format!("n,,{}", self.client_first_bare).into_bytes())
    }

    pub(crate) fn on_server_message(&mut self, data: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let result = match self.step {
            Step::AwaitServerFirst => self.on_server_first(data).map(Some),
            Step::AwaitServerFinal => self.on_server_final(data).map(|()| None),
            Step::Initial => Err("server message before the client-first-message".into()),
            Step::Complete => Err("server message after authentication completed".into()),
            Step::Failed => return Err(format!("{} exchange already failed", self.hash.name())),
        };
        match result {
            Ok(next) => Ok(next),
            Err(e) => {
                self.fail();
                Err(format!("{}: {e}", self.hash.name()))
            }
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.step == Step::Complete
    }

    pub(crate) fn step(&self) -> &'static str {
        match self.step {
            Step::Initial => "initial",
            Step::AwaitServerFirst => "awaiting server-first-message",
            Step::AwaitServerFinal => "awaiting server-final-message",
            Step::Complete => "complete",
            Step::Failed => "failed",
        }
    }

    fn fail(&mut self) {
        self.step = Step::Failed;
        self.password = Password::from("");
        wipe_vec(std::mem::take(&mut self.server_signature));
    }

    /// Checks server-first and computes client-final.
    fn on_server_first(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
        let text = std::str::from_utf8(data).map_err(|_| "server-first-message is not UTF-8")?;
        let first = parse_server_first(text)?;
        if first.nonce.len() <= self.client_nonce.len()
            || !first.nonce.starts_with(&self.client_nonce)
        {
            return Err("the server nonce does not extend the client nonce".into());
        }
        let h = self.hash;
        let mut salted = h.salted_password(
            self.password.expose().as_bytes(),
            &first.salt,
            first.iterations,
        );
        self.password = Password::from("");
        let client_final_without_proof = format!("c=biws,r={}", first.nonce);
        let auth_message = format!(
            "{},{},{}",
            self.client_first_bare, text, client_final_without_proof
        );
        let mut client_key = h.hmac(&salted, b"Client Key");
        let mut stored_key = h.hash(&client_key);
        let mut client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let mut proof = xor(&client_key, &client_signature);
        let mut server_key = h.hmac(&salted, b"Server Key");
        self.server_signature = h.hmac(&server_key, auth_message.as_bytes());
        let message = format!("{client_final_without_proof},p={}", STANDARD.encode(&proof));
        for secret in [
            &mut salted,
            &mut client_key,
            &mut stored_key,
            &mut client_signature,
            &mut proof,
            &mut server_key,
        ] {
            wipe(secret);
        }
        self.step = Step::AwaitServerFinal;
        Ok(message.into_bytes())
    }

    /// Checks server-final: an error, or the server's signature.
    fn on_server_final(&mut self, data: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(data).map_err(|_| "server-final-message is not UTF-8")?;
        let first = text.split(',').next().unwrap_or_default();
        if let Some(error) = first.strip_prefix("e=") {
            return Err(format!(
                "authentication failed: server error `{}`",
                printable(error.as_bytes(), 100)
            ));
        }
        let verifier = first
            .strip_prefix("v=")
            .ok_or("malformed server-final-message (neither `v=` nor `e=`)")?;
        let mut signature = STANDARD
            .decode(verifier)
            .map_err(|_| "server signature (`v=`) is not valid base64")?;
        let ok = constant_time_eq(&signature, &self.server_signature);
        wipe(&mut signature);
        if !ok {
            return Err(
                "the server signature is wrong: the server does not know the password".into(),
            );
        }
        wipe_vec(std::mem::take(&mut self.server_signature));
        self.step = Step::Complete;
        Ok(())
    }
}

impl Drop for ScramExchange {
    fn drop(&mut self) {
        wipe(&mut self.server_signature);
    }
}

/// `attr=value` with the expected attribute, or an error naming it.
fn attribute<'a>(part: Option<&'a str>, attr: &str, what: &str) -> Result<&'a str, String> {
    part.and_then(|p| p.strip_prefix(attr))
        .and_then(|p| p.strip_prefix('='))
        .ok_or_else(|| format!("server-first-message lacks the {what} (`{attr}=`)"))
}

/// Parses `[m=...,]r=...,s=...,i=...[,ext=...]*`.
fn parse_server_first(text: &str) -> Result<ServerFirst<'_>, String> {
    let mut parts = text.split(',').peekable();
    if parts.peek().is_some_and(|p| p.starts_with("m=")) {
        return Err("the server requires an unsupported mandatory extension (`m=`)".into());
    }
    let nonce = attribute(parts.next(), "r", "nonce")?;
    if !is_printable_nonce(nonce) {
        return Err("the server nonce is not printable ASCII".into());
    }
    let salt = attribute(parts.next(), "s", "salt")?;
    let salt = STANDARD
        .decode(salt)
        .map_err(|_| "the salt (`s=`) is not valid base64")?;
    if salt.is_empty() {
        return Err("the salt (`s=`) is empty".into());
    }
    let iterations = attribute(parts.next(), "i", "iteration count")?;
    let iterations: u32 = if !iterations.is_empty()
        && iterations.len() <= 10
        && iterations.bytes().all(|b| b.is_ascii_digit())
    {
        iterations
            .parse()
            .map_err(|_| "the iteration count is too large")?
    } else {
        return Err("the iteration count (`i=`) is not a number".into());
    };
    if iterations < MIN_ITERATIONS {
        return Err(format!(
            "the iteration count {iterations} is below the minimum {MIN_ITERATIONS}"
        ));
    }
    if iterations > MAX_ITERATIONS {
        return Err(format!(
            "the iteration count {iterations} is above the maximum {MAX_ITERATIONS}"
        ));
    }
    for ext in parts {
        let mut chars = ext.chars();
        if !(chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next() == Some('=')) {
            return Err("malformed extension in server-first-message".into());
        }
    }
    Ok(ServerFirst {
        nonce,
        salt,
        iterations,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The server side of SCRAM, written from RFC 5802 section 3 for tests:
    /// checks the client's proof and answers with its own signature.
    pub(crate) struct TestServer {
        pub hash: ScramHash,
        pub password: &'static str,
        pub salt: Vec<u8>,
        pub iterations: u32,
        pub server_nonce: &'static str,
    }

    impl TestServer {
        /// Answers client-first with server-first; also gives client-first-bare.
        pub fn server_first(&self, client_first: &[u8]) -> (String, String) {
            let client_first = std::str::from_utf8(client_first).unwrap();
            let bare = client_first.strip_prefix("n,,").expect("GS2 header n,,");
            let nonce = bare.split(",r=").nth(1).unwrap();
            let server_first = format!(
                "r={nonce}{},s={},i={}",
                self.server_nonce,
                STANDARD.encode(&self.salt),
                self.iterations
            );
            (server_first, bare.to_owned())
        }

        /// Answers client-final: `v=` when the proof is right, else `e=invalid-proof`.
        pub fn server_final(&self, bare: &str, server_first: &str, client_final: &[u8]) -> String {
            let h = self.hash;
            let client_final = std::str::from_utf8(client_final).unwrap();
            let (without_proof, proof) = client_final.rsplit_once(",p=").unwrap();
            let proof = STANDARD.decode(proof).unwrap();
            let auth_message = format!("{bare},{server_first},{without_proof}");
            let salted = h.salted_password(self.password.as_bytes(), &self.salt, self.iterations);
            let stored_key = h.hash(&h.hmac(&salted, b"Client Key"));
            let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
            let client_key = xor(&proof, &client_signature);
            if h.hash(&client_key) != stored_key {
                return "e=invalid-proof".into();
            }
            let server_key = h.hmac(&salted, b"Server Key");
            let signature = h.hmac(&server_key, auth_message.as_bytes());
            format!("v={}", STANDARD.encode(signature))
        }
    }

    fn exchange(hash: ScramHash, user: &str, password: &str, nonce: &str) -> ScramExchange {
        ScramExchange::with_nonce(hash, user, &Password::from(password), nonce.into()).unwrap()
    }

    const RFC7677_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const RFC7677_SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    #[test]
    fn rfc7677_scram_sha256_test_vector() {
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        assert_eq!(
            x.first_message().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let client_final = x
            .on_server_message(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&client_final).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert!(!x.is_complete());
        let server_final = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        assert_eq!(x.on_server_message(server_final).unwrap(), None);
        assert!(x.is_complete());
        assert!(x.on_server_message(server_final).is_err());
    }

    #[test]
    fn rfc7677_test_server_agrees() {
        // The test server reproduces the RFC's server-final from the RFC's
        // client-final, so it can be trusted for SHA-512.
        let server = TestServer {
            hash: ScramHash::Sha256,
            password: "pencil",
            salt: STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap(),
            iterations: 4096,
            server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        };
        let (first, bare) = server.server_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        assert_eq!(first, RFC7677_SERVER_FIRST);
        let fin = server.server_final(
            &bare,
            &first,
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
              p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        );
        assert_eq!(fin, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    fn round_trip(hash: ScramHash, user: &str, client_password: &str) -> Result<(), String> {
        let server = TestServer {
            hash,
            password: "p@ss,w=rd",
            salt: b"some salt bytes".to_vec(),
            iterations: 4096,
            server_nonce: "SERVERnonce",
        };
        let mut x = ScramExchange::new(hash, user, &Password::from(client_password))?;
        let (first, bare) = server.server_first(&x.first_message()?);
        let client_final = x.on_server_message(first.as_bytes())?.unwrap();
        let fin = server.server_final(&bare, &first, &client_final);
        assert_eq!(x.on_server_message(fin.as_bytes())?, None);
        assert!(x.is_complete());
        Ok(())
    }

    #[test]
    fn scram_sha512_round_trip() {
        round_trip(ScramHash::Sha512, "alice", "p@ss,w=rd").unwrap();
        round_trip(ScramHash::Sha256, "alice", "p@ss,w=rd").unwrap();
    }

    #[test]
    fn scram_wrong_password_gets_invalid_proof() {
        let e = round_trip(ScramHash::Sha512, "alice", "wrong").unwrap_err();
        assert!(e.contains("invalid-proof"), "{e}");
        assert!(e.contains("SCRAM-SHA-512"), "{e}");
        assert!(!e.contains("wrong"), "{e}");
    }

    #[test]
    fn scram_random_nonces_differ_and_are_printable() {
        let a = ScramExchange::new(ScramHash::Sha256, "u", &Password::from("p")).unwrap();
        let b = ScramExchange::new(ScramHash::Sha256, "u", &Password::from("p")).unwrap();
        assert_ne!(a.client_nonce, b.client_nonce);
        assert!(a.client_nonce.len() >= 32);
        assert!(is_printable_nonce(&a.client_nonce));
    }

    #[test]
    fn scram_username_is_escaped() {
        assert_eq!(sasl_name("a=b,c"), "a=3Db=2Cc");
        assert_eq!(sasl_name("=,"), "=3D=2C");
        let mut x = exchange(ScramHash::Sha256, "a,=b", "p", "nonce");
        assert_eq!(x.first_message().unwrap(), b"n,,n=a=2C=3Db,r=nonce");
    }

    #[test]
    fn scram_wrong_server_signature_fails() {
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        x.first_message().unwrap();
        x.on_server_message(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap();
        let bad = b"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        let e = x.on_server_message(bad).unwrap_err();
        assert!(e.contains("server signature is wrong"), "{e}");
        assert!(!x.is_complete());
        // Failed for good.
        let good = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        assert!(x.on_server_message(good).is_err());
        assert!(!x.is_complete());
    }

    #[test]
    fn scram_server_error_is_reported() {
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        x.first_message().unwrap();
        x.on_server_message(RFC7677_SERVER_FIRST.as_bytes())
            .unwrap();
        let e = x.on_server_message(b"e=invalid-proof").unwrap_err();
        assert!(e.contains("invalid-proof"), "{e}");
        assert!(!x.is_complete());
    }

    fn server_first_error(server_first: &str) -> String {
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        x.first_message().unwrap();
        x.on_server_message(server_first.as_bytes()).unwrap_err()
    }

    #[test]
    fn scram_server_nonce_must_extend_ours() {
        let e = server_first_error("r=XOprNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert!(e.contains("nonce"), "{e}");
        // Exactly ours, with nothing from the server.
        let e = server_first_error("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert!(e.contains("nonce"), "{e}");
        let e = server_first_error("r=rOprNGfw,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert!(e.contains("nonce"), "{e}");
    }

    #[test]
    fn scram_bad_server_first_messages() {
        let n = "r=rOprNGfwEbeRWgbNEkqOabc";
        let cases: &[(String, &str)] = &[
            (
                format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095"),
                "below the minimum",
            ),
            (
                format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100001"),
                "above the maximum",
            ),
            (
                format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999"),
                "not a number",
            ),
            (
                format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1"),
                "not a number",
            ),
            (format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i="), "not a number"),
            (format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ=="), "iteration count"),
            (format!("{n},i=4096"), "salt"),
            (format!("{n},s=,i=4096"), "salt"),
            (format!("{n},s=not*base64,i=4096"), "base64"),
            (
                format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,bogus"),
                "extension",
            ),
            (
                format!("m=ext,{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
                "mandatory",
            ),
            ("s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".to_owned(), "nonce"),
            (String::new(), "nonce"),
        ];
        for (msg, want) in cases {
            let e = server_first_error(msg);
            assert!(e.contains(want), "{msg}: {e}");
        }
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        x.first_message().unwrap();
        assert!(x
            .on_server_message(&[0xff, 0xfe])
            .unwrap_err()
            .contains("UTF-8"));
        // An extension after the iteration count is ignored.
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        x.first_message().unwrap();
        let msg = format!("{n},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=whatever");
        assert!(x.on_server_message(msg.as_bytes()).unwrap().is_some());
    }

    #[test]
    fn scram_bad_server_final_messages() {
        for bad in [&b""[..], b"x=1", b"v=***", b"\xff"] {
            let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
            x.first_message().unwrap();
            x.on_server_message(RFC7677_SERVER_FIRST.as_bytes())
                .unwrap();
            assert!(x.on_server_message(bad).is_err());
            assert!(!x.is_complete());
        }
    }

    #[test]
    fn scram_out_of_order_calls_fail() {
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        assert!(x
            .on_server_message(RFC7677_SERVER_FIRST.as_bytes())
            .is_err());
        let mut x = exchange(ScramHash::Sha256, "user", "pencil", RFC7677_NONCE);
        x.first_message().unwrap();
        assert!(x.first_message().is_err());
        assert!(ScramExchange::new(ScramHash::Sha256, "", &Password::from("p")).is_err());
        assert!(ScramExchange::with_nonce(
            ScramHash::Sha256,
            "u",
            &Password::from("p"),
            "a,b".into()
        )
        .is_err());
    }
}
