//! The debug server on a temp socket with a fake engine, exercised through every CLI command.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests"
)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::routing::get;
use clap::Parser;
use debug_socket::{
    BindingSnapshot, CacheCounters, CliError, DebugClient, DebugCommand, DebugSource, Parameter,
    QueueView, RuntimeConfig, SnapshotOperations, TcpDebugListener, UnixDebugListener, router, run,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct FakeEngine;

impl DebugSource for FakeEngine {
    async fn queues(&self) -> Vec<QueueView> {
        vec![
            QueueView {
                name: "secondary".into(),
                length: 1,
                status: "run first task".into(),
                tasks: vec!["HookRun:hook2.sh:schedule".into()],
            },
            QueueView {
                name: "idle".into(),
                length: 0,
                status: String::new(),
                tasks: vec![],
            },
            QueueView {
                name: "main".into(),
                length: 2,
                status: "sleep after fail for 6s".into(),
                tasks: vec![
                    "HookRun:hook1.sh:kubernetes:failures 1:boom".into(),
                    "HookRun:hook1.sh:schedule".into(),
                ],
            },
        ]
    }

    async fn hook_names(&self) -> Vec<String> {
        vec!["hook1.sh".into(), "sub/hook2.sh".into()]
    }

    async fn hook_snapshots(&self, hook: &str) -> Option<BTreeMap<String, BindingSnapshot>> {
        match hook {
            "hook1.sh" | "sub/hook2.sh" => Some(BTreeMap::from([(
                "pods".to_owned(),
                BindingSnapshot {
                    snapshot: vec![serde_json::json!({"filterResult": {"name": "p1"}})],
                    operations: SnapshotOperations {
                        since_start: CacheCounters {
                            count: 1,
                            added: 1,
                            ..CacheCounters::default()
                        },
                        since_last_execution: CacheCounters::default(),
                    },
                },
            )])),
            _ => None,
        }
    }
}

struct Server {
    socket: PathBuf,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    config: RuntimeConfig,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("nested/run/debug.socket");
    let config = RuntimeConfig::new();
    config.register(Parameter::log_level("info", Box::new(|_, _| Ok(()))));
    let extra = axum::Router::new().route(
        "/module/list.json",
        get(|| async { r#"{"enabledModules":[]}"# }),
    );
    let app = router(Arc::new(FakeEngine), config.clone(), extra);
    let listener = UnixDebugListener::bind(&socket).unwrap();
    let cancel = CancellationToken::new();
    let serve_cancel = cancel.clone();
    let task = tokio::spawn(async move { listener.serve(app, serve_cancel).await.unwrap() });
    Server {
        socket,
        cancel,
        task,
        config,
        _dir: dir,
    }
}

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: DebugCommand,
}

async fn cli(socket: &Path, args: &[&str]) -> (Result<(), CliError>, String) {
    let cli =
        Cli::try_parse_from(std::iter::once("shell-operator").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    let result = run(&cli.cmd, socket, &mut out).await;
    (result, String::from_utf8(out).unwrap())
}

async fn ok(socket: &Path, args: &[&str]) -> String {
    let (result, out) = cli(socket, args).await;
    result.unwrap_or_else(|e| panic!("{args:?} failed: {e}; output {out}"));
    out
}

#[tokio::test]
async fn queue_commands_print_upstream_text_and_json() {
    let server = start().await;
    let s = &server.socket;
    assert_eq!(
        ok(s, &["queue", "list"]).await,
        "Queue 'main': length 2, status: 'sleep after fail for 6s'\n\n \
         1. HookRun:hook1.sh:kubernetes:failures 1:boom\n 2. HookRun:hook1.sh:schedule\n\n\
         Queue 'secondary': length 1, status: 'run first task'\n\n 1. HookRun:hook2.sh:schedule\n\n\
         Summary:\n- 'main' queue: 2 tasks.\n- 2 other queues (1 active, 1 empty): 1 task.\n- total 3 tasks to handle.\n"
    );
    assert!(
        ok(s, &["queue", "list", "--show-empty"])
            .await
            .contains("Empty queues (1):\n- idle\n")
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(s, &["queue", "list", "-o", "json", "-e"]).await).unwrap();
    assert_eq!(json["summary"]["totalTasks"], 3);
    assert_eq!(json["active"][0]["name"], "main");
    assert_eq!(json["empty"][0]["name"], "idle");
    let yaml = ok(s, &["queue", "list", "-o", "yaml"]).await;
    assert!(yaml.starts_with("active:\n- name: main\n"), "{yaml}");
    assert!(
        ok(s, &["queue", "main"])
            .await
            .starts_with("Queue 'main': length 2, status: 'sleep after fail for 6s'\n")
    );
    let main: serde_json::Value =
        serde_json::from_str(&ok(s, &["queue", "main", "-o", "json"]).await).unwrap();
    assert_eq!(main["tasks"][1]["description"], "HookRun:hook1.sh:schedule");
    server.cancel.cancel();
}

#[tokio::test]
async fn hook_commands_list_names_and_dump_snapshots() {
    let server = start().await;
    let s = &server.socket;
    assert_eq!(
        ok(s, &["hook", "list"]).await,
        "[\"hook1.sh\",\"sub/hook2.sh\"]\n"
    );
    assert_eq!(
        ok(s, &["hook", "list", "-o", "yaml"]).await,
        "- hook1.sh\n- sub/hook2.sh\n\n"
    );
    let snap: serde_json::Value =
        serde_json::from_str(&ok(s, &["hook", "snapshot", "sub/hook2.sh", "-o", "json"]).await)
            .unwrap();
    assert_eq!(snap["pods"]["snapshot"][0]["filterResult"]["name"], "p1");
    assert_eq!(snap["pods"]["operations"]["sinceStart"]["added"], 1);
    assert_eq!(snap["pods"]["operations"]["sinceLastExecution"]["count"], 0);
    let (result, out) = cli(s, &["hook", "snapshot", "missing.sh"]).await;
    assert!(
        matches!(result, Err(CliError::Status(http::StatusCode::NOT_FOUND))),
        "{result:?}"
    );
    assert!(out.starts_with("Error: hook 'missing.sh'"), "{out}");
    server.cancel.cancel();
}

#[tokio::test]
async fn config_set_changes_the_log_level_and_rejects_bad_input() {
    let server = start().await;
    let s = &server.socket;
    assert!(
        ok(s, &["config", "list"])
            .await
            .starts_with(&format!("{:<30} {:<20}", "NAME", "VALUE"))
    );
    assert_eq!(
        ok(s, &["config", "set", "log.level", "error"]).await,
        "null\n"
    );
    assert_eq!(server.config.value("log.level").unwrap(), "error");
    assert_eq!(
        ok(s, &["config", "set", "log.level", "debug", "90s"]).await,
        "null\n"
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(s, &["config", "list", "-o", "json"]).await).unwrap();
    assert_eq!(list[0]["value"], "debug");
    assert!(list[0]["expireAt"].is_string());
    let (result, out) = cli(s, &["config", "set", "no.such", "x"]).await;
    assert!(matches!(
        result,
        Err(CliError::Status(http::StatusCode::BAD_REQUEST))
    ));
    assert_eq!(out, "Error: unknown runtime parameter 'no.such'\n");
    let (result, _) = cli(s, &["config", "set", "log.level", "loud"]).await;
    assert!(matches!(
        result,
        Err(CliError::Status(http::StatusCode::BAD_REQUEST))
    ));
    let (result, _) = cli(s, &["config", "set", "log.level", "debug", "soon"]).await;
    assert!(matches!(result, Err(CliError::Duration(_))));
    let bad = DebugClient::new(s)
        .post_form(
            "/config/set",
            &[("name", "log.level"), ("value", "info"), ("duration", "x")],
        )
        .await
        .unwrap();
    assert_eq!(bad.status, http::StatusCode::BAD_REQUEST);
    server.cancel.cancel();
}

#[tokio::test]
async fn raw_reaches_root_extra_routes_and_unknown_paths_are_404() {
    let server = start().await;
    let s = &server.socket;
    assert_eq!(ok(s, &["raw", "/"]).await, "debug endpoint is alive\n");
    assert_eq!(
        ok(s, &["raw", "/module/list.json"]).await,
        "{\"enabledModules\":[]}\n"
    );
    let (result, out) = cli(s, &["raw", "/nope"]).await;
    assert!(matches!(
        result,
        Err(CliError::Status(http::StatusCode::NOT_FOUND))
    ));
    assert_eq!(out, "404 page not found\n\n");
    let (result, _) = cli(s, &["raw", "/queue/list.xml"]).await;
    assert!(matches!(
        result,
        Err(CliError::Status(http::StatusCode::NOT_FOUND))
    ));
    server.cancel.cancel();
}

#[tokio::test]
async fn the_socket_is_private_replaces_a_stale_file_and_is_removed_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("debug.socket");
    std::fs::write(&socket, "stale").unwrap();
    let server = {
        let listener = UnixDebugListener::bind(&socket).unwrap();
        let cancel = CancellationToken::new();
        let app = router(
            Arc::new(FakeEngine),
            RuntimeConfig::new(),
            axum::Router::new(),
        );
        let c = cancel.clone();
        (
            cancel,
            tokio::spawn(async move { listener.serve(app, c).await }),
        )
    };
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        ok(&socket, &["raw", "/"]).await,
        "debug endpoint is alive\n"
    );
    server.0.cancel();
    server.1.await.unwrap().unwrap();
    assert!(!socket.exists(), "socket file must be removed on shutdown");
    let (result, _) = cli(&socket, &["raw", "/"]).await;
    assert!(matches!(
        result,
        Err(CliError::Client(debug_socket::ClientError::NoSocket(_)))
    ));
}

#[tokio::test]
async fn the_parent_directory_is_created() {
    let server = start().await;
    assert!(server.socket.parent().unwrap().is_dir());
    server.cancel.cancel();
    server.task.await.unwrap();
    assert!(!server.socket.exists());
}

#[tokio::test]
async fn the_same_routes_are_served_on_tcp() {
    let listener = TcpDebugListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cancel = CancellationToken::new();
    let app = router(
        Arc::new(FakeEngine),
        RuntimeConfig::new(),
        axum::Router::new(),
    );
    let task = tokio::spawn(listener.serve(app, cancel.clone()));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /hook/list.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(
        reply.ends_with("[\"hook1.sh\",\"sub/hook2.sh\"]"),
        "{reply}"
    );
    cancel.cancel();
    task.await.unwrap().unwrap();
}
