//! Query parameters and delete options of API requests.

use serde_json::Value;

use crate::status::ApiError;

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Delete the owner now, dependents in the background.
    #[default]
    Background,
    /// Delete dependents first, then the owner.
    Foreground,
    /// Keep dependents and drop their owner references.
    Orphan,
}

/// The query parameters the server understands; others (`pretty`, `timeout`) are ignored.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// `watch`.
    pub watch: bool,
    /// `labelSelector`.
    pub label_selector: String,
    /// `fieldSelector`.
    pub field_selector: String,
    /// `limit`.
    pub limit: Option<usize>,
    /// `continue`.
    pub continue_token: Option<String>,
    /// `resourceVersion`.
    pub resource_version: Option<String>,
    /// `resourceVersionMatch`.
    pub resource_version_match: Option<String>,
    /// `timeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    /// `allowWatchBookmarks`.
    pub allow_bookmarks: bool,
    /// `sendInitialEvents`.
    pub send_initial_events: Option<bool>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `fieldManager`.
    pub field_manager: Option<String>,
    /// `force`.
    pub force: bool,
    /// `propagationPolicy`.
    pub propagation: Option<Propagation>,
    /// `fieldValidation`, checked by the write that uses it.
    pub field_validation: Option<String>,
}

fn truthy(v: &str) -> bool {
    matches!(v, "true" | "1" | "True" | "TRUE")
}

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ApiError> {
    v.parse().map_err(|_| {
        ApiError::bad_request(format!("invalid value {v:?} for query parameter {name}"))
    })
}

/// Parses a propagation policy name.
pub fn propagation(v: &str) -> Result<Propagation, ApiError> {
    match v {
        "Background" => Ok(Propagation::Background),
        "Foreground" => Ok(Propagation::Foreground),
        "Orphan" => Ok(Propagation::Orphan),
        other => Err(ApiError::invalid_field(
            "DeleteOptions",
            "meta.k8s.io",
            "",
            crate::status::Cause {
                reason: "FieldValueNotSupported".to_owned(),
                message: format!(
                    "Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
                ),
                field: "propagationPolicy".to_owned(),
            },
        )),
    }
}

impl Params {
    /// Parses a query string.
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = match query {
            Some(q) => serde_urlencoded_pairs(q)?,
            None => Vec::new(),
        };
        let mut p = Params::default();
        for (k, v) in &pairs {
            match k.as_str() {
                "watch" => p.watch = truthy(v),
                "labelSelector" => p.label_selector = v.clone(),
                "fieldSelector" => p.field_selector = v.clone(),
                "limit" => {
                    let n: i64 = number(k, v)?;
                    p.limit = usize::try_from(n).ok().filter(|n| *n > 0);
                }
                "continue" => p.continue_token = Some(v.clone()).filter(|s| !s.is_empty()),
                "resourceVersion" => p.resource_version = Some(v.clone()).filter(|s| !s.is_empty()),
                "resourceVersionMatch" => {
                    p.resource_version_match = Some(v.clone()).filter(|s| !s.is_empty());
                }
                "timeoutSeconds" => p.timeout_seconds = Some(number(k, v)?),
                "allowWatchBookmarks" => p.allow_bookmarks = truthy(v),
                "sendInitialEvents" => p.send_initial_events = Some(truthy(v)),
                "dryRun" => p.dry_run = v == "All",
                "fieldManager" => p.field_manager = Some(v.clone()).filter(|s| !s.is_empty()),
                "force" => p.force = truthy(v),
                "fieldValidation" => p.field_validation = Some(v.clone()),
                "propagationPolicy" => p.propagation = Some(propagation(v)?),
                "orphanDependents" if p.propagation.is_none() => {
                    p.propagation = Some(if truthy(v) {
                        Propagation::Orphan
                    } else {
                        Propagation::Background
                    });
                }
                _ => {}
            }
        }
        Ok(p)
    }
}

fn serde_urlencoded_pairs(q: &str) -> Result<Vec<(String, String)>, ApiError> {
    let uri: http::Uri = format!("/?{q}")
        .parse()
        .map_err(|_| ApiError::bad_request("malformed query string"))?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
}

/// Delete options from a request body, merged into the query parameters.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Propagation policy.
    pub propagation: Propagation,
    /// Required uid.
    pub uid: Option<String>,
    /// Required resourceVersion.
    pub resource_version: Option<String>,
    /// `dryRun: [All]`.
    pub dry_run: bool,
}

impl DeleteOptions {
    /// Combines query parameters and an optional `DeleteOptions` body.
    pub fn from_request(params: &Params, body: &[u8]) -> Result<Self, ApiError> {
        let mut opts = DeleteOptions {
            propagation: params.propagation.unwrap_or_default(),
            dry_run: params.dry_run,
            ..DeleteOptions::default()
        };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(opts);
        }
        let v: Value = if crate::proto::is_protobuf(body) {
            crate::proto::to_json(body)?
        } else {
            serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
        };
        if let Some(p) = v["propagationPolicy"].as_str() {
            opts.propagation = propagation(p)?;
        } else if let Some(o) = v["orphanDependents"].as_bool() {
            opts.propagation = if o {
                Propagation::Orphan
            } else {
                Propagation::Background
            };
        }
        opts.uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_owned);
        opts.resource_version = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if v["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"))
        {
            opts.dry_run = true;
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_watch_parameters_parse() {
        let p = Params::parse(Some(
            "watch=1&labelSelector=app%3Dweb%2Ctier+in+(a)&limit=5&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=30&pretty=true",
        ))
        .unwrap();
        assert!(p.watch && p.allow_bookmarks);
        assert_eq!(p.label_selector, "app=web,tier in (a)");
        assert_eq!(p.limit, Some(5));
        assert_eq!(p.resource_version.as_deref(), Some("10"));
        assert_eq!(p.timeout_seconds, Some(30));
    }

    #[test]
    fn bad_numbers_are_bad_requests() {
        assert_eq!(Params::parse(Some("limit=abc")).unwrap_err().code, 400);
    }

    #[test]
    fn delete_body_overrides_query_propagation() {
        let params = Params::parse(Some("propagationPolicy=Background")).unwrap();
        let body = br#"{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground","preconditions":{"uid":"u"},"dryRun":["All"]}"#;
        let opts = DeleteOptions::from_request(&params, body).unwrap();
        assert_eq!(opts.propagation, Propagation::Foreground);
        assert_eq!(opts.uid.as_deref(), Some("u"));
        assert!(opts.dry_run);
    }

    #[test]
    fn malformed_delete_body_is_a_bad_request() {
        let err = DeleteOptions::from_request(&Params::default(), b"{nope").unwrap_err();
        assert_eq!(err.code, 400);
    }
}
