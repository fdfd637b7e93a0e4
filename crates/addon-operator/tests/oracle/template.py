#!/usr/bin/env python3
"""`helm template` with real Helm (helm-python-sdk, Helm v4): prints TrimSpace(manifest) + "\n".

Usage: template.py CHART_DIR [-f FILE]... [--name NAME] [--namespace NS]
Values files merge like Helm's MergeValues (maps deeply, everything else replaced).
Errors go to stderr with exit code 1.
"""
import argparse
import os
import sys

os.environ.setdefault("KUBECONFIG", "/nonexistent")
import helm_python as helm  # noqa: E402

helm.disable_logging()


def merge(base, over):
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = v
    return base


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("chart")
    p.add_argument("-f", "--values", action="append", default=[])
    p.add_argument("--name", default="release-name")
    p.add_argument("--namespace", default="default")
    a = p.parse_args()
    vals = {}
    for path in a.values:
        with open(path) as f:
            merge(vals, helm.values_from_yaml(f.read()) or {})
    try:
        with helm.Config(storage_driver="memory", namespace=a.namespace) as cfg:
            rel = cfg.install(a.chart, a.name, vals, namespace=a.namespace, dry_run="client")
    except Exception as e:  # the error text is what the error goldens keep
        sys.stderr.write(f"{str(e)[:600]}\n")
        return 1
    sys.stdout.write(rel["manifest"].strip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
