//! Kubernetes name rules (qualified names, label values, DNS subdomains) used by selectors and
//! webhook bindings.

use std::sync::LazyLock;

use regex::Regex;

#[allow(clippy::expect_used)] // reason: constant patterns, covered by the tests below
static QUALIFIED_NAME_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").expect("valid regex")
});

#[allow(clippy::expect_used)] // reason: constant patterns, covered by the tests below
static DNS1123_SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
        .expect("valid regex")
});

/// Checks a label key (`[prefix/]name`); returns why it is invalid.
pub(crate) fn check_qualified_name(value: &str) -> Result<(), String> {
    let (prefix, name) = match value.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, value),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Err("prefix part must be non-empty".to_owned());
        }
        check_dns1123_subdomain(prefix).map_err(|reason| format!("prefix part {reason}"))?;
    }
    if name.is_empty() {
        return Err("name part must be non-empty".to_owned());
    }
    if name.len() > 63 {
        return Err("name part must be no more than 63 characters".to_owned());
    }
    if !QUALIFIED_NAME_PART.is_match(name) {
        return Err("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_owned());
    }
    Ok(())
}

/// Checks a label value (may be empty).
pub(crate) fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 {
        return Err("must be no more than 63 characters".to_owned());
    }
    if !QUALIFIED_NAME_PART.is_match(value) {
        return Err("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_owned());
    }
    Ok(())
}

/// Checks a lowercase RFC 1123 subdomain.
pub(crate) fn check_dns1123_subdomain(value: &str) -> Result<(), String> {
    if value.len() > 253 {
        return Err("must be no more than 253 characters".to_owned());
    }
    if !DNS1123_SUBDOMAIN.is_match(value) {
        return Err("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".to_owned());
    }
    Ok(())
}

/// Checks a webhook name: a subdomain with at least three dot-separated segments.
pub(crate) fn check_webhook_name(value: &str) -> Result<(), String> {
    check_dns1123_subdomain(value)?;
    if value.split('.').count() < 3 {
        return Err("should be a domain with at least three segments separated by dots".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_may_have_a_dns_prefix() {
        assert!(check_qualified_name("node-role.kubernetes.io/master").is_ok());
        assert!(check_qualified_name("app").is_ok());
        assert!(check_qualified_name("/app").is_err());
        assert!(check_qualified_name("Bad_Prefix/app").is_err());
        assert!(check_qualified_name("-app").is_err());
    }

    #[test]
    fn label_values_may_be_empty_but_not_malformed() {
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("v1.2_3").is_ok());
        assert!(check_label_value("bad value").is_err());
        assert!(check_label_value(&"a".repeat(64)).is_err());
    }

    #[test]
    fn webhook_names_need_three_segments() {
        assert!(check_webhook_name("private-repo-policy.example.com").is_ok());
        assert!(check_webhook_name("example.com").is_err());
        assert!(check_webhook_name("snapshots").is_err());
        assert!(check_webhook_name("Upper.example.com").is_err());
    }
}
