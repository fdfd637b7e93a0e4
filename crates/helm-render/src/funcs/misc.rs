//! Sprig's defaults, type checks, paths and dates, plus Helm's `required`, `fail`, `lookup`.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::convert::{strval, to_i64};
use super::{Func, want};
use crate::value::{Map, Object, Value};

/// A point in time (`now`, `toDate`), printed as Go's `time.Time` prints.
#[derive(Debug, Clone)]
struct Time(DateTime<FixedOffset>);

impl Object for Time {
    fn type_name(&self) -> &'static str {
        "time.Time"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Unix" => Some(Value::Int(self.0.timestamp())),
            "Year" => Some(Value::Int(i64::from(chrono::Datelike::year(&self.0)))),
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Format" => Some(Ok(Value::from(go_date(&strval(args.first()?), &self.0)))),
            _ => None,
        }
    }
    fn plain(&self) -> Value {
        Value::map(Map::new())
    }
    fn display(&self) -> String {
        go_date("2006-01-02 15:04:05.999999999 -0700 MST", &self.0)
    }
}

/// Formats a time with a Go reference layout (`2006-01-02T15:04:05Z07:00`).
pub fn go_date(layout: &str, t: &DateTime<FixedOffset>) -> String {
    const TOKENS: &[(&str, &str)] = &[
        ("January", "%B"),
        ("Monday", "%A"),
        ("2006", "%Y"),
        ("-07:00", "%:z"),
        ("-0700", "%z"),
        ("Z07:00", "Z07:00"),
        (".999999999", ".999999999"),
        (".000", "%.3f"),
        ("Jan", "%b"),
        ("Mon", "%a"),
        ("MST", "%Z"),
        ("002", "%j"),
        ("_2", "%e"),
        ("01", "%m"),
        ("02", "%d"),
        ("03", "%I"),
        ("04", "%M"),
        ("05", "%S"),
        ("06", "%y"),
        ("15", "%H"),
        ("PM", "%p"),
        ("pm", "%P"),
        ("1", "%-m"),
        ("2", "%-d"),
        ("3", "%-I"),
        ("4", "%-M"),
        ("5", "%-S"),
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (tok, fmt) in TOKENS {
            if let Some(r) = rest.strip_prefix(tok) {
                match *fmt {
                    "Z07:00" => {
                        if t.offset().local_minus_utc() == 0 {
                            out.push('Z');
                        } else {
                            out.push_str(&t.format("%:z").to_string());
                        }
                    }
                    ".999999999" => {
                        let ns = t.timestamp_subsec_nanos();
                        if ns > 0 {
                            let s = format!(".{ns:09}");
                            out.push_str(s.trim_end_matches('0'));
                        }
                    }
                    "%Z" if t.offset().local_minus_utc() == 0 => out.push_str("UTC"),
                    f => out.push_str(&t.format(f).to_string()),
                }
                rest = r;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

fn to_time(v: &Value) -> DateTime<FixedOffset> {
    let utc = chrono::Offset::fix(&Utc);
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => {
            let secs = o.field("Unix").map(|x| to_i64(&x)).unwrap_or(0);
            utc.timestamp_opt(secs, 0).single().unwrap_or_default()
        }
        other => utc
            .timestamp_opt(to_i64(other), 0)
            .single()
            .unwrap_or_default(),
    }
}

fn now() -> Value {
    Value::Object(Rc::new(Time(Utc::now().fixed_offset())))
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's `path.Clean`.
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

/// Go's `time.Duration.String()` for whole seconds.
fn go_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{sign}{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{sign}{m}m{sec}s")
    } else {
        format!("{sign}{sec}s")
    }
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("default", |a| {
        let Some((d, given)) = a.split_first() else {
            return Err("wrong number of args for default: want at least 1 got 0".into());
        };
        Ok(match given.first() {
            Some(g) if g.is_truthy() => g.clone(),
            _ => d.clone(),
        })
    });
    m.insert("empty", |a| {
        want(a, 1)?;
        Ok(Value::Bool(a[0].is_empty()))
    });
    m.insert("coalesce", |a| {
        Ok(a.iter()
            .find(|v| v.is_truthy())
            .cloned()
            .unwrap_or(Value::Nil))
    });
    m.insert("all", |a| Ok(Value::Bool(a.iter().all(Value::is_truthy))));
    m.insert("any", |a| Ok(Value::Bool(a.iter().any(Value::is_truthy))));
    m.insert("ternary", |a| {
        want(a, 3)?;
        Ok(if a[2].is_truthy() {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    m.insert("required", |a| {
        want(a, 2)?;
        match &a[1] {
            Value::Nil => Err(strval(&a[0])),
            Value::String(s) if s.is_empty() => Err(strval(&a[0])),
            v => Ok(v.clone()),
        }
    });
    m.insert("fail", |a| {
        want(a, 1)?;
        Err(strval(&a[0]))
    });
    m.insert("lookup", |a| {
        want(a, 4)?;
        Ok(Value::map(Map::new()))
    });
    m.insert("kindOf", |a| {
        want(a, 1)?;
        Ok(Value::str(a[0].kind()))
    });
    m.insert("kindIs", |a| {
        want(a, 2)?;
        Ok(Value::Bool(strval(&a[0]) == a[1].kind()))
    });
    m.insert("typeOf", |a| {
        want(a, 1)?;
        Ok(Value::str(a[0].type_name()))
    });
    m.insert("typeIs", |a| {
        want(a, 2)?;
        Ok(Value::Bool(strval(&a[0]) == a[1].type_name()))
    });
    m.insert("typeIsLike", |a| {
        want(a, 2)?;
        let t = strval(&a[0]);
        let actual = a[1].type_name();
        Ok(Value::Bool(t == actual || t == format!("*{actual}")))
    });
    m.insert("deepEqual", |a| {
        want(a, 2)?;
        Ok(Value::Bool(a[0].deep_eq(&a[1])))
    });
    m.insert("base", |a| {
        want(a, 1)?;
        Ok(Value::from(path_base(&strval(&a[0]))))
    });
    m.insert("dir", |a| {
        want(a, 1)?;
        Ok(Value::from(path_dir(&strval(&a[0]))))
    });
    m.insert("clean", |a| {
        want(a, 1)?;
        Ok(Value::from(path_clean(&strval(&a[0]))))
    });
    m.insert("ext", |a| {
        want(a, 1)?;
        let s = strval(&a[0]);
        let b = s.rsplit('/').next().unwrap_or(&s);
        Ok(Value::from(
            b.rfind('.').map(|i| b[i..].to_string()).unwrap_or_default(),
        ))
    });
    m.insert("isAbs", |a| {
        want(a, 1)?;
        Ok(Value::Bool(strval(&a[0]).starts_with('/')))
    });
    m.insert("hello", |_| Ok(Value::str("Hello!")));
    m.insert("osBase", |a| {
        want(a, 1)?;
        Ok(Value::from(path_base(&strval(&a[0]))))
    });
    m.insert("osDir", |a| {
        want(a, 1)?;
        Ok(Value::from(path_dir(&strval(&a[0]))))
    });
    m.insert("osClean", |a| {
        want(a, 1)?;
        Ok(Value::from(path_clean(&strval(&a[0]))))
    });
    m.insert("osIsAbs", |a| {
        want(a, 1)?;
        Ok(Value::Bool(strval(&a[0]).starts_with('/')))
    });
    m.insert("duration", |a| {
        want(a, 1)?;
        Ok(Value::from(go_duration(to_i64(&a[0]))))
    });
    m.insert("getHostByName", |a| {
        want(a, 1)?;
        Ok(Value::str(""))
    });
    m.insert("now", |_| Ok(now()));
    m.insert("date", |a| {
        want(a, 2)?;
        Ok(Value::from(go_date(&strval(&a[0]), &to_time(&a[1]))))
    });
    m.insert("dateInZone", |a| {
        want(a, 3)?;
        Ok(Value::from(go_date(&strval(&a[0]), &to_time(&a[1]))))
    });
    m.insert("htmlDate", |a| {
        want(a, 1)?;
        Ok(Value::from(go_date("2006-01-02", &to_time(&a[0]))))
    });
    m.insert("unixEpoch", |a| {
        want(a, 1)?;
        Ok(Value::from(to_time(&a[0]).timestamp().to_string()))
    });
    m.insert("htmlDateInZone", |a| {
        want(a, 2)?;
        Ok(Value::from(go_date("2006-01-02", &to_time(&a[0]))))
    });
    m.insert("date_in_zone", |a| {
        want(a, 3)?;
        Ok(Value::from(go_date(&strval(&a[0]), &to_time(&a[1]))))
    });
    m.insert("toDate", |a| {
        want(a, 2)?;
        let s = strval(&a[1]);
        let t = chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().fixed_offset())
            .unwrap_or_default();
        Ok(Value::Object(Rc::new(Time(t))))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layouts_translate_to_dates() {
        let t = FixedOffset::east_opt(0)
            .and_then(|z| z.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).single())
            .unwrap_or_default();
        assert_eq!(
            go_date("2006-01-02T15:04:05Z07:00", &t),
            "2024-03-05T07:08:09Z"
        );
        assert_eq!(go_date("Jan 2, 06", &t), "Mar 5, 24");
    }

    #[test]
    fn paths_follow_go_path_package() {
        assert_eq!(path_dir("a/b/c.yaml"), "a/b");
        assert_eq!(path_dir("c.yaml"), ".");
        assert_eq!(path_base("a/b/"), "b");
        assert_eq!(path_clean("a/../../b/./c"), "../b/c");
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(90), "1m30s");
        assert_eq!(go_duration(3600), "1h0m0s");
        assert_eq!(go_duration(0), "0s");
    }
}
