//! Schedule bindings: the manager that turns crontabs (parsed by `hook-config`) into ticks.

mod manager;

pub use manager::{ScheduleManager, ScheduleTick};

use binding_context::{BindingContext, Snapshots};

use crate::hook::HookRegistry;
use crate::task::{BindingType, EngineTask, HookRun};

/// The runs a tick of the crontab with this key queues: one per schedule binding that uses it in
/// a hook for which `enabled` holds, hooks in name order and bindings in config order, each paired
/// with its queue.
pub fn tasks_for_tick(
    registry: &HookRegistry,
    crontab_key: &str,
    enabled: impl Fn(&str) -> bool,
) -> Vec<(String, EngineTask)> {
    let mut out = Vec::new();
    for hook in registry.iter().filter(|h| enabled(&h.name)) {
        for binding in &hook.config.schedules {
            if binding.crontab.key() != crontab_key {
                continue;
            }
            let mut context =
                BindingContext::schedule(binding.name.clone()).with_group(binding.group.clone());
            if !binding.include_snapshots_from.is_empty() {
                context = context.with_snapshots(empty_snapshots(&binding.include_snapshots_from));
            }
            let task = EngineTask::HookRun(HookRun {
                hook: hook.name.clone(),
                binding_type: BindingType::Schedule,
                binding: binding.name.clone(),
                queue: binding.queue.clone(),
                allow_failure: binding.allow_failure,
                format: hook.context_format(),
                contexts: vec![context],
                synchronizations: Vec::new(),
            });
            out.push((binding.queue.clone(), task));
        }
    }
    out
}

/// A snapshots map with a key per included binding; items are filled right before the run.
pub fn empty_snapshots(names: &[String]) -> Snapshots {
    names
        .iter()
        .map(|n| (n.clone(), Vec::new().into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::HookFile;
    use crate::hook::Hook;
    use binding_context::{ContextFormat, render};

    fn registry(hooks: &[(&str, &str)]) -> HookRegistry {
        HookRegistry::new(hooks.iter().map(|(name, config)| {
            let config = hook_config::parse_hook_config(name, config.as_bytes()).unwrap();
            Hook::new(
                HookFile {
                    name: (*name).into(),
                    path: format!("/hooks/{name}").into(),
                },
                config,
            )
        }))
    }

    fn rendered(task: &EngineTask) -> serde_json::Value {
        let EngineTask::HookRun(run) = task else {
            panic!("not a run")
        };
        serde_json::from_slice(&render(&run.contexts, ContextFormat::V1).unwrap()).unwrap()
    }

    const HOOK_A: &str = r#"{"configVersion":"v1",
        "kubernetes":[{"name":"pods","kind":"Pod"},{"name":"cms","kind":"ConfigMap","group":"g"}],
        "schedule":[
          {"name":"s1","crontab":"*/5 * * * *","queue":"slow","allowFailure":true},
          {"name":"s2","crontab":"*/5  * * * *","includeSnapshotsFrom":["pods"]},
          {"name":"s3","crontab":"*/5 * * * *","group":"g"},
          {"name":"other","crontab":"0 * * * *"}]}"#;
    const HOOK_B: &str =
        r#"{"configVersion":"v1","schedule":[{"name":"b","crontab":"*/5 * * * *"}]}"#;

    #[test]
    fn a_tick_queues_one_run_per_binding_with_its_queue_group_snapshots_and_allow_failure() {
        let reg = registry(&[("b.sh", HOOK_B), ("a.sh", HOOK_A)]);
        let tasks = tasks_for_tick(&reg, "*/5 * * * *", |_| true);
        let summary: Vec<(String, String, bool)> = tasks
            .iter()
            .map(|(q, t)| match t {
                EngineTask::HookRun(r) => (
                    q.clone(),
                    format!("{}:{}", r.hook, r.binding),
                    r.allow_failure,
                ),
                _ => panic!("not a run"),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("slow".into(), "a.sh:s1".into(), true),
                ("main".into(), "a.sh:s2".into(), false),
                ("main".into(), "a.sh:s3".into(), false),
                ("main".into(), "b.sh:b".into(), false),
            ]
        );
        assert_eq!(
            rendered(&tasks[0].1),
            serde_json::json!([{"binding":"s1","type":"Schedule"}])
        );
        assert_eq!(
            rendered(&tasks[1].1),
            serde_json::json!([{"binding":"s2","type":"Schedule","snapshots":{"pods":[]}}])
        );
        assert_eq!(
            rendered(&tasks[2].1),
            serde_json::json!([{"binding":"s3","type":"Group","groupName":"g","snapshots":{"cms":[]}}])
        );
    }

    #[test]
    fn hooks_whose_schedules_are_not_enabled_yet_get_no_runs() {
        let reg = registry(&[("b.sh", HOOK_B), ("a.sh", HOOK_A)]);
        let tasks = tasks_for_tick(&reg, "*/5 * * * *", |hook| hook == "b.sh");
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].1.hook(), "b.sh");
        assert!(tasks_for_tick(&reg, "1 1 1 1 1", |_| true).is_empty());
    }
}
