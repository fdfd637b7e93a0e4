//! `settings`: the per-hook run rate limit, and (beyond upstream) a run timeout.

use std::time::Duration;

use crate::duration::parse_go_duration;
use crate::error::{Problems, join};
use crate::raw::RawSettings;

/// Validated `settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// `executionMinInterval`: the token bucket refills one token per interval (0 = no limit).
    pub execution_min_interval: Duration,
    /// `executionBurst` as written (0 allowed).
    pub execution_burst: u32,
    /// Beyond upstream: `executionTimeout`, a per-hook run timeout (a Go duration, > 0).
    pub execution_timeout: Option<Duration>,
}

impl Settings {
    /// The bucket size upstream uses: `executionBurst`, or 1 when it is 0.
    pub fn effective_burst(&self) -> u32 {
        self.execution_burst.max(1)
    }
}

pub(crate) fn from_raw(raw: &RawSettings, path: &str, problems: &mut Problems) -> Option<Settings> {
    // Both keys are required when `settings` is present: a missing one parses as "".
    let interval_text = raw.execution_min_interval.as_deref().unwrap_or("");
    let interval = match parse_go_duration(interval_text) {
        Ok(interval) => Some(interval),
        Err(err) => {
            problems.push(
                join(path, "executionMinInterval"),
                format!("is invalid: {err}"),
            );
            None
        }
    };
    // Upstream reports a bad burst as `executionMinInterval is invalid`; we name the right key.
    let burst = match &raw.execution_burst {
        None => {
            problems.push(
                join(path, "executionBurst"),
                "is invalid: strconv.ParseInt: parsing \"\": invalid syntax",
            );
            None
        }
        Some(number) => {
            let value = number
                .as_i64()
                .or_else(|| number.as_f64().map(|f| f as i64));
            match value.and_then(|v| u32::try_from(v).ok()) {
                Some(burst) => Some(burst),
                None => {
                    problems.push(
                        join(path, "executionBurst"),
                        format!("is invalid: {number} is not a non-negative 32-bit integer"),
                    );
                    None
                }
            }
        }
    };
    let timeout = match raw.execution_timeout.as_deref() {
        None => Some(None),
        Some(text) => match parse_go_duration(text) {
            Ok(d) if !d.is_zero() => Some(Some(d)),
            Ok(_) => {
                problems.push(
                    join(path, "executionTimeout"),
                    "is invalid: must be greater than 0",
                );
                None
            }
            Err(err) => {
                problems.push(join(path, "executionTimeout"), format!("is invalid: {err}"));
                None
            }
        },
    };
    Some(Settings {
        execution_min_interval: interval?,
        execution_burst: burst?,
        execution_timeout: timeout?,
    })
}
