{{- define "shared.name" -}}parent-version{{- end -}}
