{{/*
One workload shape for every component (ingest, packetizer, rtsp-egress, control-api):
Deployment, public Service, metrics Service, PodDisruptionBudget and HorizontalPodAutoscaler.
Usage: include "streamgate.workload" (dict "context" $ "component" "rtsp-egress" "key" "rtspEgress")
Each component file defines its specifics as named templates:
  streamgate.<component>.containerPorts  extra container ports (YAML list)
  streamgate.<component>.servicePorts    public Service ports (YAML list; empty: no public Service)
  streamgate.<component>.env             extra environment (YAML list)
  streamgate.<component>.volumeMounts / .volumes
*/}}
{{- define "streamgate.workload" -}}
{{- $ := .context -}}
{{- $component := .component -}}
{{- $v := index $.Values .key -}}
{{- $name := include "streamgate.componentName" . -}}
{{- $labels := include "streamgate.componentLabels" . -}}
{{- $selector := include "streamgate.componentSelectorLabels" . -}}
{{- $servicePorts := include (printf "streamgate.%s.servicePorts" $component) $ | trim -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
  {{- with (include "streamgate.annotations" $) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- $labels | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum }}
        checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") $ | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "streamgate.serviceAccountName" $ }}
      automountServiceAccountToken: {{ $.Values.serviceAccount.automountServiceAccountToken }}
      {{- with (include "streamgate.imagePullSecrets" $ | trim) }}
      {{- . | nindent 6 }}
      {{- end }}
      securityContext:
        {{- toYaml (default $.Values.podSecurityContext $v.podSecurityContext) | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "streamgate.image" . | quote }}
          imagePullPolicy: {{ $.Values.image.pullPolicy }}
          securityContext:
            {{- toYaml (default $.Values.containerSecurityContext $v.containerSecurityContext) | nindent 12 }}
          ports:
            {{- include (printf "streamgate.%s.containerPorts" $component) $ | trim | nindent 12 }}
            - name: metrics
              containerPort: {{ $.Values.metrics.port }}
              protocol: TCP
          env:
            - name: HOST
              value: "0.0.0.0"
            - name: METRICS_PORT
              value: {{ $.Values.metrics.port | quote }}
            - name: LOG_LEVEL
              value: {{ $.Values.logLevel | quote }}
            {{- with $.Values.publicHost }}
            - name: PUBLIC_HOST
              value: {{ . | quote }}
            {{- end }}
            # The embedded file store is unused with Redis; keep it off the read-only root.
            - name: DATA_DIR
              value: /tmp/data
            {{- include "streamgate.busAndStoreEnv" $ | trim | nindent 12 }}
            {{- include "streamgate.accessEnv" $ | trim | nindent 12 }}
            {{- include (printf "streamgate.%s.env" $component) $ | trim | nindent 12 }}
            {{- range $k, $val := merge (dict) $v.env $.Values.extraEnv }}
            - name: {{ $k }}
              value: {{ $val | toString | quote }}
            {{- end }}
          {{- if $v.preStopSleepSeconds }}
          # Let the Service drop this pod before it stops accepting (rolling updates).
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $v.preStopSleepSeconds | quote }}]
          {{- end }}
          {{- if $v.livenessProbe.enabled }}
          livenessProbe:
            httpGet:
              path: {{ $v.livenessProbe.path }}
              port: {{ $v.livenessProbe.port }}
            {{- toYaml (omit $v.livenessProbe "enabled" "path" "port") | nindent 12 }}
          {{- end }}
          {{- if $v.readinessProbe.enabled }}
          readinessProbe:
            httpGet:
              path: {{ $v.readinessProbe.path }}
              port: {{ $v.readinessProbe.port }}
            {{- toYaml (omit $v.readinessProbe "enabled" "path" "port") | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include (printf "streamgate.%s.volumeMounts" $component) $ | trim | nindent 12 }}
            {{- if include "streamgate.accessUsers" $ }}
            - name: access
              mountPath: {{ include "streamgate.accessDir" $ }}
              readOnly: true
            {{- end }}
      volumes:
        # Writable scratch space under the read-only root filesystem.
        - name: tmp
          emptyDir: {}
        {{- if include "streamgate.accessUsers" $ }}
        # The users list; a Secret volume (no subPath) is updated in place, and every component re-reads it.
        - name: access
          secret:
            secretName: {{ include "streamgate.secretName" $ }}
            items:
              - key: users.json
                path: users.json
        {{- end }}
        {{- include (printf "streamgate.%s.volumes" $component) $ | trim | nindent 8 }}
{{- if $servicePorts }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
  {{- with (merge (dict) $v.service.annotations $.Values.commonAnnotations) }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  {{- if ne $v.service.type "ClusterIP" }}
  externalTrafficPolicy: {{ $v.service.externalTrafficPolicy }}
  {{- end }}
  {{- if and (eq $v.service.type "LoadBalancer") $v.service.loadBalancerIP }}
  loadBalancerIP: {{ $v.service.loadBalancerIP }}
  {{- end }}
  {{- if and (eq $v.service.type "LoadBalancer") $v.service.loadBalancerSourceRanges }}
  loadBalancerSourceRanges:
    {{- toYaml $v.service.loadBalancerSourceRanges | nindent 4 }}
  {{- end }}
  sessionAffinity: {{ $v.service.sessionAffinity }}
  ports:
    {{- $servicePorts | nindent 4 }}
  selector:
    {{- $selector | nindent 4 }}
{{- end }}
---
# Metrics Service: always ClusterIP, selected by the ServiceMonitor.
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-metrics" $name | trunc 63 | trimSuffix "-" }}
  namespace: {{ $.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
    app.kubernetes.io/metrics: "true"
spec:
  type: ClusterIP
  ports:
    - name: metrics
      port: {{ $.Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
  selector:
    {{- $selector | nindent 4 }}
{{- if $v.pdb.create }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  {{- if $v.pdb.minAvailable }}
  minAvailable: {{ $v.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ default 1 $v.pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
{{- end }}
{{- if $v.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    {{- with $v.autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $v.autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end }}
{{- end -}}
