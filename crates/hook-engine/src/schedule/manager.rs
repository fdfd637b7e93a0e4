//! The schedule manager: one timer per distinct crontab, each sending a [`ScheduleTick`] when it
//! fires. Hooks sharing a crontab share its tick; the engine fans the tick out to their bindings.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;
use hook_config::Crontab;

/// A crontab fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTick {
    /// The normalized crontab ([`Crontab::key`]) shared by every binding that uses it.
    pub crontab: String,
    /// The planned fire time.
    pub at: DateTime<Utc>,
}

struct Entry {
    users: usize,
    cancel: CancellationToken,
}

/// Owns one timer task per distinct crontab. Timers stop when the parent token is cancelled or
/// when the last user of a crontab is removed.
pub struct ScheduleManager {
    clock: Arc<dyn Clock>,
    ticks: mpsc::Sender<ScheduleTick>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    entries: HashMap<String, Entry>,
    enabled_hooks: BTreeSet<String>,
}

impl std::fmt::Debug for ScheduleManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduleManager")
            .field("crontabs", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ScheduleManager {
    /// A manager whose timers send ticks to `ticks`, are children of `cancel` and are tracked by
    /// `tracker`.
    pub fn new(
        clock: Arc<dyn Clock>,
        ticks: mpsc::Sender<ScheduleTick>,
        cancel: CancellationToken,
        tracker: TaskTracker,
    ) -> Self {
        Self {
            clock,
            ticks,
            cancel,
            tracker,
            entries: HashMap::new(),
            enabled_hooks: BTreeSet::new(),
        }
    }

    /// Registers one user of `crontab`; the first user starts its timer.
    pub fn add(&mut self, crontab: &Crontab) {
        if let Some(entry) = self.entries.get_mut(crontab.key()) {
            entry.users += 1;
            return;
        }
        let cancel = self.cancel.child_token();
        self.tracker.spawn(run_timer(
            crontab.clone(),
            Arc::clone(&self.clock),
            self.ticks.clone(),
            cancel.clone(),
        ));
        self.entries
            .insert(crontab.key().to_owned(), Entry { users: 1, cancel });
    }

    /// Removes one user of the crontab with this [`Crontab::key`]; the last user stops its timer.
    pub fn remove(&mut self, key: &str) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.users -= 1;
            if entry.users == 0 {
                entry.cancel.cancel();
                self.entries.remove(key);
            }
        }
    }

    /// Registers the crontabs of a hook's schedule bindings (EnableScheduleBindings). Only
    /// enabled hooks get runs from a shared tick, as upstream keeps per-hook schedule links.
    pub fn enable_hook<'a>(&mut self, hook: &str, crontabs: impl IntoIterator<Item = &'a Crontab>) {
        if !self.enabled_hooks.insert(hook.to_owned()) {
            return;
        }
        for crontab in crontabs {
            self.add(crontab);
        }
    }

    /// Whether [`ScheduleManager::enable_hook`] was called for `hook`.
    pub fn is_enabled(&self, hook: &str) -> bool {
        self.enabled_hooks.contains(hook)
    }

    /// The crontabs that currently have a timer.
    pub fn crontabs(&self) -> Vec<String> {
        let mut out: Vec<String> = self.entries.keys().cloned().collect();
        out.sort();
        out
    }
}

async fn run_timer(
    crontab: Crontab,
    clock: Arc<dyn Clock>,
    ticks: mpsc::Sender<ScheduleTick>,
    cancel: CancellationToken,
) {
    loop {
        let now = clock.now();
        let Some(next) = crontab.next_after(now) else {
            tracing::warn!(
                crontab = crontab.key(),
                "crontab never fires again, stopping its timer"
            );
            return;
        };
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        // The wall clock may lag the timer by a little; wait for the rest instead of firing early.
        if clock.now() < next {
            continue;
        }
        let tick = ScheduleTick {
            crontab: crontab.key().to_owned(),
            at: next,
        };
        tokio::select! {
            () = cancel.cancelled() => return,
            sent = ticks.send(tick) => if sent.is_err() { return },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TokioClock;
    use std::time::Duration;

    fn manager(
        start: &str,
    ) -> (
        ScheduleManager,
        mpsc::Receiver<ScheduleTick>,
        CancellationToken,
    ) {
        let origin = DateTime::parse_from_rfc3339(start)
            .unwrap()
            .with_timezone(&Utc);
        let (tx, rx) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        let mgr = ScheduleManager::new(
            Arc::new(TokioClock::starting_at(origin)),
            tx,
            cancel.clone(),
            TaskTracker::new(),
        );
        (mgr, rx, cancel)
    }

    #[tokio::test(start_paused = true)]
    async fn a_six_field_crontab_ticks_every_ten_seconds_of_virtual_time() {
        let (mut mgr, mut rx, _cancel) = manager("2024-01-01T00:00:03Z");
        mgr.add(&Crontab::parse("TZ=UTC */10 * * * * *").unwrap());
        tokio::time::sleep(Duration::from_secs(8)).await;
        let tick = rx.try_recv().unwrap();
        assert_eq!(tick.at.to_rfc3339(), "2024-01-01T00:00:10+00:00");
        assert!(rx.try_recv().is_err());
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            rx.try_recv().unwrap().at.to_rfc3339(),
            "2024-01-01T00:00:20+00:00"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn identical_crontabs_share_one_tick() {
        let (mut mgr, mut rx, _cancel) = manager("2024-01-01T00:00:00Z");
        let c = Crontab::parse("TZ=UTC * * * * *").unwrap();
        mgr.add(&c);
        mgr.add(&c);
        assert_eq!(mgr.crontabs(), vec!["TZ=UTC * * * * *"]);
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(rx.try_recv().unwrap().crontab, "TZ=UTC * * * * *");
        assert!(rx.try_recv().is_err(), "one tick per crontab, not per user");
    }

    #[tokio::test(start_paused = true)]
    async fn removing_the_last_user_stops_the_timer() {
        let (mut mgr, mut rx, _cancel) = manager("2024-01-01T00:00:00Z");
        let c = Crontab::parse("TZ=UTC * * * * * *").unwrap();
        mgr.add(&c);
        mgr.add(&c);
        mgr.remove(c.key());
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(rx.try_recv().is_ok(), "one user left, still ticking");
        mgr.remove(c.key());
        tokio::time::sleep(Duration::from_millis(1)).await;
        while rx.try_recv().is_ok() {}
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(rx.try_recv().is_err());
        assert!(mgr.crontabs().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_the_parent_token_stops_all_timers() {
        let (mut mgr, mut rx, cancel) = manager("2024-01-01T00:00:00Z");
        mgr.add(&Crontab::parse("TZ=UTC * * * * * *").unwrap());
        cancel.cancel();
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(rx.try_recv().is_err());
    }
}
