{{/*
The gate402 container, shared by the standalone Deployment and the sidecar template so both run the same
image, env, probes and hardening. Context: root-shaped (.Values, .Release, optionally .Chart).
*/}}
{{- define "gate402.container" -}}
{{- if and .Values.tls.manageClientCert (not .Values.tls.mtls) }}
{{- fail "gate402: tls.manageClientCert needs tls.mtls (client certificates are checked against the Secret's ca.crt)" }}
{{- end }}
name: gate402
image: {{ include "gate402.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args: ["node", "dist/src/cli.js", "serve"]
ports:
  - name: gate402-grpc
    containerPort: {{ .Values.config.grpcPort }}
    protocol: TCP
  - name: gate402-http
    containerPort: {{ .Values.config.httpPort }}
    protocol: TCP
  {{- if .Values.tls.enabled }}
  - name: gate402-health
    containerPort: {{ .Values.tls.healthPort }}
    protocol: TCP
  {{- end }}
env:
  - { name: GATEWAY_PAYMENT_ADDRESS, value: {{ include "gate402.paymentAddress" . | quote }} }
  - { name: GATEWAY_RPC, value: {{ .Values.config.rpc | quote }} }
  - { name: GATEWAY_CHAIN_ID, value: {{ .Values.config.chainId | quote }} }
  - { name: GATEWAY_DEFAULT_PRICE, value: {{ .Values.config.defaultPrice | quote }} }
  - { name: GATEWAY_MIN_CONFIRMATIONS, value: {{ .Values.config.minConfirmations | quote }} }
  - { name: GATEWAY_INVOICE_TTL, value: {{ .Values.config.invoiceTtl | quote }} }
  - { name: GATEWAY_PREPAID, value: {{ .Values.config.prepaid | quote }} }
  - { name: GATEWAY_REFUND_ON, value: {{ .Values.config.refundOn | quote }} }
  - { name: GATEWAY_REFUND_WINDOW, value: {{ .Values.config.refundWindow | quote }} }
  - { name: GATEWAY_LEDGER_ROLLUPS, value: {{ .Values.config.ledgerRollups | quote }} }
  - { name: GATEWAY_LEDGER_ROLLUP_MS, value: {{ .Values.config.ledgerRollupMs | int64 | quote }} }
  - { name: GATEWAY_USAGE_RETENTION, value: {{ .Values.config.usageRetention | int64 | quote }} }
  - { name: GATEWAY_USAGE_MAINTENANCE_MS, value: {{ .Values.config.usageMaintenanceMs | int64 | quote }} }
  - { name: GATEWAY_GRPC_PORT, value: {{ .Values.config.grpcPort | quote }} }
  - { name: GATEWAY_HTTP_PORT, value: {{ .Values.config.httpPort | quote }} }
  - { name: GATEWAY_ROUTES_FILE, value: /etc/gate402/routes.yaml }
  - { name: GATEWAY_DATA_DIR, value: /tmp/gate402 }
  - { name: LOG_LEVEL, value: {{ .Values.config.logLevel | quote }} }
  # Secrets as files from the mounted Secret (never in the environment).
  {{- range $key := list "GATEWAY_INVOICE_SECRET" "JWT_SECRET" "DATABASE_URL" }}
  - { name: {{ $key }}_FILE, value: /etc/gate402-secrets/{{ $key }} }
  {{- end }}
  {{- with .Values.tls }}
  {{- if .enabled }}
  - { name: GATEWAY_TLS_CERT_FILE, value: /etc/gate402-tls/tls.crt }
  - { name: GATEWAY_TLS_KEY_FILE, value: /etc/gate402-tls/tls.key }
  {{- if .mtls }}
  - { name: GATEWAY_TLS_CLIENT_CA_FILE, value: /etc/gate402-tls/ca.crt }
  {{- end }}
  {{- if .manageClientCert }}
  - { name: GATEWAY_TLS_MANAGE_CLIENT_CERT, value: "true" }
  {{- end }}
  - { name: GATEWAY_TLS_RELOAD_MS, value: {{ mul .reloadSeconds 1000 | quote }} }
  - { name: GATEWAY_HEALTH_GRPC_PORT, value: {{ .healthPort | quote }} }
  {{- end }}
  {{- end }}
  {{- with .Values.config.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
# gate402 serves grpc.health.v1 on the ext_authz port: kubelet probes it natively, no exec helper needed.
# kubelet gRPC probes cannot speak TLS: with tls.enabled they use the plaintext health-only port, which reports
# the same status and serves nothing else.
{{- $probePort := ternary .Values.tls.healthPort .Values.config.grpcPort .Values.tls.enabled }}
startupProbe:
  grpc: { port: {{ $probePort }} }
  {{- toYaml .Values.probes.startup | nindent 2 }}
livenessProbe:
  grpc: { port: {{ $probePort }} }
  {{- toYaml .Values.probes.liveness | nindent 2 }}
readinessProbe:
  grpc: { port: {{ $probePort }} }
  {{- toYaml .Values.probes.readiness | nindent 2 }}
lifecycle:
  preStop:
    # Keep answering Check() while Envoy and the endpoints controller notice the pod is going away.
    exec: { command: ["sleep", {{ .Values.preStopSleepSeconds | quote }}] }
resources:
  {{- toYaml .Values.resources | nindent 2 }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - { name: gate402-routes, mountPath: /etc/gate402, readOnly: true }
  - { name: gate402-secrets, mountPath: /etc/gate402-secrets, readOnly: true }
  {{- if .Values.tls.enabled }}
  - { name: gate402-tls, mountPath: /etc/gate402-tls, readOnly: true }
  {{- end }}
  - { name: gate402-tmp, mountPath: /tmp }
{{- end }}

{{/* Pod volumes the gate402 container mounts. */}}
{{- define "gate402.volumes" -}}
- name: gate402-routes
  configMap: { name: {{ include "gate402.routesConfigMapName" . }} }
# 0444: readable by the non-root user without relying on fsGroup (sidecar pods may not set one); the volume is
# a tmpfs visible to this container only.
- name: gate402-secrets
  secret:
    secretName: {{ include "gate402.secretName" . }}
    defaultMode: 0444
    items:
      {{- range $key := list "GATEWAY_INVOICE_SECRET" "JWT_SECRET" "DATABASE_URL" }}
      - { key: {{ $key }}, path: {{ $key }} }
      {{- end }}
{{- if .Values.tls.enabled }}
- name: gate402-tls
  secret:
    secretName: {{ required "gate402: tls.secretName (a kubernetes.io/tls Secret with tls.crt, tls.key and, for mtls, ca.crt) is required when tls.enabled" .Values.tls.secretName }}
    defaultMode: 0444
{{- end }}
- name: gate402-tmp
  emptyDir: { sizeLimit: 64Mi }
{{- end }}

{{/*
Sidecar mode, for an application's chart that lists gate402 as a dependency (mode: sidecar):

  containers:
    - name: my-api
      ...
    {{- include "gate402.sidecarContainer" (dict "Values" .Values.gate402 "Release" .Release) | nindent 4 }}
  volumes:
    {{- include "gate402.sidecarVolumes" (dict "Values" .Values.gate402 "Release" .Release) | nindent 4 }}

The pod's Envoy then reaches gate402 on 127.0.0.1:<config.grpcPort>. Renders a list item.
*/}}
{{- define "gate402.sidecarContainer" -}}
- {{ include "gate402.container" . | indent 2 | trim }}
{{- end }}

{{- define "gate402.sidecarVolumes" -}}
{{ include "gate402.volumes" . }}
{{- end }}
