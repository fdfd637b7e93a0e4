//! Sprig's dictionary functions; `set`, `unset` and `merge` mutate the map in place like Go.

use std::collections::HashMap;

use super::convert::strval;
use super::{Func, want};
use crate::value::{Map, Value};

fn dict_of(v: &Value, func: &str) -> Result<std::rc::Rc<std::cell::RefCell<Map>>, String> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        other => Err(format!(
            "{func}: expected map[string]interface {{}}, got {}",
            other.type_name()
        )),
    }
}

/// mergo's deep merge: fills missing or empty keys of `dst`; with `overwrite`, non-empty
/// source values replace destination values.
fn merge_into(dst: &mut Map, src: &Map, overwrite: bool, depth: usize) {
    if depth > 100 {
        return;
    }
    for (k, sv) in src {
        match (dst.get(k), sv) {
            (Some(Value::Map(dm)), Value::Map(sm)) => {
                if std::rc::Rc::ptr_eq(dm, sm) {
                    continue;
                }
                let s = sm.borrow().clone();
                let mut d = dm.borrow().clone();
                merge_into(&mut d, &s, overwrite, depth + 1);
                *dm.borrow_mut() = d;
            }
            (Some(dv), _) if dv.is_truthy() && !overwrite => {}
            (Some(_), _) if overwrite && !sv.is_truthy() => {}
            _ => {
                dst.insert(k.clone(), sv.clone());
            }
        }
    }
}

fn merge(a: &[Value], overwrite: bool) -> Result<Value, String> {
    let Some((dst, srcs)) = a.split_first() else {
        return Err("wrong number of args: want at least 1 got 0".into());
    };
    let d = dict_of(dst, "merge")?;
    for s in srcs {
        let s = match s {
            Value::Map(m) => m.borrow().clone(),
            _ => continue,
        };
        let mut cur = d.borrow().clone();
        merge_into(&mut cur, &s, overwrite, 0);
        *d.borrow_mut() = cur;
    }
    Ok(Value::Map(d))
}

fn dig(a: &[Value]) -> Result<Value, String> {
    if a.len() < 3 {
        return Err(format!(
            "wrong number of args: want at least 3 got {}",
            a.len()
        ));
    }
    let n = a.len();
    let mut cur = dict_of(&a[n - 1], "dig")?.borrow().clone();
    let default = &a[n - 2];
    let keys = &a[..n - 2];
    for (i, k) in keys.iter().enumerate() {
        let key = strval(k);
        let Some(step) = cur.get(&key).cloned() else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        cur = match step {
            Value::Map(m) => m.borrow().clone(),
            other => {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    other.type_name()
                ));
            }
        };
    }
    Ok(default.clone())
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("dict", |a| {
        let mut d = Map::new();
        for pair in a.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
            d.insert(strval(&pair[0]), v);
        }
        Ok(Value::map(d))
    });
    m.insert("get", |a| {
        want(a, 2)?;
        let d = dict_of(&a[0], "get")?;
        let v = d.borrow().get(&strval(&a[1])).cloned();
        Ok(v.unwrap_or_else(|| Value::str("")))
    });
    m.insert("set", |a| {
        want(a, 3)?;
        let d = dict_of(&a[0], "set")?;
        d.borrow_mut().insert(strval(&a[1]), a[2].clone());
        Ok(Value::Map(d))
    });
    m.insert("unset", |a| {
        want(a, 2)?;
        let d = dict_of(&a[0], "unset")?;
        d.borrow_mut().remove(&strval(&a[1]));
        Ok(Value::Map(d))
    });
    m.insert("hasKey", |a| {
        want(a, 2)?;
        let d = dict_of(&a[0], "hasKey")?;
        let has = d.borrow().contains_key(&strval(&a[1]));
        Ok(Value::Bool(has))
    });
    m.insert("pluck", |a| {
        let Some((k, ds)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        let k = strval(k);
        let mut out = Vec::new();
        for d in ds {
            if let Some(v) = d.as_map().and_then(|m| m.get(&k).cloned()) {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    });
    m.insert("keys", |a| {
        let mut out = Vec::new();
        for d in a {
            if let Some(m) = d.as_map() {
                out.extend(m.keys().map(Value::str));
            }
        }
        Ok(Value::list(out))
    });
    m.insert("values", |a| {
        want(a, 1)?;
        let m = a[0].as_map().unwrap_or_default();
        Ok(Value::list(m.values().cloned().collect()))
    });
    m.insert("pick", |a| {
        let Some((d, ks)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        let d = dict_of(d, "pick")?.borrow().clone();
        let mut out = Map::new();
        for k in ks {
            let k = strval(k);
            if let Some(v) = d.get(&k) {
                out.insert(k, v.clone());
            }
        }
        Ok(Value::map(out))
    });
    m.insert("omit", |a| {
        let Some((d, ks)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        let mut d = dict_of(d, "omit")?.borrow().clone();
        for k in ks {
            d.remove(&strval(k));
        }
        Ok(Value::map(d))
    });
    m.insert("merge", |a| merge(a, false));
    m.insert("mustMerge", |a| merge(a, false));
    m.insert("mergeOverwrite", |a| merge(a, true));
    m.insert("mustMergeOverwrite", |a| merge(a, true));
    m.insert("deepCopy", |a| {
        want(a, 1)?;
        Ok(a[0].deep_copy())
    });
    m.insert("mustDeepCopy", |a| {
        want(a, 1)?;
        Ok(a[0].deep_copy())
    });
    m.insert("dig", dig);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn merge_keeps_destination_values_and_fills_gaps() {
        let d = obj(serde_json::json!({"a": 1, "n": {"x": 1}}));
        let s = obj(serde_json::json!({"a": 2, "b": 3, "n": {"y": 2}}));
        let out = merge(&[d.clone(), s], false).unwrap_or_default();
        assert_eq!(
            out.to_json(),
            serde_json::json!({"a": 1.0, "b": 3.0, "n": {"x": 1.0, "y": 2.0}})
        );
        assert_eq!(d.to_json(), out.to_json());
    }

    #[test]
    fn dig_returns_default_for_missing_paths() {
        let d = obj(serde_json::json!({"a": {"b": 1}}));
        let v = dig(&[Value::str("a"), Value::str("c"), Value::str("def"), d]).unwrap_or_default();
        assert_eq!(v.as_str(), Some("def"));
    }
}
