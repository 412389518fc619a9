//! Shared property tests for message codecs (test builds only).
//!
//! For a random message (built by `arbitrary` from random bytes) and every
//! version, [`check`] proves:
//! 1. our encoding decodes and re-encodes to the identical bytes, consuming
//!    everything;
//! 2. the independent `kafka-protocol` crate decodes our bytes, and its
//!    re-encoding of them is byte-identical to ours (so every field sits where
//!    Kafka's own definitions put it);
//! 3. we decode `kafka-protocol`'s encoding back to an equal value.

use crate::protocol::{Message, Reader};
use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Message as KpMessage};
use proptest::test_runner::TestCaseError;
use std::fmt::Debug;

/// Runs the three checks for one random message at `version`.
pub fn check<M, K>(data: &[u8], version: i16) -> Result<(), TestCaseError>
where
    M: Message + for<'a> arbitrary::Arbitrary<'a> + Debug + PartialEq,
    K: Encodable + Decodable + KpMessage + HeaderVersion + Debug,
{
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(msg) = M::arbitrary(&mut u) else {
        return Ok(());
    };
    let mut ours = Vec::new();
    if msg.encode(&mut ours, version).is_err() {
        // Not representable at this version (e.g. a string over 32 KiB).
        return Ok(());
    }
    let mut r = Reader::new(&ours);
    let back = M::decode(&mut r, version)
        .map_err(|e| TestCaseError::fail(format!("decode v{version}: {e} for {msg:?}")))?;
    proptest::prop_assert_eq!(r.remaining(), 0, "trailing bytes at v{}", version);
    let mut again = Vec::new();
    back.encode(&mut again, version)
        .map_err(|e| TestCaseError::fail(format!("re-encode v{version}: {e}")))?;
    proptest::prop_assert_eq!(&again, &ours, "re-encoding differs at v{}", version);

    if version < K::VERSIONS.min || version > K::VERSIONS.max {
        return Ok(());
    }
    let mut b = Bytes::from(ours.clone());
    let theirs = K::decode(&mut b, version).map_err(|e| {
        TestCaseError::fail(format!(
            "kafka-protocol cannot decode our v{version}: {e} {msg:?}"
        ))
    })?;
    proptest::prop_assert_eq!(b.len(), 0, "kafka-protocol left bytes at v{}", version);
    let mut out = BytesMut::new();
    theirs
        .encode(&mut out, version)
        .map_err(|e| TestCaseError::fail(format!("kafka-protocol re-encode v{version}: {e}")))?;
    proptest::prop_assert_eq!(
        &out[..],
        &ours[..],
        "kafka-protocol encodes differently at v{}: {:?}",
        version,
        theirs
    );
    let mut r = Reader::new(&out);
    let from_theirs = M::decode(&mut r, version)
        .map_err(|e| TestCaseError::fail(format!("decode kafka-protocol bytes v{version}: {e}")))?;
    proptest::prop_assert_eq!(from_theirs, back);
    Ok(())
}

/// Declares a proptest module checking `$ours` against `$theirs` at every
/// version of `$ours`.
macro_rules! wire_tests {
    ($name:ident, $ours:ty, $theirs:ty) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::protocol::Message as _;
            proptest::proptest! {
                #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
                #[test]
                fn round_trips_and_matches_kafka_protocol(
                    data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024),
                    version in <$ours>::MIN_VERSION..=<$ours>::MAX_VERSION,
                ) {
                    $crate::protocol::messages::test_util::check::<$ours, $theirs>(&data, version)?;
                }
            }
        }
    };
}
pub(crate) use wire_tests;
