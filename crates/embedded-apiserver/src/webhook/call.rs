//! One webhook POST: resolve the target, connect, TLS handshake, HTTP/1.1 request, read the body.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::{ServiceRegistry, Target};

/// Largest webhook response read, well above any real AdmissionReview or ConversionReview.
const MAX_RESPONSE: usize = 32 * 1024 * 1024;

/// Longest part of an unexpected response body quoted in an error.
const QUOTED_BODY: usize = 256;

/// Why a webhook could not be called; messages follow the Go client's wording.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No route for the Service is registered.
    #[error("Post \"{url}\": service \"{service}\" not found")]
    ServiceNotFound {
        /// The URL that was to be called.
        url: String,
        /// The Service name.
        service: String,
    },
    /// The URL's host did not resolve or was malformed.
    #[error("Post \"{url}\": {message}")]
    Address {
        /// The URL that was to be called.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The TCP connection failed.
    #[error("Post \"{url}\": dial tcp {addr}: {message}")]
    Connect {
        /// The URL that was to be called.
        url: String,
        /// The address dialled.
        addr: SocketAddr,
        /// The operating system's explanation.
        message: String,
    },
    /// The TLS handshake failed, usually because the certificate does not match `caBundle`.
    #[error("Post \"{url}\": tls: {message}")]
    Tls {
        /// The URL that was to be called.
        url: String,
        /// The TLS library's explanation.
        message: String,
    },
    /// The HTTP exchange failed.
    #[error("Post \"{url}\": {message}")]
    Http {
        /// The URL that was called.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The webhook did not answer within its timeout.
    #[error("Post \"{url}\": context deadline exceeded")]
    Timeout {
        /// The URL that was called.
        url: String,
    },
    /// The webhook answered with a non-2xx status.
    #[error("{}", status_message(*.code, .body))]
    Status {
        /// HTTP status code.
        code: u16,
        /// The start of the body.
        body: String,
    },
}

/// The Go REST client's wording for an unexpected status.
fn status_message(code: u16, body: &str) -> String {
    match code {
        400 => "the server rejected our request for an unknown reason".to_owned(),
        401 => "Unauthorized".to_owned(),
        403 => "forbidden".to_owned(),
        404 => "the server could not find the requested resource".to_owned(),
        405 => "the server does not allow this method on the requested resource".to_owned(),
        503 => "the server is currently unable to handle the request".to_owned(),
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request".to_owned(),
        _ => format!("an error on the server ({body:?}) has prevented the request from succeeding"),
    }
}

/// What to send where.
pub struct Request<'a> {
    /// The URL or Service.
    pub target: &'a Target,
    /// The full URL, for messages.
    pub url: &'a str,
    /// TLS client configuration trusting the webhook's CA bundle.
    pub tls: Arc<rustls::ClientConfig>,
    /// The JSON body.
    pub body: Bytes,
}

/// Host name (for TLS and `Host`), port and path of the request.
struct Route {
    host: String,
    port: u16,
    path_and_query: String,
}

fn route(req: &Request<'_>) -> Result<Route, CallError> {
    let address = |message: String| CallError::Address {
        url: req.url.to_owned(),
        message,
    };
    let uri: http::Uri = req
        .url
        .parse()
        .map_err(|e| address(format!("parse URL: {e}")))?;
    if uri.scheme_str() != Some("https") {
        return Err(address(format!(
            "unsupported protocol scheme {:?}",
            uri.scheme_str().unwrap_or_default()
        )));
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| address("no host in URL".to_owned()))?;
    Ok(Route {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port: uri.port_u16().unwrap_or(443),
        path_and_query: uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
    })
}

async fn resolve(
    services: &ServiceRegistry,
    req: &Request<'_>,
    route: &Route,
) -> Result<SocketAddr, CallError> {
    if let Target::Service {
        namespace,
        name,
        port,
        ..
    } = req.target
    {
        return services.resolve(namespace, name, *port).ok_or_else(|| {
            CallError::ServiceNotFound {
                url: req.url.to_owned(),
                service: name.clone(),
            }
        });
    }
    if let Ok(ip) = route.host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, route.port));
    }
    let lookup = tokio::net::lookup_host((route.host.as_str(), route.port)).await;
    lookup
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| CallError::Address {
            url: req.url.to_owned(),
            message: format!("dial tcp: lookup {}: no such host", route.host),
        })
}

/// Sends one request on a fresh connection and returns the body of a 2xx answer.
pub async fn post(services: &ServiceRegistry, req: Request<'_>) -> Result<Bytes, CallError> {
    let route = route(&req)?;
    let addr = resolve(services, &req, &route).await?;
    let url = req.url.to_owned();
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| CallError::Connect {
            url: url.clone(),
            addr,
            message: connect_message(&e),
        })?;
    // Latency matters more than throughput for these small requests.
    let _ = tcp.set_nodelay(true);
    let server_name = ServerName::try_from(route.host.clone()).map_err(|e| CallError::Tls {
        url: url.clone(),
        message: e.to_string(),
    })?;
    let stream = tokio_rustls::TlsConnector::from(req.tls)
        .connect(server_name, tcp)
        .await
        .map_err(|e| CallError::Tls {
            url: url.clone(),
            message: tls_message(&e, &route.host),
        })?;
    let http_error = |message: String| CallError::Http {
        url: url.clone(),
        message,
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http_error(e.to_string()))?;
    let host = if route.port == 443 {
        route.host.clone()
    } else {
        format!("{}:{}", route.host, route.port)
    };
    let request = http::Request::post(route.path_and_query.as_str())
        .header(http::header::HOST, host)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json, */*")
        .header(http::header::USER_AGENT, "kube-apiserver-admission")
        .body(Full::new(req.body))
        .map_err(|e| http_error(e.to_string()))?;
    let exchange = async move {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http_error(e.to_string()))?;
        let code = response.status().as_u16();
        let body = http_body_util::Limited::new(response.into_body(), MAX_RESPONSE)
            .collect()
            .await
            .map_err(|e| http_error(format!("reading the response: {e}")))?
            .to_bytes();
        Ok::<_, CallError>((code, body))
    };
    // The connection is driven here rather than spawned, so nothing outlives the call.
    let mut conn = std::pin::pin!(conn);
    let mut exchange = std::pin::pin!(exchange);
    let mut conn_open = true;
    let (code, body) = loop {
        tokio::select! {
            biased;
            done = &mut exchange => break done?,
            ended = &mut conn, if conn_open => {
                conn_open = false;
                if let Err(e) = ended {
                    return Err(CallError::Http { url: url.clone(), message: e.to_string() });
                }
            }
        }
    };
    if !(200..300).contains(&code) {
        let text = String::from_utf8_lossy(&body);
        let body: String = text.trim().chars().take(QUOTED_BODY).collect();
        return Err(CallError::Status { code, body });
    }
    Ok(body)
}

/// Go's wording for the certificate problems people hit most, rustls' for the rest.
fn tls_message(e: &std::io::Error, host: &str) -> String {
    use rustls::CertificateError;
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        // A CA with the issuer's name but another key fails on the signature; Go reports both alike.
        Some(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        )) => {
            "failed to verify certificate: x509: certificate signed by unknown authority".to_owned()
        }
        Some(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => format!("failed to verify certificate: x509: certificate is not valid for {host}"),
        Some(rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        )) => "failed to verify certificate: x509: certificate has expired or is not yet valid"
            .to_owned(),
        Some(other) => other.to_string(),
        None => e.to_string(),
    }
}

fn connect_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".to_owned(),
        _ => format!("connect: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_like_the_go_client() {
        let e = CallError::Status {
            code: 500,
            body: "boom".into(),
        };
        assert_eq!(
            e.to_string(),
            "an error on the server (\"boom\") has prevented the request from succeeding"
        );
        let e = CallError::Status {
            code: 404,
            body: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "the server could not find the requested resource"
        );
    }

    #[tokio::test]
    async fn unregistered_services_are_not_found() {
        let target = Target::Service {
            namespace: "ns".into(),
            name: "hooks".into(),
            port: 443,
            path: "/".into(),
        };
        let req = Request {
            target: &target,
            url: "https://hooks.ns.svc:443/?timeout=10s",
            tls: super::super::tls::Configs::default().get(b"").unwrap(),
            body: Bytes::new(),
        };
        let err = post(&ServiceRegistry::default(), req).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Post \"https://hooks.ns.svc:443/?timeout=10s\": service \"hooks\" not found"
        );
    }
}
