//! `namespace.labelSelector`: follows matching namespaces and starts or stops the binding's watches in them.
//!
//! Objects of a namespace that stops matching leave the binding's snapshot without Deleted events, as
//! upstream; objects of a namespace that starts matching arrive as Added events.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::watcher;
use tokio_util::sync::CancellationToken;

use crate::manager::{Plan, Shared};
use crate::metrics::WatchErrorType;
use crate::spec::BindingId;

pub(crate) async fn run(
    shared: Arc<Shared>,
    id: BindingId,
    plan: Arc<Plan>,
    selector: String,
    cancel: CancellationToken,
) {
    let api: Api<Namespace> = Api::all(shared.client.clone());
    let config = watcher::Config::default().labels(&selector);
    let mut stream = watcher(api, config).boxed();
    let mut current: BTreeSet<String> = BTreeSet::new();
    let mut relist: Option<BTreeSet<String>> = None;
    let mut listed_once = false;
    let backoff = shared.config.backoff;
    let mut delay = backoff.min;
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return,
            next = stream.next() => next,
        };
        match next {
            Some(Ok(event)) => {
                delay = backoff.min;
                match event {
                    watcher::Event::Apply(ns) => {
                        let name = ns.name_any();
                        if current.insert(name.clone()) {
                            shared.add_namespace(&id, &plan, &name);
                        }
                    }
                    watcher::Event::Delete(ns) => {
                        let name = ns.name_any();
                        if current.remove(&name) {
                            shared.drop_namespace(&id, &name);
                        }
                    }
                    watcher::Event::Init => relist = Some(BTreeSet::new()),
                    watcher::Event::InitApply(ns) => {
                        relist
                            .get_or_insert_with(BTreeSet::new)
                            .insert(ns.name_any());
                    }
                    watcher::Event::InitDone => {
                        let fresh = relist.take().unwrap_or_default();
                        for gone in current.difference(&fresh) {
                            shared.drop_namespace(&id, gone);
                        }
                        for new in fresh.difference(&current) {
                            shared.add_namespace(&id, &plan, new);
                        }
                        current = fresh;
                        if !listed_once {
                            listed_once = true;
                            shared.namespaces_listed(&id);
                        }
                    }
                }
            }
            Some(Err(err)) => {
                let error_type = WatchErrorType::classify(&err);
                shared.sink.watch_error(error_type);
                tracing::warn!(binding = %id, error_type = error_type.as_str(), error = %error_report::Report(&err), "namespace watch failed");
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(backoff.max);
            }
            None => return,
        }
    }
}
