//! `queue list` and `queue main` in upstream's text and JSON forms (`pkg/task/dump`).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::format::{Format, Reply};
use crate::source::{MAIN_QUEUE, QueueView};

/// `/queue/main.{format}`.
pub fn main_queue(queues: &[QueueView], format: Format) -> Reply {
    let main = queues.iter().find(|q| q.name == MAIN_QUEUE);
    let (length, status, tasks) = match main {
        Some(q) => (q.length, q.status.as_str(), q.tasks.as_slice()),
        None => (0, "Queue is not created", &[][..]),
    };
    match format {
        Format::Text => {
            let mut buf = format!("Queue '{MAIN_QUEUE}': length {length}, status: '{status}'\n\n");
            push_tasks(&mut buf, tasks);
            Reply::Text(buf)
        }
        Format::Json | Format::Yaml => Reply::Data(queue_json(MAIN_QUEUE, length, status, tasks)),
    }
}

/// `/queue/list.{format}?showEmpty=`.
pub fn queue_list(queues: &[QueueView], format: Format, show_empty: bool) -> Reply {
    let mut sorted: Vec<&QueueView> = queues.iter().collect();
    sorted.sort_by(|a, b| {
        (a.name != MAIN_QUEUE)
            .cmp(&(b.name != MAIN_QUEUE))
            .then_with(|| a.name.cmp(&b.name))
    });
    let (active, empty): (Vec<&QueueView>, Vec<&QueueView>) =
        sorted.into_iter().partition(|q| q.length > 0);
    let main = queues.iter().find(|q| q.name == MAIN_QUEUE);
    let main_tasks = main.map_or(0, |q| q.length);
    let others = queues.iter().filter(|q| q.name != MAIN_QUEUE);
    let other_active = others.clone().filter(|q| q.length > 0).count();
    let other_empty = others.clone().filter(|q| q.length == 0).count();
    let other_tasks: usize = others.clone().map(|q| q.length).sum();
    // Upstream never reports a lone empty main queue as "empty queues".
    let show_empty = show_empty && (empty.is_empty() || other_active + other_empty != 0);

    match format {
        Format::Text => {
            let mut buf = String::new();
            for (i, q) in active.iter().enumerate() {
                if i > 0 {
                    buf.push('\n');
                }
                let _ = write!(
                    buf,
                    "Queue '{}': length {}, status: '{}'\n\n",
                    q.name, q.length, q.status
                );
                push_tasks(&mut buf, &q.tasks);
            }
            if show_empty {
                let _ = writeln!(buf, "\nEmpty queues ({}):", empty.len());
                for q in &empty {
                    let _ = writeln!(buf, "- {}", q.name);
                }
            }
            if active.is_empty() && empty.is_empty() {
                buf.push_str("Summary:\n  No queues.\n");
            } else {
                if !buf.is_empty() {
                    buf.push('\n');
                }
                buf.push_str("Summary:\n");
                let mut other_count = active.len() + empty.len();
                if let Some(main) = main {
                    other_count -= 1;
                    let tasks = if main.length > 0 { main.tasks.len() } else { 0 };
                    let _ = writeln!(
                        buf,
                        "- '{}' queue: {}.",
                        main.name,
                        pluralize(tasks, "empty", "task", "tasks")
                    );
                }
                if other_count > 0 {
                    let _ = writeln!(
                        buf,
                        "- {} ({other_active} active, {other_empty} empty): {}.",
                        pluralize(other_count, "", "other queue", "other queues"),
                        pluralize(other_tasks, "", "task", "tasks"),
                    );
                }
                let total = main_tasks + other_tasks;
                if total == 0 {
                    buf.push_str("- no tasks to handle.\n");
                } else {
                    let _ = writeln!(
                        buf,
                        "- total {} to handle.",
                        pluralize(total, "", "task", "tasks")
                    );
                }
            }
            Reply::Text(buf)
        }
        Format::Json | Format::Yaml => {
            let active: Vec<Value> = active
                .iter()
                .map(|q| queue_json(&q.name, q.length, &q.status, &q.tasks))
                .collect();
            let mut out = serde_json::Map::new();
            out.insert("active".into(), Value::Array(active));
            if show_empty && !empty.is_empty() {
                let empty: Vec<Value> = empty
                    .iter()
                    .map(|q| {
                        // Upstream keeps tasksCount only for the main queue; it is 0 anyway.
                        json!({"name": q.name, "tasksCount": 0})
                    })
                    .collect();
                out.insert("empty".into(), Value::Array(empty));
            }
            out.insert(
                "summary".into(),
                json!({
                    "mainQueueTasks": main_tasks,
                    "otherQueues": {"active": other_active, "empty": other_empty, "tasks": other_tasks},
                    "totalTasks": main_tasks + other_tasks,
                }),
            );
            Reply::Data(Value::Object(out))
        }
    }
}

fn queue_json(name: &str, length: usize, status: &str, tasks: &[String]) -> Value {
    let mut q = serde_json::Map::new();
    q.insert("name".into(), json!(name));
    q.insert("tasksCount".into(), json!(length));
    if !status.is_empty() {
        q.insert("status".into(), json!(status));
    }
    if !tasks.is_empty() {
        let tasks: Vec<Value> = tasks
            .iter()
            .enumerate()
            .map(|(i, d)| json!({"index": i + 1, "description": d}))
            .collect();
        q.insert("tasks".into(), Value::Array(tasks));
    }
    Value::Object(q)
}

fn push_tasks(buf: &mut String, tasks: &[String]) {
    for (i, description) in tasks.iter().enumerate() {
        let _ = writeln!(buf, "{:2}. {description}", i + 1);
    }
}

fn pluralize(n: usize, zero: &str, one: &str, many: &str) -> String {
    if n == 0 && !zero.is_empty() {
        return zero.to_owned();
    }
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, tasks: &[&str]) -> QueueView {
        QueueView {
            name: name.into(),
            length: tasks.len(),
            status: if tasks.is_empty() {
                String::new()
            } else {
                "run first task".into()
            },
            tasks: tasks.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    fn text(reply: Reply) -> String {
        match reply {
            Reply::Text(t) => t,
            Reply::Data(d) => d.to_string(),
        }
    }

    #[test]
    fn text_list_shows_main_first_then_sorted_queues_and_a_summary() {
        let queues = vec![
            q("zeta", &["z1"]),
            q("alpha", &[]),
            q("main", &["m1", "m2"]),
        ];
        let out = text(queue_list(&queues, Format::Text, true));
        assert_eq!(
            out,
            "Queue 'main': length 2, status: 'run first task'\n\n 1. m1\n 2. m2\n\n\
             Queue 'zeta': length 1, status: 'run first task'\n\n 1. z1\n\n\
             Empty queues (1):\n- alpha\n\n\
             Summary:\n- 'main' queue: 2 tasks.\n- 2 other queues (1 active, 1 empty): 1 task.\n- total 3 tasks to handle.\n"
        );
    }

    #[test]
    fn a_lone_empty_main_queue_is_not_listed_as_empty() {
        let out = text(queue_list(&[q("main", &[])], Format::Text, true));
        assert_eq!(
            out,
            "Summary:\n- 'main' queue: empty.\n- no tasks to handle.\n"
        );
    }

    #[test]
    fn json_list_hides_empty_queues_unless_asked() {
        let queues = vec![q("main", &["m1"]), q("other", &[])];
        let Reply::Data(hidden) = queue_list(&queues, Format::Json, false) else {
            unreachable!("json is data")
        };
        assert!(hidden.get("empty").is_none());
        assert_eq!(hidden["summary"]["otherQueues"]["empty"], 1);
        assert_eq!(hidden["active"][0]["tasks"][0]["index"], 1);
        let Reply::Data(shown) = queue_list(&queues, Format::Json, true) else {
            unreachable!("json is data")
        };
        assert_eq!(shown["empty"][0]["name"], "other");
    }

    #[test]
    fn a_missing_main_queue_says_it_is_not_created() {
        let out = text(main_queue(&[], Format::Text));
        assert_eq!(
            out,
            "Queue 'main': length 0, status: 'Queue is not created'\n\n"
        );
    }
}
