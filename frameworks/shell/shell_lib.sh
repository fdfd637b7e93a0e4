#!/usr/bin/env bash
# Shell framework for shell-operator hooks. Source this file from a hook:
#
#   source /shell_lib.sh            # in the image
#   source "$FRAMEWORK_DIR/shell_lib.sh"
#
# It loads every framework file that sits next to it, or in /frameworks/shell when this file was
# copied elsewhere (the image keeps /shell_lib.sh and /frameworks/shell/*.sh).

__shell_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ ! -f "${__shell_lib_dir}/hook.sh" ]]; then
  __shell_lib_dir="/frameworks/shell"
fi
for __shell_lib_file in "${__shell_lib_dir}"/*.sh; do
  if [[ "$(basename "$__shell_lib_file")" != "shell_lib.sh" ]]; then
    # shellcheck source=/dev/null
    source "$__shell_lib_file"
  fi
done
unset __shell_lib_dir __shell_lib_file
