{{/*
The lab's .env (files/lab.env links to it) as a dict of strings, with .Values.env over it, as
compose takes the environment over .env. Use: $env := include "obslab.env" . | fromJson
*/}}
{{- define "obslab.env" -}}
{{- $env := dict -}}
{{- range .Files.Lines "files/lab.env" -}}
{{- if and (contains "=" .) (not (hasPrefix "#" .)) -}}
{{- $pair := splitn "=" 2 . -}}
{{- $_ := set $env $pair._0 $pair._1 -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := .Values.env -}}
{{- $_ := set $env $key (toString $value) -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/* Whether the scale profile's shape is asked for. */}}
{{- define "obslab.scaled" -}}
{{- if eq .Values.profile "scaled" }}true{{ else if ne .Values.profile "laptop" }}{{ fail (printf "profile is %q: laptop or scaled" .Values.profile) }}{{ end -}}
{{- end -}}

{{/* An image by its compose name: (list $ "jaegertracing/jaeger" "2.12.0"). */}}
{{- define "obslab.image" -}}
{{- $root := index . 0 -}}
{{- with $root.Values.images.registry }}{{ trimSuffix "/" . }}/{{ end }}{{ index . 1 }}:{{ index . 2 }}
{{- end -}}

{{/* An image built from this repository: (list $ "backend-flask"). */}}
{{- define "obslab.labImage" -}}
{{- include "obslab.image" (list (index . 0) (printf "obslab/%s" (index . 1)) (index . 0).Values.images.labTag) -}}
{{- end -}}

{{/* Labels of a component: (dict "root" $ "name" "jaeger"). */}}
{{- define "obslab.labels" -}}
{{ include "obslab.selector" . }}
app.kubernetes.io/part-of: obslab
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "obslab.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
What every pod of the lab shares: no API token (nothing in the lab talks to Kubernetes), a
non-root user (the image's own, by number, so the kubelet can verify it), and volumes owned by
its group. (dict "root" $ "uid" 10001)
*/}}
{{- define "obslab.podSecurity" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .root.Values.images.pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .uid }}
  runAsGroup: {{ .uid }}
  fsGroup: {{ .uid }}
  seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{- define "obslab.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  capabilities: {drop: [ALL]}
{{- end -}}

{{/* A PersistentVolumeClaim template for a StatefulSet: (dict "root" $ "name" "data" "size" "5Gi"). */}}
{{- define "obslab.claim" -}}
- metadata:
    name: {{ .name }}
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .root.Values.persistence.storageClass }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size }}
{{- end -}}

{{/* A Service of the lab, named as compose names the service (the configs address it so):
(dict "root" $ "name" "jaeger" "ports" (list (list "http" 16686)) "headless" false) */}}
{{- define "obslab.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "obslab.labels" . | nindent 4 }}
spec:
  {{- if .headless }}
  clusterIP: None
  publishNotReadyAddresses: {{ .publishNotReady | default false }}
  {{- else if and .root.Values.expose.enabled (has .name .root.Values.expose.services) }}
  type: {{ .root.Values.expose.type }}
  {{- else }}
  type: ClusterIP
  {{- end }}
  selector:
    {{- include "obslab.selector" (dict "root" .root "name" (.selects | default .name)) | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ index . 0 }}
      port: {{ index . 1 }}
      targetPort: {{ index . 1 }}
      protocol: {{ if gt (len .) 2 }}{{ index . 2 }}{{ else }}TCP{{ end }}
    {{- end }}
{{- end -}}

{{/* The flask services' environment (compose.yaml's x-flask-service-environment). */}}
{{- define "obslab.flaskEnv" -}}
{{- $env := include "obslab.env" . | fromJson -}}
{{ include "obslab.awsEnv" . }}
- {name: APP_VERSION, value: {{ $env.APP_VERSION | quote }}}
- {name: OTEL_SDK_DISABLED, value: {{ $env.OTEL_SDK_DISABLED | quote }}}
- {name: OTEL_TRACES_EXPORTER, value: {{ $env.OTEL_TRACES_EXPORTER | quote }}}
- {name: OTEL_METRICS_EXPORTER, value: {{ $env.OTEL_METRICS_EXPORTER | quote }}}
- {name: OTEL_METRIC_EXPORT_INTERVAL, value: "5000"}
- {name: OTEL_LOGS_EXPORTER, value: none}
- {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector:4317"}
- {name: OTEL_EXPORTER_OTLP_PROTOCOL, value: grpc}
- {name: OTEL_RESOURCE_ATTRIBUTES, value: {{ printf "service.version=%s,deployment.environment.name=lab" $env.APP_VERSION | quote }}}
- {name: OTEL_BSP_SCHEDULE_DELAY, value: "500"}
- {name: OTEL_EXPORTER_OTLP_TIMEOUT, value: "45"}
- {name: OTEL_BSP_MAX_QUEUE_SIZE, value: "20000"}
- {name: OTEL_PYTHON_FLASK_EXCLUDED_URLS, value: health}
- {name: OTEL_PYTHON_ID_GENERATOR, value: xray}
- {name: OTEL_PROPAGATORS, value: {{ $env.OTEL_PROPAGATORS | quote }}}
- {name: OTEL_SEMCONV_STABILITY_OPT_IN, value: http}
- {name: AWS_XRAY_SDK_ENABLED, value: {{ $env.AWS_XRAY_SDK_ENABLED | quote }}}
- {name: AWS_XRAY_DAEMON_ADDRESS, value: "xray-daemon:2000"}
- {name: CLOUDWATCH_LOGS_ENABLED, value: {{ $env.CLOUDWATCH_LOGS_ENABLED | quote }}}
- {name: CLOUDWATCH_LOG_GROUP, value: {{ $env.CLOUDWATCH_LOG_GROUP | quote }}}
- {name: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, value: "http://localstack:4566"}
{{- end -}}

{{/* LocalStack accepts any credentials; the SDKs just need some to sign requests. */}}
{{- define "obslab.awsEnv" -}}
{{- $env := include "obslab.env" . | fromJson -}}
- {name: AWS_ACCESS_KEY_ID, value: test}
- {name: AWS_SECRET_ACCESS_KEY, value: test}
- {name: AWS_REGION, value: {{ $env.AWS_REGION | quote }}}
- {name: AWS_DEFAULT_REGION, value: {{ $env.AWS_REGION | quote }}}
{{- end -}}

{{/* Probes from the container's compose or Dockerfile health check: a start-up probe that
allows as long as compose waits (its retries), then readiness and liveness.
(dict "probe" <a probe handler> "retries" 24) */}}
{{- define "obslab.probes" -}}
startupProbe:
  {{- toYaml .probe | nindent 2 }}
  periodSeconds: 5
  timeoutSeconds: 5
  failureThreshold: {{ .retries | default 24 }}
readinessProbe:
  {{- toYaml .probe | nindent 2 }}
  periodSeconds: 5
  timeoutSeconds: 5
  failureThreshold: 3
livenessProbe:
  {{- toYaml .probe | nindent 2 }}
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 6
{{- end -}}

{{/* Kafka's brokers (scaled): 1 or 3, from values or KAFKA_BROKERS of .env. */}}
{{- define "obslab.kafkaBrokers" -}}
{{- $env := include "obslab.env" . | fromJson -}}
{{- $brokers := int (.Values.kafka.brokers | default $env.KAFKA_BROKERS) -}}
{{- if not (has $brokers (list 1 3)) }}{{ fail (printf "kafka.brokers is %d: 1 or 3" $brokers) }}{{ end -}}
{{- $brokers -}}
{{- end -}}

{{- define "obslab.kafkaBootstrap" -}}kafka:9092{{- end -}}

{{/* A ConfigMap of the lab's own files (chart/files/ links to them), each under its file name:
(dict "ctx" (dict "root" $ "name" "jaeger") "name" "jaeger-config" "paths" (list "files/jaeger/*.yaml")) */}}
{{- define "obslab.configMap" -}}
{{- $root := .ctx.root -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  labels:
    {{- include "obslab.labels" .ctx | nindent 4 }}
data:
  {{- range $pattern := .paths }}
  {{- range $path, $_ := $root.Files.Glob $pattern }}
  {{ base $path }}: |
    {{- $root.Files.Get $path | nindent 4 }}
  {{- end }}
  {{- end }}
{{- end -}}
