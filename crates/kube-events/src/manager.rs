//! The owner-facing manager: starts and stops bindings, owns every task, serves snapshots.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jq_filter::JqFilter;
use kube::Client;
use kube::api::{Api, DynamicObject};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

use crate::binding::BindingState;
use crate::event::{KubeEvent, Snapshot};
use crate::metrics::{NoopSink, WatchErrorSink};
use crate::outbox::Outbox;
use crate::resolve::{KindResolver, ResolvedKind};
use crate::selector::field_query;
use crate::spec::{BindingId, BindingSpec, NamespaceSelector};
use crate::state::{State, Subscribed};
use crate::watch::{self, WatchBackoff, WatchKey};
use crate::{Error, namespaces};

/// Settings of [`KubeEventsManager`].
#[derive(Debug, Clone, Copy)]
pub struct ManagerConfig {
    /// Capacity of the output channel; watches pause while this many events wait to be forwarded.
    pub channel_capacity: usize,
    /// Backoff of failing watches.
    pub backoff: WatchBackoff,
    /// Backoff of [`KubeEventsManager::start_binding_retrying`]: first and largest delay.
    pub enable_backoff: WatchBackoff,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self {
            channel_capacity: 1024,
            backoff: WatchBackoff::default(),
            enable_backoff: WatchBackoff {
                min: Duration::from_secs(5),
                max: Duration::from_secs(32),
            },
        }
    }
}

/// How a binding's watches are built, kept for namespaces that start matching later.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) resolved: ResolvedKind,
    pub(crate) labels: String,
    /// One field selector per watch (one per name of `nameSelector`).
    pub(crate) fields: Vec<String>,
}

impl Plan {
    fn keys(&self, namespace: &str) -> Vec<WatchKey> {
        let namespace = if self.resolved.namespaced {
            namespace
        } else {
            ""
        };
        self.fields
            .iter()
            .map(|fields| WatchKey {
                group: self.resolved.resource.group.clone(),
                version: self.resolved.resource.version.clone(),
                plural: self.resolved.resource.plural.clone(),
                namespace: namespace.to_owned(),
                labels: self.labels.clone(),
                fields: fields.clone(),
            })
            .collect()
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) outbox: Outbox,
    pub(crate) client: Client,
    pub(crate) config: ManagerConfig,
    pub(crate) sink: Arc<dyn WatchErrorSink>,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn flush(&self, out: Vec<KubeEvent>) {
        for event in out {
            self.outbox.push(event);
        }
    }

    /// Applies a watcher event of one watch and queues what bindings must see.
    pub(crate) fn handle(
        &self,
        key: &WatchKey,
        event: kube::runtime::watcher::Event<serde_json::Value>,
    ) {
        let mut state = self.lock();
        let mut out = Vec::new();
        state.on_event(key, event, &mut out);
        let timings = state.take_timings(key);
        self.flush(out);
        drop(state);
        for (id, timing) in &timings {
            self.sink.event_timing(id, timing);
        }
    }

    /// Subscribes a binding to the watches of one namespace, spawning the ones that are new.
    pub(crate) fn add_namespace(self: &Arc<Self>, id: &BindingId, plan: &Plan, namespace: &str) {
        let mut state = self.lock();
        let mut out = Vec::new();
        for key in plan.keys(namespace) {
            let subscribed = state.subscribe(id, key.clone(), &self.cancel, &mut out);
            if let Subscribed::Spawn { restart, cancel } = subscribed {
                self.spawn_watch(key, &plan.resolved, restart, cancel);
            }
        }
        state.check_synchronized(id, &mut out);
        self.flush(out);
    }

    pub(crate) fn drop_namespace(&self, id: &BindingId, namespace: &str) {
        let mut state = self.lock();
        let mut out = Vec::new();
        state.drop_namespace(id, namespace, &mut out);
        self.flush(out);
    }

    pub(crate) fn namespaces_listed(&self, id: &BindingId) {
        let mut state = self.lock();
        let mut out = Vec::new();
        state.namespaces_listed(id, &mut out);
        self.flush(out);
    }

    fn spawn_watch(
        self: &Arc<Self>,
        key: WatchKey,
        resolved: &ResolvedKind,
        restart: Arc<tokio::sync::Notify>,
        cancel: CancellationToken,
    ) {
        let api: Api<DynamicObject> = if key.namespace.is_empty() {
            Api::all_with(self.client.clone(), &resolved.resource)
        } else {
            Api::namespaced_with(self.client.clone(), &key.namespace, &resolved.resource)
        };
        self.tracker
            .spawn(watch::run(Arc::clone(self), key, api, restart, cancel));
    }
}

/// Starts and stops kubernetes bindings, shares their watches, and delivers their events in order.
pub struct KubeEventsManager {
    shared: Arc<Shared>,
    resolver: KindResolver,
    _cancel_on_drop: DropGuard,
}

impl KubeEventsManager {
    /// A manager using `client`; events arrive on the returned bounded receiver.
    pub fn new(
        client: Client,
        config: ManagerConfig,
        sink: Arc<dyn WatchErrorSink>,
    ) -> (Self, mpsc::Receiver<KubeEvent>) {
        let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
        let (outbox, queued) = Outbox::new(config.channel_capacity.max(1));
        let cancel = CancellationToken::new();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            outbox,
            client: client.clone(),
            config,
            sink,
            tracker: TaskTracker::new(),
            cancel: cancel.clone(),
        });
        let forwarder = Arc::clone(&shared);
        let token = cancel.clone();
        shared
            .tracker
            .spawn(async move { forwarder.outbox.forward(queued, tx, token).await });
        let manager = Self {
            shared,
            resolver: KindResolver::new(client),
            _cancel_on_drop: cancel.drop_guard(),
        };
        (manager, rx)
    }

    /// A manager with default settings and no error counting.
    pub fn with_defaults(client: Client) -> (Self, mpsc::Receiver<KubeEvent>) {
        Self::new(client, ManagerConfig::default(), Arc::new(NoopSink))
    }

    /// The kind resolver the manager uses.
    pub fn resolver(&self) -> &KindResolver {
        &self.resolver
    }

    /// Starts a binding: resolves its kind, compiles its filter and subscribes it to its watches.
    ///
    /// A [`KubeEvent::Synchronization`] follows once every watch has listed its objects. Fails with
    /// [`Error::KindNotFound`] while the kind does not exist; see [`Self::start_binding_retrying`].
    pub async fn start_binding(&self, id: BindingId, spec: &BindingSpec) -> Result<(), Error> {
        if self.shared.cancel.is_cancelled() {
            return Err(Error::ShutDown);
        }
        let filter = spec
            .jq_filter
            .as_deref()
            .map(JqFilter::compile)
            .transpose()
            .map_err(Error::JqFilter)?;
        let labels = match &spec.label_selector {
            Some(sel) => sel.to_query()?,
            None => String::new(),
        };
        let ns_labels = match &spec.namespace {
            NamespaceSelector::Labels(sel) => Some(sel.to_query()?),
            _ => None,
        };
        let resolved = self
            .resolver
            .resolve(spec.api_version.as_deref(), &spec.kind)
            .await?;
        let fields = if spec.names.is_empty() {
            vec![field_query(&spec.field_selector, None)]
        } else {
            spec.names
                .iter()
                .map(|n| field_query(&spec.field_selector, Some(n)))
                .collect()
        };
        let plan = Arc::new(Plan {
            resolved,
            labels,
            fields,
        });
        let cancel = self.shared.cancel.child_token();
        {
            let mut state = self.shared.lock();
            if state.bindings.contains_key(&id) {
                return Err(Error::AlreadyStarted(id.to_string()));
            }
            let mut binding = BindingState::new(
                id.clone(),
                filter,
                spec.keep_full_objects,
                spec.event_types,
                cancel.clone(),
            );
            binding.namespaces_pending = ns_labels.is_some() && plan.resolved.namespaced;
            state.bindings.insert(id.clone(), binding);
        }
        match (&spec.namespace, ns_labels) {
            (_, Some(selector)) if plan.resolved.namespaced => {
                self.shared.tracker.spawn(namespaces::run(
                    Arc::clone(&self.shared),
                    id,
                    plan,
                    selector,
                    cancel,
                ));
            }
            (NamespaceSelector::Names(names), _) if !names.is_empty() => {
                for ns in names {
                    self.shared.add_namespace(&id, &plan, ns);
                }
            }
            _ => self.shared.add_namespace(&id, &plan, ""),
        }
        Ok(())
    }

    /// [`Self::start_binding`], retried with exponential backoff while the kind is missing or discovery
    /// fails; `on_error` sees each failed attempt (for `hook_enable_kubernetes_bindings_errors_total`).
    pub async fn start_binding_retrying(
        &self,
        id: BindingId,
        spec: &BindingSpec,
        mut on_error: impl FnMut(&Error),
    ) -> Result<(), Error> {
        let backoff = self.shared.config.enable_backoff;
        let mut delay = backoff.min;
        loop {
            match self.start_binding(id.clone(), spec).await {
                Ok(()) => return Ok(()),
                Err(err @ (Error::KindNotFound { .. } | Error::Discovery { .. })) => {
                    on_error(&err);
                    tracing::warn!(binding = %id, error = %error_report::Report(&err), retry_in = ?delay, "enable kubernetes binding failed");
                    tokio::select! {
                        () = self.shared.cancel.cancelled() => return Err(Error::ShutDown),
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(backoff.max);
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Stops a binding; its watches stop when no other binding shares them. Returns whether it was running.
    pub fn stop_binding(&self, id: &BindingId) -> bool {
        self.shared.lock().remove_binding(id)
    }

    /// The binding's current objects, sorted by namespace/name; `None` for an unknown binding.
    pub fn snapshot(&self, id: &BindingId) -> Option<Snapshot> {
        self.shared.lock().snapshot(id)
    }

    /// How many distinct watches are running (shared watches count once).
    pub fn watch_count(&self) -> usize {
        self.shared.lock().watches.len()
    }

    /// Stops every binding and waits for all tasks to end.
    pub async fn shutdown(&self) {
        self.shared.cancel.cancel();
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}
