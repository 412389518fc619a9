//! The checks of `build`: ranges, bootstrap addresses, codec availability,
//! idempotence and delivery-timeout rules.

use super::{properties, Acks, ProducerConfig};
use crate::error::ConfigError;
use crate::record_batch::Compression;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Which settings the user gave explicitly (the rest are defaults that
/// validation may adjust).
pub(super) struct Explicit {
    /// `enable.idempotence`, when set.
    pub enable_idempotence: Option<bool>,
    /// Whether `delivery.timeout.ms` was set.
    pub delivery_timeout: bool,
}

/// Largest value of the properties the protocol carries as INT32.
const INT_MAX: u64 = i32::MAX as u64;

/// Most requests in flight that keep idempotent order (as in the Java client).
const IDEMPOTENT_MAX_IN_FLIGHT: usize = 5;

/// Checks `c`, adjusting defaults where the rules say so (recorded in
/// `warnings`), and returns the configuration in force.
pub(super) fn finish(
    mut c: ProducerConfig,
    explicit: Explicit,
    warnings: &mut Vec<String>,
) -> Result<ProducerConfig, ConfigError> {
    // bootstrap.servers
    if c.bootstrap_servers.is_empty() {
        return Err(ConfigError::new(
            "bootstrap.servers",
            "is required: give at least one host:port, e.g. localhost:9092",
        ));
    }
    for entry in &mut c.bootstrap_servers {
        *entry = host_port(entry)?;
    }

    // Sizes and counts.
    int_range("batch.size", c.batch_size as u64, 1, "bytes")?;
    if c.buffer_memory < c.batch_size {
        return Err(ConfigError::new(
            "buffer.memory",
            format!(
                "must be at least batch.size ({} bytes), got {} bytes",
                c.batch_size, c.buffer_memory
            ),
        ));
    }
    int_range("max.request.size", c.max_request_size as u64, 1, "bytes")?;
    if c.max_in_flight == 0 {
        return Err(ConfigError::new(
            "max.in.flight.requests.per.connection",
            "must be at least 1, got 0",
        ));
    }
    int_range("retries", u64::from(c.retries), 0, "")?;

    // delivery.timeout.ms >= linger.ms + request.timeout.ms
    let min_delivery = c.linger.saturating_add(c.request_timeout);
    if c.delivery_timeout < min_delivery {
        if explicit.delivery_timeout {
            return Err(ConfigError::new(
                "delivery.timeout.ms",
                format!(
                    "must be at least linger.ms + request.timeout.ms = {} + {} = {} ms, got {} ms",
                    c.linger.as_millis(),
                    c.request_timeout.as_millis(),
                    min_delivery.as_millis(),
                    c.delivery_timeout.as_millis()
                ),
            ));
        }
        warnings.push(format!(
            "delivery.timeout.ms (default {} ms) is smaller than linger.ms + request.timeout.ms \
             = {} + {} ms: raised to {} ms",
            c.delivery_timeout.as_millis(),
            c.linger.as_millis(),
            c.request_timeout.as_millis(),
            min_delivery.as_millis()
        ));
        c.delivery_timeout = min_delivery;
    }
    int_millis("linger.ms", c.linger)?;
    int_millis("request.timeout.ms", c.request_timeout)?;
    int_millis("delivery.timeout.ms", c.delivery_timeout)?;
    int_millis("transaction.timeout.ms", c.transaction_timeout)?;
    if c.metrics_num_samples == 0 {
        return Err(ConfigError::new(
            "metrics.num.samples",
            "must be at least 1, got 0",
        ));
    }
    if c.metadata_max_idle < Duration::from_secs(5) {
        return Err(ConfigError::new(
            "metadata.max.idle.ms",
            format!(
                "must be at least 5000 ms, got {} ms",
                c.metadata_max_idle.as_millis()
            ),
        ));
    }

    // Transactions need a name and a timeout the coordinator accepts.
    if let Some(id) = &c.transactional_id {
        if id.is_empty() {
            return Err(ConfigError::new("transactional.id", "must not be empty"));
        }
        if c.transaction_timeout < Duration::from_millis(1) {
            return Err(ConfigError::new(
                "transaction.timeout.ms",
                "must be at least 1 ms when transactional.id is set",
            ));
        }
    }

    if let Some(e) = properties::unavailable(c.compression) {
        return Err(e);
    }
    for (property, codec, level) in [
        (
            "compression.gzip.level",
            Compression::Gzip,
            c.compression_gzip_level,
        ),
        (
            "compression.lz4.level",
            Compression::Lz4,
            c.compression_lz4_level,
        ),
        (
            "compression.zstd.level",
            Compression::Zstd,
            c.compression_zstd_level,
        ),
    ] {
        compression_level(property, codec, level)?;
    }

    // Connection setup: a deadline that starts at the first value and
    // doubles per failed attempt up to the maximum.
    let setup = c.socket_connection_setup_timeout;
    let setup_max = c.socket_connection_setup_timeout_max;
    for (property, d) in [
        ("socket.connection.setup.timeout.ms", setup),
        ("socket.connection.setup.timeout.max.ms", setup_max),
    ] {
        if d < Duration::from_millis(1) {
            return Err(ConfigError::new(
                property,
                format!("must be at least 1 ms, got {} ms", d.as_millis()),
            ));
        }
    }
    if setup_max < setup {
        warnings.push(format!(
            "socket.connection.setup.timeout.ms ({} ms) is greater than \
             socket.connection.setup.timeout.max.ms ({} ms): a constant connection setup \
             timeout of {} ms is used",
            setup.as_millis(),
            setup_max.as_millis(),
            setup_max.as_millis()
        ));
    }
    super::ignored::validate(&c.ignored_properties, warnings)?;
    super::security::validate(c.security_protocol, &c.tls, &c.sasl)?;

    c.enable_idempotence = idempotence(&c, explicit.enable_idempotence, warnings)?;
    Ok(c)
}

/// A setting that idempotence cannot live with: property, setting, need.
struct Conflict {
    property: &'static str,
    setting: String,
    needs: &'static str,
}

/// Decides whether idempotence is in force, or why the configuration is invalid.
fn idempotence(
    c: &ProducerConfig,
    explicit: Option<bool>,
    warnings: &mut Vec<String>,
) -> Result<bool, ConfigError> {
    let mut conflicts = Vec::new();
    if c.acks != Acks::All {
        conflicts.push(Conflict {
            property: "acks",
            setting: format!("acks={}", c.acks),
            needs: "acks=all",
        });
    }
    if c.retries == 0 {
        conflicts.push(Conflict {
            property: "retries",
            setting: "retries=0".to_owned(),
            needs: "retries > 0",
        });
    }
    if c.max_in_flight > IDEMPOTENT_MAX_IN_FLIGHT {
        conflicts.push(Conflict {
            property: "max.in.flight.requests.per.connection",
            setting: format!("max.in.flight.requests.per.connection={}", c.max_in_flight),
            needs: "max.in.flight.requests.per.connection between 1 and 5",
        });
    }

    match (explicit, conflicts.first()) {
        (Some(false), _) => match &c.transactional_id {
            Some(id) => Err(ConfigError::new(
                "transactional.id",
                format!(
                    "transactional.id '{id}' needs idempotence, but enable.idempotence=false \
                     was set"
                ),
            )),
            None => Ok(false),
        },
        (_, None) => Ok(true),
        (Some(true), Some(first)) => Err(ConfigError::new(
            first.property,
            format!(
                "{} conflicts with enable.idempotence=true: idempotence needs {} \
                 (set enable.idempotence=false to use {})",
                first.setting, first.needs, first.setting
            ),
        )),
        (None, Some(first)) => {
            if let Some(id) = &c.transactional_id {
                return Err(ConfigError::new(
                    first.property,
                    format!(
                        "{} conflicts with transactional.id '{id}': transactions need \
                         idempotence, which needs {}",
                        first.setting, first.needs
                    ),
                ));
            }
            let settings: Vec<&str> = conflicts.iter().map(|k| k.setting.as_str()).collect();
            let needs: Vec<&str> = conflicts.iter().map(|k| k.needs).collect();
            warnings.push(format!(
                "idempotence (on by default) disabled because of {}: it needs {}; \
                 set enable.idempotence=false to silence this warning",
                settings.join(", "),
                needs.join(" and ")
            ));
            Ok(false)
        }
    }
}

/// Checks a `compression.<codec>.level` against the codec's range.
fn compression_level(property: &str, codec: Compression, level: i32) -> Result<(), ConfigError> {
    if codec.is_valid_level(level) {
        return Ok(());
    }
    let (min, max) = codec.level_range().unwrap_or_default();
    let default = match codec {
        Compression::Gzip => " (or -1, the codec's default)",
        _ => "",
    };
    Err(ConfigError::new(
        property,
        format!("must be between {min} and {max}{default}, got {level}"),
    ))
}

/// Checks `min <= n <= i32::MAX` for an integer property.
fn int_range(property: &str, n: u64, min: u64, unit: &str) -> Result<(), ConfigError> {
    if (min..=INT_MAX).contains(&n) {
        return Ok(());
    }
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    Err(ConfigError::new(
        property,
        format!("must be between {min} and {INT_MAX}{unit}, got {n}{unit}"),
    ))
}

/// Checks that a duration fits the protocol's INT32 milliseconds.
fn int_millis(property: &str, d: Duration) -> Result<(), ConfigError> {
    if d.as_millis() <= u128::from(INT_MAX) {
        return Ok(());
    }
    Err(ConfigError::new(
        property,
        format!("must be at most {INT_MAX} ms, got {} ms", d.as_millis()),
    ))
}

/// Checks one `bootstrap.servers` entry and returns it normalized: IPv6
/// hosts in brackets, e.g. `[::1]:9092`.
pub(super) fn host_port(entry: &str) -> Result<String, ConfigError> {
    let bad = |why: &str| {
        ConfigError::new(
            "bootstrap.servers",
            format!("expected host:port, got '{entry}'{why}"),
        )
    };
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| bad(" (unclosed '[')"))?;
        let port = after.strip_prefix(':').ok_or_else(|| bad(" (no port)"))?;
        (host, port)
    } else {
        entry.rsplit_once(':').ok_or_else(|| bad(" (no port)"))?
    };
    if host.is_empty() {
        return Err(bad(" (no host)"));
    }
    let host_char = |c: char| c.is_ascii_alphanumeric() || "-._:%".contains(c);
    if !host.chars().all(host_char) {
        return Err(bad(" (invalid character in host)"));
    }
    let port = match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
        _ => {
            return Err(ConfigError::new(
                "bootstrap.servers",
                format!("invalid port in '{entry}': expected an integer from 1 to 65535"),
            ))
        }
    };
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// Counter of generated client ids, process-wide, as in the Java client.
static CLIENT_ID_SEQUENCE: AtomicUsize = AtomicUsize::new(1);

/// `producer-<transactional.id>` for a transactional producer, otherwise
/// `producer-N` with a process-wide counter.
pub(super) fn generated_client_id(transactional_id: Option<&str>) -> String {
    match transactional_id {
        Some(id) => format!("producer-{id}"),
        None => format!(
            "producer-{}",
            CLIENT_ID_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ),
    }
}
