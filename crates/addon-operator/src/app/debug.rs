//! addon-operator's debug routes this slice can answer truthfully: `/module/list.*`,
//! `/module/{name}/{values,config}.*` (with `?global=`), `/module/{name}/render`,
//! `/global/{values,config}.*`, mounted next to the shared debug-socket routes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use debug_socket::{DebugSource, Format, QueueView, Reply, error, not_found, respond};
use serde_json::{Map, Value, json};

use crate::app::live::Live;

/// The routes over `live`.
pub fn routes(live: Arc<Live>) -> Router {
    Router::new()
        .route("/module/{file}", get(module_list))
        .route("/module/{name}/{file}", get(module_file))
        .route("/global/{file}", get(global_file))
        .with_state(live)
}

/// The shared routes' view: this slice has no queues and no hooks.
#[derive(Debug, Clone, Copy)]
pub struct NoEngine;

impl DebugSource for NoEngine {
    async fn queues(&self) -> Vec<QueueView> {
        Vec::new()
    }

    async fn hook_names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn hook_snapshots(
        &self,
        _hook: &str,
    ) -> Option<BTreeMap<String, debug_socket::BindingSnapshot>> {
        None
    }
}

/// Go's `strconv.ParseBool`; anything else is false, as upstream treats it.
fn query_flag(query: &HashMap<String, String>, name: &str) -> bool {
    matches!(
        query.get(name).map(String::as_str),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True")
    )
}

/// `list.json|yaml|text`, or a values/config file that only comes as json or yaml.
fn data_format(file: &str, stem: &str) -> Option<Format> {
    match Format::split_suffix(file) {
        Some((s, f @ (Format::Json | Format::Yaml))) if s == stem => Some(f),
        _ => None,
    }
}

async fn module_list(State(live): State<Arc<Live>>, Path(file): Path<String>) -> Response {
    let Some(("list", format)) = Format::split_suffix(&file) else {
        return not_found();
    };
    let names = live.enabled_modules();
    respond(&Reply::Data(json!({ "enabledModules": names })), format)
}

async fn module_file(
    State(live): State<Arc<Live>>,
    Path((name, file)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if file == "render" {
        return render(&live, &name, &query).await;
    }
    let (kind, format) = match (data_format(&file, "values"), data_format(&file, "config")) {
        (Some(f), _) => ("values", f),
        (_, Some(f)) => ("config", f),
        _ => return not_found(),
    };
    let with_global = query_flag(&query, "global");
    let reply = live.read(|set| {
        let module = set.module(&name)?;
        let own = match kind {
            "values" => Value::Object(set.module_values(module)),
            _ => set.module_config(module),
        };
        if !with_global {
            return Some(own);
        }
        let global = match kind {
            "values" => set.global_values(),
            _ => set.global_config(),
        };
        let mut both = Map::new();
        both.insert("global".to_owned(), Value::Object(global));
        both.insert(module.values_key.clone(), own);
        Some(Value::Object(both))
    });
    match reply {
        Some(value) => respond(&Reply::Data(value), format),
        None => error(StatusCode::INTERNAL_SERVER_ERROR, "module not found"),
    }
}

async fn render(live: &Live, name: &str, query: &HashMap<String, String>) -> Response {
    if query_flag(query, "diff") {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "diff against the live objects is not implemented yet",
        );
    }
    match live.render(name).await {
        Ok(Value::String(manifest)) => respond(&Reply::Text(manifest), Format::Text),
        Ok(other) => respond(&Reply::Data(other), Format::Text),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

async fn global_file(State(live): State<Arc<Live>>, Path(file): Path<String>) -> Response {
    if let Some(format) = data_format(&file, "values") {
        let values = live.read(|set| set.global_values());
        return respond(&Reply::Data(Value::Object(values)), format);
    }
    if let Some(format) = data_format(&file, "config") {
        let config = live.read(|set| set.global_config());
        return respond(&Reply::Data(Value::Object(config)), format);
    }
    not_found()
}
