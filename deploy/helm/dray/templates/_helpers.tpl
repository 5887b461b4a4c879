{{/* Labels of every object of component $component. */}}
{{- define "dray.labels" -}}
app.kubernetes.io/name: dray
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* What selects the pods of component $component. */}}
{{- define "dray.selector" -}}
app.kubernetes.io/name: dray
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "dray.nats.name" -}}{{ .Release.Name }}-nats{{- end -}}
{{- define "dray.nats.headless" -}}{{ .Release.Name }}-nats-headless{{- end -}}

{{/* The URL(s) services connect to. */}}
{{- define "dray.nats.url" -}}
{{- if .Values.nats.enabled -}}
nats://{{ include "dray.nats.name" . }}:{{ .Values.nats.clientPort }}
{{- else -}}
{{- required "nats.url: with nats.enabled false, name the NATS to connect to (nats://host:4222)" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* Replicas of Dray's streams and buckets: nats.streamReplicas, else 3 on three or more servers, else the servers. */}}
{{- define "dray.nats.streamReplicas" -}}
{{- $r := int .Values.nats.streamReplicas -}}
{{- if gt $r 0 -}}{{ $r }}
{{- else if .Values.nats.enabled -}}{{ min (int .Values.nats.replicas) 3 }}
{{- else -}}1
{{- end -}}
{{- end -}}

{{/* The NATS monitoring endpoint (host:port) KEDA reads consumer lag from. With a cluster,
KEDA asks <leader's server_name>.<endpoint>, so the endpoint is the headless Service and each
server's name is its pod's. */}}
{{- define "dray.nats.monitoringEndpoint" -}}
{{- if .Values.nats.enabled -}}
{{ include "dray.nats.headless" . }}.{{ .Release.Namespace }}.svc.cluster.local:{{ .Values.nats.monitorPort }}
{{- else -}}
{{- required "nats.monitoringEndpoint: with nats.enabled false and keda.enabled, name the NATS monitoring endpoint (host:8222)" .Values.nats.monitoringEndpoint -}}
{{- end -}}
{{- end -}}

{{- define "dray.image" -}}
{{- if eq .name "executor-container" -}}
{{ .root.Values.executorContainerImage.repository }}:{{ .root.Values.executorContainerImage.tag }}
{{- else -}}
{{ .root.Values.image.repository }}:{{ .root.Values.image.tag }}
{{- end -}}
{{- end -}}
