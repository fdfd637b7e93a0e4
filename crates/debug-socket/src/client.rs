//! A minimal HTTP/1 client over the debug unix socket, used by the CLI.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

/// How long connecting to the socket may take (upstream's dialer timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request to the debug socket failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket file does not exist.
    #[error("debug socket '{}' is not exists", .0.display())]
    NoSocket(PathBuf),
    /// Connecting failed.
    #[error("connect to debug socket '{}'", path.display())]
    Connect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Connecting took too long.
    #[error("connect to debug socket '{}': timed out", .0.display())]
    ConnectTimeout(PathBuf),
    /// Building the request failed (a bad path).
    #[error("build request")]
    Request(#[source] http::Error),
    /// The server closed the connection without a reply.
    #[error("debug socket closed the connection without a reply")]
    Closed,
    /// The HTTP exchange failed.
    #[error("request to debug socket")]
    Http(#[source] hyper::Error),
}

/// A reply from the debug endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: StatusCode,
    /// Body as text (lossy UTF-8).
    pub body: String,
}

/// Talks to one debug socket.
#[derive(Debug, Clone)]
pub struct DebugClient {
    socket: PathBuf,
}

impl DebugClient {
    /// A client for `socket`.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        DebugClient {
            socket: socket.into(),
        }
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `GET path` (path with query, starting with `/`).
    pub async fn get(&self, path: &str) -> Result<Response, ClientError> {
        self.send(Method::GET, path, None).await
    }

    /// `POST path` with an `application/x-www-form-urlencoded` body.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<Response, ClientError> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(Method::POST, path, Some(body)).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
    ) -> Result<Response, ClientError> {
        if !self.socket.exists() {
            return Err(ClientError::NoSocket(self.socket.clone()));
        }
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(&self.socket))
            .await
            .map_err(|_| ClientError::ConnectTimeout(self.socket.clone()))?
            .map_err(|source| ClientError::Connect {
                path: self.socket.clone(),
                source,
            })?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(ClientError::Http)?;
        // The connection future lives only as long as this request; dropping it closes the socket.
        let exchange = async move {
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, "unix");
            if form.is_some() {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            let request = request
                .body(Full::new(Bytes::from(form.unwrap_or_default())))
                .map_err(ClientError::Request)?;
            let response = sender
                .send_request(request)
                .await
                .map_err(ClientError::Http)?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(ClientError::Http)?
                .to_bytes();
            Ok(Response {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        tokio::select! {
            result = exchange => result,
            result = connection => match result {
                Err(err) => Err(ClientError::Http(err)),
                Ok(()) => Err(ClientError::Closed),
            },
        }
    }
}

/// Percent-encodes a form field (`application/x-www-form-urlencoded`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(encode("log.level"), "log.level");
        assert_eq!(encode("a b&c=µ"), "a+b%26c%3D%C2%B5");
    }
}
