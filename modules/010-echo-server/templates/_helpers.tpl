{{- define "echo_server.replicas" -}}
{{- $v := .Values.echoServer -}}
{{- $replicas := $v.replicas -}}
{{- if $v.internal.replicasFromHook -}}
  {{- $replicas = $v.internal.replicasFromHook -}}
{{- end -}}
{{- include "lib_is_ha_to_value" (list . (max 2 $replicas | toString) ($replicas | int | toString)) -}}
{{- end -}}
