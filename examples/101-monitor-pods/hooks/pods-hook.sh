#!/usr/bin/env bash
# Prints the pods that appear in any namespace.
if [[ $1 == "--config" ]]; then
  cat <<CONFIG
configVersion: v1
kubernetes:
- name: pods
  apiVersion: v1
  kind: Pod
  executeHookOnEvent: ["Added"]
CONFIG
else
  jq -r '.[] | select(.type == "Event") | "Pod \(.object.metadata.namespace)/\(.object.metadata.name) added"' "$BINDING_CONTEXT_PATH"
  jq -r '.[] | select(.type == "Synchronization") | "Synchronization: \(.objects | length) pods"' "$BINDING_CONTEXT_PATH"
fi
