//! TLS through rustls (the `tls` feature), driven by the sender's poll loop:
//! rustls does no I/O itself, so [`TlsSession`] moves bytes between it and
//! the non-blocking socket, and the handshake advances with every readiness
//! event like any other read or write.
//!
//! [`client_config`] builds the rustls configuration once per producer from
//! the `ssl.*` settings (PEM files and inline PEM; the system's roots when no
//! trust store is given; an encrypted PKCS#8 key decrypted with
//! `ssl.key.password`). Errors name the property.

use crate::config::{ConfigError, TlsConfig};
use crate::log_context::LogContext;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// The TLS settings of a producer, ready to open sessions.
#[derive(Clone)]
pub(crate) struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl TlsConnector {
    /// Builds the connector from the `ssl.*` settings.
    /// Its warnings (no host name check, no system roots) start with `log`.
    pub(crate) fn new(tls: &TlsConfig, log: &LogContext) -> Result<TlsConnector, ConfigError> {
        Ok(TlsConnector {
            config: client_config(tls, log)?,
        })
    }

    /// A client session for `host` (a DNS name or an IP literal).
    pub(crate) fn session(&self, host: &str) -> io::Result<TlsSession> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{host}` is not a valid TLS server name: {e}"),
            )
        })?;
        let conn = ClientConnection::new(self.config.clone(), name)
            .map_err(|e| io::Error::other(TlsFailure(e)))?;
        Ok(TlsSession { conn })
    }
}

/// A TLS failure found by rustls, carried inside an `io::Error` so that the
/// network can tell it from socket errors.
#[derive(Debug)]
pub(crate) struct TlsFailure(pub(crate) rustls::Error);

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use rustls::Error as E;
        match &self.0 {
            E::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => f.write_str(
                    "the broker's certificate is signed by an unknown CA (set ssl.truststore.location to the CA that signed it)",
                ),
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => f.write_str(
                    "the broker's certificate does not name the host connected to (hostname mismatch; \
                     ssl.endpoint.identification.algorithm= turns the check off)",
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    f.write_str("the broker's certificate has expired")
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    f.write_str("the broker's certificate is not valid yet")
                }
                CertificateError::Revoked => f.write_str("the broker's certificate is revoked"),
                other => write!(f, "the broker's certificate is invalid: {other:?}"),
            },
            E::AlertReceived(alert) => write!(
                f,
                "the broker refused the TLS handshake ({alert:?}; a client certificate may be required or not trusted)"
            ),
            E::InvalidMessage(_) | E::InappropriateMessage { .. } => write!(
                f,
                "the broker did not answer with TLS ({}; is this a TLS listener?)",
                self.0
            ),
            other => write!(f, "{other}"),
        }
    }
}

impl std::error::Error for TlsFailure {}

/// Whether `e` came from TLS (certificate, alert, protocol), not the socket.
pub(crate) fn is_tls_failure(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<TlsFailure>())
}

/// One TLS client session over a non-blocking socket.
pub(crate) struct TlsSession {
    conn: ClientConnection,
}

impl std::fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSession")
            .field("handshaking", &self.conn.is_handshaking())
            .finish()
    }
}

impl TlsSession {
    /// Whether the handshake is still going on.
    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether TLS records wait to be written.
    pub(crate) fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// Hands plaintext to the session; returns how much it took (0 when its
    /// buffer is full).
    pub(crate) fn write_plain(&mut self, data: &[u8]) -> io::Result<usize> {
        self.conn.writer().write(data)
    }

    /// Writes pending TLS records to `stream`: `Ok(true)` when all went out,
    /// `Ok(false)` when the socket would block.
    pub(crate) fn write_out<S: Write>(&mut self, stream: &mut S) -> io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(stream) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads TLS records from `stream` until it would block and decrypts
    /// them; `Ok(false)` when the peer closed the TCP connection.
    pub(crate) fn read_in<S: Read>(&mut self, stream: &mut S) -> io::Result<ReadIn> {
        loop {
            match self.conn.read_tls(stream) {
                Ok(0) => {
                    self.process()?;
                    return Ok(ReadIn::Closed);
                }
                Ok(_) => {
                    self.process()?;
                    return Ok(ReadIn::More);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(ReadIn::Drained),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn process(&mut self) -> io::Result<()> {
        self.conn
            .process_new_packets()
            .map(drop)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, TlsFailure(e)))
    }

    /// Decrypted bytes into `buf`: `Ok(Some(n))` (n > 0), `Ok(None)` when
    /// none are ready; an orderly TLS close is `Ok(Some(0))`.
    pub(crate) fn read_plain(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match self.conn.reader().read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What one [`TlsSession::read_in`] step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadIn {
    /// Records were read: decrypted bytes may be ready, read again.
    More,
    /// The socket would block.
    Drained,
    /// The peer closed the TCP connection.
    Closed,
}

/// The rustls client configuration for `tls`.
fn client_config(tls: &TlsConfig, log: &LogContext) -> Result<Arc<ClientConfig>, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(roots(tls, log)?);
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    for v in &tls.enabled_protocols {
        versions.push(match v.as_str() {
            "TLSv1.2" => &rustls::version::TLS12,
            _ => &rustls::version::TLS13,
        });
    }
    if versions.is_empty() {
        versions = rustls::DEFAULT_VERSIONS.to_vec();
    }
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| {
            ConfigError::new("ssl.enabled.protocols", format!("TLS set-up failed: {e}"))
        })?;
    let builder = if tls.endpoint_identification {
        builder.with_root_certificates(roots)
    } else {
        log::warn!(
            "{log}ssl.endpoint.identification.algorithm is empty: broker host names are not checked against their certificates"
        );
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| ConfigError::new("ssl.truststore.location", e.to_string()))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyName(inner)))
    };
    let config = match client_identity(tls)? {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            ConfigError::new(
                identity_property(tls),
                format!("unusable client certificate or key: {e}"),
            )
        })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The trust anchors: the configured CA certificates, or the system's.
fn roots(tls: &TlsConfig, log: &LogContext) -> Result<RootCertStore, ConfigError> {
    let mut store = RootCertStore::empty();
    let mut given = false;
    if let Some(path) = &tls.truststore_location {
        given = true;
        let prop = "ssl.truststore.location";
        let pem = std::fs::read(path)
            .map_err(|e| ConfigError::new(prop, format!("cannot read {}: {e}", path.display())))?;
        add_certs(&mut store, &pem, prop, &path.display().to_string())?;
    }
    if let Some(pem) = &tls.truststore_certificates {
        given = true;
        add_certs(
            &mut store,
            pem.as_bytes(),
            "ssl.truststore.certificates",
            "the value",
        )?;
    }
    if !given {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = store.add_parsable_certificates(found.certs);
        if added == 0 {
            log::warn!(
                "{}no system root certificates found ({} errors): set ssl.truststore.location",
                log,
                found.errors.len()
            );
        }
    }
    Ok(store)
}

fn add_certs(
    store: &mut RootCertStore,
    pem: &[u8],
    prop: &str,
    what: &str,
) -> Result<(), ConfigError> {
    let certs = certificates(pem, prop, what)?;
    for cert in certs {
        store
            .add(cert)
            .map_err(|e| ConfigError::new(prop, format!("bad CA certificate in {what}: {e}")))?;
    }
    Ok(())
}

fn certificates(
    pem: &[u8],
    prop: &str,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| ConfigError::new(prop, format!("bad PEM in {what}: {e}")))?;
    if certs.is_empty() {
        return Err(ConfigError::new(
            prop,
            format!("no PEM certificate in {what}"),
        ));
    }
    Ok(certs)
}

/// The property an identity error is reported against.
fn identity_property(tls: &TlsConfig) -> &'static str {
    if tls.keystore_location.is_some() {
        "ssl.keystore.location"
    } else if tls.keystore_key.is_some() {
        "ssl.keystore.key"
    } else {
        "ssl.key.location"
    }
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The client certificate chain and key for mutual TLS, if configured.
fn client_identity(tls: &TlsConfig) -> Result<Option<Identity>, ConfigError> {
    let read = |prop: &'static str, path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| ConfigError::new(prop, format!("cannot read {}: {e}", path.display())))
    };
    let password = tls.key_password.as_ref().map(|p| p.expose());
    if let Some(path) = &tls.keystore_location {
        let prop = "ssl.keystore.location";
        let pem = read(prop, path)?;
        let what = path.display().to_string();
        let chain = certificates(&pem, prop, &what)?;
        return Ok(Some((chain, private_key(&pem, password, prop, &what)?)));
    }
    if let (Some(chain), Some(key)) = (&tls.keystore_certificate_chain, &tls.keystore_key) {
        let chain = certificates(
            chain.as_bytes(),
            "ssl.keystore.certificate.chain",
            "the value",
        )?;
        let key = private_key(
            key.expose().as_bytes(),
            password,
            "ssl.keystore.key",
            "the value",
        )?;
        return Ok(Some((chain, key)));
    }
    if let (Some(cert), Some(key)) = (&tls.certificate_location, &tls.key_location) {
        let chain = certificates(
            &read("ssl.certificate.location", cert)?,
            "ssl.certificate.location",
            &cert.display().to_string(),
        )?;
        let key_pem = read("ssl.key.location", key)?;
        let key = private_key(
            &key_pem,
            password,
            "ssl.key.location",
            &key.display().to_string(),
        )?;
        return Ok(Some((chain, key)));
    }
    Ok(None)
}

/// The private key in `pem`: PKCS#8, PKCS#1 or SEC1, or an encrypted PKCS#8
/// key decrypted with `password`. Errors never show the key.
fn private_key(
    pem: &[u8],
    password: Option<&str>,
    prop: &str,
    what: &str,
) -> Result<PrivateKeyDer<'static>, ConfigError> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let Some(password) = password else {
            return Err(ConfigError::new(
                "ssl.key.password",
                format!("the private key in {what} is encrypted: set ssl.key.password"),
            ));
        };
        let start = text
            .find("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            .unwrap_or(0);
        let end_tag = "-----END ENCRYPTED PRIVATE KEY-----";
        let end = text[start..]
            .find(end_tag)
            .map(|i| start + i + end_tag.len())
            .ok_or_else(|| {
                ConfigError::new(prop, format!("unterminated encrypted key in {what}"))
            })?;
        use pkcs8::der::Decode;
        let (label, der) = pkcs8::der::pem::decode_vec(text[start..end].as_bytes())
            .map_err(|e| ConfigError::new(prop, format!("bad encrypted key PEM in {what}: {e}")))?;
        debug_assert_eq!(label, "ENCRYPTED PRIVATE KEY");
        let info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der)
            .map_err(|e| ConfigError::new(prop, format!("bad encrypted key in {what}: {e}")))?;
        let doc = info.decrypt(password).map_err(|_| {
            ConfigError::new(
                "ssl.key.password",
                format!("cannot decrypt the private key in {what} (wrong ssl.key.password or an unsupported cipher)"),
            )
        })?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            doc.as_bytes().to_vec(),
        )));
    }
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        ConfigError::new(
            prop,
            format!("no usable private key in {what} ({})", key_error(&e)),
        )
    })
}

/// A PEM error without any of the key's bytes.
fn key_error(e: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::NoItemsFound => "no PEM private key found",
        E::MissingSectionEnd { .. } => "unterminated PEM section",
        E::IllegalSectionStart { .. } => "bad PEM section start",
        E::Base64Decode(_) => "bad base64",
        _ => "unreadable PEM",
    }
}

/// `ssl.endpoint.identification.algorithm=`: the chain is verified, a
/// certificate for another host name is accepted.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
