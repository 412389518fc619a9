//! `ssl.*` / `sasl.*` properties and their validation; secrets never show.

use super::*;
use crate::SaslMechanism;

const SECRET: &str = "s3cr3t-Pa55";

fn props(extra: &[(&str, &str)]) -> Result<ProducerConfig, ConfigError> {
    let mut all = vec![("bootstrap.servers", "b:9092")];
    all.extend_from_slice(extra);
    ProducerConfig::from_properties(all)
}

fn plain_jaas() -> String {
    format!(
        r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="{SECRET}";"#
    )
}

#[test]
fn sasl_needs_a_mechanism_and_credentials() {
    let e = props(&[("security.protocol", "SASL_PLAINTEXT")]).unwrap_err();
    assert_eq!(e.property, "sasl.mechanism");
    let e = props(&[
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "GSSAPI"),
    ])
    .unwrap_err();
    assert_eq!(e.property, "sasl.mechanism");
    assert!(e.message.contains("not supported"), "{e}");
    let e = props(&[("sasl.mechanism", "DIGEST-MD5")]).unwrap_err();
    assert_eq!(e.property, "sasl.mechanism");
    let e = props(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.username", "alice"),
    ])
    .unwrap_err();
    assert_eq!(e.property, "sasl.password");
    let e = props(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "SCRAM-SHA-512"),
        ("sasl.password", SECRET),
    ])
    .unwrap_err();
    assert_eq!(e.property, "sasl.username");
    assert!(!e.to_string().contains(SECRET));
    let e = props(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
    ])
    .unwrap_err();
    assert_eq!(e.property, "sasl.jaas.config");
}

#[test]
fn jaas_config_gives_the_credentials_and_never_shows_the_password() {
    let c = props(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.jaas.config", &plain_jaas()),
    ])
    .unwrap();
    let creds = sasl_credentials(&c.sasl).unwrap();
    assert_eq!(creds.mechanism, SaslMechanism::Plain);
    assert_eq!(creds.username, "alice");
    assert_eq!(creds.password.expose(), SECRET);
    for text in [
        format!("{c:?}"),
        format!("{creds:?}"),
        format!("{:?}", c.to_properties()),
    ] {
        assert!(!text.contains(SECRET), "secret in {text}");
    }
    // A SCRAM module with the PLAIN mechanism is refused; a broken config
    // is refused without quoting it.
    let e = props(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "SCRAM-SHA-256"),
        ("sasl.jaas.config", &plain_jaas()),
    ])
    .unwrap_err();
    assert_eq!(e.property, "sasl.jaas.config");
    let broken = format!(
        r#"org.apache.kafka.common.security.plain.PlainLoginModule required password="{SECRET}"#
    );
    let e = props(&[("sasl.jaas.config", &broken)]).unwrap_err();
    assert_eq!(e.property, "sasl.jaas.config");
    assert!(!e.to_string().contains(SECRET), "{e}");
}

#[test]
fn oauthbearer_takes_the_unsecured_login_options_or_a_provider() {
    let jaas = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";"#;
    let c = props(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.jaas.config", jaas),
    ])
    .unwrap();
    let creds = sasl_credentials(&c.sasl).unwrap();
    let token = creds
        .token_provider
        .expect("unsecured provider")
        .token()
        .unwrap();
    assert_eq!(token.principal, "alice");
    let provider: std::sync::Arc<dyn crate::TokenProvider> =
        std::sync::Arc::new(crate::UnsecuredTokenProvider::new("bob"));
    let c = ProducerConfig::builder()
        .bootstrap_servers("b:9092")
        .security_protocol(SecurityProtocol::SaslPlaintext)
        .sasl_mechanism(SaslMechanism::OAuthBearer)
        .sasl_token_provider(provider)
        .build()
        .unwrap();
    assert!(c.sasl.token_provider.is_some());
}

#[test]
fn tls_properties() {
    let c = props(&[
        ("security.protocol", "SSL"),
        ("ssl.ca.location", "/etc/ca.pem"),
        ("ssl.truststore.type", "pem"),
        ("ssl.endpoint.identification.algorithm", ""),
        ("ssl.key.password", SECRET),
        ("ssl.certificate.location", "/c.pem"),
        ("ssl.key.location", "/k.pem"),
    ]);
    if !cfg!(feature = "tls") {
        assert_eq!(c.unwrap_err().property, "security.protocol");
        return;
    }
    let c = c.unwrap();
    assert_eq!(
        c.tls.truststore_location.as_deref(),
        Some(std::path::Path::new("/etc/ca.pem"))
    );
    assert!(!c.tls.endpoint_identification);
    assert!(!format!("{c:?}").contains(SECRET));
    let p = c.to_properties();
    assert_eq!(p["ssl.truststore.location"], "/etc/ca.pem");
    assert_eq!(p["ssl.endpoint.identification.algorithm"], "");
    assert!(!p.contains_key("ssl.key.password"));
    let e = props(&[("ssl.keystore.type", "JKS")]).unwrap_err();
    assert_eq!(e.property, "ssl.keystore.type");
    assert!(e.message.contains("only PEM"), "{e}");
    let e = props(&[("ssl.endpoint.identification.algorithm", "ldap")]).unwrap_err();
    assert_eq!(e.property, "ssl.endpoint.identification.algorithm");
    let e = props(&[("ssl.certificate.location", "/c.pem")]).unwrap_err();
    assert_eq!(e.property, "ssl.key.location");
    let e = props(&[("ssl.truststore.locaton", "/x")]).unwrap_err();
    assert!(
        e.message.contains("ssl.truststore.location"),
        "did you mean: {e}"
    );
}

#[test]
fn tls_versions_and_java_store_settings() {
    let c = props(&[
        ("ssl.enabled.protocols", "TLSv1.3"),
        ("ssl.protocol", "TLSv1.3"),
    ])
    .unwrap();
    assert_eq!(c.tls.enabled_protocols, ["TLSv1.3"]);
    assert_eq!(c.to_properties()["ssl.enabled.protocols"], "TLSv1.3");
    let e = props(&[("ssl.enabled.protocols", "TLSv1.2,TLSv1.1")]).unwrap_err();
    assert_eq!(e.property, "ssl.enabled.protocols");
    // Java store passwords and SASL login tuning are accepted (ignored, logged).
    props(&[
        ("ssl.truststore.password", SECRET),
        ("ssl.cipher.suites", "TLS_AES_128_GCM_SHA256"),
        ("sasl.login.refresh.window.factor", "0.8"),
    ])
    .unwrap();
}
