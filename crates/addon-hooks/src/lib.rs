//! addon-operator's global and module hooks, the self-contained core: values patches
//! ([`patch`]: the JSON stream format, the rules, strict and replay application, compaction,
//! `*Enabled` flags), hook configs with the addon bindings ([`config`]), hook discovery and
//! ordering ([`discovery`]), running a hook with its values files ([`run`]) into a parsed
//! [`HookOutcome`] ([`outcome`]), the stored patches of a values owner ([`store`]) and applying
//! an outcome to them ([`commit`]).
//!
//! Not wired into the `addon-operator` binary yet: see the crate README for what the wiring
//! step must do.

pub mod commit;
pub mod config;
pub mod discovery;
pub mod outcome;
pub mod patch;
pub mod run;
pub mod store;

pub use commit::{CommitError, Committed, ConfigSection, ValuesTarget, commit_outcome};
pub use config::{HookKind, LifecycleBinding, parse_addon_hook_config};
pub use discovery::{
    AddonHook, HookOwner, LoadConfig, LoadHooksError, discover_global_hooks, discover_module_hooks,
    global_hooks_root, lifecycle_order, load_global_hooks, load_module_hooks, startup_order,
};
pub use outcome::{HookOutcome, OutcomeError, OutputFiles, parse_outcome};
pub use patch::enabled::{DynamicEnabled, EnabledOperation};
pub use patch::rules::{PatchScope, RuleError};
pub use patch::{PatchFile, PatchOp, PatchOperation};
pub use run::{HookInput, RunConfig, RunError, run_addon_hook, values_document};
pub use store::StoredPatches;
