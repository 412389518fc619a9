//! The producer over Kafka 4.x's own TLS and SASL listeners
//! (`common::secure`: SASL_SSL and SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256,
//! SCRAM-SHA-512 and unsecured OAUTHBEARER; SSL with client certificates
//! required; an SSL listener whose certificate names another host).
//! Everything produced is read back by librdkafka through the PLAINTEXT
//! listener (`check.crcs=true`).
//!
//! Every log line of this binary, at trace level, is captured and searched
//! for the passwords, keys and tokens in use: none may appear.
#![cfg(feature = "tls")]

mod common;

use common::consume_all;
use common::secure::{Listener, SecureKafka, ADMIN, ALICE, BOB, CAROL, CLIENT_KEY_PASSWORD};
use kafka_sync::config::SecurityProtocol;
use kafka_sync::{
    DeliveryError, Error, Producer, ProducerConfig, ProducerRecord, Refusal, SaslMechanism,
};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

type Bytes = Vec<u8>;

// --- every log line, at trace level ----------------------------------------

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let thread = std::thread::current();
        let line = format!(
            "[{}] {} {} {}",
            thread.name().unwrap_or("?"),
            record.level(),
            record.target(),
            record.args()
        );
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

fn logs() -> &'static Capture {
    static LOGS: OnceLock<&'static Capture> = OnceLock::new();
    LOGS.get_or_init(|| {
        let c: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        let _ = log::set_logger(c);
        log::set_max_level(log::LevelFilter::Trace);
        c
    })
}

/// What must never be logged: every password of the test users, the client
/// key's password, PEM private keys, and OAUTHBEARER tokens (an unsecured
/// JWT starts with the base64url of `{"alg":"none"}`).
fn secrets() -> Vec<String> {
    let mut s: Vec<String> = [ADMIN, ALICE, BOB, CAROL]
        .iter()
        .map(|u| u.password.to_owned())
        .collect();
    s.push(CLIENT_KEY_PASSWORD.to_owned());
    s.push("wrong-password-42".to_owned());
    s.push("PRIVATE KEY".to_owned());
    s.push("eyJhbGciOiJub25lIn0".to_owned());
    s.push("auth=Bearer".to_owned());
    s
}

/// Fails if any captured log line holds a secret; returns the line count.
fn assert_no_secret_logged() -> usize {
    let lines = logs().0.lock().unwrap();
    for line in lines.iter() {
        for secret in secrets() {
            assert!(
                !line.contains(&secret),
                "a secret reached a log line: {line}"
            );
        }
    }
    lines.len()
}

/// Log lines of the producer with `client_id` that contain `needle`.
fn logged(client_id: &str, needle: &str) -> usize {
    let thread = format!("[kafka-sync-sender-{client_id}]");
    logs()
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with(&thread) && l.contains(needle))
        .count()
}

// --- helpers -----------------------------------------------------------------

/// The broker SIGKILL test holds this exclusively: the other tests share the
/// one-node cluster it kills.
static KILL: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn shared_use() -> std::sync::RwLockReadGuard<'static, ()> {
    KILL.read().unwrap_or_else(|e| e.into_inner())
}

/// How the producer authenticates in a case.
#[derive(Clone, Copy)]
enum Auth {
    Sasl(SaslMechanism, &'static str, &'static str),
    Bearer(&'static str),
    ClientCert,
    EncryptedClientKey,
    Nothing,
}

impl std::fmt::Debug for Auth {
    // Without the password: test output is a log too.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Sasl(m, user, _) => write!(f, "{}/{user}", m.name()),
            Auth::Bearer(sub) => write!(f, "OAUTHBEARER/{sub}"),
            Auth::ClientCert => f.write_str("client-certificate"),
            Auth::EncryptedClientKey => f.write_str("client-certificate(encrypted PKCS#8 key)"),
            Auth::Nothing => f.write_str("none"),
        }
    }
}

fn config(
    k: &SecureKafka,
    listener: Listener,
    auth: Auth,
) -> kafka_sync::config::ProducerConfigBuilder {
    logs();
    let protocol: SecurityProtocol = listener.protocol().parse().unwrap();
    let mut b = ProducerConfig::builder()
        .bootstrap_servers(k.bootstrap(listener))
        .security_protocol(protocol)
        .linger(Duration::from_millis(5))
        .max_block(Duration::from_secs(20))
        .delivery_timeout(Duration::from_secs(60));
    if listener.tls() {
        b = b.ssl_truststore_location(&k.ca_pem);
    }
    match auth {
        Auth::Sasl(m, user, password) => {
            b = b.sasl_mechanism(m).sasl_credentials(user, password);
        }
        Auth::Bearer(sub) => {
            let jaas = format!(
                r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="{sub}";"#
            );
            b = b
                .set("sasl.mechanism", "OAUTHBEARER")
                .set("sasl.jaas.config", jaas);
        }
        Auth::ClientCert => b = b.ssl_client_certificate(&k.client_cert_pem, &k.client_key_pem),
        Auth::EncryptedClientKey => {
            b = b
                .set(
                    "ssl.certificate.location",
                    k.client_cert_pem.display().to_string(),
                )
                .set(
                    "ssl.key.location",
                    k.client_key_encrypted_pem.display().to_string(),
                )
                .set("ssl.key.password", &k.client_key_password);
        }
        Auth::Nothing => {}
    }
    b
}

fn values(n: usize, tag: &str) -> Vec<String> {
    (0..n).map(|i| format!("{tag}-{i}")).collect()
}

/// Produces `n` records and reads them back: each exactly once.
fn produce_and_read_back(k: &SecureKafka, listener: Listener, auth: Auth, n: usize) {
    let topic = k.new_topic("sec", 2);
    let t0 = Instant::now();
    let p: Producer<Bytes, Bytes> =
        Producer::new(config(k, listener, auth).build().unwrap()).unwrap();
    let sent = values(n, &format!("{listener:?}"));
    let handles: Vec<_> = sent
        .iter()
        .map(|v| {
            p.send(ProducerRecord::new(topic.as_str(), v.clone().into_bytes()))
                .map_err(|e| e.error)
                .unwrap()
        })
        .collect();
    for h in handles {
        h.wait()
            .unwrap_or_else(|e| panic!("{listener:?} {auth:?}: {e}"));
    }
    p.close(Duration::from_secs(10));
    let secs = t0.elapsed().as_secs_f64();
    let got = consume_all(
        k.bootstrap(Listener::Plaintext),
        &topic,
        &[0, 1],
        n,
        Duration::from_secs(60),
    );
    let read: BTreeSet<String> = got
        .iter()
        .map(|c| String::from_utf8(c.value.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(
        got.len(),
        n,
        "{listener:?} {auth:?}: read back exactly once"
    );
    assert_eq!(read, sent.into_iter().collect(), "{listener:?} {auth:?}");
    println!(
        "SECURITY listener={} auth={auth:?} produced={n} read_back={} secs={secs:.1}",
        listener.name(),
        got.len()
    );
}

/// Sends one record and returns its error (it must fail).
fn first_error(k: &SecureKafka, b: kafka_sync::config::ProducerConfigBuilder) -> (Error, Duration) {
    let topic = k.new_topic("secfail", 1);
    let p: Producer<Bytes, Bytes> = Producer::new(b.build().unwrap()).unwrap();
    let t0 = Instant::now();
    let result = p
        .send(ProducerRecord::new(topic.as_str(), b"x".to_vec()))
        .map_err(|e| Error::from(e.error))
        .and_then(|h| h.wait().map_err(Error::from));
    let took = t0.elapsed();
    p.close(Duration::ZERO);
    (result.expect_err("the record must fail"), took)
}

// --- the tests -----------------------------------------------------------------

#[test]
fn every_mechanism_on_every_listener_produces_and_reads_back() {
    let Some(k) = SecureKafka::shared() else {
        return;
    };
    let _logs = k.logs_on_panic();
    let _shared = shared_use();
    let cases = [
        (
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::Plain, ALICE.name, ALICE.password),
        ),
        (
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::ScramSha256, ALICE.name, ALICE.password),
        ),
        (
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::ScramSha512, BOB.name, BOB.password),
        ),
        (Listener::SaslSsl, Auth::Bearer("alice")),
        (Listener::Ssl, Auth::ClientCert),
        (Listener::Ssl, Auth::EncryptedClientKey),
        (
            Listener::SaslPlaintext,
            Auth::Sasl(SaslMechanism::Plain, ADMIN.name, ADMIN.password),
        ),
        (
            Listener::SaslPlaintext,
            Auth::Sasl(SaslMechanism::ScramSha256, CAROL.name, CAROL.password),
        ),
        (
            Listener::SaslPlaintext,
            Auth::Sasl(SaslMechanism::ScramSha512, CAROL.name, CAROL.password),
        ),
    ];
    for (listener, auth) in cases {
        produce_and_read_back(k, listener, auth, 2_000);
    }
    let lines = assert_no_secret_logged();
    println!("SECURITY-LOGS {lines} log lines captured at trace level, no secret in any");
}

#[test]
fn refusals_fail_fast_and_say_why() {
    let Some(k) = SecureKafka::shared() else {
        return;
    };
    let _logs = k.logs_on_panic();
    let _shared = shared_use();
    let report = |case: &str, e: &Error, took: Duration| {
        println!(
            "SECURITY-FAILURE {case}: after {} ms: {e}",
            took.as_millis()
        );
    };
    // A wrong password: an authentication error naming the mechanism, the
    // broker and its message, within about one reconnect backoff.
    let (e, took) = first_error(
        k,
        config(
            k,
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::ScramSha512, ALICE.name, "wrong-password-42"),
        ),
    );
    report("wrong SCRAM-SHA-512 password", &e, took);
    let Error::Authentication { message } = &e else {
        panic!("expected an authentication error: {e}");
    };
    assert!(message.contains("SCRAM-SHA-512"), "{message}");
    assert!(
        message.contains(&k.bootstrap(Listener::SaslSsl).to_string()) || message.contains("node"),
        "{message}"
    );
    assert!(
        message.contains("SASL_AUTHENTICATION_FAILED") || message.contains("Authentication failed"),
        "{message}"
    );
    assert!(took < Duration::from_secs(10), "fails fast: {took:?}");
    // A user unknown to PLAIN.
    let (e, took) = first_error(
        k,
        config(
            k,
            Listener::SaslPlaintext,
            Auth::Sasl(SaslMechanism::Plain, BOB.name, BOB.password),
        ),
    );
    report("PLAIN user without PLAIN credentials", &e, took);
    assert!(matches!(e, Error::Authentication { .. }), "{e}");
    // The broker's certificate is signed by a CA we do not trust.
    let b = config(k, Listener::Ssl, Auth::ClientCert).ssl_truststore_location(&k.other_ca_pem);
    let (e, took) = first_error(k, b);
    report("unknown CA", &e, took);
    assert!(
        matches!(&e, Error::Authentication { message } if message.contains("unknown CA")),
        "{e}"
    );
    // A certificate for another host name; accepted with the check off.
    let (e, took) = first_error(k, config(k, Listener::SslWrongHost, Auth::ClientCert));
    report("hostname mismatch", &e, took);
    assert!(
        matches!(&e, Error::Authentication { message } if message.contains("hostname mismatch")),
        "{e}"
    );
    let topic = k.new_topic("secnohost", 1);
    let p: Producer<Bytes, Bytes> = Producer::new(
        config(k, Listener::SslWrongHost, Auth::ClientCert)
            .ssl_endpoint_identification(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    p.send(ProducerRecord::new(topic.as_str(), b"ok".to_vec()))
        .map_err(|e| e.error)
        .unwrap()
        .wait()
        .expect("accepted with ssl.endpoint.identification.algorithm empty");
    p.close(Duration::from_secs(5));
    // No client certificate where one is required.
    let (e, took) = first_error(k, config(k, Listener::Ssl, Auth::Nothing));
    report("no client certificate", &e, took);
    assert!(matches!(e, Error::Authentication { .. }), "{e}");
    // Plaintext to a TLS listener.
    let b = ProducerConfig::builder()
        .bootstrap_servers(k.bootstrap(Listener::Ssl))
        .max_block(Duration::from_secs(20));
    let (e, took) = first_error(k, b);
    report("PLAINTEXT client on a TLS listener", &e, took);
    assert!(
        matches!(&e, Error::Authentication { message } if message.contains("answered with TLS")),
        "{e}"
    );
    // TLS to a plaintext listener: the broker drops the ClientHello.
    let b = ProducerConfig::builder()
        .bootstrap_servers(k.bootstrap(Listener::Plaintext))
        .security_protocol(SecurityProtocol::Ssl)
        .ssl_truststore_location(&k.ca_pem)
        .max_block(Duration::from_secs(20));
    let (e, took) = first_error(k, b);
    report("SSL client on a PLAINTEXT listener", &e, took);
    assert!(
        matches!(&e, Error::Authentication { message } if message.contains("lost during the TLS handshake")),
        "{e}"
    );
    // A callback and flush see the refusal too.
    let p: Producer<Bytes, Bytes> = Producer::new(
        config(
            k,
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::Plain, ALICE.name, "wrong-password-42"),
        )
        .build()
        .unwrap(),
    )
    .unwrap();
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    let topic = k.new_topic("seccb", 1);
    let t0 = Instant::now();
    match p.send_with_callback(
        ProducerRecord::new(topic.as_str(), b"x".to_vec()),
        move |r| {
            *s.lock().unwrap() = Some(r.map(drop));
        },
    ) {
        Ok(()) => {
            p.flush().unwrap();
            let r = seen
                .lock()
                .unwrap()
                .take()
                .expect("callback ran before flush returned");
            assert!(
                matches!(r, Err(DeliveryError::Authentication { .. })),
                "{r:?}"
            );
        }
        Err(e) => assert!(
            matches!(e.error, Refusal::Authentication { .. }),
            "{}",
            e.error
        ),
    }
    assert!(t0.elapsed() < Duration::from_secs(10));
    p.close(Duration::ZERO);
    // A trust store that does not exist: a configuration error naming it.
    let Err(e) = Producer::<Bytes, Bytes>::new(
        config(k, Listener::Ssl, Auth::ClientCert)
            .ssl_truststore_location("/nonexistent/ca.pem")
            .build()
            .unwrap(),
    ) else {
        panic!("a missing trust store must be refused");
    };
    assert!(
        matches!(&e, Error::Config(c) if c.property == "ssl.truststore.location"),
        "{e}"
    );
    report("missing trust store", &e, Duration::ZERO);
    assert_no_secret_logged();
}

/// SASL_SSL through a broker SIGKILL and restart: reconnecting
/// authenticates again; idempotence keeps every record exactly once.
#[test]
fn a_broker_kill_mid_stream_loses_and_duplicates_nothing() {
    let Some(k) = SecureKafka::shared() else {
        return;
    };
    let _logs = k.logs_on_panic();
    let _exclusive = KILL.write().unwrap_or_else(|e| e.into_inner());
    let topic = k.new_topic("seckill", 3);
    let n = 30_000;
    let p: Producer<Bytes, Bytes> = Producer::new(
        config(
            k,
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::ScramSha512, ALICE.name, ALICE.password),
        )
        .delivery_timeout(Duration::from_secs(120))
        .build()
        .unwrap(),
    )
    .unwrap();
    let sent = values(n, "kill");
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for (i, v) in sent.iter().enumerate() {
        if i == n / 3 {
            k.kill();
            std::thread::sleep(Duration::from_secs(2));
            k.restart();
        }
        handles.push(
            p.send(ProducerRecord::new(topic.as_str(), v.clone().into_bytes()))
                .map_err(|e| e.error)
                .unwrap(),
        );
        if i % 1000 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let failed = handles
        .into_iter()
        .map(|h| h.wait())
        .filter(Result::is_err)
        .count();
    p.close(Duration::from_secs(30));
    let got = consume_all(
        k.bootstrap(Listener::Plaintext),
        &topic,
        &[0, 1, 2],
        n,
        Duration::from_secs(90),
    );
    let read: BTreeSet<String> = got
        .iter()
        .map(|c| String::from_utf8(c.value.clone().unwrap()).unwrap())
        .collect();
    let lost = sent.iter().filter(|v| !read.contains(*v)).count();
    let duplicated = got.len() - read.len();
    println!(
        "SECURITY-FAULT SASL_SSL/SCRAM-SHA-512 sigkill+restart records={n} lost={lost} duplicated={duplicated} failed={failed} secs={:.1}",
        t0.elapsed().as_secs_f64()
    );
    assert_eq!((lost, duplicated, failed), (0, 0, 0));
    assert_no_secret_logged();
}

/// A broker with a short `connections.max.reauth.ms`: connections
/// authenticate again before their session ends, without being dropped.
#[test]
fn sessions_are_reauthenticated_without_dropping_connections() {
    let Some(k) = SecureKafka::shared_reauth() else {
        return;
    };
    let _logs = k.logs_on_panic();
    let _shared = shared_use();
    let lifetime = k.reauth.expect("a reauth cluster");
    for (listener, auth) in [
        (
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::ScramSha256, ALICE.name, ALICE.password),
        ),
        (Listener::SaslPlaintext, Auth::Bearer("alice")),
    ] {
        let topic = k.new_topic("secreauth", 1);
        let client_id = format!("reauth-{}", listener.name());
        let p: Producer<Bytes, Bytes> = Producer::new(
            config(k, listener, auth)
                .client_id(&client_id)
                .build()
                .unwrap(),
        )
        .unwrap();
        let t0 = Instant::now();
        let mut handles = Vec::new();
        let mut i = 0;
        while t0.elapsed() < lifetime * 2 + lifetime / 2 {
            handles.push(
                p.send(ProducerRecord::new(
                    topic.as_str(),
                    format!("r{i}").into_bytes(),
                ))
                .map_err(|e| e.error)
                .unwrap(),
            );
            i += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        let n = handles.len();
        for h in handles {
            h.wait().unwrap_or_else(|e| panic!("{listener:?}: {e}"));
        }
        p.close(Duration::from_secs(10));
        let reauths = logged(&client_id, "re-authenticating");
        let dropped = logged(&client_id, "disconnected");
        println!(
            "SECURITY-REAUTH {} {auth:?} session={lifetime:?} records={n} reauthentications={reauths} disconnects={dropped}",
            listener.name()
        );
        assert!(reauths >= 2, "re-authenticated at least twice: {reauths}");
        assert_eq!(dropped, 0, "no connection was dropped");
        let got = consume_all(
            k.bootstrap(Listener::Plaintext),
            &topic,
            &[0],
            n,
            Duration::from_secs(60),
        );
        assert_eq!(got.len(), n);
    }
    assert_no_secret_logged();
}

/// A mechanism the listener does not enable: refused, with the list of the
/// ones it does.
#[test]
fn a_mechanism_the_broker_does_not_enable_is_refused_with_the_list() {
    let Some(k) = SecureKafka::shared_reauth() else {
        return;
    };
    let _logs = k.logs_on_panic();
    let _shared = shared_use();
    let (e, took) = first_error(
        k,
        config(
            k,
            Listener::SaslPlaintext,
            Auth::Sasl(SaslMechanism::ScramSha512, ALICE.name, ALICE.password),
        ),
    );
    println!(
        "SECURITY-FAILURE mechanism not enabled: after {} ms: {e}",
        took.as_millis()
    );
    let Error::Authentication { message } = &e else {
        panic!("expected an authentication error: {e}");
    };
    assert!(
        message.contains("does not enable SASL mechanism SCRAM-SHA-512")
            && message.contains("PLAIN, OAUTHBEARER"),
        "{message}"
    );
}

/// Enough bytes over TLS that the TLS session's buffer fills while the
/// socket would block (a stall once: queued frames were left unwritten
/// until `request.timeout.ms`).
#[test]
fn many_megabytes_over_tls_do_not_stall() {
    let Some(k) = SecureKafka::shared() else {
        return;
    };
    let _logs = k.logs_on_panic();
    let _shared = shared_use();
    let topic = k.new_topic("secbulk", 3);
    let n = 4_000;
    let p: Producer<Bytes, Bytes> = Producer::new(
        config(
            k,
            Listener::SaslSsl,
            Auth::Sasl(SaslMechanism::ScramSha256, ALICE.name, ALICE.password),
        )
        .request_timeout(Duration::from_secs(15))
        .batch_size(256 * 1024)
        .build()
        .unwrap(),
    )
    .unwrap();
    let t0 = Instant::now();
    let value = vec![b'v'; 10 * 1024];
    let handles: Vec<_> = (0..n)
        .map(|_| {
            p.send(ProducerRecord::new(topic.as_str(), value.clone()))
                .map_err(|e| e.error)
                .unwrap()
        })
        .collect();
    for h in handles {
        h.wait().unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    let retried = p.counters().batches_retried;
    p.close(Duration::from_secs(10));
    println!("SECURITY-BULK SASL_SSL {n} x 10 KiB in {secs:.1} s, batches retried {retried}");
    assert_eq!(retried, 0, "no request timed out");
    let got = consume_all(
        k.bootstrap(Listener::Plaintext),
        &topic,
        &[0, 1, 2],
        n,
        Duration::from_secs(60),
    );
    assert_eq!(got.len(), n);
}
