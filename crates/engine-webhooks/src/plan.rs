//! What the loaded hooks ask for: the admission routes and the bindings to register, the
//! conversion graph and the CRDs to patch, and the table the runner uses to build contexts.

use std::collections::HashMap;

use hook_config::AdmissionBinding;
use hook_engine::HookRegistry;
use webhook_server::{AdmissionRoutes, BindingRef, ConversionGraph, WebhookKind};

/// How the runner calls an admission binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionTarget {
    /// Validating or mutating: the context type and the binding type of the run.
    pub kind: WebhookKind,
    /// `includeSnapshotsFrom` after the group merge; items are read right before the run.
    pub include_snapshots_from: Vec<String>,
}

/// Per binding, what the runner needs beyond the request.
#[derive(Debug, Clone, Default)]
pub struct BindingTable {
    admission: HashMap<BindingRef, AdmissionTarget>,
    conversion: HashMap<BindingRef, Vec<String>>,
}

impl BindingTable {
    /// The admission binding `binding`, if served.
    pub fn admission(&self, binding: &BindingRef) -> Option<&AdmissionTarget> {
        self.admission.get(binding)
    }

    /// The snapshots a conversion binding includes, if it is a conversion binding.
    pub fn conversion(&self, binding: &BindingRef) -> Option<&[String]> {
        self.conversion.get(binding).map(Vec::as_slice)
    }
}

/// An admission binding left out because an earlier one has the same webhook id (path
/// `/hooks/<id>`): one path can reach only one binding, so only the first is registered and
/// served. Upstream keeps one of them too, without saying which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedWebhook {
    /// The shared webhook id.
    pub webhook_id: String,
    /// The binding that has the path.
    pub kept: BindingRef,
    /// The binding left out.
    pub skipped: BindingRef,
}

/// Everything the webhook servers and the registration need, from the hooks in name order and
/// their bindings in config order.
#[derive(Debug, Clone, Default)]
pub struct WebhookPlan {
    /// `/hooks/<id>` to binding.
    pub routes: AdmissionRoutes,
    /// Bindings of the ValidatingWebhookConfiguration, in order.
    pub validating: Vec<AdmissionBinding>,
    /// Bindings of the MutatingWebhookConfiguration, in order.
    pub mutating: Vec<AdmissionBinding>,
    /// Conversion rules of every hook, per CRD.
    pub graph: ConversionGraph,
    /// CRDs whose `spec.conversion` points at the conversion server, in order of first use.
    pub crd_names: Vec<String>,
    /// What the runner needs per binding.
    pub bindings: BindingTable,
    /// Admission bindings left out for a duplicate webhook id.
    pub skipped: Vec<SkippedWebhook>,
}

impl WebhookPlan {
    /// Collects the validating, mutating and conversion bindings of every hook.
    pub fn from_registry(registry: &HookRegistry) -> WebhookPlan {
        let mut plan = WebhookPlan::default();
        let mut ids: HashMap<String, BindingRef> = HashMap::new();
        for hook in registry.iter() {
            let admission = hook
                .config
                .validating
                .iter()
                .map(|b| (b, WebhookKind::Validating))
                .chain(
                    hook.config
                        .mutating
                        .iter()
                        .map(|b| (b, WebhookKind::Mutating)),
                );
            for (binding, kind) in admission {
                let reference = BindingRef {
                    hook: hook.name.clone(),
                    binding: binding.name.clone(),
                };
                let id = hook_config::safe_url_string(&binding.name);
                if let Some(kept) = ids.get(&id) {
                    tracing::warn!(
                        webhook_id = %id,
                        hook = %reference.hook,
                        binding = %reference.binding,
                        kept_hook = %kept.hook,
                        kept_binding = %kept.binding,
                        "admission binding has the same webhook path as an earlier one; it is not registered"
                    );
                    plan.skipped.push(SkippedWebhook {
                        webhook_id: id,
                        kept: kept.clone(),
                        skipped: reference,
                    });
                    continue;
                }
                ids.insert(id, reference.clone());
                plan.routes.add(reference.clone(), kind);
                plan.bindings.admission.insert(
                    reference,
                    AdmissionTarget {
                        kind,
                        include_snapshots_from: binding.include_snapshots_from.clone(),
                    },
                );
                match kind {
                    WebhookKind::Validating => plan.validating.push(binding.clone()),
                    WebhookKind::Mutating => plan.mutating.push(binding.clone()),
                }
            }
            for binding in &hook.config.conversion {
                let reference = BindingRef {
                    hook: hook.name.clone(),
                    binding: binding.name.clone(),
                };
                plan.graph
                    .add(&reference, &binding.crd_name, &binding.conversions);
                plan.bindings
                    .conversion
                    .insert(reference, binding.include_snapshots_from.clone());
                if !plan.crd_names.contains(&binding.crd_name) {
                    plan.crd_names.push(binding.crd_name.clone());
                }
            }
        }
        plan
    }

    /// Whether any hook has a validating or mutating binding (the admission server runs).
    pub fn has_admission(&self) -> bool {
        !self.validating.is_empty() || !self.mutating.is_empty()
    }

    /// Whether any hook has a conversion binding (the conversion server runs).
    pub fn has_conversion(&self) -> bool {
        !self.crd_names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hook_engine::Hook;
    use hook_engine::discovery::HookFile;

    use super::*;

    fn hook(name: &str, config: &str) -> Hook {
        let parsed = hook_config::parse_hook_config(name, config.as_bytes());
        let Ok(parsed) = parsed else {
            panic!("invalid test config for {name}: {parsed:?}");
        };
        Hook::new(
            HookFile {
                name: name.to_owned(),
                path: PathBuf::from(format!("/hooks/{name}")),
            },
            parsed,
        )
    }

    const RULES: &str = r#""rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]"#;

    fn reference(hook: &str, binding: &str) -> BindingRef {
        BindingRef {
            hook: hook.to_owned(),
            binding: binding.to_owned(),
        }
    }

    #[test]
    fn admission_bindings_of_all_hooks_become_routes_and_registrations_in_order() {
        let registry = HookRegistry::new([
            hook(
                "b.sh",
                &format!(
                    r#"{{"configVersion":"v1","kubernetesMutating":[{{"name":"importantHook",{RULES}}}]}}"#
                ),
            ),
            hook(
                "a.sh",
                &format!(
                    r#"{{"configVersion":"v1","kubernetes":[{{"name":"cms","kind":"ConfigMap"}}],
                    "kubernetesValidating":[
                        {{"name":"private-repo-policy.example.com","includeSnapshotsFrom":["cms"],{RULES}}},
                        {{"name":"second.example.com",{RULES}}}]}}"#
                ),
            ),
        ]);
        let plan = WebhookPlan::from_registry(&registry);
        assert!(plan.has_admission());
        assert!(!plan.has_conversion());
        let names = |bindings: &[AdmissionBinding]| -> Vec<String> {
            bindings.iter().map(|b| b.name.clone()).collect()
        };
        assert_eq!(
            names(&plan.validating),
            ["private-repo-policy.example.com", "second.example.com"]
        );
        assert_eq!(names(&plan.mutating), ["importantHook"]);
        let route = plan.routes.lookup("/hooks/private-repo-policy-example-com");
        assert_eq!(
            route.map(|r| (&r.binding, r.kind)),
            Some((
                &reference("a.sh", "private-repo-policy.example.com"),
                WebhookKind::Validating
            ))
        );
        let route = plan.routes.lookup("/hooks/important-hook");
        assert_eq!(route.map(|r| r.kind), Some(WebhookKind::Mutating));
        assert_eq!(
            plan.bindings
                .admission(&reference("a.sh", "private-repo-policy.example.com")),
            Some(&AdmissionTarget {
                kind: WebhookKind::Validating,
                include_snapshots_from: vec!["cms".to_owned()],
            })
        );
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn a_second_binding_with_the_same_webhook_path_is_skipped_and_reported() {
        let registry = HookRegistry::new([
            hook(
                "a.sh",
                &format!(
                    r#"{{"configVersion":"v1","kubernetesValidating":[{{"name":"same.example.com",{RULES}}}]}}"#
                ),
            ),
            hook(
                "b.sh",
                &format!(
                    r#"{{"configVersion":"v1","kubernetesMutating":[{{"name":"same-example.com",{RULES}}}]}}"#
                ),
            ),
        ]);
        let plan = WebhookPlan::from_registry(&registry);
        assert_eq!(plan.validating.len(), 1);
        assert!(plan.mutating.is_empty());
        assert_eq!(
            plan.skipped,
            [SkippedWebhook {
                webhook_id: "same-example-com".to_owned(),
                kept: reference("a.sh", "same.example.com"),
                skipped: reference("b.sh", "same-example.com"),
            }]
        );
        assert!(
            plan.bindings
                .admission(&reference("b.sh", "same-example.com"))
                .is_none()
        );
    }

    #[test]
    fn conversion_rules_of_all_hooks_form_one_graph_per_crd() {
        let conversion = |name: &str, from: &str, to: &str| {
            format!(
                r#"{{"configVersion":"v1","kubernetesCustomResourceConversion":[{{"name":"{name}",
                "crdName":"widgets.example.com","conversions":[{{"fromVersion":"{from}","toVersion":"{to}"}},
                {{"fromVersion":"{to}","toVersion":"{from}"}}]}}]}}"#
            )
        };
        let registry = HookRegistry::new([
            hook(
                "1.sh",
                &conversion("alpha_beta", "example.com/alpha", "example.com/beta"),
            ),
            hook("2.sh", &conversion("beta_gamma", "beta", "gamma")),
            hook(
                "3.sh",
                &conversion("gamma_delta", "example.com/gamma", "example.com/delta"),
            ),
        ]);
        let plan = WebhookPlan::from_registry(&registry);
        assert!(plan.has_conversion());
        assert!(!plan.has_admission());
        assert_eq!(plan.crd_names, ["widgets.example.com"]);
        let chain = plan.graph.find_chain(
            "widgets.example.com",
            "example.com/alpha",
            "example.com/delta",
        );
        let hooks: Vec<&str> = chain.iter().map(|s| s.binding.hook.as_str()).collect();
        assert_eq!(hooks, ["1.sh", "2.sh", "3.sh"]);
        let back = plan
            .graph
            .find_chain("widgets.example.com", "delta", "alpha");
        let back: Vec<&str> = back.iter().map(|s| s.binding.binding.as_str()).collect();
        assert_eq!(back, ["gamma_delta", "beta_gamma", "alpha_beta"]);
        assert_eq!(
            plan.bindings.conversion(&reference("2.sh", "beta_gamma")),
            Some(&[][..])
        );
    }
}
