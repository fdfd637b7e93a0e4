//! Next fire time of a crontab, searched on the wall clock of its zone.

use std::time::Duration;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc,
};

use super::SpecFields;

/// How many years ahead to look before giving up (as robfig/cron does).
const YEAR_LIMIT: i32 = 5;

pub(super) fn next_every(delay: Duration, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let whole_second = after.with_nanosecond(0)?;
    whole_second.checked_add_signed(TimeDelta::from_std(delay).ok()?)
}

fn day_matches(fields: &SpecFields, date: NaiveDate) -> bool {
    let dom = fields.dom.contains(date.day());
    let dow = fields.dow.contains(date.weekday().num_days_from_sunday());
    if fields.dom.star || fields.dow.star {
        dom && dow
    } else {
        dom || dow
    }
}

pub(super) fn next_spec<Z: TimeZone>(
    fields: &SpecFields,
    zone: &Z,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let local = after.with_timezone(zone).naive_local().with_nanosecond(0)?;
    let mut t = local.checked_add_signed(TimeDelta::seconds(1))?;
    let year_limit = t.year() + YEAR_LIMIT;
    loop {
        if t.year() > year_limit {
            return None;
        }
        if !fields.month.contains(t.month()) {
            t = first_of_next_month(t.date())?;
            continue;
        }
        if !day_matches(fields, t.date()) {
            t = t.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
            continue;
        }
        if !fields.hour.contains(t.hour()) {
            t = t
                .date()
                .and_hms_opt(t.hour(), 0, 0)?
                .checked_add_signed(TimeDelta::hours(1))?;
            continue;
        }
        if !fields.minute.contains(t.minute()) {
            t = t
                .date()
                .and_hms_opt(t.hour(), t.minute(), 0)?
                .checked_add_signed(TimeDelta::minutes(1))?;
            continue;
        }
        if !fields.second.contains(t.second()) {
            t = t.checked_add_signed(TimeDelta::seconds(1))?;
            continue;
        }
        // Wall times skipped by a DST jump do not exist and are skipped; repeated ones fire once,
        // at their first occurrence.
        let instant = match zone.from_local_datetime(&t) {
            LocalResult::Single(z) | LocalResult::Ambiguous(z, _) => Some(z.with_timezone(&Utc)),
            LocalResult::None => None,
        };
        if let Some(instant) = instant
            && instant > after
        {
            return Some(instant);
        }
        t = t.checked_add_signed(TimeDelta::seconds(1))?;
    }
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDateTime> {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)?.and_hms_opt(0, 0, 0)
}
