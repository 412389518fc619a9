//! Real Apache Kafka 4.4 with security listeners, for the producer's TLS and
//! SASL tests: a KRaft cluster (combined broker+controller nodes, one by
//! default) on loopback, started from the jars of `scripts/kafka.sh` like
//! [`super::kafka::KafkaCluster`], with a test PKI made by the `openssl`
//! command line at start-up.
//!
//! Client listeners of every node, each on a free port of 127.0.0.1 (the
//! fields of [`SecureKafka`] hold the bootstrap lists):
//!
//! | field            | listener name    | protocol       | what                                        |
//! |------------------|------------------|----------------|---------------------------------------------|
//! | `plaintext`      | `PLAINTEXT`      | PLAINTEXT      | admin, reading back; also inter-broker      |
//! | `sasl_ssl`       | `SASL_SSL`       | SASL_SSL       | [`SASL_MECHANISMS`], broker cert            |
//! | `ssl`            | `SSL`            | SSL            | `ssl.client.auth=required` (mTLS)           |
//! | `sasl_plaintext` | `SASL_PLAINTEXT` | SASL_PLAINTEXT | [`SASL_MECHANISMS`] ([`REAUTH_PLAINTEXT_MECHANISMS`] when reauth) |
//! | `ssl_wrong_host` | `SSL_WRONG_HOST` | SSL            | cert for `wrong.example.com` only, no mTLS  |
//!
//! The controller listener is PLAINTEXT too. Every address a broker
//! advertises is `127.0.0.1:PORT` of the listener the client came in on.
//!
//! Certificates (RSA 2048, SHA-256, in [`SecureKafka::dir`]`/tls`): a test CA
//! ([`SecureKafka::ca_pem`]) that signed the broker certificate (SAN
//! `DNS:localhost, IP:127.0.0.1`, EKU serverAuth), the wrong-host
//! certificate (SAN `DNS:wrong.example.com` only) and a client certificate
//! (CN `ksync-client`, EKU clientAuth) whose key is there unencrypted
//! (PKCS#8) and encrypted (PKCS#8 PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC);
//! a second, unrelated CA with a client certificate of its own.
//!
//! SASL users ([`USERS`]): PLAIN ones are `user_NAME="PASSWORD"` options of
//! the listeners' PLAIN JAAS config, SCRAM ones are written into the
//! metadata log when the storage is formatted
//! (`kafka-storage format --add-scram 'SCRAM-SHA-256=[name=..,iterations=..,password=..]'`).
//! OAUTHBEARER is Kafka's unsecured default: the broker takes any unsigned
//! JWT (`alg: none`) with a `sub` claim and an `exp` in the future (Kafka's
//! `OAuthBearerUnsecuredValidatorCallbackHandler`, its default server
//! callback handler when none is configured; no URL is involved, so the
//! 4.x `org.apache.kafka.sasl.oauthbearer.allowed.urls` system property
//! does not matter).
//!
//! [`SecureKafka::shared_reauth`] is a second instance whose SASL listeners
//! have `connections.max.reauth.ms` = [`REAUTH`] (KIP-368). The broker logs
//! `SaslServerAuthenticator` at DEBUG (see [`SecureKafka::log_path`]):
//! `Authentication complete; session max lifetime from broker
//! config=10000 ms, ...` on every authentication and `Beginning
//! re-authentication: ...` on every re-authentication.
//!
//! Kafka's Java clients can be run against any listener with
//! [`SecureKafka::console_produce`] / [`SecureKafka::console_consume`].
#![allow(dead_code)]

use super::java;
pub use super::java::ToolRun;
use super::kafka::{jars_and_java, random_cluster_id, Version};
pub use super::node::LogsOnPanic;
use super::node::{
    admin_clients, create_topic, leak_or_skip, loopback_list, quorum_voters, read_from,
    replication_properties, server_common, Node, Nodes,
};
use super::tansu::free_port;
use super::Consumed;
use rdkafka::admin::AdminClient;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::BaseConsumer;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The Kafka version of the secure cluster.
pub const VERSION: Version = Version::V4;

/// The SASL mechanisms both SASL listeners enable.
pub const SASL_MECHANISMS: &str = "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER";

/// The mechanisms the SASL_PLAINTEXT listener of
/// [`SecureKafka::shared_reauth`] enables (fewer: a client asking for
/// another one is refused with this list).
pub const REAUTH_PLAINTEXT_MECHANISMS: &str = "PLAIN,OAUTHBEARER";

/// `connections.max.reauth.ms` of [`SecureKafka::shared_reauth`].
pub const REAUTH: Duration = Duration::from_secs(10);

/// The password of [`SecureKafka::client_key_encrypted_pem`].
pub const CLIENT_KEY_PASSWORD: &str = "client-key-secret";

/// The `sub` the broker's own OAUTHBEARER login uses (it never sends it:
/// inter-broker traffic is PLAINTEXT).
pub const OAUTH_BROKER_SUB: &str = "admin";

/// A SASL user and the mechanisms it has credentials for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct User {
    /// User name (as the client sends it, before SCRAM's `=2C`/`=3D`).
    pub name: &'static str,
    /// Password.
    pub password: &'static str,
    /// Known to PLAIN (a `user_NAME` option of the PLAIN JAAS config).
    pub plain: bool,
    /// Has SCRAM-SHA-256 credentials.
    pub scram_sha256: bool,
    /// Has SCRAM-SHA-512 credentials.
    pub scram_sha512: bool,
    /// The SCRAM iteration count of its credentials.
    pub scram_iterations: u32,
}

impl User {
    /// The same user with another password (for "wrong password" tests).
    pub const fn with_password(self, password: &'static str) -> User {
        User { password, ..self }
    }
}

/// Every mechanism, 4096 SCRAM iterations.
pub const ADMIN: User = User {
    name: "admin",
    password: "admin-secret",
    plain: true,
    scram_sha256: true,
    scram_sha512: true,
    scram_iterations: 4096,
};
/// Every mechanism, 4096 SCRAM iterations.
pub const ALICE: User = User {
    name: "alice",
    password: "alice-secret",
    plain: true,
    scram_sha256: true,
    scram_sha512: true,
    scram_iterations: 4096,
};
/// SCRAM-SHA-512 only (not PLAIN, not SCRAM-SHA-256), 8192 iterations.
pub const BOB: User = User {
    name: "bob",
    password: "bob-secret",
    plain: false,
    scram_sha256: false,
    scram_sha512: true,
    scram_iterations: 4096 * 2,
};
/// Both SCRAM mechanisms, not PLAIN; a `=` in the name (which SCRAM sends
/// as `=3D`) and in the password. (`--add-scram` cannot store a `,` in a
/// name.)
pub const CAROL: User = User {
    name: "carol=x",
    password: "pw=carol",
    plain: false,
    scram_sha256: true,
    scram_sha512: true,
    scram_iterations: 4096,
};
/// Every user the brokers know.
pub const USERS: &[User] = &[ADMIN, ALICE, BOB, CAROL];

/// A client listener of every node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Listener {
    /// PLAINTEXT.
    Plaintext,
    /// SASL_SSL.
    SaslSsl,
    /// SSL, client certificate required.
    Ssl,
    /// SASL_PLAINTEXT.
    SaslPlaintext,
    /// SSL with the wrong-host server certificate.
    SslWrongHost,
}

impl Listener {
    /// Every client listener.
    pub const ALL: [Listener; 5] = [
        Listener::Plaintext,
        Listener::SaslSsl,
        Listener::Ssl,
        Listener::SaslPlaintext,
        Listener::SslWrongHost,
    ];

    /// The listener's name in the broker config.
    pub fn name(self) -> &'static str {
        match self {
            Listener::Plaintext => "PLAINTEXT",
            Listener::SaslSsl => "SASL_SSL",
            Listener::Ssl => "SSL",
            Listener::SaslPlaintext => "SASL_PLAINTEXT",
            Listener::SslWrongHost => "SSL_WRONG_HOST",
        }
    }

    /// Its security protocol (`security.protocol` of a client).
    pub fn protocol(self) -> &'static str {
        match self {
            Listener::SslWrongHost => "SSL",
            l => l.name(),
        }
    }

    /// Whether it speaks TLS.
    pub fn tls(self) -> bool {
        matches!(
            self,
            Listener::SaslSsl | Listener::Ssl | Listener::SslWrongHost
        )
    }

    /// Whether it speaks SASL.
    pub fn sasl(self) -> bool {
        matches!(self, Listener::SaslSsl | Listener::SaslPlaintext)
    }

    fn index(self) -> usize {
        Listener::ALL.iter().position(|l| *l == self).unwrap()
    }
}

/// How a Java client authenticates (see [`SecureKafka::java_client_config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JavaAuth {
    /// Nothing (PLAINTEXT, or TLS without a client certificate).
    None,
    /// TLS with the client certificate of the test CA.
    ClientCert,
    /// TLS with the client certificate of the unrelated CA.
    OtherCaClientCert,
    /// SASL/PLAIN.
    Plain(User),
    /// SASL/SCRAM-SHA-256.
    ScramSha256(User),
    /// SASL/SCRAM-SHA-512.
    ScramSha512(User),
    /// SASL/OAUTHBEARER with an unsecured JWT whose `sub` is this.
    OAuthBearer(&'static str),
}

/// The ports of a node.
struct Ports {
    /// The client listeners, in [`Listener::ALL`] order.
    listeners: [u16; 5],
    controller: u16,
}

/// A KRaft cluster of Kafka 4.4 brokers with security listeners (see the
/// module docs).
pub struct SecureKafka {
    /// Bootstrap list of the PLAINTEXT listeners (`127.0.0.1:P,...`).
    pub plaintext: String,
    /// Bootstrap list of the SASL_SSL listeners.
    pub sasl_ssl: String,
    /// Bootstrap list of the SSL listeners (client certificate required).
    pub ssl: String,
    /// Bootstrap list of the SASL_PLAINTEXT listeners.
    pub sasl_plaintext: String,
    /// Bootstrap list of the SSL listeners whose certificate names only
    /// `wrong.example.com` (no client certificate asked for).
    pub ssl_wrong_host: String,
    /// Working directory: `nodeN/` (config, data, `kafka.log`), `tls/`,
    /// `clients/` (Java client configs).
    pub dir: PathBuf,
    /// The test CA's certificate (PEM), which signed every broker and the
    /// client certificate.
    pub ca_pem: PathBuf,
    /// The broker certificate (PEM; SAN `DNS:localhost, IP:127.0.0.1`).
    pub broker_cert_pem: PathBuf,
    /// The certificate of the `SSL_WRONG_HOST` listeners (PEM; SAN
    /// `DNS:wrong.example.com` only).
    pub wrong_host_cert_pem: PathBuf,
    /// The client certificate (PEM, CN `ksync-client`, signed by the CA).
    pub client_cert_pem: PathBuf,
    /// Its key, unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    pub client_key_pem: PathBuf,
    /// The same key, encrypted PKCS#8 PEM (`BEGIN ENCRYPTED PRIVATE KEY`,
    /// PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC).
    pub client_key_encrypted_pem: PathBuf,
    /// The password of `client_key_encrypted_pem` ([`CLIENT_KEY_PASSWORD`]).
    pub client_key_password: String,
    /// A second CA (PEM) that signed nothing the brokers know.
    pub other_ca_pem: PathBuf,
    /// A client certificate signed by the other CA (PEM) ...
    pub other_client_cert_pem: PathBuf,
    /// ... and its unencrypted PKCS#8 key.
    pub other_client_key_pem: PathBuf,
    /// The SASL users ([`USERS`]).
    pub users: &'static [User],
    /// `connections.max.reauth.ms` of the SASL listeners, if set.
    pub reauth: Option<Duration>,
    nodes: Nodes<Ports>,
    admin: AdminClient<DefaultClientContext>,
    meta: BaseConsumer,
}

/// The certificate files of a test PKI.
struct Pki {
    ca: PathBuf,
    broker_cert: PathBuf,
    broker_key: PathBuf,
    wrong_cert: PathBuf,
    wrong_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    client_key_enc: PathBuf,
    other_ca: PathBuf,
    other_client_cert: PathBuf,
    other_client_key: PathBuf,
}

/// The `openssl` config of the test PKI: `[ca]` for the CAs and a section
/// per kind of leaf certificate (its extended key usage and, for a server,
/// its subject alternative names).
fn openssl_cnf() -> String {
    let mut s = "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n\
                 [ca]\nbasicConstraints = critical, CA:TRUE\n\
                 keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
        .to_string();
    for (section, usage, names) in [
        ("server", "serverAuth", Some("DNS:localhost, IP:127.0.0.1")),
        ("wrong_host", "serverAuth", Some("DNS:wrong.example.com")),
        ("client", "clientAuth", None),
    ] {
        s += &format!(
            "[{section}]\nbasicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = {usage}\n"
        );
        if let Some(names) = names {
            s += &format!("subjectAltName = {names}\n");
        }
        s += "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n";
    }
    s
}

/// Runs `openssl` in `dir` with the arguments of `line` (split at spaces).
fn openssl(dir: &Path, line: &str) -> Result<(), String> {
    let args: Vec<&str> = line.split_whitespace().collect();
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl (install the openssl package): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl {line}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// Makes the test PKI in `dir` (see the module docs).
fn make_pki(dir: &Path) -> Result<Pki, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("openssl.cnf"), openssl_cnf()).map_err(|e| e.to_string())?;
    let ca = |name: &str, subject: &str| {
        openssl(
            dir,
            &format!(
                "req -x509 -config openssl.cnf -extensions ca -newkey rsa:2048 -nodes \
                 -sha256 -days 3650 -subj {subject} -keyout {name}.key -out {name}.pem"
            ),
        )
    };
    let leaf = |name: &str, subject: &str, ca: &str, serial: &str, ext: &str| {
        openssl(
            dir,
            &format!(
                "req -new -config openssl.cnf -newkey rsa:2048 -nodes -subj {subject} \
                 -keyout {name}.key -out {name}.csr"
            ),
        )?;
        openssl(
            dir,
            &format!(
                "x509 -req -in {name}.csr -CA {ca}.pem -CAkey {ca}.key -set_serial {serial} \
                 -days 3650 -sha256 -extfile openssl.cnf -extensions {ext} -out {name}.pem"
            ),
        )
    };
    ca("ca", "/O=kafka-sync-tests/CN=ksync-test-CA")?;
    ca("other-ca", "/O=kafka-sync-tests/CN=ksync-unrelated-CA")?;
    leaf("broker", "/CN=localhost", "ca", "0x1001", "server")?;
    leaf(
        "wrong-host",
        "/CN=wrong.example.com",
        "ca",
        "0x1002",
        "wrong_host",
    )?;
    leaf("client", "/CN=ksync-client", "ca", "0x1003", "client")?;
    leaf(
        "other-client",
        "/CN=ksync-other-client",
        "other-ca",
        "0x2001",
        "client",
    )?;
    // PBES2: PBKDF2 with HMAC-SHA256, AES-256-CBC.
    openssl(
        dir,
        &format!(
            "pkcs8 -topk8 -in client.key -out client.enc.key -v2 aes-256-cbc \
             -v2prf hmacWithSHA256 -passout pass:{CLIENT_KEY_PASSWORD}"
        ),
    )?;
    let p = |f: &str| dir.join(f);
    Ok(Pki {
        ca: p("ca.pem"),
        broker_cert: p("broker.pem"),
        broker_key: p("broker.key"),
        wrong_cert: p("wrong-host.pem"),
        wrong_key: p("wrong-host.key"),
        client_cert: p("client.pem"),
        client_key: p("client.key"),
        client_key_enc: p("client.enc.key"),
        other_ca: p("other-ca.pem"),
        other_client_cert: p("other-client.pem"),
        other_client_key: p("other-client.key"),
    })
}

/// A PEM file as one properties value: its newlines as `\n` escapes.
fn pem_value(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.trim_end().replace('\n', "\\n"))
}

/// A value for a Java properties file (backslashes escaped).
fn prop(value: &str) -> String {
    value.replace('\\', "\\\\")
}

/// A JAAS option value: quoted, `"` and `\` escaped.
fn jaas_quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The `--add-scram` arguments that give [`USERS`] their credentials.
fn scram_args() -> Vec<String> {
    let mut args = Vec::new();
    for u in USERS {
        for (has, mech) in [
            (u.scram_sha256, "SCRAM-SHA-256"),
            (u.scram_sha512, "SCRAM-SHA-512"),
        ] {
            if has {
                args.push("--add-scram".to_string());
                args.push(format!(
                    "{mech}=[name=\"{}\",iterations={},password=\"{}\"]",
                    u.name, u.scram_iterations, u.password
                ));
            }
        }
    }
    args
}

/// The security part of a node's `server.properties`.
fn security_properties(pki: &Pki, ca: &Path, reauth: Option<Duration>) -> Result<String, String> {
    let mut s = String::new();
    s += "# TLS listeners: the broker certificate (inline PEM), the test CA\n\
          # trusted for client certificates; mTLS on SSL only.\n";
    s += "ssl.keystore.type=PEM\n";
    s += &format!(
        "ssl.keystore.certificate.chain={}\n",
        pem_value(&pki.broker_cert)?
    );
    s += &format!("ssl.keystore.key={}\n", pem_value(&pki.broker_key)?);
    s += "ssl.truststore.type=PEM\n";
    s += &format!(
        "ssl.truststore.location={}\n",
        prop(&ca.display().to_string())
    );
    s += "listener.name.ssl.ssl.client.auth=required\n";
    s += "listener.name.ssl_wrong_host.ssl.keystore.type=PEM\n";
    s += &format!(
        "listener.name.ssl_wrong_host.ssl.keystore.certificate.chain={}\n",
        pem_value(&pki.wrong_cert)?
    );
    s += &format!(
        "listener.name.ssl_wrong_host.ssl.keystore.key={}\n",
        pem_value(&pki.wrong_key)?
    );
    s += "# SASL listeners.\n";
    s += &format!("sasl.enabled.mechanisms={SASL_MECHANISMS}\n");
    let plain_users: String = USERS
        .iter()
        .filter(|u| u.plain)
        .map(|u| format!(" user_{}={}", u.name, jaas_quote(u.password)))
        .collect();
    for l in [Listener::SaslSsl, Listener::SaslPlaintext] {
        let p = format!("listener.name.{}.", l.name().to_lowercase());
        let mechanisms = if reauth.is_some() && l == Listener::SaslPlaintext {
            REAUTH_PLAINTEXT_MECHANISMS
        } else {
            SASL_MECHANISMS
        };
        s += &format!("{p}sasl.enabled.mechanisms={mechanisms}\n");
        s += &format!(
            "{p}plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required{plain_users};\n"
        );
        for m in ["scram-sha-256", "scram-sha-512"] {
            s += &format!(
                "{p}{m}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n"
            );
        }
        s += &format!(
            "{p}oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"{OAUTH_BROKER_SUB}\";\n"
        );
        if let Some(r) = reauth {
            s += &format!("{p}connections.max.reauth.ms={}\n", r.as_millis());
        }
    }
    Ok(s)
}

impl SecureKafka {
    /// The single-node secure cluster this test binary shares, started on
    /// first use; `None` (after a `SKIPPED` line) when it cannot be set up
    /// outside CI (no Kafka jars, java or openssl). Panics in CI when it
    /// cannot.
    pub fn shared() -> Option<&'static SecureKafka> {
        static SHARED: OnceLock<Option<&'static SecureKafka>> = OnceLock::new();
        Self::shared_in(&SHARED, None)
    }

    /// As [`SecureKafka::shared`], a second instance whose SASL listeners
    /// have `connections.max.reauth.ms` = [`REAUTH`].
    pub fn shared_reauth() -> Option<&'static SecureKafka> {
        static SHARED: OnceLock<Option<&'static SecureKafka>> = OnceLock::new();
        Self::shared_in(&SHARED, Some(REAUTH))
    }

    fn shared_in(
        cell: &'static OnceLock<Option<&'static SecureKafka>>,
        reauth: Option<Duration>,
    ) -> Option<&'static SecureKafka> {
        let mut fresh = false;
        let k = *cell.get_or_init(|| {
            fresh = true;
            let what = format!("secure Kafka {}", VERSION.as_str());
            leak_or_skip(&what, Self::start(1, reauth))
        });
        if k.is_none() && !fresh {
            eprintln!(
                "SKIPPED: secure Kafka {} is not available",
                VERSION.as_str()
            );
        }
        k
    }

    /// Starts a cluster of `nodes` nodes (1 to 3) and waits until every
    /// broker is registered; `reauth` sets `connections.max.reauth.ms` on
    /// the SASL listeners.
    pub fn start(nodes: usize, reauth: Option<Duration>) -> Result<SecureKafka, String> {
        assert!((1..=3).contains(&nodes), "1 to 3 nodes");
        let t_start = Instant::now();
        let jars = jars_and_java(VERSION)?;
        static N: AtomicUsize = AtomicUsize::new(0);
        // Under /tmp/ksync-kafka-*: scripts/test.sh cleans up leftovers.
        let dir = std::env::temp_dir().join(format!(
            "ksync-kafka-{}-{}-secure{}-{}",
            std::process::id(),
            VERSION.as_str(),
            if reauth.is_some() { "-reauth" } else { "" },
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("clients")).map_err(|e| e.to_string())?;
        let pki = make_pki(&dir.join("tls"))?;
        let t_pki = t_start.elapsed();

        // Broker logging: the harness's, plus SASL authentication at DEBUG.
        let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka");
        let mut log4j2 =
            std::fs::read_to_string(conf.join("log4j2.properties")).map_err(|e| e.to_string())?;
        log4j2 += "\n# SASL (re-)authentications, for the security tests.\n\
                   logger.sasl.name = org.apache.kafka.common.security.authenticator.SaslServerAuthenticator\n\
                   logger.sasl.level = DEBUG\n";
        std::fs::write(dir.join("log4j2.properties"), log4j2).map_err(|e| e.to_string())?;

        let ns: Vec<Node<Ports>> = (1..=nodes as i32)
            .map(|id| {
                let ports = Ports {
                    listeners: std::array::from_fn(|_| free_port()),
                    controller: free_port(),
                };
                Node::new(id, ports)
            })
            .collect();
        let voters = quorum_voters(ns.iter().map(|n| (n.id, n.ports.controller)));
        let common = server_common()?;
        let security = security_properties(&pki, &pki.ca, reauth)?;
        let protocol_map: Vec<String> = Listener::ALL
            .iter()
            .map(|l| format!("{}:{}", l.name(), l.protocol()))
            .chain(["CONTROLLER:PLAINTEXT".to_string()])
            .collect();
        for Node { id, ports: n, .. } in &ns {
            let nd = dir.join(format!("node{id}"));
            std::fs::create_dir_all(&nd).map_err(|e| e.to_string())?;
            let advertised: Vec<String> = Listener::ALL
                .iter()
                .map(|l| format!("{}://127.0.0.1:{}", l.name(), n.listeners[l.index()]))
                .collect();
            let props = format!(
                "{common}\nnode.id={id}\ncontroller.quorum.voters={voters}\n\
                 listeners={adv},CONTROLLER://127.0.0.1:{cp}\n\
                 advertised.listeners={adv}\n\
                 listener.security.protocol.map={map}\n{replication}{security}",
                adv = advertised.join(","),
                cp = n.controller,
                map = protocol_map.join(","),
                replication = replication_properties(nodes, &nd.join("data")),
            );
            std::fs::write(nd.join("server.properties"), props).map_err(|e| e.to_string())?;
        }
        // Format every node (in parallel, a JVM each), with the SCRAM users.
        let cluster_id = random_cluster_id();
        let log_args = vec![format!(
            "-Dlog4j2.configurationFile={}",
            dir.join("log4j2.properties").display()
        )];
        let ns = Nodes::new("secure node", &dir, &jars, log_args, ns);
        ns.format(
            &cluster_id,
            &["-Xmx256m", "-XX:TieredStopAtLevel=1"],
            &scram_args(),
        )?;
        let t_format = t_start.elapsed();
        let bootstrap =
            |l: Listener| loopback_list(ns.lock().iter().map(|n| n.ports.listeners[l.index()]));
        let [plaintext, sasl_ssl, ssl, sasl_plaintext, ssl_wrong_host] =
            Listener::ALL.map(bootstrap);
        for id in ns.ids() {
            ns.launch(id)?;
        }
        let (admin, meta) = admin_clients(&plaintext)?;
        let k = SecureKafka {
            plaintext,
            sasl_ssl,
            ssl,
            sasl_plaintext,
            ssl_wrong_host,
            ca_pem: pki.ca,
            broker_cert_pem: pki.broker_cert,
            wrong_host_cert_pem: pki.wrong_cert,
            client_cert_pem: pki.client_cert,
            client_key_pem: pki.client_key,
            client_key_encrypted_pem: pki.client_key_enc,
            client_key_password: CLIENT_KEY_PASSWORD.to_string(),
            other_ca_pem: pki.other_ca,
            other_client_cert_pem: pki.other_client_cert,
            other_client_key_pem: pki.other_client_key,
            users: USERS,
            reauth,
            dir,
            nodes: ns,
            admin,
            meta,
        };
        k.nodes.wait_up(&k.meta, &k.node_ids())?;
        eprintln!(
            "secure Kafka {} ({nodes} node{}{}) up in {:.1} s (certificates {:.1} s, format {:.1} s): \
             PLAINTEXT {} SASL_SSL {} SSL {} SASL_PLAINTEXT {} SSL_WRONG_HOST {} (in {})",
            VERSION.as_str(),
            if nodes == 1 { "" } else { "s" },
            reauth.map_or(String::new(), |r| format!(
                ", connections.max.reauth.ms={}",
                r.as_millis()
            )),
            t_start.elapsed().as_secs_f64(),
            t_pki.as_secs_f64(),
            (t_format - t_pki).as_secs_f64(),
            k.plaintext,
            k.sasl_ssl,
            k.ssl,
            k.sasl_plaintext,
            k.ssl_wrong_host,
            k.dir.display()
        );
        Ok(k)
    }

    /// The bootstrap list of `listener`.
    pub fn bootstrap(&self, listener: Listener) -> &str {
        match listener {
            Listener::Plaintext => &self.plaintext,
            Listener::SaslSsl => &self.sasl_ssl,
            Listener::Ssl => &self.ssl,
            Listener::SaslPlaintext => &self.sasl_plaintext,
            Listener::SslWrongHost => &self.ssl_wrong_host,
        }
    }

    /// Node ids.
    pub fn node_ids(&self) -> Vec<i32> {
        self.nodes.ids()
    }

    /// The jar directory (for the Java tools).
    pub fn jars(&self) -> &Path {
        self.nodes.jars()
    }

    /// Node 1's log (stdout and stderr of its JVM, every start appended).
    pub fn log_path(&self) -> PathBuf {
        self.node_log_path(1)
    }

    /// Node `id`'s log.
    pub fn node_log_path(&self, id: i32) -> PathBuf {
        self.nodes.log_path(id)
    }

    /// The current length of node 1's log: a mark for [`Self::log_since`].
    pub fn log_len(&self) -> u64 {
        std::fs::metadata(self.log_path()).map_or(0, |m| m.len())
    }

    /// Node 1's log from byte `offset` on.
    pub fn log_since(&self, offset: u64) -> String {
        read_from(&self.log_path(), offset)
    }

    /// Node `id`'s data directory.
    pub fn data_dir(&self, id: i32) -> PathBuf {
        self.nodes.node_dir(id).join("data")
    }

    /// SIGKILLs every running node and reaps it.
    pub fn kill(&self) {
        for id in self.node_ids() {
            self.kill_node(id);
        }
    }

    /// SIGKILLs node `id` (if it runs) and reaps it.
    pub fn kill_node(&self, id: i32) {
        if self.nodes.kill(id) {
            eprintln!("secure kafka: node {id} killed (SIGKILL)");
        }
    }

    /// SIGKILLs every node that runs, starts them all again on their ports
    /// and data, and waits until every broker is registered again.
    pub fn restart(&self) {
        let t0 = Instant::now();
        self.kill();
        self.nodes.relaunch(&self.meta, &self.node_ids());
        eprintln!(
            "secure kafka: restarted, up after {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }

    /// Starts node `id` again (SIGKILLing it first if it runs) and waits
    /// until it is registered again.
    pub fn restart_node(&self, id: i32) {
        let t0 = Instant::now();
        self.kill_node(id);
        self.nodes.relaunch(&self.meta, &[id]);
        eprintln!(
            "secure kafka: node {id} restarted, up after {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }

    /// Creates a topic (replication factor = the node count) through the
    /// PLAINTEXT listener and waits until every partition has a leader and a
    /// full ISR.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let rf = self.nodes.len() as i32;
        create_topic(
            &self.admin,
            &self.meta,
            "secure kafka",
            name,
            partitions,
            rf,
        );
    }

    /// Creates a fresh topic named after `prefix` and returns its name.
    pub fn new_topic(&self, prefix: &str, partitions: i32) -> String {
        let name = super::kafka::unique_topic(prefix);
        self.create_topic(&name, partitions);
        name
    }

    /// The last `lines` lines of every node's log.
    pub fn log_tails(&self, lines: usize) -> String {
        self.nodes.log_tails(lines)
    }

    /// A guard that prints the tails of the broker logs if the test panics.
    pub fn logs_on_panic(&self) -> LogsOnPanic<'_> {
        self.nodes.logs_on_panic("secure broker logs")
    }

    /// Writes a Java client config for `listener` with `auth` into
    /// `dir/clients/` and returns its path. TLS listeners trust the test CA
    /// (PEM truststore) and verify the host name (the Java default).
    pub fn java_client_config(&self, listener: Listener, auth: JavaAuth) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let mut s = format!("security.protocol={}\n", listener.protocol());
        if listener.tls() {
            s += "ssl.truststore.type=PEM\n";
            s += &format!(
                "ssl.truststore.location={}\n",
                prop(&self.ca_pem.display().to_string())
            );
        }
        let jaas = |module: &str, opts: String| {
            format!(
                "sasl.jaas.config={}\n",
                prop(&format!("{module} required{opts};"))
            )
        };
        let user_opts = |u: &User| {
            format!(
                " username={} password={}",
                jaas_quote(u.name),
                jaas_quote(u.password)
            )
        };
        let keystore = |cert: &Path, key: &Path| {
            format!(
                "ssl.keystore.type=PEM\nssl.keystore.certificate.chain={}\nssl.keystore.key={}\n",
                pem_value(cert).unwrap(),
                pem_value(key).unwrap()
            )
        };
        match auth {
            JavaAuth::None => {}
            JavaAuth::ClientCert => s += &keystore(&self.client_cert_pem, &self.client_key_pem),
            JavaAuth::OtherCaClientCert => {
                s += &keystore(&self.other_client_cert_pem, &self.other_client_key_pem)
            }
            JavaAuth::Plain(u) => {
                s += "sasl.mechanism=PLAIN\n";
                s += &jaas(
                    "org.apache.kafka.common.security.plain.PlainLoginModule",
                    user_opts(&u),
                );
            }
            JavaAuth::ScramSha256(u) | JavaAuth::ScramSha512(u) => {
                let m = if matches!(auth, JavaAuth::ScramSha256(_)) {
                    "SCRAM-SHA-256"
                } else {
                    "SCRAM-SHA-512"
                };
                s += &format!("sasl.mechanism={m}\n");
                s += &jaas(
                    "org.apache.kafka.common.security.scram.ScramLoginModule",
                    user_opts(&u),
                );
            }
            JavaAuth::OAuthBearer(sub) => {
                s += "sasl.mechanism=OAUTHBEARER\n";
                s += &jaas(
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
                    format!(" unsecuredLoginStringClaim_sub={}", jaas_quote(sub)),
                );
            }
        }
        let path = self.dir.join(format!(
            "clients/{}-{}.properties",
            listener.name().to_lowercase(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&path, s).expect("write client config");
        path
    }

    /// Runs Kafka's console producer (`org.apache.kafka.tools.ConsoleProducer`)
    /// against `listener` with `auth`: one record per line of `lines` (values
    /// only), `acks=all`, failing within ~15 s. Does not panic on failure:
    /// a refused login still exits 0, with the error in `stderr`.
    pub fn console_produce(
        &self,
        listener: Listener,
        auth: JavaAuth,
        topic: &str,
        lines: &[&str],
    ) -> ToolRun {
        self.console_produce_paced(listener, auth, topic, lines, Duration::ZERO)
    }

    /// As [`Self::console_produce`], waiting `gap` between lines (one JVM,
    /// one connection: for re-authentication checks).
    pub fn console_produce_paced(
        &self,
        listener: Listener,
        auth: JavaAuth,
        topic: &str,
        lines: &[&str],
        gap: Duration,
    ) -> ToolRun {
        let config = self.java_client_config(listener, auth);
        let mut args: Vec<String> = [
            "--bootstrap-server",
            self.bootstrap(listener),
            "--topic",
            topic,
            "--command-config",
        ]
        .map(String::from)
        .into();
        args.push(config.display().to_string());
        for p in [
            "acks=all",
            "linger.ms=0",
            "max.block.ms=15000",
            "request.timeout.ms=10000",
            "delivery.timeout.ms=15000",
        ] {
            args.extend(["--command-property".to_string(), p.to_string()]);
        }
        let input: Vec<Vec<u8>> = lines
            .iter()
            .map(|l| format!("{l}\n").into_bytes())
            .collect();
        let limit = Duration::from_secs(60) + gap * lines.len() as u32;
        let what = format!(
            "{} {} {} line(s)",
            listener.name(),
            auth_label(auth),
            lines.len()
        );
        self.run_tool(
            "org.apache.kafka.tools.ConsoleProducer",
            &args,
            Some((input, gap)),
            limit,
            &what,
        )
    }

    /// Reads `expected` records of `topic` from the beginning with Kafka's
    /// console consumer through `listener` with `auth`, parsed as in
    /// [`super::java`]; panics if it fails or reads another number.
    pub fn console_consume(
        &self,
        listener: Listener,
        auth: JavaAuth,
        topic: &str,
        expected: usize,
        timeout: Duration,
    ) -> Vec<Consumed> {
        let config = self.java_client_config(listener, auth);
        let mut args = java::console_consumer_args(
            self.bootstrap(listener),
            topic,
            expected,
            timeout,
            "--formatter-property",
        );
        args.extend(["--command-config".to_string(), config.display().to_string()]);
        let what = format!("{} {} {topic}", listener.name(), auth_label(auth));
        let run = self.run_tool(
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            &args,
            None,
            timeout + Duration::from_secs(30),
            &what,
        );
        assert!(
            run.success(),
            "ConsoleConsumer {what}: {:?}\nstderr:\n{}",
            run.status,
            run.stderr
        );
        java::parse_expected(&run.stdout, &run.stderr, topic, expected)
    }

    /// Runs the Kafka tool `class` in a small JVM on the jars, feeding it
    /// `stdin` (lines, with a pause between them) and killing it after
    /// `limit`.
    fn run_tool(
        &self,
        class: &str,
        args: &[String],
        stdin: Option<(Vec<Vec<u8>>, Duration)>,
        limit: Duration,
        what: &str,
    ) -> ToolRun {
        let log4j2 = self.dir.join("clients/log4j2-tools.properties");
        if !log4j2.exists() {
            std::fs::write(&log4j2, java::TOOLS_LOG4J2).expect("write log4j2 config");
        }
        let logging = [format!("-Dlog4j2.configurationFile={}", log4j2.display())];
        let run = java::run_java_tool(self.jars(), &logging, class, args, stdin, limit);
        eprintln!(
            "java {}: {what}: {} in {:.1} s",
            java::short_class(class),
            run.outcome(),
            run.elapsed.as_secs_f64()
        );
        run
    }
}

/// A short description of `auth` (no passwords).
pub fn auth_label(auth: JavaAuth) -> String {
    match auth {
        JavaAuth::None => "no auth".into(),
        JavaAuth::ClientCert => "client cert".into(),
        JavaAuth::OtherCaClientCert => "client cert of the other CA".into(),
        JavaAuth::Plain(u) => format!("PLAIN {}", u.name),
        JavaAuth::ScramSha256(u) => format!("SCRAM-SHA-256 {}", u.name),
        JavaAuth::ScramSha512(u) => format!("SCRAM-SHA-512 {}", u.name),
        JavaAuth::OAuthBearer(sub) => format!("OAUTHBEARER sub={sub}"),
    }
}

impl Drop for SecureKafka {
    /// Kills the nodes (of a cluster from [`SecureKafka::start`]; the shared
    /// ones live as long as the process and die with it).
    fn drop(&mut self) {
        for n in self.nodes.lock_always().iter_mut() {
            n.kill_now();
        }
    }
}
