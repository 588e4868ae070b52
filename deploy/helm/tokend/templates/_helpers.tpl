{{/* Chart name, truncated to the 63 characters a label value may hold. */}}
{{- define "tokend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart> unless the release name already
contains the chart name. Truncated to leave room for suffixes (-migrate,
-headless, -signing-keys, -test-client) within 63 characters.
*/}}
{{- define "tokend.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tokend.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object (without a component). */}}
{{- define "tokend.labels" -}}
helm.sh/chart: {{ include "tokend.chart" . }}
{{ include "tokend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tokend
{{- end }}

{{/* Selector labels; every workload adds app.kubernetes.io/component. */}}
{{- define "tokend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tokend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of the server pods (Deployment, Services, PDB, NetworkPolicy). */}}
{{- define "tokend.serverSelectorLabels" -}}
{{ include "tokend.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "tokend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tokend.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tokend.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Secret names, defaulted from the fullname. */}}
{{- define "tokend.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "tokend.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{- define "tokend.signingKeysSecretName" -}}
{{- default (printf "%s-signing-keys" (include "tokend.fullname" .)) .Values.signingKeys.existingSecret }}
{{- end }}

{{- define "tokend.databaseSecretName" -}}
{{- default (printf "%s-database" (include "tokend.fullname" .)) .Values.database.existingSecret }}
{{- end }}

{{- define "tokend.testClientSecretName" -}}
{{- default (printf "%s-test-client" (include "tokend.fullname" .)) .Values.tests.clientSecret }}
{{- end }}

{{/* Where the pod sees its files. */}}
{{- define "tokend.configDir" -}}/etc/tokend/config{{- end }}
{{- define "tokend.tlsDir" -}}/etc/tokend/tls{{- end }}
{{- define "tokend.clientCaDir" -}}/etc/tokend/client-ca{{- end }}
{{- define "tokend.keysDir" -}}/etc/tokend/keys{{- end }}
{{- define "tokend.kekDir" -}}/etc/tokend/kek{{- end }}

{{/* Names the Services' certificate must carry. */}}
{{- define "tokend.dnsNames" -}}
{{- $full := include "tokend.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $names := list $full (printf "%s.%s" $full $ns) (printf "%s.%s.svc" $full $ns) (printf "%s.%s.svc.cluster.local" $full $ns) }}
{{- if .Values.service.headless.enabled }}
{{- $h := printf "%s-headless" $full }}
{{- $names = concat $names (list $h (printf "%s.%s" $h $ns) (printf "%s.%s.svc" $h $ns) (printf "%s.%s.svc.cluster.local" $h $ns)) }}
{{- end }}
{{- toYaml (concat $names .Values.certManager.extraDnsNames | uniq) }}
{{- end }}

{{/*
tokend's configuration file (config.md). With (dict "root" $ "migration" true)
it is the migration Job's variant: `tokend migrate` reads only `database`, but
loading any configuration checks that every file it names is readable, and the
Job runs before the TLS Secret (issued by cert-manager once the release
exists) and the signing keys need to exist. So that variant names the
configuration file itself for tls.*, signing_keys[*].file and
keys.kek_files; everything else is the same.
*/}}
{{- define "tokend.configFile" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $c := $v.config }}
{{- $self := printf "%s/tokend.yaml" (include "tokend.configDir" $root) }}
{{- $tls := include "tokend.tlsDir" $root }}
{{- $clientCa := printf "%s/ca.crt" $tls }}
{{- if $v.tls.clientCaSecret }}
{{- $clientCa = printf "%s/ca.crt" (include "tokend.clientCaDir" $root) }}
{{- end -}}
listen: {{ printf "0.0.0.0:%d" (int $v.ports.api) | quote }}
ops_listen: {{ printf "[::]:%d" (int $v.ports.ops) | quote }}
shutdown_grace: {{ $c.shutdownGrace }}
shutdown_delay: {{ $c.shutdownDelay }}
log_level: {{ $c.logLevel }}
reflection: {{ $c.reflection }}
revocation_resync_interval: {{ $c.revocationResyncInterval }}
revocation_max_staleness: {{ $c.revocationMaxStaleness }}
tls:
  cert_file: {{ ternary $self (printf "%s/tls.crt" $tls) .migration }}
  key_file: {{ ternary $self (printf "%s/tls.key" $tls) .migration }}
  client_ca_file: {{ ternary $self $clientCa .migration }}
  reload_interval: {{ $c.tlsReloadInterval }}
  max_connection_age: {{ $c.connections.maxConnectionAge }}
  max_connection_age_grace: {{ $c.connections.maxConnectionAgeGrace }}
  handshake_timeout: {{ $c.connections.handshakeTimeout }}
database:
  # dsn: from the environment variable TOKEND_DATABASE_DSN (a Secret)
  pool_size: {{ int $c.database.poolSize }}
  connect_timeout: {{ $c.database.connectTimeout }}
  migrate_on_start: false
issuer: {{ $c.issuer | quote }}
tokens:
  access_ttl: {{ $c.tokens.accessTtl }}
  refresh_idle_ttl: {{ $c.tokens.refreshIdleTtl }}
  refresh_absolute_ttl: {{ $c.tokens.refreshAbsoluteTtl }}
  leeway: {{ $c.tokens.leeway }}
  refresh_retry_window: {{ $c.tokens.refreshRetryWindow }}
limits:
  max_in_flight_per_caller: {{ int $c.limits.maxInFlightPerCaller }}
  max_concurrent_streams: {{ int $c.limits.maxConcurrentStreams }}
  subject_revocations_per_minute: {{ int $c.limits.subjectRevocationsPerMinute }}
  introspect_cache_bytes: {{ int64 $c.limits.introspectCacheBytes }}
{{- if $v.managedKeys.enabled }}
keys:
  managed: true
  alg: {{ $v.managedKeys.alg }}
  rotate_every: {{ $v.managedKeys.rotateEvery }}
  publish_ahead: {{ $v.managedKeys.publishAhead }}
  kek_files:
  {{- range $v.managedKeys.kekFiles }}
    - {{ ternary $self (printf "%s/%s" (include "tokend.kekDir" $root) .) $.migration | quote }}
  {{- end }}
{{- else }}
signing_keys:
{{- range $v.signingKeys.keys }}
  - file: {{ ternary $self (printf "%s/%s" (include "tokend.keysDir" $root) .file) $.migration | quote }}
    alg: {{ .alg }}
    {{- if .kid }}
    kid: {{ .kid | quote }}
    {{- end }}
{{- end }}
{{- end }}
{{- if $c.callers }}
callers:
{{- range $c.callers }}
  - id: {{ .id | quote }}
    {{- if hasKey . "rpcs" }}
    rpcs: {{ .rpcs | toJson }}
    {{- end }}
    {{- if hasKey . "issueForOthers" }}
    issue_for_others: {{ .issueForOthers }}
    {{- end }}
    {{- if hasKey . "audiences" }}
    audiences: {{ .audiences | toJson }}
    {{- end }}
    {{- if hasKey . "scopes" }}
    scopes: {{ .scopes | toJson }}
    {{- end }}
    {{- if .maxTtl }}
    max_ttl: {{ .maxTtl }}
    {{- end }}
    {{- if hasKey . "introspectOwnAudiencesOnly" }}
    introspect_own_audiences_only: {{ .introspectOwnAudiencesOnly }}
    {{- end }}
{{- end }}
{{- else }}
callers: []
{{- end }}
{{- end }}

{{/* TOKEND_DATABASE_DSN from a Secret. */}}
{{- define "tokend.dsnEnv" -}}
- name: TOKEND_DATABASE_DSN
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}
