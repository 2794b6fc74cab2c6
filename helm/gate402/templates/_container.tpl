{{/*
The gate402 container, shared by the standalone Deployment and the sidecar template so both run the same
image, env, probes and hardening. Context: root-shaped (.Values, .Release, optionally .Chart).
*/}}
{{- define "gate402.container" -}}
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
  - { name: GATEWAY_GRPC_PORT, value: {{ .Values.config.grpcPort | quote }} }
  - { name: GATEWAY_HTTP_PORT, value: {{ .Values.config.httpPort | quote }} }
  - { name: GATEWAY_ROUTES_FILE, value: /etc/gate402/routes.yaml }
  - { name: GATEWAY_DATA_DIR, value: /tmp/gate402 }
  - { name: LOG_LEVEL, value: {{ .Values.config.logLevel | quote }} }
  {{- range $key := list "GATEWAY_INVOICE_SECRET" "JWT_SECRET" "DATABASE_URL" }}
  - name: {{ $key }}
    valueFrom:
      secretKeyRef: { name: {{ include "gate402.secretName" $ }}, key: {{ $key }} }
  {{- end }}
  {{- with .Values.config.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
# gate402 serves grpc.health.v1 on the ext_authz port: kubelet probes it natively, no exec helper needed.
startupProbe:
  grpc: { port: {{ .Values.config.grpcPort }} }
  {{- toYaml .Values.probes.startup | nindent 2 }}
livenessProbe:
  grpc: { port: {{ .Values.config.grpcPort }} }
  {{- toYaml .Values.probes.liveness | nindent 2 }}
readinessProbe:
  grpc: { port: {{ .Values.config.grpcPort }} }
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
  - { name: gate402-tmp, mountPath: /tmp }
{{- end }}

{{/* Pod volumes the gate402 container mounts. */}}
{{- define "gate402.volumes" -}}
- name: gate402-routes
  configMap: { name: {{ include "gate402.routesConfigMapName" . }} }
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
