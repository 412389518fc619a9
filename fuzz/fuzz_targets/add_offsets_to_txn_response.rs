#![no_main]
use kafka_sync::protocol::messages::add_offsets_to_txn::AddOffsetsToTxnResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_sync_fuzz::decode_message::<AddOffsetsToTxnResponse>(data));
