//! Structural OpenAPI v3 schema validation, defaulting and pruning for CustomResourceDefinitions.
//!
//! [`Schema::from_value`] compiles a CRD version's `openAPIV3Schema`; the API server then calls
//! [`Schema::default_and_prune`] and [`Schema::validate`] on every custom object it stores, and
//! reports violations with [`invalid_message`] and the [`FieldError`] causes.
//!
//! ```
//! use serde_json::json;
//!
//! let schema = crd_schema::Schema::from_value(&json!({
//!     "type": "object",
//!     "properties": {"spec": {"type": "object", "properties": {
//!         "replicas": {"type": "integer", "default": 1}
//!     }}}
//! }))?;
//! let mut obj = json!({"spec": {"unknown": true}});
//! schema.default_and_prune(&mut obj);
//! assert_eq!(obj, json!({"spec": {"replicas": 1}}));
//!
//! let errors = schema.validate(&json!({"spec": {"replicas": "two"}}));
//! assert_eq!(
//!     crd_schema::invalid_message("CronTab", "stable.example.com", "x", &errors),
//!     r#"CronTab.stable.example.com "x" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#
//! );
//! # Ok::<(), crd_schema::SchemaError>(())
//! ```

mod default;
mod error;
mod field_error;
mod format;
mod go_format;
mod merge_meta;
mod prune;
mod schema;
mod validate;

pub use error::SchemaError;
pub use field_error::{FieldError, FieldErrorKind, invalid_message};
pub use schema::Schema;
