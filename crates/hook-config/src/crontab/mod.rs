//! Crontab expressions of `schedule` bindings: parsing and next fire times.
//!
//! Follows the syntax that upstream documents for `gopkg.in/robfig/cron.v2`:
//! - 5 fields `min hour dom month dow` (seconds = 0) or 6 fields `sec min hour dom month dow`;
//! - `*`, `?` (same as `*`), `a-b`, `a,b`, `*/n`, `a-b/n`, `a/n` (meaning `a-max/n`), month names
//!   (`jan`..`dec`) and day names (`sun`..`sat`), case-insensitive; day of week is 0..6, Sunday = 0;
//! - when both day of month and day of week are restricted (neither is `*`/`?`), a day matches
//!   if EITHER matches (classic cron OR rule), otherwise both must match;
//! - descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`
//!   and `@every <go duration>` (rounded down to whole seconds, at least 1 s);
//! - a `TZ=<zone> ` prefix (IANA name, `UTC` or `Local`); `CRON_TZ=<zone> ` is accepted too
//!   (beyond upstream, as in robfig/cron v3). Without a prefix the operator's local zone is used.
//!
//! The `cron` crate is not used: it numbers week days 1..7, ANDs day of month with day of week,
//! accepts a 7th (year) field and has no `@every` or time zone prefix, which would silently change
//! when existing hooks fire.

mod field;
mod next;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::duration::parse_go_duration_nanos;
use field::{DAYS_OF_MONTH, DAYS_OF_WEEK, Field, HOURS, MINUTES, MONTHS, SECONDS, parse_field};

/// A crontab that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrontabError {
    /// The expression is empty.
    #[error("empty crontab")]
    Empty,
    /// Not 5 or 6 fields.
    #[error("Expected 5 or 6 fields, found {found}: {spec}")]
    FieldCount {
        /// How many fields were found.
        found: usize,
        /// The expression without the zone prefix.
        spec: String,
    },
    /// One field is malformed (robfig/cron wording).
    #[error("{0}")]
    Field(String),
    /// An unknown `@descriptor`.
    #[error("Unrecognized descriptor: {0}")]
    Descriptor(String),
    /// `@every` with a bad duration.
    #[error("Failed to parse duration {spec}: {reason}")]
    Every {
        /// The expression.
        spec: String,
        /// Why the duration is bad.
        reason: String,
    },
    /// `TZ=` names an unknown zone, or nothing follows it.
    #[error("Provided bad location {0}")]
    Zone(String),
}

/// The zone a crontab is evaluated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronZone {
    /// The operator's local zone (`TZ` env, `/etc/localtime`).
    Local,
    /// A named IANA zone.
    Named(chrono_tz::Tz),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpecFields {
    pub(crate) second: Field,
    pub(crate) minute: Field,
    pub(crate) hour: Field,
    pub(crate) dom: Field,
    pub(crate) month: Field,
    pub(crate) dow: Field,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Schedule {
    Spec(SpecFields),
    Every(Duration),
}

/// A validated crontab expression.
///
/// Equality and [`Crontab::key`] use the normalized text (trimmed, single spaces), so the engine
/// can make identical crontabs share one timer as upstream does.
#[derive(Clone)]
pub struct Crontab {
    source: String,
    key: String,
    zone: CronZone,
    schedule: Schedule,
}

impl std::fmt::Debug for Crontab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Crontab").field(&self.key).finish()
    }
}

impl PartialEq for Crontab {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Crontab {}

impl Crontab {
    /// Parses a crontab expression.
    pub fn parse(expr: &str) -> Result<Crontab, CrontabError> {
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Err(CrontabError::Empty);
        }
        let (zone, spec) = split_zone(trimmed)?;
        let schedule = if spec.starts_with('@') {
            parse_descriptor(spec)?
        } else {
            Schedule::Spec(parse_spec(spec)?)
        };
        let key = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Crontab {
            source: expr.to_owned(),
            key,
            zone,
            schedule,
        })
    }

    /// The expression as written in the config.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The normalized expression: bindings with equal keys fire on the same tick.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The zone the expression is evaluated in.
    pub fn zone(&self) -> CronZone {
        self.zone
    }

    /// For `@every`: the fixed delay between runs.
    pub fn every(&self) -> Option<Duration> {
        match &self.schedule {
            Schedule::Every(delay) => Some(*delay),
            Schedule::Spec(_) => None,
        }
    }

    /// The first fire time strictly after `after`, or `None` if there is none in the next 5 years
    /// (for example `0 0 30 2 *`).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.schedule {
            Schedule::Every(delay) => next::next_every(*delay, after),
            Schedule::Spec(fields) => match self.zone {
                CronZone::Local => next::next_spec(fields, &chrono::Local, after),
                CronZone::Named(tz) => next::next_spec(fields, &tz, after),
            },
        }
    }
}

fn split_zone(expr: &str) -> Result<(CronZone, &str), CrontabError> {
    let Some(rest) = expr
        .strip_prefix("TZ=")
        .or_else(|| expr.strip_prefix("CRON_TZ="))
    else {
        return Ok((CronZone::Local, expr));
    };
    let Some((name, spec)) = rest.split_once(char::is_whitespace) else {
        return Err(CrontabError::Zone(rest.to_owned()));
    };
    let spec = spec.trim();
    if spec.is_empty() {
        return Err(CrontabError::Zone(name.to_owned()));
    }
    let zone = match name {
        "Local" => CronZone::Local,
        "" | "UTC" => CronZone::Named(chrono_tz::UTC),
        other => CronZone::Named(
            other
                .parse::<chrono_tz::Tz>()
                .map_err(|_| CrontabError::Zone(other.to_owned()))?,
        ),
    };
    Ok((zone, spec))
}

fn parse_spec(spec: &str) -> Result<SpecFields, CrontabError> {
    let mut fields: Vec<&str> = spec.split_whitespace().collect();
    match fields.len() {
        5 => fields.insert(0, "0"),
        6 => {}
        found => {
            return Err(CrontabError::FieldCount {
                found,
                spec: spec.to_owned(),
            });
        }
    }
    Ok(SpecFields {
        second: parse_field(fields[0], SECONDS)?,
        minute: parse_field(fields[1], MINUTES)?,
        hour: parse_field(fields[2], HOURS)?,
        dom: parse_field(fields[3], DAYS_OF_MONTH)?,
        month: parse_field(fields[4], MONTHS)?,
        dow: parse_field(fields[5], DAYS_OF_WEEK)?,
    })
}

fn parse_descriptor(spec: &str) -> Result<Schedule, CrontabError> {
    let midnight = |dom: Field, month: Field, dow: Field| SpecFields {
        second: Field::single(0),
        minute: Field::single(0),
        hour: Field::single(0),
        dom,
        month,
        dow,
    };
    let fields = match spec {
        "@yearly" | "@annually" => {
            midnight(Field::single(1), Field::single(1), Field::all(DAYS_OF_WEEK))
        }
        "@monthly" => midnight(
            Field::single(1),
            Field::all(MONTHS),
            Field::all(DAYS_OF_WEEK),
        ),
        "@weekly" => midnight(
            Field::all(DAYS_OF_MONTH),
            Field::all(MONTHS),
            Field::single(0),
        ),
        "@daily" | "@midnight" => midnight(
            Field::all(DAYS_OF_MONTH),
            Field::all(MONTHS),
            Field::all(DAYS_OF_WEEK),
        ),
        "@hourly" => SpecFields {
            hour: Field::all(HOURS),
            ..midnight(
                Field::all(DAYS_OF_MONTH),
                Field::all(MONTHS),
                Field::all(DAYS_OF_WEEK),
            )
        },
        other => {
            let Some(text) = other.strip_prefix("@every ") else {
                return Err(CrontabError::Descriptor(other.to_owned()));
            };
            let nanos =
                parse_go_duration_nanos(text.trim()).map_err(|err| CrontabError::Every {
                    spec: other.to_owned(),
                    reason: err.to_string(),
                })?;
            // robfig: at least one second, rounded down to whole seconds.
            let secs = (nanos / 1_000_000_000).max(1);
            return Ok(Schedule::Every(Duration::from_secs(secs.unsigned_abs())));
        }
    };
    Ok(Schedule::Spec(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn next(expr: &str, after: DateTime<Utc>) -> DateTime<Utc> {
        Crontab::parse(expr).unwrap().next_after(after).unwrap()
    }

    #[test]
    fn five_fields_start_with_minutes_and_fire_at_second_zero() {
        let t = utc(2024, 3, 1, 10, 3, 17);
        assert_eq!(next("TZ=UTC */5 * * * *", t), utc(2024, 3, 1, 10, 5, 0));
    }

    #[test]
    fn six_fields_start_with_seconds() {
        let t = utc(2024, 3, 1, 10, 3, 17);
        assert_eq!(next("TZ=UTC */10 * * * * *", t), utc(2024, 3, 1, 10, 3, 20));
    }

    #[test]
    fn next_fire_time_is_strictly_after_the_given_time() {
        let t = utc(2024, 3, 1, 10, 5, 0);
        assert_eq!(next("TZ=UTC */5 * * * *", t), utc(2024, 3, 1, 10, 10, 0));
    }

    #[test]
    fn day_names_use_sunday_as_zero() {
        // 2024-03-01 is a Friday.
        let t = utc(2024, 3, 1, 12, 0, 0);
        assert_eq!(next("TZ=UTC 0 9 * * mon", t), utc(2024, 3, 4, 9, 0, 0));
        assert_eq!(next("TZ=UTC 0 9 * * 0", t), utc(2024, 3, 3, 9, 0, 0));
    }

    #[test]
    fn restricted_day_of_month_and_day_of_week_are_ored() {
        // The 15th, or any Monday: Monday 2024-03-04 comes first.
        let t = utc(2024, 3, 1, 12, 0, 0);
        assert_eq!(next("TZ=UTC 0 0 15 * mon", t), utc(2024, 3, 4, 0, 0, 0));
        // With a `*` day of week only the day of month counts.
        assert_eq!(next("TZ=UTC 0 0 15 * *", t), utc(2024, 3, 15, 0, 0, 0));
    }

    #[test]
    fn month_names_are_accepted() {
        let t = utc(2024, 3, 1, 12, 0, 0);
        assert_eq!(next("TZ=UTC 0 0 1 jul *", t), utc(2024, 7, 1, 0, 0, 0));
    }

    #[test]
    fn descriptors_fire_at_their_documented_times() {
        let t = utc(2024, 3, 1, 12, 30, 0);
        assert_eq!(next("TZ=UTC @hourly", t), utc(2024, 3, 1, 13, 0, 0));
        assert_eq!(next("TZ=UTC @daily", t), utc(2024, 3, 2, 0, 0, 0));
        assert_eq!(next("TZ=UTC @midnight", t), utc(2024, 3, 2, 0, 0, 0));
        assert_eq!(next("TZ=UTC @weekly", t), utc(2024, 3, 3, 0, 0, 0));
        assert_eq!(next("TZ=UTC @monthly", t), utc(2024, 4, 1, 0, 0, 0));
        assert_eq!(next("TZ=UTC @yearly", t), utc(2025, 1, 1, 0, 0, 0));
        assert_eq!(next("TZ=UTC @annually", t), utc(2025, 1, 1, 0, 0, 0));
    }

    #[test]
    fn every_adds_its_delay_to_the_whole_second() {
        let tab = Crontab::parse("@every 1m30s").unwrap();
        assert_eq!(tab.every(), Some(Duration::from_secs(90)));
        let t = utc(2024, 3, 1, 12, 0, 0) + chrono::Duration::milliseconds(400);
        assert_eq!(tab.next_after(t), Some(utc(2024, 3, 1, 12, 1, 30)));
        assert_eq!(
            Crontab::parse("@every 10ms").unwrap().every(),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn tz_prefix_evaluates_the_fields_in_that_zone() {
        // 09:00 in Berlin in winter is 08:00 UTC.
        let t = utc(2024, 1, 10, 0, 0, 0);
        assert_eq!(
            next("TZ=Europe/Berlin 0 9 * * *", t),
            utc(2024, 1, 10, 8, 0, 0)
        );
        assert_eq!(
            next("CRON_TZ=Europe/Berlin 0 9 * * *", t),
            utc(2024, 1, 10, 8, 0, 0)
        );
    }

    #[test]
    fn wall_times_skipped_by_dst_are_skipped_and_repeated_ones_fire_once() {
        // Berlin jumps from 02:00 to 03:00 on 2024-03-31: 02:30 does not exist that day.
        let spring = utc(2024, 3, 30, 12, 0, 0);
        assert_eq!(
            next("TZ=Europe/Berlin 30 2 * * *", spring),
            utc(2024, 4, 1, 0, 30, 0)
        );
        // On 2024-10-27 02:30 happens twice (00:30 and 01:30 UTC): only the first fires.
        let autumn = utc(2024, 10, 26, 12, 0, 0);
        let first = next("TZ=Europe/Berlin 30 2 * * *", autumn);
        assert_eq!(first, utc(2024, 10, 27, 0, 30, 0));
        assert_eq!(
            next("TZ=Europe/Berlin 30 2 * * *", first),
            utc(2024, 10, 28, 1, 30, 0)
        );
    }

    #[test]
    fn an_impossible_date_has_no_next_fire_time() {
        let tab = Crontab::parse("TZ=UTC 0 0 30 2 *").unwrap();
        assert_eq!(tab.next_after(utc(2024, 1, 1, 0, 0, 0)), None);
    }

    #[test]
    fn wrong_field_counts_are_reported_like_robfig_cron() {
        assert_eq!(
            Crontab::parse("* * *").unwrap_err().to_string(),
            "Expected 5 or 6 fields, found 3: * * *"
        );
        assert!(Crontab::parse("* * * * * * *").is_err());
    }

    #[test]
    fn bad_descriptors_zones_and_empty_strings_are_rejected() {
        assert_eq!(
            Crontab::parse("@sometimes").unwrap_err().to_string(),
            "Unrecognized descriptor: @sometimes"
        );
        assert!(Crontab::parse("@every 1x").is_err());
        assert!(Crontab::parse("TZ=Mars/Olympus * * * * *").is_err());
        assert!(Crontab::parse("TZ=UTC").is_err());
        assert_eq!(Crontab::parse("  "), Err(CrontabError::Empty));
    }

    #[test]
    fn the_key_normalizes_whitespace_so_equal_schedules_share_a_tick() {
        let a = Crontab::parse(" */5  * * * *").unwrap();
        let b = Crontab::parse("*/5 * * * *").unwrap();
        assert_eq!(a.key(), "*/5 * * * *");
        assert_eq!(a, b);
        assert_eq!(a.source(), " */5  * * * *");
    }
}
