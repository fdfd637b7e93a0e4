//! Kubernetes client request metrics, with object names templated out of the `url` label.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use crate::buckets::KUBE_CLIENT_BUCKETS;
use crate::exposition::MetricsRegistry;
use crate::labels::{KubeRequestLatencyLabels, KubeRequestResultLabels};

fn kube_client_histogram() -> Histogram {
    Histogram::new(KUBE_CLIENT_BUCKETS.iter().copied())
}

/// Handles for `kubernetes_client_request_latency_seconds` and `_result_total`; cheap to clone.
#[derive(Debug, Clone)]
pub struct KubeClientMetrics {
    latency: Family<KubeRequestLatencyLabels, Histogram, fn() -> Histogram>,
    result: Family<KubeRequestResultLabels, Counter>,
}

impl KubeClientMetrics {
    /// Registers `<prefix>kubernetes_client_request_latency_seconds{component,verb,url}` and
    /// `<prefix>kubernetes_client_request_result_total{component,code,method,host}`.
    pub fn register(registry: &mut MetricsRegistry, prefix: &str) -> Self {
        let this = Self {
            latency: Family::new_with_constructor(kube_client_histogram),
            result: Family::default(),
        };
        registry.register(
            &format!("{prefix}kubernetes_client_request_latency_seconds"),
            "Histogram of Kubernetes API request latency in seconds",
            this.latency.clone(),
        );
        registry.register(
            &format!("{prefix}kubernetes_client_request_result"),
            "Kubernetes API request results by code, method and host",
            this.result.clone(),
        );
        this
    }

    /// Observes one request; `url` is passed through [`url_template`] first.
    pub fn request_latency(&self, component: &str, verb: &str, url: &str, took: Duration) {
        self.latency
            .get_or_create(&KubeRequestLatencyLabels {
                component: component.to_owned(),
                verb: verb.to_owned(),
                url: url_template(url),
            })
            .observe(took.as_secs_f64());
    }

    /// Counts one request result; `code` is the status code or `<error>`.
    pub fn request_result(&self, component: &str, code: &str, method: &str, host: &str) {
        self.result
            .get_or_create(&KubeRequestResultLabels {
                component: component.to_owned(),
                code: code.to_owned(),
                method: method.to_owned(),
                host: host.to_owned(),
            })
            .inc();
    }
}

/// Replaces the namespace and object name of an API path with `{namespace}` and `{name}` (as
/// client-go's URL template does) and drops the query, keeping any `scheme://host` prefix.
pub fn url_template(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let (origin, path) = match without_query.find("://") {
        Some(scheme_end) => {
            let after = scheme_end + 3;
            let path_start = without_query[after..]
                .find('/')
                .map_or(without_query.len(), |i| after + i);
            without_query.split_at(path_start)
        }
        None => ("", without_query),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let api_len = match segments.first() {
        Some(&"api") => 2,
        Some(&"apis") => 3,
        _ => return format!("{origin}{path}"),
    };
    if segments.len() <= api_len {
        return format!("{origin}{path}");
    }
    let mut out: Vec<&str> = segments[..api_len].to_vec();
    let mut rest = &segments[api_len..];
    if rest.len() >= 3 && rest[0] == "namespaces" {
        out.extend(["namespaces", "{namespace}"]);
        rest = &rest[2..];
    }
    out.push(rest[0]);
    if rest.len() > 1 {
        out.push("{name}");
        out.extend(&rest[2..]);
    }
    format!("{origin}/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn namespaced_object_paths_lose_namespace_and_name() {
        assert_eq!(
            url_template("/api/v1/namespaces/default/pods/nginx-7d9f?timeout=10s"),
            "/api/v1/namespaces/{namespace}/pods/{name}"
        );
        assert_eq!(
            url_template(
                "https://10.0.0.1:443/apis/apps/v1/namespaces/kube-system/deployments/dns/status"
            ),
            "https://10.0.0.1:443/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"
        );
    }

    #[test]
    fn collection_and_cluster_paths_keep_resource_names() {
        assert_eq!(
            url_template("/api/v1/namespaces/x/pods"),
            "/api/v1/namespaces/{namespace}/pods"
        );
        assert_eq!(
            url_template("/api/v1/namespaces/x"),
            "/api/v1/namespaces/{name}"
        );
        assert_eq!(url_template("/api/v1/nodes"), "/api/v1/nodes");
        assert_eq!(url_template("/apis/apps/v1"), "/apis/apps/v1");
        assert_eq!(url_template("/version"), "/version");
    }

    #[test]
    fn request_metrics_are_labelled_by_component() {
        let mut registry = MetricsRegistry::default();
        let metrics = KubeClientMetrics::register(&mut registry, "p_");
        metrics.request_latency(
            "main",
            "GET",
            "/api/v1/namespaces/a/pods/b",
            Duration::from_millis(4),
        );
        metrics.request_result("main", "200", "GET", "10.0.0.1:443");
        let text = registry.encode().unwrap();
        assert!(text.contains(r#"p_kubernetes_client_request_latency_seconds_count{component="main",verb="GET",url="/api/v1/namespaces/{namespace}/pods/{name}"} 1"#), "{text}");
        assert!(text.contains(r#"p_kubernetes_client_request_result_total{component="main",code="200",method="GET",host="10.0.0.1:443"} 1"#), "{text}");
    }
}
