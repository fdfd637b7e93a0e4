#!/usr/bin/env bash
# Shell framework for shell-operator hooks: reading the current binding context.
#
# The current context is element $BINDING_CONTEXT_CURRENT_INDEX (0 when unset) of the JSON array
# in $BINDING_CONTEXT_PATH. Paths given to context::get and friends are dot-separated keys, where
# an all-digit segment is an array index: `objects.0.object.metadata.name`.

# Runs jq with the given arguments on the current binding context.
context::jq() {
  jq -c ".[${BINDING_CONTEXT_CURRENT_INDEX:-0}]" "$BINDING_CONTEXT_PATH" | jq "$@"
}

# Runs jq with the given arguments on the whole binding context array.
context::global::jq() {
  jq "$@" "$BINDING_CONTEXT_PATH"
}

# Converts `a.b.0` into a jq path expression usable with getpath.
context::_path() {
  printf '%s' "$1" | jq -R -c 'if . == "" then [] else split(".") | map(if test("^[0-9]+$") then tonumber else . end) end'
}

# Prints the value at the path (strings raw, other values as JSON). A missing value prints
# `null`; with --required it prints an error to stderr and fails instead.
context::get() {
  local required=0
  if [[ "${1:-}" == "--required" ]]; then
    required=1
    shift
  fi
  local path value
  path="$(context::_path "${1:-}")" || return 1
  value="$(context::jq -r --argjson p "$path" 'getpath($p)')" || return 1
  if [[ "$required" == 1 && "$value" == "null" ]]; then
    echo "context::get: required value '${1:-}' is missing in binding context ${BINDING_CONTEXT_CURRENT_INDEX:-0}" >&2
    return 1
  fi
  printf '%s\n' "$value"
}

# Succeeds if the path exists in the current context (even when its value is null).
context::has() {
  local path
  path="$(context::_path "${1:-}")" || return 1
  context::jq -e --argjson p "$path" '
    def has_path($p): if ($p | length) == 0 then true
      else (.[$p[0]]? as $v | (if (type == "object" and ($p[0] | type) == "string") then has($p[0])
            elif (type == "array" and ($p[0] | type) == "number") then ($p[0] < length)
            else false end) and ($v | has_path($p[1:]))) end;
    has_path($p)' >/dev/null
}

# Succeeds if the value at the path is the boolean true.
context::is_true() {
  local path
  path="$(context::_path "${1:-}")" || return 1
  context::jq -e --argjson p "$path" 'getpath($p) == true' >/dev/null
}

# Succeeds if the value at the path is the boolean false.
context::is_false() {
  local path
  path="$(context::_path "${1:-}")" || return 1
  context::jq -e --argjson p "$path" 'getpath($p) == false' >/dev/null
}

# Succeeds if the value at the path is null or missing.
context::is_null() {
  local path
  path="$(context::_path "${1:-}")" || return 1
  context::jq -e --argjson p "$path" 'getpath($p) == null' >/dev/null
}
