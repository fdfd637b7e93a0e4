//! Admission webhooks: matching, mutation order, denials, warnings, configuration checks.

use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::common::{api_status, cluster, configmap};
use crate::kubectl::Kubectl;
use crate::webhooks::{
    Answer, SERVICE_NAME, SERVICE_NAMESPACE, WebhookServer, allow, cm_with, cms, configuration,
    configurations, configure, core_rule, deny, patch, respond, setup, webhook,
};

/// Denies ConfigMaps with a `forbidden` key; denies `silent` ones without a message.
fn policy(_: &str, review: &Value) -> Answer {
    let data = &review["request"]["object"]["data"];
    if data.get("forbidden").is_some() {
        deny(
            review,
            json!({ "code": 403, "reason": "Forbidden", "message": "no forbidden keys" }),
        )
    } else if data.get("silent").is_some() {
        deny(review, json!({}))
    } else {
        Answer::Json(respond(
            review,
            json!({ "allowed": true, "warnings": ["w"] }),
        ))
    }
}

#[tokio::test]
async fn a_validating_denial_reaches_kube_clients_with_the_exact_message() {
    let (_c, hooks, client) = setup(policy).await;
    let cc = hooks.service_config("/validate");
    let rules = core_rule(&["CREATE", "UPDATE"], &["configmaps"]);
    configure(
        &client,
        "Validating",
        "policy",
        json!([webhook("deny.example.com", cc, rules)]),
    )
    .await;
    let api = cms(&client, "default");

    let status = api_status(
        api.create(&PostParams::default(), &cm_with("bad", "forbidden"))
            .await
            .unwrap_err(),
    );
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        status.message,
        "admission webhook \"deny.example.com\" denied the request: no forbidden keys"
    );
    let status = api_status(
        api.create(&PostParams::default(), &cm_with("quiet", "silent"))
            .await
            .unwrap_err(),
    );
    assert_eq!(status.code, 400);
    assert_eq!(
        status.message,
        "admission webhook \"deny.example.com\" denied the request without explanation"
    );
    assert!(api.get_opt("bad").await.unwrap().is_none());

    api.create(&PostParams::default(), &cm_with("good", "fine"))
        .await
        .unwrap();
    let reviews = hooks.reviews("/validate");
    assert_eq!(reviews.len(), 3);
    let review = &reviews[2];
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    let req = &review["request"];
    assert_eq!(req["operation"], "CREATE");
    assert_eq!(
        req["kind"],
        json!({ "group": "", "version": "v1", "kind": "ConfigMap" })
    );
    assert_eq!(req["resource"]["resource"], "configmaps");
    assert_eq!(req["requestKind"], req["kind"]);
    assert_eq!(
        (req["name"].as_str(), req["namespace"].as_str()),
        (Some("good"), Some("default"))
    );
    assert_eq!(req["options"]["kind"], "CreateOptions");
    assert_eq!(req["dryRun"], false);
    assert!(req["userInfo"]["username"].is_string());
    assert!(
        req["object"]["metadata"]["uid"].is_string(),
        "validating webhooks see the final object"
    );
    assert!(req["oldObject"].is_null());
    let received = hooks.received();
    assert_eq!(received[2].query, "timeout=10s");
}

#[tokio::test]
async fn kubectl_apply_prints_denials_and_warnings() {
    let k = Kubectl::new().await;
    let hooks = WebhookServer::start(policy).await;
    k.cluster
        .register_service(SERVICE_NAMESPACE, SERVICE_NAME, hooks.addr);
    let client = k.cluster.client().unwrap();
    let cc = hooks.service_config("/validate");
    let rules = core_rule(&["*"], &["configmaps"]);
    configure(
        &client,
        "Validating",
        "policy",
        json!([webhook("deny.example.com", cc, rules)]),
    )
    .await;

    let bad = k
        .manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {forbidden: x}\n");
    let out = k.run(&["apply", "-f", bad.path().to_str().unwrap()]).await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains(
            "admission webhook \"deny.example.com\" denied the request: no forbidden keys"
        ),
        "{}",
        out.stderr
    );

    let good =
        k.manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\ndata: {a: b}\n");
    let out = k.run(&["apply", "-f", good.path().to_str().unwrap()]).await;
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stdout.contains("configmap/good created"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("Warning: w"), "{}", out.stderr);
}

#[tokio::test]
async fn warnings_arrive_as_warning_headers() {
    let (_c, hooks, client) = setup(policy).await;
    let rules = core_rule(&["CREATE"], &["configmaps"]);
    configure(
        &client,
        "Validating",
        "policy",
        json!([webhook(
            "warn.example.com",
            hooks.service_config("/v"),
            rules
        )]),
    )
    .await;
    let body = serde_json::to_vec(&configmap("w", json!({}))).unwrap();
    let req = http::Request::post("/api/v1/namespaces/default/configmaps")
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    let resp = client
        .send(req.map(kube::client::Body::from))
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let warnings: Vec<&str> = resp
        .headers()
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(warnings, vec!["299 - \"w\""]);
}

#[tokio::test]
async fn mutations_apply_in_configuration_order_and_are_persisted() {
    let (_c, hooks, client) = setup(|path, review| {
        let object = &review["request"]["object"];
        match path {
            "/first" => patch(
                review,
                json!([{ "op": "add", "path": "/metadata/labels", "value": { "first": "yes" } }]),
            ),
            // Sees the first webhook's patch.
            "/second" => {
                let saw = object["metadata"]["labels"]["first"] == "yes";
                patch(
                    review,
                    json!([{ "op": "add", "path": "/data/second-saw-first", "value": saw.to_string() }]),
                )
            }
            _ => allow(review),
        }
    })
    .await;
    let rules = core_rule(&["CREATE"], &["configmaps"]);
    // Configured in reverse: the real server orders by configuration name, not creation.
    let second = webhook(
        "second.example.com",
        hooks.service_config("/second"),
        rules.clone(),
    );
    configure(&client, "Mutating", "b-second", json!([second])).await;
    let first = webhook(
        "first.example.com",
        hooks.service_config("/first"),
        rules.clone(),
    );
    configure(&client, "Mutating", "a-first", json!([first])).await;
    let check = webhook("check.example.com", hooks.service_config("/check"), rules);
    configure(&client, "Validating", "check", json!([check])).await;

    let api = cms(&client, "default");
    let created = api
        .create(&PostParams::default(), &cm_with("m", "k"))
        .await
        .unwrap();
    assert_eq!(created.metadata.labels.unwrap()["first"], "yes");
    let stored = api.get("m").await.unwrap();
    assert_eq!(stored.data.unwrap()["second-saw-first"], "true");
    let paths: Vec<String> = hooks.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/first", "/second", "/check"]);
    let validated = &hooks.reviews("/check")[0]["request"]["object"];
    assert_eq!(validated["metadata"]["labels"]["first"], "yes");
    assert_eq!(validated["data"]["second-saw-first"], "true");
}

#[tokio::test]
async fn rules_that_do_not_match_are_not_called() {
    let (_c, hooks, client) = setup(|_, review| allow(review)).await;
    let deletes = core_rule(&["DELETE"], &["configmaps"]);
    let apps = json!([{ "operations": ["*"], "apiGroups": ["apps"], "apiVersions": ["*"], "resources": ["*"] }]);
    let everything = json!([{ "operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "scope": "Cluster" }]);
    configure(
        &client,
        "Validating",
        "rules",
        json!([
            webhook(
                "deletes.example.com",
                hooks.service_config("/deletes"),
                deletes
            ),
            webhook("apps.example.com", hooks.service_config("/apps"), apps),
            webhook(
                "cluster.example.com",
                hooks.service_config("/cluster"),
                everything
            ),
        ]),
    )
    .await;
    let api = cms(&client, "default");
    api.create(&PostParams::default(), &cm_with("r", "k"))
        .await
        .unwrap();
    api.patch(
        "r",
        &PatchParams::default(),
        &Patch::Merge(json!({ "data": { "k": "changed" } })),
    )
    .await
    .unwrap();
    assert!(hooks.received().is_empty(), "{:?}", hooks.received());

    api.delete("r", &DeleteParams::default()).await.unwrap();
    let reviews = hooks.reviews("/deletes");
    assert_eq!(reviews.len(), 1);
    let req = &reviews[0]["request"];
    assert_eq!(req["operation"], "DELETE");
    assert!(req["object"].is_null());
    assert_eq!(req["oldObject"]["data"]["k"], "changed");
    assert_eq!(req["options"]["kind"], "DeleteOptions");

    // Cluster-scoped objects match the Cluster-scoped rule; webhook configurations never do.
    let nss: Api<Namespace> = Api::all(client.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({ "metadata": { "name": "scoped" } })).unwrap(),
    )
    .await
    .unwrap();
    configure(&client, "Validating", "another", json!([])).await;
    let cluster_calls = hooks.reviews("/cluster");
    assert_eq!(cluster_calls.len(), 1);
    assert_eq!(cluster_calls[0]["request"]["kind"]["kind"], "Namespace");
}

#[tokio::test]
async fn subresource_rules_match_only_the_named_subresource() {
    let (_c, hooks, client) = setup(|_, review| allow(review)).await;
    configure(
        &client,
        "Validating",
        "status",
        json!([webhook(
            "status.example.com",
            hooks.service_config("/status"),
            core_rule(&["UPDATE"], &["pods/status"])
        )]),
    )
    .await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": { "name": "p" },
        "spec": { "containers": [{ "name": "c", "image": "i" }] },
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    pods.patch(
        "p",
        &PatchParams::default(),
        &Patch::Merge(json!({ "metadata": { "labels": { "a": "b" } } })),
    )
    .await
    .unwrap();
    assert!(hooks.received().is_empty());
    pods.patch_status(
        "p",
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": { "phase": "Running" } })),
    )
    .await
    .unwrap();
    let reviews = hooks.reviews("/status");
    assert_eq!(reviews.len(), 1);
    let req = &reviews[0]["request"];
    assert_eq!(req["subResource"], "status");
    assert_eq!(req["options"]["kind"], "PatchOptions");
    assert_eq!(req["object"]["status"]["phase"], "Running");
    assert_eq!(req["oldObject"]["status"]["phase"], "Pending");
}

#[tokio::test]
async fn namespace_and_object_selectors_filter_calls() {
    let (_c, hooks, client) = setup(|_, review| allow(review)).await;
    let rules = core_rule(&["CREATE", "UPDATE"], &["configmaps"]);
    let mut by_namespace = webhook("ns.example.com", hooks.service_config("/ns"), rules.clone());
    by_namespace["namespaceSelector"] = json!({ "matchLabels": { "admission": "on" } });
    let mut by_object = webhook("obj.example.com", hooks.service_config("/obj"), rules);
    by_object["objectSelector"] =
        json!({ "matchExpressions": [{ "key": "check", "operator": "Exists" }] });
    configure(
        &client,
        "Validating",
        "selectors",
        json!([by_namespace, by_object]),
    )
    .await;
    let nss: Api<Namespace> = Api::all(client.clone());
    for (name, labels) in [
        ("watched", json!({ "admission": "on" })),
        ("ignored", json!({})),
    ] {
        let ns = json!({ "metadata": { "name": name, "labels": labels } });
        nss.create(&PostParams::default(), &serde_json::from_value(ns).unwrap())
            .await
            .unwrap();
    }
    cms(&client, "watched")
        .create(&PostParams::default(), &configmap("a", json!({})))
        .await
        .unwrap();
    cms(&client, "ignored")
        .create(&PostParams::default(), &configmap("a", json!({})))
        .await
        .unwrap();
    let ns_calls = hooks.reviews("/ns");
    assert_eq!(ns_calls.len(), 1);
    assert_eq!(ns_calls[0]["request"]["namespace"], "watched");
    assert!(hooks.reviews("/obj").is_empty());

    let api = cms(&client, "ignored");
    api.create(
        &PostParams::default(),
        &configmap("b", json!({ "check": "1" })),
    )
    .await
    .unwrap();
    assert_eq!(hooks.reviews("/obj").len(), 1);
    // Removing the label still calls: the old object matches.
    api.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(json!({ "metadata": { "labels": { "check": null } } })),
    )
    .await
    .unwrap();
    let obj_calls = hooks.reviews("/obj");
    assert_eq!(obj_calls.len(), 2);
    assert_eq!(obj_calls[1]["request"]["operation"], "UPDATE");
    api.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(json!({ "data": { "x": "y" } })),
    )
    .await
    .unwrap();
    assert_eq!(hooks.reviews("/obj").len(), 2);
}

#[tokio::test]
async fn url_client_configs_and_dry_run_requests_reach_the_webhook() {
    let (_c, hooks, client) = setup(|_, review| {
        patch(
            review,
            json!([{ "op": "add", "path": "/data/mutated", "value": "yes" }]),
        )
    })
    .await;
    configure(
        &client,
        "Mutating",
        "url",
        json!([webhook(
            "url.example.com",
            hooks.url_config("/m"),
            core_rule(&["CREATE"], &["configmaps"])
        )]),
    )
    .await;
    let api = cms(&client, "default");
    let dry = api
        .create(
            &PostParams {
                dry_run: true,
                ..PostParams::default()
            },
            &cm_with("d", "k"),
        )
        .await
        .unwrap();
    assert_eq!(dry.data.unwrap()["mutated"], "yes");
    assert!(api.get_opt("d").await.unwrap().is_none());
    let req = &hooks.reviews("/m")[0]["request"];
    assert_eq!(req["dryRun"], true);
    assert_eq!(req["options"]["dryRun"], json!(["All"]));
}

#[tokio::test]
async fn malformed_configurations_are_rejected_and_valid_ones_defaulted() {
    let c = cluster().await;
    let client = c.client().unwrap();
    let api = configurations(&client, "Validating");
    let mut bad = webhook(
        "short.name",
        json!({ "url": "http://127.0.0.1:1/x" }),
        core_rule(&["CREATE"], &["configmaps"]),
    );
    bad.as_object_mut().unwrap().remove("sideEffects");
    let obj: DynamicObject =
        serde_json::from_value(configuration("Validating", "bad", json!([bad, "garbage"])))
            .unwrap();
    let status = api_status(api.create(&PostParams::default(), &obj).await.unwrap_err());
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert!(
        status.message.starts_with(
            "ValidatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: [webhooks[0].name: Invalid value: \"short.name\": should be a domain with at least three segments separated by dots"
        ),
        "{}",
        status.message
    );
    assert!(
        status
            .message
            .contains("'https' is the only allowed URL scheme")
    );
    assert!(
        status
            .message
            .contains("webhooks[0].sideEffects: Required value")
    );

    let good = webhook(
        "good.example.com",
        json!({ "service": { "namespace": "a", "name": "b" } }),
        core_rule(&["CREATE"], &["configmaps"]),
    );
    configure(&client, "Validating", "good", json!([good])).await;
    let stored = api.get("good").await.unwrap();
    let hook = &stored.data["webhooks"][0];
    assert_eq!(hook["failurePolicy"], "Fail");
    assert_eq!(hook["matchPolicy"], "Equivalent");
    assert_eq!(hook["timeoutSeconds"], 10);
    assert_eq!(hook["namespaceSelector"], json!({}));
    assert_eq!(hook["rules"][0]["scope"], "*");
    assert_eq!(hook["clientConfig"]["service"]["port"], 443);
}

#[tokio::test]
async fn if_needed_webhooks_are_reinvoked_after_later_mutations() {
    let (_c, hooks, client) = setup(|path, review| {
        let object = &review["request"]["object"];
        match path {
            // Records whether it saw the later webhook's label.
            "/early" => {
                let saw = object["metadata"]["labels"]["late"].is_string();
                patch(
                    review,
                    json!([{ "op": "add", "path": "/data/early-saw-late", "value": saw.to_string() }]),
                )
            }
            "/late" => patch(
                review,
                json!([{ "op": "add", "path": "/metadata/labels", "value": { "late": "yes" } }]),
            ),
            _ => allow(review),
        }
    })
    .await;
    let rules = core_rule(&["CREATE"], &["configmaps"]);
    let mut early = webhook(
        "early.example.com",
        hooks.service_config("/early"),
        rules.clone(),
    );
    early["reinvocationPolicy"] = json!("IfNeeded");
    let late = webhook("late.example.com", hooks.service_config("/late"), rules);
    configure(&client, "Mutating", "a", json!([early])).await;
    configure(&client, "Mutating", "b", json!([late])).await;
    let created = cms(&client, "default")
        .create(&PostParams::default(), &cm_with("r", "k"))
        .await
        .unwrap();
    assert_eq!(created.data.unwrap()["early-saw-late"], "true");
    let paths: Vec<String> = hooks.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/early", "/late", "/early"]);
}
