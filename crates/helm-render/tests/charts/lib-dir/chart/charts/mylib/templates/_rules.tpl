{{- define "mylib_rules" -}}
{{- $context := index . 0 -}}
{{- $dir := index . 1 -}}
{{- range $path, $_ := $context.Files.Glob (printf "%s/*.yaml" $dir) }}
{{- $rules := $context.Files.Get $path | fromYaml }}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $path | base | trimSuffix ".yaml" }}
spec:
  {{- toYaml $rules | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "mylib_tpl_value" -}}
{{- $context := index . 0 -}}
{{- tpl (index . 1) $context -}}
{{- end -}}
