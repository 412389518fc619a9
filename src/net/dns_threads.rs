//! The resolver threads of a [`MioNetwork`](super::MioNetwork): lookups go
//! in over one channel, answers come back over another and wake the poll.
//!
//! # Implementation notes
//!
//! - Threads (`kafka-sync-dns-<client.id>`) are started on demand, when a
//!   lookup is queued and no thread is idle, up to [`MAX_THREADS`]; so a
//!   lookup waits behind another only when that many hang at once. A
//!   network whose hosts are all IP literals starts none.
//! - `available` counts idle threads minus queued lookups no thread was
//!   counted for: queueing takes one, a thread gives one back when it is
//!   done with a lookup, and a new thread gives one. A lookup queued while
//!   `available` was positive therefore has an idle thread waiting for it.
//! - Idle threads block on the job channel; dropping [`DnsThreads`] (with the
//!   network) closes it and they end. A thread inside a hanging lookup ends
//!   when the lookup returns (its answer goes nowhere).
//! - A lookup cancelled before a thread takes it (its node's address
//!   changed) is skipped. A panicking lookup function is an error answer,
//!   so its node is never left waiting.

use super::resolver::Resolver;
use super::NodeId;
use crate::log_context::LogContext;
use crossbeam_channel::{unbounded, Receiver, Sender};
use mio::Waker;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::Arc;
use std::thread;

/// Most resolver threads of one network.
pub(crate) const MAX_THREADS: usize = 8;

/// One queued lookup.
struct Job {
    node: NodeId,
    ticket: u64,
    host: String,
    port: u16,
    canonical: bool,
    cancelled: Arc<AtomicBool>,
}

/// The outcome of one lookup: addresses (never empty) or why not.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The node that asked.
    pub node: NodeId,
    /// The ticket [`DnsThreads::submit`] returned.
    pub ticket: u64,
    /// The addresses to try in turn, or a reason for logs.
    pub result: Result<Vec<SocketAddr>, String>,
}

/// A lookup not answered yet, as its node keeps it.
#[derive(Debug)]
pub(crate) struct Pending {
    /// Matches the [`Answer`].
    pub ticket: u64,
    cancelled: Arc<AtomicBool>,
}

impl Pending {
    /// The answer is no longer wanted; a thread that has not started the
    /// lookup skips it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// The resolver threads and their channels (owned by the sender thread).
#[derive(Debug)]
pub(crate) struct DnsThreads {
    resolver: Resolver,
    waker: Arc<Waker>,
    name: String,
    /// The producer's log prefix.
    log: LogContext,
    jobs: Sender<Job>,
    queue: Receiver<Job>,
    answer_tx: Sender<Answer>,
    answers: Receiver<Answer>,
    available: Arc<AtomicIsize>,
    threads: usize,
    next_ticket: u64,
}

impl DnsThreads {
    /// No threads yet; answers will wake `waker`.
    pub fn new(resolver: Resolver, waker: Arc<Waker>, client_id: &str, log: LogContext) -> Self {
        let (jobs, queue) = unbounded();
        let (answer_tx, answers) = unbounded();
        DnsThreads {
            resolver,
            waker,
            name: format!("kafka-sync-dns-{client_id}"),
            log,
            jobs,
            queue,
            answer_tx,
            answers,
            available: Arc::new(AtomicIsize::new(0)),
            threads: 0,
            next_ticket: 0,
        }
    }

    /// Queues a lookup of `host:port` (canonical: through the canonical
    /// names of its addresses) for `node`, starting a thread if none is idle.
    pub fn submit(&mut self, node: NodeId, host: &str, port: u16, canonical: bool) -> Pending {
        let idle = self.available.fetch_sub(1, Ordering::AcqRel);
        if idle <= 0 && self.threads < MAX_THREADS {
            match self.spawn() {
                Ok(()) => {
                    self.threads += 1;
                    self.available.fetch_add(1, Ordering::AcqRel);
                }
                Err(e) => log::warn!("{}cannot start a resolver thread: {e}", self.log),
            }
        }
        self.next_ticket += 1;
        let cancelled = Arc::new(AtomicBool::new(false));
        let job = Job {
            node,
            ticket: self.next_ticket,
            host: host.to_owned(),
            port,
            canonical,
            cancelled: cancelled.clone(),
        };
        // Cannot fail: `self.queue` keeps the channel open.
        let _ = self.jobs.send(job);
        Pending {
            ticket: self.next_ticket,
            cancelled,
        }
    }

    /// An answer that has arrived, if any (never blocks).
    pub fn try_answer(&self) -> Option<Answer> {
        self.answers.try_recv().ok()
    }

    fn spawn(&self) -> std::io::Result<()> {
        let resolver = self.resolver.clone();
        let queue = self.queue.clone();
        let answers = self.answer_tx.clone();
        let waker = self.waker.clone();
        let available = self.available.clone();
        let log = self.log.clone();
        thread::Builder::new()
            .name(self.name.clone())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    if !job.cancelled.load(Ordering::Relaxed) {
                        let result = catch_unwind(AssertUnwindSafe(|| {
                            resolver.resolve(&job.host, job.port, job.canonical)
                        }))
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "cannot resolve {}:{}: lookup panicked",
                                job.host, job.port
                            ))
                        });
                        let answer = Answer {
                            node: job.node,
                            ticket: job.ticket,
                            result,
                        };
                        if answers.send(answer).is_err() {
                            return; // the network is gone
                        }
                        if let Err(e) = waker.wake() {
                            log::warn!("{log}resolver thread cannot wake the sender: {e}");
                        }
                    }
                    available.fetch_add(1, Ordering::AcqRel);
                }
            })?;
        Ok(())
    }
}
