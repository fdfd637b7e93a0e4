#!/usr/bin/env bash
# Reacts to namespaces being created and deleted.
if [[ $1 == "--config" ]]; then
  cat <<CONFIG
configVersion: v1
kubernetes:
- name: namespaces
  apiVersion: v1
  kind: Namespace
  executeHookOnEvent: ["Added", "Deleted"]
  jqFilter: .metadata.name
CONFIG
else
  jq -r '.[] | select(.type == "Event") | "Namespace \(.filterResult) \(.watchEvent | ascii_downcase)"' "$BINDING_CONTEXT_PATH"
fi
