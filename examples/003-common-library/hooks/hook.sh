#!/usr/bin/env bash
source "$(dirname "$0")/lib/common.sh"
if [[ $1 == "--config" ]]; then
  echo '{"configVersion":"v1", "onStartup": 1}'
else
  common::greet "$(basename "$0")"
fi
