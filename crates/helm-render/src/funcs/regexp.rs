//! Sprig's regular-expression functions (Go RE2 syntax, which the `regex` crate shares).

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

use super::convert::{strval, to_i64};
use super::{Func, want};
use crate::value::Value;

/// Compiled patterns kept per thread; compiling costs far more than a typical match.
const MAX_CACHED: usize = 256;

thread_local! {
    static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

fn re(v: &Value) -> Result<Regex, String> {
    let src = strval(v);
    if let Some(r) = COMPILED.with_borrow(|c| c.get(&src).cloned()) {
        return Ok(r);
    }
    let r = Regex::new(&src).map_err(|e| format!("error parsing regexp: {e}"))?;
    COMPILED.with_borrow_mut(|c| {
        if c.len() >= MAX_CACHED {
            c.clear();
        }
        c.insert(src, r.clone());
    });
    Ok(r)
}

/// Converts Go's `$1`/`${name}` replacement syntax; the crate uses the same, so only `$$` needs care.
fn repl(s: &str) -> String {
    s.to_string()
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    for name in ["regexMatch", "mustRegexMatch"] {
        m.insert(name, |a| {
            want(a, 2)?;
            Ok(Value::Bool(re(&a[0])?.is_match(&strval(&a[1]))))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        m.insert(name, |a| {
            want(a, 2)?;
            let s = strval(&a[1]);
            Ok(Value::from(
                re(&a[0])?
                    .find(&s)
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            ))
        });
    }
    for name in ["regexFindAll", "mustRegexFindAll"] {
        m.insert(name, |a| {
            want(a, 3)?;
            let s = strval(&a[1]);
            let n = to_i64(&a[2]);
            let r = re(&a[0])?;
            let it = r.find_iter(&s).map(|x| Value::str(x.as_str()));
            let v: Vec<Value> = if n < 0 {
                it.collect()
            } else {
                it.take(n as usize).collect()
            };
            Ok(Value::list(v))
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        m.insert(name, |a| {
            want(a, 3)?;
            let s = strval(&a[1]);
            Ok(Value::from(
                re(&a[0])?
                    .replace_all(&s, repl(&strval(&a[2])).as_str())
                    .into_owned(),
            ))
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        m.insert(name, |a| {
            want(a, 3)?;
            let s = strval(&a[1]);
            let r = strval(&a[2]);
            Ok(Value::from(
                re(&a[0])?.replace_all(&s, regex::NoExpand(&r)).into_owned(),
            ))
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        m.insert(name, |a| {
            want(a, 3)?;
            let s = strval(&a[1]);
            let n = to_i64(&a[2]);
            let r = re(&a[0])?;
            let v: Vec<Value> = if n == 0 {
                Vec::new()
            } else if n < 0 {
                r.split(&s).map(Value::str).collect()
            } else {
                r.splitn(&s, n as usize).map(Value::str).collect()
            };
            Ok(Value::list(v))
        });
    }
    m.insert("regexQuoteMeta", |a| {
        want(a, 1)?;
        Ok(Value::from(regex::escape(&strval(&a[0]))))
    });
}
