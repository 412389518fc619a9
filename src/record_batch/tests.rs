//! Cross-module tests: property round-trips through the reader for every
//! available codec, producer-state patching, and cross-checks against the
//! independent `kafka-protocol` crate (uncompressed: its compression
//! features are off).

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression as KpCompression, Record as KpRecord, RecordBatchDecoder, RecordBatchEncoder,
    RecordEncodeOptions, TimestampType,
};
use proptest::prelude::*;

use super::*;

/// (timestamp, key, value, headers) as the writer takes them.
type Input = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Vec<Header>);

fn available_codecs() -> Vec<Compression> {
    Compression::ALL
        .into_iter()
        .filter(|c| c.is_available())
        .collect()
}

fn header() -> impl Strategy<Value = Header> {
    ("[a-z\u{e9}]{0,6}", proptest::option::of(any::<Vec<u8>>()))
        .prop_map(|(key, value)| Header { key, value })
}

fn bytes_opt() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::weighted(0.8, proptest::collection::vec(any::<u8>(), 0..300))
}

/// Records with timestamps `base + delta`, deltas of either sign.
fn inputs(ts: impl Strategy<Value = i64>) -> impl Strategy<Value = Vec<Input>> {
    proptest::collection::vec(
        (
            ts,
            bytes_opt(),
            bytes_opt(),
            proptest::collection::vec(header(), 0..4),
        ),
        0..40,
    )
}

fn write(inputs: &[Input], opts: &BatchOptions) -> Vec<u8> {
    let mut w = BatchWriter::with_capacity(1024);
    for (ts, k, v, h) in inputs {
        let expected = w.encoded_record_size(*ts, k.as_deref(), v.as_deref(), h);
        assert_eq!(w.append(*ts, k.as_deref(), v.as_deref(), h), expected);
    }
    w.finish(opts).unwrap()
}

fn check_read(batch: &RecordBatch, inputs: &[Input], opts: &BatchOptions) {
    let h = &batch.header;
    assert_eq!(h.base_offset, 0);
    assert_eq!(h.partition_leader_epoch, -1);
    assert_eq!(h.magic, 2);
    assert_eq!(h.compression(), Some(opts.compression));
    assert_eq!(h.is_transactional(), opts.transactional);
    assert!(!h.is_control() && !h.has_log_append_time());
    assert_eq!(
        (h.producer_id, h.producer_epoch, h.base_sequence),
        (opts.producer_id, opts.producer_epoch, opts.base_sequence)
    );
    assert_eq!(h.record_count as usize, inputs.len());
    assert_eq!(h.last_offset_delta, inputs.len() as i32 - 1);
    let first = inputs.first().map_or(-1, |i| i.0);
    let max = inputs.iter().map(|i| i.0).max().unwrap_or(-1);
    assert_eq!((h.base_timestamp, h.max_timestamp), (first, max));
    assert_eq!(batch.records.len(), inputs.len());
    for (i, (r, (ts, k, v, hs))) in batch.records.iter().zip(inputs).enumerate() {
        assert_eq!(r.offset_delta, i as i32);
        assert_eq!(r.attributes, 0);
        assert_eq!(r.timestamp, *ts);
        assert_eq!(r.timestamp_delta, ts.wrapping_sub(first));
        assert_eq!((&r.key, &r.value, &r.headers), (k, v, hs));
    }
}

fn options() -> impl Strategy<Value = BatchOptions> {
    (
        proptest::sample::select(available_codecs()),
        any::<i64>(),
        any::<i16>(),
        any::<i32>(),
        any::<bool>(),
    )
        .prop_map(
            |(compression, pid, epoch, seq, transactional)| BatchOptions {
                compression,
                compression_level: None,
                producer_id: pid,
                producer_epoch: epoch,
                base_sequence: seq,
                transactional,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn round_trip_every_codec(inputs in inputs(any::<i64>()), opts in options()) {
        let bytes = write(&inputs, &opts);
        let read = read_batches(&bytes).unwrap();
        prop_assert_eq!(read.len(), 1);
        check_read(&read[0], &inputs, &opts);
        prop_assert_eq!(BatchHeader::parse(&bytes).unwrap(), read[0].header);
        prop_assert_eq!(read[0].header.total_size(), bytes.len());
    }

    #[test]
    fn producer_state_patch_round_trip(
        inputs in inputs(0i64..1 << 42),
        opts in options(),
        state in (any::<i64>(), any::<i16>(), any::<i32>()),
    ) {
        let mut bytes = write(&inputs, &opts);
        let before = read_batches(&bytes).unwrap();
        set_producer_state(&mut bytes, state.0, state.1, state.2).unwrap();
        // read_batches verifies the CRC; check it against a full recompute too.
        let after = read_batches(&bytes).unwrap();
        prop_assert_eq!(after[0].header.crc, crc32c::crc32c(&bytes[21..]));
        let h = &after[0].header;
        prop_assert_eq!((h.producer_id, h.producer_epoch, h.base_sequence), state);
        prop_assert_eq!(&after[0].records, &before[0].records);
        prop_assert_eq!(h.attributes, before[0].header.attributes);
    }

    #[test]
    fn kafka_protocol_decodes_ours(
        inputs in inputs(1_600_000_000_000i64..1_600_000_100_000),
        pid in any::<i64>(),
        epoch in any::<i16>(),
        seq in any::<i32>(),
        transactional: bool,
    ) {
        let opts = BatchOptions { transactional, ..BatchOptions::idempotent(pid, epoch, seq) };
        let mut bytes = Bytes::from(write(&inputs, &opts));
        let info = RecordBatchDecoder::decode_batch_info(&mut bytes.clone()).unwrap();
        prop_assert_eq!(info.len(), 1);
        let i = &info[0];
        prop_assert_eq!(i.record_count as usize, inputs.len());
        prop_assert_eq!((i.min_offset, i.partition_leader_epoch, i.version), (0, -1, 2));
        prop_assert_eq!((i.producer_id, i.producer_epoch, i.base_sequence), (pid, epoch, seq));
        prop_assert_eq!(i.transactional, transactional);
        prop_assert!(!i.control && !i.delete_horizon);
        prop_assert_eq!(i.compression, KpCompression::None);
        prop_assert_eq!(i.timestamp_type, TimestampType::Creation);
        prop_assert_eq!(i.min_timestamp, inputs.first().map_or(-1, |r| r.0));

        let set = RecordBatchDecoder::decode(&mut bytes).unwrap();
        prop_assert_eq!(set.records.len(), inputs.len());
        for (n, (r, (ts, k, v, hs))) in set.records.iter().zip(&inputs).enumerate() {
            prop_assert_eq!(r.offset, n as i64);
            prop_assert_eq!(r.sequence, seq.wrapping_add(n as i32));
            prop_assert_eq!(r.timestamp, *ts);
            prop_assert_eq!((r.producer_id, r.producer_epoch), (pid, epoch));
            prop_assert_eq!(r.transactional, transactional);
            prop_assert_eq!(r.key.as_deref(), k.as_deref());
            prop_assert_eq!(r.value.as_deref(), v.as_deref());
            // kafka-protocol keeps headers in an IndexMap: the last value of
            // a repeated key wins, at the key's first position.
            let mut expected: Vec<(&str, Option<&[u8]>)> = Vec::new();
            for h in hs {
                match expected.iter_mut().find(|e| e.0 == h.key) {
                    Some(e) => e.1 = h.value.as_deref(),
                    None => expected.push((&h.key, h.value.as_deref())),
                }
            }
            let theirs: Vec<(&str, Option<&[u8]>)> =
                r.headers.iter().map(|(k, v)| (&**k, v.as_deref())).collect();
            prop_assert_eq!(theirs, expected);
        }
    }

    #[test]
    fn we_decode_kafka_protocol_and_match_its_bytes(
        mut inputs in inputs(1_600_000_000_000i64..1_600_000_100_000),
        pid in any::<i64>(),
        epoch in any::<i16>(),
        seq in 0i32..i32::MAX / 2,
        sorted: bool,
    ) {
        prop_assume!(!inputs.is_empty());
        if sorted {
            inputs.sort_by_key(|r| r.0);
        }
        // Unique header keys: kafka-protocol's IndexMap would merge them.
        for (_, _, _, hs) in &mut inputs {
            let mut seen = std::collections::HashSet::new();
            hs.retain(|h| seen.insert(h.key.clone()));
        }
        let records: Vec<KpRecord> = inputs
            .iter()
            .enumerate()
            .map(|(n, (ts, k, v, hs))| {
                let mut r = KpRecord {
                    transactional: false,
                    control: false,
                    delete_horizon: false,
                    partition_leader_epoch: -1,
                    producer_id: pid,
                    producer_epoch: epoch,
                    timestamp_type: TimestampType::Creation,
                    offset: n as i64,
                    sequence: seq + n as i32,
                    timestamp: *ts,
                    key: k.clone().map(Bytes::from),
                    value: v.clone().map(Bytes::from),
                    headers: Default::default(),
                };
                for h in hs {
                    r.headers
                        .insert(StrBytes::from_string(h.key.clone()), h.value.clone().map(Bytes::from));
                }
                r
            })
            .collect();
        let mut buf = BytesMut::new();
        let kp_opts = RecordEncodeOptions { version: 2, compression: KpCompression::None };
        RecordBatchEncoder::encode(&mut buf, &records, &kp_opts).unwrap();

        let read = read_batches(&buf).unwrap();
        prop_assert_eq!(read.len(), 1);
        let h = &read[0].header;
        let min = inputs.iter().map(|r| r.0).min().unwrap();
        let max = inputs.iter().map(|r| r.0).max().unwrap();
        // kafka-protocol takes the smallest timestamp as the base.
        prop_assert_eq!((h.base_timestamp, h.max_timestamp), (min, max));
        prop_assert_eq!((h.producer_id, h.producer_epoch, h.base_sequence), (pid, epoch, seq));
        prop_assert_eq!(h.last_offset_delta as usize, inputs.len() - 1);
        for (n, (r, (ts, k, v, hs))) in read[0].records.iter().zip(&inputs).enumerate() {
            prop_assert_eq!(r.offset_delta as usize, n);
            prop_assert_eq!(r.timestamp, *ts);
            prop_assert_eq!((&r.key, &r.value, &r.headers), (k, v, hs));
        }
        // With non-decreasing timestamps both bases agree: same bytes.
        if sorted {
            let ours = write(&inputs, &BatchOptions::idempotent(pid, epoch, seq));
            prop_assert_eq!(&ours[..], &buf[..]);
        }
    }
}

#[test]
fn every_codec_in_one_stream() {
    let inputs: Vec<Input> = (0..50)
        .map(|i| {
            (
                1_700_000_000_000 + i,
                Some(format!("key-{i}").into_bytes()),
                Some(vec![b'a' + (i % 26) as u8; 100]),
                vec![Header::new("n", i.to_string())],
            )
        })
        .collect();
    let mut stream = Vec::new();
    let mut all = Vec::new();
    for c in available_codecs() {
        let opts = BatchOptions::idempotent(1, 0, 0).with_compression(c);
        stream.extend_from_slice(&write(&inputs, &opts));
        all.push(opts);
    }
    let read = read_batches(&stream).unwrap();
    assert_eq!(read.len(), all.len());
    for (b, opts) in read.iter().zip(&all) {
        check_read(b, &inputs, opts);
    }
}
