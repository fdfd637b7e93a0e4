//! The `$KUBERNETES_PATCH_PATH` object patcher: parse the operations a hook wrote, then apply them.
//!
//! [`parse_operations`] rejects the whole file at the first invalid document; [`ObjectPatcher::apply_all`]
//! runs every operation and returns all failures together (the engine then fails the hook run).
//! [`Operation::ignore_hook_error`] tells the engine which operations to apply even when the hook failed.

mod apply;
mod error;
mod operation;
mod parse;

pub use apply::{ObjectPatcher, PatcherConfig};
pub use error::{FailedOperation, OperationError, ParseError, PatchErrors};
pub use operation::{Action, CreateMode, DeleteMode, Operation, Target};
pub use parse::parse_operations;
