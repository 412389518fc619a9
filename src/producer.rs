//! The producer handle: what caller threads use.
//!
//! `send` runs on the caller's thread: it waits for the topic's metadata,
//! serializes, partitions, and appends to the accumulator (blocking at most
//! `max.block.ms` in all), then returns a [`DeliveryHandle`]. Everything else
//! happens on the sender thread started by the constructor.

use crate::accumulator::{AppendError, RecordRef};
use crate::clock::{Clock, SystemClock};
use crate::config::{PartitionerChoice, ProducerConfig};
use crate::delivery::{Callback, DeliveryHandle};
use crate::error::{DeliveryError, Error, FlushError, Refusal, SendError};
use crate::interceptor::{Interceptors, ProducerInterceptor};
use crate::metrics::{MetricsSnapshot, ProducerMetrics};
use crate::partitioner::{
    DefaultPartitioner, Partitioner, RecordView, RoundRobinPartitioner, TopicPartitions,
};
use crate::record::{PartitionInfo, ProducerRecord, RecordMetadata};
use crate::record_batch::BATCH_HEADER_SIZE;
use crate::route::{self, Route};
use crate::sender::{self, CloseRequest, Shared};
use crate::serializer::{DefaultSerializer, Serializer};
use crate::wait::Bound;
use parking_lot::Mutex;
use std::borrow::Cow;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[path = "producer_txn.rs"]
mod txn;

/// A Kafka producer. Share it between threads (`&Producer` or
/// `Arc<Producer>`): every method takes `&self` except `close`.
///
/// # Examples
///
/// ```no_run
/// use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
///
/// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer: Producer<String, String> = Producer::new(config)?;
/// // Synchronous: wait for the broker's acknowledgement.
/// let md = producer
///     .send(ProducerRecord::new("events", "hello".to_string()).key("k".to_string()))?
///     .wait()?;
/// println!("{}[{}]@{}", md.topic, md.partition, md.offset);
/// // Asynchronous: the callback runs on the sender thread.
/// producer.send_with_callback(ProducerRecord::new("events", "world".to_string()), |r| {
///     if let Err(e) = r {
///         eprintln!("failed: {e}");
///     }
/// })?;
/// producer.flush()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Producer<K: 'static = Vec<u8>, V: 'static = Vec<u8>> {
    shared: Arc<Shared>,
    wake: Arc<dyn Fn() + Send + Sync>,
    key_serializer: Box<dyn Serializer<K>>,
    value_serializer: Box<dyn Serializer<V>>,
    partitioner: Box<dyn Partitioner>,
    interceptors: Interceptors<K, V>,
    /// The clock new batches are stamped with and `close` deadlines are
    /// computed on: the sender's clock.
    clock: Arc<dyn Clock>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Names this producer's routes in its callers' threads (`crate::route`).
    route_id: u64,
}

/// Builds a [`Producer`] with custom serializers, partitioner or clock.
pub struct ProducerBuilder<K: 'static, V: 'static> {
    config: ProducerConfig,
    key_serializer: Box<dyn Serializer<K>>,
    value_serializer: Box<dyn Serializer<V>>,
    partitioner: Option<Box<dyn Partitioner>>,
    partitioner_error: Option<crate::ConfigError>,
    interceptors: Interceptors<K, V>,
    clock: Arc<dyn Clock>,
}

impl<K: 'static, V: 'static> ProducerBuilder<K, V> {
    /// Serializes keys with `s`.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// use kafka_sync::serializer::DefaultSerializer;
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// // Keys as Java's LongSerializer writes them (8 bytes, big-endian).
    /// let producer: Producer<i64, String> = Producer::builder(config)
    ///     .key_serializer(DefaultSerializer)
    ///     .build()?;
    /// producer.send(ProducerRecord::new("events", "v".to_string()).key(42))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_serializer(mut self, s: impl Serializer<K>) -> Self {
        self.key_serializer = Box::new(s);
        self
    }

    /// Serializes values with `s`.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// // Any closure `Fn(&str, &T) -> Result<Vec<u8>, Error>` serializes.
    /// let producer: Producer<String, u32> = Producer::builder_with_serializers(
    ///     config,
    ///     kafka_sync::serializer::DefaultSerializer,
    ///     |_topic: &str, v: &u32| Ok(v.to_string().into_bytes()),
    /// )
    /// .value_serializer(|_topic: &str, v: &u32| Ok(format!("{v:08}").into_bytes()))
    /// .build()?;
    /// producer.send(ProducerRecord::new("counts", 7))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn value_serializer(mut self, s: impl Serializer<V>) -> Self {
        self.value_serializer = Box::new(s);
        self
    }

    /// Partitions with the partitioner `make` builds from the configuration
    /// (custom `custom.*` properties included).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// use kafka_sync::partitioner::{Partitioner, RecordView, TopicPartitions};
    /// struct First;
    /// impl Partitioner for First {
    ///     fn partition(&self, _r: &RecordView<'_>, _p: &TopicPartitions<'_>) -> Result<i32, kafka_sync::Error> {
    ///         Ok(0)
    ///     }
    /// }
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: Producer<String, String> = Producer::builder(config).partitioner(|_| First).build()?;
    /// producer.send(ProducerRecord::new("events", "always partition 0".to_string()))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn partitioner<P: Partitioner>(mut self, make: impl FnOnce(&ProducerConfig) -> P) -> Self {
        self.partitioner = Some(Box::new(make(&self.config)));
        self
    }

    /// Like [`partitioner`](Self::partitioner) for a partitioner whose
    /// construction can fail (e.g. a missing `custom.*` property); the error
    /// is returned by [`build`](Self::build).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// use kafka_sync::partitioner::{Partitioner, RecordView, TopicPartitions};
    /// use kafka_sync::ConfigError;
    /// struct Fixed(i32);
    /// impl Partitioner for Fixed {
    ///     fn partition(&self, _r: &RecordView<'_>, _p: &TopicPartitions<'_>) -> Result<i32, kafka_sync::Error> {
    ///         Ok(self.0)
    ///     }
    /// }
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .set("custom.partition", "2")
    ///     .build()?;
    /// let producer: Producer<String, String> = Producer::builder(config)
    ///     .try_partitioner(|c| {
    ///         let p = c.custom.get("custom.partition")
    ///             .ok_or_else(|| ConfigError::new("custom.partition", "missing"))?;
    ///         p.parse().map(Fixed).map_err(|_| ConfigError::new("custom.partition", "not a number"))
    ///     })
    ///     .build()?; // the ConfigError, if any, is returned here
    /// # drop(producer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_partitioner<P: Partitioner>(
        mut self,
        make: impl FnOnce(&ProducerConfig) -> Result<P, crate::ConfigError>,
    ) -> Self {
        match make(&self.config) {
            Ok(p) => self.partitioner = Some(Box::new(p)),
            Err(e) => self.partitioner_error = Some(e),
        }
        self
    }

    /// Adds `interceptor` after those added before: each record passes
    /// through every [`ProducerInterceptor::on_send`] in that order, and
    /// every outcome through every
    /// [`on_acknowledgement`](ProducerInterceptor::on_acknowledgement).
    /// (Java's `interceptor.classes` names classes; here they are values.)
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// use kafka_sync::{Error, ProducerInterceptor, RecordMetadata};
    /// struct Stamp;
    /// impl ProducerInterceptor<String, String> for Stamp {
    ///     fn on_send(&self, record: &mut ProducerRecord<String, String>) {
    ///         record.headers.push(kafka_sync::Header::new("origin", "billing"));
    ///     }
    /// }
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: Producer<String, String> = Producer::builder(config).interceptor(Stamp).build()?;
    /// # drop(producer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn interceptor(mut self, interceptor: impl ProducerInterceptor<K, V>) -> Self {
        self.interceptors.push(interceptor);
        self
    }

    /// Uses `clock` for the producer's timing (tests): the sender thread's,
    /// and that of caller threads when they stamp a new batch (`linger.ms`
    /// and `delivery.timeout.ms` count from then) and when `close` computes
    /// its deadline. How long `send` may block (`max.block.ms`,
    /// `send_timeout`) stays real time. The producer registers its sender's
    /// waker with [`Clock::on_advance`], so a [`ManualClock`] being advanced
    /// wakes the sender at once.
    ///
    /// [`ManualClock`]: crate::clock::ManualClock
    #[doc(hidden)]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Starts the sender thread and returns the producer.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: Producer<String, String> = Producer::builder(config).build()?;
    /// # drop(producer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<Producer<K, V>, Error> {
        if let Some(e) = self.partitioner_error {
            return Err(Error::Config(e));
        }
        let config = Arc::new(self.config);
        let clock = self.clock;
        let sender::Started {
            shared,
            thread,
            wake,
        } = sender::start(config.clone(), clock.clone())?;
        let partitioner = self
            .partitioner
            .unwrap_or_else(|| match config.partitioner {
                PartitionerChoice::RoundRobin => Box::new(RoundRobinPartitioner::new(&config)),
                _ if config.partitioner_adaptive => {
                    Box::new(DefaultPartitioner::new(&config).with_load(shared.load.clone()))
                }
                _ => Box::new(DefaultPartitioner::new(&config)),
            });
        Ok(Producer {
            shared,
            wake,
            key_serializer: self.key_serializer,
            value_serializer: self.value_serializer,
            partitioner,
            interceptors: self.interceptors,
            clock,
            thread: Mutex::new(Some(thread)),
            route_id: route::producer_id(),
        })
    }
}

impl<K: 'static, V: 'static> Producer<K, V>
where
    DefaultSerializer: Serializer<K> + Serializer<V>,
{
    /// A producer with the built-in serializers and the configured partitioner.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// let config = ProducerConfig::builder()
    ///     .bootstrap_servers("localhost:9092")
    ///     .client_id("billing")
    ///     .build()?;
    /// let producer: Producer<String, String> = Producer::new(config)?;
    /// # drop(producer);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: ProducerConfig) -> Result<Self, Error> {
        Self::builder(config).build()
    }

    /// A builder starting from the built-in serializers.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// // Bytes in, bytes out (the default types).
    /// let producer: Producer = Producer::builder(config).build()?;
    /// producer.send(ProducerRecord::new("raw", b"\x00\x01".to_vec()))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(config: ProducerConfig) -> ProducerBuilder<K, V> {
        Self::builder_with_serializers(config, DefaultSerializer, DefaultSerializer)
    }
}

impl<K: 'static, V: 'static> Producer<K, V> {
    /// A builder with the given serializers (for types the built-in ones do not cover).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// struct Point { x: i32, y: i32 }
    /// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
    /// let producer: Producer<String, Point> = Producer::builder_with_serializers(
    ///     config,
    ///     kafka_sync::serializer::DefaultSerializer,
    ///     |_topic: &str, p: &Point| Ok(format!("{},{}", p.x, p.y).into_bytes()),
    /// )
    /// .build()?;
    /// producer.send(ProducerRecord::new("points", Point { x: 1, y: 2 }))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder_with_serializers(
        config: ProducerConfig,
        key: impl Serializer<K>,
        value: impl Serializer<V>,
    ) -> ProducerBuilder<K, V> {
        ProducerBuilder {
            config,
            key_serializer: Box::new(key),
            value_serializer: Box::new(value),
            partitioner: None,
            partitioner_error: None,
            interceptors: Interceptors::new(),
            clock: Arc::new(SystemClock),
        }
    }
}

/// A record's key and value bytes, borrowed where the serializer could.
type Serialized<'r> = (Option<Cow<'r, [u8]>>, Option<Cow<'r, [u8]>>);

fn now_ms() -> i64 {
    // Seconds and milliseconds apart: `as_millis` divides a u128.
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        d.as_secs() as i64 * 1000 + i64::from(d.subsec_millis())
    })
}

// `SendError` carries the refused record back to the caller by design (as
// crossbeam-channel's `SendError<T>` does), so it is as large as the record.
#[allow(clippy::result_large_err)]
impl<K: 'static, V: 'static> Producer<K, V> {
    /// Sends a record, blocking at most `max.block.ms` for metadata and
    /// buffer space. On refusal the record is handed back in the error.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let metadata = producer
    ///     .send(ProducerRecord::new("events", "hello".to_string()).key("user-1".to_string()))?
    ///     .wait()?;
    /// println!("{}[{}]@{}", metadata.topic, metadata.partition, metadata.offset);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, record: ProducerRecord<K, V>) -> Result<DeliveryHandle, SendError<K, V>> {
        let bound = Bound::timeout(self.shared.config.max_block);
        self.send_inner(record, &bound, None)
    }

    /// Like [`send`](Self::send) but never blocks: an unknown topic or a full
    /// buffer is an immediate error (the sender starts fetching the topic).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use kafka_sync::Refusal;
    /// match producer.try_send(ProducerRecord::new("events", "v".to_string())) {
    ///     Ok(handle) => drop(handle), // on its way
    ///     Err(refused) if matches!(refused.error, Refusal::BufferFull { .. }) => {
    ///         let record = refused.into_record(); // keep it, try again later
    ///         # drop(record);
    ///     }
    ///     Err(refused) => return Err(refused.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_send(
        &self,
        record: ProducerRecord<K, V>,
    ) -> Result<DeliveryHandle, SendError<K, V>> {
        self.send_inner(record, &Bound::no_wait(), None)
    }

    /// Like [`send`](Self::send) with its own bound instead of `max.block.ms`.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use std::time::Duration;
    /// let handle = producer.send_timeout(
    ///     ProducerRecord::new("events", "v".to_string()),
    ///     Duration::from_millis(100),
    /// )?;
    /// # drop(handle);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_timeout(
        &self,
        record: ProducerRecord<K, V>,
        timeout: Duration,
    ) -> Result<DeliveryHandle, SendError<K, V>> {
        self.send_inner(record, &Bound::timeout(timeout), None)
    }

    /// Like [`send`](Self::send), blocking until `deadline` at most.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// use std::time::{Duration, Instant};
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// for i in 0..100 {
    ///     producer.send_deadline(ProducerRecord::new("events", format!("v{i}")), deadline)?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_deadline(
        &self,
        record: ProducerRecord<K, V>,
        deadline: Instant,
    ) -> Result<DeliveryHandle, SendError<K, V>> {
        self.send_inner(record, &Bound::until(deadline), None)
    }

    /// Sends a record and calls `callback` once with its result, on the
    /// sender thread: keep it quick (it delays every other completion).
    /// If the record is refused here, the error is returned and the
    /// callback is dropped uncalled.
    ///
    /// The callback runs after its record's result is set (every handle of
    /// its batch is complete). It must not block on the producer: there,
    /// `DeliveryHandle::wait` on a record that is not complete returns
    /// [`DeliveryError::InCallback`] at once, [`flush`](Self::flush) returns at once
    /// without waiting, [`close`](Self::close) acts as `close(Duration::ZERO)`
    /// without joining the sender thread, and dropping the last handle of
    /// the producer closes it without joining either (the sender delivers
    /// what is left, then stops). `send` there may still block up to
    /// `max.block.ms` for buffer memory that only the sender thread frees:
    /// prefer `try_send`. A callback that panics is caught and logged; the
    /// other records and callbacks are not affected.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// producer.send_with_callback(ProducerRecord::new("events", "v".to_string()), |result| {
    ///     match result {
    ///         Ok(md) => println!("written at offset {}", md.offset),
    ///         Err(e) => eprintln!("failed (maybe written: {}): {e}", e.may_have_persisted()),
    ///     }
    /// })?;
    /// producer.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_with_callback(
        &self,
        record: ProducerRecord<K, V>,
        callback: impl FnOnce(Result<RecordMetadata, DeliveryError>) + Send + 'static,
    ) -> Result<(), SendError<K, V>> {
        let bound = Bound::timeout(self.shared.config.max_block);
        self.send_inner(record, &bound, Some(Box::new(callback)))
            .map(drop)
    }

    /// Like [`send_with_callback`](Self::send_with_callback), delivering
    /// the outcome as `(tag, result)` on a crossbeam channel instead, so
    /// one thread can `select!` over the outcomes of many records and other
    /// channels. A disconnected receiver drops the outcome (the record is
    /// still delivered).
    ///
    /// ```no_run
    /// use crossbeam_channel::{select, unbounded};
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # use std::time::Duration;
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build().unwrap()).unwrap();
    /// let (done_tx, done_rx) = unbounded();
    /// let (stop_tx, stop_rx) = unbounded::<()>();
    /// for i in 0..100u32 {
    ///     producer.send_with_channel(ProducerRecord::new("events", format!("v{i}")), i, &done_tx)?;
    /// }
    /// # drop(stop_tx);
    /// let mut left = 100;
    /// while left > 0 {
    ///     select! {
    ///         recv(done_rx) -> done => {
    ///             let (i, result) = done?;
    ///             if let Err(e) = result { eprintln!("record {i} failed: {e}"); }
    ///             left -= 1;
    ///         }
    ///         recv(stop_rx) -> _ => break,
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_with_channel<T: Send + 'static>(
        &self,
        record: ProducerRecord<K, V>,
        tag: T,
        channel: &crossbeam_channel::Sender<(T, Result<RecordMetadata, DeliveryError>)>,
    ) -> Result<(), SendError<K, V>> {
        let tx = channel.clone();
        self.send_with_callback(record, move |result| {
            let _ = tx.send((tag, result));
        })
    }

    /// Sends a record whose key and value are bytes borrowed for any
    /// lifetime (a buffer the caller reuses, a slice of a larger message):
    /// they are copied into the batch before `send_bytes` returns, so the
    /// hot path neither allocates nor serializes. The producer's
    /// serializers are not used, nor its interceptors' `on_send` (they are
    /// typed for `K` and `V`); their `on_acknowledgement` is. Waits like
    /// [`send`](Self::send) (`max.block.ms`).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord, Topic};
    /// # let producer: Producer = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// const EVENTS: Topic = Topic::from_static("events");
    /// let mut buf = Vec::with_capacity(256);
    /// for i in 0..1000u32 {
    ///     buf.clear();
    ///     buf.extend_from_slice(format!("event {i}").as_bytes());
    ///     // The refusal without the borrowed record, for `?` into a 'static error.
    ///     producer
    ///         .send_bytes(ProducerRecord::new(EVENTS, &buf[..]).key(&b"user-7"[..]))
    ///         .map_err(|refused| refused.error)?;
    /// }
    /// producer.flush()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_bytes<'a>(
        &self,
        record: ProducerRecord<&'a [u8], &'a [u8]>,
    ) -> Result<DeliveryHandle, SendError<&'a [u8], &'a [u8]>> {
        let bound = Bound::timeout(self.shared.config.max_block);
        let callback = self.interceptors.wrap(None);
        let (key, value) = (record.key, record.value);
        let borrowed = move |_: &str| Ok((key.map(Cow::Borrowed), value.map(Cow::Borrowed)));
        match self.append(&record, borrowed, &bound, callback) {
            Ok(handle) => Ok(handle),
            Err(error) => Err(self.refuse(error, record)),
        }
    }

    /// A refused record back to its caller, the refusal seen by the
    /// interceptors first.
    fn refuse<RK, RV>(&self, error: Error, record: ProducerRecord<RK, RV>) -> SendError<RK, RV> {
        if !self.interceptors.is_empty() {
            self.interceptors.acknowledge(Err(&error));
        }
        SendError {
            error: Refusal::from_internal(error),
            record,
        }
    }

    fn send_inner(
        &self,
        mut record: ProducerRecord<K, V>,
        bound: &Bound,
        callback: Option<Callback>,
    ) -> Result<DeliveryHandle, SendError<K, V>> {
        self.interceptors.on_send(&mut record);
        let callback = self.interceptors.wrap(callback);
        let serialize = |topic: &str| -> Result<Serialized<'_>, Error> {
            let key = match &record.key {
                Some(k) => Some(self.key_serializer.serialize(topic, k)?),
                None => None,
            };
            let value = match &record.value {
                Some(v) => Some(self.value_serializer.serialize(topic, v)?),
                None => None,
            };
            Ok((key, value))
        };
        // One call site, so that `append` stays inlined.
        match self.append(&record, serialize, bound, callback) {
            Ok(handle) => Ok(handle),
            Err(error) => Err(self.refuse(error, record)),
        }
    }

    /// Appends `record`, whose key and value bytes `serialize` gives for
    /// its topic once the topic's metadata is known.
    fn append<'r, RK, RV>(
        &self,
        record: &'r ProducerRecord<RK, RV>,
        serialize: impl FnOnce(&str) -> Result<Serialized<'r>, Error>,
        bound: &Bound,
        callback: Option<Callback>,
    ) -> Result<DeliveryHandle, Error> {
        if self
            .shared
            .has_fatal
            .load(std::sync::atomic::Ordering::Acquire)
        {
            if let Some(e) = self.shared.fatal.lock().clone() {
                return Err(e);
            }
        }
        if self.shared.acc.is_closed() {
            return Err(Error::Closed {
                may_have_persisted: false,
            });
        }
        self.check_transaction_for_send()?;
        for forgotten in self.shared.cluster.take_forgotten() {
            self.partitioner.forget_topic(&forgotten);
        }
        let topic = &record.topic;
        // The changes are counted before the lookup they stamp.
        let stamp = (self.shared.cluster.changes(), self.shared.acc.changes());
        let route = match route::take(self.route_id, stamp, topic) {
            Some(route) => route,
            None => {
                // The clock is read for the bound only when the topic is unknown.
                let meta = match self.shared.cluster.topic(topic) {
                    Some(meta) => meta,
                    None => self.shared.cluster.wait_for_topic(
                        topic,
                        bound.started(),
                        bound.deadline(),
                        &*self.wake,
                    )?,
                };
                let queues = self.shared.acc.queues(topic, meta.partitions.len() as i32);
                Route::new(self.route_id, stamp, topic, meta, queues)
            }
        };
        let appended = self.append_routed(record, serialize, bound, callback, &route);
        route::keep(route);
        appended
    }

    /// `append` once the topic's route is known.
    fn append_routed<'r, RK, RV>(
        &self,
        record: &'r ProducerRecord<RK, RV>,
        serialize: impl FnOnce(&str) -> Result<Serialized<'r>, Error>,
        bound: &Bound,
        callback: Option<Callback>,
        route: &Route,
    ) -> Result<DeliveryHandle, Error> {
        let cfg = &self.shared.config;
        let topic = &record.topic;
        let meta = &route.meta;
        let (key, value) = serialize(topic)?;
        let count = meta.partitions.len() as i32;
        let partition = match record.partition {
            Some(p) if (0..count).contains(&p) => p,
            Some(p) => {
                return Err(Error::InvalidPartition {
                    topic: topic.to_string(),
                    partition: p,
                    partitions: count,
                })
            }
            None => {
                let view = RecordView {
                    topic,
                    key: key.as_deref(),
                    value: value.as_deref(),
                };
                let parts = TopicPartitions {
                    count,
                    available: &meta.available,
                };
                let p = self.partitioner.partition(&view, &parts)?;
                if !(0..count).contains(&p) {
                    return Err(Error::Partitioner(format!(
                        "partitioner chose partition {p} of a topic with {count}"
                    )));
                }
                p
            }
        };
        let timestamp = record.timestamp.unwrap_or_else(now_ms);
        let rec = RecordRef::new(timestamp, key.as_deref(), value.as_deref(), &record.headers);
        let size = rec.size + BATCH_HEADER_SIZE;
        for (max, property) in [
            (cfg.max_request_size, "max.request.size"),
            (cfg.buffer_memory, "buffer.memory"),
        ] {
            if size > max {
                return Err(Error::RecordTooLarge {
                    size,
                    max,
                    property,
                });
            }
        }
        let appended = self
            .shared
            .acc
            // A new batch is stamped on the sender's clock (`linger.ms`,
            // `delivery.timeout.ms` count on it).
            .append_to(
                &route.queues,
                partition,
                &rec,
                bound,
                &*self.clock,
                callback,
            )
            .map_err(|e| match e {
                AppendError::BufferFull => Error::BufferFull {
                    waited: bound.waited(),
                },
                AppendError::Closed => Error::Closed {
                    may_have_persisted: false,
                },
            })?;
        if appended.new_batch || appended.batch_full {
            (self.wake)();
        }
        Ok(DeliveryHandle {
            batch: appended.result,
            info: appended.info,
        })
    }
}

impl<K: 'static, V: 'static> Producer<K, V> {
    /// Sends everything accepted so far now (ignoring `linger.ms`) and blocks
    /// until each of those records has completed, successfully or not, and
    /// its callback (if any) has run. The records' own results are in their
    /// handles and callbacks; `flush` itself fails only when it cannot wait.
    ///
    /// # Errors
    ///
    /// [`Error::InCallback`] at once, without waiting, when called from a
    /// delivery callback (on a sender thread, of this or any producer):
    /// waiting there would deadlock, as the Java client's `flush` refuses
    /// too. The records are not affected.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// for i in 0..1000 {
    ///     producer.send(ProducerRecord::new("events", format!("v{i}")))?;
    /// }
    /// producer.flush()?; // every record above is now written or failed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<(), Error> {
        self.flush_until(None).map_err(|_| Error::InCallback {
            operation: "flush the producer",
        })
    }

    /// Like [`flush`](Self::flush), waiting at most `timeout` (real time;
    /// `Duration::MAX`: no bound). The records still incomplete then go on.
    ///
    /// ```no_run
    /// # use kafka_sync::{FlushError, Producer, ProducerConfig, ProducerRecord};
    /// # use std::time::Duration;
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build().unwrap()).unwrap();
    /// producer.send(ProducerRecord::new("events", "v".to_string()))?;
    /// match producer.flush_timeout(Duration::from_secs(2)) {
    ///     Ok(()) => println!("everything sent so far is complete"),
    ///     Err(FlushError::TimedOut { incomplete_batches }) => {
    ///         eprintln!("{incomplete_batches} batches still on their way")
    ///     }
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`FlushError::TimedOut`] with the number of batches not complete;
    /// [`FlushError::InCallback`] at once in a delivery callback.
    pub fn flush_timeout(&self, timeout: Duration) -> Result<(), FlushError> {
        self.flush_until(Instant::now().checked_add(timeout))
    }

    /// `flush` with a bound (`None`: none); the timed-out error counts the
    /// batches still incomplete.
    fn flush_until(&self, deadline: Option<Instant>) -> Result<(), FlushError> {
        if sender::on_sender_thread() {
            log::warn!(
                "{}flush called from a delivery callback: refused (it would deadlock)",
                self.shared.config.log_context()
            );
            return Err(FlushError::InCallback);
        }
        let pending = self.shared.acc.begin_flush();
        (self.wake)();
        let mut incomplete_batches = 0;
        for batch in &pending {
            if !batch.wait_all(deadline) {
                incomplete_batches += 1;
            }
        }
        self.shared.acc.end_flush();
        match incomplete_batches {
            0 => Ok(()),
            n => Err(FlushError::TimedOut {
                incomplete_batches: n,
            }),
        }
    }

    /// The partitions of `topic`, waiting at most `max.block.ms` for metadata.
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// for p in producer.partitions_for("events")? {
    ///     println!("partition {} led by {:?}", p.partition, p.leader);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn partitions_for(&self, topic: &str) -> Result<Vec<PartitionInfo>, Error> {
        let started = Instant::now();
        let deadline = started.checked_add(self.shared.config.max_block);
        let meta = self
            .shared
            .cluster
            .wait_for_topic(topic, started, deadline, &*self.wake)?;
        Ok(meta
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| PartitionInfo {
                topic: topic.to_owned(),
                partition: i as i32,
                leader: p.leader,
                replicas: p.replicas.clone(),
                in_sync_replicas: p.isr.clone(),
            })
            .collect())
    }

    /// A snapshot of the producer's plain counters (since it started).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # let producer: Producer<String, String> = Producer::new(
    /// #     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?;
    /// let c = producer.counters();
    /// println!("{} records sent, {} failed", c.records_sent, c.records_failed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn counters(&self) -> MetricsSnapshot {
        let acc = &self.shared.acc;
        self.shared
            .metrics
            .snapshot(acc.pool.used(), acc.pool.total())
    }

    /// Every metric the Java producer keeps, by its Java group, name and
    /// tags (see [`metrics`](crate::metrics) for the list and their units).
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig};
    /// # let producer: Producer = Producer::new(ProducerConfig::builder()
    /// #     .bootstrap_servers("localhost:9092").build()?)?;
    /// let m = producer.metrics();
    /// let rate = m.get("producer-metrics", "record-send-rate").unwrap_or(0.0);
    /// println!("{rate:.0} records/s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metrics(&self) -> ProducerMetrics {
        ProducerMetrics::new(self.shared.collect_metrics(self.clock.now()))
    }

    /// Stops accepting records, sends what is buffered, and waits at most
    /// `timeout` (on the producer's clock; `Duration::MAX` or any timeout
    /// too large for an `Instant`: no bound) for it to complete; what is
    /// still incomplete then fails with [`DeliveryError::Closed`]. Stops the sender
    /// thread.
    ///
    /// `close(Duration::ZERO)` is the Java client's forced close: nothing
    /// more is written, records not sent yet fail at once with
    /// `Closed { may_have_persisted: false }` (records in flight with
    /// `may_have_persisted: true`), and it returns at once. From a delivery
    /// callback (on this producer's sender thread) any `close` is
    /// `close(Duration::ZERO)` and does not join the thread, which stops
    /// by itself once the callback returns.
    ///
    /// It takes `&self`, so a producer shared in an `Arc` can be closed by
    /// any holder; later calls (and the final drop) do nothing, and `send`
    /// refuses records with [`Refusal::Closed`].
    ///
    /// ```no_run
    /// # use kafka_sync::{Producer, ProducerConfig, ProducerRecord};
    /// # use std::{sync::Arc, time::Duration};
    /// let producer: Arc<Producer<String, String>> = Arc::new(Producer::new(
    ///     ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?)?);
    /// let p = producer.clone();
    /// std::thread::spawn(move || p.send(ProducerRecord::new("events", "v".to_string())))
    ///     .join()
    ///     .unwrap()?;
    /// producer.close(Duration::from_secs(10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&self, timeout: Duration) {
        let deadline = self.clock.now().checked_add(timeout);
        self.close_inner(deadline, timeout.is_zero(), true);
    }

    /// `immediately`: fail what is left now. `explicit`: `close` rather
    /// than `drop`.
    fn close_inner(&self, deadline: Option<Instant>, immediately: bool, explicit: bool) {
        let Some(thread) = self.thread.lock().take() else {
            return;
        };
        // On the sender thread itself (a callback closing or dropping the
        // producer): joining would wait for ourselves.
        let own_thread = thread.thread().id() == std::thread::current().id();
        self.shared.acc.close();
        *self.shared.close.lock() = Some(CloseRequest {
            deadline,
            immediately: immediately || (own_thread && explicit),
        });
        (self.wake)();
        if own_thread {
            log::debug!(
                "{}producer closed from a delivery callback: the sender thread stops by itself",
                self.shared.config.log_context()
            );
            return;
        }
        if thread.join().is_err() {
            log::error!(
                "{}the sender thread panicked",
                self.shared.config.log_context()
            );
        }
        self.interceptors.close();
    }
}

impl<K: 'static, V: 'static> Drop for Producer<K, V> {
    /// Closes the producer unless [`close`](Producer::close) did: waits at
    /// most `delivery.timeout.ms` (the longest any record may take) for
    /// every buffered record to complete. Dropped in a delivery callback
    /// (the last handle was there), it does not wait: the sender thread
    /// delivers what is left and then stops by itself.
    fn drop(&mut self) {
        let deadline = self
            .clock
            .now()
            .checked_add(self.shared.config.delivery_timeout);
        self.close_inner(deadline, false, false);
    }
}

impl<K: 'static, V: 'static> std::fmt::Debug for Producer<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("client_id", &self.shared.config.client_id)
            .finish_non_exhaustive()
    }
}
