{{/*
Helpers shared by the root chart and every subchart. Helm parses all templates of a release
together, so the subcharts include these by name. They read only .Release, .Chart and
.Values.global, which every chart of the release sees alike (docs/adr/0007).
*/}}

{{/* The release's name prefix: "acog" for a release named acog, else "<release>-acog". */}}
{{- define "acog.fullname" -}}
{{- $global := .Values.global | default dict -}}
{{- if $global.fullnameOverride -}}
{{- $global.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains "acog" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-acog" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. Call with (dict "ctx" $ "component" "operator"). */}}
{{- define "acog.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "acog.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | default .ctx.Chart.Version | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: acog
{{- end -}}

{{/* The labels a component's Pods are selected by. Call with (dict "ctx" $ "component" "operator"). */}}
{{- define "acog.selectorLabels" -}}
app.kubernetes.io/name: acog
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The episode namespaces: global.episodeNamespaces, or the release namespace alone. */}}
{{- define "acog.episodeNamespaces" -}}
{{- $namespaces := .Values.global.episodeNamespaces | default (list .Release.Namespace) -}}
{{- toJson (uniq $namespaces) -}}
{{- end -}}

{{/* An image reference. Call with (dict "image" .Values.image "global" .Values.global). */}}
{{- define "acog.image" -}}
{{- $registry := .global.imageRegistry | default .image.registry -}}
{{- $ref := .image.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" (trimSuffix "/" $registry) $ref }}{{ end -}}
{{- if .image.tag }}{{ $ref = printf "%s:%s" $ref (toString .image.tag) }}{{ end -}}
{{- if .image.digest }}{{ $ref = printf "%s@%s" $ref .image.digest }}{{ end -}}
{{- $ref -}}
{{- end -}}

{{/* imagePullSecrets of a Pod: global.imagePullSecrets plus the component's own. Call with (list .Values.global.imagePullSecrets .Values.imagePullSecrets). */}}
{{- define "acog.imagePullSecrets" -}}
{{- $names := list -}}
{{- range . }}{{ range . }}{{ $names = append $names . }}{{ end }}{{ end -}}
{{- if $names -}}
imagePullSecrets:
{{- range uniq $names }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* The Pod security context of every ACOG Pod: a non-root user, RuntimeDefault seccomp. Call with the uid. */}}
{{- define "acog.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The container security context of every ACOG container. Call with the uid. */}}
{{- define "acog.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Connection settings, the same for every chart of the release. */}}

{{/* Where NATS is: the bundled NATS (fully qualified: runners run in other namespaces), or global.nats.url. */}}
{{- define "acog.natsUrl" -}}
{{- if .Values.global.nats.bundled -}}
{{- printf "nats://%s-nats.%s.svc:4222" (include "acog.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.global.nats.url -}}
{{- end -}}
{{- end -}}

{{/* The Secret of the runners' NATS user in each episode namespace: the bundled NATS's, global.nats.credentials.existingSecret, or none. */}}
{{- define "acog.natsRunnerCredentialsSecret" -}}
{{- if .Values.global.nats.bundled -}}
{{- printf "%s-nats-runner" (include "acog.fullname" .) -}}
{{- else -}}
{{- .Values.global.nats.credentials.existingSecret | default "" -}}
{{- end -}}
{{- end -}}

{{/* The Secret of a release component's NATS user (operator, console): the bundled NATS's, or global.nats.credentials.existingSecret. Call with (dict "ctx" . "component" "operator"). */}}
{{- define "acog.natsCredentialsSecret" -}}
{{- if .ctx.Values.global.nats.bundled -}}
{{- printf "%s-nats-%s" (include "acog.fullname" .ctx) .component -}}
{{- else -}}
{{- .ctx.Values.global.nats.credentials.existingSecret | default "" -}}
{{- end -}}
{{- end -}}

{{/* The S3 endpoint: the bundled MinIO, global.s3.endpoint, or empty for AWS S3. */}}
{{- define "acog.s3Endpoint" -}}
{{- if .Values.global.s3.bundled -}}
{{- printf "http://%s-minio.%s.svc:9000" (include "acog.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.global.s3.endpoint -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the S3 access key of the release namespace (MinIO, the operator, the console): the user's, the bundled MinIO's root key, or none (ambient credentials). */}}
{{- define "acog.s3CredentialsSecret" -}}
{{- if .Values.global.s3.credentials.existingSecret -}}
{{- .Values.global.s3.credentials.existingSecret -}}
{{- else if .Values.global.s3.bundled -}}
{{- printf "%s-s3" (include "acog.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
The Secret holding the runners' S3 access key in each episode namespace (the runner config's
storageCredentials): the user's, the bundled MinIO's per-namespace tenant key (a name of its own, so
that runners in the release namespace never get the root key), or none (ambient credentials).
*/}}
{{- define "acog.s3RunnerCredentialsSecret" -}}
{{- if .Values.global.s3.credentials.existingSecret -}}
{{- .Values.global.s3.credentials.existingSecret -}}
{{- else if .Values.global.s3.bundled -}}
{{- printf "%s-s3-runner" (include "acog.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The port of a URL: its own, or the scheme's. Call with (list "nats://host:4222" 4222). */}}
{{- define "acog.urlPort" -}}
{{- $url := urlParse (index . 0) -}}
{{- $hostPort := splitList ":" $url.host -}}
{{- if gt (len $hostPort) 1 -}}
{{- last $hostPort -}}
{{- else if eq $url.scheme "https" -}}
443
{{- else if eq $url.scheme "http" -}}
80
{{- else -}}
{{- index . 1 -}}
{{- end -}}
{{- end -}}

{{/*
NetworkPolicy peers for a destination outside the release: the CIDRs given, or any address.
Call with (dict "cidrs" list "except" list).
*/}}
{{- define "acog.ipBlocks" -}}
{{- $cidrs := .cidrs | default (list "0.0.0.0/0" "::/0") -}}
{{- range $i, $cidr := $cidrs }}{{ if $i }}{{ "\n" }}{{ end -}}
- ipBlock:
    cidr: {{ $cidr }}
{{- end }}
{{- end -}}

{{/* The egress rule for cluster DNS, from global.networkPolicy.dns. */}}
{{- define "acog.dnsEgress" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.global.networkPolicy.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.global.networkPolicy.dns.podSelector | nindent 8 }}
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- end -}}

{{/* The bundled PostgreSQL: its address, URL (no password in it: clients read PGPASSWORD) and password Secret. */}}
{{- define "acog.postgres.host" -}}
{{- printf "%s-postgresql.%s.svc" (include "acog.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "acog.postgres.url" -}}
{{- printf "postgres://%s@%s:5432/%s" .Values.global.postgres.username (include "acog.postgres.host" .) .Values.global.postgres.database -}}
{{- end -}}

{{- define "acog.postgres.passwordSecret" -}}
{{- .Values.global.postgres.existingSecret | default (printf "%s-postgresql" (include "acog.fullname" .)) -}}
{{- end -}}

{{- define "acog.postgres.passwordKey" -}}
{{- .Values.global.postgres.passwordKey -}}
{{- end -}}

{{/*
The database environment of the operator and the console: ACOG_DATABASE_URL, and with the bundled
PostgreSQL the password apart from it (PGPASSWORD, which node-postgres reads), both by secretKeyRef so
that no password is in the Deployment. With your own PostgreSQL the whole URL is in existingSecret.
*/}}
{{- define "acog.postgres.env" -}}
{{- $pg := .Values.global.postgres -}}
{{- if $pg.bundled }}
- name: ACOG_DATABASE_URL
  value: {{ include "acog.postgres.url" . | quote }}
- name: PGPASSWORD
  valueFrom: { secretKeyRef: { name: {{ include "acog.postgres.passwordSecret" . | quote }}, key: {{ include "acog.postgres.passwordKey" . | quote }} } }
{{- else }}
- name: ACOG_DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ $pg.existingSecret | quote }}, key: {{ $pg.urlKey | quote }} } }
{{- end }}
{{- end -}}

{{/* NetworkPolicy peers: the operator's Pods, and runner Pods in the episode namespaces (labelled by the operator with acog.dev/stage). */}}
{{- define "acog.operatorPeer" -}}
- podSelector:
    matchLabels:
      {{- include "acog.selectorLabels" (dict "ctx" . "component" "operator") | nindent 6 }}
{{- end -}}

{{/* The console's Pods: they reach NATS (webhooks) and S3 (artifacts) in the release namespace. */}}
{{- define "acog.consolePeer" -}}
- podSelector:
    matchLabels:
      {{- include "acog.selectorLabels" (dict "ctx" . "component" "console") | nindent 6 }}
{{- end -}}

{{- define "acog.runnerPeer" -}}
- namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: In
        values: {{ include "acog.episodeNamespaces" . }}
  podSelector:
    matchExpressions:
      - key: acog.dev/stage
        operator: Exists
{{- end -}}

{{/*
Egress rules to the backing services, for the operator, the runners and the console. Call with
(dict "ctx" $ "postgres" true|false), and "nats" false or "s3" false to leave those out (both are in by default).
A bundled service is reached by its Pods' labels in the release namespace; one of your own by the CIDRs
given in global.<service>.egressCIDRs (any address when empty) on the port of its URL.
*/}}
{{- define "acog.serviceEgress" -}}
{{- $ := .ctx -}}
{{- $global := $.Values.global -}}
{{- if or (not (hasKey . "nats")) .nats }}
# NATS
{{- if $global.nats.bundled }}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $.Release.Namespace }}
      podSelector:
        matchLabels:
          {{- include "acog.selectorLabels" (dict "ctx" $ "component" "nats") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 4222 }
{{- else }}
- to:
    {{- include "acog.ipBlocks" (dict "cidrs" $global.nats.egressCIDRs) | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ include "acog.urlPort" (list $global.nats.url 4222) }} }
{{- end }}
{{- end }}
{{- if or (not (hasKey . "s3")) .s3 }}
# S3
{{- if $global.s3.bundled }}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ $.Release.Namespace }}
      podSelector:
        matchLabels:
          {{- include "acog.selectorLabels" (dict "ctx" $ "component" "minio") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 9000 }
{{- else }}
- to:
    {{- include "acog.ipBlocks" (dict "cidrs" $global.s3.egressCIDRs) | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ include "acog.urlPort" (list ($global.s3.endpoint | default "https://s3.amazonaws.com") 443) }} }
{{- end }}
{{- end }}
{{- if .postgres }}
# PostgreSQL
{{- if $global.postgres.bundled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "acog.selectorLabels" (dict "ctx" $ "component" "postgresql") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 5432 }
{{- else }}
- to:
    {{- include "acog.ipBlocks" (dict "cidrs" $global.postgres.egressCIDRs) | nindent 4 }}
  ports:
    - { protocol: TCP, port: {{ $global.postgres.port }} }
{{- end }}
{{- end }}
{{- end -}}
