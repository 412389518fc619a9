#![no_main]
use kafka_sync::protocol::messages::end_txn::EndTxnResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_sync_fuzz::decode_message::<EndTxnResponse>(data));
