//! The secure test broker itself (`tests/common/secure.rs`), proven with
//! clients that share nothing with our producer: Kafka's own Java console
//! producer and consumer, librdkafka (reading back through PLAINTEXT) and
//! the `openssl` command line.
//!
//! - the PKI and the TLS listeners as `openssl s_client` sees them: the
//!   broker certificate verifies against the test CA for 127.0.0.1, the
//!   wrong-host one does not (but does for `wrong.example.com`), the SSL
//!   listener takes the client certificate (with the *encrypted* key) and
//!   refuses a handshake without one or with one of the other CA;
//! - records produced through SASL_SSL with PLAIN, SCRAM-SHA-256,
//!   SCRAM-SHA-512 (8192 iterations; and a user name with `=`) and
//!   OAUTHBEARER (unsecured JWT), SSL with the client certificate, and
//!   SASL_PLAINTEXT with PLAIN and SCRAM-SHA-512 come back as sent; the Java
//!   consumer reads through SASL_SSL too;
//! - a wrong SCRAM password is refused, and nothing is written;
//! - after a SIGKILL and a restart the listeners are back on their ports,
//!   the data and the SCRAM credentials (stored in the metadata log) too;
//! - the re-authentication instance sends a 10 s session lifetime and the
//!   Java client re-authenticates (KIP-368).
//!
//! The two tests take turns (each starts its own broker).

mod common;

use common::consume_all;
use common::secure::{
    auth_label, JavaAuth, Listener, SecureKafka, ToolRun, ADMIN, ALICE, BOB, CAROL, REAUTH,
};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

const TIMEOUT: Duration = Duration::from_secs(30);

/// `openssl s_client` to `addr` with `args` (stdin empty: it handshakes,
/// then quits). Returns whether it succeeded, and its output.
fn s_client(addr: &str, args: &str) -> (bool, String) {
    let out = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-connect", addr, "-brief"])
        .args(["-verify_return_error"])
        .args(args.split_whitespace())
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = out.status.success() && text.contains("CONNECTION ESTABLISHED");
    (ok, text)
}

/// The certificates and the TLS listeners, checked with the openssl CLI.
fn tls_checks(k: &SecureKafka) {
    let t0 = Instant::now();
    let ca = k.ca_pem.display().to_string();
    let first = |list: &str| list.split(',').next().unwrap().to_string();
    // The files: chains, and the encrypted key is the same key.
    let verify = |ca: &std::path::Path, cert: &std::path::Path| {
        let out = Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(ca)
            .arg(cert)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl verify {}: {}",
            cert.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    verify(&k.ca_pem, &k.broker_cert_pem);
    verify(&k.ca_pem, &k.wrong_host_cert_pem);
    verify(&k.ca_pem, &k.client_cert_pem);
    verify(&k.other_ca_pem, &k.other_client_cert_pem);
    let pkey = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}");
        out.stdout
    };
    let enc = k.client_key_encrypted_pem.display().to_string();
    let plain = k.client_key_pem.display().to_string();
    let text = std::fs::read_to_string(&k.client_key_encrypted_pem).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let params = pkey(&["asn1parse", "-in", &enc]);
    let params = String::from_utf8_lossy(&params);
    for oid in ["PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc"] {
        assert!(
            params.contains(oid),
            "{oid} not in the encrypted key: {params}"
        );
    }
    let pass = format!("pass:{}", k.client_key_password);
    assert_eq!(
        pkey(&["pkey", "-in", &enc, "-passin", &pass, "-pubout"]),
        pkey(&["pkey", "-in", &plain, "-pubout"]),
        "the encrypted and the plain client key differ"
    );
    assert!(std::fs::read_to_string(&k.client_key_pem)
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));

    // SASL_SSL: the broker certificate, valid for 127.0.0.1 and localhost.
    let sasl_ssl = first(&k.sasl_ssl);
    let (ok, out) = s_client(&sasl_ssl, &format!("-CAfile {ca} -verify_ip 127.0.0.1"));
    assert!(ok && out.contains("CN = localhost"), "{out}");
    let (ok, out) = s_client(
        &sasl_ssl,
        &format!("-CAfile {ca} -verify_hostname localhost"),
    );
    assert!(ok, "{out}");
    // ... but not under the other CA.
    let other = k.other_ca_pem.display();
    let (ok, out) = s_client(&sasl_ssl, &format!("-CAfile {other}"));
    assert!(!ok && out.contains("unable to get local issuer"), "{out}");
    // SSL_WRONG_HOST: a good chain for another name.
    let wrong = first(&k.ssl_wrong_host);
    let (ok, out) = s_client(&wrong, &format!("-CAfile {ca} -verify_ip 127.0.0.1"));
    assert!(!ok && out.contains("IP address mismatch"), "{out}");
    let (ok, out) = s_client(&wrong, &format!("-CAfile {ca} -verify_hostname localhost"));
    assert!(!ok && out.contains("hostname mismatch"), "{out}");
    let (ok, out) = s_client(
        &wrong,
        &format!("-CAfile {ca} -verify_hostname wrong.example.com"),
    );
    assert!(ok && out.contains("CN = wrong.example.com"), "{out}");
    // SSL: mTLS. TLS 1.2, so that a refused client certificate fails the
    // handshake itself (in 1.3 the alert comes after it).
    let ssl = first(&k.ssl);
    let (ok, out) = s_client(
        &ssl,
        &format!(
            "-tls1_2 -CAfile {ca} -verify_ip 127.0.0.1 -cert {} -key {enc} -pass {pass}",
            k.client_cert_pem.display()
        ),
    );
    assert!(ok, "mTLS with the client certificate: {out}");
    let (ok, out) = s_client(&ssl, &format!("-tls1_2 -CAfile {ca}"));
    assert!(!ok && out.contains("alert"), "no client certificate: {out}");
    let (ok, out) = s_client(
        &ssl,
        &format!(
            "-tls1_2 -CAfile {ca} -cert {} -key {}",
            k.other_client_cert_pem.display(),
            k.other_client_key_pem.display()
        ),
    );
    assert!(
        !ok && out.contains("alert"),
        "client certificate of the other CA: {out}"
    );
    // TLS 1.3 works too (with the certificate).
    let (ok, out) = s_client(
        &ssl,
        &format!(
            "-tls1_3 -CAfile {ca} -cert {} -key {plain}",
            k.client_cert_pem.display()
        ),
    );
    assert!(ok && out.contains("TLSv1.3"), "{out}");
    eprintln!(
        "bed: certificates and TLS listeners checked with openssl in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

fn assert_produced(run: &ToolRun, what: &str) {
    assert!(
        run.success() && !run.stderr.contains("ERROR") && !run.stderr.contains("Exception"),
        "console producer {what}: {:?}\nstderr:\n{}",
        run.status,
        run.stderr
    );
}

/// The values of `topic`[0], read through PLAINTEXT with librdkafka.
fn values(k: &SecureKafka, topic: &str, n: usize) -> Vec<String> {
    consume_all(&k.plaintext, topic, &[0], n, TIMEOUT)
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap()).unwrap())
        .collect()
}

/// Produces `n` records through `listener` with `auth` with the Java
/// console producer and reads them back; returns the topic.
fn round_trip(
    k: &SecureKafka,
    name: &str,
    listener: Listener,
    auth: JavaAuth,
    timings: &mut Vec<(String, f64)>,
) -> String {
    let topic = k.new_topic(&format!("sec-{name}"), 1);
    let sent: Vec<String> = (0..3).map(|i| format!("{name}-{i}")).collect();
    let lines: Vec<&str> = sent.iter().map(String::as_str).collect();
    let run = k.console_produce(listener, auth, &topic, &lines);
    let what = format!("{} {}", listener.name(), auth_label(auth));
    assert_produced(&run, &what);
    assert_eq!(values(k, &topic, sent.len()), sent, "{what}");
    timings.push((what, run.elapsed.as_secs_f64()));
    topic
}

/// Takes this test's turn and the broker of `shared` (`None`: skipped),
/// and says when `what` is ready. Returns the turn, the test's start and
/// the broker.
fn take_turn(
    shared: fn() -> Option<&'static SecureKafka>,
    what: &str,
) -> Option<(MutexGuard<'static, ()>, Instant, &'static SecureKafka)> {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let t0 = Instant::now();
    let k = shared()?;
    eprintln!(
        "bed: {what} ready after {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Some((serial, t0, k))
}

#[test]
fn every_secure_listener_works_with_kafka_java_clients() {
    let Some((_serial, t0, k)) = take_turn(SecureKafka::shared, "secure Kafka") else {
        return;
    };
    let _logs = k.logs_on_panic();
    tls_checks(k);

    let mut timings = Vec::new();
    use JavaAuth::{ClientCert, OAuthBearer, Plain, ScramSha256, ScramSha512};
    use Listener::{SaslPlaintext, SaslSsl, Ssl};
    let cases = [
        ("sasl-ssl-plain", SaslSsl, Plain(ALICE)),
        ("sasl-ssl-scram256", SaslSsl, ScramSha256(ALICE)),
        // 8192 iterations.
        ("sasl-ssl-scram512", SaslSsl, ScramSha512(BOB)),
        // A `=` in the user name (sent as `=3D`) and in the password.
        ("sasl-ssl-scram256-escaped", SaslSsl, ScramSha256(CAROL)),
        ("sasl-ssl-oauthbearer", SaslSsl, OAuthBearer("alice")),
        ("ssl-mtls", Ssl, ClientCert),
        ("sasl-plaintext-plain", SaslPlaintext, Plain(ADMIN)),
        ("sasl-plaintext-scram512", SaslPlaintext, ScramSha512(ALICE)),
    ];
    let mut topics = Vec::new();
    for (name, listener, auth) in cases {
        topics.push(round_trip(k, name, listener, auth, &mut timings));
    }

    // The Java consumer through SASL_SSL (SCRAM-SHA-512) reads one back.
    let got = k.console_consume(
        Listener::SaslSsl,
        JavaAuth::ScramSha512(BOB),
        &topics[0],
        3,
        TIMEOUT,
    );
    let got: Vec<String> = got
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap()).unwrap())
        .collect();
    assert_eq!(
        got,
        ["sasl-ssl-plain-0", "sasl-ssl-plain-1", "sasl-ssl-plain-2"]
    );

    // A wrong SCRAM password is refused and nothing is written.
    let mark = k.log_len();
    let topic = k.new_topic("sec-wrong-password", 1);
    let auth = JavaAuth::ScramSha512(ALICE.with_password("not-alice-secret"));
    let run = k.console_produce(Listener::SaslSsl, auth, &topic, &["must-not-arrive"]);
    assert!(
        run.stderr.contains("SaslAuthenticationException")
            && run.stderr.contains("invalid credentials"),
        "a wrong password was not refused: {:?}\nstderr:\n{}",
        run.status,
        run.stderr
    );
    let log = k.log_since(mark);
    assert!(
        log.lines().any(|l| l.contains("Failed authentication with")
            && l.contains("invalid credentials with SASL mechanism SCRAM-SHA-512")),
        "the broker did not log the refusal"
    );
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &k.plaintext)
        .create()
        .unwrap();
    let (low, high) = reader
        .fetch_watermarks(&topic, 0, Duration::from_secs(10))
        .unwrap();
    assert_eq!((low, high), (0, 0), "a refused producer wrote records");
    timings.push((
        "SASL_SSL SCRAM-SHA-512 wrong password (refused)".into(),
        run.elapsed.as_secs_f64(),
    ));

    // SIGKILL and restart: same ports, data and SCRAM credentials.
    let t = Instant::now();
    k.kill();
    k.restart();
    let restart = t.elapsed().as_secs_f64();
    assert_eq!(
        values(k, &topics[1], 3).len(),
        3,
        "data lost in the restart"
    );
    round_trip(
        k,
        "after-restart",
        Listener::SaslSsl,
        JavaAuth::ScramSha256(CAROL),
        &mut timings,
    );

    eprintln!("bed: Java console producer runs:");
    for (what, secs) in &timings {
        eprintln!("bed:   {secs:5.1} s  {what}");
    }
    eprintln!(
        "bed: restart {restart:.1} s; whole test {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn reauth_instance_limits_sessions_and_java_client_reauthenticates() {
    let what = "secure Kafka (re-authentication)";
    let Some((_serial, t0, k)) = take_turn(SecureKafka::shared_reauth, what) else {
        return;
    };
    let _logs = k.logs_on_panic();
    assert_eq!(k.reauth, Some(REAUTH));
    let mark = k.log_len();
    let topic = k.new_topic("sec-reauth", 1);
    // One producer, one connection, a pause longer than the session.
    let run = k.console_produce_paced(
        Listener::SaslSsl,
        JavaAuth::ScramSha256(ALICE),
        &topic,
        &["before", "after"],
        REAUTH + Duration::from_secs(4),
    );
    assert_produced(&run, "paced SASL_SSL SCRAM-SHA-256");
    assert_eq!(values(k, &topic, 2), ["before", "after"]);
    let log = k.log_since(mark);
    let lifetime = format!(
        "session max lifetime from broker config={} ms",
        REAUTH.as_millis()
    );
    let sessions = log.matches(lifetime.as_str()).count();
    let reauths = log.matches("Beginning re-authentication").count();
    eprintln!(
        "bed: broker log since the mark: {sessions} authentication(s) with `{lifetime}`, \
         {reauths} re-authentication(s); log {}",
        k.log_path().display()
    );
    assert!(sessions > 0, "no session lifetime sent");
    assert!(reauths > 0, "the Java producer did not re-authenticate");
    eprintln!(
        "bed: re-authentication test {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}
