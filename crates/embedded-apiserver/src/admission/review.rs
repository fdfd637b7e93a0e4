//! The `AdmissionReview` wire format: building requests, checking responses, turning denials into errors.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::config::ReviewVersion;
use super::rules::Operation;
use crate::status::{ApiError, known_reason};

/// Who the embedded server says sent every request (it has a single, all-powerful user).
pub const USERNAME: &str = "embedded-admin";

/// Group, version and kind (or resource) as the review spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gvk {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind for `kind`, plural for `resource`.
    pub name: String,
}

impl Gvk {
    fn kind_json(&self) -> Value {
        json!({ "group": self.group, "version": self.version, "kind": self.name })
    }

    fn resource_json(&self) -> Value {
        json!({ "group": self.group, "version": self.version, "resource": self.name })
    }
}

/// The fields of one `AdmissionRequest`.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    /// Kind the webhook sees the object as (after `matchPolicy: Equivalent` conversion).
    pub kind: Gvk,
    /// Resource the webhook matched.
    pub resource: Gvk,
    /// Subresource, empty for the main resource.
    pub sub: &'a str,
    /// Kind of the original request.
    pub request_kind: Gvk,
    /// Resource of the original request.
    pub request_resource: Gvk,
    /// Object name (may be empty for `generateName` creates).
    pub name: &'a str,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: &'a str,
    /// The operation.
    pub operation: Operation,
    /// The new object (absent for DELETE).
    pub object: Option<&'a Value>,
    /// The previous object (UPDATE and DELETE).
    pub old_object: Option<&'a Value>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// The CreateOptions/UpdateOptions/PatchOptions/DeleteOptions object.
    pub options: &'a Value,
}

/// The `AdmissionReview` body for one call.
pub fn request(version: ReviewVersion, uid: &str, f: &Fields<'_>) -> Value {
    let mut req = Map::new();
    let mut put = |k: &str, v: Value| {
        req.insert(k.to_owned(), v);
    };
    put("uid", json!(uid));
    put("kind", f.kind.kind_json());
    put("resource", f.resource.resource_json());
    if !f.sub.is_empty() {
        put("subResource", json!(f.sub));
    }
    put("requestKind", f.request_kind.kind_json());
    put("requestResource", f.request_resource.resource_json());
    if !f.sub.is_empty() {
        put("requestSubResource", json!(f.sub));
    }
    if !f.name.is_empty() {
        put("name", json!(f.name));
    }
    if !f.namespace.is_empty() {
        put("namespace", json!(f.namespace));
    }
    put("operation", json!(f.operation.as_str()));
    put(
        "userInfo",
        json!({ "username": USERNAME, "groups": ["system:masters", "system:authenticated"] }),
    );
    put("object", f.object.cloned().unwrap_or(Value::Null));
    put("oldObject", f.old_object.cloned().unwrap_or(Value::Null));
    put("dryRun", json!(f.dry_run));
    put("options", f.options.clone());
    json!({
        "kind": "AdmissionReview",
        "apiVersion": version.api_version(),
        "request": req,
    })
}

/// What a webhook answered, after the checks the real server makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `response.allowed`.
    pub allowed: bool,
    /// `response.status`, if any.
    pub status: Option<Value>,
    /// The decoded `response.patch` (a JSON Patch document, not yet parsed).
    pub patch: Option<Vec<u8>>,
    /// `response.warnings`.
    pub warnings: Vec<String>,
}

/// A response that cannot be used; the message follows `failed calling webhook "<name>": `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The body is not an AdmissionReview at all.
    #[error("failed to call webhook: the response is not a JSON AdmissionReview: {0}")]
    Decode(String),
    /// The review is well-formed JSON but breaks the protocol.
    #[error("received invalid webhook response: {0}")]
    Invalid(String),
}

/// Checks a webhook's response body as the real server's `VerifyAdmissionResponse` does.
pub fn response(
    version: ReviewVersion,
    uid: &str,
    mutating: bool,
    body: &[u8],
) -> Result<Verdict, ResponseError> {
    let review: Value =
        serde_json::from_slice(body).map_err(|e| ResponseError::Decode(e.to_string()))?;
    if !review.is_object() {
        return Err(ResponseError::Decode(format!(
            "expected an object, got {}",
            type_name(&review)
        )));
    }
    let invalid = |m: String| ResponseError::Invalid(m);
    let Some(resp) = review.get("response").filter(|r| r.is_object()) else {
        return Err(invalid("webhook response was absent".to_owned()));
    };
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if version == ReviewVersion::V1 {
        let got_uid = text(resp, "uid");
        if got_uid != uid {
            return Err(invalid(format!(
                "expected response.uid={uid:?}, got {got_uid:?}"
            )));
        }
        let api_version = text(&review, "apiVersion");
        let kind = text(&review, "kind");
        if api_version != version.api_version() || kind != "AdmissionReview" {
            let (group, ver) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
            return Err(invalid(format!(
                "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {group}/{ver}, Kind={kind}"
            )));
        }
    }
    let allowed = match resp.get("allowed") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => false,
        Some(other) => {
            return Err(ResponseError::Decode(format!(
                "response.allowed must be a boolean, got {other}"
            )));
        }
    };
    let patch = match resp.get("patch") {
        None | Some(Value::Null) => None,
        Some(Value::String(b64)) if b64.is_empty() => None,
        Some(Value::String(b64)) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| ResponseError::Decode(format!("response.patch: {e}")))?,
        ),
        Some(other) => {
            return Err(ResponseError::Decode(format!(
                "response.patch must be a base64 string, got {}",
                type_name(other)
            )));
        }
    };
    let patch_type = text(resp, "patchType");
    if patch.is_some() || !patch_type.is_empty() {
        if !mutating {
            return Err(invalid(
                "validating webhook may not return response.patch or response.patchType".to_owned(),
            ));
        }
        if version == ReviewVersion::V1 {
            if patch.is_none() {
                return Err(invalid(
                    "webhook returned response.patchType but not response.patch".to_owned(),
                ));
            }
            if patch_type.is_empty() {
                return Err(invalid(
                    "webhook returned response.patch but not response.patchType".to_owned(),
                ));
            }
        }
        if !patch_type.is_empty() && patch_type != "JSONPatch" {
            return Err(invalid(format!(
                "webhook returned invalid response.patchType of {patch_type:?}"
            )));
        }
    }
    let warnings = resp
        .get("warnings")
        .and_then(Value::as_array)
        .map(|ws| {
            ws.iter()
                .filter_map(Value::as_str)
                .filter(|w| !w.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Verdict {
        allowed,
        status: resp.get("status").filter(|s| s.is_object()).cloned(),
        patch,
        warnings,
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The error a denial becomes, as the real server's `ToStatusErr` builds it.
pub fn denied(webhook: &str, status: Option<&Value>) -> ApiError {
    let empty = json!({});
    let status = status.unwrap_or(&empty);
    let code = status
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .unwrap_or(400);
    let text = |k: &str| status.get(k).and_then(Value::as_str).unwrap_or_default();
    let by = format!("admission webhook {webhook:?} denied the request");
    let message = if !text("message").is_empty() {
        format!("{by}: {}", text("message"))
    } else if !text("reason").is_empty() {
        format!("{by}: {}", text("reason"))
    } else {
        format!("{by} without explanation")
    };
    ApiError {
        code,
        reason: known_reason(text("reason")),
        message,
        details: status.get("details").filter(|d| d.is_object()).cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(options: &'a Value, object: &'a Value) -> Fields<'a> {
        let cm = |name: &str| Gvk {
            group: String::new(),
            version: "v1".into(),
            name: name.into(),
        };
        Fields {
            kind: cm("ConfigMap"),
            resource: cm("configmaps"),
            sub: "",
            request_kind: cm("ConfigMap"),
            request_resource: cm("configmaps"),
            name: "a",
            namespace: "ns",
            operation: Operation::Create,
            object: Some(object),
            old_object: None,
            dry_run: false,
            options,
        }
    }

    #[test]
    fn requests_carry_every_field_webhooks_read() {
        let options = json!({ "kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1" });
        let object = json!({ "metadata": { "name": "a" } });
        let r = request(ReviewVersion::V1, "u-1", &fields(&options, &object));
        assert_eq!(r["apiVersion"], "admission.k8s.io/v1");
        let req = &r["request"];
        assert_eq!(req["uid"], "u-1");
        assert_eq!(
            req["kind"],
            json!({ "group": "", "version": "v1", "kind": "ConfigMap" })
        );
        assert_eq!(req["resource"]["resource"], "configmaps");
        assert_eq!(req["requestKind"]["kind"], "ConfigMap");
        assert_eq!(req["operation"], "CREATE");
        assert_eq!(req["namespace"], "ns");
        assert_eq!(req["object"], object);
        assert_eq!(req["oldObject"], Value::Null);
        assert_eq!(req["dryRun"], false);
        assert_eq!(req["options"]["kind"], "CreateOptions");
        assert_eq!(req["userInfo"]["username"], USERNAME);
        assert!(req.get("subResource").is_none());
    }

    fn v1(resp: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": resp })).unwrap()
    }

    #[test]
    fn a_patch_is_decoded_and_warnings_kept() {
        let patch = base64::engine::general_purpose::STANDARD
            .encode(br#"[{"op":"add","path":"/x","value":1}]"#);
        let body = v1(
            json!({ "uid": "u", "allowed": true, "patch": patch, "patchType": "JSONPatch", "warnings": ["w", ""] }),
        );
        let v = response(ReviewVersion::V1, "u", true, &body).unwrap();
        assert!(v.allowed);
        assert_eq!(
            v.patch.as_deref(),
            Some(&br#"[{"op":"add","path":"/x","value":1}]"#[..])
        );
        assert_eq!(v.warnings, vec!["w"]);
    }

    #[test]
    fn protocol_violations_are_invalid_responses_with_upstream_messages() {
        let msg = |version, mutating, body: Vec<u8>| {
            response(version, "u", mutating, &body)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(
                ReviewVersion::V1,
                false,
                v1(json!({ "uid": "other", "allowed": true }))
            ),
            "received invalid webhook response: expected response.uid=\"u\", got \"other\""
        );
        assert_eq!(
            msg(
                ReviewVersion::V1,
                false,
                serde_json::to_vec(&json!({ "response": { "uid": "u", "allowed": true } }))
                    .unwrap()
            ),
            "received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind="
        );
        assert_eq!(
            msg(
                ReviewVersion::V1,
                false,
                v1(
                    json!({ "uid": "u", "allowed": true, "patch": "W10=", "patchType": "JSONPatch" })
                )
            ),
            "received invalid webhook response: validating webhook may not return response.patch or response.patchType"
        );
        assert_eq!(
            msg(
                ReviewVersion::V1,
                true,
                v1(json!({ "uid": "u", "allowed": true, "patch": "W10=" }))
            ),
            "received invalid webhook response: webhook returned response.patch but not response.patchType"
        );
        assert_eq!(
            msg(
                ReviewVersion::V1,
                true,
                v1(json!({ "uid": "u" })).into_iter().take(0).collect()
            ),
            "failed to call webhook: the response is not a JSON AdmissionReview: EOF while parsing a value at line 1 column 0"
        );
        assert!(
            msg(ReviewVersion::V1, true, b"garbage".to_vec())
                .starts_with("failed to call webhook: the response is not a JSON AdmissionReview")
        );
        assert_eq!(
            msg(ReviewVersion::V1beta1, true, b"{}".to_vec()),
            "received invalid webhook response: webhook response was absent"
        );
    }

    #[test]
    fn v1beta1_responses_need_no_uid_or_kind() {
        let body = serde_json::to_vec(&json!({ "response": { "allowed": false } })).unwrap();
        let v = response(ReviewVersion::V1beta1, "u", false, &body).unwrap();
        assert!(!v.allowed);
    }

    #[test]
    fn denials_read_and_code_as_upstream() {
        let e = denied(
            "deny.example.com",
            Some(&json!({ "code": 403, "message": "no thanks", "reason": "Forbidden" })),
        );
        assert_eq!((e.code, e.reason), (403, "Forbidden"));
        assert_eq!(
            e.message,
            "admission webhook \"deny.example.com\" denied the request: no thanks"
        );
        let e = denied("d", Some(&json!({ "code": 200 })));
        assert_eq!((e.code, e.reason), (400, ""));
        assert_eq!(
            e.message,
            "admission webhook \"d\" denied the request without explanation"
        );
        let e = denied("d", None);
        assert_eq!(e.code, 400);
        let e = denied("d", Some(&json!({ "reason": "Because" })));
        assert_eq!(
            e.message,
            "admission webhook \"d\" denied the request: Because"
        );
    }
}
