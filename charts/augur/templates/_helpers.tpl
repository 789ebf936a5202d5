{{/* Names and labels shared by every template of the augur chart. */}}

{{- define "augur.fullname" -}}
{{- if contains "augur" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-augur" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
Selector labels. app.kubernetes.io/name is always "augur", never overridable: the stacks'
`augur/operator` scrape job finds the operator's pods by exactly this label.
*/}}
{{- define "augur.selectorLabels" -}}
app.kubernetes.io/name: augur
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "augur.labels" -}}
{{ include "augur.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: augur
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "augur.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "augur.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "augur.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "augur.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "augur.fullname" .) -}}
{{- end -}}

{{/* The peering object's name: `augur run` coordinates its replicas through "augur". */}}
{{- define "augur.peeringName" -}}augur{{- end -}}
