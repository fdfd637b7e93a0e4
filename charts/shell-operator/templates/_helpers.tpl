{{/* Full name of the release's objects. */}}
{{- define "shell-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Common labels. */}}
{{- define "shell-operator.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels. */}}
{{- define "shell-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Service account name. */}}
{{- define "shell-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "shell-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Service and TLS Secret names of a webhook server; call with (list . "admission") or (list . "conversion"). */}}
{{- define "shell-operator.webhookService" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "shell-operator.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shell-operator.webhookSecret" -}}
{{- $root := index . 0 -}}
{{- $server := index $root.Values.webhooks (index . 1) -}}
{{- default (printf "%s-%s-tls" (include "shell-operator.fullname" $root) (index . 1)) $server.secretName -}}
{{- end -}}
