#!/usr/bin/env bash
# Shell framework for shell-operator hooks: dispatch of binding contexts to handler functions.
#
# A hook defines `__config__` (prints the hook config) and one or more handlers, then ends with
# `hook::run "$@"`. For every element of the $BINDING_CONTEXT_PATH array, hook::run exports
# BINDING_CONTEXT_CURRENT_INDEX and BINDING_CONTEXT_CURRENT_BINDING and calls, in a subshell, the
# first handler that is defined:
#
#   onStartup        __on_startup
#   Synchronization  __on_kubernetes::<binding>::synchronization, __on_kubernetes::<binding>
#   Event Added      __on_kubernetes::<binding>::added, ::added_or_modified, __on_kubernetes::<binding>
#   Event Modified   __on_kubernetes::<binding>::modified, ::added_or_modified, __on_kubernetes::<binding>
#   Event Deleted    __on_kubernetes::<binding>::deleted, __on_kubernetes::<binding>
#   Group            __on_group::<groupName>
#   Schedule         __on_schedule::<binding>
#   Validating       __on_validating::<binding>
#   Mutating         __on_mutating::<binding>
#   Conversion       __on_conversion::<binding>::<from>::<to> ('/' becomes '.'), __on_conversion::<binding>
#
# and, when none of those exists, `__main__`. A context with no handler at all is an error.

# Prints the first of the given function names that is defined.
hook::_first_defined() {
  local candidate
  for candidate in "$@"; do
    if declare -F -- "$candidate" >/dev/null 2>&1; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# Prints the handler candidates for the context at BINDING_CONTEXT_CURRENT_INDEX, best first.
hook::_candidates() {
  local binding="$1" type watch_event group from to
  type="$(context::jq -r '.type // ""')"
  case "$type" in
    "")
      if [[ "$binding" == "onStartup" ]]; then
        echo "__on_startup"
      fi
      ;;
    Synchronization)
      echo "__on_kubernetes::${binding}::synchronization"
      echo "__on_kubernetes::${binding}"
      ;;
    Event)
      watch_event="$(context::jq -r '.watchEvent // ""')"
      case "$watch_event" in
        Added)
          echo "__on_kubernetes::${binding}::added"
          echo "__on_kubernetes::${binding}::added_or_modified"
          ;;
        Modified)
          echo "__on_kubernetes::${binding}::modified"
          echo "__on_kubernetes::${binding}::added_or_modified"
          ;;
        Deleted)
          echo "__on_kubernetes::${binding}::deleted"
          ;;
      esac
      echo "__on_kubernetes::${binding}"
      ;;
    Group)
      group="$(context::jq -r '.groupName // ""')"
      echo "__on_group::${group}"
      ;;
    Schedule)
      echo "__on_schedule::${binding}"
      ;;
    Validating)
      echo "__on_validating::${binding}"
      ;;
    Mutating)
      echo "__on_mutating::${binding}"
      ;;
    Conversion)
      from="$(context::jq -r '.fromVersion // ""')"
      to="$(context::jq -r '.toVersion // ""')"
      echo "__on_conversion::${binding}::${from//\//.}::${to//\//.}"
      echo "__on_conversion::${binding}"
      ;;
  esac
  echo "__main__"
}

# Entry point: `hook::run "$@"` at the end of a framework-based hook.
hook::run() {
  if [[ "${1:-}" == "--config" ]]; then
    if ! declare -F __config__ >/dev/null 2>&1; then
      echo "hook::run: function __config__ is not defined" >&2
      return 1
    fi
    __config__
    return $?
  fi

  if [[ -z "${BINDING_CONTEXT_PATH:-}" || ! -r "${BINDING_CONTEXT_PATH}" ]]; then
    echo "hook::run: BINDING_CONTEXT_PATH is not set or not readable" >&2
    return 1
  fi

  local count index binding handler
  count="$(jq 'length' "$BINDING_CONTEXT_PATH")" || return 1
  for ((index = 0; index < count; index++)); do
    export BINDING_CONTEXT_CURRENT_INDEX="$index"
    binding="$(context::jq -r '.binding')"
    export BINDING_CONTEXT_CURRENT_BINDING="$binding"
    # Word splitting is wanted: candidates are one per line and never contain newlines.
    # shellcheck disable=SC2046
    if ! handler="$(hook::_first_defined $(hook::_candidates "$binding" | tr '\n' ' '))"; then
      echo "hook::run: no handler for binding context ${index} (binding '${binding}'); define one of: $(hook::_candidates "$binding" | tr '\n' ' ')" >&2
      return 1
    fi
    ( "$handler" ) || return $?
  done
}
