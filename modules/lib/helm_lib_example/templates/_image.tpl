{{- /* Usage: include "lib_module_image" (list . "containerName") */ -}}
{{- /* Image reference from .Values.global.modulesImages: registry base plus the digest of the container */ -}}
{{- define "lib_module_image" }}
  {{- $context := index . 0 }}
  {{- $container := index . 1 | trimAll "\"" }}
  {{- $moduleName := include "lib_module_name" $context }}
  {{- $registry := index $context.Values.global.modulesImages "registry" "base" }}
  {{- $override := index $context.Values $moduleName "registry" }}
  {{- if $override }}
    {{- $registry = $override }}
  {{- end }}
  {{- $digest := index $context.Values.global.modulesImages.digests $moduleName $container }}
  {{- if not $digest }}
    {{- fail (printf "no image digest for container %s of module %s" $container $moduleName) }}
  {{- end }}
  {{- printf "%s@%s" $registry $digest }}
{{- end }}
