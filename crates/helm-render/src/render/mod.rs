//! Helm's engine: one template set per chart tree, render objects per chart, `Template` per file.

mod objects;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

pub use objects::{ApiVersions, DEFAULT_API_VERSIONS, Files, KubeVersion};

use crate::chart::{Chart, coalesce_values, process_dependencies};
use crate::engine::{ExecOptions, Executor, ParseCache, TemplateError, TemplateSet};
use crate::funcs::Funcs;
use crate::value::{Map, Value};
use crate::{RenderError, RenderOptions};

struct Renderable<'c> {
    source: Cow<'c, str>,
    dot: Value,
    base_path: String,
}

fn files_of(chart: &Chart) -> Value {
    let files: BTreeMap<String, Rc<[u8]>> = chart
        .files
        .iter()
        .map(|f| (f.name.clone(), f.data.clone()))
        .collect();
    Value::Object(Rc::new(Files::new(files)))
}

/// Helm's `recAllTpls`: the render values of one chart and its templates under their full names.
fn collect<'c>(
    chart: &'c Chart,
    parent: &Map,
    full_path: &str,
    is_root: bool,
    out: &mut BTreeMap<String, Renderable<'c>>,
) -> Value {
    // A deep copy: templates may mutate `.Chart` maps (`set`), and the chart may be shared
    // with later renders through the chart cache.
    let mut chart_meta = Value::map(chart.metadata.fields.clone())
        .deep_copy()
        .as_map()
        .unwrap_or_default();
    chart_meta.insert("IsRoot".into(), Value::Bool(is_root));
    let values = if is_root {
        parent
            .get("Values")
            .cloned()
            .unwrap_or_else(|| Value::map(Map::new()))
    } else {
        parent
            .get("Values")
            .and_then(Value::as_map)
            .and_then(|v| v.get(&chart.metadata.name).cloned())
            .filter(|v| matches!(v, Value::Map(_)))
            .unwrap_or_else(|| Value::map(Map::new()))
    };
    let mut next = Map::new();
    next.insert("Chart".into(), Value::map(chart_meta));
    next.insert("Files".into(), files_of(chart));
    next.insert(
        "Release".into(),
        parent.get("Release").cloned().unwrap_or_default(),
    );
    next.insert(
        "Capabilities".into(),
        parent.get("Capabilities").cloned().unwrap_or_default(),
    );
    next.insert("Values".into(), values);
    let next_copy = next.clone();
    let mut subcharts = Map::new();
    for sub in &chart.dependencies {
        let sub_path = format!("{full_path}/charts/{}", sub.metadata.name);
        subcharts.insert(
            sub.metadata.name.clone(),
            collect(sub, &next_copy, &sub_path, false, out),
        );
    }
    next.insert("Subcharts".into(), Value::map(subcharts));
    let dot = Value::map(next);
    for t in &chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if chart.metadata.is_library && !base.starts_with('_') {
            continue;
        }
        out.insert(
            format!("{full_path}/{}", t.name),
            Renderable {
                source: String::from_utf8_lossy(&t.data),
                dot: dot.clone(),
                base_path: format!("{full_path}/templates"),
            },
        );
    }
    dot
}

/// Helm's `sortTemplates`: deepest paths first, then reverse lexical order.
fn sort_templates(names: &mut [String]) {
    names.sort_by(|a, b| {
        let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
        cb.cmp(&ca).then_with(|| b.cmp(a))
    });
}

/// `.Capabilities.APIVersions` for the extra versions given; the object is immutable, so the
/// last one built on this thread is reused while the extra versions stay the same.
fn api_versions(extra: &[String]) -> Rc<ApiVersions> {
    thread_local! {
        static LAST: RefCell<Option<(Vec<String>, Rc<ApiVersions>)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return Rc::new(build_api_versions(extra));
        };
        match &*last {
            Some((key, v)) if key.as_slice() == extra => v.clone(),
            _ => {
                let v = Rc::new(build_api_versions(extra));
                *last = Some((extra.to_vec(), v.clone()));
                v
            }
        }
    })
}

fn build_api_versions(extra: &[String]) -> ApiVersions {
    let mut api: Vec<String> = DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
    api.extend(extra.iter().cloned());
    ApiVersions(api)
}

fn capabilities(opts: &RenderOptions) -> Value {
    let mut helm = Map::new();
    helm.insert("Version".into(), Value::str("v3.19.5"));
    helm.insert("GitCommit".into(), Value::str(""));
    helm.insert("GitTreeState".into(), Value::str(""));
    helm.insert("GoVersion".into(), Value::str(""));
    let mut caps = Map::new();
    caps.insert(
        "KubeVersion".into(),
        Value::Object(Rc::new(KubeVersion::parse(&opts.kube_version))),
    );
    caps.insert(
        "APIVersions".into(),
        Value::Object(api_versions(&opts.api_versions)),
    );
    caps.insert("HelmVersion".into(), Value::map(helm));
    Value::map(caps)
}

fn release(opts: &RenderOptions) -> Value {
    let mut r = Map::new();
    r.insert("Name".into(), Value::str(&opts.release_name));
    r.insert("Namespace".into(), Value::str(&opts.namespace));
    r.insert("IsInstall".into(), Value::Bool(!opts.is_upgrade));
    r.insert("IsUpgrade".into(), Value::Bool(opts.is_upgrade));
    r.insert("Revision".into(), Value::Int(opts.revision));
    r.insert("Service".into(), Value::str("Helm"));
    Value::map(r)
}

fn template_error(chart: &str, e: TemplateError) -> RenderError {
    match &e {
        TemplateError::Parse { template, message } => {
            let (line, col, short) = parse_location(message);
            RenderError::Parse {
                chart: chart.to_string(),
                template: template.clone(),
                line,
                col,
                message: short,
            }
        }
        TemplateError::Exec {
            file, line, col, ..
        } => RenderError::Template {
            chart: chart.to_string(),
            template: file.clone(),
            line: *line,
            col: *col,
            message: innermost(&e.to_string()),
            detail: e.to_string(),
        },
        TemplateError::Other(m) => RenderError::Template {
            chart: chart.to_string(),
            template: String::new(),
            line: 0,
            col: 0,
            message: m.clone(),
            detail: e.to_string(),
        },
    }
}

/// `template: NAME:LINE:COL: msg` → (line, col, msg).
fn parse_location(message: &str) -> (usize, usize, String) {
    let parts: Vec<&str> = message.splitn(3, ": ").collect();
    if parts.len() == 3 {
        let loc: Vec<&str> = parts[1].rsplitn(3, ':').collect();
        let nums: Vec<usize> = loc.iter().take(2).filter_map(|x| x.parse().ok()).collect();
        let (line, col) = match nums.as_slice() {
            [c, l] => (*l, *c),
            [l] => (*l, 0),
            _ => (0, 0),
        };
        return (line, col, parts[2].to_string());
    }
    (0, 0, message.to_string())
}

/// The last message of Go's error chain, as Helm's `reformatExecErrorMsg` shows it.
fn innermost(chain: &str) -> String {
    if let Some(i) = chain.rfind("error calling ") {
        let rest = &chain[i + "error calling ".len()..];
        if let Some((_, msg)) = rest.split_once(": ") {
            return msg.to_string();
        }
    }
    match chain.rfind(">: ") {
        Some(i) => chain[i + 3..].to_string(),
        None => chain.to_string(),
    }
}

/// Renders every template of a chart; returns rendered text by full template name.
pub fn render_templates(
    chart: &Chart,
    opts: &RenderOptions,
    funcs: &Funcs,
) -> Result<BTreeMap<String, String>, RenderError> {
    render_templates_with(chart, opts, funcs, None)
}

/// [`render_templates`], taking parsed templates (and parsed `tpl` strings) from `parse_cache`
/// when it has them. The output is the same with or without the cache.
pub fn render_templates_with(
    chart: &Chart,
    opts: &RenderOptions,
    funcs: &Funcs,
    mut parse_cache: Option<&mut ParseCache>,
) -> Result<BTreeMap<String, String>, RenderError> {
    let supplied = if opts.set_integers_as_int64 {
        Value::from_json_typed(&opts.values)
    } else {
        Value::from_json(&opts.values)
    };
    let supplied = match supplied {
        Value::Map(m) => m.borrow().clone(),
        Value::Nil => Map::new(),
        _ => return Err(RenderError::Values("supplied values must be a map".into())),
    };
    let mut chart = chart.clone();
    process_dependencies(&mut chart, &supplied).map_err(RenderError::Chart)?;
    let values = coalesce_values(&chart, &supplied).map_err(RenderError::Chart)?;
    let mut top = Map::new();
    top.insert("Values".into(), Value::map(values));
    top.insert("Release".into(), release(opts));
    top.insert("Capabilities".into(), capabilities(opts));
    let mut tpls = BTreeMap::new();
    let root = chart.metadata.name.clone();
    collect(&chart, &top, &root, true, &mut tpls);
    let mut keys: Vec<String> = tpls.keys().cloned().collect();
    sort_templates(&mut keys);
    let mut set = TemplateSet::new();
    for k in &keys {
        if let Some(r) = tpls.get(k) {
            match parse_cache.as_deref_mut() {
                Some(cache) => cache
                    .parse(k, &r.source, funcs)
                    .map(|parsed| set.extend(&parsed)),
                None => set.parse(k, &r.source, funcs),
            }
            .map_err(|e| template_error(&root, e))?;
        }
    }
    let mut out = BTreeMap::new();
    let mut exec = Executor::new(&set, funcs, ExecOptions::default());
    if let Some(cache) = parse_cache {
        exec = exec.with_parse_cache(cache);
    }
    for k in &keys {
        let base = k.rsplit('/').next().unwrap_or(k);
        if base.starts_with('_') {
            continue;
        }
        let Some(r) = tpls.get(k) else { continue };
        if let Value::Map(m) = &r.dot {
            let mut t = Map::new();
            t.insert("Name".into(), Value::str(k));
            t.insert("BasePath".into(), Value::str(&r.base_path));
            m.borrow_mut().insert("Template".into(), Value::map(t));
        }
        let text = exec
            .execute(k, &r.dot)
            .map_err(|e| template_error(&root, e))?;
        out.insert(k.clone(), text.replace("<no value>", ""));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_templates_parse_last_so_their_defines_win() {
        let mut v = vec![
            "p/templates/a.yaml".to_string(),
            "p/charts/s/templates/_h.tpl".to_string(),
            "p/templates/_h.tpl".to_string(),
        ];
        sort_templates(&mut v);
        assert_eq!(
            v,
            vec![
                "p/charts/s/templates/_h.tpl",
                "p/templates/a.yaml",
                "p/templates/_h.tpl"
            ]
        );
    }

    #[test]
    fn parse_location_reads_line_and_column() {
        let (l, c, m) = parse_location("template: a/b.yaml:3:7: function \"x\" not defined");
        assert_eq!((l, c, m.as_str()), (3, 7, "function \"x\" not defined"));
    }
}
