//! Custom resource conversion between versions: the `None` strategy and conversion webhooks.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::api::present::present;
use crate::objects::new_uid;
use crate::resources::{ResourceType, StorageKey};
use crate::status::{ApiError, Cause};
use crate::store::Store;
use crate::webhook::{self, ClientConfig};

/// How long the server waits for a conversion webhook, as the real one does.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `spec.conversion` of a CRD with `strategy: Webhook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConversion {
    /// Where the webhook is reached; `None` when the stored config is unusable.
    client: Option<ClientConfig>,
    /// `apiextensions.k8s.io/<v>` of the first `conversionReviewVersions` entry spoken here.
    review_api_version: Option<&'static str>,
}

impl WebhookConversion {
    /// Reads `spec.conversion` of a CRD; `None` unless the strategy is `Webhook`.
    pub fn of_crd(crd: &Value) -> Option<Self> {
        let conversion = crd.pointer("/spec/conversion")?;
        if conversion.get("strategy").and_then(Value::as_str) != Some("Webhook") {
            return None;
        }
        let webhook = conversion.get("webhook").unwrap_or(&Value::Null);
        let review_api_version = webhook
            .get("conversionReviewVersions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|v| match v.as_str() {
                Some("v1") => Some("apiextensions.k8s.io/v1"),
                Some("v1beta1") => Some("apiextensions.k8s.io/v1beta1"),
                _ => None,
            });
        Some(Self {
            client: webhook.get("clientConfig").and_then(ClientConfig::parse),
            review_api_version,
        })
    }
}

/// Checks `spec.conversion` as the real server does; returns the field errors.
pub fn check_crd(crd: &Value) -> Vec<Cause> {
    let Some(conversion) = crd.pointer("/spec/conversion").filter(|c| !c.is_null()) else {
        return Vec::new();
    };
    let mut causes = Vec::new();
    let strategy = conversion.get("strategy").and_then(Value::as_str);
    let webhook = conversion.get("webhook").filter(|w| !w.is_null());
    match (strategy, webhook) {
        (Some("Webhook"), None) => causes.push(Cause {
            reason: "FieldValueRequired".to_owned(),
            message: "Required value: required when strategy is set to Webhook".to_owned(),
            field: "spec.conversion.webhook".to_owned(),
        }),
        (Some("Webhook"), Some(webhook)) => {
            let versions: Vec<&str> = webhook
                .get("conversionReviewVersions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let field = "spec.conversion.webhook.conversionReviewVersions";
            if versions.is_empty() {
                causes.push(Cause {
                    reason: "FieldValueRequired".to_owned(),
                    message: "Required value: must specify one of v1, v1beta1".to_owned(),
                    field: field.to_owned(),
                });
            } else if !versions.iter().any(|v| matches!(*v, "v1" | "v1beta1")) {
                let quoted: Vec<String> = versions.iter().map(|v| format!("{v:?}")).collect();
                causes.push(Cause {
                    reason: "FieldValueInvalid".to_owned(),
                    message: format!(
                        "Invalid value: []string{{{}}}: must include at least one of v1, v1beta1",
                        quoted.join(", ")
                    ),
                    field: field.to_owned(),
                });
            }
            causes.extend(webhook::check_client_config(
                webhook.get("clientConfig").unwrap_or(&Value::Null),
                "spec.conversion.webhook.clientConfig",
            ));
        }
        (Some("None") | None, Some(_)) => causes.push(Cause {
            reason: "FieldValueForbidden".to_owned(),
            message: "Forbidden: should not be set when strategy is not set to Webhook".to_owned(),
            field: "spec.conversion.webhook".to_owned(),
        }),
        (Some("None") | None, None) => {}
        (Some(other), _) => causes.push(Cause {
            reason: "FieldValueNotSupported".to_owned(),
            message: format!(
                "Unsupported value: {other:?}: supported values: \"None\", \"Webhook\""
            ),
            field: "spec.conversion.strategy".to_owned(),
        }),
    }
    causes
}

/// Fills in the Service port the real server defaults.
pub fn apply_defaults(crd: &mut Value) {
    if let Some(service) = crd
        .pointer_mut("/spec/conversion/webhook/clientConfig/service")
        .and_then(Value::as_object_mut)
        && service.get("port").is_none_or(Value::is_null)
    {
        service.insert("port".to_owned(), json!(443));
    }
}

/// Converts stored custom resources to the version a request asks for.
#[derive(Debug)]
pub struct Converter {
    client: Arc<webhook::Client>,
    store: Arc<Store>,
}

fn api_version(obj: &Value) -> &str {
    obj.get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

impl Converter {
    /// A converter calling webhooks through `client` and reading CRDs from `store`.
    pub fn new(client: Arc<webhook::Client>, store: Arc<Store>) -> Self {
        Self { client, store }
    }

    /// The conversion webhook of `rt`'s CRD, when it has one.
    pub fn webhook_for(&self, rt: &ResourceType) -> Option<WebhookConversion> {
        if !rt.custom {
            return None;
        }
        let key = StorageKey::new("apiextensions.k8s.io", "customresourcedefinitions");
        let name = format!("{}.{}", rt.plural, rt.group);
        self.store
            .read(|s| s.stored(&key, "", &name).cloned())
            .and_then(|crd| WebhookConversion::of_crd(&crd.value()))
    }

    /// Whether reading `obj` at `rt`'s version needs a webhook call.
    pub fn needs_webhook(&self, rt: &ResourceType, obj: &Value) -> bool {
        rt.custom && api_version(obj) != rt.api_version() && self.webhook_for(rt).is_some()
    }

    /// `objects` at `rt`'s version: through the CRD's webhook (one call for all that differ),
    /// or by rewriting `apiVersion` for the `None` strategy.
    pub async fn convert(
        &self,
        rt: &ResourceType,
        objects: Vec<Arc<Value>>,
    ) -> Result<Vec<Arc<Value>>, ApiError> {
        let desired = rt.api_version();
        let pending: Vec<usize> = (0..objects.len())
            .filter(|&i| api_version(&objects[i]) != desired)
            .collect();
        if pending.is_empty() {
            return Ok(objects);
        }
        let Some(webhook) = self.webhook_for(rt) else {
            return Ok(objects
                .into_iter()
                .map(|o| {
                    if api_version(&o) == desired {
                        o
                    } else {
                        Arc::new(present(rt, &o))
                    }
                })
                .collect());
        };
        let originals: Vec<&Value> = pending.iter().map(|&i| &*objects[i]).collect();
        let converted = self.call(&webhook, rt, &desired, &originals).await?;
        let mut out = objects.clone();
        for (i, obj) in pending.into_iter().zip(converted) {
            out[i] = Arc::new(obj);
        }
        Ok(out)
    }

    /// One object at `rt`'s version.
    pub async fn convert_one(
        &self,
        rt: &ResourceType,
        obj: Arc<Value>,
    ) -> Result<Arc<Value>, ApiError> {
        let mut out = self.convert(rt, vec![obj]).await?;
        out.pop()
            .ok_or_else(|| ApiError::internal("conversion lost the object"))
    }

    async fn call(
        &self,
        webhook: &WebhookConversion,
        rt: &ResourceType,
        desired: &str,
        originals: &[&Value],
    ) -> Result<Vec<Value>, ApiError> {
        let first = originals.first().copied().unwrap_or(&Value::Null);
        let gvk = format!("{}, Kind={}", api_version(first), rt.kind);
        let failed =
            |why: String| ApiError::unknown(format!("conversion webhook for {gvk} failed: {why}"));
        let client = webhook.client.as_ref().ok_or_else(|| {
            failed("the CRD's conversion webhook clientConfig is not usable".to_owned())
        })?;
        let review_api_version = webhook.review_api_version.ok_or_else(|| {
            failed("the CRD names no conversionReviewVersions this server speaks".to_owned())
        })?;
        let uid = new_uid();
        let review = json!({
            "kind": "ConversionReview",
            "apiVersion": review_api_version,
            "request": { "uid": uid, "desiredAPIVersion": desired, "objects": originals },
        });
        let body = serde_json::to_vec(&review).map_err(|e| failed(e.to_string()))?;
        let answer = self
            .client
            .post(client, TIMEOUT, body)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let converted = check_response(review_api_version, &uid, &answer).map_err(failed)?;
        if converted.len() != originals.len() {
            return Err(ApiError::unknown(format!(
                "conversion webhook for {gvk} returned {} objects, expected {}",
                converted.len(),
                originals.len()
            )));
        }
        converted
            .into_iter()
            .zip(originals)
            .enumerate()
            .map(|(i, (obj, original))| {
                check_object(original, obj, desired).map_err(|why| {
                    ApiError::unknown(format!(
                        "conversion webhook for {gvk} returned invalid converted object at index {i}: {why}"
                    ))
                })
            })
            .collect()
    }
}

/// The converted objects of a `ConversionReview` response.
fn check_response(api_version: &str, uid: &str, body: &[u8]) -> Result<Vec<Value>, String> {
    let review: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the response is not a JSON ConversionReview: {e}"))?;
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let v1 = api_version == "apiextensions.k8s.io/v1";
    if v1
        && (text(&review, "apiVersion") != api_version
            || text(&review, "kind") != "ConversionReview")
    {
        let got = text(&review, "apiVersion");
        let (group, version) = got.rsplit_once('/').unwrap_or(("", &got));
        return Err(format!(
            "expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got {group}/{version}, Kind={}",
            text(&review, "kind")
        ));
    }
    let Some(resp) = review.get("response").filter(|r| r.is_object()) else {
        return Err("no response provided".to_owned());
    };
    if v1 && text(resp, "uid") != uid {
        return Err(format!(
            "expected response.uid={uid:?}, got {:?}",
            text(resp, "uid")
        ));
    }
    let result = resp.get("result").unwrap_or(&Value::Null);
    let status = text(result, "status");
    if status != "Success" {
        let message = text(result, "message");
        return Err(if message.is_empty() {
            format!("response.result.status was '{status}', not 'Success'")
        } else {
            message
        });
    }
    match resp.get("convertedObjects") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(objects)) => Ok(objects.clone()),
        Some(_) => Err("response.convertedObjects must be a list".to_owned()),
    }
}

/// Checks one converted object and keeps the original metadata except labels and annotations.
fn check_object(original: &Value, converted: Value, desired: &str) -> Result<Value, String> {
    let Value::Object(mut converted) = converted else {
        return Err("the converted object is not a JSON object".to_owned());
    };
    let got = converted
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if got != desired {
        return Err(format!(
            "invalid groupVersion (expected {desired}, received {got})"
        ));
    }
    let kind = |m: &Map<String, Value>| {
        m.get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let original_kind = original
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind(&converted) != original_kind {
        return Err(format!(
            "invalid kind (expected {original_kind}, received {})",
            kind(&converted)
        ));
    }
    let meta_of = |v: Option<&Value>, key: &str| {
        v.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for key in ["name", "namespace", "uid"] {
        let (a, b) = (
            meta_of(original.get("metadata"), key),
            meta_of(converted.get("metadata"), key),
        );
        if a != b {
            let what = if key == "uid" { "UID" } else { key };
            return Err(format!("must have the same {what}: {a} != {b}"));
        }
    }
    let mut meta = original
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let new_meta = converted
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for key in ["labels", "annotations"] {
        match new_meta.get(key) {
            None | Some(Value::Null) => {
                meta.remove(key);
            }
            Some(Value::Object(map)) if map.values().all(Value::is_string) => {
                meta.insert(key.to_owned(), Value::Object(map.clone()));
            }
            Some(_) => return Err(format!("invalid metadata.{key} in converted object")),
        }
    }
    converted.insert("metadata".to_owned(), Value::Object(meta));
    Ok(Value::Object(converted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(conversion: Value) -> Value {
        json!({ "spec": { "conversion": conversion } })
    }

    #[test]
    fn only_the_webhook_strategy_calls_out() {
        assert!(WebhookConversion::of_crd(&crd(json!({ "strategy": "None" }))).is_none());
        let w = WebhookConversion::of_crd(&crd(json!({
            "strategy": "Webhook",
            "webhook": { "conversionReviewVersions": ["v2", "v1"], "clientConfig": { "url": "https://127.0.0.1:1/c" } },
        })))
        .unwrap();
        assert_eq!(w.review_api_version, Some("apiextensions.k8s.io/v1"));
        assert!(w.client.is_some());
    }

    #[test]
    fn crd_conversion_checks_name_the_field() {
        let fields = |c: Value| -> Vec<String> {
            check_crd(&crd(c))
                .into_iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect()
        };
        assert_eq!(
            fields(json!({ "strategy": "Webhook" })),
            vec![
                "spec.conversion.webhook: Required value: required when strategy is set to Webhook"
            ]
        );
        assert_eq!(
            fields(json!({ "strategy": "None", "webhook": {} })),
            vec![
                "spec.conversion.webhook: Forbidden: should not be set when strategy is not set to Webhook"
            ]
        );
        assert_eq!(
            fields(
                json!({ "strategy": "Webhook", "webhook": { "clientConfig": { "url": "https://a/b" } } })
            ),
            vec![
                "spec.conversion.webhook.conversionReviewVersions: Required value: must specify one of v1, v1beta1"
            ]
        );
        assert!(fields(json!({ "strategy": "Sideways" }))[0].contains("Unsupported value"));
    }

    #[test]
    fn responses_must_succeed_and_echo_the_uid() {
        let ok = serde_json::to_vec(&json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "response": { "uid": "u", "result": { "status": "Success" }, "convertedObjects": [{}] },
        }))
        .unwrap();
        assert_eq!(
            check_response("apiextensions.k8s.io/v1", "u", &ok)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            check_response("apiextensions.k8s.io/v1", "x", &ok).unwrap_err(),
            "expected response.uid=\"x\", got \"u\""
        );
        let failed = serde_json::to_vec(&json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "response": { "uid": "u", "result": { "status": "Failure", "message": "no way" } },
        }))
        .unwrap();
        assert_eq!(
            check_response("apiextensions.k8s.io/v1", "u", &failed).unwrap_err(),
            "no way"
        );
        assert!(check_response("apiextensions.k8s.io/v1", "u", b"garbage").is_err());
        let beta =
            serde_json::to_vec(&json!({ "response": { "result": { "status": "Success" } } }))
                .unwrap();
        assert_eq!(
            check_response("apiextensions.k8s.io/v1beta1", "u", &beta)
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn converted_objects_keep_original_metadata_but_take_labels_and_annotations() {
        let original = json!({
            "apiVersion": "x.io/v1", "kind": "W",
            "metadata": { "name": "a", "uid": "1", "resourceVersion": "5", "labels": { "a": "1" } },
        });
        let converted = json!({
            "apiVersion": "x.io/v2", "kind": "W",
            "metadata": { "name": "a", "uid": "1", "resourceVersion": "999", "labels": { "b": "2" } },
            "spec": { "size": 1 },
        });
        let out = check_object(&original, converted.clone(), "x.io/v2").unwrap();
        assert_eq!(out["metadata"]["resourceVersion"], "5");
        assert_eq!(out["metadata"]["labels"], json!({ "b": "2" }));
        assert_eq!(out["spec"]["size"], 1);
        assert_eq!(
            check_object(&original, converted.clone(), "x.io/v3").unwrap_err(),
            "invalid groupVersion (expected x.io/v3, received x.io/v2)"
        );
        let mut renamed = converted;
        renamed["metadata"]["name"] = json!("b");
        assert_eq!(
            check_object(&original, renamed, "x.io/v2").unwrap_err(),
            "must have the same name: a != b"
        );
    }
}
