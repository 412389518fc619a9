//! Producer interceptors: code that sees every record on its way in and
//! every outcome on its way out, without touching the call sites (tracing
//! headers, auditing, counting), as the Java client's `ProducerInterceptor`.
//!
//! Java configures them by class name (`interceptor.classes`); a Rust
//! program has no classes to load, so they are values given to
//! [`ProducerBuilder::interceptor`](crate::ProducerBuilder::interceptor),
//! and the property is accepted but only warned about.

use crate::delivery::Callback;
use crate::error::{DeliveryError, Error};
use crate::record::{ProducerRecord, RecordMetadata};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Sees each record before it is serialized and each record's outcome.
///
/// Several interceptors run in the order they were added. A panic in either
/// method is caught and logged: the record goes on as the interceptor left
/// it, and the other interceptors, callbacks and records are not affected.
///
/// # Examples
///
/// ```no_run
/// use kafka_sync::{Error, Header, Producer, ProducerConfig, ProducerInterceptor,
///                  ProducerRecord, RecordMetadata};
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// #[derive(Default)]
/// struct Trace { failed: AtomicU64 }
///
/// impl ProducerInterceptor<String, String> for Trace {
///     fn on_send(&self, record: &mut ProducerRecord<String, String>) {
///         record.headers.push(Header::new("trace-id", b"4bf92f35".to_vec()));
///     }
///     fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
///         if result.is_err() {
///             self.failed.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let config = ProducerConfig::builder().bootstrap_servers("localhost:9092").build()?;
/// let producer: Producer<String, String> = Producer::builder(config)
///     .interceptor(Trace::default())
///     .build()?;
/// producer.send(ProducerRecord::new("events", "hello".to_string()))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ProducerInterceptor<K, V>: Send + Sync + 'static {
    /// Called in `send` (on the caller's thread) before the key and value
    /// are serialized and the partition is chosen; it may change anything
    /// in the record. The default does nothing.
    fn on_send(&self, record: &mut ProducerRecord<K, V>) {
        let _ = record;
    }

    /// Called once per record sent: with its metadata when the broker
    /// acknowledged it, or with the error that failed it, before the
    /// record's callback runs (a waiting handle may return a moment
    /// before, as it does before callbacks; `flush` returns after both).
    /// It runs on the
    /// sender thread (keep it cheap: every broker waits while it runs),
    /// except for a record `send` refused, whose error it sees on the
    /// caller's thread before `send` returns. The default does nothing.
    fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
        let _ = result;
    }

    /// Called once when the producer is closed or dropped, after every
    /// record completed (not when a delivery callback closes or drops the
    /// producer: the sender thread is still finishing then). The default
    /// does nothing.
    fn close(&self) {}
}

/// An interceptor's `on_acknowledgement`, apart from the record types, so
/// that the callbacks carrying it are `'static` even when the producer's
/// records borrow their keys and values.
type Ack = Arc<dyn Fn(Result<&RecordMetadata, &Error>) + Send + Sync>;

/// The interceptors of one producer, in order.
pub(crate) struct Interceptors<K, V> {
    list: Vec<Arc<dyn ProducerInterceptor<K, V>>>,
    acks: Arc<[Ack]>,
}

impl<K: 'static, V: 'static> Interceptors<K, V> {
    pub(crate) fn new() -> Self {
        Interceptors {
            list: Vec::new(),
            acks: Arc::new([]),
        }
    }

    /// Adds `interceptor` after the others.
    pub(crate) fn push<I: ProducerInterceptor<K, V>>(&mut self, interceptor: I) {
        let interceptor = Arc::new(interceptor);
        let acker = interceptor.clone();
        let ack: Ack = Arc::new(move |result| acker.on_acknowledgement(result));
        let mut acks = self.acks.to_vec();
        acks.push(ack);
        self.acks = acks.into();
        self.list.push(interceptor);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every `on_send`, in order.
    pub(crate) fn on_send(&self, record: &mut ProducerRecord<K, V>) {
        for (i, interceptor) in self.list.iter().enumerate() {
            if catch_unwind(AssertUnwindSafe(|| interceptor.on_send(record))).is_err() {
                log::warn!(
                    "interceptor {i} panicked in on_send; the record goes on as it was left"
                );
            }
        }
    }

    /// Every `on_acknowledgement`, in order.
    pub(crate) fn acknowledge(&self, result: Result<&RecordMetadata, &Error>) {
        acknowledge(&self.acks, result);
    }

    /// `callback` preceded by every `on_acknowledgement` (`None` stays
    /// `None` when there are no interceptors).
    pub(crate) fn wrap(&self, callback: Option<Callback>) -> Option<Callback> {
        if self.list.is_empty() {
            return callback;
        }
        let acks = self.acks.clone();
        Some(Box::new(
            move |result: Result<RecordMetadata, DeliveryError>| {
                match &result {
                    Ok(md) => acknowledge(&acks, Ok(md)),
                    Err(e) => acknowledge(&acks, Err(&Error::from(e.clone()))),
                }
                if let Some(cb) = callback {
                    cb(result);
                }
            },
        ))
    }

    /// Every `close`, in order.
    pub(crate) fn close(&self) {
        for (i, interceptor) in self.list.iter().enumerate() {
            if catch_unwind(AssertUnwindSafe(|| interceptor.close())).is_err() {
                log::warn!("interceptor {i} panicked in close");
            }
        }
    }
}

fn acknowledge(acks: &[Ack], result: Result<&RecordMetadata, &Error>) {
    for (i, ack) in acks.iter().enumerate() {
        if catch_unwind(AssertUnwindSafe(|| ack(result))).is_err() {
            log::warn!("interceptor {i} panicked in on_acknowledgement");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    struct Tag(&'static str, Arc<Log>);

    impl ProducerInterceptor<String, String> for Tag {
        fn on_send(&self, record: &mut ProducerRecord<String, String>) {
            if self.0 == "boom" {
                panic!("on_send");
            }
            let v = record.value.take().unwrap_or_default();
            record.value = Some(format!("{v}+{}", self.0));
        }
        fn on_acknowledgement(&self, result: Result<&RecordMetadata, &Error>) {
            if self.0 == "boom" {
                panic!("on_acknowledgement");
            }
            let what = if result.is_ok() { "ok" } else { "err" };
            self.1 .0.lock().unwrap().push(format!("{}:{what}", self.0));
        }
    }

    fn chain(names: &[&'static str]) -> (Interceptors<String, String>, Arc<Log>) {
        let log = Arc::new(Log::default());
        let mut chain = Interceptors::new();
        for n in names {
            chain.push(Tag(n, log.clone()));
        }
        (chain, log)
    }

    #[test]
    fn on_send_runs_in_order_and_a_panic_skips_only_that_interceptor() {
        let (chain, _) = chain(&["a", "boom", "b"]);
        let mut rec = ProducerRecord::new("t", "v".to_string());
        chain.on_send(&mut rec);
        assert_eq!(rec.value.as_deref(), Some("v+a+b"));
    }

    #[test]
    fn the_wrapped_callback_acknowledges_in_order_then_calls_back() {
        let (chain, log) = chain(&["a", "boom", "b"]);
        let seen = Arc::new(Mutex::new(None));
        let s = seen.clone();
        let cb: Callback = Box::new(move |r| *s.lock().unwrap() = Some(r.is_err()));
        let wrapped = chain.wrap(Some(cb)).expect("wrapped");
        wrapped(Err(DeliveryError::Closed {
            may_have_persisted: false,
        }));
        assert_eq!(*log.0.lock().unwrap(), ["a:err", "b:err"]);
        assert_eq!(*seen.lock().unwrap(), Some(true));
    }

    #[test]
    fn no_interceptors_add_no_callback() {
        let (chain, _) = chain(&[]);
        assert!(chain.is_empty());
        assert!(chain.wrap(None).is_none());
    }
}
