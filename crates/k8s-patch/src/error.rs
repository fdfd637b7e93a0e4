//! The crate's error type, with the wire messages of the real API server.

use std::fmt;

/// One field another manager owns that an apply tried to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    /// The manager that owns the field.
    pub manager: String,
    /// The owner's apiVersion when its entry is an `Update` entry (the real server prints
    /// `"mgr" using apps/v1` for those and just `"mgr"` for `Apply` entries).
    pub api_version: Option<String>,
    /// The field path as the real server prints it, e.g. `.spec.replicas` or
    /// `.spec.containers[name="nginx"].image`.
    pub field: String,
}

impl FieldConflict {
    /// The message of a `Status.details.causes[]` entry (reason `FieldManagerConflict`),
    /// e.g. `conflict with "mgr" using apps/v1`.
    pub fn message(&self) -> String {
        format!("conflict with {}", self.printed_manager())
    }

    /// `"mgr" using apps/v1`, as `printManager` in the apiserver's fieldmanager package.
    fn printed_manager(&self) -> String {
        match &self.api_version {
            Some(v) => format!("{} using {v}", quote(&self.manager)),
            None => quote(&self.manager),
        }
    }

    /// The identifier the real server sorts managers by: the JSON of the managedFields entry without
    /// time and fields.
    pub(crate) fn sort_key(&self) -> String {
        match &self.api_version {
            Some(v) => format!(
                "{{\"manager\":{},\"operation\":\"Update\",\"apiVersion\":{}}}",
                quote(&self.manager),
                quote(v)
            ),
            None => format!(
                "{{\"manager\":{},\"operation\":\"Apply\"}}",
                quote(&self.manager)
            ),
        }
    }
}

impl fmt::Display for FieldConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.message(), self.field)
    }
}

/// Why a patch or apply was refused.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// Server-side apply touched fields owned by other managers (HTTP 409, reason Conflict).
    #[error("{}", conflict_message(.0))]
    Conflict(Vec<FieldConflict>),
    /// The patch is malformed or uses a directive wrongly (HTTP 400 on the real server).
    #[error("{0}")]
    InvalidPatch(String),
    /// The applied configuration is not a valid object (HTTP 400/422 on the real server).
    #[error("{0}")]
    InvalidObject(String),
}

/// Go's `%q` for the strings we print: JSON string quoting is the same for printable text.
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Formats conflicts as the real server's `getConflictMessage`.
fn conflict_message(conflicts: &[FieldConflict]) -> String {
    if let [only] = conflicts {
        return format!("Apply failed with 1 conflict: {only}");
    }
    let mut order: Vec<&FieldConflict> = Vec::new();
    for c in conflicts {
        if !order.iter().any(|o| o.sort_key() == c.sort_key()) {
            order.push(c);
        }
    }
    order.sort_by_key(|c| c.sort_key());
    let mut lines = Vec::new();
    for owner in order {
        lines.push(format!("conflicts with {}:", owner.printed_manager()));
        for c in conflicts
            .iter()
            .filter(|c| c.sort_key() == owner.sort_key())
        {
            lines.push(format!("- {}", c.field));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(manager: &str, version: Option<&str>, field: &str) -> FieldConflict {
        FieldConflict {
            manager: manager.into(),
            api_version: version.map(Into::into),
            field: field.into(),
        }
    }

    #[test]
    fn one_conflict_reads_like_the_real_server() {
        let err = PatchError::Conflict(vec![conflict("mgr", Some("apps/v1"), ".spec.replicas")]);
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"mgr\" using apps/v1: .spec.replicas"
        );
    }

    #[test]
    fn conflicts_with_an_apply_manager_do_not_print_a_version() {
        let c = conflict("other", None, ".data.a");
        assert_eq!(c.message(), "conflict with \"other\"");
    }

    #[test]
    fn several_conflicts_are_grouped_by_sorted_manager() {
        let err = PatchError::Conflict(vec![
            conflict("zeta", None, ".spec.b"),
            conflict("mgr", Some("apps/v1"), ".spec.replicas"),
            conflict("mgr", Some("apps/v1"), ".spec.x"),
        ]);
        assert_eq!(
            err.to_string(),
            "Apply failed with 3 conflicts: conflicts with \"mgr\" using apps/v1:\n- .spec.replicas\n- .spec.x\nconflicts with \"zeta\":\n- .spec.b"
        );
    }
}
