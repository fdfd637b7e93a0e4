//! The render caches never change output: renders repeated with caches, and without them,
//! agree, and what one render does to its values does not reach the next.

use std::path::{Path, PathBuf};

use helm_render::chart::ChartCache;
use helm_render::{HelmRenderer, RenderOptions, Renderer};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.join("chart").is_dir());
    v.sort();
    v
}

fn options(case: &Path) -> RenderOptions {
    let values = std::fs::read_to_string(case.join("values.yaml"))
        .ok()
        .and_then(|t| helm_render::codec::parse_yaml(&t).ok())
        .map_or_else(|| serde_json::json!({}), |v| v.to_json());
    RenderOptions {
        release_name: "demo".into(),
        namespace: "prod".into(),
        values,
        ..RenderOptions::default()
    }
}

fn render(r: &HelmRenderer, case: &Path) -> Result<String, String> {
    r.render(&case.join("chart"), &options(case))
        .map(|out| out.manifest)
        .map_err(|e| e.to_string())
}

#[test]
fn repeated_cached_renders_and_uncached_renders_of_the_corpus_agree() {
    let cases = cases();
    assert!(cases.len() >= 5, "corpus not found");
    for case in cases {
        let fresh = render(&HelmRenderer::uncached(), &case);
        let cached = HelmRenderer::new();
        for round in 0..3 {
            let again = render(&cached, &case);
            pretty_assertions::assert_eq!(again, fresh, "{} round {round}", case.display());
        }
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap_or_default();
    }
    std::fs::write(p, text).unwrap_or_default();
}

#[test]
fn what_a_render_does_to_its_values_does_not_reach_the_next() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    write(
        d,
        "Chart.yaml",
        "apiVersion: v2\nname: mut\nversion: 0.1.0\nannotations:\n  team: a\n",
    );
    write(
        d,
        "values.yaml",
        "nested:\n  keep: 1\nlist:\n- name: first\n",
    );
    write(
        d,
        "templates/cm.yaml",
        concat!(
            "kind: ConfigMap\n",
            "seen: {{ .Values.nested.x | default \"none\" }}/",
            "{{ (index .Values.list 0).extra | default \"none\" }}/",
            "{{ .Chart.Annotations.extra | default \"none\" }}\n",
            "{{- $_ := set .Values.nested \"x\" \"mutated\" }}",
            "{{- $_ := set (index .Values.list 0) \"extra\" \"mutated\" }}",
            "{{- $_ := set .Chart.Annotations \"extra\" \"mutated\" }}\n",
        ),
    );
    let mut charts = ChartCache::trusting_recent_changes();
    let renderer = HelmRenderer::new();
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let chart = charts.load(d).unwrap_or_else(|e| panic!("{e}"));
        let out = renderer
            .render_chart(&chart, &RenderOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        outputs.push(out.manifest);
    }
    assert!(
        outputs[0].contains("seen: none/none/none"),
        "{}",
        outputs[0]
    );
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn an_edited_template_is_rendered_on_the_next_render() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    write(
        d,
        "Chart.yaml",
        "apiVersion: v2\nname: edit\nversion: 0.1.0\n",
    );
    write(d, "templates/cm.yaml", "kind: ConfigMap\nv: one\n");
    let renderer = HelmRenderer::new();
    let first = renderer.render(d, &RenderOptions::default());
    write(d, "templates/cm.yaml", "kind: ConfigMap\nv: two\n");
    write(d, "templates/more.yaml", "kind: Secret\n");
    let second = renderer.render(d, &RenderOptions::default());
    let (first, second) = match (first, second) {
        (Ok(a), Ok(b)) => (a.manifest, b.manifest),
        other => panic!("{other:?}"),
    };
    assert!(
        first.contains("v: one") && !first.contains("Secret"),
        "{first}"
    );
    assert!(
        second.contains("v: two") && second.contains("kind: Secret"),
        "{second}"
    );
}
