{{- define "shared.name" -}}sub-version{{- end -}}
