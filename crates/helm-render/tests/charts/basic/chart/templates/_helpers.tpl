{{- define "basic.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "basic.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{- define "basic.countdown" -}}
{{- if gt (int .) 0 -}}
{{ . }} {{ include "basic.countdown" (sub (int .) 1) }}
{{- else -}}
liftoff
{{- end -}}
{{- end -}}

{{- define "basic.args" -}}
{{- $ctx := index . 0 -}}
{{- $extra := index . 1 -}}
{{ $ctx.Chart.Name }}/{{ $extra.component }}
{{- end -}}
