//! `fieldValidation` (Strict, Warn, Ignore) and the nesting limit of stored objects.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{
    ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
    ValidationDirective,
};
use serde_json::{Value, json};

use crate::common::{api_status, plain_cluster, raw};
use crate::kubectl::Kubectl;

pub(crate) fn gadget_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "gadgets.example.com" },
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": { "kind": "Gadget", "plural": "gadgets" },
            "versions": [{ "name": "v1", "served": true, "storage": true,
                "schema": { "openAPIV3Schema": { "type": "object", "properties": {
                    "spec": { "type": "object", "properties": {
                        "size": { "type": "integer" },
                        "free": { "type": "object", "x-kubernetes-preserve-unknown-fields": true }
                    } } } } } }]
        }
    }))
    .unwrap()
}

pub(crate) fn gadgets(client: kube::Client) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Gadget"),
        "gadgets",
    );
    Api::namespaced_with(client, "default", &ar)
}

pub(crate) fn gadget(name: &str, spec: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Gadget", "metadata": { "name": name }, "spec": spec,
    }))
    .unwrap()
}

pub(crate) const GADGETS: &str = "/apis/example.com/v1/namespaces/default/gadgets";

pub(crate) async fn with_gadgets() -> (embedded_apiserver::EmbeddedCluster, Api<DynamicObject>) {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &gadget_crd())
        .await
        .unwrap();
    (c, gadgets(client))
}

/// One HTTP/1.1 request with a body over a raw socket: status code and the `Warning` headers.
pub(crate) async fn warnings_of(
    cluster: &embedded_apiserver::EmbeddedCluster,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, Vec<String>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(cluster.addr())
        .await
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let warnings = head
        .lines()
        .filter_map(|l| l.strip_prefix("warning: ").or(l.strip_prefix("Warning: ")))
        .map(str::to_owned)
        .collect();
    (code, warnings)
}

#[tokio::test]
async fn strict_creates_with_unknown_fields_are_400_like_the_real_server() {
    // kube-rs' PostParams has no fieldValidation, so the query is written out.
    let (c, api) = with_gadgets().await;
    let body = serde_json::to_vec(&gadget(
        "g",
        json!({ "size": 1, "colour": "red", "free": { "x": 1 } }),
    ))
    .unwrap();
    let strict = format!("{GADGETS}?fieldValidation=Strict");
    let (code, status) = raw(&c, "POST", &strict, "application/json", &body).await;
    assert_eq!((code, status["reason"].as_str()), (400, Some("BadRequest")));
    assert_eq!(
        status["message"],
        "Gadget in version \"v1\" cannot be handled as a Gadget: strict decoding error: unknown field \"spec.colour\""
    );
    assert!(api.get_opt("g").await.unwrap().is_none(), "nothing stored");
    // Ignore (and the default, Warn) store the object without the unknown field.
    let ignore = format!("{GADGETS}?fieldValidation=Ignore");
    let (code, created) = raw(&c, "POST", &ignore, "application/json", &body).await;
    assert_eq!(code, 200, "{created}");
    assert!(created["spec"].get("colour").is_none());
    assert_eq!(created["spec"]["free"]["x"], 1, "preserved, not unknown");
}

#[tokio::test]
async fn warn_is_the_default_and_answers_with_warning_headers() {
    let (c, _api) = with_gadgets().await;
    let path = GADGETS;
    let body = r#"{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"w"},"spec":{"size":1,"size":2,"colour":"red"}}"#;
    let (code, warnings) = warnings_of(&c, "POST", path, "application/json", body).await;
    assert_eq!(code, 201);
    assert_eq!(
        warnings,
        vec![
            r#"299 - "duplicate field \"spec.size\"""#.to_owned(),
            r#"299 - "unknown field \"spec.colour\"""#.to_owned(),
        ]
    );
    let (code, warnings) = warnings_of(
        &c,
        "POST",
        &format!("{path}?fieldValidation=Ignore"),
        "application/json",
        &body.replace("\"w\"", "\"i\""),
    )
    .await;
    assert_eq!((code, warnings.len()), (201, 0));
    let (code, _) = warnings_of(
        &c,
        "POST",
        &format!("{path}?fieldValidation=Loose"),
        "application/json",
        body,
    )
    .await;
    assert_eq!(code, 422, "unsupported directives are refused");
}

#[tokio::test]
async fn strict_patches_with_unknown_fields_are_422_on_the_patch_field() {
    let (_c, api) = with_gadgets().await;
    api.create(&PostParams::default(), &gadget("g", json!({ "size": 1 })))
        .await
        .unwrap();
    let params = PatchParams {
        field_validation: Some(ValidationDirective::Strict),
        ..PatchParams::default()
    };
    let status = api_status(
        api.patch(
            "g",
            &params,
            &Patch::Merge(json!({ "spec": { "colour": "red" } })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert!(
        status
            .message
            .ends_with("strict decoding error: unknown field \"spec.colour\""),
        "{}",
        status.message
    );
    let cause = &status.details.unwrap().causes[0];
    assert_eq!(
        (cause.field.as_str(), cause.reason.as_str()),
        ("patch", "FieldValueInvalid")
    );
    // A patch of known fields passes the same check.
    let patched = api
        .patch(
            "g",
            &params,
            &Patch::Merge(json!({ "spec": { "size": 2 } })),
        )
        .await
        .unwrap();
    assert_eq!(patched.data["spec"]["size"], 2);
}

#[tokio::test]
async fn strict_writes_of_built_ins_refuse_duplicate_fields() {
    let c = plain_cluster().await;
    let (code, status) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
        "application/json",
        br#"{"metadata":{"name":"a","name":"b"},"data":{"k":"v"}}"#,
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(
        status["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"metadata.name\""
    );
}

#[tokio::test]
async fn kubectl_sends_strict_by_default_and_honours_validate_flags() {
    let k = Kubectl::new().await;
    let client = k.cluster.client().unwrap();
    Api::<CustomResourceDefinition>::all(client)
        .create(&PostParams::default(), &gadget_crd())
        .await
        .unwrap();
    let cr = k.manifest(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1, colour: red}\n",
    );
    let path = cr.path().to_str().unwrap();
    let strict = k.run(&["create", "-f", path]).await;
    assert!(!strict.ok);
    assert!(
        strict
            .stderr
            .contains("strict decoding error: unknown field \"spec.colour\""),
        "{}",
        strict.stderr
    );
    let warned = k.run(&["create", "--validate=warn", "-f", path]).await;
    assert!(warned.ok, "{}", warned.stderr);
    assert!(
        warned.stderr.contains("unknown field \"spec.colour\""),
        "{}",
        warned.stderr
    );
    assert_eq!(
        k.ok(&["get", "gadgets", "g", "-o", "jsonpath={.spec}"])
            .await,
        r#"{"size":1}"#
    );
}

fn nested(levels: usize) -> Value {
    (0..levels).fold(json!("leaf"), |v, _| json!({ "n": v }))
}

#[tokio::test]
async fn objects_nested_too_deeply_are_refused_at_write_time() {
    let (_c, api) = with_gadgets().await;
    // 90 levels under spec.free: stored and read back whole.
    let created = api
        .create(
            &PostParams::default(),
            &gadget("ok", json!({ "free": nested(90) })),
        )
        .await
        .unwrap();
    let read = api.get("ok").await.unwrap();
    assert_eq!(read.data["spec"], created.data["spec"]);
    assert_eq!(read.data["spec"]["free"], nested(90));
    // 120 levels parse, but could not be read back by clients: 400 at write time.
    let status = api_status(
        api.create(
            &PostParams::default(),
            &gadget("deep", json!({ "free": nested(120) })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (400, "BadRequest"));
    assert!(status.message.contains("nested"), "{}", status.message);
    // A patch that makes a stored object too deep is refused the same way.
    let status = api_status(
        api.patch(
            "ok",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "free": nested(110) } })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(status.code, 400, "{}", status.message);
    assert_eq!(
        api.get("ok").await.unwrap().data["spec"]["free"],
        nested(90)
    );
}
