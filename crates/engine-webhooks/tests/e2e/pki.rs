//! Test certificates: a CA and serving certificates for the webhook Services, written to files
//! the servers read (and re-read after a rotation).

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};

use crate::harness::{ADMISSION_SERVICE, CONVERSION_SERVICE, NAMESPACE};

/// A CA on disk (`ca.crt`) and the current serving pair (`tls.crt`, `tls.key`).
pub struct Pki {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    /// A fresh CA and a first serving certificate in `dir`.
    pub fn create(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = params.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();
        let pki = Pki {
            dir: dir.to_owned(),
            issuer: Issuer::new(params, ca_key),
        };
        pki.rotate();
        pki
    }

    /// Issues a new serving certificate with a new key and replaces the files the way
    /// kubelet's atomic writer does (write aside, rename over). Returns the new certificate's
    /// DER.
    pub fn rotate(&self) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![
            format!("{ADMISSION_SERVICE}.{NAMESPACE}.svc"),
            format!("{CONVERSION_SERVICE}.{NAMESPACE}.svc"),
            "localhost".to_owned(),
        ])
        .unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        for (name, content) in [("tls.key", key.serialize_pem()), ("tls.crt", cert.pem())] {
            let aside = self.dir.join(format!(".{name}.new"));
            std::fs::write(&aside, content).unwrap();
            std::fs::rename(&aside, self.dir.join(name)).unwrap();
        }
        cert.der().to_vec()
    }

    /// `ca.crt`.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// `tls.crt`.
    pub fn cert(&self) -> PathBuf {
        self.dir.join("tls.crt")
    }

    /// `tls.key`.
    pub fn key(&self) -> PathBuf {
        self.dir.join("tls.key")
    }
}
