//! Sprig's defaults, type checks, paths and dates, plus Helm's `required`, `fail`, `lookup`.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, FixedOffset, Utc};

use super::convert::{strval, to_i64};
use super::{Func, want};
use crate::value::{Map, Object, Value};

/// A point in time (`now`, `toDate`), printed as Go's `time.Time` prints; `zone` is the
/// abbreviation Go prints for `MST` (empty: `UTC` at offset 0, else the numeric offset).
#[derive(Debug, Clone)]
pub(crate) struct Time {
    t: DateTime<FixedOffset>,
    zone: String,
}

impl Time {
    fn value(t: DateTime<FixedOffset>, zone: impl Into<String>) -> Value {
        Value::Object(Rc::new(Time {
            t,
            zone: zone.into(),
        }))
    }
}

/// A `time.Time` template value.
pub(crate) fn time_value(t: DateTime<FixedOffset>) -> Value {
    Time::value(t, "")
}

impl Object for Time {
    fn type_name(&self) -> &'static str {
        "time.Time"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Unix" => Some(Value::Int(self.t.timestamp())),
            "UnixNano" => self.t.timestamp_nanos_opt().map(Value::Int),
            "Year" => Some(Value::Int(i64::from(chrono::Datelike::year(&self.t)))),
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Format" => Some(Ok(Value::from(go_date_zone(
                &strval(args.first()?),
                &self.t,
                &self.zone,
            )))),
            _ => None,
        }
    }
    /// `time.Time` marshals to JSON (and so to YAML in Helm) as an RFC 3339 string.
    fn plain(&self) -> Value {
        Value::from(go_date_zone(
            "2006-01-02T15:04:05.999999999Z07:00",
            &self.t,
            &self.zone,
        ))
    }
    fn display(&self) -> String {
        go_date_zone(
            "2006-01-02 15:04:05.999999999 -0700 MST",
            &self.t,
            &self.zone,
        )
    }
}

/// The `time.Time` inside a value, if it is one.
fn as_time(v: &Value) -> Option<(DateTime<FixedOffset>, String)> {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => {
            let nanos = o.field("UnixNano").map(|n| to_i64(&n));
            let secs = o.field("Unix").map(|x| to_i64(&x)).unwrap_or(0);
            let utc = match nanos {
                Some(n) => DateTime::from_timestamp_nanos(n),
                None => DateTime::from_timestamp(secs, 0).unwrap_or_default(),
            };
            let shown = o.display();
            // The offset is the display's `-0700` field (third word), the zone the fourth.
            let mut words = shown.split(' ').skip(2);
            let off = words
                .next()
                .and_then(|w| {
                    chrono::DateTime::parse_from_str(
                        &format!("2000-01-01 00:00:00 {w}"),
                        "%Y-%m-%d %H:%M:%S %z",
                    )
                    .ok()
                })
                .map(|d| *d.offset())
                .unwrap_or_else(|| chrono::Offset::fix(&Utc));
            let zone = words.next().unwrap_or("").to_string();
            Some((utc.with_timezone(&off), zone))
        }
        _ => None,
    }
}

fn time_arg(v: &Value) -> Result<(DateTime<FixedOffset>, String), String> {
    as_time(v).ok_or_else(|| {
        format!(
            "wrong type for value; expected time.Time; got {}",
            v.type_name()
        )
    })
}

/// Elements of Go's reference layout and the chrono specifiers that format them (longer
/// elements first; `Z07:00` and `.999999999` are handled by the formatter itself).
const GO_LAYOUT: &[(&str, &str)] = &[
    ("January", "%B"),
    ("Monday", "%A"),
    ("2006", "%Y"),
    ("-07:00", "%:z"),
    ("-0700", "%z"),
    ("Z07:00", "Z07:00"),
    (".999999999", ".999999999"),
    (".000000000", "%.9f"),
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

/// A piece of a Go reference layout: an element of the caller's token table (mapped, and the
/// layout after it), or literal text.
enum Piece<'a> {
    Token(&'static str, &'a str),
    Char(char),
}

/// Walks a Go reference layout, matching `tokens` (longer elements listed first) at each
/// position and passing anything else through as literal characters.
fn walk_layout<'a>(
    layout: &'a str,
    tokens: &[(&str, &'static str)],
    mut each: impl FnMut(Piece<'a>),
) {
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (tok, mapped) in tokens {
            if let Some(r) = rest.strip_prefix(tok) {
                each(Piece::Token(mapped, r));
                rest = r;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            each(Piece::Char(c));
        }
        rest = chars.as_str();
    }
}

/// Formats a time with a Go reference layout (`2006-01-02T15:04:05Z07:00`).
#[cfg(test)]
fn go_date(layout: &str, t: &DateTime<FixedOffset>) -> String {
    go_date_zone(layout, t, "")
}

/// [`go_date`] with the zone abbreviation printed for `MST`.
fn go_date_zone(layout: &str, t: &DateTime<FixedOffset>, zone: &str) -> String {
    let mut out = String::new();
    walk_layout(layout, GO_LAYOUT, |piece| match piece {
        Piece::Char(c) => out.push(c),
        Piece::Token("Z07:00", _) => {
            if t.offset().local_minus_utc() == 0 {
                out.push('Z');
            } else {
                out.push_str(&t.format("%:z").to_string());
            }
        }
        Piece::Token(".999999999", _) => {
            let ns = t.timestamp_subsec_nanos();
            if ns > 0 {
                let s = format!(".{ns:09}");
                out.push_str(s.trim_end_matches('0'));
            }
        }
        Piece::Token("%Z", _) if !zone.is_empty() => out.push_str(zone),
        Piece::Token("%Z", _) if t.offset().local_minus_utc() == 0 => out.push_str("UTC"),
        Piece::Token("%Z", _) => out.push_str(&t.format("%z").to_string()),
        Piece::Token(f, _) => out.push_str(&t.format(f).to_string()),
    });
    out
}

/// Sprig's date argument: a `time.Time`, or Unix seconds as an int; anything else is now.
fn to_time(v: &Value) -> DateTime<FixedOffset> {
    match v {
        Value::Int(n) => DateTime::from_timestamp(*n, 0)
            .unwrap_or_default()
            .fixed_offset(),
        other => as_time(other)
            .map(|(t, _)| t)
            .unwrap_or_else(|| Utc::now().fixed_offset()),
    }
}

/// Formats `t` in the IANA zone `zone` (UTC when unknown, like Sprig).
fn date_in_zone(layout: &str, t: &DateTime<FixedOffset>, zone: &str) -> String {
    let tz: chrono_tz::Tz = match zone {
        "Local" | "" => chrono_tz::UTC,
        z => z.parse().unwrap_or(chrono_tz::UTC),
    };
    let local = t.with_timezone(&tz);
    let abbr = chrono::Offset::fix(local.offset());
    let name = local.format("%Z").to_string();
    let name = if name.starts_with(['+', '-']) {
        local.format("%z").to_string()
    } else {
        name
    };
    go_date_zone(layout, &local.with_timezone(&abbr), &name)
}

fn now() -> Value {
    time_value(Utc::now().fixed_offset())
}

/// Go's `time.ParseDuration`, in nanoseconds, with Go's error text.
fn parse_go_duration(s: &str) -> Result<i64, String> {
    hook_config::parse_go_duration_nanos(s).map_err(|e| e.to_string())
}

/// Go's `time.Duration.String()`.
fn go_duration_nanos(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let sign = if d < 0 { "-" } else { "" };
    let u = d.unsigned_abs();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("\u{b5}s", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac(u, div));
    }
    let secs = u / 1_000_000_000;
    let sub = u % 1_000_000_000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let sec = frac(s * 1_000_000_000 + sub, 1_000_000_000);
    if h > 0 {
        format!("{sign}{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{sign}{m}m{sec}s")
    } else {
        format!("{sign}{sec}s")
    }
}

/// `n / div` with the fraction's trailing zeros dropped, as Go prints durations.
fn frac(n: u64, div: u64) -> String {
    let whole = n / div;
    let rem = n % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.ilog10() as usize;
    let f = format!("{rem:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Sprig's `durationRound`: the largest whole unit (y, mo, d, h, m, s) of a duration.
fn duration_round(v: &Value) -> String {
    let d: i64 = match v {
        Value::String(s) => parse_go_duration(s).unwrap_or(0),
        // Go ints that are not int64 (template literals) count as 0 in Sprig; our values do
        // not keep that distinction, so every integer is taken as int64.
        Value::Int(n) => *n,
        other => match as_time(other) {
            Some((t, _)) => (Utc::now().fixed_offset() - t)
                .num_nanoseconds()
                .unwrap_or(i64::MAX),
            None => 0,
        },
    };
    let u = d.unsigned_abs();
    const SEC: u64 = 1_000_000_000;
    let units = [
        (SEC * 3600 * 24 * 365, "y"),
        (SEC * 3600 * 24 * 30, "mo"),
        (SEC * 3600 * 24, "d"),
        (SEC * 3600, "h"),
        (SEC * 60, "m"),
        (SEC, "s"),
    ];
    units
        .iter()
        .find(|(size, _)| u > *size)
        .map(|(size, name)| format!("{}{name}", u / size))
        .unwrap_or_else(|| "0s".into())
}

/// Parses `s` with a Go reference layout, as `time.ParseInLocation(layout, s, UTC)`.
fn go_parse(layout: &str, s: &str) -> Result<DateTime<FixedOffset>, String> {
    let err = || format!("parsing time {s:?} as {layout:?}: cannot parse {s:?} as {layout:?}");
    let mut fmt = String::new();
    walk_layout(layout, GO_LAYOUT, |piece| match piece {
        Piece::Char('%') => fmt.push_str("%%"),
        Piece::Char(c) => fmt.push(c),
        Piece::Token(f, rest) => {
            // chrono reads padded and unpadded numbers alike; fractions by `%.f`.
            let f = match f {
                "%-m" => "%m",
                "%-d" => "%d",
                "%-I" => "%I",
                "%-M" => "%M",
                "%-S" => "%S",
                "%P" => "%p",
                "Z07:00" => "%:z",
                ".999999999" | "%.3f" | "%.9f" => "%.f",
                f => f,
            };
            fmt.push_str(f);
            // Go accepts fractional seconds after a seconds field the layout does not show.
            if f == "%S" && !rest.starts_with(['.', ',']) {
                fmt.push_str("%.f");
            }
        }
    });
    // Go's `Z07:00` reads `Z` as UTC, which chrono's `%:z` does not.
    let input = match s.strip_suffix('Z') {
        Some(head) if layout.contains("Z07") => format!("{head}+00:00"),
        _ => s.to_string(),
    };
    if fmt.contains("%z") || fmt.contains("%:z") {
        return DateTime::parse_from_str(&input, &fmt).map_err(|_| err());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(&input, &fmt).or_else(|_| {
        chrono::NaiveDate::parse_from_str(&input, &fmt).map(|d| d.and_time(chrono::NaiveTime::MIN))
    });
    naive.map(|n| n.and_utc().fixed_offset()).map_err(|_| err())
}

/// Go's zero `time.Time`.
fn zero_time() -> DateTime<FixedOffset> {
    chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().fixed_offset())
        .unwrap_or_default()
}

/// `dateModify`'s arguments checked, and the moved time or why the duration is bad.
struct Modified {
    moved: Result<DateTime<FixedOffset>, String>,
    orig: DateTime<FixedOffset>,
    zone: String,
}

fn date_modify(a: &[Value]) -> Result<Modified, String> {
    want(a, 2)?;
    let d = super::arg_str(&a[0])?;
    let (orig, zone) = time_arg(&a[1])?;
    let moved = parse_go_duration(&d).and_then(|n| {
        orig.checked_add_signed(chrono::Duration::nanoseconds(n))
            .ok_or_else(|| "time out of range".to_string())
    });
    Ok(Modified { moved, orig, zone })
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

/// Go's `path.Ext` (and `filepath.Ext` on Unix).
fn path_ext(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let s = strval(&a[0]);
    let b = s.rsplit('/').next().unwrap_or(&s);
    Ok(Value::from(
        b.rfind('.').map(|i| b[i..].to_string()).unwrap_or_default(),
    ))
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
    go_duration_nanos(secs.saturating_mul(1_000_000_000))
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
    m.insert("ext", path_ext);
    m.insert("osExt", path_ext);
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
        // Sprig reads an int64 or a decimal string; other kinds (float64 values) count as 0.
        let secs = match &a[0] {
            Value::Int(n) => *n,
            Value::String(s) => s.parse().unwrap_or(0),
            _ => 0,
        };
        Ok(Value::from(go_duration(secs)))
    });
    m.insert("durationRound", |a| {
        want(a, 1)?;
        Ok(Value::from(duration_round(&a[0])))
    });
    m.insert("ago", |a| {
        want(a, 1)?;
        let t = to_time(&a[0]);
        let d = (Utc::now().fixed_offset() - t).num_milliseconds();
        Ok(Value::from(go_duration((d + d.signum() * 500) / 1000)))
    });
    for name in ["dateModify", "date_modify"] {
        m.insert(name, |a| {
            let m = date_modify(a)?;
            Ok(Time::value(m.moved.unwrap_or(m.orig), m.zone))
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        m.insert(name, |a| {
            let m = date_modify(a)?;
            m.moved.map(|t| Time::value(t, m.zone))
        });
    }
    m.insert("getHostByName", |a| {
        want(a, 1)?;
        Ok(Value::str(""))
    });
    m.insert("now", |_| Ok(now()));
    m.insert("date", |a| {
        want(a, 2)?;
        Ok(Value::from(date_in_zone(
            &strval(&a[0]),
            &to_time(&a[1]),
            "Local",
        )))
    });
    for name in ["dateInZone", "date_in_zone"] {
        m.insert(name, |a| {
            want(a, 3)?;
            Ok(Value::from(date_in_zone(
                &strval(&a[0]),
                &to_time(&a[1]),
                &super::arg_str(&a[2])?,
            )))
        });
    }
    m.insert("htmlDate", |a| {
        want(a, 1)?;
        Ok(Value::from(date_in_zone(
            "2006-01-02",
            &to_time(&a[0]),
            "Local",
        )))
    });
    m.insert("htmlDateInZone", |a| {
        want(a, 2)?;
        Ok(Value::from(date_in_zone(
            "2006-01-02",
            &to_time(&a[0]),
            &super::arg_str(&a[1])?,
        )))
    });
    m.insert("unixEpoch", |a| {
        want(a, 1)?;
        Ok(Value::from(time_arg(&a[0])?.0.timestamp().to_string()))
    });
    m.insert("toDate", |a| {
        want(a, 2)?;
        let t = go_parse(&super::arg_str(&a[0])?, &super::arg_str(&a[1])?)
            .unwrap_or_else(|_| zero_time());
        Ok(time_value(t))
    });
    m.insert("mustToDate", |a| {
        want(a, 2)?;
        go_parse(&super::arg_str(&a[0])?, &super::arg_str(&a[1])?).map(time_value)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

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
