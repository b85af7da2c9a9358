{{/* Labels of every object: the platform owns them through this release. */}}
{{- define "namespace-secrets.labels" -}}
app.kubernetes.io/name: namespace-secrets
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: platform-secrets
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}
