//! Go `time.ParseDuration` syntax (`30s`, `1h30m`, `1.5h`, `300ms`), as written in hook configs.

use std::time::Duration;

/// A duration string that Go's `time.ParseDuration` would reject, with Go's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a duration at all (also empty strings and overflows).
    #[error("time: invalid duration \"{0}\"")]
    Invalid(String),
    /// A number without a unit, such as `30`.
    #[error("time: missing unit in duration \"{0}\"")]
    MissingUnit(String),
    /// A unit Go does not know, such as `ks`.
    #[error("time: unknown unit \"{unit}\" in duration \"{input}\"")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// A negative duration where only non-negative ones make sense (beyond upstream).
    #[error("duration \"{0}\" must not be negative")]
    Negative(String),
}

const NANOS_PER_UNIT: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{00b5}s", 1_000),
    ("\u{03bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses a Go duration into signed nanoseconds.
pub fn parse_go_duration_nanos(input: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid(input.to_owned());
    let mut rest = input;
    let mut negative = false;
    if let Some(stripped) = rest.strip_prefix('-') {
        negative = true;
        rest = stripped;
    } else if let Some(stripped) = rest.strip_prefix('+') {
        rest = stripped;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            // Go: "." alone, or a unit with no number.
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(input.to_owned()));
        }
        let Some(&(_, scale)) = NANOS_PER_UNIT.iter().find(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit {
                unit: unit.to_owned(),
                input: input.to_owned(),
            });
        };
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse::<u128>().map_err(|_| invalid())?
        };
        let mut value = whole.checked_mul(scale).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            // Digits past the 18th cannot matter at nanosecond precision (scale <= 3.6e12).
            let digits = &frac_part[..frac_part.len().min(18)];
            let frac: u128 = digits.parse().map_err(|_| invalid())?;
            let denom = 10u128
                .checked_pow(digits.len() as u32)
                .ok_or_else(invalid)?;
            let scaled = frac.checked_mul(scale).ok_or_else(invalid)? / denom;
            value = value.checked_add(scaled).ok_or_else(invalid)?;
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > i64::MAX as u128 + 1 {
            return Err(invalid());
        }
    }
    if negative {
        Ok((total as i128).wrapping_neg() as i64)
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

/// Parses a Go duration that must not be negative.
pub fn parse_go_duration(input: &str) -> Result<Duration, DurationError> {
    let nanos = parse_go_duration_nanos(input)?;
    let nanos = u64::try_from(nanos).map_err(|_| DurationError::Negative(input.to_owned()))?;
    Ok(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_forms_are_accepted() {
        let s = 1_000_000_000;
        assert_eq!(parse_go_duration_nanos("30s"), Ok(30 * s));
        assert_eq!(parse_go_duration_nanos("1h30m"), Ok(5400 * s));
        assert_eq!(parse_go_duration_nanos("1.5h"), Ok(5400 * s));
        assert_eq!(parse_go_duration_nanos("300ms"), Ok(300_000_000));
        assert_eq!(parse_go_duration_nanos("2us"), Ok(2_000));
        assert_eq!(parse_go_duration_nanos("2\u{00b5}s"), Ok(2_000));
        assert_eq!(parse_go_duration_nanos("0"), Ok(0));
        assert_eq!(parse_go_duration_nanos("-1m"), Ok(-60 * s));
        assert_eq!(parse_go_duration_nanos(".5s"), Ok(500_000_000));
    }

    #[test]
    fn bad_durations_are_rejected_with_go_wording() {
        assert_eq!(
            parse_go_duration_nanos("").unwrap_err().to_string(),
            "time: invalid duration \"\""
        );
        assert_eq!(
            parse_go_duration_nanos("30").unwrap_err().to_string(),
            "time: missing unit in duration \"30\""
        );
        assert_eq!(
            parse_go_duration_nanos("30ks").unwrap_err().to_string(),
            "time: unknown unit \"ks\" in duration \"30ks\""
        );
        assert!(parse_go_duration_nanos(".s").is_err());
        assert!(parse_go_duration_nanos("9999999999999h").is_err());
        assert_eq!(
            parse_go_duration_nanos("1.999999999999999999999999999999h"),
            Ok(7_199_999_999_999)
        );
    }

    #[test]
    fn negative_durations_are_rejected_where_they_make_no_sense() {
        assert_eq!(
            parse_go_duration("-1s"),
            Err(DurationError::Negative("-1s".into()))
        );
        assert_eq!(parse_go_duration("1m"), Ok(Duration::from_secs(60)));
    }
}
