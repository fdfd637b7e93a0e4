//! A small HTTPS webhook server for tests: a generated CA, a handler closure and a call log.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use embedded_apiserver::EmbeddedCluster;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::common::cluster;

/// Namespace of the Service the test webhooks are registered as.
pub const SERVICE_NAMESPACE: &str = "webhooks";
/// Name of the Service the test webhooks are registered as.
pub const SERVICE_NAME: &str = "hooks";

/// What the handler answers.
pub enum Answer {
    /// A JSON body with status 200.
    Json(Value),
    /// Any status and body.
    Raw(u16, &'static str),
    /// A JSON body after a delay.
    Slow(Duration, Value),
}

type Handler = Arc<dyn Fn(&str, &Value) -> Answer + Send + Sync>;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path (without the query).
    pub path: String,
    /// The query, e.g. `timeout=10s`.
    pub query: String,
    /// The JSON body.
    pub review: Value,
}

/// Certificates of a test server: the CA (as a `caBundle`) and the serving identity.
pub struct Pki {
    /// Base64 of the CA's PEM, as `caBundle` wants it.
    pub ca_bundle: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    /// A fresh CA and a certificate for the test Service's DNS name and 127.0.0.1.
    pub fn generate() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![
            format!("{SERVICE_NAME}.{SERVICE_NAMESPACE}.svc"),
            "localhost".to_owned(),
        ])
        .unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let cert = params.signed_by(&key, &issuer).unwrap();
        Self {
            ca_bundle: base64::engine::general_purpose::STANDARD.encode(ca_cert.pem()),
            chain: vec![cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}

/// A running HTTPS webhook server on 127.0.0.1; stops when dropped.
pub struct WebhookServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Base64 PEM of the CA that signed its certificate.
    pub ca_bundle: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WebhookServer {
    /// Starts a server answering every request with `handler(path, review)`.
    pub async fn start(handler: impl Fn(&str, &Value) -> Answer + Send + Sync + 'static) -> Self {
        let pki = Pki::generate();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key()))
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let log = received.clone();
        let task = tokio::spawn(async move {
            // Connections live in this set, so aborting the accept loop ends them too.
            let mut connections = JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, handler, log) = (acceptor.clone(), handler.clone(), log.clone());
                connections.spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        serve(req, handler.clone(), log.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            ca_bundle: pki.ca_bundle,
            received,
            task,
        }
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The reviews posted to `path`.
    pub fn reviews(&self, path: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| r.review)
            .collect()
    }

    /// A `clientConfig` reaching `path` through the test Service.
    pub fn service_config(&self, path: &str) -> Value {
        json!({
            "service": { "namespace": SERVICE_NAMESPACE, "name": SERVICE_NAME, "path": path },
            "caBundle": self.ca_bundle,
        })
    }

    /// A `clientConfig` reaching `path` by URL.
    pub fn url_config(&self, path: &str) -> Value {
        json!({ "url": format!("https://{}{path}", self.addr), "caBundle": self.ca_bundle })
    }
}

async fn serve(
    req: http::Request<hyper::body::Incoming>,
    handler: Handler,
    log: Arc<Mutex<Vec<Received>>>,
) -> Result<http::Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let body = req.into_body().collect().await.map(|b| b.to_bytes());
    let review: Value = body
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    log.lock().unwrap().push(Received {
        path: path.clone(),
        query,
        review: review.clone(),
    });
    let (code, body) = match handler(&path, &review) {
        Answer::Json(v) => (200, serde_json::to_vec(&v).unwrap()),
        Answer::Raw(code, text) => (code, text.as_bytes().to_vec()),
        Answer::Slow(delay, v) => {
            tokio::time::sleep(delay).await;
            (200, serde_json::to_vec(&v).unwrap())
        }
    };
    let mut resp = http::Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = http::StatusCode::from_u16(code).unwrap();
    resp.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    Ok(resp)
}

/// An AdmissionReview response to `review` with `fields` (uid and versions filled in).
pub fn respond(review: &Value, fields: Value) -> Value {
    let mut response = json!({ "uid": review["request"]["uid"] });
    for (k, v) in fields.as_object().unwrap() {
        response[k] = v.clone();
    }
    json!({ "apiVersion": review["apiVersion"], "kind": "AdmissionReview", "response": response })
}

/// Allows the request.
pub fn allow(review: &Value) -> Answer {
    Answer::Json(respond(review, json!({ "allowed": true })))
}

/// Allows the request with a JSON Patch.
pub fn patch(review: &Value, ops: Value) -> Answer {
    let patch = base64::engine::general_purpose::STANDARD.encode(ops.to_string());
    Answer::Json(respond(
        review,
        json!({ "allowed": true, "patch": patch, "patchType": "JSONPatch" }),
    ))
}

/// Denies the request with `status`.
pub fn deny(review: &Value, status: Value) -> Answer {
    Answer::Json(respond(
        review,
        json!({ "allowed": false, "status": status }),
    ))
}

/// A webhook configuration of `kind` (`Validating` or `Mutating`) named `name` with `webhooks`.
pub fn configuration(kind: &str, name: &str, webhooks: Value) -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": format!("{kind}WebhookConfiguration"),
        "metadata": { "name": name },
        "webhooks": webhooks,
    })
}

/// One webhook with the fields every webhook needs.
pub fn webhook(name: &str, client_config: Value, rules: Value) -> Value {
    json!({
        "name": name,
        "clientConfig": client_config,
        "rules": rules,
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    })
}

/// A rule for `operations` on core `resources`.
pub fn core_rule(operations: &[&str], resources: &[&str]) -> Value {
    json!([{ "operations": operations, "apiGroups": [""], "apiVersions": ["v1"], "resources": resources }])
}

/// The API of webhook configurations of `kind` (`Validating` or `Mutating`).
pub fn configurations(client: &kube::Client, kind: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(
        "admissionregistration.k8s.io",
        "v1",
        &format!("{kind}WebhookConfiguration"),
    );
    let plural = format!("{}webhookconfigurations", kind.to_lowercase());
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, &plural),
    )
}

/// Stores a webhook configuration of `kind` (`Validating` or `Mutating`).
pub async fn configure(client: &kube::Client, kind: &str, name: &str, webhooks: Value) {
    let obj: DynamicObject = serde_json::from_value(configuration(kind, name, webhooks)).unwrap();
    configurations(client, kind)
        .create(&PostParams::default(), &obj)
        .await
        .unwrap();
}

/// The ConfigMaps of namespace `ns`.
pub fn cms(client: &kube::Client, ns: &str) -> Api<ConfigMap> {
    Api::namespaced(client.clone(), ns)
}

/// A cluster whose test Service routes to a new webhook server answering with `handler`.
pub async fn setup(
    handler: impl Fn(&str, &Value) -> Answer + Send + Sync + 'static,
) -> (EmbeddedCluster, WebhookServer, kube::Client) {
    let c = cluster().await;
    let hooks = WebhookServer::start(handler).await;
    c.register_service(SERVICE_NAMESPACE, SERVICE_NAME, hooks.addr);
    let client = c.client().unwrap();
    (c, hooks, client)
}

/// A ConfigMap `name` with one data key.
pub fn cm_with(name: &str, key: &str) -> ConfigMap {
    serde_json::from_value(json!({ "metadata": { "name": name }, "data": { key: "v" } })).unwrap()
}
