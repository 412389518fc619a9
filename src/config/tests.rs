use super::properties::NAMES;
use super::*;

const BOOT: (&str, &str) = ("bootstrap.servers", "localhost:9092");

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn props(extra: &[(&str, &str)]) -> Result<ProducerConfig, ConfigError> {
    ProducerConfig::from_properties(std::iter::once(BOOT).chain(extra.iter().copied()))
}

fn err(extra: &[(&str, &str)]) -> ConfigError {
    props(extra).expect_err("expected a configuration error")
}

fn base() -> ProducerConfigBuilder {
    ProducerConfig::builder().bootstrap_servers("localhost:9092")
}

fn build_warn(b: ProducerConfigBuilder) -> (Result<ProducerConfig, ConfigError>, Vec<String>) {
    let mut warnings = Vec::new();
    let r = b.build_with_warnings(&mut warnings);
    (r, warnings)
}

#[test]
fn defaults_match_spec_table() {
    let d = ProducerConfig::default();
    assert!(d.bootstrap_servers.is_empty());
    assert_eq!(d.client_id, "");
    assert_eq!(d.acks, Acks::All);
    assert!(d.enable_idempotence);
    assert_eq!(d.max_block, ms(60_000));
    assert_eq!(d.linger, ms(5));
    assert_eq!(d.batch_size, 16_384);
    assert_eq!(d.buffer_memory, 33_554_432);
    assert_eq!(d.compression, Compression::None);
    assert_eq!(d.compression_gzip_level, -1);
    assert_eq!(d.compression_lz4_level, 9);
    assert_eq!(d.compression_zstd_level, 3);
    assert_eq!(d.max_in_flight, 5);
    assert_eq!(d.max_request_size, 1_048_576);
    assert_eq!(d.request_timeout, ms(30_000));
    assert_eq!(d.delivery_timeout, ms(120_000));
    assert_eq!(d.retries, 2_147_483_647);
    assert_eq!(d.retry_backoff, ms(100));
    assert_eq!(d.retry_backoff_max, ms(1000));
    assert_eq!(d.reconnect_backoff, ms(50));
    assert_eq!(d.reconnect_backoff_max, ms(1000));
    assert_eq!(d.metadata_max_age, ms(300_000));
    assert_eq!(d.metadata_max_idle, ms(300_000));
    assert_eq!(d.send_buffer_bytes, Some(131_072));
    assert_eq!(d.receive_buffer_bytes, Some(32_768));
    assert_eq!(d.connections_max_idle, Some(ms(540_000)));
    assert_eq!(d.socket_connection_setup_timeout, ms(10_000));
    assert_eq!(d.socket_connection_setup_timeout_max, ms(30_000));
    assert_eq!(d.partitioner, PartitionerChoice::Default);
    assert!(!d.partitioner_ignore_keys);
    assert_eq!(d.transactional_id, None);
    assert_eq!(d.transaction_timeout, ms(60_000));
    assert_eq!(d.security_protocol, SecurityProtocol::Plaintext);
    assert_eq!(d.client_dns_lookup, ClientDnsLookup::UseAllDnsIps);
    assert!(d.custom.is_empty());
    assert!(d.ignored_properties.is_empty());
}

#[test]
fn built_defaults_are_the_default_values() {
    let (c, warnings) = build_warn(base());
    let c = c.unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let expected = ProducerConfig {
        bootstrap_servers: vec!["localhost:9092".into()],
        client_id: c.client_id.clone(),
        ..ProducerConfig::default()
    };
    assert_eq!(c, expected);
    assert!(c.validate().is_ok());
}

#[test]
fn client_id_is_generated_when_empty() {
    let a = base().build().unwrap().client_id;
    let b = base().client_id("").build().unwrap().client_id;
    for id in [&a, &b] {
        let n = id.strip_prefix("producer-").expect(id);
        n.parse::<usize>().expect(id);
    }
    assert_ne!(a, b, "each producer gets its own number");
    assert_eq!(base().client_id("mine").build().unwrap().client_id, "mine");
    let txn = base().transactional_id("orders").build().unwrap();
    assert_eq!(txn.client_id, "producer-orders");
}

/// Every property of the table, with a value and what it must produce.
#[test]
fn every_property_parses() {
    type Check = fn(&ProducerConfig) -> bool;
    let table: &[(&str, &str, Check)] = &[
        ("bootstrap.servers", "a:1, b:2,,[::1]:3", |c| {
            c.bootstrap_servers == ["a:1", "b:2", "[::1]:3"]
        }),
        ("client.id", "me", |c| c.client_id == "me"),
        ("acks", "0", |c| c.acks == Acks::None),
        ("acks", "1", |c| c.acks == Acks::Leader),
        ("acks", "all", |c| c.acks == Acks::All),
        ("acks", "ALL", |c| c.acks == Acks::All),
        ("acks", "-1", |c| c.acks == Acks::All),
        ("enable.idempotence", "false", |c| !c.enable_idempotence),
        ("enable.idempotence", "FALSE", |c| !c.enable_idempotence),
        ("enable.idempotence", "True", |c| c.enable_idempotence),
        ("max.block.ms", "1234", |c| c.max_block == ms(1234)),
        ("linger.ms", "0", |c| c.linger == ms(0)),
        ("linger.ms", " 10 ", |c| c.linger == ms(10)),
        ("batch.size", "1000", |c| c.batch_size == 1000),
        ("buffer.memory", "2000000", |c| c.buffer_memory == 2_000_000),
        ("compression.type", "none", |c| {
            c.compression == Compression::None
        }),
        ("compression.type", "Snappy", |c| {
            c.compression == Compression::Snappy
        }),
        ("compression.gzip.level", "9", |c| {
            c.compression_gzip_level == 9
        }),
        ("compression.gzip.level", "-1", |c| {
            c.compression_gzip_level == -1
        }),
        ("compression.lz4.level", "+17", |c| {
            c.compression_lz4_level == 17
        }),
        ("compression.zstd.level", "-131072", |c| {
            c.compression_zstd_level == -131_072
        }),
        ("compression.zstd.level", "22", |c| {
            c.compression_zstd_level == 22
        }),
        ("max.in.flight.requests.per.connection", "3", |c| {
            c.max_in_flight == 3
        }),
        ("max.request.size", "2048", |c| c.max_request_size == 2048),
        ("request.timeout.ms", "1000", |c| {
            c.request_timeout == ms(1000)
        }),
        ("delivery.timeout.ms", "200000", |c| {
            c.delivery_timeout == ms(200_000)
        }),
        ("retries", "3", |c| c.retries == 3),
        ("retries", "+7", |c| c.retries == 7),
        ("retry.backoff.ms", "10", |c| c.retry_backoff == ms(10)),
        ("retry.backoff.max.ms", "20", |c| {
            c.retry_backoff_max == ms(20)
        }),
        ("reconnect.backoff.ms", "5", |c| {
            c.reconnect_backoff == ms(5)
        }),
        ("reconnect.backoff.max.ms", "500", |c| {
            c.reconnect_backoff_max == ms(500)
        }),
        ("metadata.max.age.ms", "1000", |c| {
            c.metadata_max_age == ms(1000)
        }),
        ("metadata.max.idle.ms", "5000", |c| {
            c.metadata_max_idle == ms(5000)
        }),
        ("metrics.sample.window.ms", "1000", |c| {
            c.metrics_sample_window == ms(1000)
        }),
        ("metrics.num.samples", "+3", |c| c.metrics_num_samples == 3),
        ("send.buffer.bytes", "-1", |c| c.send_buffer_bytes.is_none()),
        ("send.buffer.bytes", "65536", |c| {
            c.send_buffer_bytes == Some(65536)
        }),
        ("receive.buffer.bytes", "-1", |c| {
            c.receive_buffer_bytes.is_none()
        }),
        ("receive.buffer.bytes", "0", |c| {
            c.receive_buffer_bytes == Some(0)
        }),
        ("connections.max.idle.ms", "60000", |c| {
            c.connections_max_idle == Some(ms(60_000))
        }),
        ("connections.max.idle.ms", "0", |c| {
            c.connections_max_idle == Some(ms(0))
        }),
        ("connections.max.idle.ms", "-1", |c| {
            c.connections_max_idle.is_none()
        }),
        ("connections.max.idle.ms", "-5", |c| {
            c.connections_max_idle.is_none()
        }),
        ("socket.connection.setup.timeout.ms", "2000", |c| {
            c.socket_connection_setup_timeout == ms(2000)
        }),
        ("socket.connection.setup.timeout.max.ms", "60000", |c| {
            c.socket_connection_setup_timeout_max == ms(60_000)
        }),
        ("partitioner.ignore.keys", "TRUE", |c| {
            c.partitioner_ignore_keys
        }),
        ("partitioner.ignore.keys", "false", |c| {
            !c.partitioner_ignore_keys
        }),
        ("wait.sends.batch", "false", |c| !c.wait_sends_batch),
        ("partitioner.adaptive.partitioning.enable", "false", |c| {
            !c.partitioner_adaptive
        }),
        ("partitioner.availability.timeout.ms", "250", |c| {
            c.partitioner_availability_timeout == ms(250)
        }),
        ("partitioner.class", "default", |c| {
            c.partitioner == PartitionerChoice::Default
        }),
        ("partitioner.class", "round_robin", |c| {
            c.partitioner == PartitionerChoice::RoundRobin
        }),
        ("partitioner.class", "Round_Robin", |c| {
            c.partitioner == PartitionerChoice::RoundRobin
        }),
        (
            "partitioner.class",
            "org.apache.kafka.clients.producer.RoundRobinPartitioner",
            |c| c.partitioner == PartitionerChoice::RoundRobin,
        ),
        (
            "partitioner.class",
            "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
            |c| c.partitioner == PartitionerChoice::Default,
        ),
        ("partitioner.class", "", |c| {
            c.partitioner == PartitionerChoice::Default
        }),
        ("transactional.id", "txn-1", |c| {
            c.transactional_id.as_deref() == Some("txn-1") && c.enable_idempotence
        }),
        ("transaction.timeout.ms", "30000", |c| {
            c.transaction_timeout == ms(30_000)
        }),
        ("security.protocol", "plaintext", |c| {
            c.security_protocol == SecurityProtocol::Plaintext
        }),
        ("client.dns.lookup", "use_all_dns_ips", |c| {
            c.client_dns_lookup == ClientDnsLookup::UseAllDnsIps
        }),
        (
            "client.dns.lookup",
            " Resolve_Canonical_Bootstrap_Servers_Only ",
            |c| c.client_dns_lookup == ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
        ),
        ("custom.specialKey", " vip ", |c| {
            c.custom.get("custom.specialKey").map(String::as_str) == Some("vip")
        }),
    ];
    for (name, value, check) in table {
        let c = props(&[(name, value)]).unwrap_or_else(|e| panic!("{name}={value}: {e}"));
        assert!(check(&c), "{name}={value:?} gave {c:#?}");
        // The builder's `set` gives the same result.
        let b = base().set(name, value).build().unwrap();
        assert_eq!(
            ProducerConfig {
                client_id: c.client_id.clone(),
                ..b
            },
            c
        );
    }
    for name in NAMES {
        assert!(
            table.iter().any(|(n, _, _)| n == name),
            "{name} is not covered by the table"
        );
    }
}

#[test]
fn every_available_codec_parses() {
    for codec in Compression::ALL {
        for name in [codec.name().to_owned(), codec.name().to_uppercase()] {
            let r = props(&[("compression.type", &name)]);
            if codec.is_available() {
                assert_eq!(r.unwrap().compression, codec);
            } else {
                let e = r.unwrap_err();
                assert_eq!(e.property, "compression.type");
                assert!(e.message.contains("cargo feature"), "{e}");
            }
        }
    }
}

#[test]
fn unavailable_codec_is_refused_by_the_builder_too() {
    for codec in Compression::ALL.into_iter().filter(|c| !c.is_available()) {
        let e = base().compression(codec).build().unwrap_err();
        assert_eq!(e.property, "compression.type");
        assert!(e.message.contains("cargo feature"), "{e}");
        assert!(e.message.contains(codec.name()), "{e}");
    }
}

#[test]
fn last_value_wins() {
    let c = props(&[("linger.ms", "1"), ("linger.ms", "2")]).unwrap();
    assert_eq!(c.linger, ms(2));
}

#[test]
fn unknown_property_is_an_error() {
    let e = err(&[("no.such.property", "1")]);
    assert_eq!(e.property, "no.such.property");
    assert!(e.message.contains("unknown property"), "{e}");
    assert!(e.message.contains("custom."), "{e}");

    let e = err(&[("linger_ms", "1")]);
    assert_eq!(e.property, "linger_ms");
    assert!(e.message.contains("did you mean `linger.ms`"), "{e}");

    // Names of no Java producer property, and empty families.
    for name in [
        "custom.",
        "metrics.context.",
        "config.providers.",
        "partitioner.ignore.key",
    ] {
        let e = err(&[(name, "1")]);
        assert_eq!(e.property, name);
        assert!(e.message.contains("unknown property"), "{e}");
    }
    // Misspelled accepted-but-unused names get a hint too.
    let e = err(&[("metrics.num.sample", "2")]);
    assert!(
        e.message.contains("did you mean `metrics.num.samples`"),
        "{e}"
    );
    // Names are case-sensitive, as in Java.
    assert!(err(&[("Linger.ms", "1")]).message.contains("unknown"));
}

#[test]
fn serializer_properties_explain_rust_types() {
    for name in ["key.serializer", "value.serializer"] {
        let e = err(&[(
            name,
            "org.apache.kafka.common.serialization.StringSerializer",
        )]);
        assert_eq!(e.property, name);
        assert!(e.message.contains("chosen by type"), "{e}");
    }
}

#[test]
fn bad_values_name_the_property_and_what_was_expected() {
    let table: &[(&str, &str, &str)] = &[
        (
            "linger.ms",
            "abc",
            "expected a non-negative integer of milliseconds, got 'abc'",
        ),
        ("linger.ms", "-5", "non-negative integer of milliseconds"),
        ("max.block.ms", "", "non-negative integer of milliseconds"),
        ("request.timeout.ms", "1.5", "got '1.5'"),
        (
            "batch.size",
            "16k",
            "non-negative integer of bytes, got '16k'",
        ),
        (
            "buffer.memory",
            "99999999999999999999999",
            "integer of bytes",
        ),
        ("retries", "-1", "non-negative integer"),
        ("retries", "99999999999", "non-negative integer"),
        ("max.in.flight.requests.per.connection", "many", "integer"),
        ("acks", "2", "expected 0, 1, all or -1, got '2'"),
        (
            "enable.idempotence",
            "yes",
            "expected true or false, got 'yes'",
        ),
        ("compression.type", "brotli", "expected none, gzip, snappy"),
        ("send.buffer.bytes", "-2", "-1 (OS default)"),
        ("receive.buffer.bytes", "big", "-1 (OS default)"),
        (
            "partitioner.class",
            "com.example.MyPartitioner",
            "plugged in code",
        ),
        ("transactional.id", "  ", "must not be empty"),
        ("security.protocol", "", "expected PLAINTEXT"),
        (
            "client.dns.lookup",
            "default",
            "expected use_all_dns_ips or resolve_canonical_bootstrap_servers_only, got 'default'",
        ),
        ("client.dns.lookup", "", "expected use_all_dns_ips"),
        ("compression.gzip.level", "0", "between 1 and 9 (or -1"),
        ("compression.gzip.level", "10", "got 10"),
        ("compression.gzip.level", "six", "integer compression level"),
        ("compression.gzip.level", "1.5", "integer compression level"),
        ("compression.lz4.level", "0", "between 1 and 17, got 0"),
        ("compression.lz4.level", "18", "between 1 and 17"),
        (
            "compression.zstd.level",
            "23",
            "between -131072 and 22, got 23",
        ),
        (
            "compression.zstd.level",
            "-131073",
            "between -131072 and 22",
        ),
        (
            "compression.zstd.level",
            "3000000000",
            "integer compression level",
        ),
        (
            "connections.max.idle.ms",
            "9m",
            "an integer of milliseconds",
        ),
        ("connections.max.idle.ms", "", "an integer of milliseconds"),
        (
            "socket.connection.setup.timeout.ms",
            "-1",
            "non-negative integer",
        ),
        ("socket.connection.setup.timeout.ms", "0", "at least 1 ms"),
        (
            "socket.connection.setup.timeout.max.ms",
            "0",
            "at least 1 ms",
        ),
        ("socket.connection.setup.timeout.max.ms", "30s", "got '30s'"),
        (
            "partitioner.ignore.keys",
            "1",
            "expected true or false, got '1'",
        ),
        (
            "partitioner.adaptive.partitioning.enable",
            "on",
            "true or false",
        ),
        (
            "partitioner.availability.timeout.ms",
            "-1",
            "non-negative integer of milliseconds",
        ),
        (
            "metrics.sample.window.ms",
            "thirty",
            "non-negative integer of milliseconds",
        ),
        (
            "metrics.num.samples",
            "0",
            "an integer from 1 to 2147483647, got '0'",
        ),
        (
            "metrics.recording.level",
            "WARN",
            "expected INFO, DEBUG, TRACE",
        ),
        (
            "metadata.recovery.strategy",
            "retry",
            "expected none, rebootstrap",
        ),
        (
            "metadata.recovery.rebootstrap.trigger.ms",
            "-1",
            "integer from 0",
        ),
        ("enable.metrics.push", "yes", "true or false"),
        ("auto.include.jmx.reporter", "", "true or false"),
        ("transaction.two.phase.commit.enable", "2", "true or false"),
        ("interceptor.classes", "my interceptor", "Java class names"),
        ("metric.reporters", "com.example.", "Java class names"),
        ("config.providers", "file,-x", "Java class names"),
    ];
    for (name, value, expected) in table {
        let e = err(&[(name, value)]);
        assert_eq!(&e.property, name, "{e}");
        assert!(e.message.contains(expected), "{name}={value:?}: {e}");
        assert!(e.to_string().contains(name));
    }
}

#[test]
fn bootstrap_servers_are_required_and_checked() {
    let e = ProducerConfig::builder().build().unwrap_err();
    assert_eq!(e.property, "bootstrap.servers");
    assert!(e.message.contains("required"), "{e}");
    let e = ProducerConfig::from_properties([("bootstrap.servers", " , ")]).unwrap_err();
    assert_eq!(e.property, "bootstrap.servers");

    for bad in [
        "localhost",
        "localhost:",
        ":9092",
        "localhost:0",
        "localhost:65536",
        "localhost:abc",
        "localhost:+1",
        "[::1",
        "[::1]9092",
        "bad host:9092",
        "ok:9092,broken",
    ] {
        let e = ProducerConfig::builder()
            .bootstrap_servers(bad)
            .build()
            .unwrap_err();
        assert_eq!(e.property, "bootstrap.servers", "{bad}");
    }
    let e = base().bootstrap_servers("h:70000").build().unwrap_err();
    assert!(e.message.contains("1 to 65535"), "{e}");

    let c = base()
        .bootstrap_servers(
            "[::1]:9092, ::1:9093,LOCALHOST:09094, 10.0.0.1:1,kafka-0.kafka_svc.local:65535",
        )
        .build()
        .unwrap();
    assert_eq!(
        c.bootstrap_servers,
        [
            "[::1]:9092",
            "[::1]:9093",
            "LOCALHOST:9094",
            "10.0.0.1:1",
            "kafka-0.kafka_svc.local:65535"
        ]
    );
}

#[test]
fn delivery_timeout_explicit_too_small_is_an_error_with_the_numbers() {
    let e = err(&[
        ("linger.ms", "100"),
        ("request.timeout.ms", "1000"),
        ("delivery.timeout.ms", "1099"),
    ]);
    assert_eq!(e.property, "delivery.timeout.ms");
    assert!(e.message.contains("100 + 1000 = 1100"), "{e}");
    assert!(e.message.contains("got 1099"), "{e}");

    let e = base()
        .delivery_timeout(ms(10))
        .build()
        .expect_err("10 ms < 5 + 30000 ms");
    assert_eq!(e.property, "delivery.timeout.ms");

    // Equal is fine.
    let c = props(&[
        ("linger.ms", "100"),
        ("request.timeout.ms", "1000"),
        ("delivery.timeout.ms", "1100"),
    ])
    .unwrap();
    assert_eq!(c.delivery_timeout, ms(1100));
}

#[test]
fn delivery_timeout_default_is_raised_with_a_warning() {
    let (c, warnings) = build_warn(base().request_timeout(ms(150_000)));
    let c = c.unwrap();
    assert_eq!(c.delivery_timeout, ms(150_005));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("delivery.timeout.ms"), "{warnings:?}");
    assert!(c.validate().is_ok());
}

#[test]
fn sizes_and_counts_are_checked() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("batch.size", "0")], "batch.size"),
        (&[("batch.size", "2147483648")], "batch.size"),
        (&[("buffer.memory", "100")], "buffer.memory"),
        (&[("buffer.memory", "0")], "buffer.memory"),
        (&[("max.request.size", "0")], "max.request.size"),
        (
            &[
                ("max.in.flight.requests.per.connection", "0"),
                ("enable.idempotence", "false"),
            ],
            "max.in.flight.requests.per.connection",
        ),
        (&[("retries", "2147483648")], "retries"),
        (
            &[
                ("request.timeout.ms", "2147483648"),
                ("delivery.timeout.ms", "4294967296"),
            ],
            "request.timeout.ms",
        ),
        (
            &[("transaction.timeout.ms", "2147483648")],
            "transaction.timeout.ms",
        ),
        (
            &[("transactional.id", "t"), ("transaction.timeout.ms", "0")],
            "transaction.timeout.ms",
        ),
    ];
    for (extra, property) in cases {
        let e = err(extra);
        assert_eq!(&e.property, property, "{extra:?}: {e}");
    }
    let e = err(&[("buffer.memory", "100")]);
    assert!(e.message.contains("batch.size (16384 bytes)"), "{e}");
    // The bounds themselves are fine.
    props(&[
        ("batch.size", "1"),
        ("buffer.memory", "1"),
        ("max.request.size", "1"),
    ])
    .unwrap();
    props(&[("retries", "2147483647")]).unwrap();
    // Typed setters go through the same checks.
    assert_eq!(
        base().batch_size(0).build().unwrap_err().property,
        "batch.size"
    );
    assert_eq!(
        base().retries(u32::MAX).build().unwrap_err().property,
        "retries"
    );
    assert_eq!(
        base().transactional_id("").build().unwrap_err().property,
        "transactional.id"
    );
}

#[test]
fn explicit_idempotence_conflicts_are_errors_naming_the_property() {
    let cases: &[(&str, &str)] = &[
        ("acks", "1"),
        ("acks", "0"),
        ("retries", "0"),
        ("max.in.flight.requests.per.connection", "6"),
    ];
    for (name, value) in cases {
        let e = err(&[("enable.idempotence", "true"), (name, value)]);
        assert_eq!(&e.property, name, "{e}");
        assert!(e.message.contains("enable.idempotence=true"), "{e}");
        assert!(e.message.contains(&format!("{name}={value}")), "{e}");
    }
    let e = base()
        .enable_idempotence(true)
        .acks(Acks::Leader)
        .build()
        .unwrap_err();
    assert_eq!(e.property, "acks");
    assert!(e.message.contains("acks=all"), "{e}");

    // In range: 1 to 5 requests in flight.
    for n in ["1", "5"] {
        let c = props(&[
            ("enable.idempotence", "true"),
            ("max.in.flight.requests.per.connection", n),
        ])
        .unwrap();
        assert!(c.enable_idempotence);
    }
}

#[test]
fn default_idempotence_is_turned_off_by_a_conflict_with_a_warning() {
    let cases: &[(ProducerConfigBuilder, &str)] = &[
        (base().acks(Acks::Leader), "acks=1"),
        (base().acks(Acks::None), "acks=0"),
        (base().retries(0), "retries=0"),
        (
            base().max_in_flight(10),
            "max.in.flight.requests.per.connection=10",
        ),
    ];
    for (builder, setting) in cases {
        let (c, warnings) = build_warn(builder.clone());
        let c = c.unwrap();
        assert!(!c.enable_idempotence, "{setting}");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains(setting), "{warnings:?}");
        assert!(warnings[0].contains("idempotence"), "{warnings:?}");
        // What is left is a valid configuration, also when checked as explicit.
        c.validate().unwrap();
        // `build` itself (logging the warning) agrees.
        assert_eq!(
            ProducerConfig {
                client_id: c.client_id.clone(),
                ..builder.clone().build().unwrap()
            },
            c
        );
    }
    // Several conflicts: one warning that names them all.
    let (c, warnings) = build_warn(base().acks(Acks::Leader).retries(0));
    assert!(!c.unwrap().enable_idempotence);
    assert!(warnings[0].contains("acks=1") && warnings[0].contains("retries=0"));

    // The same through properties.
    let c = props(&[("acks", "1")]).unwrap();
    assert!(!c.enable_idempotence);
    assert_eq!(c.acks, Acks::Leader);
}

#[test]
fn explicit_false_turns_idempotence_off_quietly() {
    let (c, warnings) = build_warn(base().enable_idempotence(false).acks(Acks::Leader));
    assert!(!c.unwrap().enable_idempotence);
    assert!(warnings.is_empty(), "{warnings:?}");
    let (c, warnings) = build_warn(base().enable_idempotence(false));
    assert!(!c.unwrap().enable_idempotence);
    assert!(warnings.is_empty());
}

#[test]
fn transactions_need_idempotence() {
    // Explicitly off: error.
    let e = err(&[("transactional.id", "t1"), ("enable.idempotence", "false")]);
    assert_eq!(e.property, "transactional.id");
    assert!(e.message.contains("enable.idempotence=false"), "{e}");

    // On by default but a setting conflicts: error naming that setting.
    let e = err(&[("transactional.id", "t1"), ("acks", "1")]);
    assert_eq!(e.property, "acks");
    assert!(e.message.contains("transactional.id"), "{e}");
    let e = base()
        .transactional_id("t1")
        .max_in_flight(6)
        .build()
        .unwrap_err();
    assert_eq!(e.property, "max.in.flight.requests.per.connection");

    // Default and explicit true: fine.
    let c = props(&[("transactional.id", "t1")]).unwrap();
    assert!(c.enable_idempotence);
    let c = props(&[("transactional.id", "t1"), ("enable.idempotence", "true")]).unwrap();
    assert!(c.enable_idempotence);
    assert_eq!(c.transactional_id.as_deref(), Some("t1"));
}

#[test]
fn set_defers_errors_and_try_set_reports_them_at_once() {
    let e = base()
        .set("linger.ms", "later")
        .set("acks", "many")
        .linger(ms(1))
        .build()
        .unwrap_err();
    assert_eq!(e.property, "linger.ms", "the first error wins");

    let mut b = base().linger(ms(7));
    let e = b.try_set("linger.ms", "x").unwrap_err();
    assert_eq!(e.property, "linger.ms");
    b.try_set("batch.size", "100")
        .unwrap()
        .try_set("acks", "1")
        .unwrap();
    let c = b.build().unwrap();
    assert_eq!(c.linger, ms(7), "a failed try_set changes nothing");
    assert_eq!(c.batch_size, 100);
    assert_eq!(c.acks, Acks::Leader);
}

fn everything_builder() -> ProducerConfigBuilder {
    ProducerConfig::builder()
        .bootstrap_servers("k1:9092,k2:9093")
        .client_id("app")
        .acks(Acks::All)
        .enable_idempotence(true)
        .max_block(ms(1000))
        .linger(ms(20))
        .batch_size(32_768)
        .buffer_memory(1 << 26)
        .compression(Compression::Snappy)
        .max_in_flight(3)
        .max_request_size(2 << 20)
        .request_timeout(ms(10_000))
        .delivery_timeout(ms(60_000))
        .retries(10)
        .retry_backoff(ms(50))
        .retry_backoff_max(ms(2000))
        .reconnect_backoff(ms(20))
        .reconnect_backoff_max(ms(5000))
        .metadata_max_age(ms(60_000))
        .metadata_max_idle(ms(120_000))
        .send_buffer_bytes(None)
        .receive_buffer_bytes(Some(65_536))
        .partitioner(PartitionerChoice::RoundRobin)
        .partitioner_ignore_keys(true)
        .compression_gzip_level(9)
        .compression_lz4_level(1)
        .compression_zstd_level(-5)
        .connections_max_idle(None)
        .socket_connection_setup_timeout(ms(3000))
        .socket_connection_setup_timeout_max(ms(20_000))
        .transactional_id("txn")
        .transaction_timeout(ms(90_000))
        .security_protocol(SecurityProtocol::Plaintext)
        .client_dns_lookup(ClientDnsLookup::ResolveCanonicalBootstrapServersOnly)
        .custom("custom.specialKey", "vip")
}

#[test]
fn from_properties_and_builder_agree() {
    let built = everything_builder().build().unwrap();
    let parsed = ProducerConfig::from_properties([
        ("bootstrap.servers", "k1:9092,k2:9093"),
        ("client.id", "app"),
        ("acks", "all"),
        ("enable.idempotence", "true"),
        ("max.block.ms", "1000"),
        ("linger.ms", "20"),
        ("batch.size", "32768"),
        ("buffer.memory", "67108864"),
        ("compression.type", "snappy"),
        ("max.in.flight.requests.per.connection", "3"),
        ("max.request.size", "2097152"),
        ("request.timeout.ms", "10000"),
        ("delivery.timeout.ms", "60000"),
        ("retries", "10"),
        ("retry.backoff.ms", "50"),
        ("retry.backoff.max.ms", "2000"),
        ("reconnect.backoff.ms", "20"),
        ("reconnect.backoff.max.ms", "5000"),
        ("metadata.max.age.ms", "60000"),
        ("metadata.max.idle.ms", "120000"),
        ("send.buffer.bytes", "-1"),
        ("receive.buffer.bytes", "65536"),
        ("partitioner.class", "round_robin"),
        ("partitioner.ignore.keys", "true"),
        ("compression.gzip.level", "9"),
        ("compression.lz4.level", "1"),
        ("compression.zstd.level", "-5"),
        ("connections.max.idle.ms", "-1"),
        ("socket.connection.setup.timeout.ms", "3000"),
        ("socket.connection.setup.timeout.max.ms", "20000"),
        ("transactional.id", "txn"),
        ("transaction.timeout.ms", "90000"),
        ("security.protocol", "PLAINTEXT"),
        (
            "client.dns.lookup",
            "resolve_canonical_bootstrap_servers_only",
        ),
        ("custom.specialKey", "vip"),
    ])
    .unwrap();
    assert_eq!(built, parsed);
    // Owned strings work too.
    let owned: Vec<(String, String)> = parsed.to_properties().into_iter().collect();
    assert_eq!(ProducerConfig::from_properties(owned).unwrap(), built);
}

#[test]
fn to_properties_round_trips() {
    for config in [
        everything_builder().build().unwrap(),
        base().build().unwrap(),
        base().acks(Acks::None).build().unwrap(),
        base().request_timeout(ms(200_000)).build().unwrap(),
        everything_builder()
            .set("interceptor.classes", " a.B, c.D ")
            .set("metrics.recording.level", "debug")
            .set("enable.metrics.push", "TRUE")
            .set("metrics.context.team", "payments")
            .set("metadata.recovery.strategy", "none")
            .build()
            .unwrap(),
    ] {
        let p = config.to_properties();
        for name in p.keys() {
            assert!(
                NAMES.contains(&name.as_str())
                    || security::NAMES.contains(&name.as_str())
                    || ignored::names().any(|n| n == name)
                    || name.starts_with("custom.")
                    || name.starts_with("metrics.context."),
                "{name}"
            );
        }
        assert_eq!(ProducerConfig::from_properties(&p).unwrap(), config);
    }
}

#[test]
fn validate_checks_a_hand_built_config() {
    let mut c = ProducerConfig {
        bootstrap_servers: vec!["localhost:9092".into()],
        ..ProducerConfig::default()
    };
    c.validate().unwrap();
    c.acks = Acks::Leader;
    assert_eq!(c.validate().unwrap_err().property, "acks");
    c.enable_idempotence = false;
    c.validate().unwrap();
    c.delivery_timeout = ms(1);
    assert_eq!(c.validate().unwrap_err().property, "delivery.timeout.ms");
}

#[test]
fn enums_parse_and_display() {
    for a in [Acks::None, Acks::Leader, Acks::All] {
        assert_eq!(a.to_string().parse::<Acks>().unwrap(), a);
    }
    assert_eq!(Acks::All.wire_value(), -1);
    assert_eq!("x".parse::<Acks>().unwrap_err().property, "acks");
    for p in [PartitionerChoice::Default, PartitionerChoice::RoundRobin] {
        assert_eq!(p.to_string().parse::<PartitionerChoice>().unwrap(), p);
    }
    for p in [
        SecurityProtocol::Plaintext,
        SecurityProtocol::Ssl,
        SecurityProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl,
    ] {
        assert_eq!(p.to_string().parse::<SecurityProtocol>().unwrap(), p);
        assert_eq!(p.is_supported(), cfg!(feature = "tls") || !p.uses_tls());
    }
    for l in [
        ClientDnsLookup::UseAllDnsIps,
        ClientDnsLookup::ResolveCanonicalBootstrapServersOnly,
    ] {
        assert_eq!(l.to_string().parse::<ClientDnsLookup>().unwrap(), l);
    }
    let e = "x".parse::<ClientDnsLookup>().unwrap_err();
    assert_eq!(e.property, "client.dns.lookup");
}

#[test]
fn metadata_max_idle_below_five_seconds_names_the_property() {
    let e = err(&[("metadata.max.idle.ms", "4999")]);
    assert_eq!(e.property, "metadata.max.idle.ms");
    assert!(e.message.contains("5000"), "{}", e.message);
    assert!(props(&[("metadata.max.idle.ms", "5000")]).is_ok());
}
