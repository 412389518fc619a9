#![no_main]
use kafka_sync::record_batch::read_batches;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As is: mostly stopped by the length and CRC checks.
    let _ = read_batches(data);
    // With length and CRC made consistent, so the fuzzer reaches the record
    // decoder and every decompressor.
    if data.len() >= 61 {
        let mut b = data.to_vec();
        let len = (b.len() - 12) as i32;
        b[8..12].copy_from_slice(&len.to_be_bytes());
        b[16] = 2; // magic
        let crc = crc32c::crc32c(&b[21..]);
        b[17..21].copy_from_slice(&crc.to_be_bytes());
        let _ = read_batches(&b);
    }
});
