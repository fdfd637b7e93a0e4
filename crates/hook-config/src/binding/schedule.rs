//! `schedule` bindings.

use crate::crontab::Crontab;
use crate::error::{Problems, join};
use crate::raw::RawScheduleV1;

use super::{non_empty, queue_or_main};

/// A validated `schedule` binding.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleBinding {
    /// Binding name (default `schedule`; several bindings may share it).
    pub name: String,
    /// The parsed crontab.
    pub crontab: Crontab,
    /// Do not retry a failed run.
    pub allow_failure: bool,
    /// Names of kubernetes bindings whose snapshots are added (after the group merge).
    pub include_snapshots_from: Vec<String>,
    /// Queue name (default `main`).
    pub queue: String,
    /// Group name, if any.
    pub group: Option<String>,
}

pub(crate) fn parse_crontab(text: &str, path: &str, problems: &mut Problems) -> Option<Crontab> {
    match Crontab::parse(text) {
        Ok(crontab) => Some(crontab),
        Err(err) => {
            problems.push(join(path, "crontab"), format!("is invalid: {err}"));
            None
        }
    }
}

pub(crate) fn from_raw(
    raw: &RawScheduleV1,
    path: &str,
    problems: &mut Problems,
) -> Option<ScheduleBinding> {
    let crontab = parse_crontab(&raw.crontab, path, problems)?;
    Some(ScheduleBinding {
        name: raw.name.clone().unwrap_or_else(|| "schedule".to_owned()),
        crontab,
        allow_failure: raw.allow_failure.unwrap_or(false),
        include_snapshots_from: raw.include_snapshots_from.clone().unwrap_or_default(),
        queue: queue_or_main(raw.queue.as_ref()),
        group: non_empty(raw.group.as_ref()),
    })
}
