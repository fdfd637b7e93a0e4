//! Helm's `--set` syntax (`helm.sh/helm/v3/pkg/strvals`, typed mode): dotted keys, `a[0]`
//! indices, comma-separated pairs, `{a,b}` lists and `\` escapes.

use serde_json::{Map, Value};

/// Helm caps list indices so `a[999999999]=x` cannot allocate without bound.
const MAX_INDEX: usize = 65536;
/// Helm caps how deeply dotted a name may be.
const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Why a `--set` argument does not parse; messages follow Helm's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrvalsError {
    /// A key without `=`.
    #[error("key {0:?} has no value")]
    NoValue(String),
    /// A key followed by `,` instead of `=`.
    #[error("key {0:?} has no value (cannot end with ,)")]
    NoValueComma(String),
    /// `a.=1` and the like.
    #[error("key map {0:?} has no value")]
    EmptyMap(String),
    /// Text after `]` that is not `.`, `[` or `=`.
    #[error("unexpected data at end of array index: {0:?}")]
    AfterIndex(String),
    /// The index is not a non-negative integer within Helm's limit.
    #[error("invalid index {0:?}")]
    BadIndex(String),
    /// `{a,b` without the closing brace.
    #[error("list must terminate with '}}'")]
    UnterminatedList,
    /// The argument ended inside a construct.
    #[error("unexpected end of --set value")]
    UnexpectedEnd,
    /// Dotted deeper than Helm allows.
    #[error(
        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
    )]
    TooDeep,
}

/// How a step of the parser ended: Helm's `nil` (more pairs may follow) or `io.EOF`.
enum Flow {
    More,
    End,
}

struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Runes up to one of `stop` (consumed and returned), with `\x` giving `x` literally;
    /// `None` as the stop rune means the input ended.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.next() {
            if c == '\\' {
                if let Some(esc) = self.next() {
                    out.push(esc);
                }
                continue;
            }
            if stop.contains(&c) {
                return (out, Some(c));
            }
            out.push(c);
        }
        (out, None)
    }
}

/// Parses one `--set` argument into `dest`, creating maps and lists along the paths.
pub fn parse_into(arg: &str, dest: &mut Map<String, Value>) -> Result<(), StrvalsError> {
    let mut sc = Scanner {
        chars: arg.chars().collect(),
        pos: 0,
    };
    loop {
        match key(&mut sc, dest, 0)? {
            Flow::More => continue,
            Flow::End => return Ok(()),
        }
    }
}

/// Helm's `typedVal`: `true`/`false`/`null` (any case), int64 unless it starts with `0`.
pub fn typed_value(s: &str) -> Value {
    if s.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if s == "0" {
        return Value::from(0i64);
    }
    if !s.starts_with('0')
        && let Some(n) = parse_go_int(s)
    {
        return Value::from(n);
    }
    Value::String(s.to_string())
}

/// `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits only.
fn parse_go_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn set(data: &mut Map<String, Value>, key: &str, value: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), value);
    }
}

fn key(
    sc: &mut Scanner,
    data: &mut Map<String, Value>,
    level: usize,
) -> Result<Flow, StrvalsError> {
    let (k, last) = sc.until(&['=', '[', ',', '.']);
    match last {
        None if k.is_empty() => Ok(Flow::End),
        None => Err(StrvalsError::NoValue(k)),
        Some('[') => {
            let i = key_index(sc)?;
            let list = match data.remove(&k) {
                Some(Value::Array(l)) => l,
                _ => Vec::new(),
            };
            let (list, flow) = list_item(sc, list, i, level)?;
            set(data, &k, Value::Array(list));
            Ok(flow)
        }
        Some('=') => {
            let (v, flow) = value(sc)?;
            set(data, &k, v);
            Ok(flow)
        }
        Some(',') => Err(StrvalsError::NoValueComma(k)),
        Some(_) => {
            let level = level + 1;
            if level > MAX_NESTED_NAME_LEVEL {
                return Err(StrvalsError::TooDeep);
            }
            let mut inner = match data.remove(&k) {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            let flow = key(sc, &mut inner, level);
            let empty = inner.is_empty();
            if !empty {
                set(data, &k, Value::Object(inner));
            }
            match flow {
                Ok(Flow::More) if empty => Err(StrvalsError::EmptyMap(k)),
                other => other,
            }
        }
    }
}

/// The value after `=`: a `{a,b}` list or a scalar up to the next `,`.
fn value(sc: &mut Scanner) -> Result<(Value, Flow), StrvalsError> {
    match sc.chars.get(sc.pos) {
        None => Ok((Value::String(String::new()), Flow::End)),
        Some('{') => {
            sc.pos += 1;
            let mut list = Vec::new();
            loop {
                let (item, last) = sc.until(&[',', '}']);
                match last {
                    None => return Err(StrvalsError::UnterminatedList),
                    Some('}') => {
                        if sc.chars.get(sc.pos) == Some(&',') {
                            sc.pos += 1;
                        }
                        list.push(typed_value(&item));
                        let flow = if sc.pos >= sc.chars.len() {
                            Flow::End
                        } else {
                            Flow::More
                        };
                        return Ok((Value::Array(list), flow));
                    }
                    Some(_) => list.push(typed_value(&item)),
                }
            }
        }
        Some(_) => {
            let (text, last) = sc.until(&[',']);
            let flow = if last.is_some() {
                Flow::More
            } else {
                Flow::End
            };
            Ok((typed_value(&text), flow))
        }
    }
}

fn key_index(sc: &mut Scanner) -> Result<usize, StrvalsError> {
    let (text, last) = sc.until(&[']']);
    if last.is_none() {
        return Err(StrvalsError::UnexpectedEnd);
    }
    match text.parse::<usize>() {
        Ok(i) if i <= MAX_INDEX => Ok(i),
        _ => Err(StrvalsError::BadIndex(text)),
    }
}

fn set_index(mut list: Vec<Value>, i: usize, v: Value) -> Vec<Value> {
    if list.len() <= i {
        list.resize(i + 1, Value::Null);
    }
    list[i] = v;
    list
}

fn list_item(
    sc: &mut Scanner,
    mut list: Vec<Value>,
    i: usize,
    level: usize,
) -> Result<(Vec<Value>, Flow), StrvalsError> {
    let (k, last) = sc.until(&['[', '.', '=']);
    if !k.is_empty() {
        return Err(StrvalsError::AfterIndex(k));
    }
    match last {
        None => Err(StrvalsError::UnexpectedEnd),
        Some('=') => {
            let (v, flow) = value(sc)?;
            Ok((set_index(list, i, v), flow))
        }
        Some('[') => {
            let next = key_index(sc)?;
            let inner = match list.get_mut(i).map(std::mem::take) {
                Some(Value::Array(l)) => l,
                _ => Vec::new(),
            };
            let (inner, flow) = list_item(sc, inner, next, level)?;
            Ok((set_index(list, i, Value::Array(inner)), flow))
        }
        Some(_) => {
            let mut inner = match list.get_mut(i).map(std::mem::take) {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            let flow = key(sc, &mut inner, level)?;
            if list.len() <= i {
                list.resize(i + 1, Value::Null);
            }
            list[i] = Value::Object(inner);
            Ok((list, flow))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(arg: &str) -> Result<Value, StrvalsError> {
        let mut m = Map::new();
        parse_into(arg, &mut m)?;
        Ok(Value::Object(m))
    }

    #[test]
    fn dotted_paths_build_nested_maps_and_type_scalars() {
        let v = parse("a.b=1,a.c=true,d=null,e=hello,f=0,g=012,h=1.5,i=-3").unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": 1, "c": true}, "d": null, "e": "hello", "f": 0, "g": "012", "h": "1.5", "i": -3})
        );
        assert!(v["a"]["b"].is_i64(), "Helm types --set integers as int64");
    }

    #[test]
    fn indices_extend_lists_with_nulls_and_nest() {
        let v = parse("a[2]=x,b[0].name=n,b[0].port=80,c[1][0]=y").unwrap();
        assert_eq!(
            v,
            json!({"a": [null, null, "x"], "b": [{"name": "n", "port": 80}], "c": [null, ["y"]]})
        );
    }

    #[test]
    fn braces_give_lists_and_backslash_escapes() {
        let v = parse(r"l={a,1,false},k=a\,b,dotted\.key=v").unwrap();
        assert_eq!(
            v,
            json!({"l": ["a", 1, false], "k": "a,b", "dotted.key": "v"})
        );
    }

    #[test]
    fn an_empty_value_is_an_empty_string() {
        assert_eq!(parse("a=").unwrap(), json!({"a": ""}));
        assert_eq!(parse("a=,b=2").unwrap(), json!({"a": "", "b": 2}));
    }

    #[test]
    fn later_sets_merge_into_existing_maps() {
        let mut m = Map::new();
        parse_into("a.b=1", &mut m).unwrap();
        parse_into("a.c=2", &mut m).unwrap();
        assert_eq!(Value::Object(m), json!({"a": {"b": 1, "c": 2}}));
    }

    #[test]
    fn keys_without_values_are_rejected_with_helms_messages() {
        assert_eq!(
            parse("a").unwrap_err().to_string(),
            "key \"a\" has no value"
        );
        assert_eq!(
            parse("a,b=1").unwrap_err().to_string(),
            "key \"a\" has no value (cannot end with ,)"
        );
        assert!(matches!(parse("a[x]=1"), Err(StrvalsError::BadIndex(_))));
        assert!(matches!(parse("a[0]b=1"), Err(StrvalsError::AfterIndex(_))));
        assert!(matches!(
            parse("a={x,y"),
            Err(StrvalsError::UnterminatedList)
        ));
    }
}
