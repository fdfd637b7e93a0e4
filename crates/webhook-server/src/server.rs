//! The HTTPS servers: admission (`POST /hooks/<webhookId>`) and conversion (`POST /<crdName>`),
//! both with `/healthz`, TLS from reloading certificate files and optional client-CA checks.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admission::{self, AdmissionRoutes, ReviewRequestError};
use crate::conversion::{self, ConversionGraph};
use crate::error::WebhookError;
use crate::runner::WebhookHookRunner;
use crate::tls::{ReloadingCert, parse_certs, read_pem_file};

/// Upstream read, header and idle timeouts of the webhook servers.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest accepted review body.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Certificate files of one server.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Server certificate chain (PEM).
    pub cert: PathBuf,
    /// Server private key (PEM).
    pub key: PathBuf,
    /// Client CA files; when non-empty, client certificates are required and verified.
    pub client_cas: Vec<PathBuf>,
}

/// Settings of one webhook server.
#[derive(Debug, Clone)]
pub struct WebhookServerConfig {
    /// Listen address (`0.0.0.0:9680` for admission, `0.0.0.0:9681` for conversion).
    pub listen: SocketAddr,
    /// Certificate files.
    pub tls: TlsFiles,
    /// How often the certificate files are checked for changes.
    pub reload_interval: Duration,
}

/// Settings of the admission server.
pub type AdmissionServerConfig = WebhookServerConfig;
/// Settings of the conversion server.
pub type ConversionServerConfig = WebhookServerConfig;

impl WebhookServerConfig {
    /// Upstream admission defaults (`/validating-certs/*`, `0.0.0.0:9680`).
    pub fn admission_default() -> WebhookServerConfig {
        WebhookServerConfig::defaults("/validating-certs", 9680)
    }

    /// Upstream conversion defaults (`/conversion-certs/*`, `0.0.0.0:9681`).
    pub fn conversion_default() -> WebhookServerConfig {
        WebhookServerConfig::defaults("/conversion-certs", 9681)
    }

    fn defaults(dir: &str, port: u16) -> WebhookServerConfig {
        WebhookServerConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], port)),
            tls: TlsFiles {
                cert: PathBuf::from(format!("{dir}/tls.crt")),
                key: PathBuf::from(format!("{dir}/tls.key")),
                client_cas: Vec::new(),
            },
            reload_interval: Duration::from_secs(10),
        }
    }
}

/// A running server. Dropping it does not stop it; call [`ServerHandle::shutdown`] or cancel
/// the token it was started with.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    cancel: CancellationToken,
    tracker: TaskTracker,
    cert: Arc<ReloadingCert>,
}

impl ServerHandle {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The certificate resolver (to force a reload).
    pub fn cert(&self) -> &Arc<ReloadingCert> {
        &self.cert
    }

    /// Stops accepting, lets open requests finish and waits for every task.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

enum Handler {
    Admission(AdmissionRoutes),
    Conversion(ConversionGraph),
}

struct State {
    handler: Handler,
    runner: Arc<dyn WebhookHookRunner>,
}

/// Starts the admission server.
pub async fn serve_admission(
    config: &WebhookServerConfig,
    routes: AdmissionRoutes,
    runner: Arc<dyn WebhookHookRunner>,
    cancel: &CancellationToken,
) -> Result<ServerHandle, WebhookError> {
    serve(config, Handler::Admission(routes), runner, cancel).await
}

/// Starts the conversion server.
pub async fn serve_conversion(
    config: &WebhookServerConfig,
    graph: ConversionGraph,
    runner: Arc<dyn WebhookHookRunner>,
    cancel: &CancellationToken,
) -> Result<ServerHandle, WebhookError> {
    serve(config, Handler::Conversion(graph), runner, cancel).await
}

async fn tls_config(
    files: &TlsFiles,
    cert: Arc<ReloadingCert>,
) -> Result<rustls::ServerConfig, WebhookError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(WebhookError::Tls)?;
    let builder = if files.client_cas.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        for path in &files.client_cas {
            let pem = read_pem_file(path).await?;
            for ca in parse_certs(path, &pem)? {
                roots.add(ca).map_err(WebhookError::Tls)?;
            }
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|err| WebhookError::ClientVerifier(err.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder.with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

async fn serve(
    config: &WebhookServerConfig,
    handler: Handler,
    runner: Arc<dyn WebhookHookRunner>,
    parent: &CancellationToken,
) -> Result<ServerHandle, WebhookError> {
    let cert = ReloadingCert::load(&config.tls.cert, &config.tls.key).await?;
    let acceptor = TlsAcceptor::from(Arc::new(tls_config(&config.tls, Arc::clone(&cert)).await?));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| WebhookError::Bind {
            addr: config.listen.to_string(),
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| WebhookError::Bind {
        addr: config.listen.to_string(),
        source,
    })?;
    let cancel = parent.child_token();
    let tracker = TaskTracker::new();
    cert.watch(config.reload_interval, &tracker, cancel.clone());
    let state = Arc::new(State { handler, runner });
    let accept_tracker = tracker.clone();
    let accept_cancel = cancel.clone();
    tracker.spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = accept_cancel.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _)) => {
                    // Replies go out as several small TLS records; with Nagle on, each waits
                    // for the client's delayed ACK (40 ms on Linux). Go servers set this too.
                    if let Err(err) = stream.set_nodelay(true) {
                        tracing::debug!(error = %err, "webhook server could not set TCP_NODELAY");
                    }
                    stream
                }
                Err(err) => {
                    tracing::warn!(error = %err, "webhook server accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let state = Arc::clone(&state);
            let cancel = accept_cancel.clone();
            accept_tracker.spawn(connection(stream, acceptor, state, cancel));
        }
    });
    Ok(ServerHandle {
        local_addr,
        cancel,
        tracker,
        cert,
    })
}

async fn connection(
    stream: tokio::net::TcpStream,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    cancel: CancellationToken,
) {
    let tls = match tokio::time::timeout(CONNECTION_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "webhook TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    let service = hyper::service::service_fn(move |req| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(handle(&state, req).await) }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(CONNECTION_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(error = %err, "webhook connection closed with an error");
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json_reply(value: &Value) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn is_json(req: &Request<Incoming>) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path == "/healthz" {
        return text(StatusCode::OK, "ok");
    }
    if req.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    }
    if !is_json(&req) {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        );
    }
    let body = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return text(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
    };
    let review = match admission::parse_review(&body) {
        Ok(review) => review,
        Err(err @ (ReviewRequestError::InvalidJson | ReviewRequestError::MissingRequest)) => {
            return text(StatusCode::BAD_REQUEST, &err.to_string());
        }
    };
    let response = match &state.handler {
        Handler::Admission(routes) => match routes.lookup(&path) {
            None => {
                tracing::warn!(path, "admission request for an unknown webhook");
                admission::denied(
                    review.uid(),
                    500,
                    &format!("no hook for webhook path '{path}'"),
                )
            }
            Some(route) => {
                let run = state
                    .runner
                    .run_admission(&route.binding, Arc::new(review.hook_review()))
                    .await;
                if let Err(err) = &run {
                    tracing::error!(hook = %route.binding.hook, binding = %route.binding.binding, error = %error_report::Report(err), "admission hook failed");
                }
                let outcome = match &run {
                    Ok(bytes) => Ok(bytes.as_slice()),
                    Err(err) => Err(err),
                };
                admission::admission_response(review.uid(), outcome)
            }
        },
        Handler::Conversion(graph) => {
            let crd_name = path.trim_start_matches('/');
            conversion::convert(graph, state.runner.as_ref(), crd_name, &review).await
        }
    };
    json_reply(&review.reply(response))
}
