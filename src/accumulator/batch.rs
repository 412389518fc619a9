//! One partition batch on its way from the accumulator to the broker.

use crate::delivery::{BatchResult, Callback, Hurry, Outcome, RecordInfo, SplitPart};
use crate::error::Error;
use crate::protocol::ErrorCode;
use crate::record::Header;
use crate::record_batch::{
    read_batches, set_producer_state, BatchOptions, BatchWriter, Compression, CompressionError,
};
use std::sync::Arc;
use std::time::Instant;

/// The parts and the original's outcome, or the batch back with why not.
pub(crate) type SplitResult = Result<(Vec<ProducerBatch>, Outcome), Box<(ProducerBatch, String)>>;

/// One serialized record on its way into a batch, with its encoded size
/// (an upper bound, without the batch header) worked out once per `send`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordRef<'a> {
    pub(crate) timestamp: i64,
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) value: Option<&'a [u8]>,
    pub(crate) headers: &'a [Header],
    pub(crate) size: usize,
    /// Its key, value and headers' encoded size (`BatchWriter::payload_size`).
    pub(crate) payload: u64,
}

impl<'a> RecordRef<'a> {
    pub(crate) fn new(
        timestamp: i64,
        key: Option<&'a [u8]>,
        value: Option<&'a [u8]>,
        headers: &'a [Header],
    ) -> Self {
        let payload = BatchWriter::payload_size(key, value, headers);
        RecordRef {
            timestamp,
            key,
            value,
            headers,
            size: BatchWriter::upper_bound_of(payload),
            payload,
        }
    }
}

/// A callback waiting for its record's batch, with what its metadata needs.
pub(crate) struct PendingCallback {
    pub(crate) info: RecordInfo,
    pub(crate) callback: Callback,
}

/// A batch: open (records still being appended to its writer) until the
/// sender drains it, then sealed into wire bytes that every retry reuses.
pub(crate) struct ProducerBatch {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    writer: Option<BatchWriter>,
    /// Shared with the network while a request carrying it is written.
    sealed: Option<Arc<Vec<u8>>>,
    pub(crate) record_count: u32,
    /// The largest record appended (its estimated size), for metrics.
    pub(crate) max_record_size: u32,
    /// The records' bytes before compression (known once sealed), for
    /// metrics.
    pub(crate) uncompressed_size: usize,
    pub(crate) created: Instant,
    /// Bytes of `buffer.memory` this batch holds until it completes.
    pub(crate) reserved: usize,
    /// The part of `reserved` taken for the batch's buffer (the rest is
    /// its callbacks').
    buffer_reserved: usize,
    pub(crate) result: Arc<BatchResult>,
    callbacks: Vec<PendingCallback>,
    /// Produce attempts so far.
    pub(crate) attempts: u32,
    /// Not to be sent again before this instant (retry backoff).
    pub(crate) retry_at: Option<Instant>,
    /// Sent at least once without a definitive answer: it may be written.
    pub(crate) maybe_written: bool,
    /// The error of the last failed attempt.
    pub(crate) last_error: Option<ErrorCode>,
    /// Idempotence: producer id, epoch and first sequence once assigned.
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
    pub(crate) base_sequence: i32,
    /// Completed (expired) while a request carrying it was in flight; its
    /// answer is then ignored.
    pub(crate) expired: bool,
    /// Its records have their outcome (completed, or handed to split
    /// parts): dropping it does nothing more.
    settled: bool,
    /// Its writer is out, being compressed (see `take_for_close`).
    closing: bool,
}

impl ProducerBatch {
    pub(crate) fn new(
        topic: Arc<str>,
        partition: i32,
        capacity: usize,
        reserved: usize,
        now: Instant,
    ) -> Self {
        Self::with_buffer(
            topic,
            partition,
            Vec::with_capacity(capacity),
            reserved,
            now,
            None,
        )
    }

    /// A batch writing into `buf` (cleared), e.g. one from the free list;
    /// `hurry` wakes the sender when a thread waits for it.
    pub(crate) fn with_buffer(
        topic: Arc<str>,
        partition: i32,
        buf: Vec<u8>,
        reserved: usize,
        now: Instant,
        hurry: Option<&Hurry>,
    ) -> Self {
        ProducerBatch {
            result: BatchResult::hurried(topic.clone(), partition, hurry),
            topic,
            partition,
            writer: Some(BatchWriter::from_buffer(buf)),
            sealed: None,
            record_count: 0,
            max_record_size: 0,
            uncompressed_size: 0,
            created: now,
            reserved,
            buffer_reserved: reserved,
            callbacks: Vec::new(),
            attempts: 0,
            retry_at: None,
            maybe_written: false,
            last_error: None,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            expired: false,
            settled: false,
            closing: false,
        }
    }

    /// Current size in bytes (uncompressed while open).
    pub(crate) fn size(&self) -> usize {
        match (&self.writer, &self.sealed) {
            (Some(w), _) => w.size_in_bytes(),
            (None, Some(s)) => s.len(),
            (None, None) => 0,
        }
    }

    /// Appends a record if it fits in `limit` bytes (an empty batch takes any
    /// record). Returns the record's index in the batch.
    pub(crate) fn try_append(&mut self, r: &RecordRef<'_>, limit: usize) -> Option<u32> {
        let w = self.writer.as_mut()?;
        if w.is_compressed() || (!w.is_empty() && w.size_in_bytes() + r.size > limit) {
            return None;
        }
        w.append_sized(r.timestamp, r.key, r.value, r.headers, r.payload);
        self.max_record_size = self.max_record_size.max(r.size as u32);
        let index = self.record_count;
        self.record_count += 1;
        Some(index)
    }

    /// Registers a callback for the record at `info.index`.
    /// The first sizes the list for about `expected` callbacks (one
    /// allocation per batch, not a doubling series).
    pub(crate) fn add_callback(&mut self, info: RecordInfo, callback: Callback, expected: usize) {
        if self.callbacks.capacity() == 0 {
            self.callbacks.reserve_exact(expected.max(1));
        }
        self.callbacks.push(PendingCallback { info, callback });
    }

    /// Takes the writer of a full batch so the appending thread can
    /// compress it with the partition lock released; until
    /// [`put_back_writer`](Self::put_back_writer) the batch is *closing*:
    /// it takes no records and the sender leaves it alone. `None` for an
    /// empty, compressed, sealed or closing batch.
    pub(crate) fn take_for_close(&mut self) -> Option<BatchWriter> {
        if self.writer.as_ref()?.is_empty() || self.is_closed() {
            return None;
        }
        self.closing = true;
        self.writer.take()
    }

    /// Gives a closing batch its (compressed) writer back.
    pub(crate) fn put_back_writer(&mut self, writer: BatchWriter) {
        debug_assert!(self.closing && self.writer.is_none());
        self.writer = Some(writer);
        self.closing = false;
    }

    /// Whether the appending thread is compressing the batch now.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing
    }

    /// Whether the batch was compressed when it closed (it takes no more
    /// records and is ready to go).
    pub(crate) fn is_closed(&self) -> bool {
        self.writer.as_ref().is_some_and(BatchWriter::is_compressed)
    }

    /// Closes the batch and encodes it with `options` (idempotence fields
    /// included). A sealed batch is re-stamped instead (new epoch/sequence).
    pub(crate) fn seal(&mut self, options: &BatchOptions) -> Result<(), CompressionError> {
        self.producer_id = options.producer_id;
        self.producer_epoch = options.producer_epoch;
        self.base_sequence = options.base_sequence;
        if let Some(w) = self.writer.take() {
            self.uncompressed_size = w.uncompressed_size();
            self.sealed = Some(Arc::new(w.finish(options)?));
        } else if let Some(bytes) = self.sealed.as_mut() {
            // Copies only if the network still holds the old bytes.
            let bytes = Arc::make_mut(bytes);
            set_producer_state(
                bytes,
                options.producer_id,
                options.producer_epoch,
                options.base_sequence,
            )
            .expect("a sealed batch has a valid header");
        }
        Ok(())
    }

    /// A sealed batch that fills at most a quarter of its buffer moves to
    /// a copy of its own size, so that `buffer.memory` counts what it holds
    /// rather than `batch.size` (many partitions each with a few records
    /// would otherwise exhaust the budget with mostly empty buffers).
    /// Returns the big buffer, for the free list, and the bytes of the
    /// reservation no longer held.
    pub(crate) fn shrink_wire(&mut self) -> Option<(Vec<u8>, usize)> {
        let sealed = self.sealed.as_mut()?;
        let len = sealed.len();
        if len.saturating_mul(4) > self.buffer_reserved || Arc::strong_count(sealed) > 1 {
            return None;
        }
        let small = Arc::new(sealed.to_vec());
        let big = Arc::try_unwrap(std::mem::replace(sealed, small)).ok()?;
        let freed = self.buffer_reserved - len;
        self.buffer_reserved = len;
        self.reserved -= freed;
        Some((big, freed))
    }

    /// Takes the batch's buffer (for reuse) once it is no longer needed.
    pub(crate) fn take_buffer(&mut self) -> Option<Vec<u8>> {
        self.sealed.take().and_then(|b| Arc::try_unwrap(b).ok())
    }

    /// The wire bytes of a sealed batch.
    pub(crate) fn wire(&self) -> &[u8] {
        self.sealed.as_deref().map_or(&[], Vec::as_slice)
    }

    /// The wire bytes of a sealed batch, shared (for writing without a copy).
    pub(crate) fn shared_wire(&self) -> Option<Arc<Vec<u8>>> {
        self.sealed.clone()
    }

    pub(crate) fn is_sealed(&self) -> bool {
        self.sealed.is_some()
    }

    /// Completes every record of the batch: sets the shared result (waking
    /// handles), runs the callbacks on the calling (sender) thread, then
    /// settles the result.
    ///
    /// The outcome is set first, so a callback sees every record of its
    /// batch complete (a `wait` on one of their handles returns at once);
    /// `flush` waits for the settling, so it returns only after every
    /// callback of its records has run.
    pub(crate) fn complete(mut self, outcome: Outcome) {
        self.settle_with(outcome);
    }

    fn settle_with(&mut self, outcome: Outcome) {
        self.settled = true;
        self.result.set_outcome(outcome.clone());
        self.run_callbacks(&outcome);
        self.result.settle();
    }

    fn run_callbacks(&mut self, outcome: &Outcome) {
        for pending in self.callbacks.drain(..) {
            let result = self.result.record_result(&pending.info, outcome);
            let cb = pending.callback;
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || cb(result))).is_err() {
                log::error!(
                    "{}a delivery callback panicked; the panic was contained",
                    crate::log_context::LogContext::current()
                );
            }
        }
    }

    /// Completes every record with `error` while the batch stays in an
    /// in-flight request (delivery timeout); a later answer is ignored.
    pub(crate) fn expire_in_place(&mut self, error: Error) {
        self.expired = true;
        self.settle_with(Outcome::Failed(error));
    }

    /// Splits a sealed batch the broker found too large into two halves
    /// (by record count), as the Java client does for MESSAGE_TOO_LARGE.
    /// Each half is sealed with the same producer id and epoch and the
    /// sequences its records had, so idempotence is undisturbed; callbacks
    /// move with their records, and handles follow through the returned
    /// split outcome (which the caller must set on the original result).
    pub(crate) fn split(mut self, compression: Compression, level: Option<i32>) -> SplitResult {
        let records = match read_batches(self.wire()) {
            Ok(mut batches) if batches.len() == 1 => batches.remove(0).records,
            Ok(_) => return Err(Box::new((self, "not one batch".into()))),
            Err(e) => return Err(Box::new((self, e.to_string()))),
        };
        let n = records.len() as u32;
        if n < 2 {
            return Err(Box::new((self, "a single record cannot be split".into())));
        }
        let half = n / 2;
        let mut parts = Vec::with_capacity(2);
        for (i, range) in [(0..half), (half..n)].into_iter().enumerate() {
            let first = range.start;
            let count = range.end - range.start;
            let mut part = ProducerBatch::new(
                self.topic.clone(),
                self.partition,
                self.size() / 2 + 64,
                if i == 0 { self.reserved } else { 0 },
                self.created,
            );
            part.buffer_reserved = 0;
            for r in &records[range.start as usize..range.end as usize] {
                let r = RecordRef::new(
                    r.timestamp,
                    r.key.as_deref(),
                    r.value.as_deref(),
                    &r.headers,
                );
                part.try_append(&r, usize::MAX);
            }
            part.attempts = self.attempts;
            part.maybe_written = self.maybe_written;
            part.last_error = self.last_error;
            let base_sequence = if self.base_sequence >= 0 {
                crate::sequence::next_sequence(self.base_sequence, first)
            } else {
                -1
            };
            let options = BatchOptions {
                compression,
                compression_level: level,
                producer_id: self.producer_id,
                producer_epoch: self.producer_epoch,
                base_sequence,
                transactional: false,
            };
            if let Err(e) = part.seal(&options) {
                return Err(Box::new((self, e.to_string())));
            }
            parts.push((first, count, part));
        }
        let mut split_parts = Vec::with_capacity(2);
        for (first, count, part) in &parts {
            split_parts.push(SplitPart {
                first: *first,
                count: *count,
                result: part.result.clone(),
            });
        }
        let mut out: Vec<ProducerBatch> = parts.into_iter().map(|(_, _, b)| b).collect();
        for mut pending in self.callbacks.drain(..) {
            let idx = pending.info.index;
            let (target, first) = if idx < half { (0, 0) } else { (1, half) };
            pending.info.index = idx - first;
            out[target].callbacks.push(pending);
        }
        // The caller sets the split outcome on this batch's result.
        self.settled = true;
        Ok((out, Outcome::Split(split_parts)))
    }

    /// Completes with an error.
    pub(crate) fn fail(self, error: Error) {
        self.complete(Outcome::Failed(error));
    }
}

impl Drop for ProducerBatch {
    /// A batch dropped before its records have an outcome (the sender
    /// thread unwinding from a panic with the batch in a local list, or a
    /// producer dropped with records left) fails them, so that every handle
    /// returns and every callback runs exactly once.
    fn drop(&mut self) {
        if !self.settled {
            self.settle_with(Outcome::Failed(Error::Fatal(
                "the producer's sender thread stopped before completing this record".into(),
            )));
        }
    }
}
