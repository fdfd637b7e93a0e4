//! The server on a real socket: scrape after known hook runs and metric files, probes, shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests fail loudly"
)]

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use axum::routing::get;
use hook_metrics::{HookMetricsStore, read_metrics_file};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use operator_http::{HaMode, HttpState, ListenConfig, Readiness, Routes, bind, serve};
use operator_metrics::{
    HookRunLabels, HookRunOutcome, HookRunRecord, MetricsConfig, MetricsRegistry, SelfMetrics,
};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct Server {
    addr: std::net::SocketAddr,
    cancel: CancellationToken,
    task: JoinHandle<Result<(), operator_http::ServeError>>,
}

async fn start(routes: Routes) -> Server {
    let listener = bind(&ListenConfig {
        address: "127.0.0.1".into(),
        port: 0,
    })
    .await
    .unwrap();
    let addr = listener.local_addr().unwrap();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(serve(listener, routes.into_router(), cancel.clone()));
    Server { addr, cancel, task }
}

async fn get_path(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    drop(sender);
    conn.await.unwrap().unwrap();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn fixture() -> (HttpState, SelfMetrics, Arc<HookMetricsStore>, Readiness) {
    let mut registry = MetricsRegistry::default();
    let metrics = SelfMetrics::register(&mut registry, &MetricsConfig::default());
    let hooks = Arc::new(HookMetricsStore::default());
    let readiness = Readiness::new(HaMode::Disabled);
    let state = HttpState {
        self_metrics: Arc::new(registry),
        hook_metrics: hooks.clone(),
        readiness: Arc::new(readiness.clone()),
    };
    (state, metrics, hooks, readiness)
}

#[tokio::test]
async fn metrics_show_recorded_hook_runs_with_upstream_names_and_labels() {
    let (state, metrics, _, _) = fixture();
    let server = start(Routes::new(state)).await;
    let labels = HookRunLabels::new("pods-hook.sh", "monitor-pods", "main");
    let run = |outcome| HookRunRecord {
        duration: Duration::from_millis(150),
        user_cpu: Duration::from_millis(20),
        sys_cpu: Duration::from_millis(10),
        max_rss_bytes: 3 * 1024 * 1024,
        outcome,
    };
    metrics
        .hooks
        .hook_run(&labels, &run(HookRunOutcome::Success));
    metrics
        .hooks
        .hook_run(&labels, &run(HookRunOutcome::Success));
    metrics.hooks.hook_run(&labels, &run(HookRunOutcome::Error));
    metrics
        .hooks
        .task_waited_in_queue(&labels, Duration::from_millis(2500));
    metrics.common.live_tick();

    let (status, content_type, body) = get_path(server.addr, "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let l = r#"{hook="pods-hook.sh",binding="monitor-pods",queue="main"}"#;
    for expected in [
        "# TYPE shell_operator_live_ticks counter\nshell_operator_live_ticks 1\n".to_owned(),
        format!("# TYPE shell_operator_hook_run_success_total counter\nshell_operator_hook_run_success_total{l} 2\n"),
        format!("shell_operator_hook_run_errors_total{l} 1\n"),
        format!("shell_operator_hook_run_allowed_errors_total{l} 0\n"),
        format!("shell_operator_hook_run_seconds_count{l} 3\n"),
        r#"shell_operator_hook_run_seconds_bucket{hook="pods-hook.sh",binding="monitor-pods",queue="main",le="0.2"} 3"#.to_owned(),
        format!("shell_operator_hook_run_max_rss_bytes{l} 3145728\n"),
        format!("shell_operator_task_wait_in_queue_seconds_total{l} 2.5\n"),
    ] {
        assert!(body.contains(&expected), "missing {expected:?} in\n{body}");
    }
    server.cancel.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn hook_metrics_show_what_metric_files_wrote_across_runs() {
    let (state, _, hooks, _) = fixture();
    let server = start(Routes::new(state)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.json");

    std::fs::write(
        &file,
        concat!(
            r#"{"name":"backups_total","add":1,"labels":{"kind":"full"}}"#,
            "\n",
            r#"{"group":"g","name":"pods","set":3}"#,
            "\n",
        ),
    )
    .unwrap();
    hooks
        .apply_for_hook("backup.sh", &read_metrics_file(&file).await.unwrap())
        .unwrap();
    std::fs::write(
        &file,
        concat!(
            r#"{"name":"backups_total","add":1,"labels":{"kind":"full"}}"#,
            "\n",
            r#"{"group":"g","action":"expire"}"#,
            "\n",
        ),
    )
    .unwrap();
    hooks
        .apply_for_hook("backup.sh", &read_metrics_file(&file).await.unwrap())
        .unwrap();

    let (status, _, body) = get_path(server.addr, "/metrics/hooks").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "# HELP backups_total backups_total\n# TYPE backups_total counter\n\
         backups_total{hook=\"backup.sh\",kind=\"full\"} 2\n"
    );
    let (_, _, self_body) = get_path(server.addr, "/metrics").await;
    assert!(!self_body.contains("backups_total"), "{self_body}");

    std::fs::write(
        &file,
        "{\"name\":\"ok\",\"set\":1}\n{\"name\":\"bad\",\"action\":\"observe\",\"value\":1}\n",
    )
    .unwrap();
    let err = read_metrics_file(&file).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: 'buckets' is required for action 'observe'"
    );
    server.cancel.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn healthz_is_ok_and_readyz_follows_the_readiness_state() {
    let (state, _, _, readiness) = fixture();
    let server = start(Routes::new(state)).await;
    assert_eq!(get_path(server.addr, "/healthz").await.0, 200);
    assert_eq!(
        get_path(server.addr, "/readyz").await,
        (
            503,
            "text/plain; charset=utf-8".into(),
            "hooks are not loaded yet\n".into()
        )
    );
    readiness.mark_hooks_loaded();
    readiness.mark_startup_done();
    assert_eq!(
        get_path(server.addr, "/readyz").await.2,
        "kubernetes bindings are not synchronized yet\n"
    );
    readiness.mark_synchronized();
    assert_eq!(get_path(server.addr, "/readyz").await.0, 200);
    server.cancel.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn discovery_lists_built_in_and_mounted_routes_and_mounted_routes_answer() {
    let (state, _, _, _) = fixture();
    let routes = Routes::new(state).mount(
        Method::GET,
        "/status/converge",
        get(|| async { "STARTUP_CONVERGE_DONE\n" }),
    );
    let server = start(routes).await;
    let (status, _, body) = get_path(server.addr, "/discovery").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "GET /\nGET /discovery\nGET /metrics\nGET /metrics/hooks\nGET /healthz\nGET /readyz\nGET /status/converge\n"
    );
    assert_eq!(
        get_path(server.addr, "/status/converge").await.2,
        "STARTUP_CONVERGE_DONE\n"
    );
    let (status, content_type, index) = get_path(server.addr, "/").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(index.contains("<a href=\"/metrics/hooks\">"), "{index}");
    assert_eq!(get_path(server.addr, "/nope").await.0, 404);
    server.cancel.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn cancelling_the_token_stops_the_server_and_frees_the_port() {
    let (state, _, _, _) = fixture();
    let server = start(Routes::new(state)).await;
    assert_eq!(get_path(server.addr, "/healthz").await.0, 200);
    server.cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("server stops promptly")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test]
async fn binding_a_busy_port_reports_the_address() {
    let taken = bind(&ListenConfig {
        address: "127.0.0.1".into(),
        port: 0,
    })
    .await
    .unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = bind(&ListenConfig {
        address: "127.0.0.1".into(),
        port,
    })
    .await
    .unwrap_err();
    assert_eq!(err.to_string(), format!("listen on 127.0.0.1:{port}"));
}
