//! Sprig's encodings and digests: base64/base32, sha1/sha256/sha512, adler32, uuid.

use std::collections::HashMap;

use base64::Engine as _;
use sha1::Digest as _;

use super::convert::strval;
use super::{Func, want};
use crate::value::Value;

fn text(a: &[Value]) -> Result<String, String> {
    want(a, 1)?;
    Ok(strval(&a[0]))
}

/// Adler-32 checksum.
pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
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
                Err(base64::DecodeError::InvalidByte(at, _)) => {
                    format!("illegal base64 data at input byte {at}")
                }
                Err(_) => format!("illegal base64 data at input byte {}", s.len()),
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
