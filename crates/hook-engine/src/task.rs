//! The engine's queue task: a hook run with its binding contexts, or a startup step that enables a
//! hook's bindings. Consecutive runs of one hook are combined when the first reaches the head of
//! its queue (upstream `combineBindingContexts`).

use binding_context::{BindingContext, ContextFormat};
use task_queue::{MergeReason, QueueTask};

/// The kind of binding that produced a hook run (the `event` log label, the `bindingType` part of
/// a task description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingType {
    /// `onStartup`.
    OnStartup,
    /// `schedule`.
    Schedule,
    /// `kubernetes`.
    Kubernetes,
    /// `kubernetesValidating`.
    Validating,
    /// `kubernetesMutating`.
    Mutating,
    /// `kubernetesCustomResourceConversion`.
    Conversion,
    /// An addon-operator ordered binding (`beforeHelm`, ...).
    Ordered(String),
}

impl BindingType {
    /// Upstream's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            BindingType::OnStartup => "onStartup",
            BindingType::Schedule => "schedule",
            BindingType::Kubernetes => "kubernetes",
            BindingType::Validating => "kubernetesValidating",
            BindingType::Mutating => "kubernetesMutating",
            BindingType::Conversion => "kubernetesCustomResourceConversion",
            BindingType::Ordered(name) => name,
        }
    }
}

/// One run of one hook.
#[derive(Debug, Clone, PartialEq)]
pub struct HookRun {
    /// The hook name.
    pub hook: String,
    /// What kind of binding queued it.
    pub binding_type: BindingType,
    /// The binding name of the task as queued (for logs and descriptions).
    pub binding: String,
    /// The queue it was pushed to.
    pub queue: String,
    /// Failures are logged and dropped instead of retried (`allowFailure`). A combined run keeps
    /// the value of the task at the head.
    pub allow_failure: bool,
    /// v1, or legacy v0 (v0 contexts, never combined).
    pub format: ContextFormat,
    /// The contexts in order. Snapshot maps hold the keys to fill; their items are read again
    /// right before the run.
    pub contexts: Vec<BindingContext>,
    /// The kubernetes bindings (ids chosen by the [`crate::KubernetesBindings`] extension) whose
    /// Synchronization this run carries. Group compaction may drop their contexts, but never
    /// these ids: every folded-in Synchronization unlocks its binding's events when the run ends.
    pub synchronizations: Vec<String>,
}

/// A queued unit of work.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineTask {
    /// Run a hook.
    HookRun(HookRun),
    /// Start the kubernetes monitors of a hook and queue its Synchronization runs.
    EnableKubernetesBindings {
        /// The hook name.
        hook: String,
    },
    /// Register the crontabs of a hook.
    EnableScheduleBindings {
        /// The hook name.
        hook: String,
    },
}

impl EngineTask {
    /// The hook the task is about.
    pub fn hook(&self) -> &str {
        match self {
            EngineTask::HookRun(run) => &run.hook,
            EngineTask::EnableKubernetesBindings { hook }
            | EngineTask::EnableScheduleBindings { hook } => hook,
        }
    }

    /// Upstream's task type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            EngineTask::HookRun(_) => "HookRun",
            EngineTask::EnableKubernetesBindings { .. } => "EnableKubernetesBindings",
            EngineTask::EnableScheduleBindings { .. } => "EnableScheduleBindings",
        }
    }
}

impl QueueTask for EngineTask {
    type Key = String;

    fn combine_key(&self) -> Option<String> {
        match self {
            EngineTask::HookRun(run) if run.format == ContextFormat::V1 => Some(run.hook.clone()),
            _ => None,
        }
    }

    fn combines_followers(&self) -> bool {
        match self {
            EngineTask::HookRun(run) => {
                binding_context::head_allows_combining(&run.contexts, run.format)
            }
            _ => false,
        }
    }

    fn merge(&mut self, later: Vec<Self>, reason: MergeReason) {
        let EngineTask::HookRun(head) = self else {
            return;
        };
        let mut later_contexts = Vec::with_capacity(later.len());
        for task in later {
            if let EngineTask::HookRun(run) = task {
                head.synchronizations.extend(run.synchronizations);
                later_contexts.push(run.contexts);
            }
        }
        let all = std::iter::once(std::mem::take(&mut head.contexts)).chain(later_contexts);
        head.contexts = match reason {
            MergeReason::Combine => binding_context::combine(all),
            MergeReason::EmergencyCompaction => binding_context::compact_emergency(all),
        };
    }

    fn describe(&self) -> String {
        match self {
            EngineTask::HookRun(run) => {
                let mut out = format!(
                    "HookRun:{}:{}:{}",
                    run.queue,
                    run.binding_type.as_str(),
                    run.hook
                );
                if let Some(group) = run.contexts.first().and_then(|c| c.group.as_deref()) {
                    out.push_str(":group=");
                    out.push_str(group);
                }
                if !run.binding.is_empty() {
                    out.push(':');
                    out.push_str(&run.binding);
                }
                out
            }
            other => format!("{}:main:{}", other.type_name(), other.hook()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use binding_context::{ObjectItem, WatchEvent};

    fn run(hook: &str, contexts: Vec<BindingContext>) -> EngineTask {
        EngineTask::HookRun(HookRun {
            hook: hook.into(),
            binding_type: BindingType::Kubernetes,
            binding: contexts
                .first()
                .map(|c| c.binding.clone())
                .unwrap_or_default(),
            queue: "main".into(),
            allow_failure: false,
            format: ContextFormat::V1,
            contexts,
            synchronizations: Vec::new(),
        })
    }

    fn sync(b: &str, g: Option<&str>) -> BindingContext {
        BindingContext::synchronization(b, Vec::new().into()).with_group(g)
    }
    fn sched(b: &str, g: Option<&str>) -> BindingContext {
        BindingContext::schedule(b).with_group(g)
    }
    fn event(b: &str, g: Option<&str>) -> BindingContext {
        BindingContext::event(b, WatchEvent::Added, ObjectItem::default()).with_group(g)
    }

    fn contexts(task: &EngineTask) -> Vec<(String, Option<String>)> {
        let EngineTask::HookRun(run) = task else {
            panic!("not a hook run")
        };
        run.contexts
            .iter()
            .map(|c| (c.binding.clone(), c.group.clone()))
            .collect()
    }

    #[test]
    fn combining_keeps_the_last_context_of_each_adjacent_group_run() {
        // Upstream Test_CombineBindingContext_Group_Type, without the task that stops the walk.
        let mut head = run("h", vec![sync("s1", Some("g"))]);
        let later = vec![
            run("h", vec![sync("s2", Some("g"))]),
            run("h", vec![sched("sc1", Some("g"))]),
            run("h", vec![event("e1", None)]),
            run("h", vec![sched("sc2", Some("g"))]),
            run("h", vec![sched("sc3", None)]),
            run("h", vec![event("e2", Some("g"))]),
        ];
        head.merge(later, MergeReason::Combine);
        let g = Some("g".to_string());
        assert_eq!(
            contexts(&head),
            vec![
                ("sc1".into(), g.clone()),
                ("e1".into(), None),
                ("sc2".into(), g.clone()),
                ("sc3".into(), None),
                ("e2".into(), g),
            ]
        );
    }

    #[test]
    fn an_ungrouped_synchronization_does_not_collect_followers_but_a_grouped_one_does() {
        assert!(!run("h", vec![sync("s", None)]).combines_followers());
        assert!(run("h", vec![sync("s", Some("g"))]).combines_followers());
        assert!(run("h", vec![event("e", None)]).combines_followers());
    }

    #[test]
    fn only_v1_hook_runs_have_a_combine_key() {
        assert_eq!(run("h", vec![]).combine_key(), Some("h".to_string()));
        let mut v0 = run("h", vec![]);
        if let EngineTask::HookRun(r) = &mut v0 {
            r.format = ContextFormat::V0;
        }
        assert_eq!(v0.combine_key(), None);
        let enable = EngineTask::EnableScheduleBindings { hook: "h".into() };
        assert_eq!(enable.combine_key(), None);
    }

    #[test]
    fn emergency_compaction_keeps_ungrouped_contexts_then_the_last_of_each_group() {
        let mut head = run("h", vec![event("e1", Some("a"))]);
        let later = vec![
            run("h", vec![event("e2", None)]),
            run("h", vec![event("e3", Some("b"))]),
            run("h", vec![event("e4", Some("a"))]),
            run("h", vec![event("e5", None)]),
        ];
        head.merge(later, MergeReason::EmergencyCompaction);
        assert_eq!(
            contexts(&head),
            vec![
                ("e2".into(), None),
                ("e5".into(), None),
                ("e4".into(), Some("a".into())),
                ("e3".into(), Some("b".into())),
            ]
        );
    }

    #[test]
    fn descriptions_follow_the_upstream_format() {
        let t = run("pods-hook.sh", vec![event("pods", None)]);
        assert_eq!(t.describe(), "HookRun:main:kubernetes:pods-hook.sh:pods");
        let g = run("h.sh", vec![event("pods", Some("grp"))]);
        assert_eq!(g.describe(), "HookRun:main:kubernetes:h.sh:group=grp:pods");
        let e = EngineTask::EnableScheduleBindings {
            hook: "h.sh".into(),
        };
        assert_eq!(e.describe(), "EnableScheduleBindings:main:h.sh");
    }
}
