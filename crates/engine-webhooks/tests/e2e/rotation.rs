//! A serving certificate replaced on disk is served without a restart.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use crate::harness::{Operator, eventually, hook};

/// The leaf certificate `addr` serves to a client trusting only `ca`, or `None` when the
/// handshake fails (a server caught mid-rotation must not pass for the new certificate).
async fn served_certificate(addr: SocketAddr, ca: &Path) -> Option<Vec<u8>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.ok()?;
    let name = ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.ok()?;
    let (_, connection) = tls.get_ref();
    connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|leaf| leaf.to_vec())
}

#[tokio::test]
async fn a_certificate_rotated_on_disk_is_served_without_restart() {
    let op = Operator::start(&[(
        "allow.sh",
        &hook(
            r#"configVersion: v1
kubernetesValidating:
- name: allow.example.com
  rules:
  - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}"#,
            r#"echo '{"allowed": true}' > "$VALIDATING_RESPONSE_PATH""#,
        ),
    )])
    .await;
    let addr = op.webhooks().admission_addr().unwrap();
    let first = CertificateDer::from_pem_file(op.pki.cert())
        .unwrap()
        .to_vec();
    assert_eq!(
        served_certificate(addr, &op.pki.ca()).await,
        Some(first.clone())
    );

    let rotated = op.pki.rotate();
    assert_ne!(rotated, first);
    eventually("the rotated certificate to be served", || async {
        (served_certificate(addr, &op.pki.ca()).await.as_ref() == Some(&rotated)).then_some(())
    })
    .await;

    // The API server, trusting the same CA, reaches the hook over the new certificate.
    let out = op
        .apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after-rotation, namespace: default}\n")
        .await;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(op.webhooks().admission_addr(), Some(addr), "same server");
    op.stop().await;
}
