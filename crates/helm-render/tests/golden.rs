//! Renders every chart of `tests/charts/` and compares with the output of real Helm (the
//! goldens `expected.yaml` / `expected.err` written by `tests/oracle/render.py --update-goldens`).

use std::path::{Path, PathBuf};

use helm_render::{HelmRenderer, RenderError, RenderOptions, Renderer};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.join("chart").is_dir());
    v.sort();
    v
}

fn render(case: &Path) -> Result<String, RenderError> {
    let values = match std::fs::read_to_string(case.join("values.yaml")) {
        Ok(text) => helm_render::codec::parse_yaml(&text)
            .map(|v| v.to_json())
            .map_err(|e| RenderError::Values(e.to_string()))?,
        Err(_) => serde_json::json!({}),
    };
    let opts = RenderOptions {
        release_name: "demo".into(),
        namespace: "prod".into(),
        values,
        ..RenderOptions::default()
    };
    HelmRenderer::new()
        .render(&case.join("chart"), &opts)
        .map(|r| r.manifest)
}

/// `(template, line)` of the first `chart/templates/x.yaml:LINE` in Helm's error text.
fn oracle_location(err: &str) -> Option<(String, usize)> {
    let re = regex::Regex::new(r"([\w.-]+(?:/charts/[\w.-]+)*/templates/[\w./-]+?):(\d+)").ok()?;
    let c = re.captures(err)?;
    Some((c[1].to_string(), c[2].parse().ok()?))
}

#[test]
fn every_corpus_chart_renders_byte_for_byte_like_helm() {
    let cases = cases();
    assert!(cases.len() >= 5, "corpus not found");
    let mut checked = 0;
    for case in cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Ok(expected) = std::fs::read_to_string(case.join("expected.yaml")) {
            match render(&case) {
                Ok(ours) => pretty_assertions::assert_eq!(ours, expected, "case {name}"),
                Err(e) => panic!("case {name}: helm renders it but we fail: {e}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 3, "no golden manifests found");
}

#[test]
fn every_corpus_chart_helm_rejects_fails_at_the_same_template_and_line() {
    for case in cases() {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(expected) = std::fs::read_to_string(case.join("expected.err")) else {
            continue;
        };
        let err = match render(&case) {
            Ok(out) => panic!("case {name}: helm fails with {expected:?} but we render:\n{out}"),
            Err(e) => e,
        };
        let text = err.to_string();
        if let Some((template, line)) = oracle_location(&expected) {
            assert!(
                text.contains(&template),
                "case {name}: error {text:?} does not name {template}"
            );
            match &err {
                RenderError::Parse { line: ours, .. }
                | RenderError::Template { line: ours, .. } => {
                    assert_eq!(*ours, line, "case {name}: {text}");
                }
                _ => {}
            }
        }
    }
}
