{{- /* Usage: include "lib_container_resources" (list . $resources) -> requests/limits with defaults */ -}}
{{- define "lib_container_resources" }}
  {{- $context := index . 0 }}
  {{- $given := index . 1 | default dict }}
  {{- $defaults := dict "requests" (dict "cpu" "10m" "memory" "16Mi") }}
  {{- $merged := merge (deepCopy $given) $defaults -}}
resources:
{{- toYaml $merged | nindent 2 }}
{{- end }}

{{- /* Usage: include "lib_container_security_context_read_only" . */ -}}
{{- define "lib_container_security_context_read_only" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end }}
