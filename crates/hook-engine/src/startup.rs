//! The tasks queued into `main` at startup (upstream `bootstrap`/`Test_Operator_startup_tasks`):
//! first one onStartup run per hook, ordered stably by `onStartup` value then name; then, for each
//! hook in name order, EnableKubernetesBindings (if it has kubernetes bindings) followed by
//! EnableScheduleBindings (if it has schedules).

use binding_context::BindingContext;
use task_queue::MAIN_QUEUE;

use crate::hook::HookRegistry;
use crate::task::{BindingType, EngineTask, HookRun};

/// The startup tasks for `main`, in queue order.
pub fn startup_tasks(registry: &HookRegistry) -> Vec<EngineTask> {
    let mut on_startup: Vec<_> = registry
        .iter()
        .filter_map(|hook| hook.config.on_startup.map(|o| (o.order, hook)))
        .collect();
    // Stable sort on (order, name): the registry already iterates by name.
    on_startup.sort_by_key(|(order, _)| *order);
    let mut tasks: Vec<EngineTask> = on_startup
        .into_iter()
        .map(|(_, hook)| {
            EngineTask::HookRun(HookRun {
                hook: hook.name.clone(),
                binding_type: BindingType::OnStartup,
                binding: "onStartup".to_owned(),
                queue: MAIN_QUEUE.to_owned(),
                allow_failure: false,
                format: hook.context_format(),
                contexts: vec![BindingContext::on_startup()],
                synchronizations: Vec::new(),
            })
        })
        .collect();
    for hook in registry.iter() {
        if !hook.config.kubernetes.is_empty() {
            tasks.push(EngineTask::EnableKubernetesBindings {
                hook: hook.name.clone(),
            });
        }
        if !hook.config.schedules.is_empty() {
            tasks.push(EngineTask::EnableScheduleBindings {
                hook: hook.name.clone(),
            });
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::HookFile;
    use crate::hook::Hook;
    use task_queue::QueueTask;

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

    const KUBE: &str = r#"[{"kind":"Pod"}]"#;
    const SCHED: &str = r#"[{"crontab":"* * * * *"}]"#;

    #[test]
    fn startup_tasks_match_upstream_test_operator_startup_tasks() {
        let registry = HookRegistry::new([
            hook(
                "hook01",
                &format!(r#"{{"configVersion":"v1","onStartup":20,"kubernetes":{KUBE}}}"#),
            ),
            hook(
                "hook02",
                &format!(r#"{{"configVersion":"v1","onStartup":1,"schedule":{SCHED}}}"#),
            ),
            hook(
                "hook03",
                &format!(
                    r#"{{"configVersion":"v1","onStartup":10,"kubernetes":{KUBE},"schedule":{SCHED}}}"#
                ),
            ),
        ]);
        let described: Vec<String> = startup_tasks(&registry)
            .iter()
            .map(|t| format!("{} {}", t.type_name(), t.hook()))
            .collect();
        assert_eq!(
            described,
            vec![
                "HookRun hook02",
                "HookRun hook03",
                "HookRun hook01",
                "EnableKubernetesBindings hook01",
                "EnableScheduleBindings hook02",
                "EnableKubernetesBindings hook03",
                "EnableScheduleBindings hook03",
            ]
        );
    }

    #[test]
    fn equal_on_startup_orders_run_by_name() {
        let registry = HookRegistry::new([
            hook("c.sh", r#"{"configVersion":"v1","onStartup":5}"#),
            hook("a.sh", r#"{"configVersion":"v1","onStartup":5}"#),
            hook("b.sh", r#"{"configVersion":"v1","onStartup":1}"#),
            hook(
                "d.sh",
                r#"{"configVersion":"v1","schedule":[{"crontab":"* * * * *"}]}"#,
            ),
        ]);
        let tasks = startup_tasks(&registry);
        let runs: Vec<&str> = tasks
            .iter()
            .filter(|t| matches!(t, EngineTask::HookRun(_)))
            .map(|t| t.hook())
            .collect();
        assert_eq!(runs, vec!["b.sh", "a.sh", "c.sh"]);
        assert_eq!(tasks[0].describe(), "HookRun:main:onStartup:b.sh:onStartup");
    }
}
