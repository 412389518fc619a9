//! A Java producer's properties file, as it is: every non-security property
//! of Kafka 4.x `ProducerConfig` is accepted, the honoured ones change the
//! configuration, the others warn.

use super::*;
use crate::partitioner::{DefaultPartitioner, Partitioner, RecordView, TopicPartitions};

/// A Kafka 4.x producer's properties file with every non-security property
/// of `ProducerConfig` (and `auto.include.jmx.reporter` of 3.x) set to a
/// typical value. `key.serializer` / `value.serializer` are left out: they
/// are errors (serializers are Rust types).
const JAVA_PRODUCER_PROPERTIES: &str = r"
# Kafka 4.x producer, as a Java application would configure it.
bootstrap.servers=kafka-1:9092,kafka-2:9092,kafka-3:9092
client.id=orders-producer
client.dns.lookup=use_all_dns_ips
acks=all
enable.idempotence=true
retries=2147483647
retry.backoff.ms=100
retry.backoff.max.ms=1000
delivery.timeout.ms=120000
request.timeout.ms=30000
linger.ms=20
batch.size=65536
buffer.memory=67108864
max.block.ms=60000
max.request.size=1048576
max.in.flight.requests.per.connection=5
compression.type=zstd
compression.gzip.level=6
compression.lz4.level=9
compression.zstd.level=7
partitioner.class=
partitioner.adaptive.partitioning.enable=true
partitioner.availability.timeout.ms=0
partitioner.ignore.keys=false
send.buffer.bytes=131072
receive.buffer.bytes=32768
reconnect.backoff.ms=50
reconnect.backoff.max.ms=1000
socket.connection.setup.timeout.ms=10000
socket.connection.setup.timeout.max.ms=30000
connections.max.idle.ms=540000
metadata.max.age.ms=300000
metadata.max.idle.ms=300000
metadata.recovery.strategy=rebootstrap
metadata.recovery.rebootstrap.trigger.ms=300000
metrics.sample.window.ms=30000
metrics.num.samples=2
metrics.recording.level=INFO
metric.reporters=org.apache.kafka.common.metrics.JmxReporter
enable.metrics.push=true
auto.include.jmx.reporter=false
interceptor.classes=
transactional.id=orders-tx-1
transaction.timeout.ms=60000
transaction.two.phase.commit.enable=false
config.providers=
security.protocol=PLAINTEXT
";

/// Every property name of Kafka 4.x `ProducerConfig` outside `ssl.*`,
/// `sasl.*` and `security.providers`.
const JAVA_NON_SECURITY_NAMES: &[&str] = &[
    "bootstrap.servers",
    "client.dns.lookup",
    "buffer.memory",
    "retries",
    "acks",
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "batch.size",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.ignore.keys",
    "linger.ms",
    "delivery.timeout.ms",
    "client.id",
    "send.buffer.bytes",
    "receive.buffer.bytes",
    "max.request.size",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "enable.metrics.push",
    "max.block.ms",
    "request.timeout.ms",
    "metadata.max.age.ms",
    "metadata.max.idle.ms",
    "metrics.sample.window.ms",
    "metrics.num.samples",
    "metrics.recording.level",
    "metric.reporters",
    "max.in.flight.requests.per.connection",
    "key.serializer",
    "value.serializer",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "connections.max.idle.ms",
    "partitioner.class",
    "interceptor.classes",
    "security.protocol",
    "enable.idempotence",
    "transaction.timeout.ms",
    "transactional.id",
    "transaction.two.phase.commit.enable",
    "metadata.recovery.strategy",
    "metadata.recovery.rebootstrap.trigger.ms",
    "config.providers",
];

/// `name=value` lines of a properties file (no continuation lines or
/// escapes: the file above has none).
fn parse_properties(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('=').expect("name=value"))
        .collect()
}

fn build_warn(b: ProducerConfigBuilder) -> (Result<ProducerConfig, ConfigError>, Vec<String>) {
    let mut warnings = Vec::new();
    let r = b.build_with_warnings(&mut warnings);
    (r, warnings)
}

fn base() -> ProducerConfigBuilder {
    ProducerConfig::builder().bootstrap_servers("localhost:9092")
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_full_java_4_producer_properties_file_is_accepted() {
    // A build without zstd (`--no-default-features`) cannot take
    // `compression.type=zstd`; its level is still checked and kept.
    let zstd = Compression::Zstd.is_available();
    let file = if zstd {
        JAVA_PRODUCER_PROPERTIES.to_owned()
    } else {
        JAVA_PRODUCER_PROPERTIES.replace("compression.type=zstd", "compression.type=snappy")
    };
    let props = parse_properties(&file);
    // The file has every non-security Java producer property but the serializers.
    for name in JAVA_NON_SECURITY_NAMES {
        let serializer = name.ends_with(".serializer");
        assert_eq!(
            props.iter().any(|(n, _)| n == name),
            !serializer,
            "{name} in the file"
        );
    }
    assert!(props
        .iter()
        .all(|(n, _)| JAVA_NON_SECURITY_NAMES.contains(n) || *n == "auto.include.jmx.reporter"));

    let config =
        ProducerConfig::from_properties(props.iter().copied()).unwrap_or_else(|e| panic!("{e}"));
    let mut builder = ProducerConfig::builder();
    for (name, value) in &props {
        builder.try_set(name, value).unwrap();
    }
    let (built, warnings) = build_warn(builder);
    let built = built.unwrap();
    assert_eq!(built, config);

    // Honoured ones are in force.
    assert_eq!(config.compression_zstd_level, 7);
    if zstd {
        assert_eq!(config.compression, Compression::Zstd);
        assert_eq!(config.compression_level(), Some(7));
    } else {
        assert_eq!(config.compression, Compression::Snappy);
    }
    assert_eq!(config.compression_gzip_level, 6);
    assert_eq!(config.linger, ms(20));
    assert_eq!(config.connections_max_idle, Some(ms(540_000)));
    assert_eq!(config.socket_connection_setup_timeout, ms(10_000));
    assert_eq!(config.socket_connection_setup_timeout_max, ms(30_000));
    assert!(!config.partitioner_ignore_keys);
    assert_eq!(config.transactional_id.as_deref(), Some("orders-tx-1"));

    // The others are kept as given and warn where they ask for something
    // this producer does not do.
    assert_eq!(
        config.ignored_properties["metric.reporters"],
        "org.apache.kafka.common.metrics.JmxReporter"
    );
    assert_eq!(config.ignored_properties["interceptor.classes"], "");
    let warned: Vec<&str> = warnings
        .iter()
        .map(|w| w.split('=').next().unwrap())
        .collect();
    assert_eq!(
        warned,
        [
            "enable.metrics.push",
            "metadata.recovery.rebootstrap.trigger.ms",
            "metadata.recovery.strategy",
            "metric.reporters",
            "metrics.recording.level",
        ],
        "{warnings:#?}"
    );
    for w in &warnings {
        assert!(w.contains("has no effect: "), "{w}");
    }
    assert!(warnings.iter().any(|w| w.contains("Producer::metrics()")));

    // And it all comes back out.
    let again = ProducerConfig::from_properties(&config.to_properties()).unwrap();
    assert_eq!(again, config);
    assert_eq!(again.to_properties()["metrics.recording.level"], "INFO");

    // The serializers stay errors that explain why.
    for name in ["key.serializer", "value.serializer"] {
        let e = ProducerConfig::from_properties(props.iter().copied().chain([(
            name,
            "org.apache.kafka.common.serialization.StringSerializer",
        )]))
        .unwrap_err();
        assert_eq!(e.property, name);
        assert!(e.message.contains("chosen by type"), "{e}");
    }
}

#[test]
fn quiet_values_of_ignored_properties_do_not_warn() {
    let (c, warnings) = build_warn(
        base()
            .set("interceptor.classes", "")
            .set("metric.reporters", " ")
            .set("enable.metrics.push", "false")
            .set("auto.include.jmx.reporter", "FALSE")
            .set("metadata.recovery.strategy", "NONE")
            .set("transaction.two.phase.commit.enable", "false")
            .set("config.providers", ""),
    );
    let c = c.unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.ignored_properties.len(), 7);
    assert_eq!(c.ignored_properties["metadata.recovery.strategy"], "none");

    for (name, value, says) in [
        (
            "interceptor.classes",
            "com.example.Audit",
            "ProducerBuilder::interceptor",
        ),
        (
            "metric.reporters",
            "com.example.Prometheus",
            "Producer::metrics()",
        ),
        ("auto.include.jmx.reporter", "true", "no JMX"),
        (
            "metadata.recovery.strategy",
            "rebootstrap",
            "rebootstrap is not implemented",
        ),
        ("transaction.two.phase.commit.enable", "true", "KIP-939"),
        ("config.providers", "file", "placeholders"),
        (
            "config.providers.file.class",
            "x.FileConfigProvider",
            "placeholders",
        ),
        ("metrics.context.team", "payments", "not used"),
    ] {
        let (c, warnings) = build_warn(base().set(name, value));
        assert!(c.is_ok(), "{name}");
        assert_eq!(warnings.len(), 1, "{name}: {warnings:?}");
        assert!(warnings[0].starts_with(&format!("{name}={value} has no effect")));
        assert!(warnings[0].contains(says), "{warnings:?}");
    }
    // A provider's parameter may be a credential: its value is not shown.
    let name = "config.providers.vault.param.token";
    let (c, warnings) = build_warn(base().set(name, "s3cr3t-token"));
    assert!(c.is_ok());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with(&format!("{name}=(hidden) has no effect")));
    assert!(!warnings[0].contains("s3cr3t"), "{warnings:?}");
}

#[test]
fn hand_built_ignored_properties_are_checked() {
    let mut c = ProducerConfig {
        bootstrap_servers: vec!["localhost:9092".into()],
        ..ProducerConfig::default()
    };
    c.ignored_properties
        .insert("metrics.recording.level".into(), "INFO".into());
    c.validate().unwrap();
    c.ignored_properties
        .insert("metrics.recording.level".into(), "LOUD".into());
    assert_eq!(
        c.validate().unwrap_err().property,
        "metrics.recording.level"
    );
    c.ignored_properties.remove("metrics.recording.level");
    c.ignored_properties.insert("linger.ms".into(), "5".into());
    let e = c.validate().unwrap_err();
    assert_eq!(e.property, "linger.ms");
    assert!(e.message.contains("ignored_properties"), "{e}");
}

#[test]
fn compression_levels_are_checked_for_every_codec_and_given_to_the_chosen_one() {
    // Checked whichever codec is chosen, as in Java.
    for (b, property) in [
        (base().compression_gzip_level(0), "compression.gzip.level"),
        (base().compression_lz4_level(18), "compression.lz4.level"),
        (base().compression_zstd_level(23), "compression.zstd.level"),
    ] {
        let e = b.compression(Compression::Snappy).build().unwrap_err();
        assert_eq!(e.property, property, "{e}");
    }
    let levels = base()
        .compression_gzip_level(1)
        .compression_lz4_level(4)
        .compression_zstd_level(-7);
    let level_of = |codec| {
        let b = levels.clone().compression(codec);
        b.build().map(|c| c.compression_level())
    };
    for (codec, level) in [
        (Compression::None, None),
        (Compression::Snappy, None),
        (Compression::Gzip, Some(1)),
        (Compression::Lz4, Some(4)),
        (Compression::Zstd, Some(-7)),
    ] {
        if codec.is_available() {
            assert_eq!(level_of(codec).unwrap(), level, "{codec}");
        }
    }
    // The level the configuration gives is the codec's own.
    #[cfg(feature = "gzip")]
    {
        use crate::record_batch::compress_into_level;
        let input: Vec<u8> = (0..100_000u32)
            .map(|i| b"kafka-sync compresses "[(i % 22) as usize] ^ (i % 7 == 0) as u8)
            .collect();
        let size = |level: i32| {
            let c = base()
                .compression(Compression::Gzip)
                .compression_gzip_level(level)
                .build()
                .unwrap();
            let mut out = Vec::new();
            let level = c.compression_level().unwrap();
            compress_into_level(c.compression, level, &input, &mut out).unwrap();
            out.len()
        };
        assert!(size(1) > size(9), "{} vs {}", size(1), size(9));
    }
}

#[test]
fn connection_setup_timeouts_are_checked() {
    let e = base()
        .socket_connection_setup_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(e.property, "socket.connection.setup.timeout.ms");
    let e = base()
        .socket_connection_setup_timeout_max(Duration::from_micros(900))
        .build()
        .unwrap_err();
    assert_eq!(e.property, "socket.connection.setup.timeout.max.ms");
    // A maximum below the first value: a constant deadline, with a warning
    // (as the Java client).
    let (c, warnings) = build_warn(
        base()
            .socket_connection_setup_timeout(ms(20_000))
            .socket_connection_setup_timeout_max(ms(15_000)),
    );
    assert!(c.is_ok());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("constant connection setup timeout of 15000 ms"));
    let (_, warnings) = build_warn(
        base()
            .socket_connection_setup_timeout(ms(5000))
            .socket_connection_setup_timeout_max(ms(5000)),
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn partitioner_ignore_keys_spreads_keyed_records_like_null_keys() {
    let config = ProducerConfig::from_properties([
        ("bootstrap.servers", "localhost:9092"),
        ("batch.size", "1"),
        ("partitioner.ignore.keys", "true"),
    ])
    .unwrap();
    let partitioner = DefaultPartitioner::new(&config);
    let all = TopicPartitions {
        count: 12,
        available: &[],
    };
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let record = RecordView {
            topic: "t",
            key: Some(&b"always-the-same-key"[..]),
            value: Some(&b"v"[..]),
        };
        seen.insert(partitioner.partition(&record, &all).unwrap());
    }
    assert_eq!(seen.len(), 12, "one key over every partition: {seen:?}");
    // Without it, the key decides.
    let config = ProducerConfig {
        partitioner_ignore_keys: false,
        ..config
    };
    let partitioner = DefaultPartitioner::new(&config);
    let record = RecordView {
        topic: "t",
        key: Some(&b"always-the-same-key"[..]),
        value: None,
    };
    let first = partitioner.partition(&record, &all).unwrap();
    assert!((0..100).all(|_| partitioner.partition(&record, &all).unwrap() == first));
}
