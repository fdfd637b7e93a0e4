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
    fn base60_looking_strings_are_detected() {
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("1:2a"));
        assert!(!is_base60_float("abc"));
    }
}
