//! The engine: owns the queues, the schedule manager and the main loop, which consumes one closed
//! enum of events until shutdown, then drains in two stages (let running hooks finish within the
//! grace period, then kill their process groups).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use task_queue::{MAIN_QUEUE, QueueSet, QueueSetConfig};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;
use crate::direct::DirectRuns;
use crate::extensions::Extensions;
use crate::hook::HookRegistry;
use crate::runner::{Runner, RunnerConfig};
use crate::schedule::{ScheduleManager, ScheduleTick, tasks_for_tick};
use crate::startup::startup_tasks;
use crate::task::EngineTask;

/// How long after killing hooks the engine still waits for the queues to wind down.
const KILL_WAIT: Duration = Duration::from_secs(10);

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How hooks run.
    pub runner: RunnerConfig,
    /// Retry backoff and compaction.
    pub queues: QueueSetConfig,
    /// How long running hooks may finish after shutdown starts before they are killed.
    pub shutdown_grace_period: Duration,
}

/// What the main loop reacts to.
#[derive(Debug)]
pub enum EngineEvent {
    /// A crontab fired.
    Schedule(ScheduleTick),
    /// Stop: SIGTERM/SIGINT or the owner's request.
    Shutdown,
}

/// The running hook engine.
pub struct Engine {
    registry: Arc<HookRegistry>,
    queues: QueueSet<EngineTask>,
    schedules: Arc<Mutex<ScheduleManager>>,
    ticks: mpsc::Receiver<ScheduleTick>,
    timers: CancellationToken,
    timer_tasks: TaskTracker,
    kill: CancellationToken,
    grace: Duration,
    direct: DirectRuns,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("hooks", &self.registry.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Builds the engine: queues and schedule manager, nothing started yet.
    pub fn new(
        registry: HookRegistry,
        config: EngineConfig,
        extensions: Extensions,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let registry = Arc::new(registry);
        let (tick_tx, ticks) = mpsc::channel(64);
        let timers = CancellationToken::new();
        let timer_tasks = TaskTracker::new();
        let schedules = Arc::new(Mutex::new(ScheduleManager::new(
            clock,
            tick_tx,
            timers.clone(),
            timer_tasks.clone(),
        )));
        let kill = CancellationToken::new();
        let runner = Arc::new(Runner::new(
            Arc::clone(&registry),
            config.runner,
            extensions,
            Arc::clone(&schedules),
            kill.clone(),
        ));
        let direct = DirectRuns::new(Arc::clone(&runner));
        let queues = QueueSet::new(runner, config.queues, CancellationToken::new());
        Self {
            registry,
            queues,
            schedules,
            ticks,
            timers,
            timer_tasks,
            kill,
            grace: config.shutdown_grace_period,
            direct,
        }
    }

    /// The queues, for listing (debug socket, metrics).
    pub fn queues(&self) -> &QueueSet<EngineTask> {
        &self.queues
    }

    /// Runs hooks outside the queues (webhooks); usable from before [`Engine::run`] until the
    /// engine is dropped.
    pub fn direct_runs(&self) -> DirectRuns {
        self.direct.clone()
    }

    /// The loaded hooks.
    pub fn registry(&self) -> &Arc<HookRegistry> {
        &self.registry
    }

    /// Queues the startup tasks, starts the queues and runs until `shutdown` is cancelled, then
    /// drains: no new tasks, running hooks get the grace period, then their process groups are
    /// killed.
    pub async fn run(mut self, shutdown: CancellationToken) {
        for task in startup_tasks(&self.registry) {
            self.push(MAIN_QUEUE, task);
        }
        // Named queues used by bindings exist (and show up in listings) from the start.
        for hook in self.registry.iter() {
            let config = &hook.config;
            let queues = config
                .schedules
                .iter()
                .map(|b| &b.queue)
                .chain(config.kubernetes.iter().map(|b| &b.queue));
            for queue in queues {
                self.queues.ensure_queue(queue);
            }
        }
        self.queues.start();
        tracing::info!(hooks = self.registry.len(), "hook engine started");

        loop {
            let event = tokio::select! {
                () = shutdown.cancelled() => EngineEvent::Shutdown,
                tick = self.ticks.recv() => match tick {
                    Some(tick) => EngineEvent::Schedule(tick),
                    None => EngineEvent::Shutdown,
                },
            };
            match event {
                EngineEvent::Schedule(tick) => self.on_tick(&tick),
                EngineEvent::Shutdown => break,
            }
        }
        self.drain().await;
    }

    fn on_tick(&self, tick: &ScheduleTick) {
        tracing::debug!(crontab = %tick.crontab, "schedule tick");
        let tasks = {
            let schedules = self
                .schedules
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            tasks_for_tick(&self.registry, &tick.crontab, |hook| {
                schedules.is_enabled(hook)
            })
        };
        for (queue, task) in tasks {
            self.push(&queue, task);
        }
    }

    fn push(&self, queue: &str, task: EngineTask) {
        if let Err(e) = self.queues.push_tail(queue, task) {
            tracing::warn!(error = %error_report::Report(&e), "task not queued");
        }
    }

    async fn drain(self) {
        tracing::info!(grace = ?self.grace, "shutdown: stop intake and wait for running hooks");
        self.timers.cancel();
        self.timer_tasks.close();
        let stopping = self.queues.shutdown();
        tokio::pin!(stopping);
        if tokio::time::timeout(self.grace, &mut stopping)
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period is over: killing running hooks");
            self.kill.cancel();
            if tokio::time::timeout(KILL_WAIT, &mut stopping)
                .await
                .is_err()
            {
                tracing::error!("queues did not stop after killing hooks");
            }
        }
        self.timer_tasks.wait().await;
        tracing::info!("hook engine stopped");
    }
}
