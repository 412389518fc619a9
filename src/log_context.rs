//! The prefix of every log line of one producer, as the Java client's
//! `LogContext`: `[Producer clientId=<id>] `, or
//! `[Producer clientId=<id>, transactionalId=<tid>] ` when transactional.
//!
//! Built once from the configuration and held (shared, not copied) by the
//! sender, its network and the producer handle, which log with
//! `log::info!("{}...", self.log, ...)`. Levels, as the Java client's:
//! `error` for what fails the producer or a connection for good
//! (authentication), `warn` for failed connection attempts and retries,
//! `info` for state changes (a connection lost, a new producer id or epoch,
//! a cluster id, a changed partition count, a split batch), `debug` for the
//! ordinary course (connections established, leaders moving), and `trace`
//! for anything per request; nothing per record logs above `trace`.

use std::fmt;
use std::sync::Arc;

/// A producer's log line prefix (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LogContext(Arc<str>);

impl LogContext {
    /// The prefix for `client_id` (and `transactional_id`).
    pub(crate) fn new(client_id: &str, transactional_id: Option<&str>) -> Self {
        let prefix = match transactional_id {
            Some(t) => format!("[Producer clientId={client_id}, transactionalId={t}] "),
            None => format!("[Producer clientId={client_id}] "),
        };
        LogContext(prefix.into())
    }
}

thread_local! {
    /// The context of the producer whose sender runs on this thread.
    static CURRENT: std::cell::RefCell<LogContext> = std::cell::RefCell::default();
}

impl LogContext {
    /// Makes this the context of the current thread (a sender thread), for
    /// code that logs without a producer at hand (delivery callbacks).
    pub(crate) fn set_current(&self) {
        CURRENT.with(|c| *c.borrow_mut() = self.clone());
    }

    /// The current thread's context (empty off a sender thread).
    pub(crate) fn current() -> LogContext {
        CURRENT.with(|c| c.borrow().clone())
    }
}

impl fmt::Display for LogContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::LogContext;

    #[test]
    fn prefixes_as_java() {
        let plain = LogContext::new("producer-1", None);
        assert_eq!(plain.to_string(), "[Producer clientId=producer-1] ");
        let txn = LogContext::new("producer-tx", Some("tx"));
        assert_eq!(
            txn.to_string(),
            "[Producer clientId=producer-tx, transactionalId=tx] "
        );
    }
}
