#!/usr/bin/env bash
# Mutating webhook: a ConfigMap created without the label example.com/team gets
# example.com/team=unassigned, so every ConfigMap can be traced to its owners.

if [[ ${1:-} == "--config" ]]; then
  cat <<'CONFIG'
configVersion: v1
kubernetesMutating:
- name: default-team.example.com
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["configmaps"]
    scope: Namespaced
CONFIG
  exit 0
fi

object=$(jq '.[0].review.request.object' "$BINDING_CONTEXT_PATH")
if jq -e '.metadata.labels["example.com/team"]' <<<"$object" >/dev/null; then
  echo '{"allowed": true}' >"$VALIDATING_RESPONSE_PATH"
  exit 0
fi

# A JSON Patch, base64-encoded in the response's "patch" field.
if jq -e '.metadata.labels' <<<"$object" >/dev/null; then
  patch='[{"op": "add", "path": "/metadata/labels/example.com~1team", "value": "unassigned"}]'
else
  patch='[{"op": "add", "path": "/metadata/labels", "value": {"example.com/team": "unassigned"}}]'
fi
echo "ConfigMap $(jq -r '.metadata.name // .metadata.generateName' <<<"$object"): team set to unassigned"
jq -n --arg patch "$(printf '%s' "$patch" | base64 -w0)" '{allowed: true, patch: $patch}' \
  >"$VALIDATING_RESPONSE_PATH"
