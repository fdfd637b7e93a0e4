//! Masterminds/semver v3 versions and constraints (`semver`, `semverCompare`).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use super::convert::strval;
use super::{Func, want};
use crate::value::{Map, Object, Value};

/// A parsed version, readable from templates as `.Major`, `.Minor`, `.Patch`...
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Pre-release, without the dash.
    pub pre: String,
    /// Build metadata, without the plus.
    pub meta: String,
    /// The text it was parsed from.
    pub original: String,
}

impl Version {
    /// Parses leniently, as `semver.NewVersion` does (`v` prefix, missing minor/patch).
    pub fn parse(s: &str) -> Result<Version, String> {
        let body = s.strip_prefix('v').unwrap_or(s);
        let (body, meta) = body.split_once('+').unwrap_or((body, ""));
        let (core, pre) = body.split_once('-').unwrap_or((body, ""));
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err("Invalid Semantic Version".into());
        }
        let num = |p: Option<&&str>| -> Result<u64, String> {
            match p {
                None => Ok(0),
                Some(p) => {
                    if p.len() > 1 && p.starts_with('0') {
                        return Err("Version segment starts with 0".into());
                    }
                    p.parse()
                        .map_err(|_| "Invalid Semantic Version".to_string())
                }
            }
        };
        Ok(Version {
            major: num(parts.first())?,
            minor: num(parts.get(1))?,
            patch: num(parts.get(2))?,
            pre: pre.to_string(),
            meta: meta.to_string(),
            original: s.to_string(),
        })
    }

    fn cmp_pre(a: &str, b: &str) -> Ordering {
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
        for (x, y) in pa.iter().zip(pb.iter()) {
            let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(n), Ok(m)) => n.cmp(&m),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                _ => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        pa.len().cmp(&pb.len())
    }

    /// Semver precedence.
    pub fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| Self::cmp_pre(&self.pre, &o.pre))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.meta.is_empty() {
            write!(f, "+{}", self.meta)?;
        }
        Ok(())
    }
}

impl Object for Version {
    fn type_name(&self) -> &'static str {
        "*semver.Version"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Int(self.major as i64),
            "Minor" => Value::Int(self.minor as i64),
            "Patch" => Value::Int(self.patch as i64),
            "Prerelease" => Value::str(&self.pre),
            "Metadata" => Value::str(&self.meta),
            "Original" => Value::str(&self.original),
            "String" => Value::from(self.to_string()),
            _ => return None,
        })
    }

    fn call(&self, _: &str, _: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn plain(&self) -> Value {
        Value::map(Map::new())
    }

    fn display(&self) -> String {
        self.to_string()
    }
}

/// One comparison of a constraint: `op` against a version with wildcards filled as zero.
fn check_one(c: &str, v: &Version) -> Result<bool, String> {
    let c = c.trim();
    let ops = [">=", "=>", "<=", "=<", "!=", "~>", ">", "<", "=", "~", "^"];
    let (op, rest) = ops
        .iter()
        .find_map(|op| c.strip_prefix(op).map(|r| (*op, r.trim())))
        .unwrap_or(("", c));
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
    let core = core.split_once('+').map_or(core, |(c, _)| c);
    let parts: Vec<&str> = core.split('.').collect();
    let wild = |p: Option<&&str>| p.is_none_or(|x| matches!(*x, "x" | "X" | "*"));
    let num = |p: Option<&&str>| -> Result<u64, String> {
        match p {
            Some(x) if !matches!(*x, "x" | "X" | "*") => {
                x.parse().map_err(|_| format!("improper constraint: {c}"))
            }
            _ => Ok(0),
        }
    };
    let (ma, mi, pa) = (num(parts.first())?, num(parts.get(1))?, num(parts.get(2))?);
    let (wmi, wpa) = (wild(parts.get(1)), wild(parts.get(2)));
    let wma = parts.first().is_none_or(|x| matches!(*x, "x" | "X" | "*"));
    let cv = Version {
        major: ma,
        minor: mi,
        patch: pa,
        pre: pre.to_string(),
        meta: String::new(),
        original: rest.to_string(),
    };
    if !v.pre.is_empty() && cv.pre.is_empty() {
        return Ok(false);
    }
    let cmp = v.compare(&cv);
    let upper = |major: u64, minor: u64, patch: u64| Version {
        major,
        minor,
        patch,
        pre: String::new(),
        meta: String::new(),
        original: String::new(),
    };
    let below = |u: Version| v.compare(&u) == Ordering::Less;
    Ok(match op {
        "" | "=" if wma => true,
        "" | "=" | "~" | "~>" if wmi => cmp != Ordering::Less && below(upper(ma + 1, 0, 0)),
        "" | "=" if wpa => cmp != Ordering::Less && below(upper(ma, mi + 1, 0)),
        "" | "=" => cmp == Ordering::Equal,
        "!=" => cmp != Ordering::Equal,
        ">" if wpa => !below(upper(ma, mi + 1, 0)),
        ">" => cmp == Ordering::Greater,
        ">=" | "=>" => cmp != Ordering::Less,
        "<" => cmp == Ordering::Less,
        "<=" | "=<" if wpa => below(upper(ma, mi + 1, 0)),
        "<=" | "=<" => cmp != Ordering::Greater,
        "~" | "~>" => cmp != Ordering::Less && below(upper(ma, mi + 1, 0)),
        "^" if ma > 0 || wmi => cmp != Ordering::Less && below(upper(ma + 1, 0, 0)),
        "^" if mi > 0 || wpa => cmp != Ordering::Less && below(upper(0, mi + 1, 0)),
        "^" => cmp != Ordering::Less && below(upper(0, 0, pa + 1)),
        _ => return Err(format!("improper constraint: {c}")),
    })
}

/// Whether `v` satisfies a Masterminds constraint string (`||`, `,`, spaces, hyphen ranges).
pub fn satisfies(constraint: &str, v: &Version) -> Result<bool, String> {
    for group in constraint.split("||") {
        let group = group.trim();
        let mut all = true;
        let tokens: Vec<String> = if let Some((lo, hi)) = group.split_once(" - ") {
            vec![format!(">={}", lo.trim()), format!("<={}", hi.trim())]
        } else {
            let mut toks = Vec::new();
            let mut pending_op = String::new();
            for t in group.split([',', ' ']).filter(|t| !t.is_empty()) {
                if t.chars().all(|c| "<>=!~^".contains(c)) {
                    pending_op = t.to_string();
                } else {
                    toks.push(format!("{pending_op}{t}"));
                    pending_op.clear();
                }
            }
            toks
        };
        if tokens.is_empty() {
            return Err(format!("improper constraint: {constraint}"));
        }
        for t in &tokens {
            if !check_one(t, v)? {
                all = false;
                break;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("semver", |a| {
        want(a, 1)?;
        let v = Version::parse(&strval(&a[0]))?;
        Ok(Value::Object(Rc::new(v)))
    });
    m.insert("semverCompare", |a| {
        want(a, 2)?;
        let v = Version::parse(&strval(&a[1]))?;
        satisfies(&strval(&a[0]), &v).map(Value::Bool)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(c: &str, v: &str) -> bool {
        Version::parse(v)
            .and_then(|v| satisfies(c, &v))
            .unwrap_or(false)
    }

    #[test]
    fn common_constraints_match_masterminds() {
        assert!(sat(">=1.23", "v1.27.3"));
        assert!(!sat(">=1.23", "1.22.9"));
        assert!(sat("~1.2.3", "1.2.9"));
        assert!(!sat("~1.2.3", "1.3.0"));
        assert!(sat("^1.2", "1.9.0"));
        assert!(sat("1.2.x", "1.2.7"));
        assert!(sat(">= 1.2, < 1.4", "1.3.0"));
        assert!(sat("<1 || >=2", "2.1.0"));
        assert!(!sat(">=1.20", "1.21.0-beta.1"));
    }

    #[test]
    fn lenient_versions_fill_missing_parts() {
        let v = Version::parse("v1.2").unwrap_or_else(|_| {
            Version::parse("0").unwrap_or(Version {
                major: 9,
                minor: 9,
                patch: 9,
                pre: String::new(),
                meta: String::new(),
                original: String::new(),
            })
        });
        assert_eq!(v.to_string(), "1.2.0");
    }
}
