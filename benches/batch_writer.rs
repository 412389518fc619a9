//! Batch writer throughput: append 100-byte records with 10-byte keys into
//! 16 KiB batches and finish them, once per available codec.
//!
//! Run with `cargo bench --bench batch_writer --all-features`. With both
//! `zstd` and `zstd-pure` enabled, libzstd (level 3) is compared with ruzstd
//! (fastest level) on the same records sections.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kafka_sync::record_batch::{read_batches, BatchOptions, BatchWriter, Compression};

const BATCH_SIZE: usize = 16 * 1024;
const RECORDS: usize = 200_000;
const KEY_LEN: usize = 10;
const VALUE_LEN: usize = 100;
const REPS: usize = 3;

/// Log-like values: words from a small vocabulary mixed with random digits,
/// compressible roughly like real JSON or log lines (2–4x).
fn values(n: usize) -> (Vec<[u8; KEY_LEN]>, Vec<Vec<u8>>) {
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
    let mut keys = Vec::with_capacity(n);
    let mut vals = Vec::with_capacity(n);
    for _ in 0..n {
        let mut k = [0u8; KEY_LEN];
        for b in &mut k {
            *b = b'0' + (next() % 10) as u8;
        }
        keys.push(k);
        let mut v = Vec::with_capacity(VALUE_LEN + 16);
        while v.len() < VALUE_LEN {
            let r = next();
            if r % 3 == 0 {
                v.extend_from_slice(format!("{}", r % 100_000).as_bytes());
            } else {
                v.extend_from_slice(WORDS[(r >> 8) as usize % WORDS.len()].as_bytes());
            }
        }
        v.truncate(VALUE_LEN);
        vals.push(v);
    }
    (keys, vals)
}

struct Run {
    elapsed: Duration,
    raw_bytes: usize,
    out_bytes: usize,
    batches: usize,
}

/// Appends every record, finishing a batch whenever the next record would
/// push it past `BATCH_SIZE`; `finish` turns a full writer into bytes.
fn run(
    keys: &[[u8; KEY_LEN]],
    vals: &[Vec<u8>],
    mut finish: impl FnMut(BatchWriter) -> Vec<u8>,
) -> Run {
    let start = Instant::now();
    let (mut raw_bytes, mut out_bytes, mut batches) = (0, 0, 0);
    let mut spare = Vec::with_capacity(BATCH_SIZE);
    let mut w = BatchWriter::from_buffer(std::mem::take(&mut spare));
    let bound = BatchWriter::record_size_upper_bound(KEY_LEN, VALUE_LEN, &[]);
    let mut seal = |w: BatchWriter, spare: &mut Vec<u8>| {
        raw_bytes += w.size_in_bytes();
        let batch = finish(w);
        out_bytes += batch.len();
        batches += 1;
        // A producer recycles the buffer of an acknowledged batch.
        *spare = black_box(batch);
    };
    for i in 0..RECORDS {
        if !w.is_empty() && w.size_in_bytes() + bound > BATCH_SIZE {
            seal(w, &mut spare);
            w = BatchWriter::from_buffer(std::mem::take(&mut spare));
        }
        let j = i % keys.len();
        w.append(
            1_700_000_000_000 + i as i64,
            Some(&keys[j]),
            Some(&vals[j]),
            &[],
        );
    }
    seal(w, &mut spare);
    Run {
        elapsed: start.elapsed(),
        raw_bytes,
        out_bytes,
        batches,
    }
}

fn best(
    keys: &[[u8; KEY_LEN]],
    vals: &[Vec<u8>],
    mut finish: impl FnMut(BatchWriter) -> Vec<u8>,
) -> Run {
    (0..REPS)
        .map(|_| run(keys, vals, &mut finish))
        .min_by_key(|r| r.elapsed)
        .expect("REPS > 0")
}

fn report(name: &str, r: &Run) {
    let secs = r.elapsed.as_secs_f64();
    println!(
        "{name:<14} {:>12.0} rec/s {:>9.1} MB/s  {:>6} batches  ratio {:.3}  ({:.1} ms)",
        RECORDS as f64 / secs,
        r.raw_bytes as f64 / secs / 1e6,
        r.batches,
        r.out_bytes as f64 / r.raw_bytes as f64,
        secs * 1e3,
    );
}

fn main() {
    let (keys, vals) = values(8192);
    println!(
        "{RECORDS} records ({KEY_LEN}-byte keys, {VALUE_LEN}-byte values) into {BATCH_SIZE}-byte \
         batches, best of {REPS}; MB/s of uncompressed batch bytes"
    );
    for codec in Compression::ALL {
        if !codec.is_available() {
            println!("{:<14} (feature off)", codec.name());
            continue;
        }
        let opts = BatchOptions::idempotent(1, 0, 0).with_compression(codec);
        let mut first = true;
        let r = best(&keys, &vals, |w| {
            let batch = w.finish(&opts).expect("codec is available");
            if std::mem::take(&mut first) {
                assert!(read_batches(&batch).is_ok(), "{codec} batch reads back");
            }
            batch
        });
        let name = match codec {
            Compression::Zstd if cfg!(feature = "zstd") => "zstd (libzstd)",
            Compression::Zstd => "zstd (ruzstd)",
            _ => codec.name(),
        };
        report(name, &r);
    }
    #[cfg(all(feature = "zstd", feature = "zstd-pure"))]
    {
        use kafka_sync::record_batch::{zstd_pure_compress_into, BATCH_HEADER_SIZE};
        let r = best(&keys, &vals, |w| {
            let mut out = Vec::with_capacity(w.size_in_bytes());
            out.resize(BATCH_HEADER_SIZE, 0);
            zstd_pure_compress_into(w.records(), &mut out).expect("ruzstd");
            out
        });
        report("zstd (ruzstd)", &r);
    }
}
