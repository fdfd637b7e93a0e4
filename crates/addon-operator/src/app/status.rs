//! Where the converges stand, for `/readyz` and `/status/converge`: the first converge not
//! started, in progress or done, and how many module steps the current converge has left
//! (upstream counts the converge tasks in the `main` queue; here they are the module runs and
//! deletes not done yet, failing ones waiting for their retry included).

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use axum::http::StatusCode;
use operator_http::ReadinessProbe;
use serde_json::{Value, json};

const NOT_STARTED: u8 = 0;
const STARTED: u8 = 1;
const DONE: u8 = 2;

/// Shared between the converger, which writes, and the HTTP server, which reads.
#[derive(Debug, Default)]
pub struct ConvergeStatus {
    first_run: AtomicU8,
    tasks: AtomicUsize,
}

impl ConvergeStatus {
    /// The first converge started.
    pub fn first_started(&self) {
        let _ = self.first_run.compare_exchange(
            NOT_STARTED,
            STARTED,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// The first converge finished with every module deployed: the operator is ready.
    pub fn first_done(&self) {
        self.first_run.store(DONE, Ordering::Release);
    }

    /// Module steps of the current converge not done yet.
    pub fn set_tasks(&self, tasks: usize) {
        self.tasks.store(tasks, Ordering::Release);
    }

    /// Whether the first converge is done (upstream's readiness).
    pub fn is_ready(&self) -> bool {
        self.first_run.load(Ordering::Acquire) == DONE
    }

    fn snapshot(&self) -> (u8, usize) {
        (
            self.first_run.load(Ordering::Acquire),
            self.tasks.load(Ordering::Acquire),
        )
    }

    /// The text of `/status/converge`, upstream's lines.
    pub fn text(&self) -> String {
        let lines = match self.snapshot() {
            (NOT_STARTED, _) => vec!["STARTUP_CONVERGE_NOT_STARTED".to_owned()],
            (STARTED, 0) => vec!["STARTUP_CONVERGE_DONE".to_owned()],
            (STARTED, n) => vec![format!("STARTUP_CONVERGE_IN_PROGRESS: {n} tasks")],
            (_, 0) => vec![
                "STARTUP_CONVERGE_DONE".to_owned(),
                "CONVERGE_WAIT_TASK".to_owned(),
            ],
            (_, n) => vec![
                "STARTUP_CONVERGE_DONE".to_owned(),
                format!("CONVERGE_IN_PROGRESS: {n} tasks"),
            ],
        };
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    /// `/status/converge?output=json`: every key, the counts 0 when they do not apply.
    pub fn json(&self) -> Value {
        let (phase, tasks) = self.snapshot();
        let done = phase == DONE;
        json!({
            "CONVERGE_IN_PROGRESS": if done { tasks } else { 0 },
            "CONVERGE_WAIT_TASK": done && tasks == 0,
            "STARTUP_CONVERGE_DONE": done || (phase == STARTED && tasks == 0),
            "STARTUP_CONVERGE_IN_PROGRESS": if phase == STARTED { tasks } else { 0 },
            "STARTUP_CONVERGE_NOT_STARTED": phase == NOT_STARTED,
        })
    }
}

impl ReadinessProbe for ConvergeStatus {
    /// Upstream's answers (without HA).
    fn probe(&self) -> (StatusCode, String) {
        if self.is_ready() {
            (StatusCode::OK, "Startup converge done.\n".to_owned())
        } else {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Startup converge in progress\n".to_owned(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_follow_the_first_converge_then_later_ones() {
        let s = ConvergeStatus::default();
        assert_eq!(s.text(), "STARTUP_CONVERGE_NOT_STARTED\n");
        assert_eq!(s.probe().0, StatusCode::INTERNAL_SERVER_ERROR);
        s.first_started();
        s.set_tasks(2);
        assert_eq!(s.text(), "STARTUP_CONVERGE_IN_PROGRESS: 2 tasks\n");
        assert_eq!(
            s.probe(),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Startup converge in progress\n".to_owned()
            )
        );
        s.set_tasks(0);
        s.first_done();
        assert_eq!(s.text(), "STARTUP_CONVERGE_DONE\nCONVERGE_WAIT_TASK\n");
        assert_eq!(
            s.probe(),
            (StatusCode::OK, "Startup converge done.\n".to_owned())
        );
        s.first_started();
        s.set_tasks(3);
        assert_eq!(
            s.text(),
            "STARTUP_CONVERGE_DONE\nCONVERGE_IN_PROGRESS: 3 tasks\n"
        );
    }

    #[test]
    fn json_has_every_key_as_upstream() {
        let s = ConvergeStatus::default();
        assert_eq!(
            s.json(),
            json!({"CONVERGE_IN_PROGRESS": 0, "CONVERGE_WAIT_TASK": false,
                   "STARTUP_CONVERGE_DONE": false, "STARTUP_CONVERGE_IN_PROGRESS": 0,
                   "STARTUP_CONVERGE_NOT_STARTED": true})
        );
        s.first_started();
        s.set_tasks(1);
        assert_eq!(s.json()["STARTUP_CONVERGE_IN_PROGRESS"], 1);
        s.set_tasks(0);
        s.first_done();
        assert_eq!(
            s.json(),
            json!({"CONVERGE_IN_PROGRESS": 0, "CONVERGE_WAIT_TASK": true,
                   "STARTUP_CONVERGE_DONE": true, "STARTUP_CONVERGE_IN_PROGRESS": 0,
                   "STARTUP_CONVERGE_NOT_STARTED": false})
        );
    }
}
