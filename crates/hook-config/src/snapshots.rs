//! `includeSnapshotsFrom` checks and the group → `includeSnapshotsFrom` merge.

use crate::error::{Problems, join};

/// Every included name must be exactly one kubernetes binding name.
pub(crate) fn check_includes(
    includes: &[String],
    kubernetes_names: &[&str],
    path: &str,
    problems: &mut Problems,
) {
    for name in includes {
        let found = kubernetes_names.iter().filter(|n| *n == name).count();
        let reason = match found {
            1 => continue,
            0 => format!("'{name}' binding name not found"),
            n => format!("there are {n} '{name}' binding names"),
        };
        problems.push(
            join(path, "includeSnapshotsFrom"),
            format!("is invalid: {reason}"),
        );
    }
}

/// Own names first, then the group's kubernetes binding names not already present.
/// `[snap3,snap2,snap1] + [snap1,snap4,snap3]` gives `[snap3,snap2,snap1,snap4]`.
pub(crate) fn merge(own: &[String], group_names: &[String]) -> Vec<String> {
    let mut merged = own.to_vec();
    for name in group_names {
        if !merged.contains(name) {
            merged.push(name.clone());
        }
    }
    merged
}

/// The kubernetes binding names of a group, in config order.
pub(crate) fn group_names(kubernetes: &[(&str, Option<&str>)], group: &str) -> Vec<String> {
    kubernetes
        .iter()
        .filter(|(_, g)| *g == Some(group))
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn group_merge_keeps_own_names_first_then_new_group_names() {
        assert_eq!(
            merge(
                &names(&["snap3", "snap2", "snap1"]),
                &names(&["snap1", "snap4", "snap3"])
            ),
            names(&["snap3", "snap2", "snap1", "snap4"])
        );
    }

    #[test]
    fn duplicate_binding_names_make_an_include_ambiguous() {
        let mut problems = Problems::default();
        check_includes(
            &names(&["pods"]),
            &["pods", "pods"],
            "schedule[0]",
            &mut problems,
        );
        assert_eq!(
            problems.into_error("h").problems[0].to_string(),
            "schedule[0].includeSnapshotsFrom is invalid: there are 2 'pods' binding names"
        );
    }
}
