//! The debug routes (upstream §4.6) as an axum router, with room for extra routes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use crate::format::{Format, Reply};
use crate::go_duration;
use crate::queue_dump;
use crate::runtime_config::{RuntimeConfig, SetError};
use crate::source::DebugSource;

/// The text of `GET /`.
pub const ALIVE: &str = "debug endpoint is alive";

/// Builds the debug router: upstream routes, then `extra` (addon-operator's `/module/...`).
///
/// Unknown paths give 404 `404 page not found` as Go's mux does.
pub fn router<S: DebugSource>(source: Arc<S>, config: RuntimeConfig, extra: Router) -> Router {
    let state = AppState { source, config };
    Router::new()
        .route("/", get(|| async { ALIVE }))
        .route("/queue/{file}", get(queue::<S>))
        .route("/hook/{*rest}", get(hook::<S>))
        .route("/config/{file}", get(config_list::<S>))
        .route("/config/set", post(config_set::<S>))
        .with_state(state)
        .merge(extra)
        .fallback(|| async { not_found() })
}

struct AppState<S> {
    source: Arc<S>,
    config: RuntimeConfig,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            source: self.source.clone(),
            config: self.config.clone(),
        }
    }
}

/// Formats `reply` as a 200 response, or 500 when it cannot be marshalled.
pub fn respond(reply: &Reply, format: Format) -> Response {
    match reply.render(format) {
        Ok(body) => (StatusCode::OK, body).into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Error '{format}' transform: {err}"),
        )
            .into_response(),
    }
}

/// An error response with upstream's `Error: <message>` body.
pub fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, format!("Error: {message}")).into_response()
}

/// The 404 reply for unknown paths.
pub fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
}

async fn queue<S: DebugSource>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some((name, format)) = Format::split_suffix(&file) else {
        return not_found();
    };
    match name {
        "main" => respond(
            &queue_dump::main_queue(&state.source.queues().await, format),
            format,
        ),
        "list" => {
            // Go's strconv.ParseBool; anything else means false.
            let show_empty = matches!(
                query.get("showEmpty").map(String::as_str),
                Some("1" | "t" | "T" | "true" | "TRUE" | "True")
            );
            let queues = state.source.queues().await;
            respond(&queue_dump::queue_list(&queues, format, show_empty), format)
        }
        _ => not_found(),
    }
}

async fn hook<S: DebugSource>(
    State(state): State<AppState<S>>,
    Path(rest): Path<String>,
) -> Response {
    if let Some((name, format)) = Format::split_suffix(&rest)
        && name == "list"
    {
        let names = state.source.hook_names().await;
        return respond(&Reply::Data(serde_json::json!(names)), format);
    }
    // Hook names are paths relative to the hooks dir and may contain slashes.
    let Some((hook, file)) = rest.rsplit_once('/') else {
        return not_found();
    };
    let Some(("snapshots", format)) = Format::split_suffix(file) else {
        return not_found();
    };
    match state.source.hook_snapshots(hook).await {
        // Upstream dumps a hook without Kubernetes bindings as JSON null.
        Some(snapshots) if snapshots.is_empty() => {
            respond(&Reply::Data(serde_json::Value::Null), format)
        }
        Some(snapshots) => match serde_json::to_value(&snapshots) {
            Ok(value) => respond(&Reply::Data(value), format),
            Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err),
        },
        None => error(StatusCode::NOT_FOUND, format!("hook '{hook}' is not found")),
    }
}

async fn config_list<S: DebugSource>(
    State(state): State<AppState<S>>,
    Path(file): Path<String>,
) -> Response {
    match Format::split_suffix(&file) {
        Some(("list", Format::Text)) => respond(&Reply::Text(state.config.table()), Format::Text),
        Some(("list", format)) => respond(&Reply::Data(state.config.list()), format),
        _ => not_found(),
    }
}

async fn config_set<S: DebugSource>(
    State(state): State<AppState<S>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let name = field("name");
    if name.is_empty() {
        return error(StatusCode::BAD_REQUEST, "'name' parameter is required");
    }
    if !state.config.has(name) {
        return error(StatusCode::BAD_REQUEST, SetError::Unknown(name.to_owned()));
    }
    let value = field("value");
    if value.is_empty() {
        return error(StatusCode::BAD_REQUEST, "'value' parameter is required");
    }
    let duration = match field("duration") {
        "" => None,
        text => match go_duration::parse(text) {
            Ok(d) => Some(d),
            Err(err) => return error(StatusCode::BAD_REQUEST, format!("parse duration: {err}")),
        },
    };
    match state.config.set(name, value, duration) {
        // Upstream marshals its nil result: the body is `null`.
        Ok(()) => respond(&Reply::Data(serde_json::Value::Null), Format::Text),
        Err(err @ (SetError::Unknown(_) | SetError::Invalid(_))) => {
            error(StatusCode::BAD_REQUEST, err)
        }
        Err(err @ SetError::OnChange(_)) => error(StatusCode::INTERNAL_SERVER_ERROR, err),
    }
}
