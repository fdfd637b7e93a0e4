//! The function table: Go builtins, Sprig v3 and Helm's functions.

mod builtins;
mod convert;
mod crypto;
mod dicts;
mod lists;
mod math;
mod misc;
mod pki;
mod regexp;
mod semver;
mod strings;
mod url;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use crate::value::Value;

pub use convert::{parse_go_int, strval, to_f64, to_i64};
pub(crate) use misc::time_value;
pub use semver::Version;

/// A template function: Go values in, a value or an error message out.
pub type Func = fn(&[Value]) -> Result<Value, String>;

/// Names the executor implements itself, so they are defined without a table entry.
const EXECUTOR_FUNCS: &[&str] = &["and", "or", "include", "tpl"];

/// The function table used to parse and execute templates.
#[derive(Clone)]
pub struct Funcs {
    map: HashMap<&'static str, Func, crate::fast_hash::BuildFastHasher>,
}

impl std::fmt::Debug for Funcs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Funcs({} functions)", self.map.len())
    }
}

impl Default for Funcs {
    fn default() -> Self {
        Self::helm()
    }
}

impl Funcs {
    /// Go builtins + Sprig (without `env`/`expandenv`) + Helm's functions.
    pub fn helm() -> Self {
        let mut map: HashMap<&'static str, Func> = HashMap::new();
        builtins::register(&mut map);
        convert::register(&mut map);
        strings::register(&mut map);
        lists::register(&mut map);
        dicts::register(&mut map);
        math::register(&mut map);
        crypto::register(&mut map);
        pki::register(&mut map);
        regexp::register(&mut map);
        semver::register(&mut map);
        misc::register(&mut map);
        url::register(&mut map);
        crate::codec::register(&mut map);
        Funcs {
            map: map.into_iter().collect(),
        }
    }

    /// The process-wide Helm table ([`Funcs::helm`]), built once.
    pub fn shared() -> Arc<Funcs> {
        static SHARED: LazyLock<Arc<Funcs>> = LazyLock::new(|| Arc::new(Funcs::helm()));
        SHARED.clone()
    }

    /// Whether `name` can be called from a template.
    pub fn is_defined(&self, name: &str) -> bool {
        self.map.contains_key(name) || EXECUTOR_FUNCS.contains(&name)
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<Func> {
        self.map.get(name).copied()
    }

    /// All defined names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self.map.keys().copied().collect();
        v.extend_from_slice(EXECUTOR_FUNCS);
        v.sort_unstable();
        v
    }
}

/// Checks the argument count, with Go's message.
pub(crate) fn want(args: &[Value], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!("wrong number of args: want {n} got {}", args.len()))
    }
}

/// The string in a string argument, with Go's type error otherwise.
pub(crate) fn arg_str(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function Deckhouse modules and helm_lib call (templates.md §1.3).
    const DECKHOUSE: &[&str] = &[
        "include",
        "nindent",
        "list",
        "dict",
        "quote",
        "has",
        "set",
        "tuple",
        "b64enc",
        "not",
        "index",
        "hasKey",
        "eq",
        "default",
        "printf",
        "toYaml",
        "sha256sum",
        "and",
        "print",
        "fromYamlArray",
        "join",
        "or",
        "ne",
        "get",
        "lower",
        "toJson",
        "fail",
        "required",
        "len",
        "dig",
        "toString",
        "gt",
        "cat",
        "append",
        "indent",
        "int",
        "trunc",
        "replace",
        "tpl",
        "semver",
        "semverCompare",
        "splitList",
        "trimPrefix",
        "first",
        "pluck",
        "mul",
        "kebabcase",
        "sha1sum",
        "b64dec",
        "hasPrefix",
        "fromYaml",
        "sortAlpha",
        "lt",
        "adler32sum",
        "ternary",
        "keys",
        "fromJson",
        "regexReplaceAllLiteral",
        "now",
        "date",
        "unset",
        "concat",
        "base",
        "trimSuffix",
        "regexSplit",
        "empty",
        "kindIs",
        "untitle",
        "upper",
        "regexMatch",
        "deepCopy",
        "title",
        "sub",
        "atoi",
        "dir",
        "without",
        "splitn",
        "randAlphaNum",
        "substr",
        "trim",
        "add",
        "trimAll",
        "hasSuffix",
        "ge",
        "slice",
        "last",
        "contains",
        "split",
        "merge",
        "round",
        "mulf",
        "int64",
        "add1",
        "camelcase",
        "uniq",
        "mustAppend",
        "mustWithout",
        "until",
        "le",
        "lookup",
        "toToml",
        "fromJsonArray",
    ];

    #[test]
    fn every_function_deckhouse_uses_is_defined() {
        let f = Funcs::helm();
        let missing: Vec<&&str> = DECKHOUSE.iter().filter(|n| !f.is_defined(n)).collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
    }

    #[test]
    fn env_functions_are_removed_as_in_helm() {
        let f = Funcs::helm();
        assert!(!f.is_defined("env") && !f.is_defined("expandenv"));
    }
}
