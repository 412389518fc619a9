//! Java property names: parsing string values into the builder, and writing
//! a configuration back out.

use super::{
    split_list, ClientDnsLookup, PartitionerChoice, ProducerConfig, ProducerConfigBuilder,
    SecurityProtocol,
};
use crate::error::ConfigError;
use crate::record_batch::Compression;
use std::collections::BTreeMap;
use std::time::Duration;

/// Every property name `apply` applies (besides `custom.*`, the security
/// ones and the accepted-but-unused ones of `ignored`).
pub(super) const NAMES: &[&str] = &[
    "bootstrap.servers",
    "client.id",
    "acks",
    "enable.idempotence",
    "max.block.ms",
    "linger.ms",
    "wait.sends.batch",
    "batch.size",
    "buffer.memory",
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "max.in.flight.requests.per.connection",
    "max.request.size",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "retries",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "metadata.max.age.ms",
    "metadata.max.idle.ms",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "connections.max.idle.ms",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "partitioner.class",
    "partitioner.ignore.keys",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "transactional.id",
    "transaction.timeout.ms",
    "security.protocol",
    "client.dns.lookup",
];

/// Prefix of free-form properties kept in [`ProducerConfig::custom`].
pub(super) const CUSTOM_PREFIX: &str = "custom.";

/// Parses `value` for property `name` into `b`; on error `b` is unchanged.
pub(super) fn apply(
    b: &mut ProducerConfigBuilder,
    name: &str,
    value: &str,
) -> Result<(), ConfigError> {
    let name = name.trim();
    let v = value.trim();
    let c = &mut b.values;
    match name {
        "bootstrap.servers" => c.bootstrap_servers = split_list(v),
        "client.id" => c.client_id = v.to_owned(),
        "acks" => c.acks = v.parse()?,
        "enable.idempotence" => b.enable_idempotence = Some(boolean(name, v)?),
        "max.block.ms" => c.max_block = millis(name, v)?,
        "linger.ms" => c.linger = millis(name, v)?,
        "wait.sends.batch" => c.wait_sends_batch = boolean(name, v)?,
        "batch.size" => c.batch_size = bytes(name, v)?,
        "buffer.memory" => c.buffer_memory = bytes(name, v)?,
        "compression.type" => c.compression = compression(v)?,
        "compression.gzip.level" => c.compression_gzip_level = level(name, v)?,
        "compression.lz4.level" => c.compression_lz4_level = level(name, v)?,
        "compression.zstd.level" => c.compression_zstd_level = level(name, v)?,
        "max.in.flight.requests.per.connection" => {
            c.max_in_flight = integer(name, v, "a positive integer")?
        }
        "max.request.size" => c.max_request_size = bytes(name, v)?,
        "request.timeout.ms" => c.request_timeout = millis(name, v)?,
        "delivery.timeout.ms" => {
            c.delivery_timeout = millis(name, v)?;
            b.delivery_timeout_set = true;
        }
        "retries" => {
            c.retries = integer(name, v, "a non-negative integer (at most 2147483647)")?;
        }
        "retry.backoff.ms" => c.retry_backoff = millis(name, v)?,
        "retry.backoff.max.ms" => c.retry_backoff_max = millis(name, v)?,
        "reconnect.backoff.ms" => c.reconnect_backoff = millis(name, v)?,
        "reconnect.backoff.max.ms" => c.reconnect_backoff_max = millis(name, v)?,
        "metadata.max.age.ms" => c.metadata_max_age = millis(name, v)?,
        "metadata.max.idle.ms" => c.metadata_max_idle = millis(name, v)?,
        "metrics.sample.window.ms" => c.metrics_sample_window = millis(name, v)?,
        "metrics.num.samples" => {
            let expected = "an integer from 1 to 2147483647";
            let n: u32 = integer(name, v, expected)?;
            if n == 0 || n > i32::MAX as u32 {
                return Err(ConfigError::new(
                    name,
                    format!("expected {expected}, got '{v}'"),
                ));
            }
            c.metrics_num_samples = n as usize;
        }
        "send.buffer.bytes" => c.send_buffer_bytes = socket_buffer(name, v)?,
        "receive.buffer.bytes" => c.receive_buffer_bytes = socket_buffer(name, v)?,
        "connections.max.idle.ms" => {
            let n = signed(name, v, "an integer of milliseconds (negative: never)")?;
            c.connections_max_idle = u64::try_from(n).ok().map(Duration::from_millis);
        }
        "socket.connection.setup.timeout.ms" => {
            c.socket_connection_setup_timeout = millis(name, v)?;
        }
        "socket.connection.setup.timeout.max.ms" => {
            c.socket_connection_setup_timeout_max = millis(name, v)?;
        }
        "partitioner.class" => c.partitioner = v.parse::<PartitionerChoice>()?,
        "partitioner.ignore.keys" => c.partitioner_ignore_keys = boolean(name, v)?,
        "partitioner.adaptive.partitioning.enable" => c.partitioner_adaptive = boolean(name, v)?,
        "partitioner.availability.timeout.ms" => {
            c.partitioner_availability_timeout = millis(name, v)?;
        }
        "transactional.id" => {
            if v.is_empty() {
                return Err(ConfigError::new(name, "must not be empty"));
            }
            c.transactional_id = Some(v.to_owned());
        }
        "transaction.timeout.ms" => c.transaction_timeout = millis(name, v)?,
        "security.protocol" => c.security_protocol = v.parse::<SecurityProtocol>()?,
        "client.dns.lookup" => c.client_dns_lookup = v.parse::<ClientDnsLookup>()?,
        "key.serializer" | "value.serializer" => {
            return Err(ConfigError::new(
                name,
                "serializers are chosen by type in Rust: give the producer a key and value \
                 type that implement `Serializer` instead of naming a class",
            ))
        }
        _ if name.starts_with(CUSTOM_PREFIX) && name.len() > CUSTOM_PREFIX.len() => {
            c.custom.insert(name.to_owned(), v.to_owned());
        }
        _ if super::security::apply(&mut c.tls, &mut c.sasl, name, v)? => {}
        _ => match super::ignored::check(name, v)? {
            Some(value) => {
                c.ignored_properties.insert(name.to_owned(), value);
            }
            None => return Err(unknown(name)),
        },
    }
    Ok(())
}

fn unknown(name: &str) -> ConfigError {
    let mut message = "unknown property".to_owned();
    if let Some(best) = NAMES
        .iter()
        .chain(super::security::NAMES)
        .copied()
        .chain(super::ignored::names())
        .map(|n| (edit_distance(name, n), n))
        .filter(|(d, n)| *d <= 3 && *d < n.len() / 2)
        .min()
        .map(|(_, n)| n)
    {
        message.push_str(&format!(" (did you mean `{best}`?)"));
    } else {
        message.push_str(
            " (settings for custom partitioners or serializers must start with `custom.`)",
        );
    }
    ConfigError::new(name, message)
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn boolean(name: &str, v: &str) -> Result<bool, ConfigError> {
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ConfigError::new(
            name,
            format!("expected true or false, got '{v}'"),
        ))
    }
}

/// A non-negative decimal integer (a leading `+` is tolerated, as Java does).
fn integer<T: std::str::FromStr>(name: &str, v: &str, expected: &str) -> Result<T, ConfigError> {
    let digits = v.strip_prefix('+').unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = digits.parse() {
            return Ok(n);
        }
    }
    Err(ConfigError::new(
        name,
        format!("expected {expected}, got '{v}'"),
    ))
}

/// A decimal integer with an optional sign, as Java's `Long.parseLong`.
pub(super) fn signed(name: &str, v: &str, expected: &str) -> Result<i64, ConfigError> {
    let (negative, digits) = match v.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n = if negative {
            format!("-{digits}").parse::<i64>()
        } else {
            digits.parse::<i64>()
        };
        if let Ok(n) = n {
            return Ok(n);
        }
    }
    Err(ConfigError::new(
        name,
        format!("expected {expected}, got '{v}'"),
    ))
}

/// A compression level (an int, possibly negative; its range is checked by
/// `build`).
fn level(name: &str, v: &str) -> Result<i32, ConfigError> {
    let expected = "an integer compression level";
    let n = signed(name, v, expected)?;
    i32::try_from(n).map_err(|_| ConfigError::new(name, format!("expected {expected}, got '{v}'")))
}

fn millis(name: &str, v: &str) -> Result<Duration, ConfigError> {
    integer(name, v, "a non-negative integer of milliseconds").map(Duration::from_millis)
}

fn bytes(name: &str, v: &str) -> Result<usize, ConfigError> {
    integer(name, v, "a non-negative integer of bytes")
}

fn socket_buffer(name: &str, v: &str) -> Result<Option<usize>, ConfigError> {
    if v == "-1" {
        return Ok(None);
    }
    integer(
        name,
        v,
        "-1 (OS default) or a non-negative integer of bytes",
    )
    .map(Some)
}

fn compression(v: &str) -> Result<Compression, ConfigError> {
    let c: Compression = v.parse().map_err(|_| {
        ConfigError::new(
            "compression.type",
            format!("expected none, gzip, snappy, lz4 or zstd, got '{v}'"),
        )
    })?;
    match unavailable(c) {
        Some(e) => Err(e),
        None => Ok(c),
    }
}

/// The error for a codec whose cargo feature is off, if it is.
pub(super) fn unavailable(c: Compression) -> Option<ConfigError> {
    if c.is_available() {
        return None;
    }
    let feature = match c {
        Compression::Zstd => "`zstd` or `zstd-pure`",
        Compression::Gzip => "`gzip`",
        Compression::Lz4 => "`lz4`",
        Compression::None | Compression::Snappy => "(none)",
    };
    Some(ConfigError::new(
        "compression.type",
        format!(
            "{c} is not compiled into this build: enable the cargo feature {feature} of kafka-sync"
        ),
    ))
}

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

fn socket_buffer_value(b: Option<usize>) -> String {
    b.map_or_else(|| "-1".to_owned(), |n| n.to_string())
}

pub(super) fn to_properties(c: &ProducerConfig) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = [
        ("bootstrap.servers", c.bootstrap_servers.join(",")),
        ("client.id", c.client_id.clone()),
        ("acks", c.acks.name().to_owned()),
        ("enable.idempotence", c.enable_idempotence.to_string()),
        ("max.block.ms", ms(c.max_block)),
        ("linger.ms", ms(c.linger)),
        ("wait.sends.batch", c.wait_sends_batch.to_string()),
        ("batch.size", c.batch_size.to_string()),
        ("buffer.memory", c.buffer_memory.to_string()),
        ("compression.type", c.compression.name().to_owned()),
        (
            "compression.gzip.level",
            c.compression_gzip_level.to_string(),
        ),
        ("compression.lz4.level", c.compression_lz4_level.to_string()),
        (
            "compression.zstd.level",
            c.compression_zstd_level.to_string(),
        ),
        (
            "max.in.flight.requests.per.connection",
            c.max_in_flight.to_string(),
        ),
        ("max.request.size", c.max_request_size.to_string()),
        ("request.timeout.ms", ms(c.request_timeout)),
        ("delivery.timeout.ms", ms(c.delivery_timeout)),
        ("retries", c.retries.to_string()),
        ("retry.backoff.ms", ms(c.retry_backoff)),
        ("retry.backoff.max.ms", ms(c.retry_backoff_max)),
        ("reconnect.backoff.ms", ms(c.reconnect_backoff)),
        ("reconnect.backoff.max.ms", ms(c.reconnect_backoff_max)),
        ("metadata.max.age.ms", ms(c.metadata_max_age)),
        ("metadata.max.idle.ms", ms(c.metadata_max_idle)),
        ("metrics.sample.window.ms", ms(c.metrics_sample_window)),
        ("metrics.num.samples", c.metrics_num_samples.to_string()),
        (
            "send.buffer.bytes",
            socket_buffer_value(c.send_buffer_bytes),
        ),
        (
            "receive.buffer.bytes",
            socket_buffer_value(c.receive_buffer_bytes),
        ),
        (
            "connections.max.idle.ms",
            c.connections_max_idle.map_or_else(|| "-1".to_owned(), ms),
        ),
        (
            "socket.connection.setup.timeout.ms",
            ms(c.socket_connection_setup_timeout),
        ),
        (
            "socket.connection.setup.timeout.max.ms",
            ms(c.socket_connection_setup_timeout_max),
        ),
        ("partitioner.class", c.partitioner.name().to_owned()),
        (
            "partitioner.ignore.keys",
            c.partitioner_ignore_keys.to_string(),
        ),
        (
            "partitioner.adaptive.partitioning.enable",
            c.partitioner_adaptive.to_string(),
        ),
        (
            "partitioner.availability.timeout.ms",
            ms(c.partitioner_availability_timeout),
        ),
        ("transaction.timeout.ms", ms(c.transaction_timeout)),
        ("security.protocol", c.security_protocol.name().to_owned()),
        ("client.dns.lookup", c.client_dns_lookup.name().to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(id) = &c.transactional_id {
        p.insert("transactional.id".to_owned(), id.clone());
    }
    let mut security = Vec::new();
    super::security::to_properties(&c.tls, &c.sasl, &mut security);
    p.extend(security);
    for (k, v) in c.custom.iter().chain(&c.ignored_properties) {
        p.insert(k.clone(), v.clone());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("linger.ms", "linger.ms"), 0);
        assert_eq!(edit_distance("lingr.ms", "linger.ms"), 1);
        assert_eq!(edit_distance("batch_size", "batch.size"), 1);
    }

    #[test]
    fn every_name_is_applied() {
        // A name in NAMES must never fall through to "unknown property".
        let ignored = super::super::ignored::names();
        for name in NAMES
            .iter()
            .chain(super::super::security::NAMES)
            .copied()
            .chain(ignored)
        {
            let mut b = ProducerConfigBuilder::default();
            if let Err(e) = apply(&mut b, name, "x") {
                assert!(!e.message.contains("unknown"), "{name}: {e}");
            }
        }
    }
}
