//! Conversion between `serde_json::Value` (what the engine stores) and jaq's `Val`.

use jaq_json::{Num, Val};
use serde_json::{Map, Number, Value};

/// Turn a JSON value into a jaq value.
pub fn to_val(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::from(*b),
        Value::Number(n) => number_to_val(n),
        Value::String(s) => Val::from(s.clone()),
        Value::Array(items) => items.iter().map(to_val).collect(),
        Value::Object(map) => Val::obj(
            map.iter()
                .map(|(k, v)| (Val::from(k.clone()), to_val(v)))
                .collect(),
        ),
    }
}

fn number_to_val(n: &Number) -> Val {
    if let Some(i) = n.as_i64().and_then(|i| isize::try_from(i).ok()) {
        return Val::from(i);
    }
    if let Some(u) = n.as_u64().and_then(|u| isize::try_from(u).ok()) {
        return Val::from(u as usize);
    }
    Val::from(n.as_f64().unwrap_or(f64::NAN))
}

/// Turn a jaq value back into JSON, as the `jq` binary prints it: byte strings and invalid UTF-8 are
/// read lossily, non-string object keys are printed as JSON text, non-finite floats become `null`
/// (jq prints NaN as `null` and infinities as the largest doubles; we prefer `null` over a fake number).
pub fn from_val(val: &Val) -> Value {
    match val {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => num_to_json(n),
        Val::BStr(b) | Val::TStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(items) => Value::Array(items.iter().map(from_val).collect()),
        Val::Obj(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map.iter() {
                let key = match k {
                    Val::TStr(s) | Val::BStr(s) => String::from_utf8_lossy(s).into_owned(),
                    other => other.to_string(),
                };
                out.insert(key, from_val(v));
            }
            Value::Object(out)
        }
    }
}

fn num_to_json(n: &Num) -> Value {
    match n {
        Num::Int(i) => Value::from(*i as i64),
        Num::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        // big integers and decimals keep their text where JSON allows, else fall back to f64
        Num::BigInt(_) | Num::Dec(_) => {
            let text = n.to_string();
            serde_json::from_str::<Number>(&text)
                .map(Value::Number)
                .unwrap_or_else(|_| {
                    text.parse::<f64>()
                        .ok()
                        .and_then(Number::from_f64)
                        .map_or(Value::Null, Value::Number)
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_survives_a_round_trip_through_jaq_values() {
        let value = json!({
            "a": [1, -2, 3.5, "x", null, true],
            "nested": {"k": {"z": 1, "a": 2}},
            "big": 9007199254740993_u64,
        });
        assert_eq!(from_val(&to_val(&value)), value);
    }

    #[test]
    fn object_key_order_is_kept() {
        let value = json!({"z": 1, "a": 2, "m": 3});
        let keys: Vec<String> = from_val(&to_val(&value))
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["z", "a", "m"]);
    }
}
