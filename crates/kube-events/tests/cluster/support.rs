//! Shared helpers: a cluster, a manager with fast backoff, waiting for events.

pub(crate) use std::collections::BTreeMap;
pub(crate) use std::sync::Arc;
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
pub(crate) use std::time::Duration;

pub(crate) use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
pub(crate) use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
pub(crate) use kube::Client;
pub(crate) use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
pub(crate) use kube_events::{
    BindingId, BindingSpec, EventTypes, FieldExpression, FieldOperator, KubeEvent,
    KubeEventsManager, LabelExpression, LabelOperator, LabelSelector, ManagerConfig,
    NamespaceSelector, WatchBackoff, WatchErrorSink, WatchErrorType, WatchEventType,
};
pub(crate) use serde_json::{Value, json};
pub(crate) use tokio::sync::mpsc;

pub(crate) const WAIT: Duration = Duration::from_secs(15);

pub(crate) async fn cluster() -> (EmbeddedCluster, Client) {
    let cluster = EmbeddedCluster::start(EmbeddedConfig::plain_http())
        .await
        .expect("cluster starts");
    let client = cluster.client().expect("client");
    (cluster, client)
}

#[derive(Default)]
pub(crate) struct CountingSink(
    pub(crate) AtomicUsize,
    pub(crate) std::sync::Mutex<Vec<WatchErrorType>>,
);

impl WatchErrorSink for CountingSink {
    fn watch_error(&self, error_type: WatchErrorType) {
        self.0.fetch_add(1, Ordering::SeqCst);
        self.1.lock().unwrap().push(error_type);
    }
}

pub(crate) fn fast_config() -> ManagerConfig {
    ManagerConfig {
        channel_capacity: 64,
        backoff: WatchBackoff {
            min: Duration::from_millis(50),
            max: Duration::from_millis(500),
        },
        enable_backoff: WatchBackoff {
            min: Duration::from_millis(100),
            max: Duration::from_millis(500),
        },
    }
}

pub(crate) fn manager(
    client: &Client,
) -> (
    KubeEventsManager,
    mpsc::Receiver<KubeEvent>,
    Arc<CountingSink>,
) {
    let sink = Arc::new(CountingSink::default());
    let (m, rx) = KubeEventsManager::new(client.clone(), fast_config(), sink.clone());
    (m, rx, sink)
}

pub(crate) async fn next(rx: &mut mpsc::Receiver<KubeEvent>) -> KubeEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event in time")
        .expect("channel open")
}

pub(crate) async fn quiet(rx: &mut mpsc::Receiver<KubeEvent>) {
    if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(700), rx.recv()).await {
        panic!("unexpected event {ev:?}");
    }
}

/// (binding, type, name, filterResult) of an event.
pub(crate) fn event_of(ev: &KubeEvent) -> (String, WatchEventType, String, Option<Value>) {
    match ev {
        KubeEvent::Event {
            binding_id,
            watch_event,
            key,
            filter_result,
            ..
        } => (
            binding_id.to_string(),
            *watch_event,
            key.name.clone(),
            filter_result.clone(),
        ),
        other => panic!("expected an event, got {other:?}"),
    }
}

pub(crate) fn assert_sync(ev: &KubeEvent, binding: &str) {
    match ev {
        KubeEvent::Synchronization { binding_id, .. } => {
            assert_eq!(binding_id.to_string(), binding)
        }
        other => panic!("expected Synchronization of {binding}, got {other:?}"),
    }
}

pub(crate) async fn pod(client: &Client, ns: &str, name: &str, labels: Value) {
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    }))
    .unwrap();
    Api::<Pod>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &pod)
        .await
        .expect("pod created");
}

pub(crate) async fn cm(client: &Client, ns: &str, name: &str, data: &str) {
    let cm: ConfigMap = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": {"x": data}
    }))
    .unwrap();
    Api::<ConfigMap>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &cm)
        .await
        .expect("configmap created");
}

pub(crate) async fn namespace(client: &Client, name: &str, labels: Value) {
    let ns: Namespace =
        serde_json::from_value(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}))
            .unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("namespace created");
}

pub(crate) fn labels_spec(kind: &str, filter: Option<&str>) -> BindingSpec {
    let mut spec = BindingSpec::new(kind);
    spec.jq_filter = filter.map(str::to_owned);
    spec
}
