{{/* Names, labels and shared fragments (bitnami style). */}}

{{- define "streamgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "streamgate.fullname" -}}
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

{{/* Name of a component's resources: <fullname>-<component>. */}}
{{- define "streamgate.componentName" -}}
{{- printf "%s-%s" (include "streamgate.fullname" .context) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "streamgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "streamgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: streamgate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "streamgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "streamgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of a component: dict "context" $ "component" "ingest". */}}
{{- define "streamgate.componentLabels" -}}
{{ include "streamgate.labels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "streamgate.componentSelectorLabels" -}}
{{ include "streamgate.selectorLabels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "streamgate.annotations" -}}
{{- with .Values.commonAnnotations }}
{{- toYaml . }}
{{- end }}
{{- end -}}

{{- define "streamgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "streamgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image of a component: dict "context" $ "component" "ingest". */}}
{{- define "streamgate.image" -}}
{{- $img := .context.Values.image -}}
{{- $registry := default $img.registry .context.Values.global.imageRegistry -}}
{{- $repo := printf "%s-%s" $img.repository .component -}}
{{- if $img.digest -}}
{{- printf "%s/%s@%s" $registry $repo $img.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $registry $repo (default .context.Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "streamgate.imagePullSecrets" -}}
{{- $secrets := concat .Values.global.imagePullSecrets .Values.image.pullSecrets -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ if kindIs "map" . }}{{ .name }}{{ else }}{{ . }}{{ end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The Secret holding API_KEY, NATS_URL, REDIS_URL and cameras.json. */}}
{{- define "streamgate.secretName" -}}
{{- default (include "streamgate.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "streamgate.configMapName" -}}
{{- printf "%s-config" (include "streamgate.fullname" .) -}}
{{- end -}}

{{/* Bus and store environment shared by every component. */}}
{{- define "streamgate.busAndStoreEnv" -}}
{{- if .Values.nats.enabled }}
- name: NATS_URL
  value: {{ printf "nats://%s-nats:4222" .Release.Name | quote }}
{{- else }}
- name: NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "streamgate.secretName" . }}
      key: NATS_URL
{{- end }}
{{- if .Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-redis" .Release.Name }}
      key: redis-password
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s-redis-master:6379" .Release.Name | quote }}
{{- else }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "streamgate.secretName" . }}
      key: REDIS_URL
{{- end }}
{{- end -}}

{{/* Mount point of config.json (ConfigMap) and cameras.json (Secret). */}}
{{- define "streamgate.configDir" -}}/etc/streamgate/config{{- end -}}
{{- define "streamgate.secretDir" -}}/etc/streamgate/secrets{{- end -}}
