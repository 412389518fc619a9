//! Shared driver for the decoder fuzz targets.
use kafka_sync::protocol::{Message, Reader};

/// Decodes `data[1..]` as `M` at the version chosen by `data[0]`; whatever
/// decodes must re-encode and decode back to an equal value.
pub fn decode_message<M: Message + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Some((&v, body)) = data.split_first() else {
        return;
    };
    let span = (M::MAX_VERSION - M::MIN_VERSION + 1) as u8;
    let version = M::MIN_VERSION + (v % span) as i16;
    let mut r = Reader::new(body);
    if let Ok(msg) = M::decode(&mut r, version) {
        let mut buf = Vec::new();
        msg.encode(&mut buf, version)
            .expect("a decoded message must re-encode");
        let again = M::decode(&mut Reader::new(&buf), version).expect("re-decode");
        assert_eq!(again, msg);
    }
}
