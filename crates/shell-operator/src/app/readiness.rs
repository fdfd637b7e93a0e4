//! Tracks startup for `/readyz`: hooks loaded, every onStartup run done, every kubernetes binding
//! enabled and every Synchronization run done. The engine reports runs through the
//! [`hook_engine::RunObserver`] (see [`crate::app::metrics::EngineObserver`]), which calls this.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use binding_context::ContextFormat;
use hook_engine::{BindingType, HookRegistry, HookRun, RunOutcome};
use operator_http::Readiness;

/// What startup still waits for.
#[derive(Debug, Default)]
struct Pending {
    /// Hooks whose onStartup run has not succeeded yet.
    on_startup: HashSet<String>,
    /// Hooks whose EnableKubernetesBindings has not succeeded yet.
    enabling: HashSet<String>,
    /// Bindings (engine-kube ids) whose Synchronization run has not ended well yet.
    synchronizations: HashSet<String>,
}

/// Marks [`Readiness`] steps as the engine completes them; once marked, a step stays done.
#[derive(Debug)]
pub struct StartupTracker {
    readiness: Readiness,
    pending: Mutex<Pending>,
}

impl StartupTracker {
    /// Expects the startup work of `registry`'s hooks; marks the hooks as loaded.
    pub fn new(registry: &HookRegistry, readiness: Readiness) -> Self {
        let mut pending = Pending::default();
        for hook in registry.iter() {
            if hook.config.on_startup.is_some() {
                pending.on_startup.insert(hook.name.clone());
            }
            if !hook.config.kubernetes.is_empty() {
                pending.enabling.insert(hook.name.clone());
            }
            // The bindings that get a Synchronization run (engine-kube's rule).
            let runs_sync = hook.context_format() == ContextFormat::V1;
            for (index, binding) in hook.config.kubernetes.iter().enumerate() {
                if runs_sync && binding.execute_hook_on_synchronization {
                    let id = engine_kube::binding_id(&hook.name, index, binding);
                    pending.synchronizations.insert(id.to_string());
                }
            }
        }
        readiness.mark_hooks_loaded();
        let tracker = Self {
            readiness,
            pending: Mutex::new(pending),
        };
        tracker.update(|_| {});
        tracker
    }

    /// One attempt of `run` ended with `outcome`.
    pub fn run_finished(&self, run: &HookRun, outcome: RunOutcome) {
        if outcome == RunOutcome::Failed {
            return;
        }
        self.update(|p| {
            if run.binding_type == BindingType::OnStartup {
                p.on_startup.remove(&run.hook);
            }
            for id in &run.synchronizations {
                p.synchronizations.remove(id);
            }
        });
    }

    /// An EnableKubernetesBindings attempt of `hook` ended; `ok` when it succeeded.
    pub fn kubernetes_enabled(&self, hook: &str, ok: bool) {
        if ok {
            self.update(|p| {
                p.enabling.remove(hook);
            });
        }
    }

    fn update(&self, change: impl FnOnce(&mut Pending)) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut pending);
        if pending.on_startup.is_empty() {
            self.readiness.mark_startup_done();
        }
        if pending.enabling.is_empty() && pending.synchronizations.is_empty() {
            self.readiness.mark_synchronized();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use hook_engine::Hook;
    use hook_engine::discovery::HookFile;
    use operator_http::{HaMode, NotReady};

    fn hook(name: &str, config: &str) -> Hook {
        let config = hook_config::parse_hook_config(name, config.as_bytes()).unwrap();
        Hook::new(
            HookFile {
                name: name.into(),
                path: format!("/hooks/{name}").into(),
            },
            config,
        )
    }

    fn run(hook: &str, binding_type: BindingType, synchronizations: Vec<String>) -> HookRun {
        HookRun {
            hook: hook.into(),
            binding_type,
            binding: String::new(),
            queue: "main".into(),
            allow_failure: false,
            format: ContextFormat::V1,
            contexts: Vec::new(),
            synchronizations,
        }
    }

    #[test]
    fn ready_after_on_startup_enabling_and_every_synchronization_ended_well() {
        let registry = HookRegistry::new([
            hook("a.sh", r#"{"configVersion":"v1","onStartup":1}"#),
            hook(
                "k.sh",
                r#"{"configVersion":"v1","kubernetes":[
                    {"name":"cms","kind":"ConfigMap"},
                    {"name":"quiet","kind":"Secret","executeHookOnSynchronization":false}]}"#,
            ),
        ]);
        let readiness = Readiness::new(HaMode::Disabled);
        let tracker = StartupTracker::new(&registry, readiness.clone());
        assert_eq!(readiness.check(), Err(NotReady::StartupPending));
        tracker.run_finished(
            &run("a.sh", BindingType::OnStartup, vec![]),
            RunOutcome::Failed,
        );
        assert_eq!(readiness.check(), Err(NotReady::StartupPending));
        tracker.run_finished(
            &run("a.sh", BindingType::OnStartup, vec![]),
            RunOutcome::Success,
        );
        assert_eq!(readiness.check(), Err(NotReady::SynchronizationPending));
        tracker.kubernetes_enabled("k.sh", true);
        assert_eq!(readiness.check(), Err(NotReady::SynchronizationPending));
        let k = registry.get("k.sh").unwrap();
        let id = engine_kube::binding_id("k.sh", 0, &k.config.kubernetes[0]).to_string();
        tracker.run_finished(
            &run("k.sh", BindingType::Kubernetes, vec![id]),
            RunOutcome::AllowedFailure,
        );
        assert_eq!(readiness.check(), Ok(()));
    }

    #[test]
    fn hooks_without_startup_work_are_ready_at_once() {
        let registry = HookRegistry::new([hook(
            "s.sh",
            r#"{"configVersion":"v1","schedule":[{"crontab":"* * * * *"}]}"#,
        )]);
        let readiness = Readiness::new(HaMode::Disabled);
        let _tracker = StartupTracker::new(&registry, readiness.clone());
        assert_eq!(readiness.check(), Ok(()));
    }
}
