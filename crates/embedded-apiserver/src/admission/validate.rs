//! Checks of webhook configurations on create and update, with the real server's field errors.

use serde_json::Value;

use super::config::{GROUP, Phase};
use crate::status::{ApiError, Cause};
use crate::webhook::check_client_config;

fn cause(reason: &str, field: &str, message: String) -> Cause {
    Cause {
        reason: reason.to_owned(),
        message,
        field: field.to_owned(),
    }
}

fn required(field: &str, detail: &str) -> Cause {
    let message = if detail.is_empty() {
        "Required value".to_owned()
    } else {
        format!("Required value: {detail}")
    };
    cause("FieldValueRequired", field, message)
}

fn invalid(field: &str, value: &str, detail: &str) -> Cause {
    cause(
        "FieldValueInvalid",
        field,
        format!("Invalid value: {value}: {detail}"),
    )
}

fn not_supported(field: &str, value: &str, supported: &[&str]) -> Cause {
    let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    cause(
        "FieldValueNotSupported",
        field,
        format!(
            "Unsupported value: {value:?}: supported values: {}",
            list.join(", ")
        ),
    )
}

/// Go's `%v` of a string slice in field errors: `[]string{"a", "b"}`.
fn go_strings(list: &[&str]) -> String {
    let quoted: Vec<String> = list.iter().map(|s| format!("{s:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn str_list<'a>(v: &'a Value, key: &str) -> Option<Vec<&'a str>> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or_default()).collect())
}

fn dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn check_name(hook: &Value, field: &str, causes: &mut Vec<Cause>) {
    let name = hook.get("name").and_then(Value::as_str).unwrap_or_default();
    if name.is_empty() {
        causes.push(required(field, ""));
    } else if !dns1123_subdomain(name) {
        causes.push(invalid(
            field,
            &format!("{name:?}"),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ));
    } else if name.split('.').count() < 3 {
        causes.push(invalid(
            field,
            &format!("{name:?}"),
            "should be a domain with at least three segments separated by dots",
        ));
    }
}

fn check_wildcard_list(rule: &Value, key: &str, field: &str, what: &str, causes: &mut Vec<Cause>) {
    let field = format!("{field}.{key}");
    match str_list(rule, key) {
        None => causes.push(required(&field, "")),
        Some(list) if list.is_empty() => causes.push(required(&field, "")),
        Some(list) if list.len() > 1 && list.contains(&"*") => causes.push(invalid(
            &field,
            &go_strings(&list),
            &format!("if '*' is present, must not specify other {what}"),
        )),
        Some(_) => {}
    }
}

fn check_resources(rule: &Value, field: &str, causes: &mut Vec<Cause>) {
    let field = format!("{field}.resources");
    let list = str_list(rule, "resources").unwrap_or_default();
    if list.is_empty() {
        causes.push(required(&field, ""));
        return;
    }
    let mut single_wildcard = false;
    let mut plain = false;
    for (i, entry) in list.iter().enumerate() {
        if entry.is_empty() {
            causes.push(required(&format!("{field}[{i}]"), ""));
        }
        single_wildcard |= *entry == "*";
        plain |= !entry.contains('/') && *entry != "*";
    }
    if list.len() > 1 && list.contains(&"*/*") {
        causes.push(invalid(
            &field,
            &go_strings(&list),
            "if '*/*' is present, must not specify other resources",
        ));
    }
    if single_wildcard && plain {
        causes.push(invalid(
            &field,
            &go_strings(&list),
            "if '*' is present, must not specify other resources without subresources",
        ));
    }
}

fn check_rules(hook: &Value, field: &str, causes: &mut Vec<Cause>) {
    let Some(rules) = hook.get("rules").filter(|r| !r.is_null()) else {
        return;
    };
    let Some(rules) = rules.as_array() else {
        causes.push(invalid(
            field,
            &rules.to_string(),
            "must be a list of rules",
        ));
        return;
    };
    for (i, rule) in rules.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let operations = str_list(rule, "operations").unwrap_or_default();
        if operations.is_empty() {
            causes.push(required(&format!("{field}.operations"), ""));
        } else if operations.len() > 1 && operations.contains(&"*") {
            causes.push(invalid(
                &format!("{field}.operations"),
                &format!("[]admissionregistration.OperationType{{{}}}", {
                    let q: Vec<String> = operations.iter().map(|o| format!("{o:?}")).collect();
                    q.join(", ")
                }),
                "if '*' is present, must not specify other operations",
            ));
        }
        for (j, op) in operations.iter().enumerate() {
            if !matches!(*op, "*" | "CONNECT" | "CREATE" | "DELETE" | "UPDATE") {
                causes.push(not_supported(
                    &format!("{field}.operations[{j}]"),
                    op,
                    &["*", "CONNECT", "CREATE", "DELETE", "UPDATE"],
                ));
            }
        }
        check_wildcard_list(rule, "apiGroups", &field, "API groups", causes);
        check_wildcard_list(rule, "apiVersions", &field, "API versions", causes);
        check_resources(rule, &field, causes);
        if let Some(scope) = rule.get("scope").and_then(Value::as_str)
            && !matches!(scope, "*" | "Cluster" | "Namespaced")
        {
            causes.push(not_supported(
                &format!("{field}.scope"),
                scope,
                &["*", "Cluster", "Namespaced"],
            ));
        }
    }
}

fn check_enum(hook: &Value, key: &str, field: &str, supported: &[&str], causes: &mut Vec<Cause>) {
    match hook.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if supported.contains(&v.as_str()) => {}
        Some(v) => causes.push(not_supported(
            &format!("{field}.{key}"),
            v.as_str().unwrap_or(&v.to_string()),
            supported,
        )),
    }
}

fn check_selector(hook: &Value, key: &str, field: &str, causes: &mut Vec<Cause>) {
    let Some(selector) = hook.get(key).filter(|s| !s.is_null()) else {
        return;
    };
    let field = format!("{field}.{key}");
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            if !v.is_string() {
                causes.push(invalid(
                    &format!("{field}.matchLabels"),
                    &format!("{k:?}"),
                    "label values must be strings",
                ));
            }
        }
    }
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    for (i, expr) in expressions.into_iter().flatten().enumerate() {
        let at = format!("{field}.matchExpressions[{i}]");
        let values = str_list(expr, "values").unwrap_or_default();
        match expr
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "In" | "NotIn" if values.is_empty() => causes.push(required(
                &format!("{at}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => causes.push(cause(
                "FieldValueForbidden",
                &format!("{at}.values"),
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    .to_owned(),
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => causes.push(invalid(
                &format!("{at}.operator"),
                &format!("{other:?}"),
                "not a valid selector operator",
            )),
        }
        if expr
            .get("key")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            causes.push(invalid(
                &format!("{at}.key"),
                "\"\"",
                "name part must be non-empty",
            ));
        }
    }
}

fn check_review_versions(hook: &Value, field: &str, causes: &mut Vec<Cause>) {
    let field = format!("{field}.admissionReviewVersions");
    let versions = str_list(hook, "admissionReviewVersions").unwrap_or_default();
    if versions.is_empty() {
        causes.push(required(&field, "must specify one of v1, v1beta1"));
        return;
    }
    for (i, v) in versions.iter().enumerate() {
        if versions[..i].contains(v) {
            causes.push(invalid(
                &format!("{field}[{i}]"),
                &format!("{v:?}"),
                "duplicate version",
            ));
        }
    }
    if !versions.iter().any(|v| matches!(*v, "v1" | "v1beta1")) {
        causes.push(invalid(
            &field,
            &go_strings(&versions),
            "must include at least one of v1, v1beta1",
        ));
    }
}

fn check_webhook(hook: &Value, field: &str, phase: Phase, causes: &mut Vec<Cause>) {
    check_name(hook, &format!("{field}.name"), causes);
    check_rules(hook, &format!("{field}.rules"), causes);
    check_enum(hook, "failurePolicy", field, &["Fail", "Ignore"], causes);
    check_enum(hook, "matchPolicy", field, &["Equivalent", "Exact"], causes);
    match hook.get("sideEffects").and_then(Value::as_str) {
        None => causes.push(required(
            &format!("{field}.sideEffects"),
            "must specify one of None, NoneOnDryRun",
        )),
        Some("None" | "NoneOnDryRun") => {}
        Some(other) => causes.push(not_supported(
            &format!("{field}.sideEffects"),
            other,
            &["None", "NoneOnDryRun"],
        )),
    }
    if let Some(timeout) = hook.get("timeoutSeconds").filter(|t| !t.is_null())
        && !timeout.as_i64().is_some_and(|t| (1..=30).contains(&t))
    {
        causes.push(invalid(
            &format!("{field}.timeoutSeconds"),
            &timeout.to_string(),
            "the timeout value must be between 1 and 30 seconds",
        ));
    }
    check_selector(hook, "namespaceSelector", field, causes);
    check_selector(hook, "objectSelector", field, causes);
    if phase == Phase::Mutating {
        check_enum(
            hook,
            "reinvocationPolicy",
            field,
            &["IfNeeded", "Never"],
            causes,
        );
    }
    causes.extend(check_client_config(
        hook.get("clientConfig").unwrap_or(&Value::Null),
        &format!("{field}.clientConfig"),
    ));
    check_review_versions(hook, field, causes);
}

/// Checks a webhook configuration as the real server does on create and update.
pub fn check(config: &Value, name: &str, phase: Phase) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    match config.get("webhooks") {
        None | Some(Value::Null) => {}
        Some(Value::Array(hooks)) => {
            let mut names: Vec<&str> = Vec::new();
            for (i, hook) in hooks.iter().enumerate() {
                let field = format!("webhooks[{i}]");
                if !hook.is_object() {
                    causes.push(invalid(&field, &hook.to_string(), "must be an object"));
                    continue;
                }
                check_webhook(hook, &field, phase, &mut causes);
                if let Some(n) = hook
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                {
                    if names.contains(&n) {
                        causes.push(cause(
                            "FieldValueDuplicate",
                            &format!("{field}.name"),
                            format!("Duplicate value: {n:?}"),
                        ));
                    }
                    names.push(n);
                }
            }
        }
        Some(other) => causes.push(invalid("webhooks", &other.to_string(), "must be a list")),
    }
    if causes.is_empty() {
        return Ok(());
    }
    let kind = format!("{}WebhookConfiguration", phase.kind_prefix());
    Err(ApiError::invalid_causes(&kind, GROUP, name, causes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hook() -> Value {
        json!({
            "name": "deny.example.com",
            "clientConfig": { "url": "https://127.0.0.1:9443/deny" },
            "rules": [{ "operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"] }],
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
        })
    }

    fn check_one(hook: Value) -> Result<(), ApiError> {
        check(&json!({ "webhooks": [hook] }), "c", Phase::Validating)
    }

    #[test]
    fn a_complete_webhook_passes() {
        check_one(hook()).unwrap();
        check(&json!({ "metadata": {} }), "c", Phase::Mutating).unwrap();
    }

    #[test]
    fn short_names_and_missing_side_effects_are_invalid_with_the_real_messages() {
        let mut h = hook();
        h["name"] = json!("deny.example");
        h.as_object_mut().unwrap().remove("sideEffects");
        let err = check_one(h).unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "ValidatingWebhookConfiguration.admissionregistration.k8s.io \"c\" is invalid: [webhooks[0].name: Invalid value: \"deny.example\": should be a domain with at least three segments separated by dots, webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun]"
        );
    }

    #[test]
    fn bad_enums_timeouts_and_review_versions_are_reported() {
        let mut h = hook();
        h["failurePolicy"] = json!("Sometimes");
        h["timeoutSeconds"] = json!(31);
        h["admissionReviewVersions"] = json!(["v2"]);
        h["rules"][0]["operations"] = json!(["CREATE", "*"]);
        let err = check_one(h).unwrap_err();
        let fields: Vec<String> = err.details.unwrap()["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            fields,
            vec![
                "webhooks[0].rules[0].operations",
                "webhooks[0].failurePolicy",
                "webhooks[0].timeoutSeconds",
                "webhooks[0].admissionReviewVersions",
            ]
        );
    }

    #[test]
    fn duplicate_names_and_non_objects_are_reported_without_panicking() {
        let err = check(
            &json!({ "webhooks": [hook(), hook(), "x", 3] }),
            "c",
            Phase::Mutating,
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("Duplicate value: \"deny.example.com\""),
            "{}",
            err.message
        );
        assert!(check(&json!({ "webhooks": {} }), "c", Phase::Mutating).is_err());
    }
}
