//! Shared helpers: starting clusters and inspecting API errors.

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;

/// A TLS cluster with default settings.
pub async fn cluster() -> EmbeddedCluster {
    EmbeddedCluster::start(EmbeddedConfig::default())
        .await
        .unwrap()
}

/// A plain-HTTP cluster.
pub async fn plain_cluster() -> EmbeddedCluster {
    EmbeddedCluster::start(EmbeddedConfig::plain_http())
        .await
        .unwrap()
}

/// `(code, reason)` of an API error.
pub fn api_error(err: kube::Error) -> (u16, String) {
    match err {
        kube::Error::Api(status) => (status.code, status.reason),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The full Status of an API error.
pub fn api_status(err: kube::Error) -> kube::core::Status {
    match err {
        kube::Error::Api(status) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A ConfigMap with labels and data.
pub fn configmap(name: &str, labels: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": labels },
        "data": { "k": "v" },
    }))
    .unwrap()
}

/// Creates a ConfigMap in `ns`.
pub async fn create_cm(
    client: &kube::Client,
    ns: &str,
    name: &str,
    labels: serde_json::Value,
) -> ConfigMap {
    Api::<ConfigMap>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &configmap(name, labels))
        .await
        .unwrap()
}

/// Sends a raw request and returns status code and JSON body.
pub async fn raw(
    cluster: &EmbeddedCluster,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let client = cluster.client().unwrap();
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(body.to_vec())
        .unwrap();
    match client.request_text(req).await {
        Ok(text) => (
            200,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        ),
        Err(kube::Error::Api(status)) => (status.code, serde_json::to_value(&*status).unwrap()),
        Err(other) => panic!("{other:?}"),
    }
}

/// One HTTP/1.1 request over a raw socket to a plain-HTTP cluster, without client retries.
pub async fn http1(
    cluster: &EmbeddedCluster,
    method: &str,
    path: &str,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(cluster.addr())
        .await
        .unwrap();
    let request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    (
        code,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}
