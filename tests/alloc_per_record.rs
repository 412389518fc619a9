//! The hot path allocates nothing per record: with a `const` topic and
//! borrowed values (`&'static`, or any lifetime through `send_bytes`),
//! steady-state sends allocate less than once per 100 records on the
//! calling thread (batch buffers come from the pool, batch
//! results are per batch). A counting global allocator counts every Rust
//! allocation, per thread and in all (librdkafka's mock cluster allocates
//! through C's malloc and is not counted).

mod common;

use common::faults::Mock;
use kafka_sync::{Producer, ProducerConfig, ProducerRecord, Topic};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

struct Counting;

static ALL: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static MINE: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    ALL.fetch_add(1, Ordering::Relaxed);
    // `try_with`: the thread-local may be gone while a thread exits.
    let _ = MINE.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters are atomics and a const-initialised thread-local (no allocation).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TOPIC: Topic = Topic::from_static("alloc-a");
static VALUE: [u8; 100] = [b'x'; 100];
static KEYS: [&[u8]; 4] = [b"k0", b"k1", b"k2", b"k3"];

#[test]
fn steady_state_sends_allocate_less_than_once_per_hundred_records() {
    let mock = Mock::new(3, "alloc-a", 3);
    let config = ProducerConfig::builder()
        .bootstrap_servers(&mock.bootstrap)
        .linger(Duration::from_millis(5))
        .build()
        .unwrap();
    let producer: Producer<&'static [u8], &'static [u8]> = Producer::new(config).unwrap();
    let send = |i: usize| {
        let rec = ProducerRecord::new(TOPIC, VALUE.as_slice()).key(KEYS[i % KEYS.len()]);
        drop(producer.send(rec).unwrap());
    };
    // Warm up: metadata, connections, the pool's free buffers.
    for i in 0..50_000 {
        send(i);
    }
    producer.flush().unwrap();

    let n = 100_000u64;
    let mine_before = MINE.with(Cell::get);
    let all_before = ALL.load(Ordering::Relaxed);
    for i in 0..n as usize {
        send(i);
    }
    let mine = MINE.with(Cell::get) - mine_before;
    producer.flush().unwrap();
    let all = ALL.load(Ordering::Relaxed) - all_before;
    let per_record = mine as f64 / n as f64;
    let all_per_record = all as f64 / n as f64;
    println!(
        "allocations per record: {per_record:.4} on the sending thread, \
         {all_per_record:.4} in all threads ({mine} and {all} for {n} records)"
    );
    assert!(
        per_record < 0.01,
        "{mine} allocations on the sending thread for {n} records"
    );
    // The sender thread allocates per request and response, not per record.
    assert!(
        all_per_record < 0.2,
        "{all} allocations in all threads for {n} records"
    );

    // Borrowed for a short lifetime: a buffer the caller refills, through
    // `send_bytes` (no serializer, copied into the batch before it returns).
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mine_before = MINE.with(Cell::get);
    for i in 0..n {
        buf.clear();
        // 100 bytes, as above: 92 of the static value and the record's number.
        buf.extend_from_slice(&VALUE[..92]);
        buf.extend_from_slice(&i.to_be_bytes());
        let key = &buf[..2];
        let rec = ProducerRecord::new(TOPIC, &buf[..]).key(key);
        drop(producer.send_bytes(rec).unwrap());
    }
    let borrowed = MINE.with(Cell::get) - mine_before;
    producer.flush().unwrap();
    let borrowed_per_record = borrowed as f64 / n as f64;
    println!(
        "allocations per record with send_bytes from a reused buffer: \
         {borrowed_per_record:.4} on the sending thread ({borrowed} for {n} records)"
    );
    assert!(
        borrowed_per_record < 0.01,
        "{borrowed} allocations on the sending thread for {n} borrowed records"
    );
    producer.close(Duration::from_secs(10));
    let m = producer.counters();
    assert_eq!(m.records_sent, 250_000);
}
