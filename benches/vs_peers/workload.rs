//! What one run does: the spec a child gets on its command line, what it
//! reports, and the records it sends.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// One run of one client, passed to the child as `key=value` arguments.
#[derive(Debug, Clone)]
pub struct Spec {
    pub client: String,
    /// `throughput`, `callback` (a completion per record), `latency` (one
    /// synchronous caller), `sync` (`threads` synchronous callers),
    /// `memory` (callers overrun the buffer for `duration_ms`), `baseline`
    /// (one record).
    pub mode: String,
    pub bootstrap: String,
    pub topic: String,
    pub records: u64,
    pub size: usize,
    pub codec: String,
    pub threads: usize,
    pub keyed: bool,
    pub acks: String,
    pub idempotence: bool,
    pub linger_ms: u64,
    pub batch_size: usize,
    pub buffer_memory: usize,
    pub duration_ms: u64,
}

impl Spec {
    pub fn to_args(&self) -> Vec<String> {
        vec![
            format!("client={}", self.client),
            format!("mode={}", self.mode),
            format!("bootstrap={}", self.bootstrap),
            format!("topic={}", self.topic),
            format!("records={}", self.records),
            format!("size={}", self.size),
            format!("codec={}", self.codec),
            format!("threads={}", self.threads),
            format!("keyed={}", self.keyed),
            format!("acks={}", self.acks),
            format!("idempotence={}", self.idempotence),
            format!("linger_ms={}", self.linger_ms),
            format!("batch_size={}", self.batch_size),
            format!("buffer_memory={}", self.buffer_memory),
            format!("duration_ms={}", self.duration_ms),
        ]
    }

    pub fn from_args(args: &[String]) -> Spec {
        let m: BTreeMap<&str, &str> = args
            .iter()
            .map(|a| a.split_once('=').expect("key=value"))
            .collect();
        let get = |k: &str| -> &str { m.get(k).copied().unwrap_or_else(|| panic!("missing {k}")) };
        Spec {
            client: get("client").to_owned(),
            mode: get("mode").to_owned(),
            bootstrap: get("bootstrap").to_owned(),
            topic: get("topic").to_owned(),
            records: get("records").parse().unwrap(),
            size: get("size").parse().unwrap(),
            codec: get("codec").to_owned(),
            threads: get("threads").parse().unwrap(),
            keyed: get("keyed").parse().unwrap(),
            acks: get("acks").to_owned(),
            idempotence: get("idempotence").parse().unwrap(),
            linger_ms: get("linger_ms").parse().unwrap(),
            batch_size: get("batch_size").parse().unwrap(),
            buffer_memory: get("buffer_memory").parse().unwrap(),
            duration_ms: get("duration_ms").parse().unwrap(),
        }
    }
}

/// What a child reports: `key=value` pairs.
pub type Report = Vec<(&'static str, String)>;

/// About 1 MiB of distinct log-like values of `size` bytes, one after
/// another, leaked so both clients can borrow them for `'static`.
pub struct Payloads {
    pub buf: &'static [u8],
    pub size: usize,
    pub count: usize,
    pub keys: &'static [[u8; 10]],
}

impl Payloads {
    pub fn new(size: usize) -> Payloads {
        const WORDS: [&str; 16] = [
            "user", "order", "id", "status", "ok", "error", "timeout", "price", "eur", "item",
            "created", "updated", "\"", ":", ",", "{",
        ];
        let mut x = 0x853c_49e6_748f_ea9bu64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let count = ((1 << 20) / size.max(1)).clamp(16, 100_000);
        let mut buf = Vec::with_capacity(count * size);
        for _ in 0..count {
            let start = buf.len();
            while buf.len() - start < size {
                if next() % 3 == 0 {
                    buf.extend(format!("{}", next() % 100_000).bytes());
                } else {
                    buf.extend(WORDS[(next() % 16) as usize].bytes());
                }
            }
            buf.truncate(start + size);
        }
        let keys: Vec<[u8; 10]> = (0..10_000u32)
            .map(|i| {
                let mut k = *b"key-000000";
                k[4..].copy_from_slice(
                    format!("{:06}", i.wrapping_mul(2_654_435_761) % 1_000_000).as_bytes(),
                );
                k
            })
            .collect();
        Payloads {
            buf: Box::leak(buf.into_boxed_slice()),
            size,
            count,
            keys: Box::leak(keys.into_boxed_slice()),
        }
    }

    pub fn value(&self, i: u64) -> &'static [u8] {
        let at = (i as usize % self.count) * self.size;
        &self.buf[at..at + self.size]
    }

    pub fn key(&self, i: u64) -> &'static [u8] {
        &self.keys[(i.wrapping_mul(7919) % self.keys.len() as u64) as usize]
    }
}

/// Throughput mode: `spec.threads` callers hand records `0..spec.records`
/// to `send` (caller `t` the indices `t, t + threads, ...`, so every caller
/// cycles through the pool); returns when all are handed over.
pub fn send_all(spec: &Spec, send: impl Fn(u64) + Sync) {
    let send = &send;
    std::thread::scope(|s| {
        for t in 0..spec.threads {
            s.spawn(move || {
                (t as u64..spec.records)
                    .step_by(spec.threads)
                    .for_each(send)
            });
        }
    });
}

/// Memory mode: `spec.threads` callers hand records to `send` (given the
/// stop flag) until `spec.duration_ms` passed or `send` returns false;
/// returns how many `send` accepted.
pub fn send_for(spec: &Spec, send: impl Fn(u64, &AtomicBool) -> bool + Sync) -> u64 {
    let (stop, sent, send) = (AtomicBool::new(false), AtomicU64::new(0), &send);
    std::thread::scope(|s| {
        for t in 0..spec.threads {
            let (stop, sent) = (&stop, &sent);
            s.spawn(move || {
                let mut i = t as u64;
                while !stop.load(Relaxed) && send(i, stop) {
                    sent.fetch_add(1, Relaxed);
                    i += spec.threads as u64;
                }
            });
        }
        std::thread::sleep(Duration::from_millis(spec.duration_ms));
        stop.store(true, Relaxed);
    });
    sent.into_inner()
}
