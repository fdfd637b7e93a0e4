{{- define "inner" -}}
{{- fail "inner failure" -}}
{{- end -}}
