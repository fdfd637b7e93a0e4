//! The HTTP API: routing requests to discovery, OpenAPI, resource handlers and the admin endpoint.

mod admitted;
pub(crate) mod commit;
mod discovery;
mod field_validation;
mod openapi;
pub(crate) mod params;
mod patch;
mod path;
pub(crate) mod present;
mod read;
mod warnings;
mod watch;
pub(crate) mod write;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::Value;

use crate::admission::{self, Admission, Operation};
use crate::conversion::Converter;
use crate::faults::Faults;
use crate::objects::now;
use crate::resources::ResourceType;
use crate::status::{ApiError, Target};
use crate::store::Store;
use commit::WriteCtx;
use params::Params;
use path::{ResourcePath, Route};
use warnings::Warnings;

/// Largest request body accepted, like the real server's limit.
const MAX_BODY: usize = 3 * 1024 * 1024 + 1024;

/// Shared state of the request handlers.
pub(crate) struct Server {
    /// The objects.
    pub store: Arc<Store>,
    /// Injected faults.
    pub faults: Faults,
    /// Interval of watch bookmarks.
    pub bookmark_interval: Duration,
    /// `host:port` clients reach the server at.
    pub address: String,
    /// Admission webhooks.
    pub admission: Arc<Admission>,
    /// Custom resource conversion.
    pub converter: Arc<Converter>,
}

/// What a handler answers.
pub(crate) enum Reply {
    /// A JSON document.
    Json(u16, Value),
    /// Pre-serialized JSON.
    Bytes(u16, Bytes),
    /// A watch stream.
    Stream(futures::stream::BoxStream<'static, Bytes>),
    /// A JSON document of another media type than plain `application/json`.
    Typed(Value, &'static str),
    /// A body that is not JSON, with its media type.
    Encoded(Bytes, &'static str),
}

impl Reply {
    fn json(code: u16, value: Value) -> Self {
        Reply::Json(code, value)
    }

    fn bytes(code: u16, bytes: impl Into<Bytes>) -> Self {
        Reply::Bytes(code, bytes.into())
    }

    fn into_response(self) -> Response<Body> {
        let mut content_type = "application/json";
        let (code, body) = match self {
            Reply::Json(code, v) => (code, Body::from(serde_json::to_vec(&v).unwrap_or_default())),
            Reply::Typed(v, media) => {
                content_type = media;
                (200, Body::from(serde_json::to_vec(&v).unwrap_or_default()))
            }
            Reply::Bytes(code, b) => (code, Body::from(b)),
            Reply::Encoded(b, media) => {
                content_type = media;
                (200, Body::from(b))
            }
            Reply::Stream(lines) => (
                200,
                Body::from_stream(futures::StreamExt::map(lines, Ok::<_, Infallible>)),
            ),
        };
        let mut resp = Response::new(body);
        *resp.status_mut() =
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        resp.headers_mut().insert(
            "Cache-Control",
            HeaderValue::from_static("no-cache, private"),
        );
        resp
    }
}

impl From<ApiError> for Reply {
    fn from(err: ApiError) -> Self {
        Reply::Json(err.code, err.to_status())
    }
}

/// One resource request after routing.
pub(crate) struct Call<'a> {
    srv: &'a Server,
    rt: Arc<ResourceType>,
    /// Namespace from the path (`None` for cluster scope or all namespaces).
    namespace: Option<String>,
    sub: Option<String>,
    params: Params,
    content_type: String,
    manager: String,
    body: Bytes,
    warnings: &'a Warnings,
}

impl Call<'_> {
    fn target<'b>(&'b self, name: &'b str) -> Target<'b> {
        Target {
            group: &self.rt.group,
            plural: &self.rt.plural,
            name,
        }
    }

    fn write_ctx(&self, dry_run: bool) -> WriteCtx {
        WriteCtx {
            rt: self.rt.clone(),
            namespace: self.namespace.clone().unwrap_or_default(),
            dry_run,
            manager: self.manager.clone(),
            now: now(),
            fields: crate::api::commit::FieldOwnership::RecordUpdate,
        }
    }

    /// The subresource, empty for the main resource.
    fn sub_str(&self) -> &str {
        self.sub.as_deref().unwrap_or_default()
    }

    /// Whether a write with one of `operations` must call out before committing: some admission
    /// webhook may match, or the resource converts through a webhook.
    fn calls_out(&self, operations: &[Operation]) -> bool {
        self.srv
            .admission
            .may_apply(&self.rt, self.sub_str(), operations)
            || self.srv.converter.webhook_for(&self.rt).is_some()
    }

    /// Admission attributes of this request.
    fn attributes(
        &self,
        operation: Operation,
        name: &str,
        namespace: &str,
        patch: bool,
        dry_run: bool,
    ) -> admission::Attributes {
        admission::Attributes {
            operation,
            rt: self.rt.clone(),
            sub: self.sub_str().to_owned(),
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            dry_run,
            options: admission::options(
                operation,
                patch,
                dry_run,
                self.params.field_manager.as_deref(),
            ),
        }
    }
}

/// Serves one HTTP request.
pub(crate) async fn handle<B>(
    srv: Arc<Server>,
    req: Request<B>,
) -> Result<Response<Body>, Infallible>
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let latency = srv.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let err = ApiError {
                code: 413,
                reason: "RequestEntityTooLarge",
                message: format!("error reading request body: {e}"),
                details: None,
            };
            return Ok(Reply::from(err).into_response());
        }
    };
    let warnings = Warnings::default();
    let reply = route(&srv, &parts, body, &warnings)
        .await
        .unwrap_or_else(Reply::from);
    let mut response = reply.into_response();
    for value in warnings.header_values() {
        response.headers_mut().append(header::WARNING, value);
    }
    Ok(response)
}

fn header_str(parts: &http::request::Parts, name: header::HeaderName) -> &str {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn route(
    srv: &Server,
    parts: &http::request::Parts,
    body: Bytes,
    warnings: &Warnings,
) -> Result<Reply, ApiError> {
    let get_only = |reply: Option<Value>| -> Result<Reply, ApiError> {
        if parts.method != Method::GET {
            return Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            ));
        }
        reply
            .map(|v| Reply::json(200, v))
            .ok_or_else(ApiError::not_found_path)
    };
    // kubectl >= 1.30 asks /api and /apis for aggregated discovery first.
    let aggregated = (parts.method == Method::GET)
        .then(|| discovery::aggregated_accept(header_str(parts, header::ACCEPT)))
        .flatten();
    match path::parse(parts.uri.path()) {
        Route::Version => get_only(Some(discovery::version())),
        Route::Health => Ok(Reply::bytes(200, Bytes::from_static(b"ok"))),
        route @ (Route::Api | Route::Apis) if aggregated.is_some() => {
            let (version, media) = aggregated.unwrap_or_default();
            let core = matches!(route, Route::Api);
            let doc = srv
                .store
                .read(|s| discovery::aggregated(&s.registry, core, version));
            Ok(Reply::Typed(doc, media))
        }
        Route::Api => get_only(Some(discovery::core_versions(&srv.address))),
        Route::Apis => get_only(Some(srv.store.read(|s| discovery::group_list(&s.registry)))),
        Route::Group(g) => get_only(srv.store.read(|s| discovery::group(&s.registry, &g))),
        Route::GroupVersion(g, v) => get_only(
            srv.store
                .read(|s| discovery::resource_list(&s.registry, &g, &v)),
        ),
        Route::OpenApiV2 => match openapi::v2(header_str(parts, header::ACCEPT)) {
            openapi::V2::Protobuf(bytes, media) if parts.method == Method::GET => {
                Ok(Reply::Encoded(bytes, media))
            }
            openapi::V2::Json(doc) => get_only(Some(doc)),
            openapi::V2::Protobuf(..) => get_only(None),
        },
        Route::OpenApiV3Root => get_only(Some(srv.store.read(|s| openapi::root(&s.registry)))),
        Route::OpenApiV3(g, v) => get_only(
            srv.store
                .read(|s| openapi::group_version(&s.registry, &g, &v)),
        ),
        Route::Faults => admin_faults(srv, parts, &body),
        Route::Resource(rp) => resource(srv, parts, rp, body, warnings).await,
        Route::Unknown => Err(ApiError::not_found_path()),
    }
}

async fn resource(
    srv: &Server,
    parts: &http::request::Parts,
    rp: ResourcePath,
    body: Bytes,
    warnings: &Warnings,
) -> Result<Reply, ApiError> {
    let params = Params::parse(parts.uri.query())?;
    let rt = srv
        .store
        .read(|s| s.registry.get(&rp.group, &rp.version, &rp.plural))
        .ok_or_else(ApiError::not_found_path)?;
    if let Some(code) = srv.faults.take_failure(&rt.group, &rt.plural) {
        return Err(ApiError::injected(code));
    }
    if rp.namespace.is_some() && !rt.namespaced {
        return Err(ApiError::not_found_path());
    }
    let sub_ok = match rp.sub.as_deref() {
        None => true,
        Some("status") => rt.status,
        Some("scale") => rt.scale.is_some(),
        Some("finalize") => rt.group.is_empty() && rt.plural == "namespaces",
        Some(_) => false,
    };
    if !sub_ok {
        return Err(ApiError::not_found_path());
    }
    let user_agent = header_str(parts, header::USER_AGENT);
    let manager = params.field_manager.clone().unwrap_or_else(|| {
        let prefix = user_agent.split('/').next().unwrap_or_default();
        if prefix.is_empty() {
            "unknown".to_owned()
        } else {
            prefix.to_owned()
        }
    });
    let call = Call {
        srv,
        rt: rt.clone(),
        namespace: rp.namespace.clone(),
        sub: rp.sub.clone().map(|s| {
            if s == "finalize" {
                "status".to_owned()
            } else {
                s
            }
        }),
        content_type: header_str(parts, header::CONTENT_TYPE).to_owned(),
        manager,
        params,
        body,
        warnings,
    };
    if rt.namespaced && call.namespace.is_none() && !matches!(parts.method, Method::GET) {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    let method = &parts.method;
    match (rp.name.as_deref(), method) {
        (None, &Method::GET) if call.params.watch || rp.watch => watch::watch(&call),
        (None, &Method::GET) => read::list(&call).await,
        (None, &Method::POST) => write::create(&call).await,
        (None, &Method::DELETE) => write::delete_collection(&call).await,
        (Some(name), &Method::GET) if call.params.watch || rp.watch => {
            // Watching one object is a field-selected collection watch.
            let mut call = call;
            let selector = format!("metadata.name={name}");
            call.params.field_selector = if call.params.field_selector.is_empty() {
                selector
            } else {
                format!("{},{selector}", call.params.field_selector)
            };
            watch::watch(&call)
        }
        (Some(name), &Method::GET) => read::get(&call, name).await,
        (Some(name), &Method::PUT) => write::update(&call, name).await,
        (Some(name), &Method::PATCH) => patch::patch(&call, name).await,
        (Some(name), &Method::DELETE) if call.sub.is_none() => write::delete(&call, name).await,
        _ => Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )),
    }
}

/// `POST /_embedded/faults` with `{"action": ...}`.
fn admin_faults(
    srv: &Server,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<Reply, ApiError> {
    if parts.method != Method::POST {
        return Err(ApiError::method_not_allowed("POST a fault as JSON"));
    }
    let req: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid fault request: {e}")))?;
    match req["action"].as_str().unwrap_or_default() {
        "closeWatches" => srv.faults.close_watches(),
        "forgetHistory" => srv.faults.forget_history(),
        "failNext" => {
            let plural = req["resource"]
                .as_str()
                .ok_or_else(|| ApiError::bad_request("failNext needs \"resource\""))?;
            let count = req["count"].as_u64().unwrap_or(1);
            let code = req["code"].as_u64().unwrap_or(500);
            srv.faults.fail_next(
                plural,
                req["group"].as_str(),
                u32::try_from(count).unwrap_or(u32::MAX),
                u16::try_from(code).unwrap_or(500),
            );
        }
        "latency" => srv
            .faults
            .set_latency(Duration::from_millis(req["millis"].as_u64().unwrap_or(0))),
        "clear" => srv.faults.clear(),
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown fault action {other:?}; use closeWatches, forgetHistory, failNext, latency or clear"
            )));
        }
    }
    Ok(Reply::json(200, serde_json::json!({ "ok": true })))
}
