//! The webhook servers' hook runner on top of the engine's [`DirectRuns`]: one binding context
//! per request, the response file back as bytes, every failure as [`HookFailed`].

use std::sync::Arc;

use binding_context::{BindingContext, Snapshots};
use futures::future::BoxFuture;
use hook_engine::{BindingType, DirectRun, DirectRuns};
use hook_exec::HookRunOutput;
use serde_json::Value;
use webhook_server::{BindingRef, ConversionStep, HookFailed, WebhookHookRunner, WebhookKind};

use crate::plan::BindingTable;

/// Runs webhook requests as direct runs of the engine (rate-limited, fresh snapshots, metrics).
#[derive(Debug, Clone)]
pub struct EngineHookRunner {
    runs: DirectRuns,
    bindings: Arc<BindingTable>,
}

/// A snapshots map with a key per included binding; the engine fills the items before the run.
fn snapshot_keys(names: &[String]) -> Option<Snapshots> {
    (!names.is_empty())
        .then(|| binding_context::collect_snapshots(names.iter().map(String::as_str), |_| None))
}

fn failed(reason: impl Into<String>) -> HookFailed {
    HookFailed {
        reason: reason.into(),
    }
}

impl EngineHookRunner {
    /// A runner for the bindings of `bindings` (see [`crate::WebhookPlan::bindings`]).
    pub fn new(runs: DirectRuns, bindings: Arc<BindingTable>) -> EngineHookRunner {
        EngineHookRunner { runs, bindings }
    }

    async fn run(
        &self,
        binding: &BindingRef,
        binding_type: BindingType,
        context: BindingContext,
        snapshots: Option<Snapshots>,
    ) -> Result<HookRunOutput, HookFailed> {
        let context = match snapshots {
            Some(snapshots) => context.with_snapshots(snapshots),
            None => context,
        };
        self.runs
            .run(DirectRun {
                hook: binding.hook.clone(),
                binding: binding.binding.clone(),
                binding_type,
                contexts: vec![context],
            })
            .await
            .map_err(|err| failed(err.to_string()))
    }
}

impl WebhookHookRunner for EngineHookRunner {
    fn run_admission<'a>(
        &'a self,
        binding: &'a BindingRef,
        review: Arc<Value>,
    ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>> {
        Box::pin(async move {
            let target = self.bindings.admission(binding).ok_or_else(|| {
                failed(format!(
                    "no admission binding '{}' in hook '{}'",
                    binding.binding, binding.hook
                ))
            })?;
            let (binding_type, context) = match target.kind {
                WebhookKind::Validating => (
                    BindingType::Validating,
                    BindingContext::validating(binding.binding.clone(), review),
                ),
                WebhookKind::Mutating => (
                    BindingType::Mutating,
                    BindingContext::mutating(binding.binding.clone(), review),
                ),
            };
            let snapshots = snapshot_keys(&target.include_snapshots_from);
            let output = self.run(binding, binding_type, context, snapshots).await?;
            Ok(output.files.admission_response.unwrap_or_default())
        })
    }

    fn run_conversion<'a>(
        &'a self,
        step: &'a ConversionStep,
        review: Arc<Value>,
    ) -> BoxFuture<'a, Result<Vec<u8>, HookFailed>> {
        Box::pin(async move {
            let binding = &step.binding;
            let included = self.bindings.conversion(binding).ok_or_else(|| {
                failed(format!(
                    "no conversion binding '{}' in hook '{}'",
                    binding.binding, binding.hook
                ))
            })?;
            let context = BindingContext::conversion(
                binding.binding.clone(),
                step.rule.from_version.clone(),
                step.rule.to_version.clone(),
                review,
            );
            let output = self
                .run(
                    binding,
                    BindingType::Conversion,
                    context,
                    snapshot_keys(included),
                )
                .await?;
            Ok(output.files.conversion_response.unwrap_or_default())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::time::Duration;

    use hook_config::ConversionRule;
    use hook_engine::clock::SystemClock;
    use hook_engine::discovery::HookFile;
    use hook_engine::{Engine, EngineConfig, Extensions, Hook, HookRegistry, RunnerConfig};
    use serde_json::json;

    use super::*;
    use crate::plan::WebhookPlan;

    const CONFIG: &str = r#"{"configVersion":"v1",
        "kubernetes":[{"name":"cms","kind":"ConfigMap","executeHookOnEvent":[]}],
        "kubernetesValidating":[{"name":"check.example.com","includeSnapshotsFrom":["cms"],
            "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]}],
        "kubernetesMutating":[{"name":"fix",
            "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]}],
        "kubernetesCustomResourceConversion":[{"name":"conv","crdName":"widgets.example.com",
            "conversions":[{"fromVersion":"example.com/v1","toVersion":"v2"}]}]}"#;

    /// An engine with one hook `hook.sh` that runs `body`.
    fn engine(dir: &Path, body: &str) -> Engine {
        let path = dir.join("hook.sh");
        std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let parsed = hook_config::parse_hook_config("hook.sh", CONFIG.as_bytes()).unwrap();
        let file = HookFile {
            name: "hook.sh".into(),
            path,
        };
        let config = EngineConfig {
            runner: RunnerConfig {
                tmp_dir: dir.to_path_buf(),
                env: vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
                tmp_files: hook_exec::TmpFiles::Remove,
                default_timeout: Some(Duration::from_secs(30)),
                log_proxy: hook_exec::LogProxy::PlainLines,
            },
            queues: task_queue::QueueSetConfig::default(),
            shutdown_grace_period: Duration::from_secs(1),
        };
        Engine::new(
            HookRegistry::new([Hook::new(file, parsed)]),
            config,
            Extensions::default(),
            Arc::new(SystemClock),
        )
    }

    fn runner(engine: &Engine) -> EngineHookRunner {
        let plan = WebhookPlan::from_registry(engine.registry());
        EngineHookRunner::new(engine.direct_runs(), Arc::new(plan.bindings))
    }

    fn reference(binding: &str) -> BindingRef {
        BindingRef {
            hook: "hook.sh".to_owned(),
            binding: binding.to_owned(),
        }
    }

    /// The hook echoes its binding context into both response files.
    const ECHO: &str = r#"cp "$BINDING_CONTEXT_PATH" "$VALIDATING_RESPONSE_PATH"
cp "$BINDING_CONTEXT_PATH" "$CONVERSION_RESPONSE_PATH""#;

    #[tokio::test]
    async fn admission_requests_run_with_a_validating_or_mutating_context_and_snapshots() {
        let tmp = tempfile::tempdir().unwrap();
        let engine = engine(tmp.path(), ECHO);
        let runner = runner(&engine);
        let review = Arc::new(json!({"request": {"uid": "u1"}}));

        let bytes = runner
            .run_admission(&reference("check.example.com"), Arc::clone(&review))
            .await
            .unwrap();
        let context: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            context,
            json!([{"binding": "check.example.com", "type": "Validating",
                    "review": {"request": {"uid": "u1"}}, "snapshots": {"cms": []}}])
        );

        let bytes = runner
            .run_admission(&reference("fix"), review)
            .await
            .unwrap();
        let context: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            context,
            json!([{"binding": "fix", "type": "Mutating", "review": {"request": {"uid": "u1"}}}])
        );
    }

    #[tokio::test]
    async fn conversion_steps_carry_the_versions_as_spelled_in_the_rule() {
        let tmp = tempfile::tempdir().unwrap();
        let engine = engine(tmp.path(), ECHO);
        let runner = runner(&engine);
        let step = ConversionStep {
            binding: reference("conv"),
            crd_name: "widgets.example.com".to_owned(),
            rule: ConversionRule {
                from_version: "example.com/v1".to_owned(),
                to_version: "v2".to_owned(),
            },
        };
        let review =
            Arc::new(json!({"request": {"uid": "u2", "desiredAPIVersion": "example.com/v2"}}));
        let bytes = runner.run_conversion(&step, review).await.unwrap();
        let context: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            context,
            json!([{"binding": "conv", "type": "Conversion",
                    "fromVersion": "example.com/v1", "toVersion": "v2",
                    "review": {"request": {"uid": "u2", "desiredAPIVersion": "example.com/v2"}}}])
        );
    }

    #[tokio::test]
    async fn failing_hooks_and_unknown_bindings_are_hook_failures() {
        let tmp = tempfile::tempdir().unwrap();
        let engine = engine(tmp.path(), "echo broken >&2; exit 1");
        let runner = runner(&engine);
        let review = Arc::new(json!({"request": {"uid": "u3"}}));
        let err = runner
            .run_admission(&reference("check.example.com"), Arc::clone(&review))
            .await
            .unwrap_err();
        assert_eq!(err.reason, "hook.sh FAILED: broken");
        let err = runner
            .run_admission(&reference("conv"), review)
            .await
            .unwrap_err();
        assert_eq!(err.reason, "no admission binding 'conv' in hook 'hook.sh'");
    }

    #[tokio::test]
    async fn a_hook_that_writes_nothing_gives_an_empty_response() {
        let tmp = tempfile::tempdir().unwrap();
        let engine = engine(tmp.path(), "true");
        let runner = runner(&engine);
        let review = Arc::new(json!({"request": {"uid": "u4"}}));
        let bytes = runner
            .run_admission(&reference("fix"), review)
            .await
            .unwrap();
        assert!(bytes.is_empty());
    }
}
