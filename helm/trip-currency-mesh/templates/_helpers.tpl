{{/*
Names and labels.
*/}}
{{- define "tcm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tcm.fullname" -}}
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

{{/* The name of a component's objects: (list $ "gateway") */}}
{{- define "tcm.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "tcm.fullname" $root | trunc 50 | trimSuffix "-") (index . 1) -}}
{{- end -}}

{{- define "tcm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "tcm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trip-currency-mesh
{{- end -}}

{{/* (list $ "gateway") */}}
{{- define "tcm.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "tcm.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* (list $ "gateway") */}}
{{- define "tcm.componentLabels" -}}
{{ include "tcm.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/*
Deep merge: (list base override) → YAML. Maps merge key by key (recursively); any
other value of the override replaces the base's, so `false`, 0 and "" override too
(sprig's merge functions treat those as unset).
*/}}
{{- define "tcm.deepMerge" -}}
{{- $out := deepCopy (index . 0) -}}
{{- range $key, $value := (index . 1) -}}
{{- $base := get $out $key -}}
{{- if and (kindIs "map" $value) (kindIs "map" $base) -}}
{{- $_ := set $out $key (include "tcm.deepMerge" (list $base $value) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
A component's effective values: `defaults` merged with the component's block, extraEnv
concatenated. (list $ "gateway") → YAML; use with fromYaml.
*/}}
{{- define "tcm.values" -}}
{{- $root := index . 0 -}}
{{- $own := index $root.Values (index . 1) | default dict -}}
{{- $merged := include "tcm.deepMerge" (list $root.Values.defaults $own) | fromYaml -}}
{{- $_ := set $merged "extraEnv" (concat ($root.Values.defaults.extraEnv | default list) ($own.extraEnv | default list) | default list) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* Whether a component is enabled: (list $ "gateway") → "true" or "" */}}
{{- define "tcm.enabled" -}}
{{- $own := index (index . 0).Values (index . 1) | default dict -}}
{{- if $own.enabled -}}true{{- end -}}
{{- end -}}

{{/*
The contract with the binaries: command, listen-address variable and ports of each
component. Long-running components also serve Prometheus metrics on 9464.
*/}}
{{- define "tcm.contract" -}}
gateway:
  command: [/usr/local/bin/gateway]
  addrEnv: TRAVEL_GATEWAY_ADDR
  port: 8080
  portName: http
  urlEnv: ""
  backends: [cache, upstreams]
currency:
  command: [/usr/local/bin/currency]
  addrEnv: TRAVEL_CURRENCY_ADDR
  port: 50051
  portName: grpc
  urlEnv: TRAVEL_CURRENCY_URL
  backends: [database, cache]
history:
  command: [/usr/local/bin/history]
  addrEnv: TRAVEL_HISTORY_ADDR
  port: 50052
  portName: grpc
  urlEnv: TRAVEL_HISTORY_URL
  backends: [database, cache]
ranking:
  command: [/usr/local/bin/ranking]
  addrEnv: TRAVEL_RANKING_ADDR
  port: 50053
  portName: grpc
  urlEnv: TRAVEL_RANKING_URL
  backends: [cache, selections]
processor:
  command: [/usr/local/bin/processor]
  addrEnv: TRAVEL_PROCESSOR_HEALTH_ADDR
  port: 50054
  portName: grpc-health
  urlEnv: ""
  backends: [database, cache, bus]
ingestor:
  command: [/usr/local/bin/ingestor, run-once]
  addrEnv: ""
  port: 0
  portName: ""
  urlEnv: ""
  backends: [cache, bus]
{{- end -}}

{{- define "tcm.metricsPort" -}}9464{{- end -}}

{{/* The deployed long-running components, in order. */}}
{{- define "tcm.services" -}}
[gateway, currency, history, ranking, processor]
{{- end -}}

{{- define "tcm.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 -}}
{{- printf "%s:%s" $image.repository (toString (default $root.Chart.AppVersion $image.tag)) -}}
{{- end -}}

{{- define "tcm.secretName" -}}
{{- default (include "tcm.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "tcm.serviceAccountName" -}}
{{- $root := index . 0 -}}
{{- $c := index . 2 -}}
{{- if $c.serviceAccount.create -}}
{{- default (include "tcm.componentName" (list $root (index . 1))) $c.serviceAccount.name -}}
{{- else -}}
{{- default "default" $c.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret environment of a component: its ConfigMap's data. (list $ "gateway") → YAML
map. User `env` first; the chart's own settings (addresses, backend URLs) win.
*/}}
{{- define "tcm.configData" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $c := include "tcm.values" (list $root $name) | fromYaml -}}
{{- $contract := index (include "tcm.contract" $root | fromYaml) $name -}}
{{- $b := $root.Values.backends -}}
{{- $data := dict -}}
{{- range $key, $value := $c.env -}}
{{- if ne (toString $value) "" -}}
{{- $_ := set $data $key (toString $value) -}}
{{- end -}}
{{- end -}}
{{- if $contract.addrEnv -}}
{{- $_ := set $data $contract.addrEnv (printf "0.0.0.0:%v" $contract.port) -}}
{{- $_ := set $data "TRAVEL_METRICS_ADDR" (printf "0.0.0.0:%s" (include "tcm.metricsPort" $root)) -}}
{{- $_ := set $data "TRAVEL_SHUTDOWN_DRAIN" (printf "%vs" $c.shutdown.drainSeconds) -}}
{{- end -}}
{{- if has "database" $contract.backends -}}
{{- $_ := set $data "TRAVEL_DATABASE_AUTO_MIGRATE" "false" -}}
{{- $_ := set $data "TRAVEL_DATABASE_MAX_CONNECTIONS" (toString $b.database.maxConnections) -}}
{{- $_ := set $data "TRAVEL_DATABASE_MIN_CONNECTIONS" (toString $b.database.minConnections) -}}
{{- end -}}
{{- if has "cache" $contract.backends -}}
{{- if not $b.cache.urlFromSecret -}}
{{- $_ := set $data "TRAVEL_CACHE_URL" $b.cache.url -}}
{{- end -}}
{{- $_ := set $data "TRAVEL_CACHE_PREFIX" $b.cache.prefix -}}
{{- end -}}
{{- if has "bus" $contract.backends -}}
{{- if not $b.bus.urlFromSecret -}}
{{- $_ := set $data "TRAVEL_BUS_URL" $b.bus.url -}}
{{- end -}}
{{- $_ := set $data "TRAVEL_RATES_TOPIC" $b.bus.ratesTopic -}}
{{- end -}}
{{- if has "selections" $contract.backends -}}
{{- $_ := set $data "TRAVEL_SELECTIONS_URL" $b.selections.url -}}
{{- $_ := set $data "TRAVEL_SELECTIONS_TABLE" $b.selections.selectionsTable -}}
{{- $_ := set $data "TRAVEL_RANKING_RESULTS_TABLE" $b.selections.rankingResultsTable -}}
{{- if $b.selections.region -}}
{{- $_ := set $data "TRAVEL_DYNAMODB_REGION" $b.selections.region -}}
{{- end -}}
{{- end -}}
{{- if has "upstreams" $contract.backends -}}
{{- $all := include "tcm.contract" $root | fromYaml -}}
{{- range $upstream := list "currency" "history" "ranking" -}}
{{- if include "tcm.enabled" (list $root $upstream) -}}
{{- $u := index $all $upstream -}}
{{- $_ := set $data $u.urlEnv (printf "http://%s:%v" (include "tcm.componentName" (list $root $upstream)) $u.port) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq $name "ranking") $c.leaderElection.enabled -}}
{{- $_ := set $data "TRAVEL_LEADER_ELECTION" "lease" -}}
{{- $_ := set $data "TRAVEL_LEASE_NAME" $c.leaderElection.leaseName -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/*
Secret environment of a component: a YAML list of EnvVars referencing the Secret.
(list $ "gateway"); use with fromYamlArray.
*/}}
{{- define "tcm.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $contract := index (include "tcm.contract" $root | fromYaml) $name -}}
{{- $b := $root.Values.backends -}}
{{- $keys := list -}}
{{- if has "database" $contract.backends -}}{{- $keys = append $keys (list "TRAVEL_DATABASE_URL" false) -}}{{- end -}}
{{- if and (has "cache" $contract.backends) $b.cache.urlFromSecret -}}{{- $keys = append $keys (list "TRAVEL_CACHE_URL" false) -}}{{- end -}}
{{- if and (has "bus" $contract.backends) $b.bus.urlFromSecret -}}{{- $keys = append $keys (list "TRAVEL_BUS_URL" false) -}}{{- end -}}
{{- if eq $name "ranking" -}}
{{- $keys = append $keys (list "TRAVEL_OPERATOR_API_KEY" false) -}}
{{- $keys = append $keys (list "TRAVEL_HASH_SALT" false) -}}
{{- end -}}
{{- if eq $name "ingestor" -}}
{{- $keys = append $keys (list "TRAVEL_SOURCE_KOREAEXIM_KEY" true) -}}
{{- $keys = append $keys (list "TRAVEL_SOURCE_ECOS_KEY" true) -}}
{{- end -}}
{{- $env := list -}}
{{- range $keys -}}
{{- $ref := dict "name" (include "tcm.secretName" $root) "key" (index . 0) -}}
{{- if index . 1 -}}
{{- $_ := set $ref "optional" true -}}
{{- end -}}
{{- $env = append $env (dict "name" (index . 0) "valueFrom" (dict "secretKeyRef" $ref)) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
The Secret's data from values: a map of env name → value (only the non-empty ones).
*/}}
{{- define "tcm.secretData" -}}
{{- $s := .Values.secrets -}}
{{- $data := dict -}}
{{- range $key, $value := dict "TRAVEL_DATABASE_URL" $s.databaseUrl "TRAVEL_OPERATOR_API_KEY" $s.operatorApiKey "TRAVEL_HASH_SALT" $s.hashSalt "TRAVEL_SOURCE_KOREAEXIM_KEY" $s.koreaeximKey "TRAVEL_SOURCE_ECOS_KEY" $s.ecosKey "TRAVEL_CACHE_URL" $s.cacheUrl "TRAVEL_BUS_URL" $s.busUrl -}}
{{- if $value -}}
{{- $_ := set $data $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* Pod-level security context. (the component's merged values) */}}
{{- define "tcm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ int .securityContext.runAsUser }}
runAsGroup: {{ int .securityContext.runAsGroup }}
fsGroup: {{ int .securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context. (the component's merged values) */}}
{{- define "tcm.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ int .securityContext.runAsUser }}
runAsGroup: {{ int .securityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Scheduling fields shared by every pod. (list $ "gateway" $c) */}}
{{- define "tcm.scheduling" -}}
{{- $root := index . 0 -}}
{{- $c := index . 2 -}}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.topologySpreadConstraints }}
{{- $constraints := list }}
{{- range . }}
{{- $constraint := deepCopy . }}
{{- if not (hasKey $constraint "labelSelector") }}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "tcm.selectorLabels" (list $root (index $ 1)) | fromYaml)) }}
{{- end }}
{{- $constraints = append $constraints $constraint }}
{{- end }}
topologySpreadConstraints:
  {{- toYaml $constraints | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Probe timings. (the probe's values) */}}
{{- define "tcm.probeTimings" -}}
{{- $out := dict -}}
{{- range $key := list "initialDelaySeconds" "periodSeconds" "timeoutSeconds" "failureThreshold" -}}
{{- if hasKey $ $key -}}
{{- $_ := set $out $key (int (index $ $key)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
