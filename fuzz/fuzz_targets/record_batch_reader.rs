#![no_main]
use kafka_sync::record_batch::read_batches;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_batches(data);
});
