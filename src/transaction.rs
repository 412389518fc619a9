//! Transactions: the types of the transactional API of [`Producer`]
//! (`init_transactions`, `begin_transaction`, `send_offsets_to_transaction`,
//! `commit_transaction`, `abort_transaction`, named after the Java
//! client's methods).
//!
//! A [`TransactionError`] says what the caller should do next, as KIP-1050
//! classifies errors: call the same method again ([`Retriable`]), abort the
//! transaction and carry on ([`Abortable`]), or close the producer
//! ([`Fatal`]). A call that does not fit the transaction's state (begin
//! twice, commit without begin) is [`InvalidState`] and changes nothing.
//!
//! [`Producer`]: crate::Producer
//! [`Retriable`]: TransactionErrorKind::Retriable
//! [`Abortable`]: TransactionErrorKind::Abortable
//! [`Fatal`]: TransactionErrorKind::Fatal
//! [`InvalidState`]: TransactionErrorKind::InvalidState

use crate::protocol::ErrorCode;
use std::fmt;

/// What the caller of a transactional method should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionErrorKind {
    /// Nothing was decided yet (e.g. the timeout passed while the broker
    /// was still working): call the same method again.
    Retriable,
    /// The current transaction cannot commit: call `abort_transaction`,
    /// then start a new one.
    Abortable,
    /// The producer cannot go on (fenced by a newer instance with the same
    /// `transactional.id`, not authorized, unsupported by the broker):
    /// close it.
    Fatal,
    /// The call does not fit the transaction's state (a programming
    /// error): nothing changed.
    InvalidState,
}

impl fmt::Display for TransactionErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransactionErrorKind::Retriable => "retriable",
            TransactionErrorKind::Abortable => "abortable",
            TransactionErrorKind::Fatal => "fatal",
            TransactionErrorKind::InvalidState => "invalid state",
        })
    }
}

/// Why a transactional call failed, and what to do about it
/// ([`kind`](Self::kind)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionError {
    kind: TransactionErrorKind,
    code: Option<ErrorCode>,
    message: String,
}

impl TransactionError {
    pub(crate) fn new(kind: TransactionErrorKind, message: impl Into<String>) -> Self {
        TransactionError {
            kind,
            code: None,
            message: message.into(),
        }
    }

    pub(crate) fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code);
        self
    }

    pub(crate) fn retriable(message: impl Into<String>) -> Self {
        Self::new(TransactionErrorKind::Retriable, message)
    }

    pub(crate) fn abortable(message: impl Into<String>) -> Self {
        Self::new(TransactionErrorKind::Abortable, message)
    }

    pub(crate) fn fatal(message: impl Into<String>) -> Self {
        Self::new(TransactionErrorKind::Fatal, message)
    }

    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(TransactionErrorKind::InvalidState, message)
    }

    /// What to do next.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").transactional_id("t").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     use kafka_sync::TransactionErrorKind;
    ///     match e.kind() {
    ///         TransactionErrorKind::Abortable => producer.abort_transaction(Duration::from_secs(30))?,
    ///         _ => return Err(e.into()),
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> TransactionErrorKind {
        self.kind
    }

    /// Whether calling the same method again may succeed.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").transactional_id("t").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     if e.is_retriable() {
    ///         producer.commit_transaction(Duration::from_secs(30))?; // the same call again
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_retriable(&self) -> bool {
        self.kind == TransactionErrorKind::Retriable
    }

    /// Whether the transaction must be aborted (the producer stays usable).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").transactional_id("t").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     if e.is_abortable() {
    ///         producer.abort_transaction(Duration::from_secs(30))?;
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_abortable(&self) -> bool {
        self.kind == TransactionErrorKind::Abortable
    }

    /// Whether the producer must be closed.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").transactional_id("t").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     if e.is_fatal() {
    ///         eprintln!("this producer is done (e.g. fenced): {e}");
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_fatal(&self) -> bool {
        self.kind == TransactionErrorKind::Fatal
    }

    /// The broker's error code behind it, if there was one.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").transactional_id("t").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     println!("broker error code: {:?}", e.code());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn code(&self) -> Option<ErrorCode> {
        self.code
    }

    /// What happened.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").transactional_id("t").build()?)?;
    /// use std::time::Duration;
    /// producer.begin_transaction()?;
    /// producer.send(ProducerRecord::new("ledger", "entry".to_string()))?;
    /// if let Err(e) = producer.commit_transaction(Duration::from_secs(30)) {
    ///     println!("why: {}", e.message());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} transaction error: {}", self.kind, self.message)?;
        if let Some(code) = self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransactionError {}

/// The consumer group whose offsets `send_offsets_to_transaction` commits
/// with the transaction, as any consumer library can describe it: the
/// group id, and (to let the group coordinator fence zombie members,
/// KIP-447) the member's generation, member id and static instance id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    group_id: String,
    generation_id: i32,
    member_id: String,
    group_instance_id: Option<String>,
}

impl ConsumerGroupMetadata {
    /// A group known only by its id (generation -1, no member id): the
    /// coordinator then does not check the membership.
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// let group = ConsumerGroupMetadata::new("copier");
    /// assert_eq!(group.group(), "copier");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(group_id: impl Into<String>) -> Self {
        ConsumerGroupMetadata {
            group_id: group_id.into(),
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }

    /// The member's generation.
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// let group = ConsumerGroupMetadata::new("copier").generation_id(5);
    /// assert_eq!(group.generation(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generation_id(mut self, generation_id: i32) -> Self {
        self.generation_id = generation_id;
        self
    }

    /// The member id the coordinator gave the consumer.
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// let group = ConsumerGroupMetadata::new("copier").member_id("m-1");
    /// assert_eq!(group.member(), "m-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn member_id(mut self, member_id: impl Into<String>) -> Self {
        self.member_id = member_id.into();
        self
    }

    /// The static membership id (`group.instance.id`), if any.
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// let group = ConsumerGroupMetadata::new("copier").group_instance_id(Some("host-a".into()));
    /// assert_eq!(group.instance(), Some("host-a"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn group_instance_id(mut self, id: Option<String>) -> Self {
        self.group_instance_id = id;
        self
    }

    /// The group id.
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// assert_eq!(ConsumerGroupMetadata::new("copier").group(), "copier");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn group(&self) -> &str {
        &self.group_id
    }

    /// The generation (-1 if not known).
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// // -1 until a consumer's generation is given.
    /// assert_eq!(ConsumerGroupMetadata::new("copier").generation(), -1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generation(&self) -> i32 {
        self.generation_id
    }

    /// The member id (empty if not known).
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// assert_eq!(ConsumerGroupMetadata::new("copier").member(), "");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn member(&self) -> &str {
        &self.member_id
    }

    /// The static membership id.
    ///
    /// ```
    /// use kafka_sync::ConsumerGroupMetadata;
    /// assert_eq!(ConsumerGroupMetadata::new("copier").instance(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn instance(&self) -> Option<&str> {
        self.group_instance_id.as_deref()
    }
}
