{{- /* Usage: include "lib_is_ha_to_value" (list . "yes" "no") */ -}}
{{- define "lib_is_ha_to_value" }}
  {{- $context := index . 0 }}
  {{- $moduleName := include "lib_module_name" $context }}
  {{- $ha := $context.Values.global.highAvailability }}
  {{- $own := index $context.Values $moduleName "highAvailability" }}
  {{- if kindIs "bool" $own }}
    {{- $ha = $own }}
  {{- end }}
  {{- if $ha }}{{ index . 1 }}{{ else }}{{ index . 2 }}{{ end }}
{{- end }}

{{- /* Usage: include "lib_pod_anti_affinity_for_ha" (list . (dict "app" "x")) */ -}}
{{- define "lib_pod_anti_affinity_for_ha" }}
  {{- $context := index . 0 }}
  {{- $labels := index . 1 }}
  {{- if eq (include "lib_is_ha_to_value" (list $context "true" "false")) "true" -}}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
    - labelSelector:
        matchLabels: {{ $labels | toJson }}
      topologyKey: kubernetes.io/hostname
  {{- end }}
{{- end }}
