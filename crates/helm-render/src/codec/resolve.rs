//! go-yaml v2's resolution of plain scalars (YAML 1.1: `yes`, `on`, `0x1F`, `1e3`...).

use crate::funcs::parse_go_int;

/// What a plain scalar means.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// `~`, `null`, empty.
    Null,
    /// `true`, `yes`, `on`, `y`...
    Bool(bool),
    /// An integer in any Go base.
    Int(i64),
    /// An integer that only fits unsigned.
    Uint(u64),
    /// A float, including `.inf` and `.nan`.
    Float(f64),
    /// `<<`.
    Merge,
    /// Anything else.
    Str,
}

fn is_yaml_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// yaml.v2's `isBase60Float`: `1:20` would be read as a number by YAML 1.1 readers.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !(b[0].is_ascii_digit() || b[0] == b'-' || b[0] == b'+' || b[0] == b'.') {
        return false;
    }
    if !s.contains(':') {
        return false;
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = 0;
    if b[i] == b'-' || b[i] == b'+' {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() && i - st < 2 {
            i += 1;
        }
        let g = &b[st..i];
        let ok = match g.len() {
            1 => true,
            2 => g[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Takes 1 or 2 ASCII digits (Go's `getnum` for `1`, `2`, `15`, `4`, `5` layout fields).
fn num12(s: &[u8]) -> Option<(u32, &[u8])> {
    let n = s.iter().take(2).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let v = s[..n]
        .iter()
        .fold(0u32, |a, c| a * 10 + u32::from(c - b'0'));
    Some((v, &s[n..]))
}

/// Whether go-yaml v2 reads a plain scalar as a timestamp (its `parseTimestamp`: `2006-1-2`,
/// optionally followed by `T`/`t`/space and `15:4:5[.frac]`, with `Z07:00` after `T`/`t`).
/// Such strings are quoted by `toYaml`.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some((month, r)) = num12(&b[5..]) else {
        return false;
    };
    let Some((day, r)) = r.strip_prefix(b"-").and_then(num12) else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    let Some((&sep, r)) = r.split_first() else {
        return true;
    };
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    let time = num12(r).filter(|(h, _)| *h < 24).and_then(|(_, r)| {
        let (m, r) = num12(r.strip_prefix(b":")?).filter(|(m, _)| *m < 60)?;
        let _ = m;
        let (_, r) = num12(r.strip_prefix(b":")?).filter(|(s, _)| *s < 60)?;
        Some(match r.strip_prefix(b".") {
            Some(f) if f.first().is_some_and(u8::is_ascii_digit) => {
                &f[f.iter().take_while(|c| c.is_ascii_digit()).count()..]
            }
            _ => r,
        })
    });
    let Some(rest) = time else {
        return false;
    };
    if sep == b' ' {
        return rest.is_empty();
    }
    match rest {
        b"Z" => true,
        [sign, h1, h2, b':', m1, m2] => {
            matches!(sign, b'+' | b'-')
                && [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') < 24
                && (m1 - b'0') * 10 + (m2 - b'0') < 60
        }
        _ => false,
    }
}

/// Resolves a plain scalar as go-yaml v2 does.
pub fn resolve(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Resolved::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    let Some(first) = s.bytes().next() else {
        return Resolved::Str;
    };
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Resolved::Str;
    }
    if let Some(n) = parse_go_int(s) {
        return Resolved::Int(n);
    }
    let unsigned = s.strip_prefix('+').unwrap_or(s);
    if !unsigned.starts_with('0')
        && let Ok(u) = unsigned.parse::<u64>()
    {
        return Resolved::Uint(u);
    }
    if is_yaml_float(s)
        && let Ok(f) = s.parse::<f64>()
    {
        return Resolved::Float(f);
    }
    let bin = s
        .strip_prefix("0b")
        .map(|r| (false, r))
        .or_else(|| s.strip_prefix("-0b").map(|r| (true, r)));
    if let Some((neg, r)) = bin
        && let Ok(n) = i64::from_str_radix(r, 2)
    {
        return Resolved::Int(if neg { -n } else { n });
    }
    Resolved::Str
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_one_one_words_resolve_to_booleans() {
        assert_eq!(resolve("yes"), Resolved::Bool(true));
        assert_eq!(resolve("Off"), Resolved::Bool(false));
        assert_eq!(resolve("y"), Resolved::Bool(true));
        assert_eq!(resolve("yess"), Resolved::Str);
    }

    #[test]
    fn numbers_resolve_in_go_bases_and_float_forms() {
        assert_eq!(resolve("0x1F"), Resolved::Int(31));
        assert_eq!(resolve("0777"), Resolved::Int(511));
        assert_eq!(resolve("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve("08"), Resolved::Float(8.0));
        assert_eq!(resolve("1.2.3"), Resolved::Str);
    }

    #[test]
    fn timestamps_are_detected_as_go_yaml_v2_does() {
        for yes in [
            "2024-03-05",
            "2024-3-5",
            "2024-03-05T07:08:09Z",
            "2024-03-05t7:8:9.5+02:00",
            "2024-03-05 07:08:09.123",
            "2024-02-29",
        ] {
            assert!(is_timestamp(yes), "{yes}");
        }
        for no in [
            "2023-02-29",
            "24-03-05",
            "2024-03-05T07:08:09",
            "2024-03-05 07:08:09Z",
            "2024-13-01",
            "2024-03-05x",
            "2024-03-05T25:00:00Z",
        ] {
            assert!(!is_timestamp(no), "{no}");
        }
    }

    #[test]
    fn base60_looking_strings_are_detected() {
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("1:2a"));
        assert!(!is_base60_float("abc"));
    }
}
