//! One crontab field (`*/5`, `1-10/2`, `mon-fri`, `jan,jul`) parsed into a bit set, as robfig/cron does.

use super::CrontabError;

/// The allowed range and names of one field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) min: u32,
    pub(crate) max: u32,
    pub(crate) names: &'static [(&'static str, u32)],
}

pub(crate) const SECONDS: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
pub(crate) const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
pub(crate) const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
pub(crate) const DAYS_OF_MONTH: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
pub(crate) const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
pub(crate) const DAYS_OF_WEEK: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// A parsed field: the set of allowed values and whether it was written as `*` or `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) bits: u64,
    pub(crate) star: bool,
}

impl Field {
    pub(crate) fn all(bounds: Bounds) -> Field {
        Field {
            bits: range_bits(bounds.min, bounds.max, 1),
            star: true,
        }
    }

    pub(crate) fn single(value: u32) -> Field {
        Field {
            bits: 1 << value,
            star: false,
        }
    }

    pub(crate) fn contains(&self, value: u32) -> bool {
        value < 64 && self.bits & (1 << value) != 0
    }
}

fn range_bits(start: u32, end: u32, step: u32) -> u64 {
    (start..=end)
        .step_by(step.max(1) as usize)
        .fold(0, |bits, v| bits | (1u64 << v))
}

/// Parses a comma-separated list of ranges.
pub(crate) fn parse_field(field: &str, bounds: Bounds) -> Result<Field, CrontabError> {
    let mut result = Field {
        bits: 0,
        star: false,
    };
    for expr in field.split(',').filter(|e| !e.is_empty()) {
        let part = parse_range(expr, bounds)?;
        result.bits |= part.bits;
        result.star |= part.star;
    }
    if result.bits == 0 {
        return Err(CrontabError::Field(format!("empty field: {field}")));
    }
    Ok(result)
}

fn parse_range(expr: &str, bounds: Bounds) -> Result<Field, CrontabError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    if range_and_step.len() > 2 {
        return Err(CrontabError::Field(format!("Too many slashes: {expr}")));
    }
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    if low_and_high.len() > 2 {
        return Err(CrontabError::Field(format!("Too many hyphens: {expr}")));
    }
    let (start, mut end, star) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (bounds.min, bounds.max, true)
    } else {
        let start = parse_int_or_name(low_and_high[0], bounds)?;
        let end = match low_and_high.get(1) {
            Some(high) => parse_int_or_name(high, bounds)?,
            None => start,
        };
        (start, end, false)
    };
    let step = match range_and_step.get(1) {
        Some(step) => {
            let step = parse_int(step)?;
            // "N/step" means "N-max/step".
            if low_and_high.len() == 1 && !star {
                end = bounds.max;
            }
            step
        }
        None => 1,
    };
    if start < bounds.min {
        return Err(CrontabError::Field(format!(
            "Beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        )));
    }
    if end > bounds.max {
        return Err(CrontabError::Field(format!(
            "End of range ({end}) above maximum ({}): {expr}",
            bounds.max
        )));
    }
    if start > end {
        return Err(CrontabError::Field(format!(
            "Beginning of range ({start}) beyond end of range ({end}): {expr}"
        )));
    }
    if step == 0 {
        return Err(CrontabError::Field(format!(
            "Step of range should be a positive number: {expr}"
        )));
    }
    Ok(Field {
        bits: range_bits(start, end, step),
        star,
    })
}

fn parse_int_or_name(text: &str, bounds: Bounds) -> Result<u32, CrontabError> {
    let lower = text.to_ascii_lowercase();
    if let Some(&(_, value)) = bounds.names.iter().find(|(name, _)| *name == lower) {
        return Ok(value);
    }
    parse_int(text)
}

fn parse_int(text: &str) -> Result<u32, CrontabError> {
    text.parse::<u32>()
        .map_err(|err| CrontabError::Field(format!("Failed to parse int from {text}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(field: &str, bounds: Bounds) -> Vec<u32> {
        let parsed = parse_field(field, bounds).unwrap();
        (0..64).filter(|v| parsed.contains(*v)).collect()
    }

    #[test]
    fn steps_ranges_and_lists_expand_to_the_right_values() {
        assert_eq!(values("*/15", MINUTES), vec![0, 15, 30, 45]);
        assert_eq!(values("10-20/5", MINUTES), vec![10, 15, 20]);
        assert_eq!(values("50/5", MINUTES), vec![50, 55]);
        assert_eq!(values("1,3,5", HOURS), vec![1, 3, 5]);
    }

    #[test]
    fn month_and_day_names_are_case_insensitive() {
        assert_eq!(values("JAN-mar", MONTHS), vec![1, 2, 3]);
        assert_eq!(values("mon-fri", DAYS_OF_WEEK), vec![1, 2, 3, 4, 5]);
        assert_eq!(values("Sun", DAYS_OF_WEEK), vec![0]);
    }

    #[test]
    fn star_and_question_mark_mark_the_field_as_unrestricted() {
        assert!(parse_field("*", DAYS_OF_MONTH).unwrap().star);
        assert!(parse_field("?", DAYS_OF_WEEK).unwrap().star);
        assert!(!parse_field("1-31", DAYS_OF_MONTH).unwrap().star);
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        assert!(parse_field("60", MINUTES).is_err());
        assert!(parse_field("7", DAYS_OF_WEEK).is_err());
        assert!(parse_field("0", DAYS_OF_MONTH).is_err());
        assert!(parse_field("5-1", HOURS).is_err());
        assert!(parse_field("*/0", HOURS).is_err());
        assert!(parse_field("1/2/3", HOURS).is_err());
        assert!(parse_field("1-2-3", HOURS).is_err());
        assert!(parse_field("x", HOURS).is_err());
    }
}
