//! Decoding the Kubernetes protobuf envelope for the simple built-in types kubectl's typed
//! clients send that way (`kubectl create namespace|configmap|secret|serviceaccount`, client-go
//! leader-election Leases, the `DeleteOptions` of typed deletes such as Helm's release Secrets).

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::status::ApiError;

/// The media type of Kubernetes protobuf bodies.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";

/// How one field is decoded.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    /// Bytes rendered as base64, like JSON `[]byte`.
    Bytes,
    Int,
    Bool,
    Time,
    /// `metav1.MicroTime`, rendered with microseconds.
    MicroTime,
    Msg(&'static [Field]),
    MapStr,
    MapBytes,
}

/// One field of a message: number, JSON name, type, repeated.
type Field = (u64, &'static str, Ty, bool);

const OWNER_REFERENCE: &[Field] = &[
    (1, "kind", Ty::Str, false),
    (3, "name", Ty::Str, false),
    (4, "uid", Ty::Str, false),
    (5, "apiVersion", Ty::Str, false),
    (6, "controller", Ty::Bool, false),
    (7, "blockOwnerDeletion", Ty::Bool, false),
];

const OBJECT_META: &[Field] = &[
    (1, "name", Ty::Str, false),
    (2, "generateName", Ty::Str, false),
    (3, "namespace", Ty::Str, false),
    (5, "uid", Ty::Str, false),
    (6, "resourceVersion", Ty::Str, false),
    (7, "generation", Ty::Int, false),
    (8, "creationTimestamp", Ty::Time, false),
    (11, "labels", Ty::MapStr, false),
    (12, "annotations", Ty::MapStr, false),
    (13, "ownerReferences", Ty::Msg(OWNER_REFERENCE), true),
    (14, "finalizers", Ty::Str, true),
];

const OBJECT_REFERENCE: &[Field] = &[
    (1, "kind", Ty::Str, false),
    (2, "namespace", Ty::Str, false),
    (3, "name", Ty::Str, false),
    (4, "uid", Ty::Str, false),
    (5, "apiVersion", Ty::Str, false),
    (6, "resourceVersion", Ty::Str, false),
    (7, "fieldPath", Ty::Str, false),
];

const LOCAL_OBJECT_REFERENCE: &[Field] = &[(1, "name", Ty::Str, false)];

const CONFIG_MAP: &[Field] = &[
    (1, "metadata", Ty::Msg(OBJECT_META), false),
    (2, "data", Ty::MapStr, false),
    (3, "binaryData", Ty::MapBytes, false),
    (4, "immutable", Ty::Bool, false),
];

const SECRET: &[Field] = &[
    (1, "metadata", Ty::Msg(OBJECT_META), false),
    (2, "data", Ty::MapBytes, false),
    (3, "type", Ty::Str, false),
    (4, "stringData", Ty::MapStr, false),
    (5, "immutable", Ty::Bool, false),
];

const NAMESPACE_SPEC: &[Field] = &[(1, "finalizers", Ty::Str, true)];
const NAMESPACE_STATUS: &[Field] = &[(1, "phase", Ty::Str, false)];

const NAMESPACE: &[Field] = &[
    (1, "metadata", Ty::Msg(OBJECT_META), false),
    (2, "spec", Ty::Msg(NAMESPACE_SPEC), false),
    (3, "status", Ty::Msg(NAMESPACE_STATUS), false),
];

const SERVICE_ACCOUNT: &[Field] = &[
    (1, "metadata", Ty::Msg(OBJECT_META), false),
    (2, "secrets", Ty::Msg(OBJECT_REFERENCE), true),
    (3, "imagePullSecrets", Ty::Msg(LOCAL_OBJECT_REFERENCE), true),
    (4, "automountServiceAccountToken", Ty::Bool, false),
];

const LEASE_SPEC: &[Field] = &[
    (1, "holderIdentity", Ty::Str, false),
    (2, "leaseDurationSeconds", Ty::Int, false),
    (3, "acquireTime", Ty::MicroTime, false),
    (4, "renewTime", Ty::MicroTime, false),
    (5, "leaseTransitions", Ty::Int, false),
    (6, "strategy", Ty::Str, false),
    (7, "preferredHolder", Ty::Str, false),
];

const LEASE: &[Field] = &[
    (1, "metadata", Ty::Msg(OBJECT_META), false),
    (2, "spec", Ty::Msg(LEASE_SPEC), false),
];

const PRECONDITIONS: &[Field] = &[
    (1, "uid", Ty::Str, false),
    (2, "resourceVersion", Ty::Str, false),
];

/// The body client-go sends with deletes (Helm deleting its release Secrets, for one).
const DELETE_OPTIONS: &[Field] = &[
    (1, "gracePeriodSeconds", Ty::Int, false),
    (2, "preconditions", Ty::Msg(PRECONDITIONS), false),
    (3, "orphanDependents", Ty::Bool, false),
    (4, "propagationPolicy", Ty::Str, false),
    (5, "dryRun", Ty::Str, true),
];

const TYPE_META: &[Field] = &[
    (1, "apiVersion", Ty::Str, false),
    (2, "kind", Ty::Str, false),
];

const UNKNOWN: &[Field] = &[
    (1, "typeMeta", Ty::Msg(TYPE_META), false),
    (2, "raw", Ty::Bytes, false),
];

fn schema_for(api_version: &str, kind: &str) -> Option<&'static [Field]> {
    match (api_version, kind) {
        ("v1", "ConfigMap") => Some(CONFIG_MAP),
        ("v1", "Secret") => Some(SECRET),
        ("v1", "Namespace") => Some(NAMESPACE),
        ("v1", "ServiceAccount") => Some(SERVICE_ACCOUNT),
        ("coordination.k8s.io/v1", "Lease") => Some(LEASE),
        // Registered in every group version; client-go names the one it talks to.
        (_, "DeleteOptions") => Some(DELETE_OPTIONS),
        _ => None,
    }
}

fn malformed() -> ApiError {
    ApiError::bad_request("error decoding protobuf body: malformed message")
}

/// A cursor over protobuf wire data.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ApiError> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.buf.split_first().ok_or_else(malformed)?;
            self.buf = rest;
            out |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(malformed())
    }

    fn bytes(&mut self) -> Result<&'a [u8], ApiError> {
        let len = usize::try_from(self.varint()?).map_err(|_| malformed())?;
        if len > self.buf.len() {
            return Err(malformed());
        }
        let (head, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(head)
    }

    fn skip(&mut self, wire: u64) -> Result<(), ApiError> {
        match wire {
            0 => self.varint().map(drop),
            1 => self.advance(8),
            2 => self.bytes().map(drop),
            5 => self.advance(4),
            _ => Err(malformed()),
        }
    }

    fn advance(&mut self, n: usize) -> Result<(), ApiError> {
        self.buf = self.buf.get(n..).ok_or_else(malformed)?;
        Ok(())
    }
}

fn utf8(bytes: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| malformed())
}

fn time(bytes: &[u8], micro: bool) -> Result<Value, ApiError> {
    let mut r = Reader { buf: bytes };
    let (mut seconds, mut nanos) = (0i64, 0u32);
    while !r.buf.is_empty() {
        let tag = r.varint()?;
        match (tag >> 3, tag & 7) {
            (1, 0) => seconds = r.varint()?.cast_signed(),
            (2, 0) => nanos = u32::try_from(r.varint()?).map_err(|_| malformed())?,
            (_, wire) => r.skip(wire)?,
        }
    }
    let at = chrono::DateTime::from_timestamp(seconds, if micro { nanos } else { 0 })
        .ok_or_else(malformed)?;
    let format = if micro {
        chrono::SecondsFormat::Micros
    } else {
        chrono::SecondsFormat::Secs
    };
    Ok(json!(at.to_rfc3339_opts(format, true)))
}

fn map_entry(bytes: &[u8], binary: bool) -> Result<(String, Value), ApiError> {
    let mut r = Reader { buf: bytes };
    let (mut key, mut value) = (String::new(), json!(""));
    while !r.buf.is_empty() {
        let tag = r.varint()?;
        match (tag >> 3, tag & 7) {
            (1, 2) => key = utf8(r.bytes()?)?,
            (2, 2) if binary => {
                value = json!(base64::engine::general_purpose::STANDARD.encode(r.bytes()?));
            }
            (2, 2) => value = json!(utf8(r.bytes()?)?),
            (_, wire) => r.skip(wire)?,
        }
    }
    Ok((key, value))
}

fn decode(
    bytes: &[u8],
    schema: &'static [Field],
    depth: usize,
) -> Result<Map<String, Value>, ApiError> {
    if depth > 16 {
        return Err(malformed());
    }
    let mut r = Reader { buf: bytes };
    let mut out = Map::new();
    while !r.buf.is_empty() {
        let tag = r.varint()?;
        let (number, wire) = (tag >> 3, tag & 7);
        let Some(&(_, name, ty, repeated)) = schema.iter().find(|f| f.0 == number) else {
            r.skip(wire)?;
            continue;
        };
        let value = match (ty, wire) {
            (Ty::Int, 0) => json!(r.varint()?.cast_signed()),
            (Ty::Bool, 0) => json!(r.varint()? != 0),
            (Ty::Str, 2) => json!(utf8(r.bytes()?)?),
            (Ty::Bytes, 2) => json!(base64::engine::general_purpose::STANDARD.encode(r.bytes()?)),
            (Ty::Time, 2) => time(r.bytes()?, false)?,
            (Ty::MicroTime, 2) => time(r.bytes()?, true)?,
            (Ty::Msg(inner), 2) => Value::Object(decode(r.bytes()?, inner, depth + 1)?),
            (Ty::MapStr | Ty::MapBytes, 2) => {
                let (k, v) = map_entry(r.bytes()?, matches!(ty, Ty::MapBytes))?;
                let entry = out.entry(name).or_insert_with(|| json!({}));
                if let Some(m) = entry.as_object_mut() {
                    m.insert(k, v);
                }
                continue;
            }
            (_, wire) => {
                r.skip(wire)?;
                continue;
            }
        };
        if repeated {
            let entry = out.entry(name).or_insert_with(|| json!([]));
            if let Some(list) = entry.as_array_mut() {
                list.push(value);
            }
        } else {
            out.insert(name.to_owned(), value);
        }
    }
    Ok(out)
}

/// Whether a request body is protobuf (starts with Kubernetes' magic `k8s\0`).
pub fn is_protobuf(body: &[u8]) -> bool {
    body.starts_with(MAGIC)
}

/// Decodes a protobuf request body into the JSON object it stands for.
pub fn to_json(body: &[u8]) -> Result<Value, ApiError> {
    let envelope = body.strip_prefix(MAGIC).ok_or_else(malformed)?;
    let unknown = decode(envelope, UNKNOWN, 0)?;
    let api_version = unknown
        .get("typeMeta")
        .and_then(|t| t["apiVersion"].as_str())
        .unwrap_or_default()
        .to_owned();
    let kind = unknown
        .get("typeMeta")
        .and_then(|t| t["kind"].as_str())
        .unwrap_or_default()
        .to_owned();
    let schema = schema_for(&api_version, &kind).ok_or_else(|| {
        ApiError::unsupported_media_type(&format!("{MEDIA_TYPE} for {api_version} {kind}"))
    })?;
    let raw = unknown
        .get("raw")
        .and_then(Value::as_str)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_default();
    let mut obj = decode(&raw, schema, 0)?;
    obj.insert("apiVersion".to_owned(), json!(api_version));
    obj.insert("kind".to_owned(), json!(kind));
    Ok(Value::Object(obj))
}

/// Appends `n` as a protobuf varint.
fn encode_varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Appends a length-delimited protobuf field (strings, bytes, messages).
pub(crate) fn encode_field(number: u64, payload: &[u8], out: &mut Vec<u8>) {
    encode_varint(number << 3 | 2, out);
    encode_varint(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::{encode_field as field, encode_varint as varint};

    fn entry(k: &str, v: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        field(1, k.as_bytes(), &mut out);
        field(2, v, &mut out);
        out
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut type_meta = Vec::new();
        field(1, api_version.as_bytes(), &mut type_meta);
        field(2, kind.as_bytes(), &mut type_meta);
        let mut out = MAGIC.to_vec();
        field(1, &type_meta, &mut out);
        field(2, raw, &mut out);
        out
    }

    #[test]
    fn config_maps_decode_with_metadata_labels_and_data() {
        let mut meta = Vec::new();
        field(1, b"cm", &mut meta);
        field(11, &entry("app", b"web"), &mut meta);
        field(14, b"f1", &mut meta);
        let mut cm = Vec::new();
        field(1, &meta, &mut cm);
        field(2, &entry("k", b"v"), &mut cm);
        field(3, &entry("b", b"\x00\x01"), &mut cm);
        let v = to_json(&envelope("v1", "ConfigMap", &cm)).unwrap();
        assert_eq!(
            v,
            json!({
                "metadata": { "name": "cm", "labels": { "app": "web" }, "finalizers": ["f1"] },
                "data": { "k": "v" },
                "binaryData": { "b": "AAE=" },
                "apiVersion": "v1",
                "kind": "ConfigMap",
            })
        );
    }

    #[test]
    fn secret_data_is_base64() {
        let mut s = Vec::new();
        field(2, &entry("password", b"hunter2"), &mut s);
        field(3, b"Opaque", &mut s);
        let v = to_json(&envelope("v1", "Secret", &s)).unwrap();
        assert_eq!(v["data"]["password"], "aHVudGVyMg==");
        assert_eq!(v["type"], "Opaque");
    }

    #[test]
    fn leases_decode_micro_times() {
        let mut micro = Vec::new();
        varint(1 << 3, &mut micro);
        varint(1_700_000_000, &mut micro);
        varint(2 << 3, &mut micro);
        varint(123_456_000, &mut micro);
        let mut spec = Vec::new();
        field(1, b"me", &mut spec);
        varint(2 << 3, &mut spec);
        varint(15, &mut spec);
        field(4, &micro, &mut spec);
        let mut lease = Vec::new();
        field(2, &spec, &mut lease);
        let v = to_json(&envelope("coordination.k8s.io/v1", "Lease", &lease)).unwrap();
        assert_eq!(v["spec"]["holderIdentity"], "me");
        assert_eq!(v["spec"]["leaseDurationSeconds"], 15);
        assert_eq!(v["spec"]["renewTime"], "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn delete_options_decode_with_preconditions() {
        let mut pre = Vec::new();
        field(1, b"u-1", &mut pre);
        let mut opts = Vec::new();
        field(2, &pre, &mut opts);
        field(4, b"Foreground", &mut opts);
        let v = to_json(&envelope("meta.k8s.io/v1", "DeleteOptions", &opts)).unwrap();
        assert_eq!(v["propagationPolicy"], "Foreground");
        assert_eq!(v["preconditions"]["uid"], "u-1");
    }

    #[test]
    fn unsupported_kinds_are_unsupported_media() {
        let err = to_json(&envelope("apps/v1", "Deployment", b"")).unwrap_err();
        assert_eq!(err.code, 415);
    }

    #[test]
    fn truncated_bodies_are_bad_requests_not_panics() {
        let full = envelope("v1", "ConfigMap", b"\x0a\x05\x0a\x03abc");
        for cut in 0..full.len() {
            if let Err(e) = to_json(&full[..cut]) {
                assert!(e.code == 400 || e.code == 415, "cut {cut}: {}", e.code);
            }
        }
        assert_eq!(to_json(b"garbage").unwrap_err().code, 400);
    }
}
