//! The router: built-in routes, mounted extras, and `/discovery` listing them all.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::exposition::TextExposition;
use crate::readiness::ReadinessProbe;

/// What the built-in routes read.
#[derive(Clone)]
pub struct HttpState {
    /// Served on `/metrics`.
    pub self_metrics: Arc<dyn TextExposition>,
    /// Served on `/metrics/hooks`.
    pub hook_metrics: Arc<dyn TextExposition>,
    /// Decides `/readyz`.
    pub readiness: Arc<dyn ReadinessProbe>,
}

/// Builder of the router; records every route so `/discovery` can list it.
pub struct Routes {
    router: Router,
    listing: Vec<String>,
    title: String,
}

const BUILT_IN: &[(&str, &str)] = &[
    ("/", "this page"),
    ("/discovery", "the routes, one per line"),
    ("/metrics", "the operator's own metrics"),
    (
        "/metrics/hooks",
        "metrics written by hooks to $METRICS_PATH",
    ),
    ("/healthz", "200 while the process is alive"),
    (
        "/readyz",
        "200 when the operator is ready (shell-operator: hooks loaded, onStartup and Synchronization done; addon-operator: the first converge done)",
    ),
];

impl Routes {
    /// The built-in routes over `state`.
    pub fn new(state: HttpState) -> Self {
        let router = Router::new()
            .route("/metrics", get(self_metrics))
            .route("/metrics/hooks", get(hook_metrics))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(state);
        Self {
            router,
            listing: BUILT_IN
                .iter()
                .map(|(path, _)| format!("GET {path}"))
                .collect(),
            title: "shell-operator".to_owned(),
        }
    }

    /// The operator's name in the title of `/` (`shell-operator` unless set).
    #[must_use]
    pub fn titled(mut self, title: &str) -> Self {
        title.clone_into(&mut self.title);
        self
    }

    /// Adds `method_router` at `path`; `method` is what `/discovery` shows for it.
    #[must_use]
    pub fn mount(mut self, method: Method, path: &str, method_router: MethodRouter) -> Self {
        self.router = self.router.route(path, method_router);
        self.listing.push(format!("{method} {path}"));
        self
    }

    /// The finished router, with `/` and `/discovery`.
    pub fn into_router(self) -> Router {
        let mut discovery = String::new();
        for line in &self.listing {
            let _ = writeln!(discovery, "{line}");
        }
        let index = index_page(&self.title, &self.listing);
        self.router
            .route("/discovery", get(move || async move { discovery }))
            .route("/", get(move || async move { Html(index) }))
    }
}

fn index_page(title: &str, listing: &[String]) -> String {
    let mut html =
        format!("<html><head><title>{title}</title></head><body>\n<h1>{title}</h1>\n<ul>\n");
    for line in listing {
        let path = line.split_once(' ').map_or(line.as_str(), |(_, p)| p);
        let note = BUILT_IN
            .iter()
            .find(|(p, _)| *p == path)
            .map_or("", |(_, n)| n);
        let _ = writeln!(html, "<li><a href=\"{path}\">{line}</a> {note}</li>");
    }
    html.push_str("</ul>\n</body></html>\n");
    html
}

fn exposition(source: &dyn TextExposition) -> Response {
    match source.render() {
        Ok(text) => ([(header::CONTENT_TYPE, hook_metrics::CONTENT_TYPE)], text).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "metrics scrape failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics\n").into_response()
        }
    }
}

async fn self_metrics(State(state): State<HttpState>) -> Response {
    exposition(state.self_metrics.as_ref())
}

async fn hook_metrics(State(state): State<HttpState>) -> Response {
    exposition(state.hook_metrics.as_ref())
}

async fn healthz() -> StatusCode {
    StatusCode::OK
}

async fn readyz(State(state): State<HttpState>) -> Response {
    state.readiness.probe().into_response()
}
