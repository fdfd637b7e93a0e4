#!/usr/bin/env bash
# Sets echoServer.internal.replicasFromHook to 2 when the cluster runs in HA mode.
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  echo '{"configVersion":"v1","beforeHelm":10}'
  exit 0
fi
replicas=1
if [[ "$(jq -r '.global.highAvailability // false' "$VALUES_PATH")" == "true" ]]; then
  replicas=2
fi
echo "[{\"op\":\"add\",\"path\":\"/echoServer/internal/replicasFromHook\",\"value\":${replicas}}]" >"$VALUES_JSON_PATCH_PATH"
