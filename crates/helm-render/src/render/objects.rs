//! The Go objects a template can call methods on: `.Files`, `.Capabilities.APIVersions`, KubeVersion.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::chart::glob_match;
use crate::value::{Map, Object, Value};

/// A chart's files (`.Files`, and what `.Files.Glob` returns).
#[derive(Debug, Clone)]
pub struct Files {
    files: Rc<BTreeMap<String, Rc<[u8]>>>,
}

impl Files {
    /// Wraps a chart's files.
    pub fn new(files: BTreeMap<String, Rc<[u8]>>) -> Files {
        Files {
            files: Rc::new(files),
        }
    }

    fn text(&self, name: &str) -> String {
        self.files
            .get(name)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    fn as_map(&self, encode: bool) -> Value {
        if self.files.is_empty() {
            return Value::str("");
        }
        let mut m = Map::new();
        for (k, v) in self.files.iter() {
            let base = k.rsplit('/').next().unwrap_or(k).to_string();
            let content = if encode {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(v)
            } else {
                String::from_utf8_lossy(v).into_owned()
            };
            m.insert(base, Value::from(content));
        }
        Value::from(crate::codec::to_yaml(&Value::map(m)).unwrap_or_default())
    }
}

fn one_str(args: &[Value]) -> Result<String, String> {
    match args {
        [Value::String(s)] => Ok(s.to_string()),
        [other] => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
        _ => Err(format!("wrong number of args: want 1 got {}", args.len())),
    }
}

impl Object for Files {
    fn type_name(&self) -> &'static str {
        "engine.files"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(self.as_map(false)),
            "AsSecrets" => Some(self.as_map(true)),
            _ => None,
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let r = match name {
            "Get" => one_str(args).map(|n| Value::from(self.text(&n))),
            "GetBytes" => one_str(args).map(|n| {
                Value::Bytes(
                    self.files
                        .get(&n)
                        .cloned()
                        .unwrap_or_else(|| Rc::from(Vec::new()))
                        .to_vec()
                        .into(),
                )
            }),
            "Glob" => one_str(args).map(|p| {
                let subset: BTreeMap<String, Rc<[u8]>> = self
                    .files
                    .iter()
                    .filter(|(k, _)| glob_match(&p, k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(Rc::new(Files::new(subset)))
            }),
            "Lines" => one_str(args).map(|n| {
                let s = self.text(&n);
                if s.is_empty() {
                    return Value::list(Vec::new());
                }
                let s = s.strip_suffix('\n').unwrap_or(&s);
                Value::list(s.split('\n').map(Value::str).collect())
            }),
            _ => return None,
        };
        Some(r)
    }

    fn plain(&self) -> Value {
        Value::map(
            self.files
                .iter()
                .map(|(k, v)| (k.clone(), Value::Bytes(v.to_vec().into())))
                .collect(),
        )
    }
}

/// `.Capabilities.APIVersions`: a list with a `Has` method.
#[derive(Debug, Clone)]
pub struct ApiVersions(pub Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> &'static str {
        "chartutil.VersionSet"
    }
    fn field(&self, _: &str) -> Option<Value> {
        None
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Has" => Some(one_str(args).map(|v| Value::Bool(self.0.contains(&v)))),
            _ => None,
        }
    }
    fn plain(&self) -> Value {
        Value::list(self.0.iter().map(Value::str).collect())
    }
}

/// `.Capabilities.KubeVersion`: fields plus a `String()` that prints the version.
#[derive(Debug, Clone)]
pub struct KubeVersion {
    /// `v1.36.0`.
    pub version: String,
    /// `1`.
    pub major: String,
    /// `36`.
    pub minor: String,
}

impl KubeVersion {
    /// Parses `v1.36.0` / `1.36` into its parts.
    pub fn parse(v: &str) -> KubeVersion {
        let bare = v.trim_start_matches('v');
        let mut parts = bare.split('.');
        let major = parts.next().unwrap_or("1").to_string();
        let minor = parts.next().unwrap_or("0").to_string();
        let patch = parts.next().unwrap_or("0");
        KubeVersion {
            version: format!("v{major}.{minor}.{patch}"),
            major,
            minor,
        }
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &'static str {
        "*chartutil.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Version" | "GitVersion" | "String" => Value::str(&self.version),
            "Major" => Value::str(&self.major),
            "Minor" => Value::str(&self.minor),
            _ => return None,
        })
    }
    fn call(&self, _: &str, _: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    fn plain(&self) -> Value {
        let mut m = Map::new();
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Major".into(), Value::str(&self.major));
        m.insert("Minor".into(), Value::str(&self.minor));
        Value::map(m)
    }
    fn display(&self) -> String {
        self.version.clone()
    }
}

/// The group/versions Helm assumes offline (client-go's built-in scheme).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "apiregistration.k8s.io/v1",
    "apps/v1",
    "authentication.k8s.io/v1",
    "authorization.k8s.io/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "events.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1",
    "networking.k8s.io/v1",
    "node.k8s.io/v1",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1",
];
