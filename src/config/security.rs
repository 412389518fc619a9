//! `ssl.*` and `sasl.*`: TLS and SASL settings, their Java property names,
//! and their validation.

use super::SecurityProtocol;
use crate::error::ConfigError;
use crate::sasl::{
    parse_jaas, JaasModule, Password, SaslCredentials, SaslMechanism, TokenProvider,
};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// TLS settings, used with `security.protocol` `SSL` and `SASL_SSL`.
///
/// Certificates and keys are PEM (`ssl.truststore.type` and
/// `ssl.keystore.type` accept only `PEM`). Without a trust store the
/// system's root certificates are trusted.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// `ssl.truststore.location` (or librdkafka's `ssl.ca.location`): a PEM
    /// file of CA certificates to trust.
    pub truststore_location: Option<PathBuf>,
    /// `ssl.truststore.certificates`: CA certificates as inline PEM.
    pub truststore_certificates: Option<String>,
    /// `ssl.keystore.location`: a PEM file with the client's private key
    /// and certificate chain (mutual TLS).
    pub keystore_location: Option<PathBuf>,
    /// `ssl.keystore.certificate.chain`: the client certificate chain as
    /// inline PEM (with `ssl.keystore.key`).
    pub keystore_certificate_chain: Option<String>,
    /// `ssl.keystore.key`: the client's private key as inline PEM.
    pub keystore_key: Option<Password>,
    /// `ssl.key.password`: decrypts an encrypted PKCS#8 private key
    /// (`-----BEGIN ENCRYPTED PRIVATE KEY-----`).
    pub key_password: Option<Password>,
    /// librdkafka's `ssl.certificate.location`: the client certificate
    /// chain (PEM file), with `ssl.key.location`.
    pub certificate_location: Option<PathBuf>,
    /// librdkafka's `ssl.key.location`: the client's private key (PEM file).
    pub key_location: Option<PathBuf>,
    /// `ssl.enabled.protocols`: the TLS versions offered, `TLSv1.2` and/or
    /// `TLSv1.3`; empty means both. (`ssl.protocol` is checked, not used.)
    pub enabled_protocols: Vec<String>,
    /// `ssl.endpoint.identification.algorithm`: `https` (the default) checks
    /// that the broker's certificate names the host connected to; empty
    /// turns the check off (the chain is still verified; a warning is logged).
    pub endpoint_identification: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            truststore_location: None,
            truststore_certificates: None,
            keystore_location: None,
            keystore_certificate_chain: None,
            keystore_key: None,
            key_password: None,
            certificate_location: None,
            key_location: None,
            enabled_protocols: Vec::new(),
            endpoint_identification: true,
        }
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and passwords print as redacted (Password's Debug).
        f.debug_struct("TlsConfig")
            .field("truststore_location", &self.truststore_location)
            .field(
                "truststore_certificates",
                &self.truststore_certificates.as_ref().map(|_| "<PEM>"),
            )
            .field("keystore_location", &self.keystore_location)
            .field(
                "keystore_certificate_chain",
                &self.keystore_certificate_chain.as_ref().map(|_| "<PEM>"),
            )
            .field("keystore_key", &self.keystore_key)
            .field("key_password", &self.key_password)
            .field("certificate_location", &self.certificate_location)
            .field("key_location", &self.key_location)
            .field("enabled_protocols", &self.enabled_protocols)
            .field("endpoint_identification", &self.endpoint_identification)
            .finish()
    }
}

/// SASL settings, used with `security.protocol` `SASL_PLAINTEXT` and
/// `SASL_SSL`.
///
/// Credentials come from `sasl.jaas.config` (the Java login modules'
/// syntax) or from the `sasl.username` / `sasl.password` shortcuts;
/// OAUTHBEARER needs a [`TokenProvider`] (or the unsecured login module's
/// options in `sasl.jaas.config`, for tests).
#[derive(Clone, Default)]
pub struct SaslConfig {
    /// `sasl.mechanism`: `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` or
    /// `OAUTHBEARER` (GSSAPI, the Java client's default, is not supported,
    /// so there is no default).
    pub mechanism: Option<SaslMechanism>,
    /// `sasl.username` (or `username` of `sasl.jaas.config`).
    pub username: Option<String>,
    /// `sasl.password` (or `password` of `sasl.jaas.config`).
    pub password: Option<Password>,
    /// `sasl.jaas.config`, as given (it holds the password).
    pub jaas_config: Option<Password>,
    /// Where OAUTHBEARER tokens come from.
    pub token_provider: Option<Arc<dyn TokenProvider>>,
}

impl PartialEq for SaslConfig {
    fn eq(&self, other: &Self) -> bool {
        self.mechanism == other.mechanism
            && self.username == other.username
            && self.password == other.password
            && self.jaas_config == other.jaas_config
            && match (&self.token_provider, &other.token_provider) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for SaslConfig {}

impl fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslConfig")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("jaas_config", &self.jaas_config)
            .field("token_provider", &self.token_provider.is_some())
            .finish()
    }
}

/// The `ssl.*` and `sasl.*` property names [`apply`] accepts.
pub(super) const NAMES: &[&str] = &[
    "ssl.truststore.location",
    "ssl.ca.location",
    "ssl.truststore.type",
    "ssl.truststore.certificates",
    "ssl.keystore.location",
    "ssl.keystore.type",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.key.password",
    "ssl.certificate.location",
    "ssl.key.location",
    "ssl.endpoint.identification.algorithm",
    "ssl.enabled.protocols",
    "ssl.protocol",
    "sasl.mechanism",
    "sasl.jaas.config",
    "sasl.username",
    "sasl.password",
];

/// Parses an `ssl.*` / `sasl.*` property; `Ok(false)` for a name that is
/// not one of them.
pub(super) fn apply(
    tls: &mut TlsConfig,
    sasl: &mut SaslConfig,
    name: &str,
    v: &str,
) -> Result<bool, ConfigError> {
    let path = |v: &str| (!v.is_empty()).then(|| PathBuf::from(v));
    let text = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let secret = |v: &str| (!v.is_empty()).then(|| Password::from(v));
    match name {
        "ssl.truststore.location" | "ssl.ca.location" => tls.truststore_location = path(v),
        "ssl.truststore.certificates" => tls.truststore_certificates = text(v),
        "ssl.truststore.type" | "ssl.keystore.type" => {
            if !v.is_empty() && !v.eq_ignore_ascii_case("PEM") {
                return Err(ConfigError::new(
                    name,
                    format!("`{v}` is not supported: only PEM (convert JKS/PKCS12 stores with keytool/openssl)"),
                ));
            }
        }
        "ssl.keystore.location" => tls.keystore_location = path(v),
        "ssl.keystore.certificate.chain" => tls.keystore_certificate_chain = text(v),
        "ssl.keystore.key" => tls.keystore_key = secret(v),
        "ssl.key.password" => tls.key_password = secret(v),
        "ssl.certificate.location" => tls.certificate_location = path(v),
        "ssl.key.location" => tls.key_location = path(v),
        "ssl.endpoint.identification.algorithm" => {
            tls.endpoint_identification = match v.to_ascii_lowercase().as_str() {
                "https" => true,
                "" | "none" => false,
                _ => {
                    return Err(ConfigError::new(
                        name,
                        format!("`{v}`: expected `https` or empty (no host name check)"),
                    ))
                }
            }
        }
        "ssl.enabled.protocols" | "ssl.protocol" => {
            let mut versions = Vec::new();
            for v in super::split_list(v) {
                let canonical = match v.to_ascii_uppercase().as_str() {
                    "TLSV1.2" => "TLSv1.2",
                    "TLSV1.3" | "TLS" => "TLSv1.3",
                    _ => {
                        return Err(ConfigError::new(
                            name,
                            format!("`{v}` is not supported: TLSv1.2 and TLSv1.3 only"),
                        ))
                    }
                };
                if !versions.iter().any(|x| x == canonical) {
                    versions.push(canonical.to_owned());
                }
            }
            // `ssl.protocol` is Java's SSLContext protocol: checked, but
            // the versions offered are `ssl.enabled.protocols` (as in Java).
            if name == "ssl.enabled.protocols" {
                tls.enabled_protocols = versions;
            }
        }
        // Java store passwords and JSSE tuning: PEM needs none of them.
        "ssl.truststore.password"
        | "ssl.keystore.password"
        | "ssl.cipher.suites"
        | "ssl.secure.random.implementation"
        | "ssl.keymanager.algorithm"
        | "ssl.trustmanager.algorithm"
        | "ssl.provider"
        | "ssl.engine.factory.class" => {
            log::warn!(
                "{name} is ignored: kafka-sync reads PEM (no store passwords) and uses rustls' safe defaults"
            );
        }
        _ if name.starts_with("sasl.login.")
            || name.starts_with("sasl.kerberos.")
            || name.starts_with("sasl.oauthbearer.")
            || name == "sasl.client.callback.handler.class"
            || name == "sasl.login.class" =>
        {
            log::warn!(
                "{name} is ignored: use ProducerConfigBuilder::sasl_token_provider for OAUTHBEARER tokens (GSSAPI is not supported)"
            );
        }
        "sasl.mechanism" => {
            sasl.mechanism = if v.is_empty() {
                None
            } else {
                Some(mechanism(v)?)
            }
        }
        "sasl.jaas.config" => {
            if !v.is_empty() {
                // Checked now so that the error names the property; the
                // message never repeats the value (it holds the password).
                parse_jaas(v).map_err(|e| ConfigError::new(name, e))?;
            }
            sasl.jaas_config = secret(v);
        }
        "sasl.username" => sasl.username = text(v),
        "sasl.password" => sasl.password = secret(v),
        _ => return Ok(false),
    }
    Ok(true)
}

/// Parses `sasl.mechanism`.
fn mechanism(v: &str) -> Result<SaslMechanism, ConfigError> {
    if v.eq_ignore_ascii_case("GSSAPI") {
        return Err(ConfigError::new(
            "sasl.mechanism",
            "GSSAPI (Kerberos) is not supported: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
        ));
    }
    v.parse::<SaslMechanism>()
        .map_err(|e| ConfigError::new("sasl.mechanism", e))
}

/// The `ssl.*` / `sasl.*` entries of [`ProducerConfig::to_properties`]:
/// everything but secrets and inline PEM (passwords and keys are not written
/// out; a configuration read back needs them set again).
pub(super) fn to_properties(tls: &TlsConfig, sasl: &SaslConfig, out: &mut Vec<(String, String)>) {
    let mut put = |k: &str, v: String| out.push((k.to_owned(), v));
    if let Some(p) = &tls.truststore_location {
        put("ssl.truststore.location", p.display().to_string());
    }
    if let Some(p) = &tls.keystore_location {
        put("ssl.keystore.location", p.display().to_string());
    }
    if let Some(p) = &tls.certificate_location {
        put("ssl.certificate.location", p.display().to_string());
    }
    if let Some(p) = &tls.key_location {
        put("ssl.key.location", p.display().to_string());
    }
    let algorithm = if tls.endpoint_identification {
        "https"
    } else {
        ""
    };
    put("ssl.endpoint.identification.algorithm", algorithm.into());
    if !tls.enabled_protocols.is_empty() {
        put("ssl.enabled.protocols", tls.enabled_protocols.join(","));
    }
    if let Some(m) = sasl.mechanism {
        put("sasl.mechanism", m.name().into());
    }
    if let Some(u) = &sasl.username {
        put("sasl.username", u.clone());
    }
}

/// Checks the security settings against `security.protocol`.
pub(super) fn validate(
    protocol: SecurityProtocol,
    tls: &TlsConfig,
    sasl: &SaslConfig,
) -> Result<(), ConfigError> {
    let uses_tls = matches!(protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl);
    if uses_tls && !cfg!(feature = "tls") {
        return Err(ConfigError::new(
            "security.protocol",
            format!("{protocol} needs TLS: build kafka-sync with the `tls` feature"),
        ));
    }
    if tls.keystore_certificate_chain.is_some() != tls.keystore_key.is_some() {
        return Err(ConfigError::new(
            "ssl.keystore.key",
            "ssl.keystore.certificate.chain and ssl.keystore.key go together",
        ));
    }
    if tls.certificate_location.is_some() != tls.key_location.is_some() {
        return Err(ConfigError::new(
            "ssl.key.location",
            "ssl.certificate.location and ssl.key.location go together",
        ));
    }
    if matches!(
        protocol,
        SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
    ) {
        credentials(sasl)?;
    }
    Ok(())
}

/// The credentials the SASL settings give (checked by [`validate`]).
pub(crate) fn credentials(sasl: &SaslConfig) -> Result<SaslCredentials, ConfigError> {
    let Some(mechanism) = sasl.mechanism else {
        return Err(ConfigError::new(
            "sasl.mechanism",
            "required with SASL_PLAINTEXT and SASL_SSL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
        ));
    };
    let jaas = match &sasl.jaas_config {
        Some(j) => {
            Some(parse_jaas(j.expose()).map_err(|e| ConfigError::new("sasl.jaas.config", e))?)
        }
        None => None,
    };
    let expected = match mechanism {
        SaslMechanism::Plain => JaasModule::Plain,
        SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => JaasModule::Scram,
        SaslMechanism::OAuthBearer => JaasModule::OAuthBearer,
    };
    if let Some(j) = &jaas {
        if j.module != expected {
            return Err(ConfigError::new(
                "sasl.jaas.config",
                format!(
                    "the login module does not fit sasl.mechanism={}",
                    mechanism.name()
                ),
            ));
        }
    }
    let username = sasl
        .username
        .clone()
        .or_else(|| jaas.as_ref().and_then(|j| j.username().map(str::to_owned)))
        .unwrap_or_default();
    let password = sasl
        .password
        .clone()
        .or_else(|| jaas.as_ref().and_then(|j| j.password()))
        .unwrap_or_else(|| Password::from(""));
    let mut token_provider = sasl.token_provider.clone();
    match mechanism {
        SaslMechanism::OAuthBearer => {
            if token_provider.is_none() {
                if let Some(j) = &jaas {
                    let p = j
                        .unsecured_token_provider()
                        .map_err(|e| ConfigError::new("sasl.jaas.config", e))?;
                    token_provider = Some(Arc::new(p));
                }
            }
            if token_provider.is_none() {
                return Err(ConfigError::new(
                    "sasl.jaas.config",
                    "OAUTHBEARER needs a token provider (ProducerConfigBuilder::sasl_token_provider) \
                     or the unsecured login options (unsecuredLoginStringClaim_sub=...)",
                ));
            }
        }
        _ => {
            if username.is_empty() {
                return Err(ConfigError::new(
                    "sasl.username",
                    format!(
                        "{} needs a user name (sasl.username or sasl.jaas.config)",
                        mechanism.name()
                    ),
                ));
            }
            if password.expose().is_empty() {
                return Err(ConfigError::new(
                    "sasl.password",
                    format!(
                        "{} needs a password (sasl.password or sasl.jaas.config)",
                        mechanism.name()
                    ),
                ));
            }
        }
    }
    Ok(SaslCredentials {
        mechanism,
        username,
        password,
        token_provider,
    })
}
