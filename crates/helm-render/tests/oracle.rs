//! Live comparison with real Helm through `helm-python-sdk`; runs when `HELM_ORACLE_PYTHON`
//! points at a Python with `helm-python-sdk==0.2.2` installed, and says so when it is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use helm_render::{HelmRenderer, RenderOptions, Renderer};

#[test]
fn corpus_output_matches_live_helm() {
    let Ok(python) = std::env::var("HELM_ORACLE_PYTHON") else {
        eprintln!(
            "SKIPPED corpus_output_matches_live_helm: HELM_ORACLE_PYTHON is not set (no Helm oracle)"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/oracle/render.py");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join("tests/charts"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.retain(|p| p.join("chart").is_dir());
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let values = case.join("values.yaml");
        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .arg(case.join("chart"))
            .args(["--name", "demo", "--namespace", "prod"]);
        if values.exists() {
            cmd.arg("--values").arg(&values);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("running the oracle: {e}"));
        let helm = String::from_utf8_lossy(&out.stdout).into_owned();
        let opts = RenderOptions {
            release_name: "demo".into(),
            namespace: "prod".into(),
            values: std::fs::read_to_string(&values)
                .ok()
                .and_then(|t| helm_render::codec::parse_yaml(&t).ok())
                .map(|v| v.to_json())
                .unwrap_or_else(|| serde_json::json!({})),
            ..RenderOptions::default()
        };
        let ours = HelmRenderer::new().render(&case.join("chart"), &opts);
        match (out.status.success(), ours) {
            (true, Ok(r)) => pretty_assertions::assert_eq!(r.manifest, helm, "{}", case.display()),
            (false, Err(_)) => {}
            (true, Err(e)) => panic!("{}: helm renders, we fail: {e}", case.display()),
            (false, Ok(_)) => panic!(
                "{}: helm fails ({}), we render",
                case.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}
