#!/usr/bin/env python3
"""Render a chart with real Helm (helm-python-sdk) the way `helm template` prints it.

Usage: render.py CHART_DIR [--values FILE] [--name NAME] [--namespace NS] [--json]
       render.py --update-goldens CASES_DIR

--json prints Helm's per-template map (Chart.render) as JSON instead of the manifest.
Errors go to stderr with exit code 1. Needs `pip install helm-python-sdk==0.2.2`.

--update-goldens renders every CASES_DIR/<case>/chart (with <case>/values.yaml when present,
release "demo" in namespace "prod") and writes <case>/expected.yaml, or <case>/expected.err
when Helm fails.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("KUBECONFIG", "/nonexistent")
import helm_python as helm  # noqa: E402


def render_manifest(chart: str, values_file, name: str, namespace: str) -> str:
    vals = {}
    if values_file:
        with open(values_file) as f:
            vals = helm.values_from_yaml(f.read()) or {}
    with helm.Config(storage_driver="memory", namespace=namespace) as cfg:
        rel = cfg.install(chart, name, vals, namespace=namespace, dry_run="client")
    return rel["manifest"]


def update_goldens(cases: str) -> int:
    for case in sorted(os.listdir(cases)):
        d = os.path.join(cases, case)
        if not os.path.isdir(os.path.join(d, "chart")):
            continue
        values = os.path.join(d, "values.yaml")
        for stale in ("expected.yaml", "expected.err"):
            if os.path.exists(os.path.join(d, stale)):
                os.remove(os.path.join(d, stale))
        try:
            out = render_manifest(os.path.join(d, "chart"), values if os.path.exists(values) else None, "demo", "prod")
            with open(os.path.join(d, "expected.yaml"), "w") as f:
                f.write(out)
            print(f"{case}: ok")
        except Exception as e:
            with open(os.path.join(d, "expected.err"), "w") as f:
                # Helm's recursion errors repeat for kilobytes; the head names the place.
                f.write(f"{str(e)[:600]}\n")
            print(f"{case}: error: {e}")
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--update-goldens":
        return update_goldens(sys.argv[2])
    p = argparse.ArgumentParser()
    p.add_argument("chart")
    p.add_argument("--values")
    p.add_argument("--name", default="demo")
    p.add_argument("--namespace", default="default")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    vals = {}
    if a.values:
        with open(a.values) as f:
            vals = helm.values_from_yaml(f.read()) or {}
    try:
        if a.json:
            with helm.Chart.load(a.chart) as ch:
                out = ch.render(vals, name=a.name, namespace=a.namespace, is_install=True)
            print(json.dumps(out, indent=1, sort_keys=True))
        else:
            sys.stdout.write(render_manifest(a.chart, a.values, a.name, a.namespace))
    except Exception as e:  # the oracle's error text is part of the golden output
        sys.stderr.write(f"{type(e).__name__}: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
