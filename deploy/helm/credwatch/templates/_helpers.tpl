{{/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */}}

{{/* The chart's name, or nameOverride. */}}
{{- define "credwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The objects' name: the release's name when it holds the chart's ("credwatch"), else
RELEASE-credwatch; fullnameOverride wins. */}}
{{- define "credwatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "credwatch.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "credwatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "credwatch.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: the ServiceAccount to use when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* What selects the agent's pods. */}}
{{- define "credwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "credwatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "credwatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "credwatch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "credwatch.image" -}}
{{- $repo := required "image.repository: the agent's image (e.g. registry.example.com/credwatch)" .Values.image.repository -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The metadata source, checked. */}}
{{- define "credwatch.metadataSource" -}}
{{- $s := .Values.metadata.source | default "auto" | toString -}}
{{- if not (has $s (list "auto" "apiserver" "kubelet" "off")) -}}
{{- fail (printf "metadata.source: '%s' is not one of auto, apiserver, kubelet, off" $s) -}}
{{- end -}}
{{- $s -}}
{{- end -}}

{{/* The policy file's path in the container; fails when both sources are given. */}}
{{- define "credwatch.policyPath" -}}
{{- if and .Values.policy.inline .Values.policy.existingConfigMap -}}
{{- fail "policy: give inline or existingConfigMap, not both" -}}
{{- else if .Values.policy.existingConfigMap -}}
{{- printf "/etc/credwatch-policy/%s" (required "policy.key: the policy's key in policy.existingConfigMap" .Values.policy.key) -}}
{{- else -}}
/etc/credwatch/policy.yaml
{{- end -}}
{{- end -}}

{{/* Where output I's token Secret is mounted. */}}
{{- define "credwatch.outputSecretDir" -}}
{{- printf "/etc/credwatch-outputs/%d" . -}}
{{- end -}}

{{/* The outputs as the agent's config takes them (a YAML list): spec strings as they are,
mappings without tokenSecret, whose mounted key becomes token_file. */}}
{{- define "credwatch.outputs" -}}
{{- $outputs := list -}}
{{- range $i, $o := .Values.outputs -}}
{{- if kindIs "string" $o -}}
{{- $outputs = append $outputs $o -}}
{{- else if kindIs "map" $o -}}
{{- $_ := required (printf "outputs[%d]: a mapping needs a 'target' (e.g. target: https://siem.example.com/...)" $i) $o.target -}}
{{- $m := omit $o "tokenSecret" -}}
{{- with $o.tokenSecret -}}
{{- $_ := required (printf "outputs[%d].tokenSecret.name: the Secret holding the output's token" $i) .name -}}
{{- $key := required (printf "outputs[%d].tokenSecret.key: the token's key in Secret %s" $i .name) .key -}}
{{- if hasKey $o "token_file" -}}
{{- fail (printf "outputs[%d]: give tokenSecret or token_file, not both" $i) -}}
{{- end -}}
{{- $_ := set $m "token_file" (printf "%s/%s" (include "credwatch.outputSecretDir" $i) $key) -}}
{{- end -}}
{{- $outputs = append $outputs $m -}}
{{- else -}}
{{- fail (printf "outputs[%d]: each output is a spec string (stdout, file:PATH, https://...) or a mapping with a 'target'" $i) -}}
{{- end -}}
{{- end -}}
{{- if not $outputs -}}
{{- fail "outputs: give at least one output (e.g. - stdout)" -}}
{{- end -}}
{{- toYaml $outputs -}}
{{- end -}}

{{/* credwatch.yaml: the agent's config from the values. */}}
{{- define "credwatch.config" -}}
{{- $known := list "no_env" "include_loopback" "capture_inbound" "payload_cap" "payload_budget" "no_file_capture" "file_cap" "capture_reads" "ringbuf_size" "stats_interval" "events" -}}
{{- $cfg := dict
  "outputs" (fromYamlArray (include "credwatch.outputs" .))
  "metrics" (printf "0.0.0.0:%d" (int .Values.metrics.port))
  "status_file" "/run/credwatch/status.json"
  "host_root" "/host"
  "kube_metadata" (include "credwatch.metadataSource" .)
  "policy" (include "credwatch.policyPath" .)
  "fingerprint_key_file" (printf "/etc/credwatch-fingerprint/%s" (required "fingerprintKey.key: the key's name in the Secret" .Values.fingerprintKey.key))
  "state" "/var/lib/credwatch/provenance.json"
  "spool_dir" "/var/lib/credwatch/spool" -}}
{{- with .Values.metadata -}}
{{- if .apiserver }}{{ $_ := set $cfg "kube_apiserver" .apiserver }}{{ end -}}
{{- if .kubeletUrl }}{{ $_ := set $cfg "kubelet_url" .kubeletUrl }}{{ end -}}
{{- if .kubeletInsecureTLS }}{{ $_ := set $cfg "kubelet_insecure_tls" true }}{{ end -}}
{{- if .annotations }}{{ $_ := set $cfg "kube_annotations" .annotations }}{{ end -}}
{{- if .maxPods }}{{ $_ := set $cfg "kube_max_pods" (int .maxPods) }}{{ end -}}
{{- end -}}
{{- range $k, $v := .Values.capture -}}
{{- if not (has $k $known) -}}
{{- fail (printf "capture.%s: not a capture option (one of %s; others go in extraConfig)" $k (join ", " $known)) -}}
{{- end -}}
{{- if not (kindIs "invalid" $v) }}{{ $_ := set $cfg $k $v }}{{ end -}}
{{- end -}}
{{- range $k, $v := .Values.extraConfig -}}
{{- $_ := set $cfg $k $v -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
