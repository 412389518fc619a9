//! Starting a producer's sender: its network, the state it shares with the
//! producer handle, and its thread. The producer handle only calls
//! [`start`]; only the sender owns a network.

use super::{run, Sender, Shared};
use crate::clock::Clock;
use crate::config::ProducerConfig;
use crate::error::{ConfigError, Error};
use crate::net::MioNetwork;
use std::sync::Arc;
use std::thread::JoinHandle;

/// A started sender: what the producer handle keeps of it.
pub(crate) struct Started {
    pub(crate) shared: Arc<Shared>,
    pub(crate) thread: JoinHandle<()>,
    /// Wakes the sender's poll (new batch, flush, close).
    pub(crate) wake: Arc<dyn Fn() + Send + Sync>,
}

/// Creates the network (TLS files and SASL credentials are read here, so
/// their errors name the property) and starts the sender thread on `clock`.
pub(crate) fn start(config: Arc<ProducerConfig>, clock: Arc<dyn Clock>) -> Result<Started, Error> {
    let (net, waker) = MioNetwork::new(&config).map_err(|e| {
        match e.get_ref().and_then(|i| i.downcast_ref::<ConfigError>()) {
            Some(c) => Error::Config(c.clone()),
            None => Error::Fatal(format!("cannot create the network poller: {e}")),
        }
    })?;
    let log = config.log_context();
    let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        if let Err(e) = waker.wake() {
            log::error!("{log}cannot wake the sender thread: {e}");
        }
    });
    let shared = Arc::new(Shared::with_wake(config.clone(), Some(wake.clone())));
    let sender = Sender::new(shared.clone(), net, clock.now());
    let sender_clock = clock.clone();
    let thread = std::thread::Builder::new()
        .name(format!("kafka-sync-sender-{}", config.client_id))
        .spawn(move || run(sender, sender_clock))
        .map_err(|e| Error::Fatal(format!("cannot start the sender thread: {e}")))?;
    clock.on_advance(Arc::downgrade(&wake));
    Ok(Started {
        shared,
        thread,
        wake,
    })
}
