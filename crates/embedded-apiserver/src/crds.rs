//! CustomResourceDefinitions: validating them, accepting their names and serving their resources.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::resources::{Registry, ResourceType, ScalePaths, StorageKey};
use crate::status::{ApiError, Cause};

/// Finalizer that keeps a CRD until its objects are gone.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Whether `key` is the CRD resource itself.
pub fn is_crd(key: &StorageKey) -> bool {
    key.group == "apiextensions.k8s.io" && key.plural == "customresourcedefinitions"
}

/// Where the objects of the CRD `crd` are stored.
pub fn storage_of(crd: &Value) -> StorageKey {
    StorageKey::new(
        crd.pointer("/spec/group")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        crd.pointer("/spec/names/plural")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

fn cause(field: &str, message: impl Into<String>) -> Cause {
    Cause {
        reason: "FieldValueInvalid".to_owned(),
        message: message.into(),
        field: field.to_owned(),
    }
}

fn required(field: &str) -> Cause {
    Cause {
        reason: "FieldValueRequired".to_owned(),
        message: "Required value".to_owned(),
        field: field.to_owned(),
    }
}

/// Checks a CRD the way the real server does for the common mistakes.
pub fn validate(crd: &Value, name: &str) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    let group = str_at(crd, "/spec/group");
    let plural = str_at(crd, "/spec/names/plural");
    if group.is_empty() {
        causes.push(required("spec.group"));
    } else if !group.contains('.') {
        causes.push(cause(
            "spec.group",
            format!("Invalid value: \"{group}\": should be a domain with at least one dot"),
        ));
    }
    if plural.is_empty() {
        causes.push(required("spec.names.plural"));
    }
    if str_at(crd, "/spec/names/kind").is_empty() {
        causes.push(required("spec.names.kind"));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(cause(
            "metadata.name",
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    match str_at(crd, "/spec/scope") {
        "Namespaced" | "Cluster" => {}
        "" => causes.push(required("spec.scope")),
        other => causes.push(Cause {
            reason: "FieldValueNotSupported".to_owned(),
            message: format!(
                "Unsupported value: \"{other}\": supported values: \"Cluster\", \"Namespaced\""
            ),
            field: "spec.scope".to_owned(),
        }),
    }
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    match versions {
        None => causes.push(required("spec.versions")),
        Some(vs) if vs.is_empty() => causes.push(required("spec.versions")),
        Some(vs) => {
            let storage = vs.iter().filter(|v| v["storage"] == json!(true)).count();
            if storage != 1 {
                causes.push(cause(
                    "spec.versions",
                    "Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must have exactly one version marked as storage version",
                ));
            }
            for (i, v) in vs.iter().enumerate() {
                if let Some(schema) = v.pointer("/schema/openAPIV3Schema")
                    && let Err(e) = crd_schema::Schema::from_value(schema)
                {
                    causes.push(cause(
                        &format!("spec.versions[{i}].schema.openAPIV3Schema"),
                        format!("Invalid value: {e}"),
                    ));
                }
            }
        }
    }
    causes.extend(crate::conversion::check_crd(crd));
    if causes.is_empty() {
        return Ok(());
    }
    let detail: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let message = if detail.len() == 1 {
        format!(
            "CustomResourceDefinition.apiextensions.k8s.io \"{name}\" is invalid: {}",
            detail.join("")
        )
    } else {
        format!(
            "CustomResourceDefinition.apiextensions.k8s.io \"{name}\" is invalid: [{}]",
            detail.join(", ")
        )
    };
    Err(ApiError::invalid(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        name,
        message,
        causes,
    ))
}

/// Marks a CRD accepted and established, as the real controllers do right after creation.
pub fn accept(crd: &mut Value, now: &str) {
    let names = crd
        .pointer("/spec/names")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut accepted = names;
    if accepted.get("singular").is_none_or(Value::is_null) {
        let kind = str_at(crd, "/spec/names/kind").to_lowercase();
        accepted["singular"] = json!(kind);
    }
    if accepted.get("listKind").is_none_or(Value::is_null) {
        let kind = str_at(crd, "/spec/names/kind");
        accepted["listKind"] = json!(format!("{kind}List"));
    }
    let storage: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v["storage"] == json!(true))
                .map(|v| v["name"].clone())
                .collect()
        })
        .unwrap_or_default();
    let condition = |type_: &str, reason: &str, message: &str| {
        json!({
            "type": type_, "status": "True", "lastTransitionTime": now,
            "reason": reason, "message": message,
        })
    };
    crd["status"] = json!({
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "acceptedNames": accepted,
        "storedVersions": storage,
    });
    if let Some(meta) = crd.get_mut("metadata").and_then(Value::as_object_mut) {
        let finalizers = meta.entry("finalizers").or_insert_with(|| json!([]));
        if let Some(list) = finalizers.as_array_mut()
            && !list.iter().any(|f| f == CLEANUP_FINALIZER)
        {
            list.push(json!(CLEANUP_FINALIZER));
        }
    }
}

fn scale_paths(scale: &Value) -> ScalePaths {
    ScalePaths {
        spec_replicas: scale["specReplicasPath"]
            .as_str()
            .unwrap_or(".spec.replicas")
            .to_owned(),
        status_replicas: scale["statusReplicasPath"]
            .as_str()
            .unwrap_or(".status.replicas")
            .to_owned(),
        label_selector: scale["labelSelectorPath"].as_str().map(str::to_owned),
    }
}

/// The resource types a CRD serves.
pub fn served_types(crd: &Value) -> Vec<ResourceType> {
    let kind = str_at(crd, "/spec/names/kind");
    let names = &crd["spec"]["names"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    versions
        .into_iter()
        .flatten()
        .filter(|v| v["served"] == json!(true))
        .map(|v| ResourceType {
            group: str_at(crd, "/spec/group").to_owned(),
            version: v["name"].as_str().unwrap_or_default().to_owned(),
            kind: kind.to_owned(),
            plural: names["plural"].as_str().unwrap_or_default().to_owned(),
            singular: names["singular"]
                .as_str()
                .map_or_else(|| kind.to_lowercase(), str::to_owned),
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            namespaced: str_at(crd, "/spec/scope") == "Namespaced",
            status: v.pointer("/subresources/status").is_some(),
            scale: v.pointer("/subresources/scale").map(scale_paths),
            custom: true,
            storage_version: v["storage"] == json!(true),
            schema: v
                .pointer("/schema/openAPIV3Schema")
                .and_then(|s| crd_schema::Schema::from_value(s).ok())
                .map(Arc::new),
            unknown_fields: None,
        })
        .collect()
}

/// Whether a CRD is established (and so served).
fn established(crd: &Value) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Established" && c["status"] == "True")
        })
}

/// Brings the registry in line with a stored CRD.
pub fn sync_registry(registry: &mut Registry, crd: &Value) {
    let key = storage_of(crd);
    if established(crd) {
        registry.set_custom(&key, served_types(crd));
    } else {
        registry.remove_custom(&key);
    }
}

/// Stops serving a deleted CRD's resources.
pub fn unregister(registry: &mut Registry, crd: &Value) {
    registry.remove_custom(&storage_of(crd));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widget_crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": { "name": "widgets.example.com" },
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": { "kind": "Widget", "plural": "widgets", "shortNames": ["wd"] },
                "versions": [
                    { "name": "v1", "served": true, "storage": true,
                      "schema": { "openAPIV3Schema": { "type": "object" } },
                      "subresources": { "status": {}, "scale": { "specReplicasPath": ".spec.size", "statusReplicasPath": ".status.size" } } },
                    { "name": "v1beta1", "served": true, "storage": false,
                      "schema": { "openAPIV3Schema": { "type": "object" } } },
                    { "name": "v1alpha1", "served": false, "storage": false,
                      "schema": { "openAPIV3Schema": { "type": "object" } } }
                ]
            }
        })
    }

    #[test]
    fn a_valid_crd_passes_validation() {
        validate(&widget_crd(), "widgets.example.com").unwrap();
    }

    #[test]
    fn a_crd_named_wrongly_is_invalid_with_a_cause() {
        let err = validate(&widget_crd(), "wrong").unwrap_err();
        assert_eq!(err.code, 422);
        let status = err.to_status();
        assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");
    }

    #[test]
    fn accepted_crds_serve_every_served_version() {
        let mut crd = widget_crd();
        accept(&mut crd, "2024-01-01T00:00:00Z");
        assert_eq!(crd["status"]["acceptedNames"]["singular"], "widget");
        assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));
        assert_eq!(crd["metadata"]["finalizers"], json!([CLEANUP_FINALIZER]));
        let mut registry = Registry::builtin();
        sync_registry(&mut registry, &crd);
        let v1 = registry.get("example.com", "v1", "widgets").unwrap();
        assert!(v1.status && v1.namespaced && v1.storage_version);
        assert_eq!(v1.scale.as_ref().unwrap().spec_replicas, ".spec.size");
        assert!(registry.get("example.com", "v1beta1", "widgets").is_some());
        assert!(registry.get("example.com", "v1alpha1", "widgets").is_none());
        unregister(&mut registry, &crd);
        assert!(registry.get("example.com", "v1", "widgets").is_none());
    }
}
