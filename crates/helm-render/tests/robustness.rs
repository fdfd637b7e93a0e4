//! Bad input never panics and always yields an error naming the place; chart layouts Helm
//! accepts (symlinked subcharts, modules without Chart.yaml) load.

use std::path::Path;

use helm_render::{HelmRenderer, RenderError, RenderOptions, Renderer};
use proptest::prelude::*;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap_or_default();
    }
    std::fs::write(p, text).unwrap_or_default();
}

fn render_one(template: &str, values: serde_json::Value) -> Result<String, RenderError> {
    let dir = tempfile::tempdir().map_err(|e| RenderError::Thread(e.to_string()))?;
    write(
        dir.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: fuzz\nversion: 0.1.0\n",
    );
    write(dir.path(), "templates/t.yaml", template);
    let opts = RenderOptions {
        values,
        ..RenderOptions::default()
    };
    HelmRenderer::new()
        .render(dir.path(), &opts)
        .map(|r| r.manifest)
}

#[test]
fn a_module_without_chart_yaml_is_named_after_its_directory_without_the_order_prefix() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let module = dir.path().join("010-echo-server");
    write(
        &module,
        "templates/cm.yaml",
        "kind: ConfigMap\nname: {{ .Chart.Name }}-{{ .Chart.Version }}\n",
    );
    write(
        &module,
        "hooks/hook.yaml",
        "{{ fail \"hooks are not templates\" }}",
    );
    write(&module, "values.yaml", "x: 1\n");
    let out = HelmRenderer::new().render(&module, &RenderOptions::default());
    let manifest = out.map(|r| r.manifest).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        manifest,
        "---\n# Source: echo-server/templates/cm.yaml\nkind: ConfigMap\nname: echo-server-0.2.0\n\n"
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_library_subchart_is_followed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lib = dir.path().join("shared-lib");
    write(
        &lib,
        "Chart.yaml",
        "apiVersion: v2\nname: lib\nversion: 1.0.0\ntype: library\n",
    );
    write(
        &lib,
        "templates/_h.tpl",
        "{{ define \"lib.hello\" }}hello {{ .Chart.Name }}{{ end }}",
    );
    let app = dir.path().join("app");
    write(
        &app,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    );
    write(
        &app,
        "templates/cm.yaml",
        "kind: ConfigMap\nmsg: {{ include \"lib.hello\" . }}\n",
    );
    std::fs::create_dir_all(app.join("charts")).unwrap_or_default();
    std::os::unix::fs::symlink(&lib, app.join("charts/lib")).unwrap_or_else(|e| panic!("{e}"));
    let out = HelmRenderer::new().render(&app, &RenderOptions::default());
    let manifest = out.map(|r| r.manifest).unwrap_or_else(|e| panic!("{e}"));
    assert!(manifest.contains("msg: hello app"), "{manifest}");
}

#[test]
fn infinite_template_recursion_is_an_error_not_a_crash() {
    let err = render_one(
        "{{ define \"a\" }}{{ template \"a\" . }}{{ end }}{{ template \"a\" . }}",
        serde_json::json!({}),
    );
    assert!(matches!(err, Err(RenderError::Template { .. })), "{err:?}");
}

#[test]
fn mutual_include_recursion_stops_at_helms_limit() {
    let t = "{{ define \"a\" }}{{ include \"b\" . }}{{ end }}{{ define \"b\" }}{{ include \"a\" . }}{{ end }}{{ include \"a\" . }}";
    let err = render_one(t, serde_json::json!({})).map_err(|e| e.to_string());
    assert!(
        err.as_ref().is_err_and(|e| e.contains("t.yaml:1")),
        "{err:?}"
    );
}

#[test]
fn errors_name_chart_template_line_and_column() {
    let err = render_one(
        "a: 1\nb: {{ .Values.x | upper | nope }}\n",
        serde_json::json!({}),
    );
    match err {
        Err(RenderError::Parse {
            chart,
            template,
            line,
            col,
            message,
        }) => {
            assert_eq!(
                (chart.as_str(), template.as_str(), line),
                ("fuzz", "fuzz/templates/t.yaml", 2)
            );
            assert!(col > 0 && message.contains("nope"), "{col} {message}");
        }
        other => panic!("{other:?}"),
    }
    let err = render_one(
        "a: 1\nb: {{ index .Values.list 5 }}\n",
        serde_json::json!({"list": [1]}),
    );
    assert!(
        matches!(
            err,
            Err(RenderError::Template {
                line: 2,
                col: 6,
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn output_that_is_not_yaml_is_reported_with_its_template() {
    let err = render_one("a: [1\n", serde_json::json!({})).map_err(|e| e.to_string());
    assert!(err.is_err_and(|e| e.contains("fuzz/templates/t.yaml")));
}

#[test]
fn bad_arguments_to_sprig_crypto_url_and_date_functions_are_errors_naming_the_function() {
    let cases = [
        (
            "decryptAES \"k\" \"!!!\"",
            "error calling decryptAES: illegal base64 data at input byte 0",
        ),
        ("decryptAES \"k\" \"YWJj\"", "error calling decryptAES"),
        (
            "genCAWithKey \"x\" 3 \"junk\"",
            "error calling genCAWithKey: parsing private key: no PEM data in input",
        ),
        (
            "genSelfSignedCert \"x\" (list 1) nil 3",
            "error calling genSelfSignedCert: error parsing ip: 1 is not a string",
        ),
        (
            "genSignedCert \"x\" nil nil 3 (dict)",
            "error calling genSignedCert: wrong type for value; expected sprig.certificate",
        ),
        (
            "buildCustomCert \"@@\" \"\"",
            "error calling buildCustomCert: unable to decode base64 certificate",
        ),
        ("randBytes -1", "error calling randBytes"),
        (
            "urlParse \"http://h/%zz\"",
            "error calling urlParse: unable to parse url",
        ),
        (
            "urlJoin (dict \"host\" 1)",
            "error calling urlJoin: unable to parse host key",
        ),
        (
            "mustToDate \"2006\" \"x\"",
            "error calling mustToDate: parsing time",
        ),
        (
            "mustDateModify \"x\" now",
            "error calling mustDateModify: time: invalid duration",
        ),
        ("dateModify \"1h\" \"x\"", "expected time.Time"),
        ("mustFromJson \"{\"", "error calling mustFromJson"),
    ];
    for (call, want) in cases {
        // The Debug form carries Go's whole chain (`error calling NAME: ...`).
        let err = render_one(&format!("a: {{{{ {call} }}}}\n"), serde_json::json!({}))
            .map_err(|e| format!("{e:?}"));
        assert!(
            err.as_ref().is_err_and(|e| e.contains(want)),
            "{call}: {err:?}"
        );
    }
    // Sprig returns these as text rather than failing, and so does Helm.
    let out = render_one(
        "a: {{ genPrivateKey \"foo\" }}\nb: {{ fromToml \"a = \" | keys | first }}\n",
        serde_json::json!({}),
    );
    assert!(out.is_ok_and(|o| o.contains("a: Unknown type foo\nb: Error")));
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{- ".to_string()),
        Just(" -}}".to_string()),
        Just("{{ end }}".to_string()),
        Just("{{ else }}".to_string()),
        Just("{{ if .Values.a }}".to_string()),
        Just("{{ range $i, $v := .Values.l }}".to_string()),
        Just("{{ with .Values.m }}".to_string()),
        Just("{{ define \"x\" }}".to_string()),
        Just("{{ include \"x\" . }}".to_string()),
        Just("{{ tpl \"{{ .Values.a }}\" . }}".to_string()),
        Just("{{ .Values.a.b.c }}".to_string()),
        Just("{{ $x := 1 }}{{ $x = add $x 1 }}".to_string()),
        Just("{{ index .Values.l 3 }}".to_string()),
        Just("{{ toYaml .Values | nindent 2 }}".to_string()),
        Just("{{ printf \"%d %s\" 1 }}".to_string()),
        Just("{{ fromYaml \"a: [\" }}".to_string()),
        Just("{{ div 1 0 }}".to_string()),
        Just("{{ (semver \"x\").Major }}".to_string()),
        Just("{{ required \"r\" nil }}".to_string()),
        Just("{{ break }}".to_string()),
        Just("{{ decryptAES .Values.a .Values.a }}".to_string()),
        Just("{{ fromToml .Values.a | toYaml }}".to_string()),
        Just("{{ urlJoin (urlParse .Values.a) }}".to_string()),
        Just("{{ genCAWithKey .Values.a 1 .Values.a }}".to_string()),
        Just("{{ buildCustomCert .Values.a .Values.a }}".to_string()),
        Just("{{ dateModify .Values.a (toDate .Values.a .Values.a) }}".to_string()),
        Just("{{ durationRound .Values.m.k }}".to_string()),
        Just("{{ mustFromJson .Values.a }}".to_string()),
        Just("\"'`|()$.".to_string()),
        "[a-z:\\- \\n]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn random_templates_never_panic(parts in proptest::collection::vec(fragment(), 0..12)) {
        let template: String = parts.concat();
        let values = serde_json::json!({"a": "x:%zz", "l": [1, "b"], "m": {"k": 1.5}});
        // Any outcome is fine except a panic (which would fail the test).
        let _ = render_one(&template, values);
    }
}
