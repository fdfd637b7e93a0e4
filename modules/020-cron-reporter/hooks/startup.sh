#!/usr/bin/env bash
# Logs the configured schedule once at startup.
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  echo '{"configVersion":"v1","onStartup":20}'
  exit 0
fi
echo "cron-reporter schedule: $(jq -r '.cronReporter.schedule' "$VALUES_PATH")"
