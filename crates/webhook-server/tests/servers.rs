//! HTTPS servers end to end on 127.0.0.1: TLS with rotating certificate files, routing, error
//! codes and replies with a fake hook runner.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail loudly"
)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures::future::BoxFuture;
use hook_config::ConversionRule;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use webhook_server::{
    AdmissionRoutes, BindingRef, ConversionGraph, ConversionStep, HookFailed, ServerHandle,
    TlsFiles, WebhookHookRunner, WebhookKind, WebhookServerConfig, serve_admission,
    serve_conversion,
};

const HOST: &str = "webhook.test";

struct Pem {
    cert: String,
    key: String,
}

fn self_signed() -> Pem {
    let certified = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
    Pem {
        cert: certified.cert.pem(),
        key: certified.signing_key.serialize_pem(),
    }
}

fn write(dir: &Path, pem: &Pem) {
    // Write the key pair next to the target and rename, as kubelet's atomic writer does.
    std::fs::write(dir.join("tls.crt.tmp"), &pem.cert).unwrap();
    std::fs::write(dir.join("tls.key.tmp"), &pem.key).unwrap();
    std::fs::rename(dir.join("tls.crt.tmp"), dir.join("tls.crt")).unwrap();
    std::fs::rename(dir.join("tls.key.tmp"), dir.join("tls.key")).unwrap();
}

fn config(dir: &Path) -> WebhookServerConfig {
    WebhookServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        tls: TlsFiles {
            cert: dir.join("tls.crt"),
            key: dir.join("tls.key"),
            client_cas: Vec::new(),
        },
        reload_interval: Duration::from_millis(50),
    }
}

fn client_builder(trusted: &Pem, addr: SocketAddr) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(trusted.cert.as_bytes()).unwrap())
        .resolve(HOST, addr)
        .pool_max_idle_per_host(0)
}

fn client(trusted: &Pem, addr: SocketAddr) -> reqwest::Client {
    client_builder(trusted, addr).build().unwrap()
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("https://{HOST}:{}{path}", addr.port())
}

/// Answers admission requests with a fixed response file per binding name, or fails; converts
/// by rewriting apiVersion to the rule's target.
struct FakeRunner;

impl WebhookHookRunner for FakeRunner {
    fn run_admission<'a>(
        &'a self,
        binding: &'a BindingRef,
        review: Arc<Value>,
    ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>> {
        Box::pin(async move {
            assert!(
                review.get("apiVersion").is_none(),
                "hooks see only the request"
            );
            match binding.binding.as_str() {
                "allow.example.com" => Ok(br#"{"allowed":true,"warnings":["careful"]}"#.to_vec()),
                "deny.example.com" => {
                    Ok(br#"{"allowed":false,"message":"denied by hook"}"#.to_vec())
                }
                "mutate" => {
                    let patch = base64::engine::general_purpose::STANDARD
                        .encode(r#"[{"op":"add","path":"/metadata/labels/x","value":"y"}]"#);
                    Ok(format!(r#"{{"allowed":true,"patch":"{patch}"}}"#).into_bytes())
                }
                "empty.example.com" => Ok(Vec::new()),
                _ => Err(HookFailed {
                    reason: "exit status 1".to_owned(),
                }),
            }
        })
    }

    fn run_conversion<'a>(
        &'a self,
        step: &'a ConversionStep,
        review: Arc<Value>,
    ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>> {
        Box::pin(async move {
            let to = step
                .rule
                .to_version
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned();
            let objects: Vec<Value> = review["request"]["objects"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut o| {
                    o["apiVersion"] = json!(format!("stable.example.com/{to}"));
                    o
                })
                .collect();
            Ok(serde_json::to_vec(&json!({ "convertedObjects": objects })).unwrap())
        })
    }
}

fn routes() -> AdmissionRoutes {
    let mut routes = AdmissionRoutes::new();
    for (name, kind) in [
        ("allow.example.com", WebhookKind::Validating),
        ("deny.example.com", WebhookKind::Validating),
        ("empty.example.com", WebhookKind::Validating),
        ("fail.example.com", WebhookKind::Validating),
        ("mutate", WebhookKind::Mutating),
    ] {
        routes.add(
            BindingRef {
                hook: "hook.sh".to_owned(),
                binding: name.to_owned(),
            },
            kind,
        );
    }
    routes
}

async fn admission_server(dir: &Path, pem: &Pem) -> (ServerHandle, reqwest::Client) {
    write(dir, pem);
    let cancel = CancellationToken::new();
    let handle = serve_admission(&config(dir), routes(), Arc::new(FakeRunner), &cancel)
        .await
        .unwrap();
    let client = client(pem, handle.local_addr());
    (handle, client)
}

fn review(api_version: &str) -> Value {
    json!({"apiVersion": api_version, "kind": "AdmissionReview",
           "request": {"uid": "uid-1", "operation": "CREATE", "object": {"metadata": {"name": "a"}}}})
}

async fn post(client: &reqwest::Client, addr: SocketAddr, path: &str, body: &Value) -> Value {
    let response = client
        .post(url(addr, path))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn rotated_certificate_is_served_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (self_signed(), self_signed());
    let (handle, old_client) = admission_server(dir.path(), &old).await;
    let addr = handle.local_addr();
    let new_client = client(&new, addr);

    assert!(old_client.get(url(addr, "/healthz")).send().await.is_ok());
    assert!(new_client.get(url(addr, "/healthz")).send().await.is_err());

    write(dir.path(), &new);
    let mut served_new = false;
    for _ in 0..100 {
        if new_client.get(url(addr, "/healthz")).send().await.is_ok() {
            served_new = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served_new, "the new certificate was never served");
    // The old client is not asserted to fail: rustls resumes its earlier TLS session without
    // re-checking the certificate.
    handle.shutdown().await;
}

#[tokio::test]
async fn invalid_key_pair_on_disk_keeps_the_old_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed();
    let (handle, client) = admission_server(dir.path(), &pem).await;
    std::fs::write(dir.path().join("tls.crt"), "garbage").unwrap();
    assert!(handle.cert().reload().await.is_err());
    let response = client
        .get(url(handle.local_addr(), "/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    handle.shutdown().await;
}

#[tokio::test]
async fn admission_replies_follow_the_response_file_and_echo_the_review_version() {
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed();
    let (handle, client) = admission_server(dir.path(), &pem).await;
    let addr = handle.local_addr();

    let reply = post(
        &client,
        addr,
        "/hooks/allow-example-com",
        &review("admission.k8s.io/v1"),
    )
    .await;
    assert_eq!(
        reply,
        json!({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
               "response":{"uid":"uid-1","allowed":true,"warnings":["careful"]}})
    );

    let reply = post(
        &client,
        addr,
        "/hooks/deny-example-com",
        &review("admission.k8s.io/v1beta1"),
    )
    .await;
    assert_eq!(reply["apiVersion"], json!("admission.k8s.io/v1beta1"));
    assert_eq!(
        reply["response"],
        json!({"uid":"uid-1","allowed":false,"status":{"code":403,"message":"denied by hook"}})
    );

    let reply = post(
        &client,
        addr,
        "/hooks/mutate",
        &review("admission.k8s.io/v1"),
    )
    .await;
    assert_eq!(reply["response"]["patchType"], json!("JSONPatch"));

    let reply = post(
        &client,
        addr,
        "/hooks/empty-example-com",
        &review("admission.k8s.io/v1"),
    )
    .await;
    assert_eq!(
        reply["response"]["status"],
        json!({"code":500,"message":"handle AdmissionReview: hook task prop error"})
    );

    let reply = post(
        &client,
        addr,
        "/hooks/fail-example-com",
        &review("admission.k8s.io/v1"),
    )
    .await;
    assert_eq!(
        reply["response"]["status"],
        json!({"code":403,"message":"Hook failed"})
    );

    let reply = post(
        &client,
        addr,
        "/hooks/unknown",
        &review("admission.k8s.io/v1"),
    )
    .await;
    assert_eq!(reply["response"]["allowed"], json!(false));
    assert_eq!(reply["response"]["status"]["code"], json!(500));
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_upstream_status_codes() {
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed();
    let (handle, client) = admission_server(dir.path(), &pem).await;
    let addr = handle.local_addr();
    let target = url(addr, "/hooks/allow-example-com");

    let response = client.post(&target).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 415);

    let response = client
        .post(&target)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.text().await.unwrap(), "Invalid JSON payload");

    let response = client
        .post(&target)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(r#"{"kind":"AdmissionReview"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "Missing parameters: request"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn conversion_server_runs_the_chain_for_the_crd_in_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed();
    write(dir.path(), &pem);
    let mut graph = ConversionGraph::new();
    let binding = BindingRef {
        hook: "conv.sh".to_owned(),
        binding: "chain".to_owned(),
    };
    let rules: Vec<ConversionRule> = [("alpha", "beta"), ("beta", "gamma"), ("gamma", "delta")]
        .iter()
        .map(|(f, t)| ConversionRule {
            from_version: format!("stable.example.com/{f}"),
            to_version: (*t).to_owned(),
        })
        .collect();
    graph.add(&binding, "crontabs.stable.example.com", &rules);
    let cancel = CancellationToken::new();
    let handle = serve_conversion(&config(dir.path()), graph, Arc::new(FakeRunner), &cancel)
        .await
        .unwrap();
    let addr = handle.local_addr();
    let client = client(&pem, addr);

    let body = json!({"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview",
        "request":{"uid":"c1","desiredAPIVersion":"stable.example.com/delta",
                   "objects":[{"apiVersion":"stable.example.com/alpha","kind":"CronTab"}]}});
    let reply = post(&client, addr, "/crontabs.stable.example.com", &body).await;
    assert_eq!(
        reply,
        json!({"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview",
               "response":{"uid":"c1","convertedObjects":[{"apiVersion":"stable.example.com/delta","kind":"CronTab"}],
                           "result":{"status":"Success"}}})
    );

    let reply = post(&client, addr, "/other.example.com", &body).await;
    assert_eq!(reply["response"]["result"]["status"], json!("Failure"));
    assert_eq!(
        client
            .get(url(addr, "/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    cancel.cancel();
    handle.shutdown().await;
}

/// A CA that signs client certificates (`--*-webhook-client-ca`) and one client identity.
fn client_ca_and_identity() -> (Pem, reqwest::Identity) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca = Pem {
        cert: ca_cert.pem(),
        key: ca_key.serialize_pem(),
    };
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let client_key = rcgen::KeyPair::generate().unwrap();
    let client_cert = rcgen::CertificateParams::new(vec!["kube-apiserver".to_owned()])
        .unwrap()
        .signed_by(&client_key, &issuer)
        .unwrap();
    let identity = reqwest::Identity::from_pem(
        format!("{}{}", client_cert.pem(), client_key.serialize_pem()).as_bytes(),
    )
    .unwrap();
    (ca, identity)
}

#[tokio::test]
async fn client_cas_require_a_client_certificate_signed_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed();
    write(dir.path(), &pem);
    let (client_ca, identity) = client_ca_and_identity();
    std::fs::write(dir.path().join("client-ca.crt"), &client_ca.cert).unwrap();
    let mut server_config = config(dir.path());
    server_config.tls.client_cas = vec![dir.path().join("client-ca.crt")];
    let cancel = CancellationToken::new();
    let handle = serve_admission(&server_config, routes(), Arc::new(FakeRunner), &cancel)
        .await
        .unwrap();
    let addr = handle.local_addr();
    let builder = || client_builder(&pem, addr);

    let anonymous = builder().build().unwrap();
    assert!(
        anonymous.get(url(addr, "/healthz")).send().await.is_err(),
        "a client without a certificate is refused"
    );
    let (_, stranger) = client_ca_and_identity();
    let foreign = builder().identity(stranger).build().unwrap();
    assert!(
        foreign.get(url(addr, "/healthz")).send().await.is_err(),
        "a certificate from another CA is refused"
    );
    let trusted = builder().identity(identity).build().unwrap();
    let body = post(
        &trusted,
        addr,
        "/hooks/allow-example-com",
        &review("admission.k8s.io/v1"),
    )
    .await;
    assert_eq!(body["response"]["allowed"], true, "{body}");
    handle.shutdown().await;
}
