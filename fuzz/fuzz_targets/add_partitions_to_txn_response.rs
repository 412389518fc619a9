#![no_main]
use kafka_sync::protocol::messages::add_partitions_to_txn::AddPartitionsToTxnResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_sync_fuzz::decode_message::<AddPartitionsToTxnResponse>(data));
