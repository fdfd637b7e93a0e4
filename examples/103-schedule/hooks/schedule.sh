#!/usr/bin/env bash
# Two schedules: a 5-field crontab (every minute) and a 6-field one with seconds (every 10 seconds).
if [[ $1 == "--config" ]]; then
  cat <<CONFIG
configVersion: v1
schedule:
- name: every-minute
  crontab: "* * * * *"
- name: every-10-seconds
  crontab: "*/10 * * * * *"
  allowFailure: true
CONFIG
else
  jq -r '.[] | "schedule \(.binding) fired"' "$BINDING_CONTEXT_PATH"
fi
