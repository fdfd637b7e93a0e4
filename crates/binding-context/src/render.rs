//! The `$BINDING_CONTEXT_PATH` file: a JSON array of contexts, shaped by upstream's rules.
//!
//! Keys of each context and item are written in alphabetical order, as Go's `encoding/json`
//! writes the maps upstream builds; the array is indented by two spaces like upstream's
//! `MarshalIndent` and ends with a newline. Objects and reviews are written as given.

use std::io::Write;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::context::{BindingContext, ContextEvent, ObjectItem, Snapshots};
use crate::object::ObjectJson;

/// Which context shapes a hook gets: its config version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextFormat {
    /// Legacy: `{"binding"}`, plus `resourceEvent`/`resourceKind`/... for kubernetes events.
    V0,
    /// The current shapes.
    V1,
}

/// The file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Serializing or writing failed (for example, the disk is full).
    #[error("write binding context")]
    Write(#[source] serde_json::Error),
}

struct ItemView<'a>(&'a ObjectItem);

impl Serialize for ItemView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(filter_result) = &self.0.filter_result {
            map.serialize_entry("filterResult", filter_result.as_ref())?;
        }
        if let Some(object) = &self.0.object {
            map.serialize_entry("object", object)?;
        }
        map.end()
    }
}

struct ItemsView<'a>(&'a [ObjectItem]);

impl Serialize for ItemsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&ItemView(item))?;
        }
        seq.end()
    }
}

struct SnapshotsView<'a>(&'a Snapshots);

impl Serialize for SnapshotsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, items) in self.0 {
            map.serialize_entry(name, &ItemsView(items))?;
        }
        map.end()
    }
}

struct V1View<'a>(&'a BindingContext);

impl Serialize for V1View<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ctx = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("binding", &ctx.binding)?;
        let snapshots = ctx.snapshots.as_ref().map(SnapshotsView);
        // Admission and conversion contexts never become Group contexts: their group only adds
        // snapshots.
        let group = match ctx.event {
            ContextEvent::Schedule
            | ContextEvent::Synchronization { .. }
            | ContextEvent::Event { .. } => ctx.group.as_deref(),
            _ => None,
        };
        if let Some(group) = group {
            map.serialize_entry("groupName", group)?;
            if let Some(snapshots) = &snapshots {
                map.serialize_entry("snapshots", snapshots)?;
            }
            map.serialize_entry("type", "Group")?;
            return map.end();
        }
        match &ctx.event {
            ContextEvent::OnStartup => {}
            ContextEvent::Lifecycle => {
                if let Some(snapshots) = &snapshots {
                    map.serialize_entry("snapshots", snapshots)?;
                }
            }
            ContextEvent::Schedule => {
                if let Some(snapshots) = &snapshots {
                    map.serialize_entry("snapshots", snapshots)?;
                }
                map.serialize_entry("type", "Schedule")?;
            }
            ContextEvent::Synchronization { objects } => {
                map.serialize_entry("objects", &ItemsView(objects))?;
                if let Some(snapshots) = &snapshots {
                    map.serialize_entry("snapshots", snapshots)?;
                }
                map.serialize_entry("type", "Synchronization")?;
            }
            ContextEvent::Event { watch_event, item } => {
                if let Some(filter_result) = &item.filter_result {
                    map.serialize_entry("filterResult", filter_result.as_ref())?;
                }
                if let Some(object) = &item.object {
                    map.serialize_entry("object", object)?;
                }
                if let Some(snapshots) = &snapshots {
                    map.serialize_entry("snapshots", snapshots)?;
                }
                map.serialize_entry("type", "Event")?;
                map.serialize_entry("watchEvent", watch_event.as_str())?;
            }
            ContextEvent::Validating { review } | ContextEvent::Mutating { review } => {
                map.serialize_entry("review", review.as_ref())?;
                if let Some(snapshots) = &snapshots {
                    map.serialize_entry("snapshots", snapshots)?;
                }
                let kind = if matches!(ctx.event, ContextEvent::Validating { .. }) {
                    "Validating"
                } else {
                    "Mutating"
                };
                map.serialize_entry("type", kind)?;
            }
            ContextEvent::Conversion {
                from_version,
                to_version,
                review,
            } => {
                map.serialize_entry("fromVersion", from_version)?;
                map.serialize_entry("review", review.as_ref())?;
                if let Some(snapshots) = &snapshots {
                    map.serialize_entry("snapshots", snapshots)?;
                }
                map.serialize_entry("toVersion", to_version)?;
                map.serialize_entry("type", "Conversion")?;
            }
        }
        map.end()
    }
}

fn metadata_field<'a>(object: Option<&'a Value>, pointer: &str) -> &'a str {
    object
        .and_then(|o| o.pointer(pointer))
        .and_then(Value::as_str)
        .unwrap_or("")
}

struct V0View<'a>(&'a BindingContext);

impl Serialize for V0View<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ctx = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("binding", &ctx.binding)?;
        if let ContextEvent::Event { watch_event, item } = &ctx.event {
            let object = item.object.as_ref().map(ObjectJson::to_value);
            let object = object.as_ref();
            map.serialize_entry("resourceEvent", watch_event.v0_str())?;
            map.serialize_entry("resourceKind", metadata_field(object, "/kind"))?;
            map.serialize_entry("resourceName", metadata_field(object, "/metadata/name"))?;
            map.serialize_entry(
                "resourceNamespace",
                metadata_field(object, "/metadata/namespace"),
            )?;
        }
        map.end()
    }
}

struct ListView<'a>(&'a [BindingContext], ContextFormat);

impl Serialize for ListView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for ctx in self.0 {
            match self.1 {
                ContextFormat::V0 => seq.serialize_element(&V0View(ctx))?,
                ContextFormat::V1 => seq.serialize_element(&V1View(ctx))?,
            }
        }
        seq.end()
    }
}

/// Writes the contexts as the binding-context file content.
pub fn render_to_writer<W: Write>(
    mut writer: W,
    contexts: &[BindingContext],
    format: ContextFormat,
) -> Result<(), RenderError> {
    serde_json::to_writer_pretty(&mut writer, &ListView(contexts, format))
        .map_err(RenderError::Write)?;
    writer
        .write_all(b"\n")
        .map_err(|err| RenderError::Write(serde_json::Error::io(err)))
}

/// The binding-context file content: a JSON array (even for one context) and a newline.
pub fn render(contexts: &[BindingContext], format: ContextFormat) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(64 * contexts.len().max(1));
    render_to_writer(&mut out, contexts, format)?;
    Ok(out)
}

/// The contexts as a JSON value (for debugging endpoints and tests).
pub fn to_value(contexts: &[BindingContext], format: ContextFormat) -> Result<Value, RenderError> {
    serde_json::to_value(ListView(contexts, format)).map_err(RenderError::Write)
}
