{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "sandbox-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name: names the Deployment, Services and both webhook
configurations. Truncated to 63 characters (DNS label).
*/}}
{{- define "sandbox-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sandbox-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sandbox-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sandbox-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sandbox-operator.labels" -}}
helm.sh/chart: {{ include "sandbox-operator.chart" . }}
{{ include "sandbox-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sandbox-operator
{{- end -}}

{{- define "sandbox-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sandbox-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sandbox-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Lease used for leader election of the reconcile loops. */}}
{{- define "sandbox-operator.leaderElectionId" -}}
{{- printf "%s-leader" (include "sandbox-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Secret that holds the serving certificate, whichever TLS mode issues it. */}}
{{- define "sandbox-operator.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" -}}
{{- required "tls.secret.name is required when tls.mode is secret" .Values.tls.secret.name -}}
{{- else if eq .Values.tls.mode "selfManaged" -}}
{{- default (printf "%s-tls" (include "sandbox-operator.fullname" .)) .Values.tls.selfManaged.secretName -}}
{{- else -}}
{{- printf "%s-tls" (include "sandbox-operator.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "sandbox-operator.certificateName" -}}
{{- printf "%s-serving" (include "sandbox-operator.fullname" .) -}}
{{- end -}}

{{- define "sandbox-operator.issuerName" -}}
{{- printf "%s-selfsigned" (include "sandbox-operator.fullname" .) -}}
{{- end -}}

{{/*
Namespaces no webhook sees, as YAML "namespaces: [...]": kube-system and the
release namespace always, so the operator can start (and the control plane keeps
working) while no replica answers, plus webhook.excludedNamespaces. The webhooks'
namespaceSelector and the policy configuration are both rendered from it.
*/}}
{{- define "sandbox-operator.excludedNamespaces" -}}
{{- $ns := concat (list "kube-system") (.Values.webhook.excludedNamespaces | default list) (list .Release.Namespace) | uniq -}}
{{- toYaml (dict "namespaces" $ns) -}}
{{- end -}}

{{/* Namespace selector shared by the workload webhooks: the excluded namespaces, and what the user adds. */}}
{{- define "sandbox-operator.namespaceSelector" -}}
{{- $sel := .Values.webhook.namespaceSelector | default dict -}}
{{- with $sel.matchLabels }}
matchLabels:
  {{- toYaml . | nindent 2 }}
{{- end }}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- (include "sandbox-operator.excludedNamespaces" . | fromYaml).namespaces | toYaml | nindent 6 }}
{{- with $sel.matchExpressions }}
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pods, ephemeral containers and every built-in pod controller, on CREATE and UPDATE. */}}
{{- define "sandbox-operator.workloadRules" -}}
- apiGroups: [""]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]
  scope: Namespaced
- apiGroups: ["apps"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
  scope: Namespaced
- apiGroups: ["batch"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["jobs", "cronjobs"]
  scope: Namespaced
{{- end -}}

{{/*
clientConfig for one webhook path; the caller passes (list $ "/path"). With
webhook.url the API server calls that URL (plus the path) instead of the
Service: the out-of-cluster development loop, where the operator runs on a
developer's machine and injects its self-managed CA as it does in a pod.
*/}}
{{- define "sandbox-operator.clientConfig" -}}
{{- $root := index . 0 -}}
{{- $url := $root.Values.webhook.url -}}
{{- if and (not $url) (eq (int $root.Values.replicaCount) 0) -}}
{{- fail "replicaCount 0 leaves the webhooks without a server: set webhook.url to where the operator runs" -}}
{{- end -}}
{{- if $url -}}
url: {{ printf "%s%s" (trimSuffix "/" $url) (index . 1) | quote }}
{{- else -}}
service:
  name: {{ include "sandbox-operator.fullname" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ index . 1 }}
  port: {{ $root.Values.service.port }}
{{- end }}
{{- if eq $root.Values.tls.mode "secret" }}
{{- $ca := required "tls.secret.caBundle is required when tls.mode is secret" $root.Values.tls.secret.caBundle }}
caBundle: {{ if hasPrefix "-----BEGIN" $ca }}{{ $ca | b64enc }}{{ else }}{{ $ca | nospace }}{{ end }}
{{- end }}
{{- end -}}

{{/* Infrastructure namespaces: the user's list plus the release namespace. */}}
{{- define "sandbox-operator.infrastructureNamespaces" -}}
{{- $ns := concat (list .Release.Namespace) (.Values.security.infrastructureNamespaces | default list) | uniq -}}
{{- toYaml $ns -}}
{{- end -}}
