//! Typed, validated bindings: one module per binding kind.

pub(crate) mod admission;
pub(crate) mod conversion;
pub(crate) mod kubernetes;
pub(crate) mod schedule;

/// The queue used when a binding names none.
pub const DEFAULT_QUEUE: &str = "main";

/// `queue` with upstream's default (`""` counts as unset).
pub(crate) fn queue_or_main(queue: Option<&String>) -> String {
    match queue {
        Some(queue) if !queue.is_empty() => queue.clone(),
        _ => DEFAULT_QUEUE.to_owned(),
    }
}

/// `group` where `""` means no group, as upstream.
pub(crate) fn non_empty(value: Option<&String>) -> Option<String> {
    value.filter(|v| !v.is_empty()).cloned()
}
