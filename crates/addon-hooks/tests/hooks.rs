//! Real shell hooks (bash + jq) run through `run_addon_hook`, their outcomes committed to the
//! values: reference §6 scenarios 9, 10, 11, 16 and 23 as far as they do not need the operator
//! loop, plus the files and env a hook gets.
#![allow(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use addon_hooks::{
    AddonHook, Committed, DynamicEnabled, HookInput, HookOutcome, HookOwner, LifecycleBinding,
    LoadConfig, RunConfig, RunError, StoredPatches, ValuesTarget, commit_outcome, lifecycle_order,
    load_global_hooks, load_module_hooks, run_addon_hook, values_document,
};
use addon_modules::schema::Schemas;
use binding_context::Snapshots;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

fn env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())]
}

/// Writes an executable bash hook printing `config` on `--config` and running `body` otherwise.
fn hook(dir: &Path, rel: &str, config: &str, body: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = format!(
        "#!/bin/bash\nset -euo pipefail\nif [ \"${{1:-}}\" = --config ]; then cat <<'CFG'\n{config}\nCFG\nexit 0; fi\n{body}\n"
    );
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    tmp: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        Fixture {
            _dir: dir,
            root,
            tmp,
        }
    }

    fn module_dir(&self) -> PathBuf {
        self.root.join("modules/001-some-module")
    }

    fn run_config(&self) -> RunConfig {
        let mut config = RunConfig::new(self.tmp.clone(), env());
        config.timeout = Some(Duration::from_secs(30));
        config
    }

    async fn module_hooks(&self) -> Vec<AddonHook> {
        let owner = HookOwner::Module {
            name: "some-module".into(),
            key: "someModule".into(),
        };
        load_module_hooks(
            &self.module_dir(),
            owner,
            &load_config(),
            &CancellationToken::new(),
        )
        .await
        .unwrap()
    }

    fn tmp_is_empty(&self) -> bool {
        std::fs::read_dir(&self.tmp).unwrap().next().is_none()
    }
}

fn load_config() -> LoadConfig {
    LoadConfig {
        env: env(),
        config_timeout: Duration::from_secs(30),
    }
}

/// The values state of `someModule` the way the operator will hold it.
struct ModuleState {
    schemas: Schemas,
    config: Value,
    base: Map<String, Value>,
    patches: StoredPatches,
    enabled: DynamicEnabled,
}

impl ModuleState {
    fn effective(&self) -> Map<String, Value> {
        self.patches.replay("someModule", &self.base).unwrap()
    }

    fn input(&self, owner: &HookOwner, binding: LifecycleBinding) -> HookInput {
        HookInput::lifecycle(
            binding,
            Snapshots::new(),
            values_document(owner, Map::new(), self.config.clone()),
            values_document(owner, map(json!({"g": 1})), Value::Object(self.effective())),
        )
    }

    async fn run(&self, fx: &Fixture, hook: &AddonHook) -> Result<HookOutcome, RunError> {
        let input = self.input(&hook.owner, LifecycleBinding::BeforeHelm);
        run_addon_hook(&fx.run_config(), hook, &input, &CancellationToken::new()).await
    }

    fn commit(&mut self, outcome: &HookOutcome) -> Result<Committed, addon_hooks::CommitError> {
        let values = self.effective();
        let target = ValuesTarget {
            key: "someModule",
            schemas: &self.schemas,
            config: Some(&self.config),
            values: &values,
        };
        let committed = commit_outcome(outcome, target, &mut self.patches, &mut self.enabled)?;
        if let Some(section) = &committed.config_section {
            // What the operator does after writing the ConfigMap: the section is the new config.
            self.config = section.values.clone();
            self.base = map(section.values.clone());
        }
        Ok(committed)
    }
}

fn module_state(fx: &Fixture) -> ModuleState {
    write(
        &fx.module_dir().join("openapi/config-values.yaml"),
        "type: object\nproperties:\n  param1: {type: string}\n  param3: {type: string}\n",
    );
    write(
        &fx.module_dir().join("openapi/values.yaml"),
        "x-extend: {schema: config-values.yaml}\ntype: object\nproperties:\n  \
         internal: {type: object, default: {}, additionalProperties: {type: string}}\n",
    );
    let schemas = Schemas::load(&fx.module_dir().join("openapi")).unwrap();
    ModuleState {
        schemas,
        config: json!({"param1": "one"}),
        base: map(json!({"param1": "one", "internal": {}})),
        patches: StoredPatches::default(),
        enabled: DynamicEnabled::default(),
    }
}

const BEFORE_HELM: &str = r#"{"configVersion":"v1","beforeHelm":1}"#;

#[tokio::test]
async fn a_hook_gets_its_binding_context_values_and_config_values_files() {
    let fx = Fixture::new();
    // Every check fails the hook (exit 1) if the file is not as reference §2.4 says.
    hook(
        &fx.module_dir(),
        "hooks/check.sh",
        BEFORE_HELM,
        r#"
jq -e '. == [{"binding":"beforeHelm","snapshots":{}}]' "$BINDING_CONTEXT_PATH" >/dev/null
jq -e '. == {"global":{},"someModule":{"param1":"one"}}' "$CONFIG_VALUES_PATH" >/dev/null
jq -e '.global.g == 1 and .someModule.internal == {}' "$VALUES_PATH" >/dev/null
for f in "$VALUES_JSON_PATCH_PATH" "$CONFIG_VALUES_JSON_PATCH_PATH" "$METRICS_PATH" "$KUBERNETES_PATCH_PATH"; do
  { [ -f "$f" ] && [ ! -s "$f" ]; } || exit 1
done
test "$(stat -c %a "$VALUES_PATH")" = 600
"#,
    );
    let state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let outcome = state.run(&fx, &hooks[0]).await.unwrap();
    assert!(outcome.is_empty());
    assert_eq!(outcome.hook, "hooks/check.sh");
    assert!(fx.tmp_is_empty(), "every file of the run is removed");
}

#[tokio::test]
async fn scenario_9_a_config_patch_becomes_the_configmap_section_and_the_next_config_values() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/a-write.sh",
        BEFORE_HELM,
        r#"echo '[{"op":"add","path":"/someModule/param3","value":"newValue"}]' > "$CONFIG_VALUES_JSON_PATCH_PATH""#,
    );
    hook(
        &fx.module_dir(),
        "hooks/b-read.sh",
        r#"{"configVersion":"v1","beforeHelm":2}"#,
        r#"test "$(jq -r .someModule.param3 "$CONFIG_VALUES_PATH")" = newValue"#,
    );
    let mut state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let order = lifecycle_order(&hooks, LifecycleBinding::BeforeHelm);
    let outcome = state.run(&fx, order[0]).await.unwrap();
    let committed = state.commit(&outcome).unwrap();
    let section = committed.config_section.unwrap();
    assert_eq!(section.key, "someModule");
    assert_eq!(
        section.to_yaml().unwrap(),
        "param1: one\nparam3: newValue\n"
    );
    assert!(
        state.patches.operations().is_empty(),
        "config patches are not stored"
    );
    // The next run sees it in $CONFIG_VALUES_PATH.
    let outcome = state.run(&fx, order[1]).await.unwrap();
    assert!(outcome.is_empty());
}

#[tokio::test]
async fn scenario_10_a_values_patch_stays_in_memory() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/values.sh",
        BEFORE_HELM,
        r#"echo '[{"op":"add","path":"/someModule/param3","value":"newValue"}]' > "$VALUES_JSON_PATCH_PATH""#,
    );
    let mut state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let outcome = state.run(&fx, &hooks[0]).await.unwrap();
    let committed = state.commit(&outcome).unwrap();
    assert_eq!(committed.config_section, None, "the ConfigMap is unchanged");
    assert_eq!(state.config, json!({"param1": "one"}));
    assert_eq!(state.effective()["param3"], json!("newValue"));
    assert_eq!(
        addon_hooks::patch::to_json(state.patches.operations()),
        json!([{"op": "add", "path": "/someModule/param3", "value": "newValue"}])
    );
}

#[tokio::test]
async fn scenario_11_patch_rules_for_module_hooks() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/global.sh",
        BEFORE_HELM,
        r#"echo '[{"op":"add","path":"/global/x","value":1}]' > "$VALUES_JSON_PATCH_PATH""#,
    );
    hook(
        &fx.module_dir(),
        "hooks/replace.sh",
        BEFORE_HELM,
        r#"echo '[{"op":"replace","path":"/someModule/param1","value":"x"}]' > "$CONFIG_VALUES_JSON_PATCH_PATH""#,
    );
    hook(
        &fx.module_dir(),
        "hooks/two-lines.sh",
        BEFORE_HELM,
        r#"
echo '{"op":"add","path":"/someModule/internal/a","value":"1"}' >> "$VALUES_JSON_PATCH_PATH"
echo '{"op":"add","path":"/someModule/internal/b","value":"2"}' >> "$VALUES_JSON_PATCH_PATH"
"#,
    );
    let mut state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let err = state.run(&fx, &hooks[0]).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "hook 'hooks/global.sh': $VALUES_JSON_PATCH_PATH: unacceptable patch operation for path 'global' (only 'someModule' accepted): path '/global/x'"
    );
    let err = state.run(&fx, &hooks[1]).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "hook 'hooks/replace.sh': $CONFIG_VALUES_JSON_PATCH_PATH: unsupported patch operation 'replace': path '/someModule/param1'"
    );
    let outcome = state.run(&fx, &hooks[2]).await.unwrap();
    state.commit(&outcome).unwrap();
    assert_eq!(
        state.effective()["internal"],
        json!({"a": "1", "b": "2"}),
        "both lines are applied"
    );
    assert!(fx.tmp_is_empty());
}

#[tokio::test]
async fn a_failed_hook_returns_an_error_and_no_patches() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/fail.sh",
        BEFORE_HELM,
        r#"
echo '[{"op":"add","path":"/someModule/param3","value":"x"}]' > "$VALUES_JSON_PATCH_PATH"
echo 'something broke' >&2
exit 3
"#,
    );
    let state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let err = state.run(&fx, &hooks[0]).await.unwrap_err();
    assert!(matches!(err, RunError::Failed { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "hook 'hooks/fail.sh' failed: something broke"
    );
    assert!(fx.tmp_is_empty());
}

#[tokio::test]
async fn a_strictly_failing_values_patch_or_an_invalid_one_leaves_the_values_alone() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/a-no-parent.sh",
        BEFORE_HELM,
        r#"echo '{"op":"add","path":"/someModule/nope/x","value":"1"}' > "$VALUES_JSON_PATCH_PATH""#,
    );
    hook(
        &fx.module_dir(),
        "hooks/b-invalid.sh",
        BEFORE_HELM,
        r#"echo '{"op":"add","path":"/someModule/internal/n","value":{"not":"a string"}}' > "$VALUES_JSON_PATCH_PATH""#,
    );
    let mut state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let outcome = state.run(&fx, &hooks[0]).await.unwrap();
    let err = state.commit(&outcome).unwrap_err().to_string();
    assert_eq!(
        err,
        "hook 'hooks/a-no-parent.sh': values patch: apply patch operation 'add' for path '/someModule/nope/x': path is invalid"
    );
    let outcome = state.run(&fx, &hooks[1]).await.unwrap();
    let err = state.commit(&outcome).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "hook 'hooks/b-invalid.sh': values patch: values of 'someModule' are not valid: someModule.internal.n"
        ),
        "{err}"
    );
    assert!(state.patches.operations().is_empty());
}

#[tokio::test]
async fn scenario_16_and_23_global_hooks_config_validation_and_dynamic_enabled() {
    let fx = Fixture::new();
    let global_dir = fx.root.join("global-hooks");
    write(
        &global_dir.join("openapi/config-values.yaml"),
        "type: object\nproperties:\n  clusterHostname: {type: string}\n",
    );
    hook(
        &global_dir,
        "hooks/100-bad-config.sh",
        r#"{"configVersion":"v1","beforeAll":10}"#,
        r#"echo '[{"op":"add","path":"/global/clusterHostname","value":{}}]' > "$CONFIG_VALUES_JSON_PATCH_PATH""#,
    );
    hook(
        &global_dir,
        "hooks/200-disable-foo.sh",
        r#"{"configVersion":"v1","beforeAll":5}"#,
        r#"
jq -e '. == {"global":{"clusterHostname":"a.b"}}' "$CONFIG_VALUES_PATH" >/dev/null
echo '[{"op":"add","path":"/fooEnabled","value":false},{"op":"add","path":"/global/discovered","value":"yes"}]' > "$VALUES_JSON_PATCH_PATH"
"#,
    );
    hook(
        &global_dir,
        "hooks/300-enable-foo-again.sh",
        r#"{"configVersion":"v1","afterAll":1}"#,
        r#"echo '[{"op":"remove","path":"/fooEnabled"}]' > "$VALUES_JSON_PATCH_PATH""#,
    );
    let hooks = load_global_hooks(&global_dir, &load_config(), &CancellationToken::new())
        .await
        .unwrap();
    let before_all: Vec<&str> = lifecycle_order(&hooks, LifecycleBinding::BeforeAll)
        .iter()
        .map(|h| h.name())
        .collect();
    assert_eq!(before_all, vec!["200-disable-foo.sh", "100-bad-config.sh"]);
    let schemas = Schemas::load(&global_dir.join("openapi")).unwrap();
    let config = json!({"clusterHostname": "a.b"});
    let base = map(config.clone());
    let mut patches = StoredPatches::default();
    let mut enabled = DynamicEnabled::default();
    let run = async |hook: &AddonHook, binding, patches: &StoredPatches| {
        let values = patches.replay("global", &base).unwrap();
        let input = HookInput::lifecycle(
            binding,
            Snapshots::new(),
            values_document(&hook.owner, map(config.clone()), Value::Null),
            values_document(&hook.owner, values, Value::Null),
        );
        run_addon_hook(&fx.run_config(), hook, &input, &CancellationToken::new())
            .await
            .unwrap()
    };
    let commit =
        |outcome: &HookOutcome, patches: &mut StoredPatches, enabled: &mut DynamicEnabled| {
            let values = patches.replay("global", &base).unwrap();
            let target = ValuesTarget {
                key: "global",
                schemas: &schemas,
                config: Some(&config),
                values: &values,
            };
            commit_outcome(outcome, target, patches, enabled)
        };

    // Scenario 16: the hook fails, the ConfigMap is untouched.
    let bad = hooks
        .iter()
        .find(|h| h.name() == "100-bad-config.sh")
        .unwrap();
    let outcome = run(bad, LifecycleBinding::BeforeAll, &patches).await;
    let err = commit(&outcome, &mut patches, &mut enabled)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "hook '100-bad-config.sh': config values patch: ConfigMap key 'global': config values are not valid: global.clusterHostname"
        ),
        "{err}"
    );
    assert!(patches.operations().is_empty());

    // Scenario 23: `/fooEnabled` goes to the dynamic flags, `/global/...` to the values.
    let disable = hooks
        .iter()
        .find(|h| h.name() == "200-disable-foo.sh")
        .unwrap();
    let outcome = run(disable, LifecycleBinding::BeforeAll, &patches).await;
    let committed = commit(&outcome, &mut patches, &mut enabled).unwrap();
    assert!(committed.enabled_changed);
    assert_eq!(enabled.get("foo"), Some(false));
    assert_eq!(
        Value::Object(committed.values.unwrap()),
        json!({"clusterHostname": "a.b", "discovered": "yes"})
    );
    assert_eq!(
        addon_hooks::patch::to_json(patches.operations()),
        json!([{"op": "add", "path": "/global/discovered", "value": "yes"}])
    );
    // A remove without a value (HEAD needs a dummy value) clears the flag.
    let again = hooks
        .iter()
        .find(|h| h.name() == "300-enable-foo-again.sh")
        .unwrap();
    let outcome = run(again, LifecycleBinding::AfterAll, &patches).await;
    let committed = commit(&outcome, &mut patches, &mut enabled).unwrap();
    assert!(committed.enabled_changed);
    assert_eq!(enabled.get("foo"), None);
    assert!(fx.tmp_is_empty());
}

#[tokio::test]
async fn metrics_and_object_patches_come_back_parsed() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/out.sh",
        BEFORE_HELM,
        r#"
echo '{"name":"some_metric","action":"set","value":3}' >> "$METRICS_PATH"
echo '{"operation":"Delete","kind":"ConfigMap","namespace":"ns","name":"old"}' >> "$KUBERNETES_PATCH_PATH"
"#,
    );
    let state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let outcome = state.run(&fx, &hooks[0]).await.unwrap();
    assert_eq!(outcome.metrics.len(), 1);
    assert_eq!(outcome.object_patches.len(), 1);
}

#[tokio::test]
async fn kept_files_stay_for_debugging_and_a_cancelled_run_removes_its_files() {
    let fx = Fixture::new();
    hook(
        &fx.module_dir(),
        "hooks/a-quick.sh",
        BEFORE_HELM,
        r#"echo '{"op":"add","path":"/someModule/param3","value":"x"}' > "$VALUES_JSON_PATCH_PATH""#,
    );
    hook(&fx.module_dir(), "hooks/b-slow.sh", BEFORE_HELM, "sleep 30");
    let state = module_state(&fx);
    let hooks = fx.module_hooks().await;
    let input = state.input(&hooks[0].owner, LifecycleBinding::BeforeHelm);

    let mut keep = fx.run_config();
    keep.tmp_files = hook_exec::TmpFiles::Keep;
    let outcome = run_addon_hook(&keep, &hooks[0], &input, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome.values_patch.len(), 1);
    let kept: Vec<String> = std::fs::read_dir(&fx.tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        kept.len(),
        7,
        "four values files, the binding context, metrics and object patches: {kept:?}"
    );
    assert!(
        kept.iter()
            .any(|n| n.starts_with("hook-hooks-a-quick-sh-values-json-patch-")),
        "{kept:?}"
    );
    for entry in std::fs::read_dir(&fx.tmp).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }

    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
    });
    let err = run_addon_hook(&fx.run_config(), &hooks[1], &input, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Exec { .. }), "{err}");
    assert!(fx.tmp_is_empty());
}
