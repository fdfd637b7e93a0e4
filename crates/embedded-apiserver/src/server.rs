//! Accepting connections (TLS or plain) and serving HTTP/1.1 and HTTP/2 on them.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, Server};

/// Streams one HTTP/2 connection may carry at once: kube-apiserver's default
/// (`--http2-max-streams-per-connection`), so a client-go process with hundreds of informers fits
/// on one connection (hyper's own default is 200).
const HTTP2_MAX_STREAMS: u32 = 1000;

/// How long open connections get to finish after shutdown starts.
const DRAIN: Duration = Duration::from_secs(2);

/// Accepts connections until `shutdown`; each connection is a task on `tracker`.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    srv: Arc<Server>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let srv = srv.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tracker.spawn(async move {
            match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => serve_connection(stream, srv, shutdown).await,
                    Err(e) => tracing::debug!(error = %e, "tls handshake failed"),
                },
                None => serve_connection(stream, srv, shutdown).await,
            }
        });
    }
}

async fn serve_connection<S>(io: S, srv: Arc<Server>, shutdown: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| api::handle(srv.clone(), req));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http2().max_concurrent_streams(HTTP2_MAX_STREAMS);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN, conn).await;
        }
    }
}
