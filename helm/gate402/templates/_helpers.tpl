{{/*
Naming and labels. Every helper here takes a root-shaped context (.Values, .Release, optionally .Chart) so the
sidecar template can be included from another chart with (dict "Values" .Values.gate402 "Release" .Release).
The chart name is the constant "gate402" for the same reason: the parent's .Chart is not ours.
*/}}
{{- define "gate402.name" -}}
{{- default "gate402" .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gate402.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "gate402.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gate402.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gate402.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gate402.labels" -}}
{{ include "gate402.selectorLabels" . }}
{{- if .Chart }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gate402
{{- end }}

{{- define "gate402.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gate402.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding GATEWAY_INVOICE_SECRET, JWT_SECRET and DATABASE_URL. */}}
{{- define "gate402.secretName" -}}
{{- default (include "gate402.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "gate402.routesConfigMapName" -}}
{{- printf "%s-routes" (include "gate402.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* image: tag defaults to the chart appVersion; from another chart (no .Chart of ours) it must be set. */}}
{{- define "gate402.image" -}}
{{- $tag := .Values.image.tag }}
{{- if and (not $tag) .Chart }}{{ $tag = .Chart.AppVersion }}{{ end }}
{{- $tag = required "gate402: image.tag is required when gate402.sidecarContainer is included from another chart" $tag }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}

{{/* The payment address, or a rendering error that says what to do. */}}
{{- define "gate402.paymentAddress" -}}
{{- required "gate402: config.paymentAddress is required — the Neutaro address (neutaro1…) that receives payments, e.g. --set config.paymentAddress=neutaro1…" .Values.config.paymentAddress }}
{{- end }}

{{/* In-cluster DNS name of the gRPC Service (standalone) — what Envoy, Istio and Envoy Gateway dial. */}}
{{- define "gate402.grpcHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "gate402.fullname" .) .Release.Namespace }}
{{- end }}
