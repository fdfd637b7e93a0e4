#!/usr/bin/env bash
# Watches CronTab custom resources (the kind is found through discovery once the CRD exists).
if [[ $1 == "--config" ]]; then
  cat <<CONFIG
configVersion: v1
kubernetes:
- name: crontabs
  apiVersion: stable.example.com/v1
  kind: CronTab
  executeHookOnEvent: ["Added", "Modified"]
  jqFilter: "{name: .metadata.name, spec: .spec}"
CONFIG
else
  jq -r '.[] | select(.type == "Event") | "CronTab \(.filterResult.name) \(.watchEvent): \(.filterResult.spec | tojson)"' "$BINDING_CONTEXT_PATH"
fi
