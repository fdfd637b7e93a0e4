//! Rendering the kubeconfig that points clients at the embedded cluster.

use base64::Engine as _;

/// The name used for the cluster, user and context entries.
pub const CONTEXT_NAME: &str = "embedded";

/// Renders a kubeconfig for `server`, trusting `ca_pem` when it is given.
pub(crate) fn render(server: &str, ca_pem: Option<&str>) -> String {
    let cluster = match ca_pem {
        Some(pem) => {
            let data = base64::engine::general_purpose::STANDARD.encode(pem);
            serde_json::json!({ "server": server, "certificate-authority-data": data })
        }
        None => serde_json::json!({ "server": server }),
    };
    let doc = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": CONTEXT_NAME, "cluster": cluster }],
        "users": [{ "name": CONTEXT_NAME, "user": { "token": "embedded-admin" } }],
        "contexts": [{ "name": CONTEXT_NAME, "context": { "cluster": CONTEXT_NAME, "user": CONTEXT_NAME, "namespace": "default" } }],
        "current-context": CONTEXT_NAME,
        "preferences": {},
    });
    // JSON is valid YAML, and every kubeconfig loader accepts it.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_carries_base64_ca_and_current_context() {
        let text = render("https://127.0.0.1:1", Some("PEM"));
        let doc: serde_json::Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(doc["current-context"], "embedded");
        assert_eq!(
            doc["clusters"][0]["cluster"]["certificate-authority-data"],
            "UEVN"
        );
    }

    #[test]
    fn plain_http_kubeconfig_has_no_ca() {
        let text = render("http://127.0.0.1:1", None);
        let doc: serde_json::Value = serde_norway::from_str(&text).unwrap();
        assert!(
            doc["clusters"][0]["cluster"]
                .get("certificate-authority-data")
                .is_none()
        );
    }
}
