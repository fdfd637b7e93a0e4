{{- /* Usage: include "lib_module_labels" (list . (dict "app" "name")) */ -}}
{{- define "lib_module_labels" }}
  {{- $context := index . 0 }}
  {{- $extra := dict }}
  {{- if gt (len .) 1 }}
    {{- $extra = index . 1 }}
  {{- end }}
  {{- $labels := dict "heritage" "addon-operator" "module" $context.Chart.Name }}
  {{- range $k, $v := $extra }}
    {{- $_ := set $labels $k $v }}
  {{- end -}}
labels:
{{- toYaml $labels | nindent 2 }}
{{- end }}

{{- /* Usage: include "lib_module_name" . -> camelCase values key of the module */ -}}
{{- define "lib_module_name" -}}
{{ .Chart.Name | replace "-" "_" | camelcase | untitle }}
{{- end }}
