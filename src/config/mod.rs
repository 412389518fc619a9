//! Producer configuration: typed fields with the Java client's defaults, a
//! typed builder, and [`ProducerConfig::from_properties`] for the Java
//! property names.
//!
//! Both ways of configuring end in the same validation
//! ([`ProducerConfigBuilder::build`]); every error is a
//! [`ConfigError`] that names the offending property.
//!
//! # Properties
//!
//! Every property of the Java producer (Kafka 4.x `ProducerConfig`) outside
//! the security ones has a row below, with one of three statuses:
//!
//! - **honoured**: it does what it does in the Java client (differences in
//!   the meaning column: "checked only" means the value is range-checked
//!   and kept but does not change the output);
//! - **warns**: accepted and its value checked (a bad value is an error
//!   naming the property), but it has no effect here: where the value asks
//!   for something this producer does not do, `build` logs a `warn!` that
//!   says what to use instead. The value is kept in
//!   [`ignored_properties`](ProducerConfig::ignored_properties) and written
//!   back by [`to_properties`](ProducerConfig::to_properties);
//! - **error**: refused with an explanation.
//!
//! | property | builder setter | default | status | meaning |
//! |---|---|---|---|---|
//! | `bootstrap.servers` | [`bootstrap_servers`](ProducerConfigBuilder::bootstrap_servers) | required | honoured | comma-separated `host:port` list used only for the first connection |
//! | `client.id` | [`client_id`](ProducerConfigBuilder::client_id) | generated: `producer-N`, or `producer-<transactional.id>` | honoured | logical name sent to brokers, used in logs |
//! | `acks` | [`acks`](ProducerConfigBuilder::acks) | `all` | honoured | `0`, `1`, `all` (or `-1`) |
//! | `enable.idempotence` | [`enable_idempotence`](ProducerConfigBuilder::enable_idempotence) | `true` | honoured | producer id + sequence numbers: no duplicates from retries |
//! | `max.block.ms` | [`max_block`](ProducerConfigBuilder::max_block) | 60000 | honoured | longest a `send` may block on a full buffer or missing metadata |
//! | `linger.ms` | [`linger`](ProducerConfigBuilder::linger) | 5 | honoured | how long a batch waits for more records |
//! | `wait.sends.batch` (kafka-sync only) | [`wait_sends_batch`](ProducerConfigBuilder::wait_sends_batch) | `true` | honoured | a thread that blocks on a record's handle (`wait`, `wait_timeout`, `wait_deadline`; not a zero-timeout poll) ends its batch's `linger.ms`: the batch goes as soon as the leader can take it, since the waiting thread adds nothing more to it; `false`: batches wait out `linger.ms` as in the Java client |
//! | `batch.size` | [`batch_size`](ProducerConfigBuilder::batch_size) | 16384 | honoured | target bytes of one partition batch |
//! | `buffer.memory` | [`buffer_memory`](ProducerConfigBuilder::buffer_memory) | 33554432 | honoured | bytes all unsent records may use in total |
//! | `compression.type` | [`compression`](ProducerConfigBuilder::compression) | `none` | honoured | `none`, `gzip`, `snappy`, `lz4`, `zstd` |
//! | `compression.gzip.level` | [`compression_gzip_level`](ProducerConfigBuilder::compression_gzip_level) | -1 | honoured | 1 (fastest) to 9 (smallest); -1 is the codec's default, 6 |
//! | `compression.lz4.level` | [`compression_lz4_level`](ProducerConfigBuilder::compression_lz4_level) | 9 | honoured (checked only) | 1 to 17 is accepted, but lz4 always compresses at its fast level (lz4_flex has no high-compression mode) |
//! | `compression.zstd.level` | [`compression_zstd_level`](ProducerConfigBuilder::compression_zstd_level) | 3 | honoured | -131072 (fastest) to 22 (smallest); with the `zstd-pure` feature instead of `zstd`, ruzstd's fastest level whatever the level |
//! | `max.in.flight.requests.per.connection` | [`max_in_flight`](ProducerConfigBuilder::max_in_flight) | 5 | honoured | unanswered requests per broker connection |
//! | `max.request.size` | [`max_request_size`](ProducerConfigBuilder::max_request_size) | 1048576 | honoured | largest request / largest single record |
//! | `request.timeout.ms` | [`request_timeout`](ProducerConfigBuilder::request_timeout) | 30000 | honoured | wait for one response |
//! | `delivery.timeout.ms` | [`delivery_timeout`](ProducerConfigBuilder::delivery_timeout) | 120000 | honoured | bound from `send` returning to success or final failure |
//! | `retries` | [`retries`](ProducerConfigBuilder::retries) | 2147483647 | honoured | how many times a failed batch may be resent |
//! | `retry.backoff.ms` | [`retry_backoff`](ProducerConfigBuilder::retry_backoff) | 100 | honoured | first wait before a retry (then exponential with jitter) |
//! | `retry.backoff.max.ms` | [`retry_backoff_max`](ProducerConfigBuilder::retry_backoff_max) | 1000 | honoured | upper bound of the retry wait |
//! | `reconnect.backoff.ms` | [`reconnect_backoff`](ProducerConfigBuilder::reconnect_backoff) | 50 | honoured | first wait before reconnecting to a broker |
//! | `reconnect.backoff.max.ms` | [`reconnect_backoff_max`](ProducerConfigBuilder::reconnect_backoff_max) | 1000 | honoured | upper bound of the reconnect wait |
//! | `socket.connection.setup.timeout.ms` | [`socket_connection_setup_timeout`](ProducerConfigBuilder::socket_connection_setup_timeout) | 10000 | honoured | deadline of a node's first connection attempt: resolving, TCP connect, TLS and SASL (the ApiVersions exchange is a request bounded by `request.timeout.ms`, as in Java); ×2 per consecutive failed attempt of that node, ±20% jitter |
//! | `socket.connection.setup.timeout.max.ms` | [`socket_connection_setup_timeout_max`](ProducerConfigBuilder::socket_connection_setup_timeout_max) | 30000 | honoured | upper bound of that deadline (below `socket.connection.setup.timeout.ms`: a constant deadline, with a warning) |
//! | `connections.max.idle.ms` | [`connections_max_idle`](ProducerConfigBuilder::connections_max_idle) | 540000 | honoured | a ready connection with nothing in flight and no traffic for this long is closed, and opened again when needed; negative (`-1`): never |
//! | `metadata.max.age.ms` | [`metadata_max_age`](ProducerConfigBuilder::metadata_max_age) | 300000 | honoured | periodic metadata refresh |
//! | `metadata.max.idle.ms` | [`metadata_max_idle`](ProducerConfigBuilder::metadata_max_idle) | 300000 | honoured | a topic not sent to for this long is forgotten (at least 5000) |
//! | `send.buffer.bytes` | [`send_buffer_bytes`](ProducerConfigBuilder::send_buffer_bytes) | 131072 | honoured | socket send buffer (`-1` = OS default) |
//! | `receive.buffer.bytes` | [`receive_buffer_bytes`](ProducerConfigBuilder::receive_buffer_bytes) | 32768 | honoured | socket receive buffer (`-1` = OS default) |
//! | `partitioner.class` | [`partitioner`](ProducerConfigBuilder::partitioner) | `default` | honoured | `default` or `round_robin` (or the Java class names), see [`PartitionerChoice`]; other class names are an error (custom partitioners are plugged in code) |
//! | `partitioner.ignore.keys` | [`partitioner_ignore_keys`](ProducerConfigBuilder::partitioner_ignore_keys) | `false` | honoured | `true`: the default partitioner places keyed records like records without a key (sticky), keys are not hashed |
//! | `partitioner.adaptive.partitioning.enable` | [`partitioner_adaptive`](ProducerConfigBuilder::partitioner_adaptive) | `true` | honoured | the default partitioner picks a new sticky partition weighted by how few batches wait in each partition's queue (KIP-794): partitions of a slow broker get fewer new batches; `false`: uniform |
//! | `partitioner.availability.timeout.ms` | [`partitioner_availability_timeout`](ProducerConfigBuilder::partitioner_availability_timeout) | 0 | honoured | with adaptive partitioning, a partition whose leader could take no request for longer than this gets no new sticky batches until it can; 0: never excluded |
//! | `transactional.id` | [`transactional_id`](ProducerConfigBuilder::transactional_id) | none | honoured | enables the transactional API (needs idempotence) |
//! | `transaction.timeout.ms` | [`transaction_timeout`](ProducerConfigBuilder::transaction_timeout) | 60000 | honoured | how long the coordinator waits before aborting an open transaction |
//! | `transaction.two.phase.commit.enable` | — | `false` | warns unless `false` | two-phase commit (KIP-939) is not implemented |
//! | `metadata.recovery.strategy` | — | `rebootstrap` | warns unless `none` | `none` or `rebootstrap`; rebootstrapping is not implemented (the bootstrap servers are tried when no known broker can be reached, the metadata is kept) |
//! | `metadata.recovery.rebootstrap.trigger.ms` | — | 300000 | warns | see `metadata.recovery.strategy` |
//! | `metrics.sample.window.ms` | [`metrics_sample_window`](ProducerConfigBuilder::metrics_sample_window) | 30000 | honoured | one sample of the windowed [`Producer::metrics`](crate::Producer::metrics) |
//! | `metrics.num.samples` | [`metrics_num_samples`](ProducerConfigBuilder::metrics_num_samples) | 2 | honoured | samples the window keeps (at least 1) |
//! | `metrics.recording.level` | — | `INFO` | warns | every metric is kept at every level |
//! | `metric.reporters` | — | `org.apache.kafka.common.metrics.JmxReporter` | warns unless empty | Java classes: read [`Producer::metrics`](crate::Producer::metrics) |
//! | `auto.include.jmx.reporter` (Kafka 3.x) | — | `true` | warns unless `false` | no JMX in Rust |
//! | `enable.metrics.push` | — | `true` | warns unless `false` | pushing client metrics (KIP-714) is not implemented |
//! | `metrics.context.*` | — | — | warns | metrics context labels are not used |
//! | `interceptor.classes` | — | empty | warns unless empty | Java class names are not a Rust thing: add [`ProducerInterceptor`](crate::ProducerInterceptor) values with [`ProducerBuilder::interceptor`](crate::ProducerBuilder::interceptor) |
//! | `config.providers`, `config.providers.*` | — | empty | warns unless empty | `${provider:path:key}` placeholders are not resolved: substitute them before `from_properties` |
//! | `key.serializer`, `value.serializer` | — | — | error | serializers are chosen by the producer's key and value types |
//! | `security.protocol` | [`security_protocol`](ProducerConfigBuilder::security_protocol) | `PLAINTEXT` | honoured | `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL` (TLS needs the `tls` feature) |
//! | `ssl.truststore.location` (or `ssl.ca.location`) | [`ssl_truststore_location`](ProducerConfigBuilder::ssl_truststore_location) | none: the system's roots | honoured | PEM file of CA certificates to trust |
//! | `ssl.truststore.certificates` | [`tls`](ProducerConfigBuilder::tls) | none | honoured | CA certificates as inline PEM |
//! | `ssl.truststore.type`, `ssl.keystore.type` | — | `PEM` | honoured | only `PEM` is accepted |
//! | `ssl.keystore.location` | [`tls`](ProducerConfigBuilder::tls) | none | honoured | PEM file with the client key and certificate chain (mutual TLS) |
//! | `ssl.keystore.certificate.chain` + `ssl.keystore.key` | [`tls`](ProducerConfigBuilder::tls) | none | honoured | client chain and key as inline PEM |
//! | `ssl.certificate.location` + `ssl.key.location` | [`ssl_client_certificate`](ProducerConfigBuilder::ssl_client_certificate) | none | honoured | client chain and key as PEM files (librdkafka's names) |
//! | `ssl.key.password` | [`tls`](ProducerConfigBuilder::tls) | none | honoured | decrypts an encrypted PKCS#8 client key |
//! | `ssl.endpoint.identification.algorithm` | [`ssl_endpoint_identification`](ProducerConfigBuilder::ssl_endpoint_identification) | `https` | honoured | `https` checks the broker's host name; empty turns the check off (a warning is logged) |
//! | `sasl.mechanism` | [`sasl_mechanism`](ProducerConfigBuilder::sasl_mechanism) | none (required with SASL) | honoured | `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER` |
//! | `sasl.jaas.config` | [`sasl`](ProducerConfigBuilder::sasl) | none | honoured | the Java login modules' form: `PlainLoginModule`, `ScramLoginModule` (`username`, `password`), `OAuthBearerLoginModule` (unsecured `unsecuredLoginStringClaim_sub=...`) |
//! | `sasl.username` + `sasl.password` | [`sasl_credentials`](ProducerConfigBuilder::sasl_credentials) | none | honoured | shortcuts for PLAIN and SCRAM credentials |
//! | — | [`sasl_token_provider`](ProducerConfigBuilder::sasl_token_provider) | none | — | OAUTHBEARER tokens ([`TokenProvider`](crate::TokenProvider)) |
//! | `client.dns.lookup` | [`client_dns_lookup`](ProducerConfigBuilder::client_dns_lookup) | `use_all_dns_ips` | honoured | `use_all_dns_ips` or `resolve_canonical_bootstrap_servers_only`, see [`ClientDnsLookup`] |
//! | `custom.*` | [`custom`](ProducerConfigBuilder::custom) | — | honoured | free-form settings for custom partitioners and serializers |
//!
//! Other security settings are handled with the TLS and SASL ones:
//! `ssl.enabled.protocols` (`TLSv1.2`, `TLSv1.3`) is honoured and
//! `ssl.protocol` checked; Java store passwords, JSSE tuning and
//! `sasl.login.*`, `sasl.kerberos.*`, `sasl.oauthbearer.*` are accepted with a
//! warning; the rest (e.g. `security.providers`) are unknown properties.
//!
//! Property names are case-sensitive, values are trimmed; booleans and
//! enumerated values ignore ASCII case. Any other name is an error
//! (`unknown property`), and so are `key.serializer` / `value.serializer`
//! (serializers are chosen by type in Rust). Passwords, keys and
//! `sasl.jaas.config` are held as [`Password`](crate::Password): they
//! print as `[redacted]` and are left out of
//! [`to_properties`](ProducerConfig::to_properties).
//!
//! # Validation
//!
//! - `bootstrap.servers` is required; each entry is `host:port` with a port in
//!   1–65535 (IPv6 addresses as `[::1]:9092`).
//! - `batch.size`, `max.request.size` and
//!   `max.in.flight.requests.per.connection` must be at least 1;
//!   `buffer.memory` must be at least `batch.size`. Values the wire protocol
//!   carries as 32-bit integers (`batch.size`, `max.request.size`, `retries`,
//!   `request.timeout.ms`, `delivery.timeout.ms`, `transaction.timeout.ms`)
//!   must not exceed 2147483647.
//! - `compression.type` must name a codec compiled into this build (see
//!   [`Compression::is_available`]); the three `compression.*.level`
//!   properties must be in their codec's range (checked whichever codec is
//!   chosen, as in Java).
//! - `socket.connection.setup.timeout.ms` and
//!   `socket.connection.setup.timeout.max.ms` must be at least 1 ms.
//! - Idempotence needs `acks=all`, `retries > 0` and
//!   `max.in.flight.requests.per.connection` ≤ 5. With
//!   `enable.idempotence=true` set explicitly, a conflict is an error naming
//!   the conflicting property. With idempotence only on by default, a
//!   conflicting setting turns it off, and a warning is logged that names
//!   the property.
//! - `transactional.id` needs idempotence: with `enable.idempotence=false` or
//!   a setting that conflicts with idempotence it is an error.
//! - `delivery.timeout.ms` must be at least `linger.ms + request.timeout.ms`.
//!   As in the Java client, this is an error when `delivery.timeout.ms` was
//!   set explicitly; when it was left at its default, it is raised to
//!   `linger.ms + request.timeout.ms` with a warning.
//!
//! # Examples
//!
//! The typed builder:
//!
//! ```
//! use kafka_sync::config::{Acks, PartitionerChoice, ProducerConfig};
//! use kafka_sync::Compression;
//! use std::time::Duration;
//!
//! let config = ProducerConfig::builder()
//!     .bootstrap_servers("broker1:9092, broker2:9092")
//!     .client_id("orders-service")
//!     .acks(Acks::All)
//!     .linger(Duration::from_millis(20))
//!     .batch_size(64 * 1024)
//!     .compression(Compression::Snappy)
//!     .partitioner(PartitionerChoice::RoundRobin)
//!     .custom("custom.specialKey", "vip")
//!     .build()?;
//!
//! assert_eq!(config.bootstrap_servers, ["broker1:9092", "broker2:9092"]);
//! assert!(config.enable_idempotence);
//! assert_eq!(config.custom["custom.specialKey"], "vip");
//! # Ok::<(), kafka_sync::ConfigError>(())
//! ```
//!
//! Java property names, e.g. from a `.properties` file or command line:
//!
//! ```
//! use kafka_sync::config::{Acks, ProducerConfig};
//! use std::time::Duration;
//!
//! let config = ProducerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("acks", "1"),
//!     ("linger.ms", "10"),
//!     ("compression.type", "snappy"),
//! ])?;
//! assert_eq!(config.acks, Acks::Leader);
//! assert_eq!(config.linger, Duration::from_millis(10));
//! // acks=1 conflicts with idempotence, which was only on by default:
//! // it is turned off (and a warning is logged).
//! assert!(!config.enable_idempotence);
//!
//! // Errors name the property.
//! let err = ProducerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("linger.ms", "soon"),
//! ])
//! .unwrap_err();
//! assert_eq!(err.property, "linger.ms");
//! # Ok::<(), kafka_sync::ConfigError>(())
//! ```

mod ignored;
mod properties;
mod security;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_java;
#[cfg(test)]
mod tests_security;
mod validate;

pub use crate::error::ConfigError;
use crate::record_batch::Compression;
pub(crate) use security::credentials as sasl_credentials;
pub use security::{SaslConfig, TlsConfig};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// `acks`: how many replicas must have a record before it counts as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Acks {
    /// `acks=0`: no response awaited; offsets are unknown (-1) and records may be lost.
    None,
    /// `acks=1`: the leader wrote it.
    Leader,
    /// `acks=all` / `-1`: all in-sync replicas have it.
    #[default]
    All,
}

impl Acks {
    /// The value sent in Produce requests (0, 1 or -1).
    pub fn wire_value(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }

    /// The value of the `acks` property: `0`, `1` or `all`.
    pub const fn name(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Acks {
    type Err = ConfigError;

    /// Parses `0`, `1`, `all` (any case) or `-1`; the error names `acks`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "0" => Ok(Acks::None),
            "1" => Ok(Acks::Leader),
            "-1" => Ok(Acks::All),
            v if v.eq_ignore_ascii_case("all") => Ok(Acks::All),
            v => Err(ConfigError::new(
                "acks",
                format!("expected 0, 1, all or -1, got '{v}'"),
            )),
        }
    }
}

/// `partitioner.class`: which built-in partitioner places records that name
/// no partition. A record's explicit partition always wins; custom
/// partitioners are plugged in code, not by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PartitionerChoice {
    /// The Java client's default: keyed records go to
    /// `(murmur2(key) & 0x7fffffff) % partitions`, null keys are sticky (one
    /// partition until about `batch.size` bytes, then the next). Also
    /// accepted as `org.apache.kafka.clients.producer.internals.DefaultPartitioner`.
    #[default]
    Default,
    /// Like Java's `org.apache.kafka.clients.producer.RoundRobinPartitioner`:
    /// every record, keyed or not, goes to the next partition in turn.
    RoundRobin,
}

impl PartitionerChoice {
    /// Java class name accepted for [`PartitionerChoice::Default`].
    pub const JAVA_DEFAULT: &'static str =
        "org.apache.kafka.clients.producer.internals.DefaultPartitioner";
    /// Java class name accepted for [`PartitionerChoice::RoundRobin`].
    pub const JAVA_ROUND_ROBIN: &'static str =
        "org.apache.kafka.clients.producer.RoundRobinPartitioner";

    /// The short name: `default` or `round_robin`.
    pub const fn name(self) -> &'static str {
        match self {
            PartitionerChoice::Default => "default",
            PartitionerChoice::RoundRobin => "round_robin",
        }
    }
}

impl fmt::Display for PartitionerChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PartitionerChoice {
    type Err = ConfigError;

    /// Parses `default`, `round_robin` (any case; empty means `default`) or
    /// the Java class names; the error names `partitioner.class`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = s.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("default") || v == Self::JAVA_DEFAULT {
            Ok(PartitionerChoice::Default)
        } else if v.eq_ignore_ascii_case("round_robin") || v == Self::JAVA_ROUND_ROBIN {
            Ok(PartitionerChoice::RoundRobin)
        } else {
            Err(ConfigError::new(
                "partitioner.class",
                format!(
                    "expected default, round_robin, {} or {}, got '{v}' \
                     (a custom partitioner is plugged in code as a `Partitioner` implementation)",
                    Self::JAVA_DEFAULT,
                    Self::JAVA_ROUND_ROBIN
                ),
            ))
        }
    }
}

/// `security.protocol`: whether connections use TLS, SASL, both or neither.
/// TLS ([`Ssl`](Self::Ssl), [`SaslSsl`](Self::SaslSsl)) needs the `tls`
/// cargo feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecurityProtocol {
    /// `PLAINTEXT`: no encryption, no authentication.
    #[default]
    Plaintext,
    /// `SSL`: TLS (optionally with a client certificate).
    Ssl,
    /// `SASL_PLAINTEXT`: SASL authentication without TLS.
    SaslPlaintext,
    /// `SASL_SSL`: SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// The property value: `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    pub const fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether this build can connect with the protocol.
    pub const fn is_supported(self) -> bool {
        cfg!(feature = "tls") || !self.uses_tls()
    }

    /// Whether connections use TLS (`SSL`, `SASL_SSL`).
    pub const fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL (`SASL_PLAINTEXT`, `SASL_SSL`).
    pub const fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SecurityProtocol {
    type Err = ConfigError;

    /// Parses the four Kafka protocol names, ignoring ASCII case; the error
    /// names `security.protocol`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = s.trim();
        [
            SecurityProtocol::Plaintext,
            SecurityProtocol::Ssl,
            SecurityProtocol::SaslPlaintext,
            SecurityProtocol::SaslSsl,
        ]
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(v))
        .ok_or_else(|| {
            ConfigError::new(
                "security.protocol",
                format!("expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got '{v}'"),
            )
        })
    }
}

/// `client.dns.lookup`: how broker host names become addresses. Lookups run
/// on resolver threads, never on the sender thread; the addresses of a host
/// are tried in turn, one per connect attempt, and the host is resolved
/// again once all were tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClientDnsLookup {
    /// `use_all_dns_ips` (the Java default): every address of the host.
    #[default]
    UseAllDnsIps,
    /// `resolve_canonical_bootstrap_servers_only`: for bootstrap servers,
    /// each address is reverse-resolved to its canonical host name and that
    /// name resolved again (an address without a name is kept); brokers
    /// from metadata are resolved as with `use_all_dns_ips`.
    ResolveCanonicalBootstrapServersOnly,
}

impl ClientDnsLookup {
    /// The property value: `use_all_dns_ips` or
    /// `resolve_canonical_bootstrap_servers_only`.
    pub const fn name(self) -> &'static str {
        match self {
            ClientDnsLookup::UseAllDnsIps => "use_all_dns_ips",
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly => {
                "resolve_canonical_bootstrap_servers_only"
            }
        }
    }
}

impl fmt::Display for ClientDnsLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ClientDnsLookup {
    type Err = ConfigError;

    /// Parses the two value names, ignoring ASCII case; the error names
    /// `client.dns.lookup`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = s.trim();
        [
            ClientDnsLookup::UseAllDnsIps,
            ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
        ]
        .into_iter()
        .find(|l| l.name().eq_ignore_ascii_case(v))
        .ok_or_else(|| {
            ConfigError::new(
                "client.dns.lookup",
                format!(
                    "expected use_all_dns_ips or resolve_canonical_bootstrap_servers_only, \
                     got '{v}'"
                ),
            )
        })
    }
}

/// Everything the producer can be configured with. Build it with
/// [`ProducerConfig::builder`] or [`ProducerConfig::from_properties`]; both
/// validate. [`ProducerConfig::default`] holds the defaults of the property
/// table (it has no bootstrap servers, so it is not valid as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerConfig {
    /// `bootstrap.servers`: host:port pairs for the first connection
    /// (IPv6 hosts in brackets: `[::1]:9092`).
    pub bootstrap_servers: Vec<String>,
    /// `client.id` (generated when not set: `producer-N`, or
    /// `producer-<transactional.id>`).
    pub client_id: String,
    /// `acks`.
    pub acks: Acks,
    /// `enable.idempotence` as finally in force (after validation).
    pub enable_idempotence: bool,
    /// `max.block.ms`.
    pub max_block: Duration,
    /// `linger.ms`.
    pub linger: Duration,
    /// `wait.sends.batch` (kafka-sync only): a thread blocking on a
    /// record's handle ends its batch's linger (see the module table).
    pub wait_sends_batch: bool,
    /// `batch.size` in bytes.
    pub batch_size: usize,
    /// `buffer.memory` in bytes.
    pub buffer_memory: usize,
    /// `compression.type`.
    pub compression: Compression,
    /// `compression.gzip.level`: 1 (fastest) to 9 (smallest), or -1 for the
    /// codec's default (6). Used with `compression.type=gzip`.
    pub compression_gzip_level: i32,
    /// `compression.lz4.level`: 1 to 17, checked but without effect: lz4
    /// always compresses at its fast level (lz4_flex has no
    /// high-compression mode).
    pub compression_lz4_level: i32,
    /// `compression.zstd.level`: -131072 (fastest) to 22 (smallest). With
    /// the `zstd-pure` feature instead of `zstd`, ruzstd compresses at its
    /// fastest level (about zstd level 1) whatever the level.
    pub compression_zstd_level: i32,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
    /// `max.request.size` in bytes.
    pub max_request_size: usize,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `delivery.timeout.ms` (at least `linger + request_timeout` after validation).
    pub delivery_timeout: Duration,
    /// `retries`.
    pub retries: u32,
    /// `retry.backoff.ms`. When larger than `retry_backoff_max`, the
    /// maximum is used as a constant backoff (as in the Java client).
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`.
    pub retry_backoff_max: Duration,
    /// `reconnect.backoff.ms`. When larger than `reconnect_backoff_max`, the
    /// maximum is used as a constant backoff.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`.
    pub reconnect_backoff_max: Duration,
    /// `metadata.max.age.ms`.
    pub metadata_max_age: Duration,
    /// `metadata.max.idle.ms`: a topic nothing was sent to for this long
    /// leaves the metadata requests, and the producer forgets its state
    /// (queues, partitioner state); the next record for it fetches its
    /// metadata again. At least 5 s.
    pub metadata_max_idle: Duration,
    /// `metrics.sample.window.ms`: the length of one sample of the windowed
    /// metrics (rates, averages, maxima) of [`Producer::metrics`].
    ///
    /// [`Producer::metrics`]: crate::Producer::metrics
    pub metrics_sample_window: Duration,
    /// `metrics.num.samples`: how many samples the window keeps (at least 1).
    pub metrics_num_samples: usize,
    /// `send.buffer.bytes` (`None` = OS default, from -1).
    pub send_buffer_bytes: Option<usize>,
    /// `receive.buffer.bytes` (`None` = OS default, from -1).
    pub receive_buffer_bytes: Option<usize>,
    /// `connections.max.idle.ms`: a ready broker connection with nothing in
    /// flight (no request unanswered, nothing left to write) and no traffic
    /// for this long is closed by the network; it is opened again when the
    /// producer needs the broker. `None` (from a negative value, e.g. -1)
    /// keeps idle connections open.
    pub connections_max_idle: Option<Duration>,
    /// `socket.connection.setup.timeout.ms`: how long a node's first
    /// connection attempt may take: resolving its host name, TCP connect,
    /// TLS and SASL. The ApiVersions exchange in between is a request
    /// bounded by [`request_timeout`](Self::request_timeout), as in the Java
    /// client, and its time is not counted here.
    /// Each consecutive failed attempt of the same node doubles it, up to
    /// [`socket_connection_setup_timeout_max`](Self::socket_connection_setup_timeout_max),
    /// with ±20% jitter, as in the Java client; a connection that became
    /// ready starts the count again.
    pub socket_connection_setup_timeout: Duration,
    /// `socket.connection.setup.timeout.max.ms`: the largest connection
    /// setup deadline. When not above
    /// [`socket_connection_setup_timeout`](Self::socket_connection_setup_timeout),
    /// it is used as a constant deadline (a warning is logged if smaller).
    pub socket_connection_setup_timeout_max: Duration,
    /// `transactional.id`.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`.
    pub transaction_timeout: Duration,
    /// `partitioner.class`: the built-in partitioner used unless a custom
    /// one is plugged in.
    pub partitioner: PartitionerChoice,
    /// `partitioner.ignore.keys`: when true, the default partitioner places
    /// keyed records like records without a key (the sticky partition)
    /// instead of hashing their keys. No effect with
    /// [`PartitionerChoice::RoundRobin`] (which ignores keys anyway) or a
    /// custom partitioner.
    pub partitioner_ignore_keys: bool,
    /// `partitioner.adaptive.partitioning.enable`: the default partitioner
    /// weighs partitions by their queued batches when it picks a new sticky
    /// partition (KIP-794). No effect on keyed records, on
    /// [`PartitionerChoice::RoundRobin`] or on a custom partitioner.
    pub partitioner_adaptive: bool,
    /// `partitioner.availability.timeout.ms`: with adaptive partitioning, a
    /// partition whose leader could not be sent to for this long is left
    /// out of new sticky choices; zero never leaves one out.
    pub partitioner_availability_timeout: Duration,
    /// `security.protocol`.
    pub security_protocol: SecurityProtocol,
    /// `ssl.*`: TLS settings (with `SSL` and `SASL_SSL`).
    pub tls: TlsConfig,
    /// `sasl.*`: SASL settings (with `SASL_PLAINTEXT` and `SASL_SSL`).
    pub sasl: SaslConfig,
    /// `client.dns.lookup`: how broker host names are resolved.
    pub client_dns_lookup: ClientDnsLookup,
    /// Properties not known to the producer but accepted for custom
    /// partitioners and serializers (names starting with `custom.`, stored
    /// with the prefix, e.g. `custom.specialKey`).
    pub custom: BTreeMap<String, String>,
    /// Java producer properties accepted for compatibility but not applied
    /// (metrics, interceptors, metadata recovery, ...;
    /// the rows marked "warns" in the [module documentation](self)), by
    /// name, with their checked value, so that
    /// [`to_properties`](Self::to_properties) writes them back. `build`
    /// logs a warning for each that asks for something this producer does
    /// not do.
    pub ignored_properties: BTreeMap<String, String>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            bootstrap_servers: Vec::new(),
            client_id: String::new(),
            acks: Acks::All,
            enable_idempotence: true,
            max_block: Duration::from_millis(60_000),
            linger: Duration::from_millis(5),
            wait_sends_batch: true,
            batch_size: 16_384,
            buffer_memory: 33_554_432,
            compression: Compression::None,
            compression_gzip_level: -1,
            compression_lz4_level: 9,
            compression_zstd_level: 3,
            max_in_flight: 5,
            max_request_size: 1_048_576,
            request_timeout: Duration::from_millis(30_000),
            delivery_timeout: Duration::from_millis(120_000),
            retries: i32::MAX as u32,
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1000),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(1000),
            metadata_max_age: Duration::from_millis(300_000),
            metadata_max_idle: Duration::from_millis(300_000),
            metrics_sample_window: Duration::from_millis(30_000),
            metrics_num_samples: 2,
            send_buffer_bytes: Some(131_072),
            receive_buffer_bytes: Some(32_768),
            connections_max_idle: Some(Duration::from_millis(540_000)),
            socket_connection_setup_timeout: Duration::from_millis(10_000),
            socket_connection_setup_timeout_max: Duration::from_millis(30_000),
            transactional_id: None,
            transaction_timeout: Duration::from_millis(60_000),
            partitioner: PartitionerChoice::Default,
            partitioner_ignore_keys: false,
            partitioner_adaptive: true,
            partitioner_availability_timeout: Duration::ZERO,
            security_protocol: SecurityProtocol::Plaintext,
            tls: TlsConfig::default(),
            sasl: SaslConfig::default(),
            client_dns_lookup: ClientDnsLookup::UseAllDnsIps,
            custom: BTreeMap::new(),
            ignored_properties: BTreeMap::new(),
        }
    }
}

impl ProducerConfig {
    /// A builder holding the defaults of the property table.
    pub fn builder() -> ProducerConfigBuilder {
        ProducerConfigBuilder::default()
    }

    /// Parses Java property names and string values (see the
    /// [module documentation](self) for the list), then validates as
    /// [`ProducerConfigBuilder::build`] does. A name given twice takes the
    /// last value. The first bad property is the error.
    pub fn from_properties<I, K, V>(props: I) -> Result<ProducerConfig, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut builder = ProducerConfig::builder();
        for (name, value) in props {
            builder.try_set(name.as_ref(), value.as_ref())?;
        }
        builder.build()
    }

    /// The configuration as Java property names and values, accepted back
    /// by [`ProducerConfig::from_properties`]. Durations are written in
    /// whole milliseconds (sub-millisecond parts are dropped); an unset
    /// `transactional.id` is left out; `connections.max.idle.ms` without
    /// limit is `-1`; the accepted-but-unused properties
    /// ([`ignored_properties`](Self::ignored_properties)) are written as
    /// kept.
    pub fn to_properties(&self) -> BTreeMap<String, String> {
        properties::to_properties(self)
    }

    /// The log-line prefix of a producer with this configuration.
    pub(crate) fn log_context(&self) -> crate::log_context::LogContext {
        crate::log_context::LogContext::new(&self.client_id, self.transactional_id.as_deref())
    }

    /// The level of the configured codec (`compression.gzip.level`,
    /// `compression.lz4.level` or `compression.zstd.level`) that batches
    /// are compressed with; `None` for `none` and `snappy`, which have no
    /// levels.
    pub fn compression_level(&self) -> Option<i32> {
        match self.compression {
            Compression::Gzip => Some(self.compression_gzip_level),
            Compression::Lz4 => Some(self.compression_lz4_level),
            Compression::Zstd => Some(self.compression_zstd_level),
            Compression::None | Compression::Snappy => None,
        }
    }

    /// Checks a configuration that was built by hand (the fields are
    /// public) against the rules of [`ProducerConfigBuilder::build`],
    /// treating every value as set explicitly: nothing is adjusted, a
    /// conflict is an error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let explicit = validate::Explicit {
            enable_idempotence: Some(self.enable_idempotence),
            delivery_timeout: true,
        };
        validate::finish(self.clone(), explicit, &mut Vec::new()).map(drop)
    }
}

/// Builds a [`ProducerConfig`]: a typed setter per property, plus
/// [`set`](Self::set) for Java property names. Nothing is checked until
/// [`build`](Self::build).
///
/// Whether `enable.idempotence` and `delivery.timeout.ms` were set
/// explicitly matters to validation (see the [module documentation](self)).
#[derive(Debug, Clone, Default)]
pub struct ProducerConfigBuilder {
    values: ProducerConfig,
    enable_idempotence: Option<bool>,
    delivery_timeout_set: bool,
    error: Option<ConfigError>,
}

impl ProducerConfigBuilder {
    /// `bootstrap.servers`: a comma-separated `host:port` list (entries are
    /// trimmed, empty entries skipped). Replaces any earlier list.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("broker1:9092,broker2:9092")
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn bootstrap_servers(mut self, servers: impl AsRef<str>) -> Self {
        self.values.bootstrap_servers = split_list(servers.as_ref());
        self
    }

    /// `client.id`; empty means generated at build time.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .client_id("billing")
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.values.client_id = client_id.into();
        self
    }

    /// `acks`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .acks(Acks::All)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn acks(mut self, acks: Acks) -> Self {
        self.values.acks = acks;
        self
    }

    /// `enable.idempotence`, set explicitly: with `true`, a conflicting
    /// setting is an error rather than turning idempotence off.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .enable_idempotence(false)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn enable_idempotence(mut self, enable: bool) -> Self {
        self.enable_idempotence = Some(enable);
        self
    }

    /// `max.block.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .max_block(Duration::from_secs(10))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn max_block(mut self, max_block: Duration) -> Self {
        self.values.max_block = max_block;
        self
    }

    /// `linger.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .linger(Duration::from_millis(5))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn linger(mut self, linger: Duration) -> Self {
        self.values.linger = linger;
        self
    }

    /// `wait.sends.batch` (kafka-sync only, default `true`): a thread that
    /// blocks on a record's [`DeliveryHandle`](crate::DeliveryHandle) ends
    /// the linger of that record's batch, which then goes as soon as its
    /// leader can take it (the waiting thread adds nothing more to it).
    /// Many threads each calling `send(..)?.wait()` then wait a round trip
    /// instead of `linger.ms` plus one; under load batches still fill while
    /// the requests in flight are answered. `false` keeps every batch until
    /// `linger.ms` (or `batch.size`), as the Java client does.
    ///
    /// ```
    /// use kafka_sync::ProducerConfig;
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .wait_sends_batch(false)
    ///     .build()?;
    /// assert!(!config.wait_sends_batch);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn wait_sends_batch(mut self, sends: bool) -> Self {
        self.values.wait_sends_batch = sends;
        self
    }

    /// `batch.size` in bytes.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .batch_size(64 * 1024)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn batch_size(mut self, bytes: usize) -> Self {
        self.values.batch_size = bytes;
        self
    }

    /// `buffer.memory` in bytes.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .buffer_memory(64 << 20)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn buffer_memory(mut self, bytes: usize) -> Self {
        self.values.buffer_memory = bytes;
        self
    }

    /// `compression.type`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .compression(Compression::Lz4)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn compression(mut self, compression: Compression) -> Self {
        self.values.compression = compression;
        self
    }

    /// `compression.gzip.level`: 1 to 9, or -1 for the codec's default.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .compression_gzip_level(6)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn compression_gzip_level(mut self, level: i32) -> Self {
        self.values.compression_gzip_level = level;
        self
    }

    /// `compression.lz4.level`: 1 to 17 (checked; lz4 always compresses at
    /// its fast level).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .compression_lz4_level(9)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn compression_lz4_level(mut self, level: i32) -> Self {
        self.values.compression_lz4_level = level;
        self
    }

    /// `compression.zstd.level`: -131072 to 22.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .compression_zstd_level(3)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn compression_zstd_level(mut self, level: i32) -> Self {
        self.values.compression_zstd_level = level;
        self
    }

    /// `max.in.flight.requests.per.connection`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .max_in_flight(1)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.values.max_in_flight = requests;
        self
    }

    /// `max.request.size` in bytes.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .max_request_size(4 << 20)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn max_request_size(mut self, bytes: usize) -> Self {
        self.values.max_request_size = bytes;
        self
    }

    /// `request.timeout.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .request_timeout(Duration::from_secs(10))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.values.request_timeout = timeout;
        self
    }

    /// `delivery.timeout.ms`, set explicitly: when smaller than
    /// `linger.ms + request.timeout.ms` it is an error rather than raised.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .delivery_timeout(Duration::from_secs(60))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.values.delivery_timeout = timeout;
        self.delivery_timeout_set = true;
        self
    }

    /// `retries`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .retries(5)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn retries(mut self, retries: u32) -> Self {
        self.values.retries = retries;
        self
    }

    /// `retry.backoff.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .retry_backoff(Duration::from_millis(200))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.values.retry_backoff = backoff;
        self
    }

    /// `retry.backoff.max.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .retry_backoff_max(Duration::from_secs(2))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn retry_backoff_max(mut self, backoff: Duration) -> Self {
        self.values.retry_backoff_max = backoff;
        self
    }

    /// `reconnect.backoff.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .reconnect_backoff(Duration::from_millis(100))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn reconnect_backoff(mut self, backoff: Duration) -> Self {
        self.values.reconnect_backoff = backoff;
        self
    }

    /// `reconnect.backoff.max.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .reconnect_backoff_max(Duration::from_secs(5))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn reconnect_backoff_max(mut self, backoff: Duration) -> Self {
        self.values.reconnect_backoff_max = backoff;
        self
    }

    /// `metadata.max.age.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .metadata_max_age(Duration::from_secs(60))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn metadata_max_age(mut self, age: Duration) -> Self {
        self.values.metadata_max_age = age;
        self
    }

    /// `metadata.max.idle.ms` (at least 5 s).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .metadata_max_idle(Duration::from_secs(60))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn metadata_max_idle(mut self, idle: Duration) -> Self {
        self.values.metadata_max_idle = idle;
        self
    }

    /// `metrics.sample.window.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .metrics_sample_window(Duration::from_secs(10))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn metrics_sample_window(mut self, window: Duration) -> Self {
        self.values.metrics_sample_window = window;
        self
    }

    /// `metrics.num.samples` (at least 1).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .metrics_num_samples(3)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn metrics_num_samples(mut self, samples: usize) -> Self {
        self.values.metrics_num_samples = samples;
        self
    }

    /// `send.buffer.bytes`; `None` leaves the OS default (`-1`).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .send_buffer_bytes(Some(1 << 20))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn send_buffer_bytes(mut self, bytes: Option<usize>) -> Self {
        self.values.send_buffer_bytes = bytes;
        self
    }

    /// `receive.buffer.bytes`; `None` leaves the OS default (`-1`).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .receive_buffer_bytes(Some(1 << 20))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn receive_buffer_bytes(mut self, bytes: Option<usize>) -> Self {
        self.values.receive_buffer_bytes = bytes;
        self
    }

    /// `partitioner.class`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .partitioner(PartitionerChoice::RoundRobin)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn partitioner(mut self, partitioner: PartitionerChoice) -> Self {
        self.values.partitioner = partitioner;
        self
    }

    /// `partitioner.ignore.keys`: `true` places keyed records like records
    /// without a key (default partitioner only).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .partitioner_ignore_keys(true)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn partitioner_ignore_keys(mut self, ignore: bool) -> Self {
        self.values.partitioner_ignore_keys = ignore;
        self
    }

    /// `partitioner.adaptive.partitioning.enable`: `false` makes the default
    /// partitioner pick new sticky partitions uniformly instead of weighing
    /// them by their queued batches.
    ///
    /// ```
    /// use kafka_sync::ProducerConfig;
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .partitioner_adaptive(false)
    ///     .build()?;
    /// assert!(!config.partitioner_adaptive);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn partitioner_adaptive(mut self, adaptive: bool) -> Self {
        self.values.partitioner_adaptive = adaptive;
        self
    }

    /// `partitioner.availability.timeout.ms`: with adaptive partitioning, a
    /// partition whose leader could take no request for longer than this
    /// gets no new sticky batches; zero (the default) never excludes one.
    ///
    /// ```
    /// use kafka_sync::ProducerConfig;
    /// use std::time::Duration;
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .partitioner_availability_timeout(Duration::from_millis(500))
    ///     .build()?;
    /// assert_eq!(config.partitioner_availability_timeout, Duration::from_millis(500));
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn partitioner_availability_timeout(mut self, timeout: Duration) -> Self {
        self.values.partitioner_availability_timeout = timeout;
        self
    }

    /// `connections.max.idle.ms`; `None` keeps idle connections open (`-1`).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .connections_max_idle(Some(Duration::from_secs(60)))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn connections_max_idle(mut self, idle: Option<Duration>) -> Self {
        self.values.connections_max_idle = idle;
        self
    }

    /// `socket.connection.setup.timeout.ms` (at least 1 ms).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .socket_connection_setup_timeout(Duration::from_secs(5))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn socket_connection_setup_timeout(mut self, timeout: Duration) -> Self {
        self.values.socket_connection_setup_timeout = timeout;
        self
    }

    /// `socket.connection.setup.timeout.max.ms` (at least 1 ms).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .socket_connection_setup_timeout_max(Duration::from_secs(60))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn socket_connection_setup_timeout_max(mut self, timeout: Duration) -> Self {
        self.values.socket_connection_setup_timeout_max = timeout;
        self
    }

    /// `transactional.id` (must not be empty); enables transactions.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .transactional_id("billing-1")
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn transactional_id(mut self, id: impl Into<String>) -> Self {
        self.values.transactional_id = Some(id.into());
        self
    }

    /// `transaction.timeout.ms`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .transaction_timeout(Duration::from_secs(30))
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn transaction_timeout(mut self, timeout: Duration) -> Self {
        self.values.transaction_timeout = timeout;
        self
    }

    /// `security.protocol`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .security_protocol(SecurityProtocol::Ssl)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn security_protocol(mut self, protocol: SecurityProtocol) -> Self {
        self.values.security_protocol = protocol;
        self
    }

    /// All TLS settings at once (`ssl.*`), replacing earlier ones.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.values.tls = tls;
        self
    }

    /// `ssl.truststore.location`: a PEM file of CA certificates to trust
    /// instead of the system's roots.
    pub fn ssl_truststore_location(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.values.tls.truststore_location = Some(path.into());
        self
    }

    /// `ssl.certificate.location` and `ssl.key.location`: the client
    /// certificate chain and private key (PEM files) for mutual TLS.
    pub fn ssl_client_certificate(
        mut self,
        certificate: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.values.tls.certificate_location = Some(certificate.into());
        self.values.tls.key_location = Some(key.into());
        self
    }

    /// `ssl.endpoint.identification.algorithm`: `true` (`https`, the
    /// default) checks the broker's host name against its certificate.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .ssl_endpoint_identification(false)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn ssl_endpoint_identification(mut self, check: bool) -> Self {
        self.values.tls.endpoint_identification = check;
        self
    }

    /// All SASL settings at once (`sasl.*`), replacing earlier ones.
    pub fn sasl(mut self, sasl: SaslConfig) -> Self {
        self.values.sasl = sasl;
        self
    }

    /// `sasl.mechanism`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .sasl_mechanism(kafka_sync::SaslMechanism::ScramSha512)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn sasl_mechanism(mut self, mechanism: crate::SaslMechanism) -> Self {
        self.values.sasl.mechanism = Some(mechanism);
        self
    }

    /// `sasl.username` and `sasl.password` (PLAIN and SCRAM).
    pub fn sasl_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<crate::Password>,
    ) -> Self {
        self.values.sasl.username = Some(username.into());
        self.values.sasl.password = Some(password.into());
        self
    }

    /// Where OAUTHBEARER tokens come from; it is asked again before each
    /// authentication (and re-authentication).
    pub fn sasl_token_provider(
        mut self,
        provider: std::sync::Arc<dyn crate::TokenProvider>,
    ) -> Self {
        self.values.sasl.token_provider = Some(provider);
        self
    }

    /// `client.dns.lookup`.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .client_dns_lookup(ClientDnsLookup::ResolveCanonicalBootstrapServersOnly)
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn client_dns_lookup(mut self, lookup: ClientDnsLookup) -> Self {
        self.values.client_dns_lookup = lookup;
        self
    }

    /// A free-form setting for custom partitioners and serializers, stored
    /// in [`ProducerConfig::custom`] under `name` as given (by convention
    /// `custom.<something>`, the form [`set`](Self::set) accepts).
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .custom("custom.region", "eu-west-1")
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn custom(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.values.custom.insert(name.into(), value.into());
        self
    }

    /// Sets a property by its Java name from a string value. A bad name or
    /// value is kept and returned by [`build`](Self::build) (the first one
    /// wins), so calls can be chained; use [`try_set`](Self::try_set) to see
    /// the error at once.
    ///
    /// ```
    /// use kafka_sync::config::{ClientDnsLookup, PartitionerChoice, SecurityProtocol};
    /// use kafka_sync::{Acks, Compression, ProducerConfig};
    /// use std::time::Duration;
    /// # let _ = (Acks::All, Compression::None, Duration::ZERO, PartitionerChoice::Default);
    /// # let _ = (ClientDnsLookup::UseAllDnsIps, SecurityProtocol::Plaintext);
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .set("linger.ms", "5")
    ///     .build()?;
    /// # drop(config);
    /// # Ok::<(), kafka_sync::ConfigError>(())
    /// ```
    pub fn set(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        if self.error.is_none() {
            if let Err(e) = self.try_set(name.as_ref(), value.as_ref()) {
                self.error = Some(e);
            }
        }
        self
    }

    /// Sets a property by its Java name from a string value, returning an
    /// error that names the property when the name is unknown or the value
    /// does not parse. The builder is unchanged on error.
    pub fn try_set(&mut self, name: &str, value: &str) -> Result<&mut Self, ConfigError> {
        properties::apply(self, name, value)?;
        Ok(self)
    }

    /// Validates and returns the configuration, or the first error, naming
    /// its property. Warnings (idempotence turned off because only its
    /// default conflicted, `delivery.timeout.ms` raised, Java properties
    /// that have no effect here) go to `log::warn!`.
    pub fn build(self) -> Result<ProducerConfig, ConfigError> {
        let mut warnings = Vec::new();
        let config = self.build_with_warnings(&mut warnings)?;
        let log = config.log_context();
        for w in &warnings {
            log::warn!("{log}{w}");
        }
        Ok(config)
    }

    fn build_with_warnings(
        self,
        warnings: &mut Vec<String>,
    ) -> Result<ProducerConfig, ConfigError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let explicit = validate::Explicit {
            enable_idempotence: self.enable_idempotence,
            delivery_timeout: self.delivery_timeout_set,
        };
        let mut config = validate::finish(self.values, explicit, warnings)?;
        if config.client_id.is_empty() {
            config.client_id = validate::generated_client_id(config.transactional_id.as_deref());
        }
        Ok(config)
    }
}

/// Splits a comma-separated list, trimming entries and skipping empty ones.
fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}
