//! TLS client configurations trusting a webhook's `caBundle`, cached per bundle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// Bundles remembered before the cache starts over; configurations are cheap to rebuild.
const MAX_CACHED: usize = 64;

/// Client configurations keyed by the PEM bytes of their CA bundle.
#[derive(Debug, Default)]
pub struct Configs {
    cache: Mutex<HashMap<Vec<u8>, Arc<rustls::ClientConfig>>>,
}

impl Configs {
    /// The configuration trusting exactly the certificates in `ca_bundle`.
    ///
    /// An empty bundle trusts nothing: the embedded server has no system roots to fall back on.
    pub fn get(&self, ca_bundle: &[u8]) -> Result<Arc<rustls::ClientConfig>, String> {
        if let Some(config) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(ca_bundle)
        {
            return Ok(config.clone());
        }
        let config = Arc::new(build(ca_bundle)?);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(ca_bundle.to_vec(), config.clone());
        Ok(config)
    }
}

fn build(ca_bundle: &[u8]) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_bundle) {
        let cert = cert.map_err(|e| format!("invalid caBundle: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("invalid caBundle: {e}"))?;
    }
    if roots.is_empty() && !ca_bundle.is_empty() {
        return Err("invalid caBundle: no PEM certificates found".to_owned());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_without_certificates_is_reported() {
        let configs = Configs::default();
        let err = configs.get(b"not pem").unwrap_err();
        assert!(err.contains("no PEM certificates"), "{err}");
    }

    #[test]
    fn configurations_are_cached_per_bundle() {
        let configs = Configs::default();
        let a = configs.get(b"").unwrap();
        let b = configs.get(b"").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }
}
