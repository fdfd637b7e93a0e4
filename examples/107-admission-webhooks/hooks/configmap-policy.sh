#!/usr/bin/env bash
# Validating webhook: a ConfigMap must not hold a password (that belongs in a Secret), and a
# ConfigMap without a team gets a warning. Runs after the mutating hook has set the default team.

if [[ ${1:-} == "--config" ]]; then
  cat <<'CONFIG'
configVersion: v1
kubernetesValidating:
- name: configmap-policy.example.com
  labelSelector:
    matchExpressions:
    - {key: policy.example.com/skip, operator: DoesNotExist}
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["configmaps"]
    scope: Namespaced
CONFIG
  exit 0
fi

request=$(jq '.[0].review.request' "$BINDING_CONTEXT_PATH")
name=$(jq -r '.namespace + "/" + .name' <<<"$request")

if jq -e '.object.data // {} | keys | any(ascii_downcase | test("password"))' <<<"$request" >/dev/null; then
  echo "denied ConfigMap $name: it holds a password"
  jq -n --arg name "$name" \
    '{allowed: false, message: ("ConfigMap " + $name + " holds a password: put it in a Secret")}' \
    >"$VALIDATING_RESPONSE_PATH"
  exit 0
fi

team=$(jq -r '.object.metadata.labels["example.com/team"] // ""' <<<"$request")
if [[ $team == "unassigned" ]]; then
  jq -n --arg name "$name" \
    '{allowed: true, warnings: ["ConfigMap " + $name + " has no team: set the label example.com/team"]}' \
    >"$VALIDATING_RESPONSE_PATH"
else
  echo '{"allowed": true}' >"$VALIDATING_RESPONSE_PATH"
fi
