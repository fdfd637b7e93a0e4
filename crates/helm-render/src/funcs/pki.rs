//! Sprig's key and certificate functions: `genPrivateKey`, `genCA`, `genSelfSignedCert`,
//! `genSignedCert` (and their `…WithKey` forms) and `buildCustomCert`.
//!
//! Keys are PEM-encoded the way Go's `crypto/x509` marshals them (`RSA PRIVATE KEY` in PKCS#1,
//! `EC PRIVATE KEY` in SEC 1, `DSA PRIVATE KEY`, and PKCS#8 `PRIVATE KEY` for Ed25519);
//! certificates are built with rcgen from the template Sprig fills in: a random 128-bit serial,
//! the common name, IP and DNS SANs, `daysValid` from now, key usages digital signature and key
//! encipherment (plus certificate signing for a CA), server and client auth.

use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;

use base64::Engine as _;
use rand_core::OsRng;

use super::convert::strval;
use super::{Func, arg_str, want};
use crate::value::{Map, Object, Value};

/// Go's `certificate{Cert, Key}` struct that the generators return.
#[derive(Debug, Clone)]
struct Certificate {
    cert: String,
    key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &'static str {
        "sprig.certificate"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    fn plain(&self) -> Value {
        let mut m = Map::new();
        m.insert("Cert".into(), Value::str(&self.cert));
        m.insert("Key".into(), Value::str(&self.key));
        Value::map(m)
    }
    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
}

fn cert_value(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Certificate { cert, key }))
}

/// The `Cert`/`Key` of a `sprig.certificate` argument, with Go's type error otherwise.
fn arg_cert(v: &Value) -> Result<Certificate, String> {
    match v {
        Value::Object(o) if o.type_name() == "sprig.certificate" => Ok(Certificate {
            cert: o.field("Cert").map(|c| strval(&c)).unwrap_or_default(),
            key: o.field("Key").map(|k| strval(&k)).unwrap_or_default(),
        }),
        other => Err(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            other.type_name()
        )),
    }
}

/// A private key of one of the kinds Sprig generates and parses.
enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(Box<ed25519_dalek::SigningKey>),
    Dsa(Box<dsa::SigningKey>),
}

fn pem_lf(tag: &str, der: Vec<u8>) -> String {
    pem::encode_config(
        &pem::Pem::new(tag, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// Go's `DSAKeyFormat` (OpenSSL's `DSA PRIVATE KEY`): version, p, q, g, y, x.
fn dsa_der(k: &dsa::SigningKey) -> Result<Vec<u8>, String> {
    use der::Encode as _;
    let vk = k.verifying_key();
    let c = vk.components();
    let nums = [
        vec![0u8],
        c.p().to_bytes_be(),
        c.q().to_bytes_be(),
        c.g().to_bytes_be(),
        vk.y().to_bytes_be(),
        k.x().to_bytes_be(),
    ];
    let uints = nums
        .iter()
        .map(|b| der::asn1::UintRef::new(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    uints.to_der().map_err(|e| e.to_string())
}

impl PrivateKey {
    /// A new key of Sprig's kind name; the inner error is the text Sprig returns (not fails
    /// with) for an unknown kind.
    fn generate(kind: &str) -> Result<Result<PrivateKey, String>, String> {
        let mut rng = OsRng;
        Ok(Ok(match kind {
            "" | "rsa" => PrivateKey::Rsa(Box::new(
                rsa::RsaPrivateKey::new(&mut rng, 4096)
                    .map_err(|e| format!("failed to generate private key: {e}"))?,
            )),
            "ecdsa" => PrivateKey::Ec(p256::SecretKey::random(&mut rng)),
            "ed25519" => PrivateKey::Ed(Box::new(ed25519_dalek::SigningKey::generate(&mut rng))),
            "dsa" => {
                let params = dsa::Components::generate(&mut rng, dsa::KeySize::DSA_2048_256);
                PrivateKey::Dsa(Box::new(dsa::SigningKey::generate(&mut rng, params)))
            }
            other => return Ok(Err(format!("Unknown type {other}"))),
        }))
    }

    fn rsa_2048() -> Result<PrivateKey, String> {
        rsa::RsaPrivateKey::new(&mut OsRng, 2048)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| format!("error generating rsa key: {e}"))
    }

    /// The PEM block Go's `pemBlockForKey` writes.
    fn to_pem(&self) -> Result<String, String> {
        use rsa::pkcs1::EncodeRsaPrivateKey as _;
        match self {
            PrivateKey::Rsa(k) => Ok(pem_lf(
                "RSA PRIVATE KEY",
                k.to_pkcs1_der()
                    .map_err(|e| e.to_string())?
                    .as_bytes()
                    .to_vec(),
            )),
            PrivateKey::Ec(k) => Ok(pem_lf(
                "EC PRIVATE KEY",
                k.to_sec1_der().map_err(|e| e.to_string())?.to_vec(),
            )),
            PrivateKey::Ed(_) => Ok(pem_lf("PRIVATE KEY", self.pkcs8()?)),
            PrivateKey::Dsa(k) => Ok(pem_lf("DSA PRIVATE KEY", dsa_der(k)?)),
        }
    }

    /// PKCS#8 DER (v1, without the public key, like Go's `MarshalPKCS8PrivateKey`).
    fn pkcs8(&self) -> Result<Vec<u8>, String> {
        use p256::pkcs8::EncodePrivateKey as _;
        let doc = match self {
            PrivateKey::Rsa(k) => k.to_pkcs8_der(),
            PrivateKey::Ec(k) => k.to_pkcs8_der(),
            PrivateKey::Ed(k) => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: k.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_der(),
            PrivateKey::Dsa(_) => {
                return Err(
                    "x509: certificate private key does not implement crypto.Signer".into(),
                );
            }
        };
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|e| e.to_string())
    }

    /// An rcgen signing key for this key.
    fn key_pair(&self) -> Result<rcgen::KeyPair, String> {
        let alg = match self {
            PrivateKey::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
            PrivateKey::Ec(_) => &rcgen::PKCS_ECDSA_P256_SHA256,
            PrivateKey::Ed(_) => &rcgen::PKCS_ED25519,
            PrivateKey::Dsa(_) => {
                return Err(
                    "x509: certificate private key does not implement crypto.Signer".into(),
                );
            }
        };
        let der = self.pkcs8()?;
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der.as_slice().into(), alg)
            .map_err(|e| format!("error creating certificate: {e}"))
    }

    /// Sprig's `parsePrivateKeyPEM`.
    fn parse_pem(text: &str) -> Result<PrivateKey, String> {
        use p256::pkcs8::DecodePrivateKey as _;
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let block = pem::parse(text).map_err(|_| "no PEM data in input".to_string())?;
        let der = block.contents();
        match block.tag() {
            "PRIVATE KEY" => {
                if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(der) {
                    Ok(PrivateKey::Rsa(Box::new(k)))
                } else if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
                    Ok(PrivateKey::Ec(k))
                } else if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
                    Ok(PrivateKey::Ed(Box::new(k)))
                } else {
                    Err("decoding PEM as PKCS#8: x509: failed to parse private key".into())
                }
            }
            "RSA PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs1_der(der)
                .map(|k| PrivateKey::Rsa(Box::new(k)))
                .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(der)
                .map(PrivateKey::Ec)
                .map_err(|e| format!("parsing EC private key from PEM: {e}")),
            "DSA PRIVATE KEY" => {
                Err("parsing DSA private key from PEM: DSA keys cannot sign certificates".into())
            }
            t if t.ends_with(" PRIVATE KEY") => Err(format!("invalid private key type {t}")),
            t => Err(format!("no private key data in PEM block of type {t}")),
        }
    }
}

/// Sprig's `getBaseCertTemplate`.
fn base_params(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<rcgen::CertificateParams, String> {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    for ip in list_arg(ips) {
        let Value::String(s) = &ip else {
            return Err(format!(
                "error parsing ip: {} is not a string",
                crate::format::format_value(&ip)
            ));
        };
        let addr: IpAddr = s.parse().map_err(|_| format!("error parsing ip: {s}"))?;
        p.subject_alt_names.push(rcgen::SanType::IpAddress(addr));
    }
    for name in list_arg(dns) {
        let Value::String(s) = &name else {
            return Err(format!(
                "error processing alternate dns name: {} is not a string",
                crate::format::format_value(&name)
            ));
        };
        let ia5 = s.to_string().try_into().map_err(|e| format!("{e}"))?;
        p.subject_alt_names.push(rcgen::SanType::DnsName(ia5));
    }
    let mut serial = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut OsRng, &mut serial);
    serial[0] &= 0x7f;
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now;
    p.not_after = days
        .checked_mul(86_400)
        .and_then(|s| now.checked_add(time::Duration::seconds(s)))
        .ok_or_else(|| format!("daysValid out of range: {days}"))?;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.is_ca = rcgen::IsCa::ExplicitNoCa;
    Ok(p)
}

/// Items of a list argument; nil is an empty list, like Go's nil `[]interface{}`.
fn list_arg(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.as_ref().clone(),
        _ => Vec::new(),
    }
}

fn list_or_nil(v: &Value) -> Result<(), String> {
    match v {
        Value::List(_) | Value::Nil => Ok(()),
        other => Err(format!(
            "wrong type for value; expected []interface {{}}; got {}",
            other.type_name()
        )),
    }
}

fn days_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(n) => Ok(*n),
        other => Err(format!(
            "wrong type for value; expected int; got {}",
            other.type_name()
        )),
    }
}

fn self_signed(params: &rcgen::CertificateParams, key: &PrivateKey) -> Result<Value, String> {
    let kp = key.key_pair()?;
    let cert = params
        .self_signed(&kp)
        .map_err(|e| format!("error creating certificate: {e}"))?;
    Ok(cert_value(cert.pem(), key.to_pem()?))
}

fn gen_ca(a: &[Value], key: KeySource) -> Result<Value, String> {
    let cn = arg_str(&a[0])?;
    let days = days_arg(&a[1])?;
    let mut p = base_params(&cn, &Value::Nil, &Value::Nil, days)?;
    p.key_usages.push(rcgen::KeyUsagePurpose::KeyCertSign);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    self_signed(&p, &key.get(a)?)
}

fn gen_self_signed(a: &[Value], key: KeySource) -> Result<Value, String> {
    let cn = arg_str(&a[0])?;
    list_or_nil(&a[1])?;
    list_or_nil(&a[2])?;
    let days = days_arg(&a[3])?;
    let p = base_params(&cn, &a[1], &a[2], days)?;
    self_signed(&p, &key.get(a)?)
}

fn gen_signed(a: &[Value], key: KeySource) -> Result<Value, String> {
    let cn = arg_str(&a[0])?;
    list_or_nil(&a[1])?;
    list_or_nil(&a[2])?;
    let days = days_arg(&a[3])?;
    let ca = arg_cert(&a[4])?;
    let ca_block = pem::parse(&ca.cert).map_err(|_| "unable to decode certificate".to_string())?;
    let signer = PrivateKey::parse_pem(&ca.key)
        .and_then(|k| k.key_pair())
        .map_err(|e| format!("error parsing private key: {e}"))?;
    let issuer = rcgen::Issuer::from_ca_cert_der(&ca_block.contents().into(), signer)
        .map_err(|e| format!("error parsing certificate: decodedSignerCert.Bytes: {e}"))?;
    let p = base_params(&cn, &a[1], &a[2], days)?;
    let key = key.get(a)?;
    let kp = key.key_pair()?;
    let cert = p
        .signed_by(&kp, &issuer)
        .map_err(|e| format!("error creating certificate: {e}"))?;
    Ok(cert_value(cert.pem(), key.to_pem()?))
}

/// Where a generator's key comes from: a new RSA 2048 key, or the PEM argument at an index.
/// Resolved after the other arguments are checked, so bad input fails before key generation.
#[derive(Clone, Copy)]
enum KeySource {
    NewRsa,
    Arg(usize),
}

impl KeySource {
    fn get(self, a: &[Value]) -> Result<PrivateKey, String> {
        match self {
            KeySource::NewRsa => PrivateKey::rsa_2048(),
            KeySource::Arg(i) => {
                let text = arg_str(a.get(i).unwrap_or(&Value::Nil))?;
                PrivateKey::parse_pem(&text).map_err(|e| format!("parsing private key: {e}"))
            }
        }
    }
}

fn build_custom_cert(a: &[Value]) -> Result<Value, String> {
    want(a, 2)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = b64
        .decode(arg_str(&a[0])?)
        .map_err(|_| "unable to decode base64 certificate".to_string())?;
    let key = b64
        .decode(arg_str(&a[1])?)
        .map_err(|_| "unable to decode base64 private key".to_string())?;
    let block = pem::parse(&cert).map_err(|_| "unable to decode certificate".to_string())?;
    x509_parser::parse_x509_certificate(block.contents())
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: {e}"))?;
    let key = String::from_utf8_lossy(&key).into_owned();
    PrivateKey::parse_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(cert_value(String::from_utf8_lossy(&cert).into_owned(), key))
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("genPrivateKey", |a| {
        want(a, 1)?;
        match PrivateKey::generate(&arg_str(&a[0])?)? {
            Ok(key) => key.to_pem().map(Value::from),
            Err(text) => Ok(Value::from(text)),
        }
    });
    m.insert("buildCustomCert", build_custom_cert);
    m.insert("genCA", |a| {
        want(a, 2)?;
        gen_ca(a, KeySource::NewRsa)
    });
    m.insert("genCAWithKey", |a| {
        want(a, 3)?;
        gen_ca(a, KeySource::Arg(2))
    });
    m.insert("genSelfSignedCert", |a| {
        want(a, 4)?;
        gen_self_signed(a, KeySource::NewRsa)
    });
    m.insert("genSelfSignedCertWithKey", |a| {
        want(a, 5)?;
        gen_self_signed(a, KeySource::Arg(4))
    });
    m.insert("genSignedCert", |a| {
        want(a, 5)?;
        gen_signed(a, KeySource::NewRsa)
    });
    m.insert("genSignedCertWithKey", |a| {
        want(a, 6)?;
        gen_signed(a, KeySource::Arg(5))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate};

    fn call(name: &str, args: &[Value]) -> Result<Value, String> {
        let mut m = HashMap::new();
        register(&mut m);
        m.get(name).ok_or("no such function")?(args)
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn field(v: &Value, name: &str) -> String {
        match v {
            Value::Object(o) => o.field(name).map(|x| strval(&x)).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The DER of the first PEM block, parsed as a certificate by the test.
    fn der(pem_text: &str) -> Vec<u8> {
        pem::parse(pem_text)
            .map(|p| p.contents().to_vec())
            .unwrap_or_default()
    }

    fn cn(c: &X509Certificate<'_>) -> String {
        c.subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn generated_keys_are_pem_of_go_block_types_and_parse_back() {
        for (kind, tag) in [("ecdsa", "EC PRIVATE KEY"), ("ed25519", "PRIVATE KEY")] {
            let text = strval(&call("genPrivateKey", &[s(kind)]).unwrap_or_default());
            assert_eq!(
                pem::parse(&text)
                    .map(|p| p.tag().to_string())
                    .ok()
                    .as_deref(),
                Some(tag)
            );
            let again = PrivateKey::parse_pem(&text).and_then(|k| k.to_pem());
            assert_eq!(
                again.as_deref(),
                Ok(text.as_str()),
                "{kind} re-encodes identically"
            );
        }
        assert_eq!(
            call("genPrivateKey", &[s("foo")]).map(|v| strval(&v)),
            Ok("Unknown type foo".into()),
            "Sprig returns the message as text"
        );
    }

    #[test]
    fn dsa_keys_are_openssl_dsa_private_key_sequences() {
        let text = strval(&call("genPrivateKey", &[s("dsa")]).unwrap_or_default());
        let block = pem::parse(&text).unwrap_or_else(|_| pem::Pem::new("none", vec![]));
        assert_eq!(block.tag(), "DSA PRIVATE KEY");
        // SEQUENCE { version 0, p, q, g, y, x }
        let seq: Result<Vec<der::asn1::Int>, _> = der::Decode::from_der(block.contents());
        assert_eq!(seq.map(|v| v.len()).ok(), Some(6));
    }

    #[test]
    fn rsa_keys_are_4096_bit_pkcs1() {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        use rsa::traits::PublicKeyParts as _;
        let text = strval(&call("genPrivateKey", &[s("rsa")]).unwrap_or_default());
        let block = pem::parse(&text).unwrap_or_else(|_| pem::Pem::new("none", vec![]));
        assert_eq!(block.tag(), "RSA PRIVATE KEY");
        let key = rsa::RsaPrivateKey::from_pkcs1_der(block.contents()).map(|k| k.size() * 8);
        assert_eq!(key.ok(), Some(4096));
    }

    #[test]
    fn ca_and_signed_certificates_carry_sprigs_template() {
        let ca = call("genCA", &[s("my-ca"), Value::Int(365)]).unwrap_or_default();
        let ca_der = der(&field(&ca, "Cert"));
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).expect("CA parses");
        assert_eq!(cn(&ca_cert), "my-ca");
        assert!(ca_cert.is_ca());
        let ku = ca_cert.key_usage().ok().flatten().map(|k| *k.value);
        assert!(
            ku.is_some_and(|k| k.key_cert_sign() && k.digital_signature() && k.key_encipherment())
        );
        let days = (ca_cert.validity().not_after.timestamp()
            - ca_cert.validity().not_before.timestamp())
            / 86_400;
        assert_eq!(days, 365);
        assert!(field(&ca, "Key").starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));

        let leaf_key = strval(&call("genPrivateKey", &[s("ecdsa")]).unwrap_or_default());
        let leaf = call(
            "genSignedCertWithKey",
            &[
                s("leaf"),
                Value::list(vec![s("10.1.2.3")]),
                Value::list(vec![s("leaf.example")]),
                Value::Int(2),
                ca.clone(),
                s(&leaf_key),
            ],
        )
        .unwrap_or_default();
        assert_eq!(field(&leaf, "Key"), leaf_key, "the given key is returned");
        let leaf_der = der(&field(&leaf, "Cert"));
        let (_, cert) = X509Certificate::from_der(&leaf_der).expect("leaf parses");
        assert_eq!(cn(&cert), "leaf");
        assert_eq!(cert.issuer(), ca_cert.subject());
        assert!(!cert.is_ca());
        let sans: Vec<String> = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|e| {
                e.value
                    .general_names
                    .iter()
                    .map(|n| match n {
                        GeneralName::DNSName(d) => d.to_string(),
                        GeneralName::IPAddress(ip) => format!("{ip:?}"),
                        other => format!("{other:?}"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(sans, ["[10, 1, 2, 3]", "leaf.example"]);
        let eku = cert
            .extended_key_usage()
            .ok()
            .flatten()
            .map(|e| e.value.clone());
        assert!(eku.is_some_and(|e| e.server_auth && e.client_auth));
        assert!(cert.verify_signature(Some(ca_cert.public_key())).is_ok());
    }

    #[test]
    fn keyless_generators_make_rsa_2048_keys() {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        use rsa::traits::PublicKeyParts as _;
        let ca = call("genCA", &[s("ca"), Value::Int(1)]).unwrap_or_default();
        let self_signed = call(
            "genSelfSignedCert",
            &[
                s("self"),
                Value::Nil,
                Value::list(vec![s("a.example")]),
                Value::Int(1),
            ],
        )
        .unwrap_or_default();
        let signed = call(
            "genSignedCert",
            &[s("leaf"), Value::Nil, Value::Nil, Value::Int(1), ca.clone()],
        )
        .unwrap_or_default();
        for c in [&ca, &self_signed, &signed] {
            let bits = pem::parse(field(c, "Key"))
                .ok()
                .and_then(|p| rsa::RsaPrivateKey::from_pkcs1_der(p.contents()).ok())
                .map(|k| k.size() * 8);
            assert_eq!(bits, Some(2048));
            assert!(X509Certificate::from_der(&der(&field(c, "Cert"))).is_ok());
        }
        assert_ne!(field(&signed, "Key"), field(&ca, "Key"));
    }

    #[test]
    fn self_signed_with_an_ed25519_key_verifies_against_itself() {
        let key = strval(&call("genPrivateKey", &[s("ed25519")]).unwrap_or_default());
        let c = call(
            "genSelfSignedCertWithKey",
            &[s("self"), Value::Nil, Value::Nil, Value::Int(1), s(&key)],
        )
        .unwrap_or_default();
        let d = der(&field(&c, "Cert"));
        let (_, cert) = X509Certificate::from_der(&d).expect("parses");
        assert_eq!(cert.issuer(), cert.subject());
        assert!(cert.verify_signature(None).is_ok());
    }

    #[test]
    fn build_custom_cert_checks_both_halves() {
        let ca = call(
            "genCAWithKey",
            &[
                s("x"),
                Value::Int(1),
                call("genPrivateKey", &[s("ecdsa")]).unwrap_or_default(),
            ],
        )
        .unwrap_or_default();
        let b64 = |t: String| Value::from(base64::engine::general_purpose::STANDARD.encode(t));
        let ok = call(
            "buildCustomCert",
            &[b64(field(&ca, "Cert")), b64(field(&ca, "Key"))],
        );
        assert_eq!(ok.map(|v| field(&v, "Cert")), Ok(field(&ca, "Cert")));
        let bad_b64 = call("buildCustomCert", &[s("!!"), s("")]);
        assert_eq!(
            bad_b64.err().as_deref(),
            Some("unable to decode base64 certificate")
        );
        let not_pem = call(
            "buildCustomCert",
            &[b64("x".into()), b64(field(&ca, "Key"))],
        );
        assert_eq!(
            not_pem.err().as_deref(),
            Some("unable to decode certificate")
        );
        let bad_key = call(
            "buildCustomCert",
            &[b64(field(&ca, "Cert")), b64("junk".into())],
        );
        assert!(bad_key.is_err_and(|e| e.starts_with("error parsing private key")));
    }

    #[test]
    fn bad_arguments_are_errors_before_any_key_is_generated() {
        let cases: &[(&str, Vec<Value>, &str)] = &[
            ("genCA", vec![s("x"), Value::Float(1.5)], "expected int"),
            (
                "genCA",
                vec![Value::Int(1), Value::Int(1)],
                "expected string",
            ),
            (
                "genSelfSignedCert",
                vec![
                    s("x"),
                    Value::list(vec![Value::Int(1)]),
                    Value::Nil,
                    Value::Int(1),
                ],
                "error parsing ip: 1 is not a string",
            ),
            (
                "genSelfSignedCert",
                vec![
                    s("x"),
                    Value::list(vec![s("300.1.1.1")]),
                    Value::Nil,
                    Value::Int(1),
                ],
                "error parsing ip: 300.1.1.1",
            ),
            (
                "genSelfSignedCert",
                vec![s("x"), s("notalist"), Value::Nil, Value::Int(1)],
                "expected []interface {}",
            ),
            (
                "genSignedCert",
                vec![
                    s("x"),
                    Value::Nil,
                    Value::Nil,
                    Value::Int(1),
                    Value::map(Map::new()),
                ],
                "expected sprig.certificate",
            ),
            (
                "genCAWithKey",
                vec![s("x"), Value::Int(1), s("junk")],
                "parsing private key: no PEM data in input",
            ),
            (
                "genCAWithKey",
                vec![
                    s("x"),
                    Value::Int(1),
                    s("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                ],
                "no private key data in PEM block of type CERTIFICATE",
            ),
            (
                "genCAWithKey",
                vec![
                    s("x"),
                    Value::Int(1),
                    s("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
                ],
                "parsing EC private key",
            ),
            (
                "genCA",
                vec![s("x"), Value::Int(i64::MAX)],
                "daysValid out of range",
            ),
            ("genPrivateKey", vec![], "wrong number of args"),
        ];
        for (name, args, want_text) in cases {
            let got = call(name, args);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(want_text)),
                "{name}: {:?}",
                got.map(|v| strval(&v))
            );
        }
    }
}
