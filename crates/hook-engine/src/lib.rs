//! The hook engine shared by shell-operator and addon-operator: hook discovery, startup,
//! schedules, task handling.
//!
//! Flow: [`loader::load_hooks`] discovers executables and validates each `--config`;
//! [`engine::Engine`] queues the startup tasks ([`startup::startup_tasks`]), runs the queues with
//! [`runner::Runner`] as the task handler, turns schedule ticks into hook runs, and drains on
//! shutdown. Features outside the core plug in through [`extensions`].

pub mod clock;
pub mod direct;
pub mod discovery;
pub mod engine;
pub mod extensions;
pub mod hook;
pub mod loader;
pub mod runner;
pub mod schedule;
pub mod startup;
pub mod task;

pub use direct::{DIRECT_QUEUE, DirectRun, DirectRunError, DirectRuns};
pub use engine::{Engine, EngineConfig, EngineEvent};
pub use extensions::{
    Extensions, HookOutputSink, KubernetesBindings, NoObserver, RunObserver, RunOutcome, RunReport,
    SnapshotSource,
};
pub use hook::{Hook, HookRegistry};
pub use loader::{LoadError, LoadOptions, load_hook_files, load_hooks};
pub use runner::RunnerConfig;
pub use task::{BindingType, EngineTask, HookRun};
