//! Java producer properties that are accepted for compatibility but not
//! applied: a Java producer's properties file can be given as it is. Each
//! value is still checked (a bad one is an error naming the property), kept
//! in [`ProducerConfig::ignored_properties`](super::ProducerConfig) so that
//! `to_properties` writes it back, and, unless it asks for nothing this
//! producer would do differently, `build` logs a warning that says what to
//! use instead.

use crate::error::ConfigError;
use std::collections::BTreeMap;

/// How a value is checked (as the Java client's `ConfigDef` types it).
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `true` / `false`, any case.
    Bool,
    /// A decimal integer of at least `min`, at most `i32::MAX` with `int`.
    Integer { min: i64, int: bool },
    /// One of the names, any case (written back as listed).
    Choice(&'static [&'static str]),
    /// A comma-separated list of Java class (or plugin) names, possibly empty.
    Classes,
}

/// Which value needs no warning: it asks for nothing the producer lacks.
#[derive(Debug, Clone, Copy)]
enum Quiet {
    /// Every value warns.
    Never,
    /// An empty list.
    Empty,
    /// This value (after normalizing).
    Value(&'static str),
}

/// One accepted-but-unused property.
#[derive(Debug)]
struct Ignored {
    name: &'static str,
    kind: Kind,
    quiet: Quiet,
    /// What the warning says after "`name=value` has no effect: ".
    instead: &'static str,
}

const METRICS: &str = "every metric is kept at every level: read them with `Producer::metrics()`";

/// The accepted-but-unused properties of the Java producer (Kafka 4.x
/// `ProducerConfig`, and `auto.include.jmx.reporter` of 3.x).
const IGNORED: &[Ignored] = &[
    Ignored {
        name: "interceptor.classes",
        kind: Kind::Classes,
        quiet: Quiet::Empty,
        instead: "Java class names mean nothing to a Rust program: give interceptor values \
                  to `ProducerBuilder::interceptor` (`ProducerInterceptor`)",
    },
    Ignored {
        name: "metric.reporters",
        kind: Kind::Classes,
        quiet: Quiet::Empty,
        instead: "metrics reporters are Java classes: read `Producer::metrics()` and \
                  export the snapshot yourself",
    },
    Ignored {
        name: "auto.include.jmx.reporter",
        kind: Kind::Bool,
        quiet: Quiet::Value("false"),
        instead: "there is no JMX in Rust: read `Producer::metrics()`",
    },
    Ignored {
        name: "enable.metrics.push",
        kind: Kind::Bool,
        quiet: Quiet::Value("false"),
        instead: "pushing client metrics to the cluster (KIP-714) is not implemented: read \
                  `Producer::metrics()`",
    },
    Ignored {
        name: "metrics.recording.level",
        kind: Kind::Choice(&["INFO", "DEBUG", "TRACE"]),
        quiet: Quiet::Never,
        instead: METRICS,
    },
    Ignored {
        name: "metadata.recovery.strategy",
        kind: Kind::Choice(&["none", "rebootstrap"]),
        quiet: Quiet::Value("none"),
        instead: "rebootstrap is not implemented: the producer keeps its metadata and, when \
                  no known broker can be reached, also tries the bootstrap servers; set \
                  metadata.recovery.strategy=none to silence this warning",
    },
    Ignored {
        name: "metadata.recovery.rebootstrap.trigger.ms",
        kind: Kind::Integer { min: 0, int: false },
        quiet: Quiet::Never,
        instead: "rebootstrapping is not implemented (see metadata.recovery.strategy)",
    },
    Ignored {
        name: "transaction.two.phase.commit.enable",
        kind: Kind::Bool,
        quiet: Quiet::Value("false"),
        instead: "two-phase commit (KIP-939) is not implemented: the coordinator aborts a \
                  transaction open longer than transaction.timeout.ms",
    },
    Ignored {
        name: "config.providers",
        kind: Kind::Classes,
        quiet: Quiet::Empty,
        instead: "config providers are not supported: resolve `${provider:path:key}` \
                  placeholders before calling `from_properties`",
    },
];

/// Prefixes of accepted-but-unused property families.
const IGNORED_PREFIXES: &[(&str, &str)] = &[
    (
        "metrics.context.",
        "metrics context labels (KIP-606) are not used: read `Producer::metrics()`",
    ),
    (
        "config.providers.",
        "config providers are not supported: resolve `${provider:path:key}` placeholders \
         before calling `from_properties`",
    ),
];

/// Every accepted-but-unused property name (not the prefixes).
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    IGNORED.iter().map(|i| i.name)
}

/// If `name` is an accepted-but-unused property, checks `v` and returns it
/// normalized (as it is stored and written back); `Ok(None)` for any other
/// name.
pub(super) fn check(name: &str, v: &str) -> Result<Option<String>, ConfigError> {
    if let Some(i) = IGNORED.iter().find(|i| i.name == name) {
        return normalize(i.name, i.kind, v.trim()).map(Some);
    }
    if prefix(name).is_some() {
        return Ok(Some(v.trim().to_owned()));
    }
    Ok(None)
}

/// The advice for a name of a prefix family.
fn prefix(name: &str) -> Option<&'static str> {
    IGNORED_PREFIXES
        .iter()
        .find(|(p, _)| name.len() > p.len() && name.starts_with(p))
        .map(|(_, instead)| *instead)
}

fn normalize(name: &str, kind: Kind, v: &str) -> Result<String, ConfigError> {
    let bad = |expected: String| ConfigError::new(name, format!("expected {expected}, got '{v}'"));
    match kind {
        Kind::Bool => ["true", "false"]
            .into_iter()
            .find(|b| b.eq_ignore_ascii_case(v))
            .map(str::to_owned)
            .ok_or_else(|| bad("true or false".into())),
        Kind::Integer { min, int } => {
            let max = if int { i64::from(i32::MAX) } else { i64::MAX };
            let expected = || format!("an integer from {min} to {max}");
            let n = super::properties::signed(name, v, &expected())?;
            if n < min || n > max {
                return Err(bad(expected()));
            }
            Ok(n.to_string())
        }
        Kind::Choice(options) => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(v))
            .map(|o| (*o).to_owned())
            .ok_or_else(|| bad(options.join(", "))),
        Kind::Classes => {
            let entries: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .collect();
            for e in &entries {
                if !is_java_name(e) {
                    return Err(ConfigError::new(
                        name,
                        format!("expected a comma-separated list of Java class names, got '{e}'"),
                    ));
                }
            }
            Ok(entries.join(","))
        }
    }
}

/// A dotted Java name: identifiers of letters, digits, `_` and `$`, not
/// starting with a digit (`org.example.My$Inner`, or a provider's name).
fn is_java_name(s: &str) -> bool {
    s.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    })
}

/// Checks every stored property again (a configuration may be built by
/// hand) and pushes a warning for each that asks for something this
/// producer does not do.
pub(super) fn validate(
    props: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    for (name, value) in props {
        let (normalized, quiet, instead) = match IGNORED.iter().find(|i| i.name == name) {
            Some(i) => (normalize(i.name, i.kind, value)?, i.quiet, i.instead),
            None => match prefix(name) {
                Some(instead) => (value.clone(), Quiet::Never, instead),
                None => {
                    return Err(ConfigError::new(
                        name.as_str(),
                        "not a property this producer accepts and ignores \
                         (ProducerConfig::ignored_properties)",
                    ))
                }
            },
        };
        let silent = match quiet {
            Quiet::Never => false,
            Quiet::Empty => normalized.is_empty(),
            Quiet::Value(q) => normalized == q,
        };
        if !silent {
            // A config provider's parameters may be credentials (a vault
            // token): their values are never logged.
            let secret = name.starts_with("config.providers.") && name.contains(".param.");
            let value = if secret { "(hidden)" } else { value.as_str() };
            warnings.push(format!("{name}={value} has no effect: {instead}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_normalized_and_checked() {
        let ok = |n: &str, v: &str| check(n, v).unwrap().unwrap();
        assert_eq!(ok("enable.metrics.push", " TRUE "), "true");
        assert_eq!(ok("metrics.recording.level", "debug"), "DEBUG");
        assert_eq!(
            ok("metadata.recovery.strategy", "ReBootstrap"),
            "rebootstrap"
        );
        assert_eq!(ok("interceptor.classes", " a.B , c.D$E ,"), "a.B,c.D$E");
        assert_eq!(ok("interceptor.classes", ""), "");
        assert_eq!(ok("metrics.context.team", " payments "), "payments");
        assert_eq!(check("linger.ms", "5").unwrap(), None);
        assert_eq!(check("metrics.context.", "x").unwrap(), None);
        for (n, v) in [
            ("enable.metrics.push", "yes"),
            ("metrics.recording.level", "WARN"),
            ("metadata.recovery.strategy", "retry"),
            ("interceptor.classes", "com.example.1Bad"),
            ("metric.reporters", "a..b"),
        ] {
            let e = check(n, v).unwrap_err();
            assert_eq!(e.property, n, "{e}");
        }
        assert!(is_java_name("org.apache.kafka.common.metrics.JmxReporter"));
        assert!(is_java_name("file") && !is_java_name("") && !is_java_name("a b"));
    }

    #[test]
    fn quiet_values_do_not_warn() {
        let mut warnings = Vec::new();
        let quiet: BTreeMap<String, String> = [
            ("interceptor.classes", ""),
            ("enable.metrics.push", "false"),
            ("metadata.recovery.strategy", "none"),
            ("transaction.two.phase.commit.enable", "false"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        validate(&quiet, &mut warnings).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let loud: BTreeMap<String, String> = [
            ("metrics.recording.level", "INFO"),
            ("metadata.recovery.strategy", "rebootstrap"),
            ("metrics.context.team", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        validate(&loud, &mut warnings).unwrap();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings
            .iter()
            .any(|w| w.contains("rebootstrap is not implemented")));
        let bad: BTreeMap<String, String> = [("linger.ms".to_owned(), "5".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(
            validate(&bad, &mut warnings).unwrap_err().property,
            "linger.ms"
        );
    }
}
