#!/usr/bin/env bash
# Runs once when the operator starts.
if [[ $1 == "--config" ]]; then
  echo '{"configVersion":"v1", "onStartup": 1}'
else
  echo "shell hook: operator started, binding context:"
  jq -c '.' "$BINDING_CONTEXT_PATH"
fi
