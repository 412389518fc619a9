#![no_main]
use kafka_sync::protocol::header::split_frame;
use kafka_sync::protocol::messages::api_versions::decode_api_versions_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((frame, used))) = split_frame(data, 1 << 20) {
        assert!(used <= data.len());
        let _ = decode_api_versions_response(frame, 3);
    }
});
