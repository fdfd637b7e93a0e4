//! Parsing request paths into routes.

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/version`.
    Version,
    /// `/api`.
    Api,
    /// `/apis`.
    Apis,
    /// `/apis/<group>`.
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`.
    GroupVersion(String, String),
    /// A resource, collection, object or subresource.
    Resource(ResourcePath),
    /// `/openapi/v2`.
    OpenApiV2,
    /// `/openapi/v3`.
    OpenApiV3Root,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/<group>/<version>`.
    OpenApiV3(String, String),
    /// `/healthz`, `/livez`, `/readyz`.
    Health,
    /// `/_embedded/faults`.
    Faults,
    /// Anything else.
    Unknown,
}

/// A path under `/api/v1` or `/apis/<group>/<version>` naming a resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePath {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Plural resource.
    pub plural: String,
    /// Namespace from the path.
    pub namespace: Option<String>,
    /// Object name.
    pub name: Option<String>,
    /// Subresource such as `status` or `scale`.
    pub sub: Option<String>,
    /// Whether the legacy `/watch/` prefix was used.
    pub watch: bool,
}

/// Decodes `%XX` escapes; invalid escapes are kept verbatim.
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| segment.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a request path.
pub fn parse(path: &str) -> Route {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["_embedded", "faults"] => Route::Faults,
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiV3Root,
        ["openapi", "v3", "api", v] => Route::OpenApiV3(String::new(), (*v).to_owned()),
        ["openapi", "v3", "apis", g, v] => Route::OpenApiV3((*g).to_owned(), (*v).to_owned()),
        ["api"] => Route::Api,
        ["apis"] => Route::Apis,
        ["api", v] => Route::GroupVersion(String::new(), (*v).to_owned()),
        ["apis", g] => Route::Group((*g).to_owned()),
        ["apis", g, v] => Route::GroupVersion((*g).to_owned(), (*v).to_owned()),
        ["api", v, rest @ ..] => resource("", v, rest),
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        _ => Route::Unknown,
    }
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let (watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let mut p = ResourcePath {
        group: group.to_owned(),
        version: version.to_owned(),
        watch,
        ..ResourcePath::default()
    };
    let own = |s: &&str| (*s).to_owned();
    match rest {
        ["namespaces"] => p.plural = "namespaces".to_owned(),
        ["namespaces", name] => {
            p.plural = "namespaces".to_owned();
            p.name = Some((*name).to_owned());
        }
        ["namespaces", name, sub @ ("status" | "finalize")] if group.is_empty() => {
            p.plural = "namespaces".to_owned();
            p.name = Some((*name).to_owned());
            p.sub = Some((*sub).to_owned());
        }
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => {
            p.namespace = Some((*ns).to_owned());
            p.plural = (*plural).to_owned();
            p.name = tail.first().map(own);
            p.sub = tail.get(1).map(own);
        }
        [plural, tail @ ..] if tail.len() <= 2 => {
            p.plural = (*plural).to_owned();
            p.name = tail.first().map(own);
            p.sub = tail.get(1).map(own);
        }
        _ => return Route::Unknown,
    }
    Route::Resource(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path) {
            Route::Resource(p) => p,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_objects_and_subresources_parse() {
        let p = res("/apis/apps/v1/namespaces/ns/deployments/web/scale");
        assert_eq!(
            (p.group.as_str(), p.plural.as_str()),
            ("apps", "deployments")
        );
        assert_eq!(p.namespace.as_deref(), Some("ns"));
        assert_eq!(p.name.as_deref(), Some("web"));
        assert_eq!(p.sub.as_deref(), Some("scale"));
    }

    #[test]
    fn namespace_objects_are_cluster_scoped() {
        let p = res("/api/v1/namespaces/foo");
        assert_eq!(
            (p.plural.as_str(), p.name.as_deref(), p.namespace),
            ("namespaces", Some("foo"), None)
        );
        let s = res("/api/v1/namespaces/foo/status");
        assert_eq!(s.sub.as_deref(), Some("status"));
        let c = res("/api/v1/namespaces/foo/configmaps");
        assert_eq!(
            (c.plural.as_str(), c.namespace.as_deref()),
            ("configmaps", Some("foo"))
        );
    }

    #[test]
    fn legacy_watch_prefix_is_recognised() {
        let p = res("/api/v1/watch/namespaces/ns/pods");
        assert!(p.watch);
        assert_eq!(p.plural, "pods");
    }

    #[test]
    fn discovery_paths_parse() {
        assert_eq!(parse("/api"), Route::Api);
        assert_eq!(parse("/apis/apps"), Route::Group("apps".into()));
        assert_eq!(
            parse("/apis/apps/v1"),
            Route::GroupVersion("apps".into(), "v1".into())
        );
        assert_eq!(
            parse("/openapi/v3/apis/apps/v1"),
            Route::OpenApiV3("apps".into(), "v1".into())
        );
        assert_eq!(parse("/nope"), Route::Unknown);
    }

    #[test]
    fn escaped_names_are_decoded() {
        let p = res("/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Aadmin");
        assert_eq!(p.name.as_deref(), Some("system:admin"));
    }
}
