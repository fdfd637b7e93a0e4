//! API errors rendered as `metav1.Status` objects with the real server's reasons and codes.

use serde_json::{Value, json};

/// A failed API request, rendered as a `Status` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `Status.reason`.
    pub reason: &'static str,
    /// `Status.message`.
    pub message: String,
    /// `Status.details`, if any.
    pub details: Option<Value>,
}

/// Identifies the object an error is about, for `Status.details`.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// API group.
    pub group: &'a str,
    /// Plural resource name (the real server puts it in `details.kind`).
    pub plural: &'a str,
    /// Object name.
    pub name: &'a str,
}

impl Target<'_> {
    /// `resource.group`, or `resource` for the core group, as used in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    fn details(&self) -> Value {
        let mut d = json!({ "name": self.name, "kind": self.plural });
        if !self.group.is_empty() {
            d["group"] = json!(self.group);
        }
        d
    }
}

/// One entry of `details.causes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// Machine-readable reason such as `FieldValueInvalid`.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// Field path such as `spec.replicas`.
    pub field: String,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    /// 404 for a missing object.
    pub fn not_found(t: Target<'_>) -> Self {
        Self {
            details: Some(t.details()),
            ..Self::new(
                404,
                "NotFound",
                format!("{} \"{}\" not found", t.qualified(), t.name),
            )
        }
    }

    /// 404 for an unknown path or resource.
    pub fn not_found_path() -> Self {
        Self {
            details: Some(json!({})),
            ..Self::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )
        }
    }

    /// 409 for a create of an existing name.
    pub fn already_exists(t: Target<'_>) -> Self {
        Self {
            details: Some(t.details()),
            ..Self::new(
                409,
                "AlreadyExists",
                format!("{} \"{}\" already exists", t.qualified(), t.name),
            )
        }
    }

    /// 409 for a stale resourceVersion.
    pub fn conflict(t: Target<'_>) -> Self {
        Self::conflict_with(
            t,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 409 with a custom explanation.
    pub fn conflict_with(t: Target<'_>, why: &str) -> Self {
        Self {
            details: Some(t.details()),
            ..Self::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{}\": {why}",
                    t.qualified(),
                    t.name
                ),
            )
        }
    }

    /// 409 for server-side apply field-manager conflicts.
    pub fn apply_conflict(message: String, causes: Vec<Cause>) -> Self {
        Self {
            details: Some(json!({ "causes": causes_json(&causes) })),
            ..Self::new(409, "Conflict", message)
        }
    }

    /// 422 with field causes.
    pub fn invalid(
        kind: &str,
        group: &str,
        name: &str,
        message: String,
        causes: Vec<Cause>,
    ) -> Self {
        let mut details = json!({ "name": name, "kind": kind, "causes": causes_json(&causes) });
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        Self {
            details: Some(details),
            ..Self::new(422, "Invalid", message)
        }
    }

    /// 422 for a single field error, with the message format of the real server.
    pub fn invalid_field(kind: &str, group: &str, name: &str, cause: Cause) -> Self {
        let message = format!(
            "{kind} \"{name}\" is invalid: {}: {}",
            cause.field, cause.message
        );
        Self::invalid(kind, group, name, message, vec![cause])
    }

    /// 422 listing every field error, formatted as the real server's aggregate:
    /// `Kind.group "name" is invalid: [a, b]` (no brackets for one error).
    pub fn invalid_causes(kind: &str, group: &str, name: &str, causes: Vec<Cause>) -> Self {
        let detail: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let qualified = if group.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{group}")
        };
        let message = if detail.len() == 1 {
            format!("{qualified} \"{name}\" is invalid: {}", detail.join(""))
        } else {
            format!("{qualified} \"{name}\" is invalid: [{}]", detail.join(", "))
        };
        Self::invalid(kind, group, name, message, causes)
    }

    /// 400 for malformed requests and bodies.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 405 for verbs a resource does not support.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    /// 415 for unsupported patch or body types.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {content_type}"
            ),
        )
    }

    /// 410 for a too-old resourceVersion.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 504 for a list at a resourceVersion the server has not reached.
    pub fn too_large_resource_version(requested: u64, current: u64) -> Self {
        Self {
            details: Some(json!({
                "causes": [{ "reason": "ResourceVersionTooLarge", "message": "Too large resource version" }],
                "retryAfterSeconds": 1,
            })),
            ..Self::new(
                504,
                "Timeout",
                format!("Timeout: Too large resource version: {requested}, current: {current}"),
            )
        }
    }

    /// 403 for creates in a terminating namespace.
    pub fn namespace_terminating(t: Target<'_>, namespace: &str) -> Self {
        let mut details = t.details();
        details["causes"] = json!([{
            "reason": "NamespaceTerminating",
            "message": format!("namespace {namespace} is being terminated"),
            "field": "metadata.namespace",
        }]);
        Self {
            details: Some(details),
            ..Self::new(
                403,
                "Forbidden",
                format!(
                    "{} \"{}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                    t.qualified(),
                    t.name
                ),
            )
        }
    }

    /// A status chosen by fault injection.
    pub fn injected(code: u16) -> Self {
        let reason = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            410 => "Gone",
            422 => "Invalid",
            429 => "TooManyRequests",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(code, reason, format!("injected failure ({code})"))
    }

    /// 500 for bugs and impossible states.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// 500 `Internal error occurred: <cause>`, as the real server wraps failures it did not expect.
    pub fn internal_error(cause: &str) -> Self {
        Self {
            details: Some(json!({ "causes": [{ "message": cause }] })),
            ..Self::new(
                500,
                "InternalError",
                format!("Internal error occurred: {cause}"),
            )
        }
    }

    /// 500 without a reason: how the real server reports plain errors such as failed conversions.
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(500, "", message)
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if self.reason.is_empty()
            && let Some(map) = s.as_object_mut()
        {
            // StatusReasonUnknown is empty and omitted on the wire.
            map.remove("reason");
        }
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

/// The `metav1.StatusReason` named `reason`, or the unknown (empty) reason.
pub fn known_reason(reason: &str) -> &'static str {
    const REASONS: &[&str] = &[
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "AlreadyExists",
        "Conflict",
        "Gone",
        "Invalid",
        "ServerTimeout",
        "StoreReadError",
        "Timeout",
        "TooManyRequests",
        "BadRequest",
        "MethodNotAllowed",
        "NotAcceptable",
        "RequestEntityTooLarge",
        "UnsupportedMediaType",
        "InternalError",
        "Expired",
        "ServiceUnavailable",
    ];
    REASONS
        .iter()
        .find(|r| **r == reason)
        .copied()
        .unwrap_or("")
}

fn causes_json(causes: &[Cause]) -> Value {
    Value::Array(
        causes
            .iter()
            .map(|c| json!({ "reason": c.reason, "message": c.message, "field": c.field }))
            .collect(),
    )
}

/// A `Status` reporting success, as returned by immediate deletes.
pub fn success(t: Target<'_>, uid: &str) -> Value {
    let mut details = t.details();
    details["uid"] = json!(uid);
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: Target<'static> = Target {
        group: "",
        plural: "configmaps",
        name: "a",
    };

    #[test]
    fn not_found_matches_the_real_message_and_details() {
        let s = ApiError::not_found(CM).to_status();
        assert_eq!(s["message"], "configmaps \"a\" not found");
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"], json!({ "name": "a", "kind": "configmaps" }));
    }

    #[test]
    fn grouped_resources_are_qualified_in_messages() {
        let t = Target {
            group: "apps",
            plural: "deployments",
            name: "d",
        };
        let s = ApiError::conflict(t).to_status();
        assert_eq!(
            s["message"],
            "Operation cannot be fulfilled on deployments.apps \"d\": the object has been modified; please apply your changes to the latest version and try again"
        );
        assert_eq!(s["details"]["group"], "apps");
    }

    #[test]
    fn terminating_namespace_is_forbidden_with_a_cause() {
        let s = ApiError::namespace_terminating(CM, "ns").to_status();
        assert_eq!(s["code"], 403);
        assert_eq!(s["details"]["causes"][0]["reason"], "NamespaceTerminating");
    }
}
