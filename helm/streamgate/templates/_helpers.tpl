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
- name: SECRETS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "streamgate.secretName" . }}
      key: SECRETS_KEY
      optional: true
{{- end -}}

{{/* TLS: the kubernetes.io/tls Secret the pods mount (README "Security", values "tls"). */}}
{{- define "streamgate.tlsSecretName" -}}
{{- .Values.tls.secretName | default (printf "%s-tls" (include "streamgate.fullname" .)) -}}
{{- end -}}
{{- define "streamgate.tlsDir" -}}/etc/streamgate/tls{{- end -}}
{{- define "streamgate.tlsEnv" -}}
{{- if .Values.tls.enabled }}
- name: TLS_CERT_FILE
  value: {{ printf "%s/tls.crt" (include "streamgate.tlsDir" .) | quote }}
- name: TLS_KEY_FILE
  value: {{ printf "%s/tls.key" (include "streamgate.tlsDir" .) | quote }}
- name: TLS_RELOAD_INTERVAL_MS
  value: {{ .Values.tls.reloadIntervalMs | quote }}
{{- end }}
{{- end -}}
{{/* Mounted as a directory (no subPath), so a renewed Secret reaches the running pods. */}}
{{- define "streamgate.tlsVolumeMount" -}}
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: {{ include "streamgate.tlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}
{{- define "streamgate.tlsVolume" -}}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ include "streamgate.tlsSecretName" . }}
{{- end }}
{{- end -}}

{{/* Mount point of config.json (ConfigMap) and cameras.json (Secret). */}}
{{- define "streamgate.configDir" -}}/etc/streamgate/config{{- end -}}
{{- define "streamgate.secretDir" -}}/etc/streamgate/secrets{{- end -}}

{{/* Host part of the URLs NOTES.txt prints: dict "context" $ "component" "ingest" "type" <service type>. */}}
{{- define "streamgate.notes.host" -}}
{{- $svc := printf "%s-%s" (include "streamgate.fullname" .context) .component -}}
{{- if .context.Values.publicHost -}}
{{ .context.Values.publicHost }}
{{- else if eq .type "LoadBalancer" -}}
$(kubectl get svc -n {{ .context.Release.Namespace }} {{ $svc }} -o jsonpath='{.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}')
{{- else if eq .type "NodePort" -}}
$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[0].address}')
{{- else -}}
127.0.0.1
{{- end -}}
{{- end -}}

{{/* Access control for every component: users list (Secret file, reloaded on change), external methods. */}}
{{- define "streamgate.accessUsers" -}}
{{- if or (and .Values.access.users (not .Values.existingSecret)) (and .Values.existingSecret .Values.access.usersInExistingSecret) }}true{{- end -}}
{{- end -}}
{{- define "streamgate.accessDir" -}}/etc/streamgate/access{{- end -}}
{{- define "streamgate.accessEnv" -}}
- name: RTSP_AUTH_METHODS
  value: {{ .Values.access.rtspAuthMethods | quote }}
# The kubelet's liveness probe carries no credentials; /metrics stays behind the metrics permission.
- name: OPS_HEALTHZ_PUBLIC
  value: "true"
{{- if include "streamgate.accessUsers" . }}
- name: AUTH_USERS
  value: {{ printf "%s/users.json" (include "streamgate.accessDir" .) | quote }}
{{- end }}
{{- with .Values.access.httpUrl }}
- name: AUTH_HTTP_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.access.jwtJwksUrl }}
- name: AUTH_JWT_JWKS_URL
  value: {{ . | quote }}
{{- end }}
{{- end -}}
