//! Sprig's string functions.

use std::collections::HashMap;

use super::convert::{strslice, strval, to_i64};
use super::{Func, want};
use crate::format::go_quote;
use crate::value::{Map, Value};

fn s(v: &Value) -> String {
    strval(v)
}

/// Go's `unicode.ToUpper` per rune: one rune in, one rune out (`ß` stays `ß`).
fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower` per rune.
fn lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Go's `strings.ToUpper`.
pub fn go_upper(s: &str) -> String {
    s.chars().map(upper_char).collect()
}

/// Go's `strings.ToLower`.
pub fn go_lower(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

fn ok(s: impl Into<String>) -> Result<Value, String> {
    Ok(Value::from(s.into()))
}

/// Byte-range slice that never panics on a UTF-8 boundary.
fn bytes_slice(s: &str, start: usize, end: usize) -> String {
    let b = s.as_bytes();
    let end = end.min(b.len());
    let start = start.min(end);
    String::from_utf8_lossy(&b[start..end]).into_owned()
}

fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
}

/// Go's deprecated `strings.Title`.
pub fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_title_separator(prev) {
                upper_char(c).to_string()
            } else {
                c.to_string()
            };
            prev = c;
            out
        })
        .collect()
}

fn untitle(s: &str) -> String {
    let mut in_word = false;
    s.chars()
        .map(|c| {
            if c.is_whitespace() {
                in_word = false;
                c.to_string()
            } else if !in_word {
                in_word = true;
                lower_char(c).to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// huandu/xstrings `ToCamelCase`: connectors removed, the letter after one upper-cased,
/// a letter after an upper-case letter lower-cased.
pub fn camelcase(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    let mut r0 = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            r0 = Some((c.to_uppercase().next().unwrap_or(c), c));
            break;
        }
        out.push(c);
    }
    let Some((mut cur, mut orig)) = r0 else {
        return out;
    };
    for c in chars {
        let (prev, prev_orig) = (cur, orig);
        orig = c;
        if is_connector(c) && is_connector(prev) {
            out.push(prev);
            cur = c;
            continue;
        }
        if is_connector(prev) {
            cur = c.to_uppercase().next().unwrap_or(c);
        } else {
            cur = if prev_orig.is_uppercase() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            };
            out.push(prev);
        }
    }
    out.push(cur);
    out
}

/// Splits camel case and connector-separated text into words, as xstrings does for the common cases.
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = crate::format::char_vec(s);
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if is_connector(c) {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_digit() && !cur.is_empty() && !chars[i - 1].is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if chars.get(j).is_some_and(|n| n.is_lowercase()) {
                words.push(std::mem::take(&mut cur));
            }
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn lower_joined(s: &str, sep: &str) -> String {
    words(s)
        .iter()
        .map(|w| go_lower(w))
        .collect::<Vec<_>>()
        .join(sep)
}

fn swapcase(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                lower_char(c)
            } else {
                upper_char(c)
            }
        })
        .collect()
}

fn indent(n: i64, s: &str) -> String {
    indent_after("", n, s)
}

/// `prefix`, then `s` with every line (the first too) indented by `n` spaces.
fn indent_after(prefix: &str, n: i64, s: &str) -> String {
    let pad = n.max(0) as usize;
    let lines = s.bytes().filter(|b| *b == b'\n').count() + 1;
    let mut out = String::with_capacity(prefix.len() + s.len() + pad * lines);
    out.push_str(prefix);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.extend(std::iter::repeat_n(' ', pad));
        out.push_str(line);
    }
    out
}

fn wrap_with(width: i64, sep: &str, s: &str) -> String {
    let width = width.max(1) as usize;
    let mut out = Vec::new();
    for line in s.split('\n') {
        let mut cur = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            if !cur.is_empty() && cur.len() + 1 + word.len() > width {
                out.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        out.push(cur);
    }
    out.join(sep)
}

fn abbrev(width: i64, s: &str) -> Result<String, String> {
    if width < 4 {
        return Err("minimum abbreviation width is 4".into());
    }
    let width = width as usize;
    if s.len() <= width {
        return Ok(s.to_string());
    }
    Ok(format!("{}...", bytes_slice(s, 0, width - 3)))
}

fn str_map(parts: Vec<&str>) -> Value {
    let mut m = Map::new();
    for (i, p) in parts.into_iter().enumerate() {
        m.insert(format!("_{i}"), Value::str(p));
    }
    Value::map(m)
}

fn random_from(alphabet: &[u8], n: i64) -> String {
    let mut out = String::new();
    let mut pool: Vec<u8> = Vec::new();
    while (out.len() as i64) < n {
        if pool.is_empty() {
            pool = uuid::Uuid::new_v4().as_bytes().to_vec();
        }
        if let Some(b) = pool.pop() {
            out.push(alphabet[b as usize % alphabet.len()] as char);
        }
    }
    out
}

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUM: &[u8] = b"0123456789";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("trim", |a| {
        want(a, 1)?;
        ok(s(&a[0]).trim())
    });
    m.insert("trimAll", |a| {
        want(a, 2)?;
        let cut: Vec<char> = crate::format::char_vec(&s(&a[0]));
        ok(s(&a[1]).trim_matches(|c| cut.contains(&c)))
    });
    m.insert("trimall", |a| {
        want(a, 2)?;
        let cut: Vec<char> = crate::format::char_vec(&s(&a[0]));
        ok(s(&a[1]).trim_matches(|c| cut.contains(&c)))
    });
    m.insert("trimPrefix", |a| {
        want(a, 2)?;
        let (p, x) = (s(&a[0]), s(&a[1]));
        ok(x.strip_prefix(p.as_str()).unwrap_or(&x))
    });
    m.insert("trimSuffix", |a| {
        want(a, 2)?;
        let (p, x) = (s(&a[0]), s(&a[1]));
        ok(x.strip_suffix(p.as_str()).unwrap_or(&x))
    });
    m.insert("upper", |a| {
        want(a, 1)?;
        ok(go_upper(&s(&a[0])))
    });
    m.insert("lower", |a| {
        want(a, 1)?;
        ok(go_lower(&s(&a[0])))
    });
    m.insert("title", |a| {
        want(a, 1)?;
        ok(title(&s(&a[0])))
    });
    m.insert("untitle", |a| {
        want(a, 1)?;
        ok(untitle(&s(&a[0])))
    });
    m.insert("repeat", |a| {
        want(a, 2)?;
        let n = to_i64(&a[0]);
        if n < 0 {
            return Err("strings: negative Repeat count".into());
        }
        ok(s(&a[1]).repeat(n as usize))
    });
    m.insert("substr", |a| {
        want(a, 3)?;
        let (start, end, x) = (to_i64(&a[0]), to_i64(&a[1]), s(&a[2]));
        let len = x.len() as i64;
        if start < 0 {
            return ok(bytes_slice(&x, 0, end.max(0) as usize));
        }
        if end < 0 || end > len {
            return ok(bytes_slice(&x, start as usize, x.len()));
        }
        if start > end {
            return Err(format!("slice bounds out of range [{start}:{end}]"));
        }
        ok(bytes_slice(&x, start as usize, end as usize))
    });
    m.insert("nospace", |a| {
        want(a, 1)?;
        ok(s(&a[0])
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>())
    });
    m.insert("trunc", |a| {
        want(a, 2)?;
        let (c, x) = (to_i64(&a[0]), s(&a[1]));
        let len = x.len() as i64;
        if c < 0 && len + c > 0 {
            return ok(bytes_slice(&x, (len + c) as usize, x.len()));
        }
        if c >= 0 && len > c {
            return ok(bytes_slice(&x, 0, c as usize));
        }
        ok(x)
    });
    m.insert("abbrev", |a| {
        want(a, 2)?;
        abbrev(to_i64(&a[0]), &s(&a[1])).map(Value::from)
    });
    m.insert("abbrevboth", |a| {
        want(a, 3)?;
        let (left, right, x) = (to_i64(&a[0]), to_i64(&a[1]), s(&a[2]));
        let x = if left > 4 && (x.len() as i64) > right {
            format!("...{}", bytes_slice(&x, left as usize, x.len()))
        } else {
            x
        };
        abbrev(right, &x).map(Value::from)
    });
    m.insert("initials", |a| {
        want(a, 1)?;
        ok(s(&a[0])
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .collect::<String>())
    });
    m.insert("randAlphaNum", |a| {
        want(a, 1)?;
        ok(random_from(ALNUM, to_i64(&a[0])))
    });
    m.insert("randAlpha", |a| {
        want(a, 1)?;
        ok(random_from(ALPHA, to_i64(&a[0])))
    });
    m.insert("randNumeric", |a| {
        want(a, 1)?;
        ok(random_from(NUM, to_i64(&a[0])))
    });
    m.insert("randAscii", |a| {
        want(a, 1)?;
        let ascii: Vec<u8> = (32u8..127).collect();
        ok(random_from(&ascii, to_i64(&a[0])))
    });
    m.insert("wrap", |a| {
        want(a, 2)?;
        ok(wrap_with(to_i64(&a[0]), "\n", &s(&a[1])))
    });
    m.insert("wrapWith", |a| {
        want(a, 3)?;
        ok(wrap_with(to_i64(&a[0]), &s(&a[1]), &s(&a[2])))
    });
    m.insert("contains", |a| {
        want(a, 2)?;
        Ok(Value::Bool(s(&a[1]).contains(s(&a[0]).as_str())))
    });
    m.insert("hasPrefix", |a| {
        want(a, 2)?;
        Ok(Value::Bool(s(&a[1]).starts_with(s(&a[0]).as_str())))
    });
    m.insert("hasSuffix", |a| {
        want(a, 2)?;
        Ok(Value::Bool(s(&a[1]).ends_with(s(&a[0]).as_str())))
    });
    m.insert("quote", |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| go_quote(&strval(v)))
            .collect();
        ok(parts.join(" "))
    });
    m.insert("squote", |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| format!("'{}'", strval(v)))
            .collect();
        ok(parts.join(" "))
    });
    m.insert("cat", |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(crate::format::format_value)
            .collect();
        ok(parts.join(" "))
    });
    m.insert("indent", |a| {
        want(a, 2)?;
        ok(indent(to_i64(&a[0]), &s(&a[1])))
    });
    m.insert("nindent", |a| {
        want(a, 2)?;
        ok(indent_after("\n", to_i64(&a[0]), &s(&a[1])))
    });
    m.insert("replace", |a| {
        want(a, 3)?;
        ok(s(&a[2]).replace(s(&a[0]).as_str(), &s(&a[1])))
    });
    m.insert("plural", |a| {
        want(a, 3)?;
        Ok(if to_i64(&a[2]) == 1 {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    m.insert("snakecase", |a| {
        want(a, 1)?;
        ok(lower_joined(&s(&a[0]), "_"))
    });
    m.insert("kebabcase", |a| {
        want(a, 1)?;
        ok(lower_joined(&s(&a[0]), "-"))
    });
    m.insert("camelcase", |a| {
        want(a, 1)?;
        ok(camelcase(&s(&a[0])))
    });
    m.insert("swapcase", |a| {
        want(a, 1)?;
        ok(swapcase(&s(&a[0])))
    });
    m.insert("shuffle", |a| {
        want(a, 1)?;
        let mut chars: Vec<char> = crate::format::char_vec(&s(&a[0]));
        let seed = uuid::Uuid::new_v4().as_u128();
        let len = chars.len();
        for i in (1..len).rev() {
            let j = ((seed >> (i % 100)) as usize + i * 7) % (i + 1);
            chars.swap(i, j);
        }
        ok(chars.into_iter().collect::<String>())
    });
    m.insert("split", |a| {
        want(a, 2)?;
        let (sep, x) = (s(&a[0]), s(&a[1]));
        Ok(str_map(go_split(&x, &sep, -1)))
    });
    m.insert("splitn", |a| {
        want(a, 3)?;
        let (sep, n, x) = (s(&a[0]), to_i64(&a[1]), s(&a[2]));
        Ok(str_map(go_split(&x, &sep, n)))
    });
    m.insert("splitList", |a| {
        want(a, 2)?;
        let (sep, x) = (s(&a[0]), s(&a[1]));
        Ok(Value::list(
            go_split(&x, &sep, -1).into_iter().map(Value::str).collect(),
        ))
    });
    m.insert("join", |a| {
        want(a, 2)?;
        ok(strslice(&a[1]).join(&s(&a[0])))
    });
    m.insert("sortAlpha", |a| {
        want(a, 1)?;
        let mut v = strslice(&a[0]);
        v.sort();
        Ok(Value::list(v.into_iter().map(Value::from).collect()))
    });
}

/// Go's `strings.SplitN` (n < 0 means all); an empty separator splits into characters.
pub fn go_split<'a>(s: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let mut out: Vec<&str> = Vec::new();
        let mut idx: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        idx.push(s.len());
        for w in idx.windows(2) {
            if n > 0 && out.len() as i64 == n - 1 {
                out.push(&s[w[0]..]);
                return out;
            }
            out.push(&s[w[0]..w[1]]);
        }
        return out;
    }
    if n < 0 {
        s.split(sep).collect()
    } else {
        s.splitn(n as usize, sep).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_pads_every_line_like_sprig() {
        assert_eq!(indent(2, "a\nb\n"), "  a\n  b\n  ");
        assert_eq!(indent(-1, "a\nb"), "a\nb");
        assert_eq!(indent_after("\n", 1, ""), "\n ");
    }

    #[test]
    fn camelcase_joins_dash_and_underscore_words() {
        assert_eq!(camelcase("cert-manager"), "CertManager");
        assert_eq!(camelcase("http_server"), "HttpServer");
        assert_eq!(camelcase("alreadyCamel"), "AlreadyCamel");
        assert_eq!(camelcase("foo--bar_baz qux"), "Foo-BarBazQux");
        assert_eq!(camelcase("FOO_BAR"), "FooBar");
        assert_eq!(camelcase("-lead"), "-Lead");
    }

    #[test]
    fn kebab_and_snake_split_camel_case_and_acronyms() {
        assert_eq!(lower_joined("HTTPServer", "_"), "http_server");
        assert_eq!(lower_joined("fooBar", "-"), "foo-bar");
        assert_eq!(lower_joined("some words", "_"), "some_words");
        assert_eq!(lower_joined("HTTP2xx", "_"), "http_2xx");
        assert_eq!(lower_joined("Bld4Floor", "_"), "bld4_floor");
    }

    #[test]
    fn title_capitalises_after_separators() {
        assert_eq!(title("hello world-x"), "Hello World-X");
    }

    #[test]
    fn go_split_with_empty_separator_yields_characters() {
        assert_eq!(go_split("abc", "", -1), vec!["a", "b", "c"]);
        assert_eq!(go_split("a,b,c", ",", 2), vec!["a", "b,c"]);
    }
}
