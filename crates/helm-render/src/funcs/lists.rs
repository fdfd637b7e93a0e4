//! Sprig's list functions.

use std::collections::HashMap;
use std::rc::Rc;

use super::convert::to_i64;
use super::{Func, want};
use crate::value::Value;

fn items(v: &Value, func: &str) -> Result<Rc<Vec<Value>>, String> {
    match v.plain() {
        Value::List(l) => Ok(l),
        Value::Nil => Ok(Rc::new(Vec::new())),
        other => Err(format!("Cannot {func} on type {}", other.type_name())),
    }
}

fn list(v: Vec<Value>) -> Result<Value, String> {
    Ok(Value::list(v))
}

fn has(needle: &Value, haystack: &Value) -> bool {
    match haystack.plain() {
        Value::List(l) => l.iter().any(|x| x.deep_eq(needle)),
        _ => false,
    }
}

fn until_step(start: i64, stop: i64, step: i64) -> Vec<Value> {
    let mut v = Vec::new();
    if step == 0 {
        return v;
    }
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        v.push(Value::Int(i));
        i += step;
        if v.len() > 1_000_000 {
            break;
        }
    }
    v
}

fn append(a: &[Value]) -> Result<Value, String> {
    want(a, 2)?;
    let mut l = items(&a[0], "append")?.as_ref().clone();
    l.push(a[1].clone());
    list(l)
}

fn prepend(a: &[Value]) -> Result<Value, String> {
    want(a, 2)?;
    let mut l = items(&a[0], "prepend")?.as_ref().clone();
    l.insert(0, a[1].clone());
    list(l)
}

fn first(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    Ok(items(&a[0], "find first")?
        .first()
        .cloned()
        .unwrap_or(Value::Nil))
}

fn last(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    Ok(items(&a[0], "find last")?
        .last()
        .cloned()
        .unwrap_or(Value::Nil))
}

fn rest(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let l = items(&a[0], "find rest")?;
    if l.is_empty() {
        return Ok(Value::Nil);
    }
    list(l[1..].to_vec())
}

fn initial(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let l = items(&a[0], "find initial")?;
    if l.is_empty() {
        return Ok(Value::Nil);
    }
    list(l[..l.len() - 1].to_vec())
}

fn reverse(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let mut l = items(&a[0], "find reverse")?.as_ref().clone();
    l.reverse();
    list(l)
}

fn uniq(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    let mut out: Vec<Value> = Vec::new();
    for x in items(&a[0], "find uniq")?.iter() {
        if !out.iter().any(|y| y.deep_eq(x)) {
            out.push(x.clone());
        }
    }
    list(out)
}

fn without(a: &[Value]) -> Result<Value, String> {
    let Some((l, omit)) = a.split_first() else {
        return Err("wrong number of args: want at least 1 got 0".into());
    };
    let l = items(l, "find without")?;
    list(
        l.iter()
            .filter(|x| !omit.iter().any(|o| o.deep_eq(x)))
            .cloned()
            .collect(),
    )
}

fn compact(a: &[Value]) -> Result<Value, String> {
    want(a, 1)?;
    list(
        items(&a[0], "compact")?
            .iter()
            .filter(|x| x.is_truthy())
            .cloned()
            .collect(),
    )
}

fn slice(a: &[Value]) -> Result<Value, String> {
    let Some((l, idx)) = a.split_first() else {
        return Err("wrong number of args: want at least 1 got 0".into());
    };
    let l = items(l, "slice")?;
    let len = l.len() as i64;
    let start = idx.first().map(to_i64).unwrap_or(0);
    let end = idx.get(1).map(to_i64).unwrap_or(len);
    if start < 0 || end > len || start > end {
        return Err(format!("slice bounds out of range [{start}:{end}]"));
    }
    list(l[start as usize..end as usize].to_vec())
}

fn chunk(a: &[Value]) -> Result<Value, String> {
    want(a, 2)?;
    let size = to_i64(&a[0]).max(1) as usize;
    let l = items(&a[1], "chunk")?;
    list(l.chunks(size).map(|c| Value::list(c.to_vec())).collect())
}

fn concat(a: &[Value]) -> Result<Value, String> {
    let mut out = Vec::new();
    for l in a {
        out.extend(items(l, "concat")?.iter().cloned());
    }
    list(out)
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("list", |a| list(a.to_vec()));
    m.insert("tuple", |a| list(a.to_vec()));
    for name in ["append", "push", "mustAppend", "mustPush"] {
        m.insert(name, append);
    }
    for name in ["prepend", "mustPrepend"] {
        m.insert(name, prepend);
    }
    for name in ["first", "mustFirst"] {
        m.insert(name, first);
    }
    for name in ["last", "mustLast"] {
        m.insert(name, last);
    }
    for name in ["rest", "mustRest"] {
        m.insert(name, rest);
    }
    for name in ["initial", "mustInitial"] {
        m.insert(name, initial);
    }
    for name in ["reverse", "mustReverse"] {
        m.insert(name, reverse);
    }
    for name in ["uniq", "mustUniq"] {
        m.insert(name, uniq);
    }
    for name in ["without", "mustWithout"] {
        m.insert(name, without);
    }
    for name in ["compact", "mustCompact"] {
        m.insert(name, compact);
    }
    for name in ["slice", "mustSlice"] {
        m.insert(name, slice);
    }
    for name in ["chunk", "mustChunk"] {
        m.insert(name, chunk);
    }
    m.insert("concat", concat);
    m.insert("has", |a| {
        want(a, 2)?;
        Ok(Value::Bool(has(&a[0], &a[1])))
    });
    m.insert("mustHas", |a| {
        want(a, 2)?;
        Ok(Value::Bool(has(&a[0], &a[1])))
    });
    m.insert("until", |a| {
        want(a, 1)?;
        let n = to_i64(&a[0]);
        list(until_step(0, n, if n < 0 { -1 } else { 1 }))
    });
    m.insert("untilStep", |a| {
        want(a, 3)?;
        list(until_step(to_i64(&a[0]), to_i64(&a[1]), to_i64(&a[2])))
    });
    m.insert("seq", |a| {
        let p: Vec<i64> = a.iter().map(to_i64).collect();
        let (start, step, end) = match p.as_slice() {
            [] => return Ok(Value::str("")),
            [e] => (1, 1, *e),
            [s, e] => (*s, if e >= s { 1 } else { -1 }, *e),
            [s, st, e, ..] => (*s, *st, *e),
        };
        let stop = if step > 0 { end + 1 } else { end - 1 };
        let parts: Vec<String> = until_step(start, stop, step)
            .iter()
            .map(|v| to_i64(v).to_string())
            .collect();
        Ok(Value::from(parts.join(" ")))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_uses_deep_equality_with_kinds() {
        let l = Value::list(vec![Value::Int(1), Value::str("a")]);
        assert!(has(&Value::str("a"), &l));
        assert!(!has(&Value::Float(1.0), &l));
    }

    #[test]
    fn until_step_counts_down_with_negative_steps() {
        assert_eq!(until_step(3, 0, -1).len(), 3);
        assert!(until_step(0, 3, 0).is_empty());
    }
}
