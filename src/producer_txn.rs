//! The transactional methods of [`Producer`], named after the Java
//! client's. Each asks the sender thread for its operation and waits for
//! it at most `timeout`; a call that times out is
//! [`Retriable`](crate::TransactionErrorKind::Retriable): calling the same method
//! again keeps waiting for the same operation.

use super::Producer;
use crate::error::Error;
use crate::sender::txn::{TxnOp, TxnOpKind, TxnShared, TxnState};
use crate::transaction::{ConsumerGroupMetadata, TransactionError};
use std::borrow::Borrow;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn same_op(a: &TxnOpKind, b: &TxnOpKind) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

impl<K: 'static, V: 'static> Producer<K, V> {
    fn txn(&self) -> Result<&Arc<TxnShared>, TransactionError> {
        self.shared
            .txn
            .as_ref()
            .ok_or_else(|| TransactionError::invalid_state("the producer has no transactional.id"))
    }

    /// Registers the `transactional.id` with its coordinator: fences every
    /// older producer with the same id, and completes or aborts a
    /// transaction one of them left open. Call it once, before the first
    /// transaction.
    ///
    /// # Errors
    ///
    /// Retriable when `timeout` passes first (call again); fatal when the
    /// broker refuses (authorization, unsupported); invalid state when
    /// called twice.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// use std::time::Duration;
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .transactional_id("billing-1")
    ///     .build()?;
    /// let producer: Producer<String, String> = Producer::new(config)?;
    /// producer.init_transactions(Duration::from_secs(30))?; // fences older instances
    /// # drop(producer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn init_transactions(&self, timeout: Duration) -> Result<(), TransactionError> {
        self.run_op(TxnOpKind::Init, timeout)
    }

    /// Starts a transaction: records sent from now on belong to it.
    ///
    /// # Errors
    ///
    /// Invalid state unless `init_transactions` succeeded and no
    /// transaction is open; the producer's error when it is fatal.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "debit".to_string()))?;
    /// producer.send(ProducerRecord::new("ledger", "credit".to_string()))?;
    /// producer.commit_transaction(Duration::from_secs(30))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn begin_transaction(&self) -> Result<(), TransactionError> {
        let txn = self.txn()?;
        let mut ctl = txn.ctl.lock();
        match ctl.state {
            TxnState::Ready => {
                ctl.state = TxnState::InTransaction;
                Ok(())
            }
            TxnState::FatalError | TxnState::AbortableError => Err(ctl
                .error
                .clone()
                .unwrap_or_else(|| TransactionError::fatal("the producer failed"))),
            s => Err(TransactionError::invalid_state(format!(
                "begin_transaction in state {s:?}"
            ))),
        }
    }

    /// Commits consumer offsets with the current transaction (the
    /// consume-transform-produce loop): `offsets` are (topic, partition,
    /// next offset to consume) of `group`; they become visible to the group
    /// only if the transaction commits.
    ///
    /// # Errors
    ///
    /// As [`commit_transaction`](Self::commit_transaction); abortable when
    /// the group coordinator refuses (e.g. the member was fenced).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use kafka_sync::ConsumerGroupMetadata;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("out", "transformed".to_string()))?;
    /// // The input read so far (topic, partition, next offset), committed with the output.
    /// let group = ConsumerGroupMetadata::new("copier");
    /// producer.send_offsets_to_transaction([("in".to_string(), 0, 42)], &group, Duration::from_secs(30))?;
    /// producer.commit_transaction(Duration::from_secs(30))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_offsets_to_transaction<I>(
        &self,
        offsets: I,
        group: &ConsumerGroupMetadata,
        timeout: Duration,
    ) -> Result<(), TransactionError>
    where
        I: IntoIterator,
        I::Item: Borrow<(String, i32, i64)>,
    {
        let offsets: Vec<(String, i32, i64)> =
            offsets.into_iter().map(|o| o.borrow().clone()).collect();
        if offsets.is_empty() {
            return Ok(());
        }
        let kind = TxnOpKind::SendOffsets {
            offsets,
            group: group.clone(),
        };
        self.run_op(kind, timeout)
    }

    /// Sends every record of the transaction (ignoring `linger.ms`), waits
    /// for them, and commits the transaction: read_committed consumers then
    /// see all of its records and offsets.
    ///
    /// # Errors
    ///
    /// Abortable when a record of the transaction failed or the broker
    /// refused the commit (abort, then start again); retriable when
    /// `timeout` passed (call again: the commit goes on); fatal when
    /// fenced.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     if e.is_abortable() {
    ///         producer.abort_transaction(Duration::from_secs(30))?;
    ///     } else {
    ///         return Err(e.into());
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit_transaction(&self, timeout: Duration) -> Result<(), TransactionError> {
        self.run_op(TxnOpKind::Commit, timeout)
    }

    /// Aborts the transaction: its records not sent yet fail (with an
    /// abortable [`Error::Transaction`]), those in flight are waited for,
    /// and none of its records is ever seen by read_committed consumers.
    ///
    /// # Errors
    ///
    /// Retriable when `timeout` passed (call again); fatal when fenced.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// // Something upstream failed: nothing of this transaction becomes visible.
    /// producer.abort_transaction(Duration::from_secs(30))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abort_transaction(&self, timeout: Duration) -> Result<(), TransactionError> {
        self.run_op(TxnOpKind::Abort, timeout)
    }

    /// With `transactional.id`: whether a record may be sent now.
    pub(super) fn check_transaction_for_send(&self) -> Result<(), Error> {
        let Some(txn) = &self.shared.txn else {
            return Ok(());
        };
        let ctl = txn.ctl.lock();
        match ctl.state {
            TxnState::InTransaction => Ok(()),
            TxnState::AbortableError | TxnState::FatalError => {
                Err(Error::Transaction(ctl.error.clone().unwrap_or_else(|| {
                    TransactionError::fatal("the producer failed")
                })))
            }
            s => Err(Error::Transaction(TransactionError::invalid_state(
                format!("send outside a transaction (state {s:?}): call begin_transaction first"),
            ))),
        }
    }

    fn run_op(&self, kind: TxnOpKind, timeout: Duration) -> Result<(), TransactionError> {
        let txn = self.txn()?;
        let name = kind.name();
        let mut ctl = txn.ctl.lock();
        let id = match &ctl.op {
            Some(op) if same_op(&op.kind, &kind) => op.id,
            Some(op) => {
                return Err(TransactionError::invalid_state(format!(
                    "{name} while {} is in progress",
                    op.kind.name()
                )))
            }
            None => {
                let next = match (&kind, ctl.state) {
                    (TxnOpKind::Init, TxnState::Uninitialized) => TxnState::Initializing,
                    (TxnOpKind::Commit, TxnState::InTransaction) => TxnState::Committing,
                    (TxnOpKind::Abort, TxnState::InTransaction | TxnState::AbortableError) => {
                        TxnState::Aborting
                    }
                    (TxnOpKind::SendOffsets { .. }, TxnState::InTransaction) => {
                        TxnState::InTransaction
                    }
                    (_, TxnState::FatalError)
                    | (
                        TxnOpKind::Commit | TxnOpKind::SendOffsets { .. },
                        TxnState::AbortableError,
                    ) => {
                        return Err(ctl
                            .error
                            .clone()
                            .unwrap_or_else(|| TransactionError::fatal("the producer failed")))
                    }
                    (_, s) => {
                        return Err(TransactionError::invalid_state(format!(
                            "{name} in state {s:?}"
                        )))
                    }
                };
                ctl.state = next;
                ctl.next_id += 1;
                let id = ctl.next_id;
                ctl.op = Some(TxnOp { id, kind });
                id
            }
        };
        (self.wake)();
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if let Some((done, result)) = &ctl.finished {
                if *done == id {
                    return result.clone();
                }
            }
            if self.shared.acc.is_closed() && self.thread.lock().is_none() {
                return Err(TransactionError::fatal("the producer is closed"));
            }
            match deadline {
                None => txn.changed.wait(&mut ctl),
                Some(d) => {
                    if txn.changed.wait_until(&mut ctl, d).timed_out() {
                        if let Some((done, result)) = &ctl.finished {
                            if *done == id {
                                return result.clone();
                            }
                        }
                        return Err(TransactionError::retriable(format!(
                            "{name} did not complete within {} ms; call it again to keep \
                             waiting",
                            timeout.as_millis()
                        )));
                    }
                }
            }
        }
    }
}
