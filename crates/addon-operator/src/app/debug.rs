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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    use super::*;
    use addon_modules::{GlobalDef, ModuleSet, ScriptRunner};

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn live(root: &Path) -> Arc<Live> {
        write(
            &root.join("values.yaml"),
            "global: {domain: example.com}\ndemoEnabled: true\n",
        );
        write(&root.join("001-hooks-only/hooks/h.sh"), "#!/bin/sh\n");
        write(
            &root.join("002-demo/Chart.yaml"),
            "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
        );
        write(&root.join("002-demo/values.yaml"), "demo: {replicas: 2}\n");
        write(
            &root.join("002-demo/templates/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  \
             namespace: {{ .Release.Namespace }}\ndata:\n  replicas: {{ .Values.demo.replicas | quote }}\n  \
             domain: {{ .Values.global.domain }}\n",
        );
        let found = addon_modules::discover(&[root.to_owned()], 1);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let global = GlobalDef {
            static_values: found.global_static,
            ..GlobalDef::default()
        };
        let scripts = ScriptRunner {
            tmp_dir: root.to_owned(),
            env: Vec::new(),
        };
        Arc::new(Live::new(
            ModuleSet::new(found.modules, global),
            scripts,
            "ns".into(),
        ))
    }

    async fn get(live: &Arc<Live>, uri: &str) -> (StatusCode, String) {
        let response = routes(Arc::clone(live))
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn values_and_config_come_alone_or_with_global_in_json_or_yaml_only() {
        let d = tempfile::tempdir().unwrap();
        let live = live(d.path());
        let (status, body) = get(&live, "/module/demo/values.json?global=true").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            r#"{"global":{"domain":"example.com"},"demo":{"replicas":2}}"#
        );
        assert_eq!(
            get(&live, "/module/demo/config.yaml").await,
            (StatusCode::OK, "{}\n".to_owned())
        );
        assert_eq!(
            get(&live, "/module/demo/values.text").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&live, "/module/nope/values.json").await,
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error: module not found".to_owned()
            )
        );
        assert_eq!(
            get(&live, "/global/values.json").await.1,
            r#"{"domain":"example.com"}"#
        );
    }

    #[tokio::test]
    async fn render_uses_the_module_name_the_namespace_and_live_values() {
        let d = tempfile::tempdir().unwrap();
        let live = live(d.path());
        let (status, body) = get(&live, "/module/demo/render").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.starts_with("---\n# Source: demo/templates/cm.yaml\n"),
            "{body}"
        );
        assert!(body.contains("name: demo\n  namespace: ns\n"), "{body}");
        assert!(body.contains("replicas: \"2\""), "{body}");
        let data = [("demo".to_owned(), "replicas: 5".to_owned())].into();
        live.apply(&data).unwrap();
        let (_, body) = get(&live, "/module/demo/render").await;
        assert!(body.contains("replicas: \"5\""), "{body}");
        assert_eq!(
            get(&live, "/module/hooks-only/render").await,
            (StatusCode::OK, "null".to_owned())
        );
        assert_eq!(
            get(&live, "/module/demo/render?diff=true").await.0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[tokio::test]
    async fn module_list_shows_the_last_calculation() {
        let d = tempfile::tempdir().unwrap();
        let live = live(d.path());
        assert_eq!(
            get(&live, "/module/list.json").await.1,
            r#"{"enabledModules":[]}"#,
            "nothing is listed before the first calculation"
        );
        live.recalculate_enabled(&tokio_util::sync::CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(
            get(&live, "/module/list.json").await.1,
            r#"{"enabledModules":["demo"]}"#
        );
    }
}
