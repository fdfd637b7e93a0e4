//! The debug endpoint of shell-operator and addon-operator: an HTTP server on a unix socket
//! (and optionally TCP) with upstream's routes and formats, the runtime config it edits, and
//! the CLI client that talks to it.
//!
//! ```no_run
//! # use std::{collections::BTreeMap, sync::Arc};
//! # use debug_socket::*;
//! # struct Engine;
//! # impl DebugSource for Engine {
//! #     async fn queues(&self) -> Vec<QueueView> { vec![] }
//! #     async fn hook_names(&self) -> Vec<String> { vec![] }
//! #     async fn hook_snapshots(&self, _: &str) -> Option<BTreeMap<String, BindingSnapshot>> { None }
//! # }
//! # async fn demo() -> Result<(), ServeError> {
//! let config = RuntimeConfig::new();
//! config.register(Parameter::log_level("info", Box::new(|_old, _new| Ok(()))));
//! let router = router(Arc::new(Engine), config.clone(), axum::Router::new());
//! let cancel = tokio_util::sync::CancellationToken::new();
//! tokio::spawn(config.run_expiry(cancel.clone()));
//! UnixDebugListener::bind(DEFAULT_SOCKET)?.serve(router, cancel).await
//! # }
//! ```

mod cli;
mod client;
mod endpoint;
mod format;
pub mod go_duration;
mod queue_dump;
mod routes;
mod runtime_config;
mod server;
mod source;

pub use cli::{
    CliError, ConfigCommand, DebugCommand, HookCommand, OutputArgs, QueueCommand, SocketArgs,
    encode_path, run,
};
pub use client::{ClientError, DebugClient, Response};
pub use endpoint::{Endpoint, start_endpoint};
pub use format::{Format, RenderError, Reply, UnknownFormat};
pub use queue_dump::{main_queue, queue_list};
pub use routes::{ALIVE, error, not_found, respond, router};
pub use runtime_config::{
    DEBUG_LEVEL_DURATION, ForcedDuration, LOG_LEVEL, LOG_LEVELS, OnChange, Parameter,
    RuntimeConfig, SetError, Validate,
};
pub use server::{
    ADDON_OPERATOR_DEFAULT_SOCKET, DEFAULT_SOCKET, ENV_DEBUG_HTTP_SERVER_ADDR,
    ENV_DEBUG_UNIX_SOCKET, ServeError, TcpDebugListener, UnixDebugListener,
};
pub use source::{
    BindingSnapshot, CacheCounters, DebugSource, MAIN_QUEUE, QueueView, SnapshotOperations,
};
