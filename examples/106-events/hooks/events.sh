#!/usr/bin/env bash
# Follows Warning events cluster-wide; the field selector is evaluated by the API server.
if [[ $1 == "--config" ]]; then
  cat <<CONFIG
configVersion: v1
kubernetes:
- name: warnings
  apiVersion: v1
  kind: Event
  fieldSelector:
    matchExpressions:
    - {field: type, operator: Equals, value: Warning}
  executeHookOnSynchronization: false
  jqFilter: "{reason: .reason, object: .involvedObject.name, message: .message}"
CONFIG
else
  jq -r '.[] | select(.type == "Event") | "Warning \(.filterResult.reason) on \(.filterResult.object): \(.filterResult.message)"' "$BINDING_CONTEXT_PATH"
fi
