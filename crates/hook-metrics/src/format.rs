//! Number and string formatting of the Prometheus text format as Go's `expfmt` writes it.

use std::fmt::Write;

/// `Content-Type` of [`crate::HookMetricsStore::render`] (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes `v` as Go's `strconv.FormatFloat(v, 'g', -1, 64)`: shortest digits, exponent form
/// below 1e-4 and from 1e6 up (`1e+06`), and `+Inf`, `-Inf`, `NaN`.
pub(crate) fn write_go_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if v != 0.0 && !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "{mantissa}e{sign}{:02}", exp.abs());
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Escapes a label value: backslash, double quote and newline.
pub(crate) fn write_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(v: f64) -> String {
        let mut s = String::new();
        write_go_float(&mut s, v);
        s
    }

    #[test]
    fn floats_are_written_like_go_strconv_g() {
        assert_eq!(go(0.0), "0");
        assert_eq!(go(1.0), "1");
        assert_eq!(go(12.5), "12.5");
        assert_eq!(go(0.0001), "0.0001");
        assert_eq!(go(0.00001), "1e-05");
        assert_eq!(go(123456.0), "123456");
        assert_eq!(go(1_000_000.0), "1e+06");
        assert_eq!(go(123_456_789.0), "1.23456789e+08");
        assert_eq!(go(-2.5), "-2.5");
        assert_eq!(go(f64::INFINITY), "+Inf");
        assert_eq!(go(f64::NAN), "NaN");
    }

    #[test]
    fn label_values_escape_quotes_backslashes_and_newlines() {
        let mut s = String::new();
        write_label_value(&mut s, "a\"b\\c\nd");
        assert_eq!(s, r#"a\"b\\c\nd"#);
    }
}
