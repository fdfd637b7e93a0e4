//! The conversion graph per CRD and the BFS that finds a chain of rules.

use std::collections::{HashMap, HashSet, VecDeque};

use hook_config::ConversionRule;

use crate::runner::BindingRef;

/// One edge: a hook binding converting `rule.from_version` to `rule.to_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionStep {
    /// The hook binding that converts.
    pub binding: BindingRef,
    /// The CRD name.
    pub crd_name: String,
    /// Versions as spelled in the hook config (written to the binding context as is).
    pub rule: ConversionRule,
}

/// Rules of every hook, per CRD name, in registration order.
#[derive(Debug, Clone, Default)]
pub struct ConversionGraph {
    steps: HashMap<String, Vec<ConversionStep>>,
}

/// The version part of `group/version` (or the whole short version).
fn version_part(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or(api_version, |(_, v)| v)
}

/// Upstream `VersionsMatched`: equal strings, or equal version parts (`v1` matches
/// `group/v1`).
pub fn versions_match(a: &str, b: &str) -> bool {
    a == b || version_part(a) == version_part(b)
}

impl ConversionGraph {
    /// An empty graph.
    pub fn new() -> ConversionGraph {
        ConversionGraph::default()
    }

    /// Adds every rule of a binding.
    pub fn add(&mut self, binding: &BindingRef, crd_name: &str, rules: &[ConversionRule]) {
        let steps = self.steps.entry(crd_name.to_owned()).or_default();
        for rule in rules {
            steps.push(ConversionStep {
                binding: binding.clone(),
                crd_name: crd_name.to_owned(),
                rule: rule.clone(),
            });
        }
    }

    /// CRD names that have rules.
    pub fn crd_names(&self) -> impl Iterator<Item = &str> {
        self.steps.keys().map(String::as_str)
    }

    /// True when the CRD has rules.
    pub fn has_crd(&self, crd_name: &str) -> bool {
        self.steps.contains_key(crd_name)
    }

    /// The shortest chain of steps from `from` to `to` (BFS over rules in registration order);
    /// empty when there is no path or `from` already matches `to`.
    pub fn find_chain(&self, crd_name: &str, from: &str, to: &str) -> Vec<ConversionStep> {
        let Some(steps) = self.steps.get(crd_name) else {
            return Vec::new();
        };
        if versions_match(from, to) {
            return Vec::new();
        }
        // Each queue entry is the index of the step that reached it; `parent` links steps.
        let mut parent: HashMap<usize, Option<usize>> = HashMap::new();
        let mut queue: VecDeque<usize> = VecDeque::new();
        let mut seen: HashSet<&str> = HashSet::new();
        seen.insert(version_part(from));
        for (i, step) in steps.iter().enumerate() {
            if versions_match(&step.rule.from_version, from)
                && seen.insert(version_part(&step.rule.to_version))
            {
                parent.insert(i, None);
                queue.push_back(i);
            }
        }
        while let Some(current) = queue.pop_front() {
            let reached = &steps[current].rule.to_version;
            if versions_match(reached, to) {
                let mut chain = vec![steps[current].clone()];
                let mut cursor = parent.get(&current).copied().flatten();
                while let Some(i) = cursor {
                    chain.push(steps[i].clone());
                    cursor = parent.get(&i).copied().flatten();
                }
                chain.reverse();
                return chain;
            }
            for (i, step) in steps.iter().enumerate() {
                if versions_match(&step.rule.from_version, reached)
                    && seen.insert(version_part(&step.rule.to_version))
                {
                    parent.insert(i, Some(current));
                    queue.push_back(i);
                }
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: &str, to: &str) -> ConversionRule {
        ConversionRule {
            from_version: from.to_owned(),
            to_version: to.to_owned(),
        }
    }

    /// The rules of upstream `testdata/hook_manager_conversion_chains_full`, forward and back,
    /// spread over two hooks.
    fn test_chain_graph() -> ConversionGraph {
        let mut graph = ConversionGraph::new();
        let forward = BindingRef {
            hook: "forward.sh".to_owned(),
            binding: "forward".to_owned(),
        };
        let backward = BindingRef {
            hook: "backward.sh".to_owned(),
            binding: "backward".to_owned(),
        };
        graph.add(
            &forward,
            "crontabs.stable.example.com",
            &[
                rule("group.io/alpha", "beta"),
                rule("unstable.example.com/beta", "gamma"),
                rule("stable.example.com/gamma", "next.io/delta"),
            ],
        );
        graph.add(
            &backward,
            "crontabs.stable.example.com",
            &[
                rule("stable.example.com/delta", "stable.example.com/gamma"),
                rule("gamma", "beta"),
                rule("beta", "alpha"),
            ],
        );
        graph
    }

    fn spelled(chain: &[ConversionStep]) -> Vec<(&str, &str)> {
        chain
            .iter()
            .map(|s| (s.rule.from_version.as_str(), s.rule.to_version.as_str()))
            .collect()
    }

    #[test]
    fn alpha_to_delta_resolves_to_the_three_forward_rules_in_order() {
        let graph = test_chain_graph();
        let chain = graph.find_chain(
            "crontabs.stable.example.com",
            "stable.example.com/alpha",
            "stable.example.com/delta",
        );
        assert_eq!(
            spelled(&chain),
            vec![
                ("group.io/alpha", "beta"),
                ("unstable.example.com/beta", "gamma"),
                ("stable.example.com/gamma", "next.io/delta"),
            ]
        );
        assert!(chain.iter().all(|s| s.binding.binding == "forward"));
    }

    #[test]
    fn delta_to_alpha_resolves_to_the_three_backward_rules_in_order() {
        let graph = test_chain_graph();
        let chain = graph.find_chain("crontabs.stable.example.com", "delta", "alpha");
        assert_eq!(
            spelled(&chain),
            vec![
                ("stable.example.com/delta", "stable.example.com/gamma"),
                ("gamma", "beta"),
                ("beta", "alpha"),
            ]
        );
    }

    #[test]
    fn unknown_versions_and_crds_have_no_path() {
        let graph = test_chain_graph();
        assert!(
            graph
                .find_chain("crontabs.stable.example.com", "alpha", "omega")
                .is_empty()
        );
        assert!(
            graph
                .find_chain("crontabs.stable.example.com", "omega", "alpha")
                .is_empty()
        );
        assert!(
            graph
                .find_chain("other.example.com", "alpha", "delta")
                .is_empty()
        );
    }

    #[test]
    fn short_and_full_versions_match_on_the_version_part() {
        assert!(versions_match("v1", "example.com/v1"));
        assert!(versions_match("a.io/v1", "b.io/v1"));
        assert!(!versions_match("example.com/v1", "example.com/v2"));
    }

    #[test]
    fn a_single_rule_gives_a_single_step() {
        let graph = test_chain_graph();
        let chain = graph.find_chain("crontabs.stable.example.com", "beta", "gamma");
        assert_eq!(
            spelled(&chain),
            vec![("unstable.example.com/beta", "gamma")]
        );
    }
}
