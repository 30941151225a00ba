{{/* Names of the console's objects. */}}
{{- define "acog.console.name" -}}
{{- printf "%s-console" (include "acog.fullname" .) -}}
{{- end -}}

{{/*
The gateway's internal port: /metrics and /openapi.json (and /healthz, /readyz), for Prometheus
and the cluster; the Ingress routes only the public port (console.port). The gateway answers
/metrics and /openapi.json on the public port only to its own Pod's loopback (kubectl port-forward).
*/}}
{{- define "acog.console.internalPort" -}}
9090
{{- end -}}

{{/*
The rules of the gateway's own ServiceAccount: exactly what console/src calls with the gateway's
credentials (docs/adr/0008). Reads are list and watch of the shared informers (cluster/cache.ts),
the Pods of a stage and its log (logs/logs.ts), and the reviews that check each user. Users'
writes go to the API server with the user's own token (cluster/writer.ts), so none are here.
*/}}
{{- define "acog.console.rules" -}}
# Who the user is (auth/authenticator.ts) and what they may do (auth/authorizer.ts).
- apiGroups: [authentication.k8s.io]
  resources: [tokenreviews]
  verbs: [create]
- apiGroups: [authorization.k8s.io]
  resources: [subjectaccessreviews]
  verbs: [create]
# The informers: one list and watch per kind for all users (cluster/cache.ts).
- apiGroups: [acog.dev]
  resources: [channels, episodes]
  verbs: [list, watch]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [list, watch]
# A stage's log: its Pod by label, then the log (after the user's review of get pods/log).
- apiGroups: ['']
  resources: [pods]
  verbs: [list]
- apiGroups: ['']
  resources: [pods/log]
  verbs: [get]
{{- if .Values.authProxy.userHeader }}
# Users who come through the authenticating proxy have no token of their own: their writes go with
# the gateway's credentials, each after a SubjectAccessReview for that user (cluster/writer.ts).
- apiGroups: [acog.dev]
  resources: [episodes]
  verbs: [create, patch, update]
- apiGroups: [acog.dev]
  resources: [channels]
  verbs: [create, update]
{{- end }}
{{- end -}}
