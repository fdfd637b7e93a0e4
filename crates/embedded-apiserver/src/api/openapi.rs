//! Just enough OpenAPI v3 for kubectl: every type's PATCH operation with `fieldValidation`,
//! so kubectl validates server-side and computes client-side-apply patches from its own types.
//!
//! kubectl 1.27 and 1.28 read `/openapi/v2` (protobuf) instead and give up when it is missing;
//! they get an OpenAPI v2 document with no paths and no definitions, so they skip client-side
//! validation of types it does not describe and build patches from their compiled-in types.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Map, Value, json};

use crate::resources::{Registry, ResourceType};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The media type kubectl asks `/openapi/v2` for (Go's `mime` cannot parse it back, so the
/// answer is `application/octet-stream`).
const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// What `/openapi/v2` answers, by the request's `Accept`.
pub enum V2 {
    /// gnostic's `openapi_v2.Document` in protobuf, with its media type.
    Protobuf(bytes::Bytes, &'static str),
    /// The same document as JSON.
    Json(Value),
}

/// `/openapi/v2`: `{swagger: "2.0", info: {title: "Kubernetes", version}, paths: {}}`.
pub fn v2(accept: &str) -> V2 {
    let version = super::discovery::version();
    let version = version["gitVersion"].as_str().unwrap_or("v1.33.0");
    if accept.contains(V2_PROTOBUF) {
        V2::Protobuf(v2_protobuf(version).into(), "application/octet-stream")
    } else {
        V2::Json(json!({
            "swagger": "2.0",
            "info": { "title": "Kubernetes", "version": version },
            "paths": {},
        }))
    }
}

/// Protobuf fields: Document.swagger = 1, info = 2, paths = 8; Info.title = 1, version = 2.
fn v2_protobuf(version: &str) -> Vec<u8> {
    use crate::proto::encode_field;
    let mut info = Vec::new();
    encode_field(1, b"Kubernetes", &mut info);
    encode_field(2, version.as_bytes(), &mut info);
    let mut doc = Vec::new();
    encode_field(1, b"2.0", &mut doc);
    encode_field(2, &info, &mut doc);
    encode_field(8, &[], &mut doc);
    doc
}

/// `/openapi/v3`: one entry per served group/version.
pub fn root(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, versions) in registry.groups() {
        for version in versions {
            let path = gv_path(&group, &version);
            let mut hasher = DefaultHasher::new();
            for rt in registry.resources(&group, &version) {
                (&rt.plural, &rt.kind, rt.namespaced, rt.status).hash(&mut hasher);
            }
            let url = format!("/openapi/v3/{path}?hash={:016X}", hasher.finish());
            paths.insert(path, json!({ "serverRelativeURL": url }));
        }
    }
    json!({ "paths": paths })
}

fn schema_name(rt: &ResourceType) -> String {
    let group = if rt.group.is_empty() {
        "core"
    } else {
        rt.group.as_str()
    };
    format!("{group}.{}.{}", rt.version, rt.kind)
}

fn operation(rt: &ResourceType, action: &str, body: bool) -> Value {
    let gvk = json!({ "group": rt.group, "version": rt.version, "kind": rt.kind });
    let reference = json!({ "$ref": format!("#/components/schemas/{}", schema_name(rt)) });
    let mut op = json!({
        "operationId": format!("{action}{}", rt.kind),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
        "parameters": [
            { "name": "dryRun", "in": "query", "schema": { "type": "string", "uniqueItems": true } },
            { "name": "fieldManager", "in": "query", "schema": { "type": "string", "uniqueItems": true } },
            { "name": "fieldValidation", "in": "query", "schema": { "type": "string", "uniqueItems": true } },
        ],
        "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": reference.clone() } } } },
    });
    if body {
        // Strategic merge is deliberately not listed: kubectl then builds client-side-apply patches
        // from its compiled-in types (built-ins) or as JSON merge patches (custom resources).
        let content = if action == "patch" {
            json!({
                "application/json-patch+json": { "schema": { "type": "object" } },
                "application/merge-patch+json": { "schema": { "type": "object" } },
                "application/apply-patch+yaml": { "schema": { "type": "object" } },
            })
        } else {
            json!({ "application/json": { "schema": reference } })
        };
        op["requestBody"] = json!({ "content": content });
    }
    op
}

/// `/openapi/v3/<gv path>`, if served.
pub fn group_version(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let resources = registry.resources(group, version);
    if resources.is_empty() {
        return None;
    }
    let prefix = format!("/{}", gv_path(group, version));
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for rt in &resources {
        let scope = if rt.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        let collection = format!("{prefix}{scope}/{}", rt.plural);
        paths.insert(
            collection.clone(),
            json!({ "get": operation(rt, "list", false), "post": operation(rt, "post", true) }),
        );
        paths.insert(
            format!("{collection}/{{name}}"),
            json!({
                "get": operation(rt, "get", false),
                "put": operation(rt, "put", true),
                "patch": operation(rt, "patch", true),
                "delete": operation(rt, "delete", false),
            }),
        );
        let mut schema = rt
            .schema
            .as_ref()
            .map(|_| json!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true }))
            .unwrap_or_else(|| json!({ "type": "object" }));
        schema["x-kubernetes-group-version-kind"] =
            json!([{ "group": rt.group, "version": rt.version, "kind": rt.kind }]);
        schemas.insert(schema_name(rt), schema);
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": "v1.33.0" },
        "paths": paths,
        "components": { "schemas": schemas },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_points_at_each_group_version() {
        let doc = root(&Registry::builtin());
        assert!(
            doc["paths"]["api/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .starts_with("/openapi/v3/api/v1?hash=")
        );
        assert!(doc["paths"].get("apis/apps/v1").is_some());
    }

    #[test]
    fn patch_operations_advertise_field_validation_for_their_kind() {
        let doc = group_version(&Registry::builtin(), "apps", "v1").unwrap();
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        assert!(
            op["requestBody"]["content"]
                .get("application/strategic-merge-patch+json")
                .is_none()
        );
    }
}
