//! Sprig's encodings, digests and secrets: base64/base32, sha1/sha256/sha512, adler32, uuid,
//! bcrypt/htpasswd, derivePassword, encryptAES/decryptAES, randBytes.

use std::collections::HashMap;

use base64::Engine as _;
use sha1::Digest as _;

use super::convert::{strval, to_i64};
use super::{Func, arg_str, want};
use crate::value::Value;

fn text(a: &[Value]) -> Result<String, String> {
    want(a, 1)?;
    Ok(strval(&a[0]))
}

/// Adler-32 checksum.
pub fn adler32(data: &[u8]) -> u32 {
    adler2::adler32_slice(data)
}

/// Go's bcrypt at its default cost 10, `$2a$` prefix; over 72 bytes is refused as in x/crypto.
fn bcrypt_hash(password: &str) -> String {
    match bcrypt::non_truncating_hash_with_result(password, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(bcrypt::BcryptError::Truncation(_)) => {
            "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes".into()
        }
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

/// Sprig's derivePassword: the Master Password algorithm (scrypt key, HMAC-SHA256 seed,
/// character templates per password type).
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    use hmac::Mac as _;
    const SEED: &[u8] = b"com.lyndir.masterpassword";
    let templates: &[&str] = match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return format!("cannot find password template {kind}"),
    };
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let derived = scrypt::Params::new(15, 8, 2, 64)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            scrypt::scrypt(password.as_bytes(), &salt, &p, &mut key).map_err(|e| e.to_string())
        });
    if let Err(e) = derived {
        return format!("failed to derive password: {e}");
    }
    let mut msg = SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password: invalid HMAC key".into();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .zip(seed.iter().skip(1))
        .map(|(class, &s)| {
            let chars: &[u8] = match class {
                b'V' => b"AEIOU",
                b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
                b'v' => b"aeiou",
                b'c' => b"bcdfghjklmnpqrstvwxyz",
                b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
                b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
                b'n' => b"0123456789",
                b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
                _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
            };
            char::from(chars[usize::from(s) % chars.len()])
        })
        .collect()
}

/// The AES-256 key Sprig makes of a password: its bytes, zero-padded or cut to 32.
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    key
}

/// Sprig's encryptAES: AES-256-CBC, PKCS#7 padding, random IV prepended, base64.
fn encrypt_aes(password: &str, plaintext: &str) -> String {
    use aes::cipher::{BlockEncryptMut as _, KeyIvInit as _, block_padding::Pkcs7};
    if plaintext.is_empty() {
        return String::new();
    }
    let mut iv = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut iv);
    let enc = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let mut out = iv.to_vec();
    out.extend(enc.encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes()));
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// Sprig's decryptAES. Where Go panics (short or partial-block input, a pad byte longer than
/// the text) this is an error; like Sprig, the pad bytes themselves are not checked.
fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, String> {
    use aes::cipher::{BlockDecryptMut as _, KeyIvInit as _, block_padding::NoPadding};
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| go_base64_error(&e, crypt64.len()))?;
    if crypt.len() < 16 {
        return Err("ciphertext is shorter than the 16-byte IV".into());
    }
    let (iv, body) = crypt.split_at(16);
    let iv: [u8; 16] = iv.try_into().map_err(|_| "bad IV".to_string())?;
    let dec = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let plain = dec
        .decrypt_padded_vec_mut::<NoPadding>(body)
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    let pad = usize::from(plain.last().copied().unwrap_or(0));
    let keep = plain
        .len()
        .checked_sub(pad)
        .ok_or_else(|| format!("padding byte {pad} is longer than the decrypted text"))?;
    Ok(String::from_utf8_lossy(&plain[..keep]).into_owned())
}

/// Go's `base64.CorruptInputError` text for a decoding error of `len` input bytes.
fn go_base64_error(e: &base64::DecodeError, len: usize) -> String {
    match e {
        base64::DecodeError::InvalidByte(at, _) => {
            format!("illegal base64 data at input byte {at}")
        }
        _ => format!("illegal base64 data at input byte {len}"),
    }
}

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn b32enc(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b32dec(s: &str) -> Result<Vec<u8>, String> {
    let mut bits = 0u64;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = B32
            .iter()
            .position(|&x| x == c)
            .ok_or_else(|| "illegal base32 data".to_string())?;
        bits = (bits << 5) | v as u64;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Ok(out)
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("b64enc", |a| {
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(text(a)?),
        ))
    });
    m.insert("b64dec", |a| {
        let s = text(a)?;
        Ok(Value::from(
            match base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => go_base64_error(&e, s.len()),
            },
        ))
    });
    m.insert("b32enc", |a| Ok(Value::from(b32enc(text(a)?.as_bytes()))));
    m.insert("b32dec", |a| {
        let s = text(a)?;
        Ok(Value::from(match b32dec(&s) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => e,
        }))
    });
    m.insert("sha1sum", |a| {
        Ok(Value::from(hex::encode(sha1::Sha1::digest(
            text(a)?.as_bytes(),
        ))))
    });
    m.insert("sha256sum", |a| {
        Ok(Value::from(hex::encode(sha2::Sha256::digest(
            text(a)?.as_bytes(),
        ))))
    });
    m.insert("sha512sum", |a| {
        Ok(Value::from(hex::encode(sha2::Sha512::digest(
            text(a)?.as_bytes(),
        ))))
    });
    m.insert("adler32sum", |a| {
        Ok(Value::from(adler32(text(a)?.as_bytes()).to_string()))
    });
    m.insert("bcrypt", |a| {
        want(a, 1)?;
        Ok(Value::from(bcrypt_hash(&arg_str(&a[0])?)))
    });
    m.insert("htpasswd", |a| {
        want(a, 2)?;
        let user = arg_str(&a[0])?;
        let password = arg_str(&a[1])?;
        if user.contains(':') {
            return Ok(Value::from(format!("invalid username: {user}")));
        }
        Ok(Value::from(format!("{user}:{}", bcrypt_hash(&password))))
    });
    m.insert("derivePassword", |a| {
        want(a, 5)?;
        let counter = match &a[0] {
            Value::Int(n) => {
                u32::try_from(*n).map_err(|_| format!("counter {n} overflows uint32"))?
            }
            // A literal like `1.0` converts to uint32 in Go templates.
            Value::Float(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f) => {
                *f as u32
            }
            other => {
                return Err(format!(
                    "wrong type for value; expected uint32; got {}",
                    other.type_name()
                ));
            }
        };
        let [kind, password, user, site] = [&a[1], &a[2], &a[3], &a[4]].map(arg_str);
        Ok(Value::from(derive_password(
            counter, &kind?, &password?, &user?, &site?,
        )))
    });
    m.insert("encryptAES", |a| {
        want(a, 2)?;
        Ok(Value::from(encrypt_aes(&arg_str(&a[0])?, &arg_str(&a[1])?)))
    });
    m.insert("decryptAES", |a| {
        want(a, 2)?;
        decrypt_aes(&arg_str(&a[0])?, &arg_str(&a[1])?).map(Value::from)
    });
    m.insert("randBytes", |a| {
        want(a, 1)?;
        let n = to_i64(&a[0]);
        let n = usize::try_from(n).map_err(|_| format!("len out of range: {n}"))?;
        if n > 1 << 20 {
            return Err(format!(
                "refusing to generate {n} random bytes (limit 1 MiB)"
            ));
        }
        let mut buf = vec![0u8; n];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut buf);
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(buf),
        ))
    });
    m.insert("uuidv4", |_| {
        Ok(Value::from(uuid::Uuid::new_v4().to_string()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_matches_the_reference_value() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn base32_round_trips_with_padding() {
        assert_eq!(b32enc(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(b32dec("MZXW6YTBOI======").unwrap_or_default(), b"foobar");
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    fn call(name: &str, args: &[&str]) -> Result<String, String> {
        let mut m = HashMap::new();
        register(&mut m);
        let args: Vec<Value> = args.iter().map(Value::str).collect();
        m.get(name).ok_or("no such function")?(&args).map(|v| strval(&v))
    }

    #[test]
    fn aes_round_trips_with_a_fresh_iv_each_time() {
        let a = call("encryptAES", &["pw", "secret text"]).unwrap_or_default();
        let b = call("encryptAES", &["pw", "secret text"]).unwrap_or_default();
        assert_ne!(a, b, "random IV");
        assert_eq!(
            call("decryptAES", &["pw", &a]).as_deref(),
            Ok("secret text")
        );
        // 16-byte IV + two blocks (11 bytes pad to 16, 16 bytes pad to 32).
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&a)
            .unwrap_or_default();
        assert_eq!(raw.len(), 32);
        let long = "k".repeat(40);
        let c = call("encryptAES", &[&long, "x"]).unwrap_or_default();
        assert_eq!(
            call("decryptAES", &[&"k".repeat(32), &c]).as_deref(),
            Ok("x"),
            "key cut to 32 bytes"
        );
    }

    #[test]
    fn garbage_ciphertext_is_an_error_not_a_panic() {
        assert!(call("decryptAES", &["k", "!!!"]).is_err_and(|e| e.contains("illegal base64")));
        assert!(call("decryptAES", &["k", "YWJj"]).is_err_and(|e| e.contains("IV")));
        let partial = base64::engine::general_purpose::STANDARD.encode([7u8; 33]);
        assert!(call("decryptAES", &["k", &partial]).is_err_and(|e| e.contains("not full blocks")));
        // A block whose last byte decrypts to a pad longer than the text: any result but a panic.
        for seed in 0u8..64 {
            let junk = base64::engine::general_purpose::STANDARD.encode([seed; 32]);
            let _ = call("decryptAES", &["k", &junk]);
        }
    }

    #[test]
    fn bcrypt_hashes_verify_and_htpasswd_prefixes_the_user() {
        let h = call("bcrypt", &["hunter2"]).unwrap_or_default();
        assert!(h.starts_with("$2a$10$"), "{h}");
        assert_eq!(bcrypt::verify("hunter2", &h).ok(), Some(true));
        let line = call("htpasswd", &["admin", "pw"]).unwrap_or_default();
        let (user, hash) = line.split_once(':').unwrap_or_default();
        assert_eq!(user, "admin");
        assert_eq!(bcrypt::verify("pw", hash).ok(), Some(true));
        assert_eq!(
            call("htpasswd", &["a:b", "pw"]).as_deref(),
            Ok("invalid username: a:b")
        );
    }

    #[test]
    fn rand_bytes_are_base64_of_the_count_and_bounded() {
        let mut m = HashMap::new();
        register(&mut m);
        let f = m
            .get("randBytes")
            .copied()
            .unwrap_or(|_| Err(String::new()));
        let v = f(&[Value::Int(12)]).map(|v| strval(&v)).unwrap_or_default();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(v)
                .map(|b| b.len())
                .ok(),
            Some(12)
        );
        assert!(f(&[Value::Int(-1)]).is_err());
        assert!(f(&[Value::Int(1 << 40)]).is_err());
    }

    #[test]
    fn derive_password_rejects_non_integer_counters() {
        let mut m = HashMap::new();
        register(&mut m);
        let f = m
            .get("derivePassword")
            .copied()
            .unwrap_or(|_| Err(String::new()));
        let args = |c: Value| {
            [
                c,
                Value::str("long"),
                Value::str("p"),
                Value::str("u"),
                Value::str("s"),
            ]
        };
        assert!(f(&args(Value::str("1"))).is_err_and(|e| e.contains("expected uint32")));
        assert!(f(&args(Value::Int(-1))).is_err());
        assert!(f(&args(Value::Float(1.5))).is_err());
    }
}
