{{/*
The bundled MinIO's tenants (docs/storage-isolation.md): each episode namespace gets a MinIO user of
its own whose policy reaches only <bucket>/<namespace>/ in each of minio.buckets, in the Secret
<fullname>-s3-runner there (acog.s3RunnerCredentialsSecret) that its runners read. The release
namespace keeps the root key in <fullname>-s3 (MinIO, the operator, the console); when it is also an
episode namespace, it is a tenant like any other: its runners get its tenant key, never the root key.
Nothing of this with global.s3.credentials.existingSecret: your S3, your keys.
*/}}

{{/* The episode namespaces that are tenants of the bundled MinIO (all of them, the release namespace too when it is one), as a JSON list (empty with an existingSecret). */}}
{{- define "acog.s3.tenantNamespaces" -}}
{{- $tenants := list -}}
{{- if and .Values.global.s3.bundled (not .Values.global.s3.credentials.existingSecret) -}}
{{- $tenants = include "acog.episodeNamespaces" . | fromJsonArray -}}
{{- end -}}
{{- toJson $tenants -}}
{{- end -}}

{{/* The release-namespace Secret with every tenant's key (<namespace>.accessKey, <namespace>.secretKey), for the buckets Job. */}}
{{- define "acog.s3.tenantsSecret" -}}
{{- printf "%s-s3-tenants" (include "acog.fullname" .) -}}
{{- end -}}

{{/* The ConfigMap with each tenant's policy (<namespace>.json), as the buckets Job applies it. */}}
{{- define "acog.s3.tenantPoliciesConfigMap" -}}
{{- printf "%s-minio-tenant-policies" (include "acog.fullname" .) -}}
{{- end -}}

{{/* The name of a tenant's MinIO policy. Call with the namespace. */}}
{{- define "acog.s3.tenantPolicyName" -}}
{{- printf "acog-tenant-%s" . -}}
{{- end -}}

{{/*
A tenant's policy: its objects, listing under its prefix, and the buckets' location; nothing else
(no other prefix, no bucket configuration, no admin API). Call with (dict "namespace" ns "buckets" list).
*/}}
{{- define "acog.s3.tenantPolicy" -}}
{{- $objects := list -}}
{{- $buckets := list -}}
{{- range .buckets -}}
{{- $objects = append $objects (printf "arn:aws:s3:::%s/%s/*" . $.namespace) -}}
{{- $buckets = append $buckets (printf "arn:aws:s3:::%s" .) -}}
{{- end -}}
{{- $statements := list
  (dict "Sid" "TenantObjects" "Effect" "Allow"
    "Action" (list "s3:GetObject" "s3:PutObject" "s3:DeleteObject" "s3:AbortMultipartUpload" "s3:ListMultipartUploadParts")
    "Resource" $objects)
  (dict "Sid" "TenantListing" "Effect" "Allow"
    "Action" (list "s3:ListBucket")
    "Resource" $buckets
    "Condition" (dict "StringLike" (dict "s3:prefix" (list (printf "%s/*" .namespace) (printf "%s/" .namespace)))))
  (dict "Sid" "BucketLocation" "Effect" "Allow"
    "Action" (list "s3:GetBucketLocation")
    "Resource" $buckets)
-}}
{{- toPrettyJson (dict "Version" "2012-10-17" "Statement" $statements) -}}
{{- end -}}

{{/*
One step of the buckets Job: the mc image running one mc command, hardened like every ACOG container.
Call with (dict "ctx" $ "name" "mc" "env" list "args" list), and "policies" true to mount the tenants' policies.
*/}}
{{- define "acog.s3.mcContainer" -}}
- name: {{ .name | trunc 63 | trimSuffix "-" }}
  image: {{ include "acog.image" (dict "image" .ctx.Values.mcImage "global" .ctx.Values.global) | quote }}
  imagePullPolicy: {{ .ctx.Values.mcImage.pullPolicy }}
  args:
    {{- toYaml .args | nindent 4 }}
  env:
    {{- toYaml .env | nindent 4 }}
  resources:
    requests: { cpu: 10m, memory: 32Mi, ephemeral-storage: 16Mi }
    limits: { cpu: 100m, memory: 128Mi, ephemeral-storage: 64Mi }
  securityContext:
    {{- include "acog.containerSecurityContext" 65532 | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    {{- if .policies }}
    - name: policies
      mountPath: /policies
      readOnly: true
    {{- end }}
{{- end -}}
