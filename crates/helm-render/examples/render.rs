//! Manual check: `cargo run -p helm-render --example render -- CHART [--values F] [--name N] [--namespace NS] [--json]`.

use std::path::Path;
use std::process::ExitCode;

use helm_render::{HelmRenderer, RenderOptions, Renderer};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = RenderOptions {
        release_name: "demo".into(),
        ..RenderOptions::default()
    };
    let mut chart = None;
    let mut json = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--values" => {
                i += 1;
                let text = std::fs::read_to_string(&args[i]).unwrap_or_default();
                match helm_render::codec::parse_yaml(&text) {
                    Ok(v) => opts.values = v.to_json(),
                    Err(e) => {
                        eprintln!("values: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            "--name" => {
                i += 1;
                opts.release_name = args[i].clone();
            }
            "--namespace" => {
                i += 1;
                opts.namespace = args[i].clone();
            }
            "--json" => json = true,
            other => chart = Some(other.to_string()),
        }
        i += 1;
    }
    let Some(chart) = chart else {
        eprintln!("usage: render CHART [--values F] [--name N] [--namespace NS] [--json]");
        return ExitCode::FAILURE;
    };
    let r = if json {
        helm_render::chart::load_dir(Path::new(&chart))
            .map_err(helm_render::RenderError::from)
            .and_then(|c| {
                helm_render::render::render_templates(&c, &opts, &helm_render::funcs::Funcs::helm())
            })
            .map(|m| {
                for (k, v) in m {
                    println!("{k} =====\n{v}");
                }
            })
    } else {
        HelmRenderer::new()
            .render(Path::new(&chart), &opts)
            .map(|r| print!("{}", r.manifest))
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}
