//! Ordered hand-off of events from the manager's lock to the owner's bounded channel.
//!
//! Events are queued while the state lock is held (so their order is the order of state changes) and a
//! forwarder task moves them into the bounded output channel. Watch tasks wait for room before reading
//! more from the API server, so a slow consumer slows the watches instead of growing memory.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::event::KubeEvent;

pub(crate) struct Outbox {
    tx: mpsc::UnboundedSender<KubeEvent>,
    queued: AtomicUsize,
    drained: Notify,
    high_water: usize,
}

impl Outbox {
    pub(crate) fn new(high_water: usize) -> (Self, mpsc::UnboundedReceiver<KubeEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Self {
            tx,
            queued: AtomicUsize::new(0),
            drained: Notify::new(),
            high_water,
        };
        (outbox, rx)
    }

    /// Queues an event; called with the state lock held.
    pub(crate) fn push(&self, event: KubeEvent) {
        if self.tx.send(event).is_ok() {
            self.queued.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Waits until the queue is below its high-water mark.
    pub(crate) async fn wait_for_room(&self) {
        loop {
            let drained = self.drained.notified();
            if self.queued.load(Ordering::Acquire) <= self.high_water {
                return;
            }
            drained.await;
        }
    }

    /// Moves queued events into the owner's channel until cancelled or the owner hangs up.
    pub(crate) async fn forward(
        &self,
        mut rx: mpsc::UnboundedReceiver<KubeEvent>,
        out: mpsc::Sender<KubeEvent>,
        cancel: CancellationToken,
    ) {
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => return,
                event = rx.recv() => event,
            };
            let Some(event) = event else { return };
            let sent = tokio::select! {
                () = cancel.cancelled() => return,
                sent = out.send(event) => sent,
            };
            self.queued.fetch_sub(1, Ordering::AcqRel);
            self.drained.notify_waiters();
            if sent.is_err() {
                return;
            }
        }
    }
}
