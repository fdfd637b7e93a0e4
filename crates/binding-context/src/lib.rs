//! Binding-context JSON shapes handed to hooks.
//!
//! The engine records what happened as [`BindingContext`] values; [`render`] writes the exact
//! JSON array a hook reads from `$BINDING_CONTEXT_PATH` (v1 and legacy v0 shapes, plus
//! addon-operator's lifecycle contexts), and [`combine`] holds upstream's rules for folding
//! consecutive queued runs of one hook into one run.
//!
//! Objects are [`ObjectJson`] (shared compact JSON text) and item lists `Arc<[ObjectItem]>`, so
//! snapshots read once per run are shared by every context of that run without copies.
//!
//! ```
//! use std::sync::Arc;
//! use binding_context::{BindingContext, ContextFormat, ObjectItem, WatchEvent, render};
//!
//! let pod = Arc::new(serde_json::json!({"kind": "Pod", "metadata": {"name": "a"}}));
//! let ctx = BindingContext::event("pods", WatchEvent::Added, ObjectItem::new(pod, None));
//! let file = render(&[ctx], ContextFormat::V1)?;
//! let json: serde_json::Value = serde_json::from_slice(&file)?;
//! assert_eq!(json[0]["type"], "Event");
//! assert_eq!(json[0]["watchEvent"], "Added");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod combine;
mod context;
mod object;
mod render;

pub use combine::{
    combine, compact_emergency, compact_groups, head_allows_combining, plan_combine,
};
pub use context::{
    BindingContext, ContextEvent, Items, ObjectItem, Snapshots, WatchEvent, collect_snapshots,
    filter_result_from_outputs,
};
pub use object::ObjectJson;
pub use render::{ContextFormat, RenderError, render, render_to_writer, to_value};
