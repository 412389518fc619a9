//! Tests across mechanisms: `SaslExchange` dispatch, secrets kept out of
//! every `Debug`/`Display`/error, and hostile server bytes.

use super::scram::tests::TestServer;
use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proptest::prelude::*;
use std::time::{Duration, SystemTime};

const PASSWORD: &str = "Sup3r-Secret_Pw";
const TOKEN: &str = "SecretTokenValue123.payload.";

#[derive(Debug)]
struct FixedProvider(Result<OAuthToken, String>);

impl TokenProvider for FixedProvider {
    fn token(&self) -> Result<OAuthToken, String> {
        self.0.clone()
    }
}

fn oauth_token(value: &str) -> OAuthToken {
    OAuthToken {
        token: Password::from(value),
        lifetime: SystemTime::now() + Duration::from_secs(600),
        principal: "alice".into(),
        extensions: vec![("traceId".into(), "t-1".into())],
    }
}

fn creds(mechanism: SaslMechanism) -> SaslCredentials {
    SaslCredentials {
        mechanism,
        username: "alice".into(),
        password: Password::from(PASSWORD),
        token_provider: Some(Arc::new(FixedProvider(Ok(oauth_token(TOKEN))))),
    }
}

#[test]
fn mechanism_names_round_trip() {
    for m in SaslMechanism::ALL {
        assert_eq!(m.name().parse::<SaslMechanism>().unwrap(), m);
        assert_eq!(m.name().to_lowercase().parse::<SaslMechanism>().unwrap(), m);
        assert_eq!(m.to_string(), m.name());
    }
    assert_eq!(
        " scram-sha-512 ".parse::<SaslMechanism>().unwrap(),
        SaslMechanism::ScramSha512
    );
    let e = "GSSAPI".parse::<SaslMechanism>().unwrap_err();
    assert!(e.contains("GSSAPI"), "{e}");
    for m in SaslMechanism::ALL {
        assert!(e.contains(m.name()), "{e}");
    }
}

#[test]
fn password_is_redacted() {
    let p = Password::from(PASSWORD);
    assert_eq!(format!("{p:?}"), "Password(\"[redacted]\")");
    assert_eq!(format!("{p}"), "[redacted]");
    assert_eq!(p.expose(), PASSWORD);
    assert_eq!(p.clone(), Password::from(PASSWORD.to_owned()));
    assert_ne!(p, Password::from("other"));
}

#[test]
fn exchange_dispatch_plain_and_oauth() {
    let mut x = SaslExchange::new(&creds(SaslMechanism::Plain)).unwrap();
    assert_eq!(x.mechanism(), SaslMechanism::Plain);
    assert_eq!(
        x.first_message().unwrap(),
        format!("\0alice\0{PASSWORD}").into_bytes()
    );
    assert_eq!(x.on_server_message(b"").unwrap(), None);
    assert!(x.is_complete());
    assert_eq!(x.server_error(), None);

    let mut x = SaslExchange::new(&creds(SaslMechanism::OAuthBearer)).unwrap();
    assert_eq!(x.mechanism(), SaslMechanism::OAuthBearer);
    assert_eq!(
        x.first_message().unwrap(),
        format!("n,,\x01auth=Bearer {TOKEN}\x01traceId=t-1\x01\x01").into_bytes()
    );
    assert!(!x.is_complete());
    assert_eq!(x.on_server_message(b"").unwrap(), None);
    assert!(x.is_complete());
}

#[test]
fn exchange_dispatch_scram() {
    for (mechanism, hash) in [
        (SaslMechanism::ScramSha256, scram::ScramHash::Sha256),
        (SaslMechanism::ScramSha512, scram::ScramHash::Sha512),
    ] {
        let server = TestServer {
            hash,
            password: PASSWORD,
            salt: b"salt!".to_vec(),
            iterations: 4096,
            server_nonce: "srv",
        };
        let mut x = SaslExchange::new(&creds(mechanism)).unwrap();
        assert_eq!(x.mechanism(), mechanism);
        let (first, bare) = server.server_first(&x.first_message().unwrap());
        let fin = x.on_server_message(first.as_bytes()).unwrap().unwrap();
        assert!(!x.is_complete());
        let answer = server.server_final(&bare, &first, &fin);
        assert!(answer.starts_with("v="), "{answer}");
        assert_eq!(x.on_server_message(answer.as_bytes()).unwrap(), None);
        assert!(x.is_complete());
    }
}

#[test]
fn exchange_new_errors() {
    let mut c = creds(SaslMechanism::OAuthBearer);
    c.token_provider = None;
    let e = SaslExchange::new(&c).unwrap_err();
    assert!(e.contains("token provider"), "{e}");
    c.token_provider = Some(Arc::new(FixedProvider(Err("idp down".into()))));
    let e = SaslExchange::new(&c).unwrap_err();
    assert!(e.contains("idp down"), "{e}");
    for m in [SaslMechanism::Plain, SaslMechanism::ScramSha256] {
        let mut c = creds(m);
        c.username.clear();
        assert!(SaslExchange::new(&c).unwrap_err().contains("user name"));
    }
}

/// Every `Debug`, `Display` and error this module makes, with a known
/// password and token, must show neither them nor SCRAM's derived secrets.
#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let mut shown: Vec<String> = Vec::new();
    let mut debug = |s: String| shown.push(s);

    // Credentials and exchanges at every step.
    for m in SaslMechanism::ALL {
        let c = creds(m);
        debug(format!("{c:?}"));
        debug(format!("{c:#?}"));
        let mut x = SaslExchange::new(&c).unwrap();
        debug(format!("{x:?}"));
        x.first_message().unwrap();
        debug(format!("{x:?}"));
    }
    let t = oauth_token(TOKEN);
    debug(format!("{t:?}"));
    debug(format!("{:?}", t.token));
    debug(format!("{}", t.token));
    debug(format!("{:?}", Password::from(PASSWORD)));
    debug(format!("{:?}", FixedProvider(Ok(oauth_token(TOKEN)))));

    // SCRAM: the client proof and salted password of a real exchange.
    let hash = scram::ScramHash::Sha256;
    let salt = b"pepper".to_vec();
    let server = TestServer {
        hash,
        password: PASSWORD,
        salt: salt.clone(),
        iterations: 4096,
        server_nonce: "srv",
    };
    let mut x = SaslExchange::new(&creds(SaslMechanism::ScramSha256)).unwrap();
    let (first, bare) = server.server_first(&x.first_message().unwrap());
    let fin = x.on_server_message(first.as_bytes()).unwrap().unwrap();
    debug(format!("{x:?}"));
    let proof = String::from_utf8(fin.clone()).unwrap();
    let proof = proof.rsplit_once("p=").unwrap().1.to_owned();
    let salted = hash.salted_password(PASSWORD.as_bytes(), &salt, 4096);
    let server_final = server.server_final(&bare, &first, &fin);
    let signature = server_final.strip_prefix("v=").unwrap().to_owned();
    // A wrong signature, then a server error.
    let mut wrong = SaslExchange::new(&creds(SaslMechanism::ScramSha256)).unwrap();
    let (first, _) = server.server_first(&wrong.first_message().unwrap());
    wrong.on_server_message(first.as_bytes()).unwrap();
    debug(wrong.on_server_message(b"v=AAAA").unwrap_err());
    debug(format!("{wrong:?}"));
    debug(
        wrong
            .on_server_message(server_final.as_bytes())
            .unwrap_err(),
    );
    let mut failed = SaslExchange::new(&creds(SaslMechanism::ScramSha512)).unwrap();
    failed.first_message().unwrap();
    debug(failed.on_server_message(b"r=x,s=AAAA,i=4096").unwrap_err());

    // Errors from bad credentials holding the secrets.
    let mut c = creds(SaslMechanism::Plain);
    c.password = Password::from(format!("{PASSWORD}\0"));
    debug(SaslExchange::new(&c).unwrap_err());
    c.password = Password::from("");
    debug(SaslExchange::new(&c).unwrap_err());
    let mut c = creds(SaslMechanism::OAuthBearer);
    for bad in [format!("{TOKEN} x"), format!("{TOKEN}\x01")] {
        c.token_provider = Some(Arc::new(FixedProvider(Ok(oauth_token(&bad)))));
        debug(SaslExchange::new(&c).unwrap_err());
        debug(format!("{c:?}"));
    }
    let mut expired = oauth_token(TOKEN);
    expired.lifetime = SystemTime::now() - Duration::from_secs(5);
    c.token_provider = Some(Arc::new(FixedProvider(Ok(expired))));
    debug(SaslExchange::new(&c).unwrap_err());
    let mut bad_ext = oauth_token(TOKEN);
    bad_ext.extensions = vec![("k".into(), format!("{PASSWORD}\x00"))];
    c.token_provider = Some(Arc::new(FixedProvider(Ok(bad_ext))));
    debug(SaslExchange::new(&c).unwrap_err());
    // OAUTHBEARER rejected by the server.
    let mut x = SaslExchange::new(&creds(SaslMechanism::OAuthBearer)).unwrap();
    x.first_message().unwrap();
    x.on_server_message(br#"{"status":"invalid_token"}"#)
        .unwrap();
    debug(format!("{x:?}"));
    debug(x.on_server_message(b"").unwrap_err());
    debug(x.first_message().unwrap_err());

    // JAAS.
    let config = format!(
        "org.apache.kafka.common.security.plain.PlainLoginModule required \
         username=\"alice\" password=\"{PASSWORD}\";"
    );
    let login: JaasLogin = parse_jaas(&config).unwrap();
    assert_eq!(login.module, JaasModule::Plain);
    debug(format!("{login:?}"));
    debug(format!("{:?}", login.password()));
    debug(format!(
        "{:?}",
        login.credentials(SaslMechanism::Plain).unwrap()
    ));
    debug(login.credentials(SaslMechanism::ScramSha256).unwrap_err());
    for cut in [config.len() - 1, config.len() - 2, config.len() - 6] {
        debug(parse_jaas(&config[..cut]).unwrap_err());
    }

    let salted_b64 = STANDARD.encode(&salted);
    let salted_hex: String = salted.iter().map(|b| format!("{b:02x}")).collect();
    let secrets = [
        PASSWORD,
        "SecretTokenValue123",
        proof.as_str(),
        signature.as_str(),
        salted_b64.as_str(),
        salted_hex.as_str(),
    ];
    assert!(shown.len() > 30);
    for s in &shown {
        for secret in secrets {
            assert!(!s.contains(secret), "{secret} shown in: {s}");
        }
    }
}

fn scram_after_first(mechanism: SaslMechanism) -> SaslExchange {
    let mut x = SaslExchange::with_scram_nonce(&creds(mechanism), "fixedNonce").unwrap();
    assert_eq!(
        x.first_message().unwrap(),
        b"n,,n=alice,r=fixedNonce".to_vec()
    );
    x
}

fn printable_ascii() -> impl Strategy<Value = String> {
    proptest::collection::vec(0x20u8..0x7f, 0..24)
        .prop_map(|v| String::from_utf8(v).expect("ASCII"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary server bytes never panic, and never complete SCRAM.
    #[test]
    fn hostile_server_bytes_never_panic(
        first in proptest::collection::vec(any::<u8>(), 0..200),
        second in proptest::collection::vec(any::<u8>(), 0..200),
        sha512 in any::<bool>(),
    ) {
        let m = if sha512 { SaslMechanism::ScramSha512 } else { SaslMechanism::ScramSha256 };
        let mut x = scram_after_first(m);
        let _ = x.on_server_message(&first);
        let _ = x.on_server_message(&second);
        prop_assert!(!x.is_complete());

        for m in [SaslMechanism::Plain, SaslMechanism::OAuthBearer] {
            let mut x = SaslExchange::new(&creds(m)).unwrap();
            let _ = x.on_server_message(&first);
            let _ = x.first_message();
            let _ = x.on_server_message(&first);
            let _ = x.on_server_message(&second);
            let _ = format!("{x:?}");
        }
    }
}

proptest! {
    // Each case may run PBKDF2 twice.
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Server-first messages that pass the nonce check, with hostile salt,
    /// iteration count, extensions and server-final, never panic nor
    /// complete without the right signature.
    #[test]
    fn hostile_scram_messages_never_panic(
        nonce_suffix in printable_ascii(),
        salt in proptest::collection::vec(any::<u8>(), 0..40),
        iterations in prop_oneof![Just(4096u32), 0u32..5000, any::<u32>()],
        tail in prop_oneof![
            Just(String::new()),
            printable_ascii().prop_map(|s| format!(",x={s}")),
            printable_ascii(),
        ],
        fin in proptest::collection::vec(any::<u8>(), 0..120),
        fin_text in printable_ascii(),
    ) {
        let mut x = scram_after_first(SaslMechanism::ScramSha256);
        let salt = STANDARD.encode(&salt);
        let first = format!("r=fixedNonce{nonce_suffix},s={salt},i={iterations}{tail}");
        if x.on_server_message(first.as_bytes()).is_ok() {
            let _ = x.on_server_message(&fin);
            prop_assert!(!x.is_complete());
            let mut y = scram_after_first(SaslMechanism::ScramSha256);
            y.on_server_message(first.as_bytes()).unwrap();
            let _ = y.on_server_message(format!("v={fin_text}").as_bytes());
            prop_assert!(!y.is_complete());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary configs and mechanism names never panic.
    #[test]
    fn arbitrary_jaas_and_names_never_panic(s in any::<String>(), tail in printable_ascii()) {
        let _ = parse_jaas(&s);
        let _ = s.parse::<SaslMechanism>();
        let c = format!("org.apache.kafka.common.security.plain.PlainLoginModule required {tail}");
        if let Ok(l) = parse_jaas(&c) {
            let _ = l.credentials(SaslMechanism::Plain);
            let _ = format!("{l:?}");
        }
        let c = format!(
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required {s}"
        );
        if let Ok(l) = parse_jaas(&c) {
            let _ = l.unsecured_token_provider().map(|p| p.token());
        }
    }
}
