{{/*
A full Envoy v3 bootstrap: one listener, the ext_authz HTTP filter calling gate402 over gRPC, paid routes
that pass price and route id as context_extensions, free routes with ext_authz disabled.
Fail closed: failure_mode_allow false and status_on_error 503 — an outage must never make agents pay (402)
nor let unpaid requests through. Fair billing: the http_grpc access logger sends failed allowed requests
back to gate402 (same cluster, same port), which refunds them.
*/}}
{{- define "gate402.envoyConfig" -}}
{{- $e := .Values.integrations.envoy -}}
{{- $grpcHost := ternary "127.0.0.1" (include "gate402.grpcHost" .) (eq .Values.mode "sidecar") -}}
{{- $tls := .Values.tls -}}
admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: {{ $e.adminPort }} }
static_resources:
  listeners:
    - name: ingress
      address:
        socket_address: { address: 0.0.0.0, port_value: {{ $e.listenerPort }} }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress_http
                {{- if $e.accessLog.enabled }}
                # Refunds: Envoy reports every request gate402 allowed (ext_authz decision_id in the stream's
                # dynamic metadata) that ended with status >= accessLog.minStatus to gate402's gRPC access
                # log service, on the ext_authz port; gate402 reverses the charge of those in GATEWAY_REFUND_ON.
                access_log:
                  - name: envoy.access_loggers.http_grpc
                    filter:
                      and_filter:
                        filters:
                          - status_code_filter:
                              comparison: { op: GE, value: { default_value: {{ $e.accessLog.minStatus }}, runtime_key: gate402.refund_min_status } }
                          - metadata_filter:
                              matcher:
                                filter: envoy.filters.http.ext_authz
                                path: [{ key: decision_id }]
                                value: { present_match: true }
                              match_if_key_not_found: false
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig
                      common_config:
                        log_name: gate402
                        transport_api_version: V3
                        grpc_service:
                          envoy_grpc: { cluster_name: gate402 }
                        buffer_flush_interval: {{ $e.accessLog.flushInterval }}
                {{- end }}
                route_config:
                  name: local_route
                  virtual_hosts:
                    - name: api
                      domains: ["*"]
                      routes:
                        # gate402's own public API (invoice status, prepaid sign-up/deposit/balance, health):
                        # served by gate402's HTTP port and never gated, so the links in a 402 body work.
                        # An entry ending in "/" is a prefix, any other an exact path.
                        {{- range $e.gatewayPrefixes }}
                        - match: { {{ ternary "prefix" "path" (hasSuffix "/" .) }}: {{ . | quote }} }
                          route: { cluster: gate402_http }
                          typed_per_filter_config:
                            envoy.filters.http.ext_authz:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute
                              disabled: true
                        {{- end }}
                        {{- range $e.freePrefixes }}
                        - match: { prefix: {{ . | quote }} }
                          route: { cluster: upstream }
                          typed_per_filter_config:
                            envoy.filters.http.ext_authz:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute
                              disabled: true
                        {{- end }}
                        {{- range $e.paidRoutes }}
                        - match: { prefix: {{ .prefix | quote }} }
                          route: { cluster: upstream }
                          typed_per_filter_config:
                            envoy.filters.http.ext_authz:
                              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute
                              check_settings:
                                context_extensions:
                                  price: {{ .price | quote }}
                                  route: {{ .route | quote }}
                        {{- end }}
                        # Everything else is priced by gate402's route table / GATEWAY_DEFAULT_PRICE.
                        - match: { prefix: "/" }
                          route: { cluster: upstream }
                http_filters:
                  - name: envoy.filters.http.ext_authz
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
                      transport_api_version: V3
                      grpc_service:
                        envoy_grpc: { cluster_name: gate402 }
                        timeout: {{ $e.timeout }}
                      failure_mode_allow: false
                      status_on_error: { code: 503 }
                      include_peer_certificate: false
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
    - name: gate402
      type: STRICT_DNS
      connect_timeout: 1s
      lb_policy: ROUND_ROBIN
      # ext_authz gRPC needs HTTP/2 to the authorization service.
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config:
            http2_protocol_options: {}
      {{- if $tls.enabled }}
      # tls.enabled: TLS to gate402, verified against the CA in {{ $e.tlsDir }}/ca.crt (and the Service's DNS name);
      # with tls.mtls Envoy presents its own certificate from the same directory.
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          {{- if ne .Values.mode "sidecar" }}
          sni: {{ $grpcHost }}
          {{- end }}
          common_tls_context:
            alpn_protocols: ["h2"]
            {{- if $tls.mtls }}
            tls_certificates:
              - certificate_chain: { filename: {{ $e.tlsDir }}/tls.crt }
                private_key: { filename: {{ $e.tlsDir }}/tls.key }
            {{- end }}
            validation_context:
              trusted_ca: { filename: {{ $e.tlsDir }}/ca.crt }
              {{- if ne .Values.mode "sidecar" }}
              match_typed_subject_alt_names:
                - san_type: DNS
                  matcher: { exact: {{ $grpcHost }} }
              {{- end }}
      {{- end }}
      load_assignment:
        cluster_name: gate402
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: {{ $grpcHost }}, port_value: {{ .Values.config.grpcPort }} }
    - name: gate402_http
      type: STRICT_DNS
      connect_timeout: 1s
      lb_policy: ROUND_ROBIN
      load_assignment:
        cluster_name: gate402_http
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: {{ $grpcHost }}, port_value: {{ .Values.config.httpPort }} }
    - name: upstream
      type: STRICT_DNS
      connect_timeout: 1s
      lb_policy: ROUND_ROBIN
      load_assignment:
        cluster_name: upstream
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: { address: {{ $e.upstream.host }}, port_value: {{ $e.upstream.port }} }
{{- end }}
