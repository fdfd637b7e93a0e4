//! AdmissionReview handling as pure functions: parsing the request, turning a hook's response
//! file into the reply, and the table of routes `/hooks/<webhookId>`.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::runner::{BindingRef, HookFailed};

/// The configuration id upstream uses in every admission path (`/hooks/<webhookId>`).
pub const CONFIGURATION_ID: &str = "hooks";
/// Message of the reply when the hook wrote an empty response file.
pub const EMPTY_RESPONSE_MESSAGE: &str = "handle AdmissionReview: hook task prop error";
/// Message of the reply when the hook failed.
pub const HOOK_FAILED_MESSAGE: &str = "Hook failed";

/// Validating or mutating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// `kubernetesValidating`
    Validating,
    /// `kubernetesMutating`
    Mutating,
}

/// One admission binding as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionRoute {
    /// Which hook binding to run.
    pub binding: BindingRef,
    /// Validating or mutating (the engine picks the binding context type from it).
    pub kind: WebhookKind,
}

/// Routes keyed by webhook id (`safe_url_string(binding name)`).
#[derive(Debug, Clone, Default)]
pub struct AdmissionRoutes {
    routes: HashMap<String, AdmissionRoute>,
}

impl AdmissionRoutes {
    /// An empty table.
    pub fn new() -> AdmissionRoutes {
        AdmissionRoutes::default()
    }

    /// Adds a binding; its webhook id is `safe_url_string(binding.binding)`.
    pub fn add(&mut self, binding: BindingRef, kind: WebhookKind) {
        let id = hook_config::safe_url_string(&binding.binding);
        self.routes.insert(id, AdmissionRoute { binding, kind });
    }

    /// Finds the route of a request path such as `/hooks/a/b` (configuration id `hooks`,
    /// webhook id `a/b`).
    pub fn lookup(&self, path: &str) -> Option<&AdmissionRoute> {
        let (configuration_id, webhook_id) = split_path(path)?;
        if configuration_id != CONFIGURATION_ID {
            return None;
        }
        self.routes.get(webhook_id)
    }

    /// True when no binding is served.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// Splits `/<configurationId>/<webhookId…>`.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let trimmed = path.strip_prefix('/')?;
    let (configuration_id, webhook_id) = trimmed.split_once('/')?;
    if configuration_id.is_empty() || webhook_id.is_empty() {
        return None;
    }
    Some((configuration_id, webhook_id))
}

/// Why a request body is rejected before any hook runs (answered with HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRequestError {
    /// Not JSON, or not an object.
    #[error("Invalid JSON payload")]
    InvalidJson,
    /// No `request` object.
    #[error("Missing parameters: request")]
    MissingRequest,
}

/// A parsed review (admission or conversion): the full incoming document and its request.
#[derive(Debug, Clone)]
pub struct ReviewRequest {
    /// The incoming document (apiVersion and kind are echoed in the reply).
    pub document: Map<String, Value>,
    /// `request`.
    pub request: Map<String, Value>,
}

impl ReviewRequest {
    /// `request.uid` (empty when missing).
    pub fn uid(&self) -> Value {
        self.request
            .get("uid")
            .cloned()
            .unwrap_or(Value::String(String::new()))
    }

    /// `{"request": ...}`: the review as hooks see it in the binding context.
    pub fn hook_review(&self) -> Value {
        json!({ "request": Value::Object(self.request.clone()) })
    }

    /// The reply document: the incoming review without `request`, with `response` set.
    pub fn reply(&self, response: Value) -> Value {
        let mut document = self.document.clone();
        document.remove("request");
        document.insert("response".to_owned(), response);
        Value::Object(document)
    }
}

/// Parses a review body (`AdmissionReview` v1/v1beta1 or `ConversionReview`).
pub fn parse_review(body: &[u8]) -> Result<ReviewRequest, ReviewRequestError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| ReviewRequestError::InvalidJson)?;
    let Value::Object(document) = value else {
        return Err(ReviewRequestError::InvalidJson);
    };
    match document.get("request") {
        Some(Value::Object(request)) => Ok(ReviewRequest {
            request: request.clone(),
            document,
        }),
        _ => Err(ReviewRequestError::MissingRequest),
    }
}

/// The admission response file a hook writes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ResponseFile {
    allowed: bool,
    message: String,
    warnings: Vec<String>,
    patch: Option<String>,
}

/// The `response` of an AdmissionReview from the hook's outcome.
pub fn admission_response(uid: Value, outcome: Result<&[u8], &HookFailed>) -> Value {
    let bytes = match outcome {
        Ok(bytes) => bytes,
        Err(_) => return denied(uid, 403, HOOK_FAILED_MESSAGE),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return denied(uid, 500, EMPTY_RESPONSE_MESSAGE);
    }
    let file: ResponseFile = match serde_json::from_slice(bytes) {
        Ok(file) => file,
        Err(err) => {
            return denied(
                uid,
                403,
                &format!("{HOOK_FAILED_MESSAGE}: invalid admission response file: {err}"),
            );
        }
    };
    let patch = match file.patch.as_deref().map(decode_patch) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(patch))) => Some(patch),
        Some(Err(problem)) => {
            return denied(
                uid,
                403,
                &format!(
                    "{HOOK_FAILED_MESSAGE}: invalid patch in admission response file: {problem}"
                ),
            );
        }
    };
    let mut response = Map::new();
    response.insert("uid".to_owned(), uid);
    response.insert("allowed".to_owned(), Value::Bool(file.allowed));
    if !file.warnings.is_empty() {
        response.insert("warnings".to_owned(), json!(file.warnings));
    }
    if let Some(patch) = patch {
        response.insert("patch".to_owned(), Value::String(patch));
        response.insert(
            "patchType".to_owned(),
            Value::String("JSONPatch".to_owned()),
        );
    }
    if !file.allowed {
        response.insert(
            "status".to_owned(),
            json!({ "code": 403, "message": file.message }),
        );
    }
    Value::Object(response)
}

/// A denied response with a status code and message.
pub fn denied(uid: Value, code: u16, message: &str) -> Value {
    json!({
        "uid": uid,
        "allowed": false,
        "status": { "code": code, "message": message },
    })
}

/// Checks that `patch` is base64 of a JSON array; returns it re-encoded in standard base64
/// (`None` for an empty patch).
fn decode_patch(patch: &str) -> Result<Option<String>, String> {
    if patch.is_empty() {
        return Ok(None);
    }
    let raw = STANDARD
        .decode(patch.trim())
        .map_err(|err| format!("not base64: {err}"))?;
    match serde_json::from_slice::<Value>(&raw) {
        Ok(Value::Array(_)) => Ok(Some(STANDARD.encode(raw))),
        Ok(_) => Err("not a JSON Patch array".to_owned()),
        Err(err) => Err(format!("not JSON: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(bytes: &str) -> Value {
        admission_response(json!("u1"), Ok(bytes.as_bytes()))
    }

    #[test]
    fn allowed_response_has_no_status_and_no_patch_type() {
        let reply = outcome(r#"{"allowed":true}"#);
        assert_eq!(reply, json!({"uid":"u1","allowed":true}));
    }

    #[test]
    fn denied_response_carries_code_403_and_the_hook_message() {
        let reply = outcome(r#"{"allowed":false,"message":"no way","warnings":["w1"]}"#);
        assert_eq!(
            reply,
            json!({"uid":"u1","allowed":false,"warnings":["w1"],
                   "status":{"code":403,"message":"no way"}})
        );
    }

    #[test]
    fn patch_sets_json_patch_type() {
        let patch = STANDARD.encode(r#"[{"op":"add","path":"/a","value":1}]"#);
        let reply = outcome(&format!(r#"{{"allowed":true,"patch":"{patch}"}}"#));
        assert_eq!(reply["patch"], json!(patch));
        assert_eq!(reply["patchType"], json!("JSONPatch"));
    }

    #[test]
    fn empty_response_file_is_denied_with_500() {
        assert_eq!(
            outcome(""),
            denied(json!("u1"), 500, EMPTY_RESPONSE_MESSAGE)
        );
        assert_eq!(
            outcome(" \n"),
            denied(json!("u1"), 500, EMPTY_RESPONSE_MESSAGE)
        );
    }

    #[test]
    fn failed_hook_is_denied_with_403_hook_failed() {
        let failed = HookFailed {
            reason: "exit 1".to_owned(),
        };
        let reply = admission_response(json!("u1"), Err(&failed));
        assert_eq!(reply, denied(json!("u1"), 403, "Hook failed"));
    }

    #[test]
    fn malformed_response_file_is_denied_naming_the_problem() {
        let reply = outcome("{not json");
        assert_eq!(reply["allowed"], json!(false));
        let message = reply["status"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("invalid admission response file"),
            "{message}"
        );
    }

    #[test]
    fn patch_that_is_not_base64_is_denied_naming_the_patch() {
        let reply = outcome(r#"{"allowed":true,"patch":"%%%"}"#);
        assert_eq!(reply["allowed"], json!(false));
        let message = reply["status"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("invalid patch"), "{message}");
    }

    #[test]
    fn patch_that_is_not_an_array_is_denied() {
        let patch = STANDARD.encode(r#"{"op":"add"}"#);
        let reply = outcome(&format!(r#"{{"allowed":true,"patch":"{patch}"}}"#));
        assert_eq!(reply["allowed"], json!(false));
    }

    #[test]
    fn reply_echoes_api_version_and_kind_and_drops_request() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#;
        let review = parse_review(body).unwrap();
        let reply = review.reply(json!({"uid":"x","allowed":true}));
        assert_eq!(
            reply,
            json!({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview",
                   "response":{"uid":"x","allowed":true}})
        );
        assert_eq!(review.hook_review(), json!({"request":{"uid":"x"}}));
    }

    #[test]
    fn bad_json_and_missing_request_are_distinguished() {
        assert_eq!(
            parse_review(b"{").err(),
            Some(ReviewRequestError::InvalidJson)
        );
        assert_eq!(
            parse_review(b"[]").err(),
            Some(ReviewRequestError::InvalidJson)
        );
        assert_eq!(
            parse_review(br#"{"kind":"AdmissionReview"}"#).err(),
            Some(ReviewRequestError::MissingRequest)
        );
    }

    #[test]
    fn routes_are_found_by_safe_url_of_the_binding_name() {
        let mut routes = AdmissionRoutes::new();
        let binding = BindingRef {
            hook: "h.sh".to_owned(),
            binding: "private-repo-policy.example.com".to_owned(),
        };
        routes.add(binding.clone(), WebhookKind::Validating);
        let found = routes.lookup("/hooks/private-repo-policy-example-com");
        assert_eq!(found.map(|r| &r.binding), Some(&binding));
        assert!(
            routes
                .lookup("/other/private-repo-policy-example-com")
                .is_none()
        );
        assert!(routes.lookup("/hooks/").is_none());
    }

    #[test]
    fn path_splits_into_configuration_and_webhook_id() {
        assert_eq!(split_path("/hooks/a/b"), Some(("hooks", "a/b")));
        assert_eq!(split_path("/hooks"), None);
    }
}
