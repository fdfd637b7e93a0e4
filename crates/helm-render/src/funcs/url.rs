//! Sprig's `urlParse` and `urlJoin`, with Go's `net/url` parsing and escaping rules (which
//! differ from the WHATWG rules of the `url` crate: no normalisation, no default `/` path).

use std::collections::HashMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::{Func, arg_str, want};
use crate::value::{Map, Value};

/// Bytes Go leaves unescaped everywhere: letters, digits and `-_.~` (NON_ALPHANUMERIC minus these).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// `encodePath`: the sub-delimiters, `/`, `:` and `@` stay; `?` is escaped.
const PATH: &AsciiSet = &UNRESERVED
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b'/')
    .remove(b':')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');
/// `encodeFragment`: everything of a path plus `?` and `!()*`.
const FRAGMENT: &AsciiSet = &PATH
    .remove(b'?')
    .remove(b'!')
    .remove(b'(')
    .remove(b')')
    .remove(b'*');
/// `encodeUserPassword`: sub-delimiters stay; `@ / ? :` are escaped.
const USERINFO: &AsciiSet = &UNRESERVED
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');
/// `encodeHost`: sub-delimiters, `:`, `[` `]` and quote marks stay.
const HOST: &AsciiSet = &UNRESERVED
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'[')
    .remove(b']')
    .remove(b'<')
    .remove(b'>')
    .remove(b'"');

/// The parts of a URL as Go's `url.URL` keeps them (path, fragment and userinfo unescaped).
#[derive(Debug, Default, PartialEq)]
struct GoUrl {
    scheme: String,
    opaque: String,
    user: Option<(String, Option<String>)>,
    host: String,
    path: String,
    raw_query: String,
    fragment: String,
}

fn unescape(s: &str) -> Result<String, String> {
    // Go rejects a `%` not followed by two hex digits.
    let b = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        let ok = b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
        if !ok {
            let end = (i + 3).min(s.len());
            return Err(format!(
                "invalid URL escape {:?}",
                s.get(i..end).unwrap_or("%")
            ));
        }
    }
    Ok(percent_decode_str(s).decode_utf8_lossy().into_owned())
}

/// Go's `url.Parse`.
fn parse(raw: &str) -> Result<GoUrl, String> {
    let fail = |e: String| format!("parse {raw:?}: {e}");
    let (rest, frag) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    let mut u = GoUrl::default();
    if let Some(f) = frag {
        u.fragment = unescape(f).map_err(fail)?;
    }
    if rest.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err(fail("net/url: invalid control character in URL".into()));
    }
    if rest.is_empty() {
        return Ok(u);
    }
    let mut rest = rest.to_string();
    // The scheme: a letter, then letters, digits, `+-.`, up to a `:`.
    for (i, c) in rest.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err(fail("missing protocol scheme".into())),
            ':' => {
                u.scheme = rest[..i].to_ascii_lowercase();
                rest = rest[i + 1..].to_string();
                break;
            }
            _ => break,
        }
    }
    if let Some((r, q)) = rest.split_once('?') {
        u.raw_query = q.to_string();
        rest = r.to_string();
    }
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            u.opaque = rest;
            return Ok(u);
        }
        let first = rest.split('/').next().unwrap_or("");
        if first.contains(':') {
            return Err(fail(
                "first path segment in URL cannot contain colon".into(),
            ));
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let (authority, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let (userinfo, host) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        if let Some(ui) = userinfo {
            u.user = Some(match ui.split_once(':') {
                Some((n, p)) => (unescape(n).map_err(fail)?, Some(unescape(p).map_err(fail)?)),
                None => (unescape(ui).map_err(fail)?, None),
            });
        }
        u.host = unescape(host).map_err(fail)?;
        rest = path.to_string();
    }
    u.path = unescape(&rest).map_err(fail)?;
    Ok(u)
}

impl GoUrl {
    fn userinfo(&self) -> String {
        match &self.user {
            None => String::new(),
            Some((n, None)) => utf8_percent_encode(n, USERINFO).to_string(),
            Some((n, Some(p))) => format!(
                "{}:{}",
                utf8_percent_encode(n, USERINFO),
                utf8_percent_encode(p, USERINFO)
            ),
        }
    }

    fn hostname(&self) -> &str {
        let h = &self.host;
        if let Some(rest) = h.strip_prefix('[') {
            return rest.split(']').next().unwrap_or("");
        }
        match h.rfind(':') {
            Some(i) if h[i + 1..].bytes().all(|c| c.is_ascii_digit()) => &h[..i],
            _ => h,
        }
    }

    /// Go's `URL.String()`.
    fn to_go_string(&self) -> String {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if !self.opaque.is_empty() {
            out.push_str(&self.opaque);
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    out.push_str("//");
                }
                if self.user.is_some() {
                    out.push_str(&self.userinfo());
                    out.push('@');
                }
                out.push_str(&utf8_percent_encode(&self.host, HOST).to_string());
            }
            let path = utf8_percent_encode(&self.path, PATH).to_string();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                out.push('/');
            }
            if out.is_empty() && path.split('/').next().is_some_and(|s| s.contains(':')) {
                out.push_str("./");
            }
            out.push_str(&path);
        }
        if !self.raw_query.is_empty() {
            out.push('?');
            out.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&utf8_percent_encode(&self.fragment, FRAGMENT).to_string());
        }
        out
    }
}

fn url_parse(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let u = parse(&arg_str(&a[0])?).map_err(|e| format!("unable to parse url: {e}"))?;
    let mut m = Map::new();
    for (k, v) in [
        ("scheme", u.scheme.as_str()),
        ("host", u.host.as_str()),
        ("hostname", u.hostname()),
        ("path", u.path.as_str()),
        ("query", u.raw_query.as_str()),
        ("opaque", u.opaque.as_str()),
        ("fragment", u.fragment.as_str()),
        ("userinfo", u.userinfo().as_str()),
    ] {
        m.insert(k.into(), Value::str(v));
    }
    Ok(Value::map(m))
}

fn url_join(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let Value::Map(d) = &a[0] else {
        return Err(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            a[0].type_name()
        ));
    };
    let d = d.borrow();
    let get = |k: &str| -> Result<String, String> {
        match d.get(k) {
            None | Some(Value::Nil) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.to_string()),
            Some(other) => Err(format!(
                "unable to parse {k} key, must be of type string, but {} found",
                other.kind()
            )),
        }
    };
    let userinfo = get("userinfo")?;
    let user = if userinfo.is_empty() {
        None
    } else {
        parse(&format!("proto://{userinfo}@host"))
            .map_err(|e| format!("unable to parse userinfo in dict: {e}"))?
            .user
    };
    let u = GoUrl {
        scheme: get("scheme")?,
        opaque: get("opaque")?,
        user,
        host: get("host")?,
        path: get("path")?,
        raw_query: get("query")?,
        fragment: get("fragment")?,
    };
    Ok(Value::from(u.to_go_string()))
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("urlParse", url_parse);
    m.insert("urlJoin", url_join);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_go_fields() {
        let u = parse("https://u:p%20w@Ex.com:8080/a%20b?x=1#f%21").unwrap_or_default();
        assert_eq!(u.host, "Ex.com:8080");
        assert_eq!(u.hostname(), "Ex.com");
        assert_eq!(u.path, "/a b");
        assert_eq!(u.fragment, "f!");
        assert_eq!(u.userinfo(), "u:p%20w");
        assert_eq!(parse("mailto:joe@x").unwrap_or_default().opaque, "joe@x");
    }

    #[test]
    fn bad_escapes_and_colon_paths_are_errors() {
        assert!(parse("http://h/%zz").is_err());
        assert!(parse("a:b/c").is_ok());
        assert!(parse("1a:b").is_err());
        assert!(parse(":x").is_err());
    }

    #[test]
    fn string_escapes_like_go() {
        let u = GoUrl {
            path: "a:b".into(),
            ..GoUrl::default()
        };
        assert_eq!(u.to_go_string(), "./a:b");
        let u = GoUrl {
            host: "h".into(),
            path: "rel".into(),
            ..GoUrl::default()
        };
        assert_eq!(u.to_go_string(), "//h/rel");
    }
}
