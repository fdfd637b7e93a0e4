//! One shared watch: its identity, its object cache and the task that follows the API server.
//!
//! Identical watches (same resource, namespace, label selector and field selector) are shared by every
//! binding of every hook. The task builds on `kube::runtime::watcher`, which re-lists after `410 Gone` and
//! resumes from the last resourceVersion (bookmarks on) after a disconnect; the state diffs every re-list
//! against its cache so that bindings see exactly the changes they missed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use binding_context::ObjectJson;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::event::ObjectKey;
use crate::manager::Shared;
use crate::metrics::WatchErrorType;
use crate::spec::BindingId;

/// What makes two watches identical.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct WatchKey {
    pub(crate) group: String,
    pub(crate) version: String,
    pub(crate) plural: String,
    /// Empty for all namespaces or cluster-scoped resources.
    pub(crate) namespace: String,
    pub(crate) labels: String,
    pub(crate) fields: String,
}

/// A watch's cache and subscribers, kept under the manager's lock.
pub(crate) struct WatchState {
    /// Every object the watch sees; the object itself only while some subscriber keeps full objects.
    pub(crate) objects: BTreeMap<ObjectKey, Option<ObjectJson>>,
    /// Objects of a re-list in progress, as compact JSON until the list is complete: a list of
    /// thousands of objects never holds their parsed trees at once.
    pub(crate) relist: Option<Vec<(ObjectKey, ObjectJson)>>,
    pub(crate) keep_full: bool,
    /// Whether the first list finished.
    pub(crate) synced: bool,
    pub(crate) subscribers: BTreeSet<BindingId>,
    pub(crate) restart: Arc<Notify>,
    pub(crate) cancel: CancellationToken,
}

impl WatchState {
    pub(crate) fn new(cancel: CancellationToken) -> Self {
        Self {
            objects: BTreeMap::new(),
            relist: None,
            keep_full: false,
            synced: false,
            subscribers: BTreeSet::new(),
            restart: Arc::new(Notify::new()),
            cancel,
        }
    }
}

/// Backoff between failed attempts of one watch.
#[derive(Debug, Clone, Copy)]
pub struct WatchBackoff {
    /// First delay.
    pub min: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self {
            min: Duration::from_millis(200),
            max: Duration::from_secs(30),
        }
    }
}

/// Drops `managedFields` and turns the object into JSON.
pub(crate) fn to_value(mut object: DynamicObject) -> Value {
    object.metadata.managed_fields = None;
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// Follows one watch until cancelled: events go to the manager's state, errors are counted and retried.
pub(crate) async fn run(
    shared: Arc<Shared>,
    key: WatchKey,
    api: Api<DynamicObject>,
    restart: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut config = watcher::Config::default();
    if !key.labels.is_empty() {
        config = config.labels(&key.labels);
    }
    if !key.fields.is_empty() {
        config = config.fields(&key.fields);
    }
    let backoff = shared.config.backoff;
    'restart: loop {
        let mut stream = watcher(api.clone(), config.clone()).boxed();
        let mut delay = backoff.min;
        loop {
            let next = tokio::select! {
                () = cancel.cancelled() => return,
                () = restart.notified() => continue 'restart,
                next = stream.next() => next,
            };
            match next {
                Some(Ok(event)) => {
                    delay = backoff.min;
                    let event = match event {
                        watcher::Event::Apply(o) => watcher::Event::Apply(to_value(o)),
                        watcher::Event::Delete(o) => watcher::Event::Delete(to_value(o)),
                        watcher::Event::Init => watcher::Event::Init,
                        watcher::Event::InitApply(o) => watcher::Event::InitApply(to_value(o)),
                        watcher::Event::InitDone => watcher::Event::InitDone,
                    };
                    shared.handle(&key, event);
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = shared.outbox.wait_for_room() => {}
                    }
                }
                Some(Err(err)) => {
                    let error_type = WatchErrorType::classify(&err);
                    shared.sink.watch_error(error_type);
                    tracing::warn!(
                        resource = %key.plural, namespace = %key.namespace, error_type = error_type.as_str(),
                        error = %error_report::Report(&err), retry_in = ?delay, "watch failed"
                    );
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(backoff.max);
                }
                None => continue 'restart,
            }
        }
    }
}
