#!/usr/bin/env bash
# Rewrites tests/golden/* from real Helm: HELM_ORACLE_PYTHON=/path/to/venv/bin/python tests/oracle/update-goldens.sh
set -euo pipefail
crate="$(cd "$(dirname "$0")/../.." && pwd)"
root="$(cd "$crate/../.." && pwd)"
cd "$crate"
grep -v '^#' tests/cases.txt | while IFS='|' read -r name chart release ns files; do
  name="$(echo $name)"; chart="$(echo $chart)"; release="$(echo $release)"; ns="$(echo $ns)"
  args=()
  for f in $files; do args+=(-f "$f"); done
  rm -f "tests/golden/$name.yaml" "tests/golden/$name.err"
  if "$HELM_ORACLE_PYTHON" tests/oracle/template.py "$root/$chart" "${args[@]}" --name "$release" --namespace "$ns" \
      >"tests/golden/$name.yaml" 2>"tests/golden/$name.err"; then
    rm "tests/golden/$name.err"; echo "$name: ok"
  else
    rm "tests/golden/$name.yaml"
    # Helm logs "found symbolic link" lines with a timestamp; keep only the error.
    grep -v '^[0-9]\{4\}/[0-9][0-9]/[0-9][0-9] [0-9:]* INFO ' "tests/golden/$name.err" >"tests/golden/$name.err.tmp" || true
    mv "tests/golden/$name.err.tmp" "tests/golden/$name.err"
    echo "$name: error: $(cat "tests/golden/$name.err")"
  fi
done
