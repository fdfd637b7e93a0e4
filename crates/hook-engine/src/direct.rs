//! Hook runs outside the queues: admission and conversion webhooks run their hook synchronously
//! with the HTTP request, still behind the hook's rate limiter, with fresh snapshots, the same
//! environment, timeout, log proxying, output handling and metrics as a queued run.

use std::sync::Arc;
use std::time::Duration;

use binding_context::{BindingContext, ContextFormat};
use hook_exec::HookRunOutput;

use crate::extensions::{RunOutcome, RunReport};
use crate::runner::Runner;
use crate::task::{BindingType, HookRun};

/// The queue label direct runs carry in logs and metrics.
pub const DIRECT_QUEUE: &str = "webhook";

/// One run requested by a webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectRun {
    /// The hook name.
    pub hook: String,
    /// The binding name.
    pub binding: String,
    /// `Validating`, `Mutating` or `Conversion`.
    pub binding_type: BindingType,
    /// The contexts, usually one.
    pub contexts: Vec<BindingContext>,
}

/// Why a direct run produced no usable output.
#[derive(Debug, thiserror::Error)]
pub enum DirectRunError {
    /// No loaded hook has this name.
    #[error("unknown hook '{0}'")]
    UnknownHook(String),
    /// The engine is shutting down.
    #[error("the operator is shutting down")]
    ShuttingDown,
    /// The hook ran and failed, or its outputs could not be applied.
    #[error("{0}")]
    Failed(String),
}

/// Runs hooks right away; cheap to clone. Get one from [`crate::Engine::direct_runs`].
#[derive(Clone)]
pub struct DirectRuns {
    runner: Arc<Runner>,
}

impl std::fmt::Debug for DirectRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectRuns").finish_non_exhaustive()
    }
}

impl DirectRuns {
    pub(crate) fn new(runner: Arc<Runner>) -> Self {
        Self { runner }
    }

    /// Runs `request` and returns the process output (the response files are in
    /// `output.files`). A non-zero exit, a timeout or an output that cannot be applied is
    /// [`DirectRunError::Failed`].
    pub async fn run(&self, request: DirectRun) -> Result<HookRunOutput, DirectRunError> {
        let runner = &self.runner;
        let hook = runner
            .registry()
            .get(&request.hook)
            .cloned()
            .ok_or_else(|| DirectRunError::UnknownHook(request.hook.clone()))?;
        let mut run = HookRun {
            hook: request.hook,
            binding_type: request.binding_type,
            binding: request.binding,
            queue: DIRECT_QUEUE.to_owned(),
            allow_failure: false,
            format: ContextFormat::V1,
            contexts: request.contexts,
            synchronizations: Vec::new(),
        };
        tokio::select! {
            () = hook.rate_limiter.acquire() => {}
            () = runner.killed() => return Err(DirectRunError::ShuttingDown),
        }
        let observer = &runner.extensions().observer;
        observer.run_started(&run, DIRECT_QUEUE, Duration::ZERO);
        let result = runner.execute(&hook, &mut run, DIRECT_QUEUE).await;
        let report = RunReport {
            outcome: if result.is_ok() {
                RunOutcome::Success
            } else {
                RunOutcome::Failed
            },
            duration: match &result {
                Ok(output) => output.duration,
                Err((_, Some(measured))) => measured.0,
                Err((_, None)) => Duration::ZERO,
            },
            usage: match &result {
                Ok(output) => output.usage,
                Err((_, measured)) => measured.and_then(|m| m.1),
            },
        };
        observer.run_finished(&run, DIRECT_QUEUE, &report);
        result.map_err(|(message, _)| {
            tracing::error!(hook = %run.hook, binding = %run.binding, error = %message, "webhook hook failed");
            DirectRunError::Failed(message)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::clock::SystemClock;
    use crate::discovery::HookFile;
    use crate::extensions::{Extensions, RunObserver};
    use crate::hook::{Hook, HookRegistry};
    use crate::{Engine, EngineConfig, RunnerConfig};

    #[derive(Default)]
    struct Seen(Mutex<Vec<(String, String, RunOutcome)>>);

    impl RunObserver for Seen {
        fn run_finished(&self, run: &HookRun, queue: &str, report: &RunReport) {
            self.0
                .lock()
                .unwrap()
                .push((run.binding.clone(), queue.to_owned(), report.outcome));
        }
    }

    fn engine(dir: &Path, body: &str, observer: Arc<Seen>) -> Engine {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("hook.sh");
        std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = hook_config::parse_hook_config(
            "hook.sh",
            br#"{"configVersion":"v1","kubernetesValidating":[{"name":"policy.example.com",
                "rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],
                "resources":["configmaps"]}]}]}"#,
        )
        .unwrap();
        let hook = Hook::new(
            HookFile {
                name: "hook.sh".into(),
                path,
            },
            config,
        );
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
        let extensions = Extensions {
            observer,
            ..Extensions::default()
        };
        Engine::new(
            HookRegistry::new([hook]),
            config,
            extensions,
            Arc::new(SystemClock),
        )
    }

    fn request() -> DirectRun {
        let review = Arc::new(json!({"request": {"uid": "u1"}}));
        DirectRun {
            hook: "hook.sh".into(),
            binding: "policy.example.com".into(),
            binding_type: BindingType::Validating,
            contexts: vec![BindingContext::validating("policy.example.com", review)],
        }
    }

    #[tokio::test]
    async fn a_direct_run_hands_the_context_to_the_hook_and_returns_its_response_file() {
        let tmp = tempfile::tempdir().unwrap();
        let seen = Arc::new(Seen::default());
        let engine = engine(
            tmp.path(),
            r#"uid=$(jq -r '.[0].review.request.uid' "$BINDING_CONTEXT_PATH")
echo "{\"allowed\":false,\"message\":\"$uid\"}" > "$VALIDATING_RESPONSE_PATH""#,
            Arc::clone(&seen),
        );
        let output = engine.direct_runs().run(request()).await.unwrap();
        let response: serde_json::Value =
            serde_json::from_slice(output.files.admission_response.as_deref().unwrap()).unwrap();
        assert_eq!(response, json!({"allowed": false, "message": "u1"}));
        assert_eq!(
            seen.0.lock().unwrap().as_slice(),
            [(
                "policy.example.com".to_owned(),
                DIRECT_QUEUE.to_owned(),
                RunOutcome::Success
            )]
        );
    }

    #[tokio::test]
    async fn a_failing_hook_or_an_unknown_hook_is_an_error_and_counted() {
        let tmp = tempfile::tempdir().unwrap();
        let seen = Arc::new(Seen::default());
        let engine = engine(tmp.path(), "echo nope >&2; exit 3", Arc::clone(&seen));
        let runs = engine.direct_runs();
        let err = runs.run(request()).await.unwrap_err();
        assert!(
            matches!(&err, DirectRunError::Failed(m) if m == "hook.sh FAILED: nope"),
            "{err}"
        );
        assert_eq!(seen.0.lock().unwrap()[0].2, RunOutcome::Failed);
        let unknown = DirectRun {
            hook: "other.sh".into(),
            ..request()
        };
        assert!(matches!(
            runs.run(unknown).await,
            Err(DirectRunError::UnknownHook(h)) if h == "other.sh"
        ));
    }
}
