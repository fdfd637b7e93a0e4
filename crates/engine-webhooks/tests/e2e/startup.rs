//! Which servers start, and startup errors that must stop the operator.

use std::error::Error as _;

use engine_webhooks::{ServerRole, Webhooks, WebhooksError};
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use kube::Api;
use kube::api::ListParams;
use tokio_util::sync::CancellationToken;

use crate::harness::{config, engine, hook};
use crate::pki::Pki;

fn validating_hook() -> String {
    hook(
        r#"configVersion: v1
kubernetesValidating:
- name: check.example.com
  rules:
  - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}"#,
        r#"echo '{"allowed": true}' > "$VALIDATING_RESPONSE_PATH""#,
    )
}

/// The error and its sources, joined.
fn chain(err: &WebhooksError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn hooks_without_webhook_bindings_start_no_server_and_register_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shutdown = CancellationToken::new();
    let startup = hook("configVersion: v1\nonStartup: 1", "true");
    let engine = engine(dir.path(), &[("startup.sh", &startup)], &shutdown).await;
    let cluster = embedded_apiserver::EmbeddedCluster::start(Default::default())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    // The certificate files do not exist: with no webhook bindings they are never read.
    let webhooks = Webhooks::start(
        engine_webhooks::WebhooksConfig::default(),
        engine.registry(),
        engine.direct_runs(),
        &client,
        &shutdown,
    )
    .await
    .unwrap();
    assert!(webhooks.endpoints().is_empty());
    assert_eq!(webhooks.admission_addr(), None);
    assert_eq!(webhooks.conversion_addr(), None);
    let configurations = Api::<ValidatingWebhookConfiguration>::all(client)
        .list(&ListParams::default())
        .await
        .unwrap();
    assert!(configurations.items.is_empty());
    webhooks.shutdown().await;
}

#[tokio::test]
async fn a_missing_certificate_or_ca_file_stops_startup_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let shutdown = CancellationToken::new();
    let engine = engine(dir.path(), &[("check.sh", &validating_hook())], &shutdown).await;
    let pki = Pki::create(&dir.path().join("certs"));

    let mut missing_cert = config(&pki);
    missing_cert.admission.server.server_cert = dir.path().join("nope.crt");
    let err = Webhooks::serve(
        missing_cert,
        engine.registry(),
        engine.direct_runs(),
        &shutdown,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            WebhooksError::Serve {
                role: ServerRole::Admission,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(chain(&err).contains("nope.crt"), "{}", chain(&err));

    let mut missing_ca = config(&pki);
    missing_ca.admission.server.ca = Some(dir.path().join("nope-ca.crt"));
    let err = Webhooks::serve(
        missing_ca,
        engine.registry(),
        engine.direct_runs(),
        &shutdown,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            WebhooksError::ReadCa {
                role: ServerRole::Admission,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(chain(&err).contains("nope-ca.crt"), "{}", chain(&err));
}

#[tokio::test]
async fn a_failed_registration_stops_startup_and_the_servers() {
    let dir = tempfile::tempdir().unwrap();
    let shutdown = CancellationToken::new();
    let engine = engine(dir.path(), &[("check.sh", &validating_hook())], &shutdown).await;
    let pki = Pki::create(&dir.path().join("certs"));
    let cluster = embedded_apiserver::EmbeddedCluster::start(Default::default())
        .await
        .unwrap();
    let client = cluster.client().unwrap();
    cluster.shutdown().await;

    // A fixed free port, so the test can check it is released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = config(&pki);
    settings.admission.server.listen_port = port;
    let err = Webhooks::start(
        settings,
        engine.registry(),
        engine.direct_runs(),
        &client,
        &shutdown,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, WebhooksError::RegisterAdmission(_)),
        "{err:?}"
    );
    assert!(
        crate::harness::refused(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await,
        "the admission server still listens after a failed start"
    );
}
