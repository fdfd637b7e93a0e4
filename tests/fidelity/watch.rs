//! Watches: event sequences, resuming, selectors, expiry, bookmarks, streaming lists.

use std::time::Duration;

use embedded_apiserver::{EmbeddedCluster, EmbeddedConfig};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use serde_json::json;

use crate::common::{create_cm, plain_cluster};

/// Upper bound for waiting on one event; generous so slow CI does not flake.
const WAIT: Duration = Duration::from_secs(20);

async fn next<S, T, E>(stream: &mut S) -> T
where
    S: futures::Stream<Item = Result<T, E>> + Unpin,
    E: std::fmt::Debug,
{
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("event in time")
        .expect("stream open")
        .unwrap()
}

fn name_of(cm: &ConfigMap) -> &str {
    cm.metadata.name.as_deref().unwrap_or_default()
}

fn kind(ev: &WatchEvent<ConfigMap>) -> String {
    match ev {
        WatchEvent::Added(cm) => format!("ADDED {}", name_of(cm)),
        WatchEvent::Modified(cm) => format!("MODIFIED {}", name_of(cm)),
        WatchEvent::Deleted(cm) => format!("DELETED {}", name_of(cm)),
        WatchEvent::Bookmark(b) => format!("BOOKMARK {}", b.metadata.resource_version),
        WatchEvent::Error(s) => format!("ERROR {} {}", s.code, s.reason),
    }
}

#[tokio::test]
async fn kube_watcher_sees_apply_and_delete() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher(api.clone(), watcher::Config::default()).boxed();
    loop {
        if let watcher::Event::InitDone = next(&mut stream).await {
            break;
        }
    }
    create_cm(&client, "default", "a", json!({})).await;
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({ "data": { "k": "2" } })),
    )
    .await
    .unwrap();
    api.delete("a", &DeleteParams::default()).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match next(&mut stream).await {
            watcher::Event::Apply(cm) => seen.push(format!("apply {}", cm.data.unwrap()["k"])),
            watcher::Event::Delete(cm) => seen.push(format!("delete {}", name_of(&cm))),
            _ => {}
        }
    }
    assert_eq!(seen, ["apply v", "apply 2", "delete a"]);
}

#[tokio::test]
async fn streaming_list_watcher_gets_initial_state_then_changes() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "before", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher(api, watcher::Config::default().streaming_lists()).boxed();
    let mut initial = Vec::new();
    loop {
        match next(&mut stream).await {
            watcher::Event::InitApply(cm) => initial.push(name_of(&cm).to_owned()),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    assert_eq!(initial, ["before"]);
    create_cm(&client, "default", "after", json!({})).await;
    loop {
        if let watcher::Event::Apply(cm) = next(&mut stream).await {
            assert_eq!(name_of(&cm), "after");
            break;
        }
    }
}

#[tokio::test]
async fn watch_resumes_after_a_resource_version() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let a = create_cm(&client, "default", "a", json!({})).await;
    create_cm(&client, "default", "b", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let rv = a.metadata.resource_version.unwrap();
    let mut stream = api
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    assert_eq!(kind(&next(&mut stream).await), "ADDED b");
    api.delete("b", &DeleteParams::default()).await.unwrap();
    assert_eq!(kind(&next(&mut stream).await), "DELETED b");
}

#[tokio::test]
async fn watch_from_zero_starts_with_the_current_state() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    create_cm(&client, "default", "a", json!({})).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut stream = api
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    assert_eq!(kind(&next(&mut stream).await), "ADDED a");
}

#[tokio::test]
async fn objects_leaving_a_label_selector_arrive_as_deleted() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let a = create_cm(&client, "default", "a", json!({ "app": "web" })).await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let wp = WatchParams::default().labels("app=web");
    let mut stream = api
        .watch(&wp, &a.metadata.resource_version.unwrap())
        .await
        .unwrap()
        .boxed();
    let pp = PatchParams::default();
    api.patch(
        "a",
        &pp,
        &Patch::Merge(json!({ "metadata": { "labels": { "app": "db" } } })),
    )
    .await
    .unwrap();
    assert_eq!(kind(&next(&mut stream).await), "DELETED a");
    api.patch(
        "a",
        &pp,
        &Patch::Merge(json!({ "metadata": { "labels": { "app": "web" } } })),
    )
    .await
    .unwrap();
    assert_eq!(kind(&next(&mut stream).await), "ADDED a");
}

#[tokio::test]
async fn watch_from_a_forgotten_version_gets_410_expired() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let a = create_cm(&client, "default", "a", json!({})).await;
    create_cm(&client, "default", "b", json!({})).await;
    c.faults().forget_history();
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut stream = api
        .watch(
            &WatchParams::default(),
            &a.metadata.resource_version.unwrap(),
        )
        .await
        .unwrap()
        .boxed();
    assert_eq!(kind(&next(&mut stream).await), "ERROR 410 Expired");
}

#[tokio::test]
async fn small_history_expires_old_versions() {
    let config = EmbeddedConfig {
        watch_history: 2,
        ..EmbeddedConfig::plain_http()
    };
    let c = EmbeddedCluster::start(config).await.unwrap();
    let client = c.client().unwrap();
    let a = create_cm(&client, "default", "a", json!({})).await;
    for i in 0..3 {
        create_cm(&client, "default", &format!("x{i}"), json!({})).await;
    }
    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut stream = api
        .watch(
            &WatchParams::default(),
            &a.metadata.resource_version.unwrap(),
        )
        .await
        .unwrap()
        .boxed();
    assert_eq!(kind(&next(&mut stream).await), "ERROR 410 Expired");
}

#[tokio::test]
async fn bookmarks_arrive_periodically_and_timeouts_end_the_stream() {
    let config = EmbeddedConfig {
        bookmark_interval: Duration::from_millis(100),
        ..EmbeddedConfig::plain_http()
    };
    let c = EmbeddedCluster::start(config).await.unwrap();
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let rv = c.resource_version().to_string();
    let wp = WatchParams::default().timeout(1);
    let mut stream = api.watch(&wp, &rv).await.unwrap().boxed();
    assert_eq!(kind(&next(&mut stream).await), format!("BOOKMARK {rv}"));
    let rest: Vec<_> = tokio::time::timeout(WAIT, stream.try_collect::<Vec<_>>())
        .await
        .unwrap()
        .unwrap();
    assert!(rest.iter().all(|e| matches!(e, WatchEvent::Bookmark(_))));
}

#[tokio::test]
async fn closing_watches_ends_open_streams() {
    let c = plain_cluster().await;
    let api: Api<ConfigMap> = Api::namespaced(c.client().unwrap(), "default");
    let wp = WatchParams::default().disable_bookmarks();
    let mut stream = api
        .watch(&wp, &c.resource_version().to_string())
        .await
        .unwrap()
        .boxed();
    c.faults().close_watches();
    let end = tokio::time::timeout(WAIT, stream.next()).await.unwrap();
    assert!(end.is_none());
}

#[tokio::test]
async fn events_are_delivered_in_resource_version_order() {
    let c = plain_cluster().await;
    let client = c.client().unwrap();
    let api: Api<ConfigMap> = Api::all(client.clone());
    let mut stream = api
        .watch(
            &WatchParams::default().disable_bookmarks(),
            &c.resource_version().to_string(),
        )
        .await
        .unwrap()
        .boxed();
    for i in 0..20 {
        let ns = if i % 2 == 0 { "default" } else { "kube-system" };
        create_cm(&client, ns, &format!("cm-{i}"), json!({})).await;
    }
    let mut last = 0u64;
    for _ in 0..20 {
        let WatchEvent::Added(cm) = next(&mut stream).await else {
            panic!("expected ADDED")
        };
        let rv: u64 = cm.metadata.resource_version.unwrap().parse().unwrap();
        assert!(rv > last);
        last = rv;
    }
}

/// client-go puts every informer of a process on one HTTP/2 connection; kube-apiserver allows
/// 1000 streams on it, so 300 watches on one connection must all open and all see an event.
#[tokio::test]
async fn three_hundred_watches_share_one_http2_connection() {
    use http_body_util::{BodyExt as _, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    const WATCHES: usize = 300;
    let c = plain_cluster().await;
    let tcp = tokio::net::TcpStream::connect(c.addr()).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let driver = tokio::spawn(conn);
    let mut bodies = Vec::with_capacity(WATCHES);
    for _ in 0..WATCHES {
        let mut send = send.clone();
        let request = http::Request::get(format!(
            "http://{}/api/v1/namespaces/default/configmaps?watch=true",
            c.addr()
        ))
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
        let response = tokio::time::timeout(WAIT, async {
            send.ready().await.unwrap();
            send.send_request(request).await.unwrap()
        })
        .await
        .expect("the server accepts another stream on the connection");
        assert_eq!(response.status(), 200);
        bodies.push(response.into_body());
    }
    create_cm(&c.client().unwrap(), "default", "shared", json!({})).await;
    for mut body in bodies {
        let mut line = Vec::new();
        while !line.ends_with(b"\n") {
            let frame = tokio::time::timeout(WAIT, body.frame())
                .await
                .expect("event in time")
                .expect("stream open")
                .unwrap();
            line.extend_from_slice(frame.data_ref().map_or(&[][..], |d| &d[..]));
        }
        let event: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(event["type"], "ADDED");
        assert_eq!(event["object"]["metadata"]["name"], "shared");
    }
    driver.abort();
}
