{{/*
Fails the install early, with every problem named, instead of rendering manifests that would
start pods doomed to crash. Called from every template through "streamgate.validateValues".
*/}}
{{- define "streamgate.validateValues" -}}
{{- $messages := list -}}
{{- $messages = append $messages (include "streamgate.validateValues.kubernetes" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.streamsConfig" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.bus" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.store" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.apiKey" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.rtpPort" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.drain" .) -}}
{{- $messages = append $messages (include "streamgate.validateValues.tls" .) -}}
{{- range $key := list "ingest" "packetizer" "rtspEgress" "controlApi" -}}
{{- $messages = append $messages (include "streamgate.validateValues.component" (dict "context" $ "key" $key)) -}}
{{- end -}}
{{- $messages = without $messages "" -}}
{{- if $messages -}}
{{- fail (printf "\nVALUES VALIDATION:\n%s" (join "\n" $messages)) -}}
{{- end -}}
{{- end -}}

{{/*
The cluster serves the API versions the chart renders (Kubernetes 1.23+). Checked against the
API versions helm discovered (install/upgrade) rather than a kubeVersion floor in Chart.yaml,
which offline `helm template` would compare with the helm binary's built-in default version.
*/}}
{{- define "streamgate.validateValues.kubernetes" -}}
{{- if not (.Capabilities.APIVersions.Has "policy/v1") -}}
streamgate: the cluster does not serve policy/v1 (PodDisruptionBudget): Kubernetes 1.23 or later is required.
{{ end -}}
{{- $autoscaling := false -}}
{{- range $key := list "ingest" "packetizer" "rtspEgress" "controlApi" -}}
{{- if (index $.Values $key).autoscaling.enabled -}}{{- $autoscaling = true -}}{{- end -}}
{{- end -}}
{{- if and $autoscaling (not (.Capabilities.APIVersions.Has "autoscaling/v2")) -}}
streamgate: autoscaling is enabled but the cluster does not serve autoscaling/v2 (HorizontalPodAutoscaler): Kubernetes 1.23 or later is required.
{{ end -}}
{{- end -}}

{{/* config.json lives in a ConfigMap: no credentials in it. */}}
{{- define "streamgate.validateValues.streamsConfig" -}}
{{- $json := toJson .Values.streamsConfig -}}
{{- if regexMatch "(?i)\"[A-Za-z_]*password[A-Za-z_]*\"\\s*:" $json -}}
streamgate: streamsConfig: a "password" key would be stored in a ConfigMap. Put camera credentials in cameraCredentials (or the existingSecret's cameras.json).
{{ end -}}
{{- if regexMatch "[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\\s\"]+:[^/@\\s\"]*@" $json -}}
streamgate: streamsConfig: a URL with user:password@ would be stored in a ConfigMap. Remove the credentials from the URL and put them in cameraCredentials (or the existingSecret's cameras.json).
{{ end -}}
{{- if not (kindIs "slice" .Values.streamsConfig.streams) -}}
streamgate: streamsConfig.streams must be a list (the config.json format {"streams": [...]}).
{{ end -}}
{{- end -}}

{{- define "streamgate.validateValues.bus" -}}
{{- if and (not .Values.nats.enabled) (not .Values.externalNats.url) (not .Values.existingSecret) -}}
streamgate: NATS is required (the components talk over it): set externalNats.url, provide NATS_URL in existingSecret, or set nats.enabled=true.
{{ end -}}
{{- if and .Values.externalNats.url (not (regexMatch "^(nats|tls)://" .Values.externalNats.url)) -}}
streamgate: externalNats.url must start with nats:// or tls://.
{{ end -}}
{{- end -}}

{{- define "streamgate.validateValues.store" -}}
{{- if and (not .Values.redis.enabled) (not .Values.externalRedis.url) (not .Values.existingSecret) -}}
streamgate: Redis is required (registry, status, ownership leases): set externalRedis.url, provide REDIS_URL in existingSecret, or set redis.enabled=true.
{{ end -}}
{{- if and .Values.externalRedis.url (not (regexMatch "^rediss?://" .Values.externalRedis.url)) -}}
streamgate: externalRedis.url must start with redis:// or rediss://.
{{ end -}}
{{- end -}}

{{- define "streamgate.validateValues.apiKey" -}}
{{- if and .Values.apiKey (lt (len .Values.apiKey) 8) -}}
streamgate: apiKey must be at least 8 characters (API_KEY).
{{ end -}}
{{- end -}}

{{/* The server announces the UDP pair to readers, so it must be reachable at the same numbers. */}}
{{- define "streamgate.validateValues.rtpPort" -}}
{{- $rtp := int .Values.rtspEgress.containerPorts.rtp -}}
{{- if ne (mod $rtp 2) 0 -}}
streamgate: rtspEgress.containerPorts.rtp ({{ $rtp }}) must be even (RTP even, RTCP = RTP + 1).
{{ end -}}
{{- if and (eq .Values.rtspEgress.service.type "NodePort") (or (lt $rtp 30000) (gt $rtp 32766)) -}}
streamgate: rtspEgress.service.type=NodePort: rtspEgress.containerPorts.rtp ({{ $rtp }}) must be in the node port range 30000-32766, because the UDP pair is exposed on the same numbers it is announced with.
{{ end -}}
{{- end -}}

{{- define "streamgate.validateValues.drain" -}}
{{- $e := .Values.rtspEgress -}}
{{- if lt (int $e.terminationGracePeriodSeconds) (add (int $e.preStopSleepSeconds) (int $e.drainSeconds) 5) -}}
streamgate: rtspEgress.terminationGracePeriodSeconds ({{ $e.terminationGracePeriodSeconds }}) must be at least preStopSleepSeconds + drainSeconds + 5 ({{ add (int $e.preStopSleepSeconds) (int $e.drainSeconds) 5 }}), or readers are cut off before they are told.
{{ end -}}
{{- end -}}

{{- define "streamgate.validateValues.component" -}}
{{- $v := index .context.Values .key -}}
{{- if not (has $v.service.type (list "ClusterIP" "NodePort" "LoadBalancer")) -}}
streamgate: {{ .key }}.service.type must be ClusterIP, NodePort or LoadBalancer (got {{ $v.service.type }}).
{{ end -}}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
streamgate: {{ .key }}.autoscaling.minReplicas must not exceed maxReplicas.
{{ end -}}
{{- range $name := list "API_KEY" "NATS_URL" "REDIS_URL" -}}
{{- if or (hasKey $v.env $name) (hasKey $.context.Values.extraEnv $name) -}}
streamgate: {{ $name }} is a secret: set it through apiKey/externalNats.url/externalRedis.url or existingSecret, not in {{ $.key }}.env or extraEnv.
{{ end -}}
{{- end -}}
{{- end -}}

{{/* TLS needs a certificate: an existing Secret or cert-manager with an issuer. */}}
{{- define "streamgate.validateValues.tls" -}}
{{- if .Values.tls.enabled -}}
{{- if and (not .Values.tls.secretName) (not .Values.tls.certManager.enabled) -}}
streamgate: tls.enabled needs tls.secretName (a kubernetes.io/tls Secret) or tls.certManager.enabled.
{{ end -}}
{{- if and .Values.tls.certManager.enabled (or (not .Values.tls.certManager.issuerRef.name) (not .Values.tls.certManager.dnsNames)) -}}
streamgate: tls.certManager.enabled needs tls.certManager.issuerRef.name and at least one tls.certManager.dnsNames entry.
{{ end -}}
{{- end -}}
{{- end -}}
