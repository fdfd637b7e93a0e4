//! Go's `fmt` formatting of template values: `%v`, floats, `printf` verbs.

use crate::value::Value;

/// Shortest decimal digits and the decimal exponent of `f` (`d.ddd × 10^exp`).
fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Writes `digits × 10^(dp-1)` in `%e` form with a Go exponent (`e+06`).
fn exp_form(neg: bool, digits: &str, exp: i32, min_exp_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    let rest: String = chars.collect();
    if !rest.is_empty() {
        out.push('.');
        out.push_str(&rest);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs().to_string();
    for _ in e.len()..min_exp_digits {
        out.push('0');
    }
    out.push_str(&e);
    out
}

/// Writes the digits in positional form.
fn plain_form(neg: bool, digits: &str, exp: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let dp = exp + 1;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let dp = dp as usize;
        if digits.len() <= dp {
            out.push_str(digits);
            for _ in digits.len()..dp {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..dp]);
            out.push('.');
            out.push_str(&digits[dp..]);
        }
    }
    out
}

fn special(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    } else {
        None
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is also what `%v` prints.
pub fn float_g(f: f64) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, exp) = shortest_digits(f);
    if !(-4..6).contains(&exp) {
        exp_form(f < 0.0, &digits, exp, 2)
    } else {
        plain_form(f < 0.0, &digits, exp)
    }
}

/// Go's encoding/json float64 format.
pub fn float_json(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let abs = f.abs();
    let (digits, exp) = shortest_digits(f);
    if !(1e-6..1e21).contains(&abs) {
        exp_form(f < 0.0, &digits, exp, 1)
    } else {
        plain_form(f < 0.0, &digits, exp)
    }
}

/// `%v` of a value as text/template prints it; nil prints `<no value>` at top level.
pub fn print_value(v: &Value) -> String {
    match v {
        Value::Nil => "<no value>".into(),
        other => format_value(other),
    }
}

/// The characters of `s`, allocated once (`chars().collect()` grows the vector repeatedly).
pub fn char_vec(s: &str) -> Vec<char> {
    let mut v = Vec::with_capacity(s.len());
    v.extend(s.chars());
    v
}

/// Appends what `{{ v }}` prints ([`print_value`]) to `out`.
pub fn push_printed(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<no value>"),
        other => write_value(out, other),
    }
}

/// `fmt.Sprint`-style `%v` of a value.
pub fn format_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&float_g(*f)),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => {
            out.push('[');
            let parts: Vec<String> = b.iter().map(u8::to_string).collect();
            out.push_str(&parts.join(" "));
            out.push(']');
        }
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(o) => out.push_str(&o.display()),
    }
}

/// `fmt.Sprint(args...)`: spaces only between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::String(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        write_value(&mut out, a);
    }
    out
}

/// `fmt.Sprintln(args...)`: always spaces, trailing newline.
pub fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(format_value).collect();
    format!("{}\n", parts.join(" "))
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`.
pub fn quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        c => {
            let q = go_quote(&c.to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if spec.minus {
        format!("{s}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, rest) = match s.strip_prefix('-') {
            Some(r) => ("-", r.to_string()),
            None => match s.strip_prefix('+') {
                Some(r) => ("+", r.to_string()),
                None => ("", s.clone()),
            },
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else if spec.zero {
        format!("{}{s}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn bad_verb(verb: char, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{verb}(<nil>)"),
        other => format!("%!{verb}({}={})", other.type_name(), format_value(other)),
    }
}

fn sign_int(n: i64, spec: &Spec) -> String {
    if n >= 0 && spec.plus {
        format!("+{n}")
    } else if n >= 0 && spec.space {
        format!(" {n}")
    } else {
        n.to_string()
    }
}

fn fmt_float(f: f64, verb: char, spec: &Spec) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let mut s = match verb {
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f),
        'e' | 'E' => {
            let r = format!("{:.*e}", spec.prec.unwrap_or(6), f);
            let (m, e) = r.split_once('e').unwrap_or((&r, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", e.unsigned_abs())
        }
        _ => match spec.prec {
            None => float_g(f),
            Some(p) => {
                let p = p.max(1);
                let r = format!("{:.*e}", p - 1, f);
                let (m, e) = r.split_once('e').unwrap_or((&r, "0"));
                let e: i32 = e.parse().unwrap_or(0);
                let digits: String = m.chars().filter(char::is_ascii_digit).collect();
                let digits = digits.trim_end_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                if e < -4 || e >= p as i32 {
                    exp_form(f < 0.0, digits, e, 2)
                } else {
                    plain_form(f < 0.0, digits, e)
                }
            }
        },
    };
    if verb == 'E' {
        s = s.to_uppercase();
    }
    if f >= 0.0 && spec.plus {
        s.insert(0, '+');
    } else if f >= 0.0 && spec.space {
        s.insert(0, ' ');
    }
    s
}

fn format_one(verb: char, spec: &Spec, v: &Value) -> String {
    let v = match v {
        Value::Object(o) if verb != 'v' && verb != 's' => o.plain(),
        other => other.clone(),
    };
    match verb {
        'v' => match &v {
            Value::Float(f) => pad(fmt_float(*f, 'g', spec), spec, true),
            Value::Int(n) => pad(sign_int(*n, spec), spec, true),
            Value::String(s) => pad(s.to_string(), spec, false),
            other => pad(format_value(other), spec, false),
        },
        's' => match &v {
            Value::String(s) => {
                let s = match spec.prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s.to_string(),
                };
                pad(s, spec, false)
            }
            Value::Bytes(b) => pad(String::from_utf8_lossy(b).into_owned(), spec, false),
            Value::Object(o) => pad(o.display(), spec, false),
            Value::List(l) => {
                let parts: Vec<String> = l.iter().map(|i| format_one('s', spec, i)).collect();
                format!("[{}]", parts.join(" "))
            }
            Value::Map(m) => {
                let parts: Vec<String> = m
                    .borrow()
                    .iter()
                    .map(|(k, i)| format!("{k}:{}", format_one('s', spec, i)))
                    .collect();
                format!("map[{}]", parts.join(" "))
            }
            other => bad_verb('s', other),
        },
        'q' => match &v {
            Value::String(s) => pad(go_quote(s), spec, false),
            Value::Int(n) => match char::from_u32(*n as u32) {
                Some(c) => pad(quote_rune(c), spec, false),
                None => bad_verb('q', &v),
            },
            Value::List(l) => {
                let parts: Vec<String> = l.iter().map(|i| format_one('q', spec, i)).collect();
                format!("[{}]", parts.join(" "))
            }
            other => bad_verb('q', other),
        },
        'd' => match &v {
            Value::Int(n) => pad(sign_int(*n, spec), spec, true),
            Value::List(l) => {
                let parts: Vec<String> = l.iter().map(|i| format_one('d', spec, i)).collect();
                format!("[{}]", parts.join(" "))
            }
            other => bad_verb('d', other),
        },
        'b' | 'o' | 'x' | 'X' | 'c' | 'U' => match &v {
            Value::Int(n) => {
                let n = *n;
                let s = match verb {
                    'b' => format!("{:b}", n),
                    'o' => format!("{:o}", n),
                    'x' => {
                        if n < 0 {
                            format!("-{:x}", n.unsigned_abs())
                        } else {
                            format!("{:x}", n)
                        }
                    }
                    'X' => {
                        if n < 0 {
                            format!("-{:X}", n.unsigned_abs())
                        } else {
                            format!("{:X}", n)
                        }
                    }
                    'c' => char::from_u32(n as u32)
                        .map(String::from)
                        .unwrap_or_default(),
                    _ => format!("U+{:04X}", n),
                };
                let s = if spec.sharp && verb == 'x' {
                    format!("0x{s}")
                } else {
                    s
                };
                pad(s, spec, true)
            }
            Value::String(s) if verb == 'x' || verb == 'X' => {
                let h = hex::encode(s.as_bytes());
                pad(if verb == 'X' { h.to_uppercase() } else { h }, spec, false)
            }
            other => bad_verb(verb, other),
        },
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => match &v {
            Value::Float(f) => pad(fmt_float(*f, verb, spec), spec, true),
            other => bad_verb(verb, other),
        },
        't' => match &v {
            Value::Bool(b) => pad(b.to_string(), spec, false),
            other => bad_verb('t', other),
        },
        'T' => pad(v.type_name().to_string(), spec, false),
        other => bad_verb(other, &v),
    }
}

/// Go's `fmt.Sprintf`, including its `%!verb(type=value)` error markers.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let chars: Vec<char> = char_vec(format);
    let mut i = 0;
    let mut argi = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i] {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = !spec.minus,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        let num = |i: &mut usize, argi: &mut usize| -> Option<usize> {
            if *i < chars.len() && chars[*i] == '*' {
                *i += 1;
                let n = match args.get(*argi) {
                    Some(Value::Int(n)) => Some((*n).max(0) as usize),
                    _ => None,
                };
                *argi += 1;
                return n;
            }
            let start = *i;
            while *i < chars.len() && chars[*i].is_ascii_digit() {
                *i += 1;
            }
            if *i > start {
                chars[start..*i].iter().collect::<String>().parse().ok()
            } else {
                None
            }
        };
        spec.width = num(&mut i, &mut argi);
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            spec.prec = Some(num(&mut i, &mut argi).unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(argi) {
            Some(v) => out.push_str(&format_one(verb, &spec, v)),
            None => out.push_str(&format!("%!{verb}(MISSING)")),
        }
        argi += 1;
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let parts: Vec<String> = args[argi..]
            .iter()
            .map(|a| match a {
                Value::Nil => "<nil>".to_string(),
                other => format!("{}={}", other.type_name(), format_value(other)),
            })
            .collect();
        out.push_str(&parts.join(", "));
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_percent_v() {
        assert_eq!(float_g(999999.0), "999999");
        assert_eq!(float_g(1000000.0), "1e+06");
        assert_eq!(float_g(123456789.0), "1.23456789e+08");
        assert_eq!(float_g(0.0001), "0.0001");
        assert_eq!(float_g(0.00001), "1e-05");
        assert_eq!(float_g(3.0), "3");
        assert_eq!(float_g(-2.5), "-2.5");
    }

    #[test]
    fn floats_serialise_like_encoding_json() {
        assert_eq!(float_json(1000000.0), "1000000");
        assert_eq!(float_json(123456789.0), "123456789");
        assert_eq!(float_json(0.00001), "0.00001");
        assert_eq!(float_json(1e21), "1e+21");
        assert_eq!(float_json(1e-7), "1e-7");
    }

    #[test]
    fn sprintf_marks_mismatched_verbs_as_go_does() {
        assert_eq!(sprintf("%d", &[Value::Float(3.0)]), "%!d(float64=3)");
        assert_eq!(sprintf("%s-%d", &[Value::str("a"), Value::Int(5)]), "a-5");
        assert_eq!(sprintf("%s", &[]), "%!s(MISSING)");
        assert_eq!(sprintf("x", &[Value::Int(1)]), "x%!(EXTRA int=1)");
        assert_eq!(
            sprintf("%05.1f|%-4s|", &[Value::Float(1.26), Value::str("a")]),
            "001.3|a   |"
        );
    }

    #[test]
    fn sprint_puts_spaces_only_between_non_strings() {
        assert_eq!(sprint(&[Value::str("a"), Value::str("b")]), "ab");
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[Value::str("a"), Value::Int(2)]), "a2");
    }
}
