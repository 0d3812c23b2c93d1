{{/* The chart's name, 63 characters at most. */}}
{{- define "bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' name: the release's, with the chart's unless it holds it. */}}
{{- define "bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "bridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* The Secret passed to the bridge with envFrom, or nothing. */}}
{{- define "bridge.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if .Values.secrets.create }}
{{- printf "%s-secrets" (include "bridge.fullname" .) }}
{{- end }}
{{- end }}

{{/* The mappings ConfigMap, or nothing (the image's mappings). */}}
{{- define "bridge.mappingsConfigMap" -}}
{{- if and .Values.mappings.existingConfigMap .Values.mappings.files }}
{{- fail "mappings: set existingConfigMap or files, not both" }}
{{- end }}
{{- if .Values.mappings.existingConfigMap }}
{{- .Values.mappings.existingConfigMap }}
{{- else if .Values.mappings.files }}
{{- printf "%s-mappings" (include "bridge.fullname" .) }}
{{- end }}
{{- end }}

{{/* The schemas ConfigMap, or nothing (the image's schemas). */}}
{{- define "bridge.schemasConfigMap" -}}
{{- if and .Values.schemas.existingConfigMap .Values.schemas.files }}
{{- fail "schemas: set existingConfigMap or files, not both" }}
{{- end }}
{{- if .Values.schemas.existingConfigMap }}
{{- .Values.schemas.existingConfigMap }}
{{- else if .Values.schemas.files }}
{{- printf "%s-schemas" (include "bridge.fullname" .) }}
{{- end }}
{{- end }}

{{/* A schema's ConfigMap key: its path with "/" as "_" (a key cannot hold "/"). */}}
{{- define "bridge.schemaKey" -}}
{{- . | trimPrefix "/" | replace "/" "_" }}
{{- end }}

{{/* The environment variables the chart sets itself: refused in config. */}}
{{- define "bridge.managedEnv" -}}
BRIDGE_HTTP BRIDGE_ADMIN BRIDGE_NATS_URL BRIDGE_NATS_MONITOR_URL BRIDGE_REPLICAS BRIDGE_GRACE BRIDGE_MAPPINGS BRIDGE_SCHEMAS
{{- end }}

{{/* The bridge's secrets: only from a Secret, never in config. */}}
{{- define "bridge.secretEnv" -}}
BRIDGE_EVENTS_SECRET BRIDGE_NATS_PASSWORD BRIDGE_NATS_TOKEN BRIDGE_ADMIN_TOKEN
{{- end }}
