#![no_main]
use kafka_sync::protocol::messages::txn_offset_commit::TxnOffsetCommitResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kafka_sync_fuzz::decode_message::<TxnOffsetCommitResponse>(data));
