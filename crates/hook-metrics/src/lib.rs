//! Metrics written by hooks to `$METRICS_PATH`, kept in a grouped store and served on `/metrics/hooks`.
//!
//! A hook writes JSON objects, one per line or concatenated:
//! `{"name":"n","action":"set|add|observe","value":1,"labels":{..},"buckets":[..],"group":"g"}`,
//! the shorthands `{"name":"n","set":1}` / `{"name":"n","add":1}`, and `{"group":"g","action":"expire"}`.
//! [`parse_operations`] turns the file into validated [`MetricOperation`]s (or an error naming the
//! line); [`HookMetricsStore::apply`] applies one run's batch with the documented group semantics.
//!
//! ```
//! use hook_metrics::{HookMetricsStore, parse_operations};
//!
//! let store = HookMetricsStore::default();
//! let ops = parse_operations(br#"{"name":"backups","add":1,"labels":{"kind":"full"}}"#)?;
//! store.apply_for_hook("backup.sh", &ops)?;
//! assert!(store.render().contains(r#"backups{hook="backup.sh",kind="full"} 1"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod format;
mod operation;
mod parse;
mod render;
mod store;

pub use error::{ApplyError, OperationProblem, ParseError};
pub use format::CONTENT_TYPE;
pub use operation::{Labels, MetricKind, MetricOperation, SeriesOperation, ValueOperation};
pub use parse::{parse_operations, read_metrics_file, values_with_offsets};
pub use store::HookMetricsStore;
