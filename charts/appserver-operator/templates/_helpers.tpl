{{/* The release's full name: the release name, with the chart's appended unless it holds it. */}}
{{- define "appserver-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of cluster-scoped objects: the namespace keeps two releases apart. */}}
{{- define "appserver-operator.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "appserver-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "appserver-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.name -}}
{{- .Values.serviceAccount.name -}}
{{- else if .Values.serviceAccount.create -}}
{{- include "appserver-operator.fullname" . -}}
{{- else -}}
{{- fail "serviceAccount.name: required when serviceAccount.create is false" -}}
{{- end -}}
{{- end -}}

{{- define "appserver-operator.selectorLabels" -}}
app.kubernetes.io/name: appserver-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "appserver-operator.labels" -}}
{{ include "appserver-operator.selectorLabels" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The watched namespaces: watchNamespaces, or with namespaced RBAC and none the release namespace. */}}
{{- define "appserver-operator.watchNamespaces" -}}
{{- $ns := .Values.watchNamespaces | default list -}}
{{- if and (eq .Values.rbac.scope "namespaced") (empty $ns) -}}
{{- $ns = list .Release.Namespace -}}
{{- end -}}
{{- $ns | uniq | join "," -}}
{{- end -}}

{{- define "appserver-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Where the metering TLS Secret is mounted (METERING_CERT_DIR). */}}
{{- define "appserver-operator.meteringCertDir" -}}
/etc/appserver-operator/metering-tls
{{- end -}}
