{{- /* Usage: include "mylib_labels" (list . (dict "app" "x")) */ -}}
{{- define "mylib_labels" -}}
{{- $context := index . 0 -}}
{{- $extra := dict -}}
{{- if gt (len .) 1 -}}
{{- $extra = index . 1 -}}
{{- end -}}
{{- $labels := dict "module" $context.Chart.Name "heritage" "mylib" -}}
{{- $labels = merge $labels $extra -}}
{{- toYaml $labels -}}
{{- end -}}

{{- define "mylib_image" -}}
{{- $context := index . 0 -}}
{{- $container := index . 1 -}}
{{- $moduleName := $context.Chart.Name -}}
{{- if and $context.Module $context.Module.Package -}}
{{- $moduleName = $context.Module.Package -}}
{{- end -}}
{{- $digest := index $context.Values.global.modulesImages.digests $moduleName $container -}}
{{- if not $digest -}}
{{- fail (printf "no image digest for %s/%s" $moduleName $container) -}}
{{- end -}}
{{- printf "%s/%s@%s" $context.Values.global.registry $moduleName $digest -}}
{{- end -}}

{{- define "mylib_is_ha" -}}
{{- $context := index . 0 -}}
{{- $value := dig "highAvailability" false $context.Values.global -}}
{{- $moduleValues := index $context.Values $context.Chart.Name | default dict -}}
{{- if hasKey $moduleValues "highAvailability" -}}
{{- $value = $moduleValues.highAvailability -}}
{{- end -}}
{{- ternary "yes" "" $value -}}
{{- end -}}

{{- define "mylib_first_existing" -}}
{{- $context := index . 0 -}}
{{- $found := "none" -}}
{{- range $c := index . 1 -}}
{{- if $context.Capabilities.APIVersions.Has $c -}}
{{- $found = $c -}}
{{- break -}}
{{- end -}}
{{- end -}}
{{- $found -}}
{{- end -}}
