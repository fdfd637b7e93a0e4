//! What asks the converger to act: [`Event`]s sent through a [`Trigger`] by the ConfigMap
//! watcher (and at startup), merged while the converger is busy and taken as one by [`Events`].

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

/// What makes the converger act; one closed set, consumed by [`super::converge::Converger::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `global` or the enabled modules changed: converge all modules (`ReloadAllModules`).
    Converge,
    /// The sections of these enabled modules changed: run only them.
    RunModules(BTreeSet<String>),
}

/// Events not taken yet, merged: a pending converge covers every module run, and module runs
/// of the same module are one, as upstream queues a ModuleRun only when none is pending.
#[derive(Debug, Default)]
struct Pending {
    converge: bool,
    modules: BTreeSet<String>,
}

impl Pending {
    fn add(&mut self, event: Event) {
        match event {
            Event::Converge => {
                self.converge = true;
                self.modules.clear();
            }
            Event::RunModules(modules) if !self.converge => self.modules.extend(modules),
            Event::RunModules(_) => {}
        }
    }

    fn take(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.converge) {
            return Some(Event::Converge);
        }
        let modules = std::mem::take(&mut self.modules);
        (!modules.is_empty()).then_some(Event::RunModules(modules))
    }
}

fn lock(pending: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    pending.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends [`Event`]s to the converger: they are merged into the pending ones, and a wake-up is
/// sent unless one is already waiting. Nothing is lost and nothing queues up unbounded.
#[derive(Debug, Clone)]
pub struct Trigger {
    wake: mpsc::Sender<()>,
    pending: Arc<Mutex<Pending>>,
}

/// The converger's end of a [`Trigger`].
#[derive(Debug)]
pub struct Events {
    wake: mpsc::Receiver<()>,
    pending: Arc<Mutex<Pending>>,
}

impl Trigger {
    /// A trigger and the receiving end for [`super::converge::Converger::run`].
    pub fn channel() -> (Trigger, Events) {
        let (tx, rx) = mpsc::channel(1);
        let pending = Arc::new(Mutex::new(Pending::default()));
        (
            Trigger {
                wake: tx,
                pending: Arc::clone(&pending),
            },
            Events { wake: rx, pending },
        )
    }

    /// Asks for `event`.
    pub fn send(&self, event: Event) {
        lock(&self.pending).add(event);
        // Full: a wake-up is waiting and the receiver takes everything pending. Closed: the
        // converger stopped.
        let _ = self.wake.try_send(());
    }
}

impl Events {
    /// The pending events merged into one, waiting for one if none is pending; `None` once
    /// every [`Trigger`] is dropped. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = lock(&self.pending).take() {
                return Some(event);
            }
            self.wake.recv().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(modules: &[&str]) -> Event {
        Event::RunModules(modules.iter().map(|m| (*m).to_owned()).collect())
    }

    #[tokio::test]
    async fn a_pending_converge_absorbs_later_events_and_module_runs_merge() {
        let (trigger, mut rx) = Trigger::channel();
        trigger.send(run(&["a"]));
        trigger.send(Event::Converge);
        trigger.send(run(&["b"]));
        trigger.send(Event::Converge);
        assert_eq!(rx.recv().await, Some(Event::Converge));
        trigger.send(run(&["a"]));
        trigger.send(run(&["b"]));
        trigger.send(run(&["a"]));
        drop(trigger);
        assert_eq!(rx.recv().await, Some(run(&["a", "b"])));
        assert_eq!(rx.recv().await, None);
    }
}
