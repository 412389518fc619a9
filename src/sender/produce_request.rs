//! Building one Produce request: sealing its batches (sequences,
//! compression), choosing the version, and recording what was sent.

use super::Sender;
use crate::accumulator::batch::ProducerBatch;
use crate::error::Error;
use crate::metrics::sensors::SentBatch;
use crate::metrics::Metrics;
use crate::net::{Network, NodeId};
use crate::protocol::ErrorCode;
use crate::record_batch::{BatchOptions, Compression};
use std::time::Instant;

impl<N: Network> Sender<N> {
    /// Seals each batch for a request of at most `max_version` (`None`:
    /// the broker has no Produce version we speak), failing those that
    /// cannot go; returns the ones to send, their attempt counted.
    pub(super) fn seal_for_request(
        &mut self,
        batches: Vec<ProducerBatch>,
        max_version: Option<i16>,
    ) -> Vec<ProducerBatch> {
        let cfg = self.shared.config.clone();
        let mut ready = Vec::with_capacity(batches.len());
        for mut b in batches {
            let Some(version) = max_version else {
                self.complete_failed(b, broker_error(ErrorCode::UNSUPPORTED_VERSION, false));
                continue;
            };
            if cfg.compression == Compression::Zstd && version < 7 {
                let e = broker_error(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE, false);
                self.complete_failed(b, e);
                continue;
            }
            if !b.is_sealed() || b.base_sequence < 0 {
                let mut options = BatchOptions::default()
                    .with_compression_level(cfg.compression, cfg.compression_level());
                options.transactional = self.txn.is_some();
                if let Some(idem) = self.idempotence.as_mut() {
                    options.producer_id = idem.producer_id;
                    options.producer_epoch = idem.epoch;
                    options.base_sequence = idem.assign(&b.topic, b.partition, b.record_count);
                }
                if let Err(e) = b.seal(&options) {
                    self.complete_failed(b, Error::Fatal(format!("compression failed: {e}")));
                    continue;
                }
                self.shared.acc.shrink_sealed(&mut b);
            }
            b.attempts += 1;
            ready.push(b);
        }
        ready
    }

    /// The version of a request of `ready` to `node` (at most
    /// `max_version`), and the topic ids it names topics by (v13+).
    pub(super) fn produce_version(
        &self,
        node: NodeId,
        ready: &[ProducerBatch],
        max_version: i16,
    ) -> (i16, Option<Vec<[u8; 16]>>) {
        // v13 (KIP-516) names topics by id: only when every topic of the
        // request has one; else this request goes as v12, by name.
        let ids: Option<Vec<[u8; 16]>> = (max_version >= 13)
            .then(|| {
                ready
                    .iter()
                    .map(|b| self.topics.get(&*b.topic).and_then(|m| m.known_topic_id()))
                    .collect()
            })
            .flatten();
        let version = if ids.is_some() {
            max_version
        } else {
            max_version.min(12)
        };
        if version < max_version {
            log::trace!(
                "{}Produce v{version} to node {node}: a topic has no known topic id",
                self.log
            );
        }
        (version, ids)
    }

    /// The counters and sensors of a Produce request written to `node`.
    pub(super) fn record_produce_sent(
        &self,
        node: NodeId,
        ready: &[ProducerBatch],
        request_bytes: usize,
        now: Instant,
    ) {
        let bytes: usize = ready.iter().map(|b| b.size()).sum();
        let m = &self.shared.metrics;
        Metrics::add(&m.requests_sent, 1);
        Metrics::add(&m.bytes_sent, bytes as u64);
        m.sensors.lock().request_sent(
            node,
            request_bytes,
            ready.iter().map(|b| SentBatch {
                topic: &b.topic,
                records: b.record_count,
                wire_size: b.size(),
                uncompressed_size: b.uncompressed_size,
                max_record_size: b.max_record_size,
                queue_time: now.saturating_duration_since(b.created),
            }),
            now,
        );
    }
}

pub(super) fn broker_error(code: ErrorCode, may_have_persisted: bool) -> Error {
    Error::Broker {
        code,
        message: None,
        may_have_persisted,
    }
}
