//! What to run: the groups of scenarios, read with the environment.

use crate::workload::Spec;

pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number")),
        _ => default,
    }
}

pub fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

pub struct Scenario {
    pub group: &'static str,
    pub label: String,
    pub partitions: i32,
    /// Mock only: delay every response by this much.
    pub rtt_ms: Option<u64>,
    /// The spec with client, bootstrap and topic still to fill in.
    pub spec: Spec,
}

impl Scenario {
    /// The clients of `all` that run this scenario on `broker`: java only
    /// in throughput and latency mode with one caller (ProducerPerformance
    /// has one sending thread; memory and baseline are not measured for
    /// it) and in sync mode (the driver's own callers), and on real Kafka
    /// only (kafka-clients 4.4 never gets a record
    /// acknowledged by librdkafka's mock cluster, which it reads as
    /// throttling it, nor by tansu 0.6, which cannot decode its requests:
    /// every batch expires).
    pub fn clients<'a>(&self, all: &'a [String], broker: &str) -> Vec<&'a str> {
        let java = (matches!(
            self.spec.mode.as_str(),
            "throughput" | "callback" | "latency"
        ) && self.spec.threads == 1
            || self.spec.mode == "sync")
            && broker == "kafka";
        all.iter()
            .map(String::as_str)
            .filter(|c| java || *c != "java")
            .collect()
    }
}

fn base(records: u64) -> Spec {
    Spec {
        client: String::new(),
        mode: "throughput".into(),
        bootstrap: String::new(),
        topic: String::new(),
        records,
        size: 100,
        codec: "none".into(),
        threads: 1,
        keyed: false,
        acks: "all".into(),
        idempotence: true,
        linger_ms: 5,
        batch_size: 16384,
        buffer_memory: 32 << 20,
        duration_ms: 0,
    }
}

pub fn scenarios(quick: bool) -> Vec<Scenario> {
    let records = env_u64("BENCH_RECORDS", if quick { 100_000 } else { 1_000_000 });
    let bytes = env_u64("BENCH_BYTES", if quick { 32 << 20 } else { 256 << 20 });
    let for_size = |size: usize| records.min(bytes / size as u64).max(1000);
    let mut v = Vec::new();
    let mut add = |group, label: String, partitions, rtt_ms, spec: Spec| {
        v.push(Scenario {
            group,
            label,
            partitions,
            rtt_ms,
            spec,
        })
    };
    for size in [10, 100, 1000, 10_000] {
        let mut s = base(for_size(size));
        s.size = size;
        add("size", format!("{size} B"), 6, None, s);
    }
    // librdkafka's default batch.size (1000000; batch.num.messages 10000
    // still applies to it) for both clients.
    for size in [10, 100, 1000, 10_000] {
        let mut s = base(for_size(size));
        s.size = size;
        s.batch_size = 1_000_000;
        add("size_1mb", format!("{size} B"), 6, None, s);
    }
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let mut s = base(for_size(100));
        s.codec = codec.into();
        add("codec", codec.to_owned(), 6, None, s);
    }
    // Compression in the callers' threads (ours compresses a batch in the
    // thread that fills it).
    for codec in ["gzip", "zstd"] {
        let mut s = base(for_size(100));
        s.codec = codec.into();
        s.threads = 4;
        add("codec_threads", format!("{codec}, 4 threads"), 6, None, s);
    }
    // The path most users take: a callback per record that records its
    // latency (as ProducerPerformance, which is what java runs anyway, and
    // producer_perf send); rdkafka's delivery report gets the send time as
    // its opaque.
    for size in [10, 100] {
        let mut s = base(for_size(size));
        s.size = size;
        s.mode = "callback".into();
        add(
            "callback",
            format!("{size} B, a callback per record"),
            6,
            None,
            s,
        );
    }
    for (acks, idem) in [("1", false), ("0", false)] {
        let mut s = base(for_size(100));
        s.acks = acks.into();
        s.idempotence = idem;
        add("acks", format!("acks={acks}, idempotence off"), 6, None, s);
    }
    for threads in [2, 4, 8] {
        let mut s = base(for_size(100));
        s.threads = threads;
        add("threads", format!("{threads} threads"), 6, None, s);
    }
    for partitions in [1, 6, 64, 1000] {
        // 1000 partitions with RF 3 on Kafka run at about 1000 records/s
        // for the peers (every record its own batch): a twentieth there.
        let share = if partitions >= 1000 { 20 } else { 4 };
        let mut s = base((for_size(100) / share).max(1000));
        s.keyed = true;
        add(
            "partitions",
            format!("{partitions} partitions, keyed"),
            partitions,
            None,
            s,
        );
    }
    for (linger, n) in [
        (0, if quick { 300 } else { 2000 }),
        (5, if quick { 100 } else { 300 }),
    ] {
        let mut s = base(n);
        s.mode = "latency".into();
        s.linger_ms = linger;
        add("latency", format!("linger.ms={linger}"), 6, None, s);
    }
    // Synchronous callers: every caller thread sends a record and waits
    // for its acknowledgement, then the next (`sync_wait.rs`); the same
    // number of records per caller, so a run lasts about as many linger
    // periods whatever the thread count.
    let per_caller = env_u64("BENCH_SYNC_RECORDS", if quick { 100 } else { 500 });
    for threads in [1, 8, 64, 256] {
        let mut s = base(per_caller * threads as u64);
        s.mode = "sync".into();
        s.threads = threads;
        let label = match threads {
            1 => "1 thread".to_owned(),
            n => format!("{n} threads"),
        };
        add("sync_threads", label, 6, None, s);
    }
    let secs = if quick { 1500 } else { 3000 };
    let mut s = base(1);
    s.mode = "baseline".into();
    add("memory", "baseline: 1 record".into(), 6, None, s);
    for (mib, size, rtt) in [
        (4, 1000, Some(100)),
        (32, 1000, Some(100)),
        // Records larger than batch.size: a batch each.
        (4, 100_000, Some(100)),
        (4, 100_000, None),
        (4, 10_000, None),
    ] {
        let mut s = base(0);
        s.mode = "memory".into();
        s.size = size;
        s.threads = 8;
        s.buffer_memory = mib << 20;
        s.duration_ms = secs;
        let label = match rtt {
            Some(r) => {
                format!("buffer.memory={mib} MiB, 8 callers, {size} B, broker RTT +{r} ms")
            }
            None => format!("buffer.memory={mib} MiB, 8 callers, {size} B"),
        };
        add("memory", label, 6, rtt, s);
    }
    v
}
