//! Combining queued runs of one hook (reference §2.4), as pure functions the queue calls.
//!
//! When the task at the head of a queue starts, the queue asks [`plan_combine`] how many of the
//! tasks right behind it to fold in, removes them, and runs the hook once with
//! [`combine`] of all their contexts. Nothing is merged when tasks are queued.

use std::collections::HashMap;

use crate::context::BindingContext;
use crate::render::ContextFormat;

/// Whether a head task with these contexts may take in the tasks behind it: not for v0 hooks,
/// and not when the head is a kubernetes Synchronization without a group.
pub fn head_allows_combining(head: &[BindingContext], format: ContextFormat) -> bool {
    if format == ContextFormat::V0 {
        return false;
    }
    match head.first() {
        Some(first) => !(first.is_synchronization() && first.group.is_none()),
        None => true,
    }
}

/// How many tasks right behind the head to fold into its run.
///
/// `following` yields, for each task behind the head in queue order, `Some(hook name)` if it is
/// a hook-run task and `None` for any other task type. The walk stops at the first task that is
/// not a run of `head_hook`; it never looks past it.
pub fn plan_combine<'a>(
    head_hook: &str,
    head: &[BindingContext],
    format: ContextFormat,
    following: impl IntoIterator<Item = Option<&'a str>>,
) -> usize {
    if !head_allows_combining(head, format) {
        return 0;
    }
    following
        .into_iter()
        .take_while(|hook| *hook == Some(head_hook))
        .count()
}

/// Drops each context that is directly followed by one of the same non-empty group, so a run of
/// adjacent contexts of group G keeps only its last element.
pub fn compact_groups(contexts: Vec<BindingContext>) -> Vec<BindingContext> {
    let mut out: Vec<BindingContext> = Vec::with_capacity(contexts.len());
    for ctx in contexts {
        if let Some(last) = out.last()
            && last.group.is_some()
            && last.group == ctx.group
        {
            out.pop();
        }
        out.push(ctx);
    }
    out
}

/// The contexts of one combined run: the head task's contexts, then each folded task's contexts
/// in queue order, then group compaction.
pub fn combine(
    task_contexts: impl IntoIterator<Item = Vec<BindingContext>>,
) -> Vec<BindingContext> {
    compact_groups(task_contexts.into_iter().flatten().collect())
}

/// Emergency compaction (a hook with 100+ queued runs): every ungrouped context in order, then
/// the last context of each group. Groups come in order of first appearance (upstream uses Go
/// map order, which is random).
pub fn compact_emergency(
    task_contexts: impl IntoIterator<Item = Vec<BindingContext>>,
) -> Vec<BindingContext> {
    let mut ungrouped = Vec::new();
    let mut group_order: Vec<String> = Vec::new();
    let mut last_of_group: HashMap<String, BindingContext> = HashMap::new();
    for ctx in task_contexts.into_iter().flatten() {
        match &ctx.group {
            None => ungrouped.push(ctx),
            Some(group) => {
                if !last_of_group.contains_key(group) {
                    group_order.push(group.clone());
                }
                last_of_group.insert(group.clone(), ctx);
            }
        }
    }
    ungrouped.extend(group_order.iter().filter_map(|g| last_of_group.remove(g)));
    ungrouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{ObjectItem, WatchEvent};
    use crate::render::to_value;
    use serde_json::json;
    use std::sync::Arc;

    fn sync(group: Option<&str>) -> BindingContext {
        BindingContext::synchronization("sync", Arc::from(Vec::new())).with_group(group)
    }

    fn sched(name: &str, group: Option<&str>) -> BindingContext {
        BindingContext::schedule(name).with_group(group)
    }

    fn event(name: &str, group: Option<&str>) -> BindingContext {
        BindingContext::event(name, WatchEvent::Added, ObjectItem::default()).with_group(group)
    }

    #[test]
    fn the_reference_group_example_gives_five_contexts_and_leaves_three_tasks() {
        // [Sync(g), Sync(g), Sched(g), Event, Sched(g), Sched, Event(g), <EnableScheduleBindings>, Event]
        let g = Some("g");
        let tasks: Vec<(Option<&str>, Vec<BindingContext>)> = vec![
            (Some("h"), vec![sync(g)]),
            (Some("h"), vec![sync(g)]),
            (Some("h"), vec![sched("sched", g)]),
            (Some("h"), vec![event("event", None)]),
            (Some("h"), vec![sched("sched", g)]),
            (Some("h"), vec![sched("sched", None)]),
            (Some("h"), vec![event("event", g)]),
            (None, vec![]),
            (Some("h"), vec![event("event", None)]),
        ];
        let taken = plan_combine(
            "h",
            &tasks[0].1,
            ContextFormat::V1,
            tasks[1..].iter().map(|t| t.0),
        );
        assert_eq!(taken, 6);
        // The head stays queued until it is done: head + EnableScheduleBindings + Event.
        assert_eq!(tasks.len() - taken, 3);
        let combined = combine(tasks[..=taken].iter().map(|t| t.1.clone()));
        assert_eq!(
            to_value(&combined, ContextFormat::V1).unwrap(),
            json!([
                {"binding": "sched", "groupName": "g", "type": "Group"},
                {"binding": "event", "type": "Event", "watchEvent": "Added"},
                {"binding": "sched", "groupName": "g", "type": "Group"},
                {"binding": "sched", "type": "Schedule"},
                {"binding": "event", "groupName": "g", "type": "Group"},
            ])
        );
    }

    #[test]
    fn grouped_events_and_a_schedule_combine_into_a_group_and_an_event() {
        let g = Some("g");
        let tasks = [
            vec![event("e", g)],
            vec![event("e", g)],
            vec![sched("s", g)],
            vec![event("e", None)],
        ];
        let taken = plan_combine("h", &tasks[0], ContextFormat::V1, [Some("h"); 3]);
        assert_eq!(taken, 3);
        let combined = combine(tasks.iter().cloned());
        assert_eq!(combined.len(), 2);
        assert_eq!(combined[0].binding, "s");
        assert_eq!(combined[0].group.as_deref(), Some("g"));
        assert_eq!(combined[1].group, None);
    }

    #[test]
    fn an_ungrouped_synchronization_at_the_head_is_not_combined() {
        assert_eq!(
            plan_combine("h", &[sync(None)], ContextFormat::V1, [Some("h")]),
            0
        );
        assert_eq!(
            plan_combine("h", &[sync(Some("g"))], ContextFormat::V1, [Some("h")]),
            1
        );
    }

    #[test]
    fn a_task_of_another_hook_stops_the_walk() {
        let head = [event("e", None)];
        assert_eq!(
            plan_combine("h", &head, ContextFormat::V1, [Some("h2"), Some("h")]),
            0
        );
        assert_eq!(
            plan_combine("h", &head, ContextFormat::V1, [Some("h"), None, Some("h")]),
            1
        );
    }

    #[test]
    fn v0_hooks_are_never_combined() {
        assert_eq!(
            plan_combine("h", &[event("e", None)], ContextFormat::V0, [Some("h")]),
            0
        );
    }

    #[test]
    fn ungrouped_contexts_are_all_kept_in_order() {
        let combined = combine([
            vec![event("a", None)],
            vec![event("b", None), sched("c", None)],
        ]);
        let names: Vec<_> = combined.iter().map(|c| c.binding.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn emergency_compaction_keeps_ungrouped_then_the_last_of_each_group() {
        let contexts = vec![
            vec![event("g1-a", Some("g1"))],
            vec![event("x", None)],
            vec![event("g2-a", Some("g2"))],
            vec![event("g1-b", Some("g1"))],
            vec![event("y", None)],
        ];
        let names: Vec<_> = compact_emergency(contexts)
            .into_iter()
            .map(|c| c.binding)
            .collect();
        assert_eq!(names, ["x", "y", "g1-b", "g2-a"]);
    }
}
