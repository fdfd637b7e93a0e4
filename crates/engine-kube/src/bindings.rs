//! Kubernetes bindings of the hook engine: starts kube-events bindings (EnableKubernetesBindings),
//! builds Synchronization and Event runs, serves snapshots, and pumps events into the queues.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use binding_context::{BindingContext, ContextEvent, ContextFormat, Items, ObjectItem, WatchEvent};
use futures::future::BoxFuture;
use hook_config::KubernetesBinding;
use hook_engine::{BindingType, EngineTask, Hook, HookRun, KubernetesBindings, SnapshotSource};
use kube_events::{BindingId, KubeEvent, KubeEventsManager, SnapshotItem, WatchEventType};
use task_queue::{MAIN_QUEUE, QueueSet};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::spec::{binding_id, binding_spec, watch_event_type};

/// Counts failed attempts of EnableKubernetesBindings (`hook_enable_kubernetes_bindings_errors_total`).
pub trait EnableErrorSink: Send + Sync + 'static {
    /// One failed attempt of `hook`.
    fn enable_error(&self, hook: &str);
}

/// Counts nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnableErrors;

impl EnableErrorSink for NoEnableErrors {
    fn enable_error(&self, _hook: &str) {}
}

/// Where a binding is between `start_binding` and its first hook-visible snapshot.
enum Phase {
    /// Started; events wait here until a Synchronization run reads the objects.
    Starting { buffered: Vec<KubeEvent> },
    /// A Synchronization run read the objects at `sync_seq` and is running: later events wait
    /// here until it ends well (a retried attempt reads the objects again).
    Syncing {
        sync_seq: u64,
        buffered: Vec<KubeEvent>,
    },
    /// The Synchronization at `sync_seq` is done: later events go to the queue.
    Live { sync_seq: u64 },
}

struct Entry {
    hook: Arc<Hook>,
    binding: KubernetesBinding,
    phase: Phase,
    synced: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    entries: HashMap<BindingId, Entry>,
    /// `(hook, binding name)` to id; the first binding of a name wins (names in
    /// `includeSnapshotsFrom` are unique by validation).
    by_name: HashMap<(String, String), BindingId>,
}

/// The engine's [`KubernetesBindings`] and [`SnapshotSource`] on top of kube-events. Share it as
/// an `Arc` between [`hook_engine::Extensions`] and [`KubeBindings::run_pump`].
pub struct KubeBindings {
    manager: KubeEventsManager,
    state: Mutex<State>,
    queues: OnceLock<QueueSet<EngineTask>>,
    errors: Arc<dyn EnableErrorSink>,
    stop: CancellationToken,
}

impl std::fmt::Debug for KubeBindings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeBindings").finish_non_exhaustive()
    }
}

impl KubeBindings {
    /// Bindings served by `manager` (whose event receiver goes to [`Self::run_pump`]).
    pub fn new(manager: KubeEventsManager, errors: Arc<dyn EnableErrorSink>) -> Self {
        Self {
            manager,
            state: Mutex::new(State::default()),
            queues: OnceLock::new(),
            errors,
            stop: CancellationToken::new(),
        }
    }

    /// The kube-events manager (for `hook snapshot` style introspection).
    pub fn manager(&self) -> &KubeEventsManager {
        &self.manager
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads kube-events' events until `cancel` fires or the manager stops, turning each into a
    /// hook run at the tail of its binding's queue. Spawn it (owned by the caller's tracker)
    /// before the engine runs: EnableKubernetesBindings waits for the Synchronization events it
    /// delivers.
    pub async fn run_pump(
        self: Arc<Self>,
        mut events: mpsc::Receiver<KubeEvent>,
        queues: QueueSet<EngineTask>,
        cancel: CancellationToken,
    ) {
        if self.queues.set(queues).is_err() {
            tracing::warn!("kubernetes event pump started twice; the first queue set is kept");
        }
        loop {
            let event = tokio::select! {
                () = cancel.cancelled() => break,
                event = events.recv() => match event {
                    Some(event) => event,
                    None => break,
                },
            };
            self.on_event(event);
        }
        // Stop enable tasks that still wait for a Synchronization nobody will deliver.
        self.stop.cancel();
        tracing::debug!("kubernetes event pump stopped");
    }

    /// Stops every binding and waits for kube-events' tasks to end.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.manager.shutdown().await;
    }

    fn on_event(&self, event: KubeEvent) {
        let mut state = self.lock();
        let id = event.binding_id().clone();
        let Some(entry) = state.entries.get_mut(&id) else {
            tracing::debug!(binding = %id, "event for an unknown binding dropped");
            return;
        };
        let event = match (event, &mut entry.phase) {
            (KubeEvent::Synchronization { .. }, _) => {
                entry.synced.send_replace(true);
                return;
            }
            (event, Phase::Starting { buffered }) => {
                buffered.push(event);
                return;
            }
            (
                KubeEvent::Event { seq, .. },
                Phase::Syncing { sync_seq, .. } | Phase::Live { sync_seq },
            ) if seq <= *sync_seq => {
                // Already part of the objects the Synchronization run sees.
                return;
            }
            (event, Phase::Syncing { buffered, .. }) => {
                buffered.push(event);
                return;
            }
            (event, Phase::Live { .. }) => event,
        };
        // Pushed under the lock so events of one binding keep their order.
        if let Some(entry) = state.entries.get(&id)
            && let Some(task) = self.event_task(&state, entry, event)
        {
            self.push(task);
        }
    }

    fn push(&self, (queue, task): (String, EngineTask)) {
        let Some(queues) = self.queues.get() else {
            tracing::error!("kubernetes event dropped: the event pump is not running");
            return;
        };
        if let Err(e) = queues.push_tail(&queue, task) {
            tracing::warn!(error = %error_report::Report(&e), "kubernetes event not queued");
        }
    }

    /// The hook run for one event, or `None` when the hook does not run on it.
    fn event_task(
        &self,
        state: &State,
        entry: &Entry,
        event: KubeEvent,
    ) -> Option<(String, EngineTask)> {
        let KubeEvent::Event {
            watch_event,
            object,
            filter_result,
            ..
        } = event
        else {
            return None;
        };
        let binding = &entry.binding;
        let runs = binding
            .execute_hook_on_event
            .iter()
            .any(|t| watch_event_type(*t) == watch_event);
        if !runs {
            return None;
        }
        let item = ObjectItem {
            object,
            filter_result: filter_result.map(Arc::new),
        };
        let context = BindingContext::event(&binding.name, context_event(watch_event), item);
        let context = self.decorate(state, &entry.hook, binding, context);
        let run = HookRun {
            hook: entry.hook.name.clone(),
            binding_type: BindingType::Kubernetes,
            binding: binding.name.clone(),
            queue: binding.queue.clone(),
            allow_failure: binding.allow_failure,
            format: entry.hook.context_format(),
            contexts: vec![context],
            synchronizations: Vec::new(),
        };
        Some((binding.queue.clone(), EngineTask::HookRun(run)))
    }

    /// Adds the group and the included snapshots (read now, and again right before the run).
    fn decorate(
        &self,
        state: &State,
        hook: &Hook,
        binding: &KubernetesBinding,
        context: BindingContext,
    ) -> BindingContext {
        let context = context.with_group(binding.group.as_deref());
        if binding.include_snapshots_from.is_empty() {
            return context;
        }
        let names = binding.include_snapshots_from.iter().map(String::as_str);
        let snapshots = binding_context::collect_snapshots(names, |name| {
            Some(self.snapshot_in(state, &hook.name, name))
        });
        context.with_snapshots(snapshots)
    }

    fn snapshot_in(&self, state: &State, hook: &str, binding: &str) -> Items {
        match state.by_name.get(&(hook.to_owned(), binding.to_owned())) {
            Some(id) => self.items_of(id).0,
            None => Vec::new().into(),
        }
    }

    fn items_of(&self, id: &BindingId) -> (Items, u64) {
        match self.manager.snapshot(id) {
            Some(snapshot) => (to_items(snapshot.items), snapshot.seq),
            None => (Vec::new().into(), 0),
        }
    }

    /// Registers and starts every binding of `hook` that is not running yet.
    async fn start_all(&self, hook: &Arc<Hook>) -> Result<Vec<BindingId>, String> {
        let mut ids = Vec::new();
        for (index, binding) in hook.config.kubernetes.iter().enumerate() {
            let id = binding_id(&hook.name, index, binding);
            ids.push(id.clone());
            let fresh = {
                let mut state = self.lock();
                state
                    .by_name
                    .entry((hook.name.clone(), binding.name.clone()))
                    .or_insert_with(|| id.clone());
                if state.entries.contains_key(&id) {
                    false
                } else {
                    state.entries.insert(
                        id.clone(),
                        Entry {
                            hook: Arc::clone(hook),
                            binding: binding.clone(),
                            phase: Phase::Starting {
                                buffered: Vec::new(),
                            },
                            synced: watch::channel(false).0,
                        },
                    );
                    true
                }
            };
            if !fresh {
                // Started by an earlier attempt of this task.
                continue;
            }
            if let Err(e) = self
                .manager
                .start_binding(id.clone(), &binding_spec(binding))
                .await
            {
                self.lock().entries.remove(&id);
                self.errors.enable_error(&hook.name);
                return Err(format!(
                    "enable kubernetes binding '{}' of kind '{}': {e}",
                    binding.name, binding.kind
                ));
            }
            tracing::info!(hook = %hook.name, binding = %binding.name, kind = %binding.kind, "kubernetes binding started");
        }
        Ok(ids)
    }

    async fn wait_synchronized(&self, id: &BindingId) -> Result<(), String> {
        let Some(mut synced) = self
            .lock()
            .entries
            .get(id)
            .map(|entry| entry.synced.subscribe())
        else {
            return Err(format!("binding {id} is not started"));
        };
        tokio::select! {
            result = synced.wait_for(|done| *done) => result
                .map(|_| ())
                .map_err(|_| format!("binding {id} stopped before its synchronization")),
            () = self.stop.cancelled() => Err("shutting down".to_owned()),
        }
    }

    /// Reads the binding's objects for a Synchronization attempt: events up to this read are
    /// part of them; later ones stay buffered until the run ends well.
    fn read_for_sync(&self, id: &BindingId) -> Items {
        let mut state = self.lock();
        // Read under the lock: no event of this binding can be routed in between.
        let (items, seq) = self.items_of(id);
        if let Some(entry) = state.entries.get_mut(id) {
            let buffered = match std::mem::replace(&mut entry.phase, Phase::Live { sync_seq: seq })
            {
                Phase::Starting { buffered } | Phase::Syncing { buffered, .. } => buffered,
                // Already live (a later Synchronization of a re-enabled binding): keep delivering.
                live @ Phase::Live { .. } => {
                    entry.phase = live;
                    return items;
                }
            };
            let buffered = buffered
                .into_iter()
                .filter(|e| !matches!(e, KubeEvent::Event { seq: s, .. } if *s <= seq))
                .collect();
            entry.phase = Phase::Syncing {
                sync_seq: seq,
                buffered,
            };
        }
        items
    }

    /// Makes the binding live and queues, in order, the events that arrived after its objects were
    /// read (all buffered events when no Synchronization run read them).
    fn go_live(&self, id: &BindingId) {
        let mut state = self.lock();
        let Some(entry) = state.entries.get_mut(id) else {
            return;
        };
        let (sync_seq, buffered) = match &mut entry.phase {
            Phase::Live { .. } => return,
            Phase::Starting { buffered } => {
                let (_, seq) = self.items_of(id);
                (seq, std::mem::take(buffered))
            }
            Phase::Syncing { sync_seq, buffered } => (*sync_seq, std::mem::take(buffered)),
        };
        entry.phase = Phase::Live { sync_seq };
        if let Some(entry) = state.entries.get(id) {
            for event in buffered {
                if matches!(&event, KubeEvent::Event { seq: s, .. } if *s > sync_seq)
                    && let Some(task) = self.event_task(&state, entry, event)
                {
                    self.push(task);
                }
            }
        }
    }

    async fn enable_hook(&self, hook: &Arc<Hook>) -> Result<Vec<EngineTask>, String> {
        let ids = self.start_all(hook).await?;
        for id in &ids {
            self.wait_synchronized(id).await?;
        }
        let mut tasks = Vec::new();
        for (id, binding) in ids.iter().zip(&hook.config.kubernetes) {
            let already_live = matches!(
                self.lock().entries.get(id).map(|e| &e.phase),
                Some(Phase::Live { .. })
            );
            if already_live {
                continue;
            }
            let runs_hook = binding.execute_hook_on_synchronization
                && hook.context_format() == ContextFormat::V1;
            if !runs_hook {
                // No run reads the objects: events after the initial list flow now.
                self.go_live(id);
                continue;
            }
            // `objects` and snapshots are filled right before the run (`prepare_run`).
            let context = BindingContext::synchronization(&binding.name, Vec::new().into());
            let context = self.decorate(&self.lock(), hook, binding, context);
            tasks.push(EngineTask::HookRun(HookRun {
                hook: hook.name.clone(),
                binding_type: BindingType::Kubernetes,
                binding: binding.name.clone(),
                // Synchronization always runs in main, before any event of the binding.
                queue: MAIN_QUEUE.to_owned(),
                allow_failure: binding.allow_failure,
                format: hook.context_format(),
                contexts: vec![context],
                synchronizations: vec![id.to_string()],
            }));
        }
        tracing::info!(hook = %hook.name, synchronizations = tasks.len(), "kubernetes bindings enabled");
        Ok(tasks)
    }

    fn prepare(&self, hook: &Hook, run: &mut HookRun) {
        for id in &run.synchronizations {
            let id = BindingId::new(id);
            let Some(name) = self.lock().entries.get(&id).map(|e| e.binding.name.clone()) else {
                continue;
            };
            let objects = self.read_for_sync(&id);
            // Grouped Synchronizations render as Group contexts without objects; only the
            // binding's own ungrouped Synchronization context gets them.
            for context in &mut run.contexts {
                if context.binding != name || context.group.is_some() {
                    continue;
                }
                if let ContextEvent::Synchronization { objects: slot } = &mut context.event {
                    *slot = objects.clone();
                }
            }
        }
        tracing::debug!(hook = %hook.name, synchronizations = run.synchronizations.len(), "synchronization objects read");
    }
}

impl KubernetesBindings for KubeBindings {
    fn enable<'a>(&'a self, hook: &'a Arc<Hook>) -> BoxFuture<'a, Result<Vec<EngineTask>, String>> {
        Box::pin(self.enable_hook(hook))
    }

    fn prepare_run(&self, hook: &Hook, run: &mut HookRun) {
        self.prepare(hook, run);
    }

    fn synchronized(&self, _hook: &Hook, synchronizations: &[String]) {
        for id in synchronizations {
            self.go_live(&BindingId::new(id));
        }
    }
}

impl SnapshotSource for KubeBindings {
    fn snapshot(&self, hook: &str, binding: &str) -> Items {
        self.snapshot_in(&self.lock(), hook, binding)
    }
}

fn to_items(items: Vec<SnapshotItem>) -> Items {
    items
        .into_iter()
        .map(|item| ObjectItem {
            object: item.object,
            filter_result: item.filter_result.map(Arc::new),
        })
        .collect()
}

fn context_event(t: WatchEventType) -> WatchEvent {
    match t {
        WatchEventType::Added => WatchEvent::Added,
        WatchEventType::Modified => WatchEvent::Modified,
        WatchEventType::Deleted => WatchEvent::Deleted,
    }
}
