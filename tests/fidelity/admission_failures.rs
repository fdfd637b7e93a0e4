//! Admission webhooks when things go wrong: webhooks down, slow, answering garbage or with the
//! wrong certificate.

use std::time::{Duration, Instant};

use kube::api::PostParams;
use serde_json::{Value, json};

use crate::common::{api_status, cluster, configmap};
use crate::webhooks::{Answer, allow, cms, configure, core_rule, patch, respond, setup, webhook};

/// A loopback port nothing listens on.
async fn closed_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn failure_policy_decides_when_the_webhook_is_down() {
    let c = cluster().await;
    let down = closed_port().await;
    c.register_service("webhooks", "down", down);
    let client = c.client().unwrap();
    let cc = json!({ "service": { "namespace": "webhooks", "name": "down", "path": "/x" } });
    let rules = core_rule(&["CREATE"], &["configmaps"]);
    let mut strict = webhook("strict.example.com", cc.clone(), rules.clone());
    strict["objectSelector"] = json!({ "matchLabels": { "policy": "fail" } });
    let mut lenient = webhook("lenient.example.com", cc, rules.clone());
    lenient["failurePolicy"] = json!("Ignore");
    let missing = json!({ "service": { "namespace": "webhooks", "name": "missing" } });
    let mut unknown = webhook("unknown.example.com", missing, rules);
    unknown["objectSelector"] = json!({ "matchLabels": { "policy": "missing" } });
    configure(
        &client,
        "Validating",
        "down",
        json!([strict, lenient, unknown]),
    )
    .await;
    let api = cms(&client, "default");

    api.create(&PostParams::default(), &configmap("ignored", json!({})))
        .await
        .unwrap();
    let status = api_status(
        api.create(
            &PostParams::default(),
            &configmap("failed", json!({ "policy": "fail" })),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        (status.code, status.reason.as_str()),
        (500, "InternalError")
    );
    assert_eq!(
        status.message,
        format!(
            "Internal error occurred: failed calling webhook \"strict.example.com\": failed to call webhook: Post \"https://down.webhooks.svc:443/x?timeout=10s\": dial tcp {down}: connect: connection refused"
        )
    );
    let status = api_status(
        api.create(
            &PostParams::default(),
            &configmap("m", json!({ "policy": "missing" })),
        )
        .await
        .unwrap_err(),
    );
    assert!(
        status.message.ends_with(
            "failed to call webhook: Post \"https://missing.webhooks.svc:443/?timeout=10s\": service \"missing\" not found"
        ),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn timeouts_are_honoured() {
    let (_c, hooks, client) = setup(|_, review| {
        Answer::Slow(
            Duration::from_secs(5),
            respond(review, json!({ "allowed": true })),
        )
    })
    .await;
    let rules = core_rule(&["CREATE"], &["configmaps"]);
    let mut slow = webhook("slow.example.com", hooks.service_config("/slow"), rules);
    slow["timeoutSeconds"] = json!(1);
    slow["objectSelector"] = json!({ "matchLabels": { "policy": "fail" } });
    let mut lenient = slow.clone();
    lenient["name"] = json!("lenient.example.com");
    lenient["failurePolicy"] = json!("Ignore");
    lenient["objectSelector"] = json!({ "matchLabels": { "policy": "ignore" } });
    configure(&client, "Validating", "slow", json!([slow, lenient])).await;
    let api = cms(&client, "default");

    let started = Instant::now();
    let status = api_status(
        api.create(
            &PostParams::default(),
            &configmap("a", json!({ "policy": "fail" })),
        )
        .await
        .unwrap_err(),
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(status.code, 500);
    assert!(
        status.message.starts_with("Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"https://hooks.webhooks.svc:443/slow?timeout=1s\": context deadline exceeded"),
        "{}",
        status.message
    );
    let started = Instant::now();
    api.create(
        &PostParams::default(),
        &configmap("b", json!({ "policy": "ignore" })),
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(hooks.received()[0].query, "timeout=1s");
}

#[tokio::test]
async fn garbage_responses_are_rejected_naming_the_webhook() {
    let (_c, hooks, client) = setup(|path, review| match path {
        "/garbage" => Answer::Raw(200, "this is not json"),
        "/error" => Answer::Raw(500, "boom"),
        "/wrong-uid" => Answer::Json(json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "response": { "uid": "nope", "allowed": true },
        })),
        "/bad-patch" => patch(
            review,
            json!([{ "op": "remove", "path": "/no/such/field" }]),
        ),
        _ => allow(review),
    })
    .await;
    let mut hooks_json = Vec::new();
    for name in ["garbage", "error", "wrong-uid", "bad-patch"] {
        let mut h = webhook(
            &format!("{name}.example.com"),
            hooks.service_config(&format!("/{name}")),
            core_rule(&["CREATE"], &["configmaps"]),
        );
        h["objectSelector"] = json!({ "matchLabels": { "case": name } });
        hooks_json.push(h);
    }
    configure(&client, "Mutating", "garbage", Value::Array(hooks_json)).await;
    let api = cms(&client, "default");
    let message = |case: &'static str| {
        let api = api.clone();
        async move {
            let cm = configmap(case, json!({ "case": case }));
            let status = api_status(api.create(&PostParams::default(), &cm).await.unwrap_err());
            assert_eq!(status.code, 500, "{case}: {}", status.message);
            status.message
        }
    };
    let m = message("garbage").await;
    assert!(
        m.starts_with("Internal error occurred: failed calling webhook \"garbage.example.com\": failed to call webhook: the response is not a JSON AdmissionReview"),
        "{m}"
    );
    let m = message("error").await;
    assert_eq!(
        m,
        "Internal error occurred: failed calling webhook \"error.example.com\": failed to call webhook: an error on the server (\"boom\") has prevented the request from succeeding"
    );
    let m = message("wrong-uid").await;
    assert!(
        m.starts_with("Internal error occurred: failed calling webhook \"wrong-uid.example.com\": received invalid webhook response: expected response.uid="),
        "{m}"
    );
    let m = message("bad-patch").await;
    assert!(m.starts_with("Internal error occurred: "), "{m}");
    // The server is still serving.
    api.create(&PostParams::default(), &configmap("fine", json!({})))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_webhook_certificate_is_checked_against_the_ca_bundle() {
    let (_c, hooks, client) = setup(|_, review| allow(review)).await;
    let other_ca = crate::webhooks::Pki::generate().ca_bundle;
    let mut cc = hooks.url_config("/x");
    cc["caBundle"] = json!(other_ca);
    configure(
        &client,
        "Validating",
        "tls",
        json!([webhook(
            "tls.example.com",
            cc,
            core_rule(&["CREATE"], &["configmaps"])
        )]),
    )
    .await;
    let status = api_status(
        cms(&client, "default")
            .create(&PostParams::default(), &configmap("a", json!({})))
            .await
            .unwrap_err(),
    );
    assert!(
        status.message.ends_with(
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        ),
        "{}",
        status.message
    );
    assert!(hooks.received().is_empty());
}
