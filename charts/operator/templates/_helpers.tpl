{{/* Names of the operator's objects. */}}
{{- define "acog.operator.name" -}}
{{- printf "%s-operator" (include "acog.fullname" .) -}}
{{- end -}}

{{- define "acog.operator.leaseName" -}}
{{- .Values.leaderElection.leaseName | default (include "acog.operator.name" .) -}}
{{- end -}}

{{- define "acog.runner.serviceAccountName" -}}
{{- .Values.runner.serviceAccount.name | default (printf "%s-runner" (include "acog.fullname" .)) -}}
{{- end -}}

{{- define "acog.runner.configName" -}}
{{- printf "%s-runner-config" (include "acog.fullname" .) -}}
{{- end -}}

{{/*
The namespaces the operator watches, comma-separated (its --namespaces): every episode namespace;
empty when it watches them all (operator.watchAllNamespaces=true, the one case with a ClusterRole).
*/}}
{{- define "acog.operator.watchNamespaces" -}}
{{- if not .Values.watchAllNamespaces -}}
{{- $namespaces := include "acog.episodeNamespaces" . | fromJsonArray -}}
{{- if not $namespaces -}}
{{- fail "global.episodeNamespaces names no namespace while operator.watchAllNamespaces is false: list the namespaces of your Channels and Episodes, or set operator.watchAllNamespaces=true to watch every namespace" -}}
{{- end -}}
{{- join "," $namespaces -}}
{{- end -}}
{{- end -}}

{{/*
The rules of the operator in the namespaces it works in; the contract of operator/ (docs/adr/0007).
Nothing else: no Secrets list or watch, no writes to Channels, no deletes of ACOG objects.
*/}}
{{- define "acog.operator.workRules" -}}
- apiGroups: [acog.dev]
  resources: [channels, episodes]
  verbs: [get, list, watch]
- apiGroups: [acog.dev]
  resources: [channels/status, episodes/status]
  verbs: [get, update, patch]
# update and patch only to add and remove its finalizers acog.dev/artifacts and acog.dev/archive and to cancel an Episode
# a schedule made (concurrencyPolicy Replace): the ValidatingAdmissionPolicy
# <release>-operator-writes-no-spec refuses any other change of spec by the operator. create: the
# Episodes of a Channel's schedule.
- apiGroups: [acog.dev]
  resources: [episodes]
  verbs: [create, update, patch]
# Its Jobs' ownerReferences block the Episode's deletion until they are gone; where the
# OwnerReferencesPermissionEnforcement admission plugin runs, that needs this.
- apiGroups: [acog.dev]
  resources: [episodes/finalizers]
  verbs: [update]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
# To read a failed runner's termination message.
- apiGroups: ['']
  resources: [pods]
  verbs: [get, list]
- apiGroups: ['']
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/* The one rule that stays per namespace even for a cluster-wide operator: reading a Channel's provider Secrets (get by name, never list or watch). */}}
{{- define "acog.operator.secretRules" -}}
- apiGroups: ['']
  resources: [secrets]
  verbs: [get]
{{- end -}}
