//! Module names and values keys: kebab-case names, their camelCase values keys
//! (`github.com/ettle/strcase` `ToCamel`/`ToKebab` as upstream uses them), and the round-trip
//! check that rejects names like `module_one`.

/// A module name that does not survive the kebab → camel → kebab round trip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{name}' name should be in kebab-case and be restorable from camelCase: consider renaming to '{restored}'"
)]
pub struct BadModuleName {
    /// The name as found.
    pub name: String,
    /// What the round trip gives.
    pub restored: String,
}

/// Splits a name into words: at `-`, `_`, `.` and spaces, before an upper-case letter that
/// follows a lower-case letter or a digit, and before the last upper-case letter of a run that
/// is followed by a lower-case one (`HTTPServer` → `HTTP`, `Server`). Letters and digits stay
/// together (`module-one01` → `module`, `one01`).
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '-' | '_' | '.' | ' ') {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `strcase.ToCamel`: the first word lower-cased, the others capitalised, joined.
pub fn to_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, word) in words(s).iter().enumerate() {
        let lower = word.to_lowercase();
        if i == 0 {
            out.push_str(&lower);
            continue;
        }
        let mut chars = lower.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// `strcase.ToKebab`: lower-cased words joined with `-`.
pub fn to_kebab(s: &str) -> String {
    words(s)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("-")
}

/// The key of a module's values, ConfigMap section and `<key>Enabled` flag
/// (`ModuleNameToValuesKey`): `cert-manager` → `certManager`.
pub fn values_key(module_name: &str) -> String {
    to_camel(module_name)
}

/// Checks that `name` is kebab-case and comes back unchanged from its camelCase key.
pub fn validate_module_name(name: &str) -> Result<(), BadModuleName> {
    let restored = to_kebab(&to_camel(name));
    if restored == name {
        Ok(())
    } else {
        Err(BadModuleName {
            name: name.to_owned(),
            restored,
        })
    }
}

/// The module name for a ConfigMap key (`certManager` → `cert-manager`), or `None` when the
/// key is not a camelCase key that round-trips.
pub fn module_name_from_key(key: &str) -> Option<String> {
    let name = to_kebab(key);
    (!name.is_empty() && to_camel(&name) == key).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_name_pairs_round_trip() {
        for (kebab, camel) in [
            ("module1", "module1"),
            ("prometheus-operator", "prometheusOperator"),
            ("cert-manager-crd", "certManagerCrd"),
            ("l2-load-balancer", "l2LoadBalancer"),
            ("2-module-name", "2ModuleName"),
            ("module-one01", "moduleOne01"),
            ("very-simple-module", "verySimpleModule"),
        ] {
            assert_eq!(to_camel(kebab), camel, "camel of {kebab}");
            assert_eq!(to_kebab(camel), kebab, "kebab of {camel}");
            assert_eq!(validate_module_name(kebab), Ok(()));
            assert_eq!(module_name_from_key(camel).as_deref(), Some(kebab));
        }
    }

    #[test]
    fn snake_and_upper_case_names_are_rejected_with_a_suggestion() {
        let err = validate_module_name("module_one").unwrap_err();
        assert_eq!(err.restored, "module-one");
        assert_eq!(
            err.to_string(),
            "'module_one' name should be in kebab-case and be restorable from camelCase: \
             consider renaming to 'module-one'"
        );
        assert!(validate_module_name("Module").is_err());
    }

    #[test]
    fn keys_that_are_not_camel_case_have_no_module_name() {
        assert_eq!(module_name_from_key("InvalidName-module"), None);
        assert_eq!(module_name_from_key(""), None);
        assert_eq!(to_kebab("HTTPServer"), "http-server");
    }
}
