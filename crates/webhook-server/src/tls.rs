//! A rustls certificate resolver whose key pair is reloaded from disk when the files change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::WebhookError;

/// Serves the current key pair; [`ReloadingCert::watch`] swaps it when the files change.
#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    key: Arc<CertifiedKey>,
}

async fn read(path: &Path) -> Result<Vec<u8>, WebhookError> {
    tokio::fs::read(path)
        .await
        .map_err(|source| WebhookError::ReadFile {
            path: path.to_owned(),
            source,
        })
}

/// Reads the CA (or any PEM) file for `caBundle`.
pub async fn read_pem_file(path: &Path) -> Result<Vec<u8>, WebhookError> {
    read(path).await
}

/// Parses PEM certificates.
pub fn parse_certs(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, WebhookError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| WebhookError::Pem {
            path: path.to_owned(),
            message: err.to_string(),
        })?;
    if certs.is_empty() {
        return Err(WebhookError::Pem {
            path: path.to_owned(),
            message: "no certificate found".to_owned(),
        });
    }
    Ok(certs)
}

fn certified_key(
    cert_path: &Path,
    cert_pem: &[u8],
    key_path: &Path,
    key_pem: &[u8],
) -> Result<Arc<CertifiedKey>, WebhookError> {
    let certs = parse_certs(cert_path, cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| WebhookError::Pem {
        path: key_path.to_owned(),
        message: err.to_string(),
    })?;
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&key).map_err(|err| WebhookError::Pem {
            path: key_path.to_owned(),
            message: err.to_string(),
        })?;
    let certified = CertifiedKey::new(certs, signing);
    // A pair caught halfway through a rotation (new certificate, old key) must not be served:
    // every handshake with it would fail. Keys whose consistency cannot be checked pass.
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(err) => Err(WebhookError::Pem {
            path: key_path.to_owned(),
            message: format!(
                "key does not match certificate {}: {err}",
                cert_path.display()
            ),
        }),
    }
}

impl ReloadingCert {
    /// Loads the key pair; a failure here is fatal for the server (as upstream).
    pub async fn load(
        cert_path: &Path,
        key_path: &Path,
    ) -> Result<Arc<ReloadingCert>, WebhookError> {
        let cert_pem = read(cert_path).await?;
        let key_pem = read(key_path).await?;
        let key = certified_key(cert_path, &cert_pem, key_path, &key_pem)?;
        Ok(Arc::new(ReloadingCert {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            current: RwLock::new(Loaded {
                cert_pem,
                key_pem,
                key,
            }),
        }))
    }

    /// Re-reads the files; swaps the key pair when their content changed and is valid.
    /// Returns true when a new key pair was installed. A half-written or invalid pair keeps
    /// the old one (the error is returned for the log).
    pub async fn reload(&self) -> Result<bool, WebhookError> {
        let cert_pem = read(&self.cert_path).await?;
        let key_pem = read(&self.key_path).await?;
        let unchanged = match self.current.read() {
            Ok(current) => current.cert_pem == cert_pem && current.key_pem == key_pem,
            Err(_) => false,
        };
        if unchanged {
            return Ok(false);
        }
        let key = certified_key(&self.cert_path, &cert_pem, &self.key_path, &key_pem)?;
        if let Ok(mut current) = self.current.write() {
            *current = Loaded {
                cert_pem,
                key_pem,
                key,
            };
        }
        Ok(true)
    }

    /// Polls the files every `interval` until `cancel` fires, on a task owned by `tracker`.
    pub fn watch(
        self: &Arc<Self>,
        interval: Duration,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) {
        let this = Arc::clone(self);
        tracker.spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                match this.reload().await {
                    Ok(true) => tracing::info!(cert = %this.cert_path.display(), "webhook certificate reloaded"),
                    Ok(false) => {}
                    Err(err) => tracing::warn!(error = %error_report::Report(&err), "webhook certificate reload failed, keeping the old one"),
                }
            }
        });
    }

    fn current_key(&self) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| Arc::clone(&c.key))
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["webhook.test".to_owned()])
            .expect("certificate");
        (certified.cert.pem(), certified.signing_key.serialize_pem())
    }

    #[test]
    fn a_key_that_does_not_match_the_certificate_is_rejected() {
        let (cert, key) = pair();
        let (_, other_key) = pair();
        let (cert_path, key_path) = (Path::new("tls.crt"), Path::new("tls.key"));
        assert!(certified_key(cert_path, cert.as_bytes(), key_path, key.as_bytes()).is_ok());
        let err = certified_key(cert_path, cert.as_bytes(), key_path, other_key.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("key does not match certificate tls.crt"),
            "{err}"
        );
    }
}
