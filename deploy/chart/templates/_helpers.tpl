{{/* The release's name for every object: <release>-mesh-portal, or the release name when it already says mesh-portal. */}}
{{- define "mesh-portal.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mesh-portal.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mesh-portal.labels" -}}
{{ include "mesh-portal.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mesh-portal.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mesh-portal.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* repository@digest when a digest is given, else repository:tag (the appVersion by default). */}}
{{- define "mesh-portal.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* An environment variable from a key of a Secret: dict "name" "secretName" "key". */}}
{{- define "mesh-portal.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName | quote }}
      key: {{ .key | quote }}
{{- end -}}

{{/* Where a stack's kubeconfig is mounted. */}}
{{- define "mesh-portal.kubeconfigDir" -}}
/etc/mesh/kubeconfigs/{{ . }}
{{- end -}}

{{/*
The rules between values that a schema cannot say, each failing with the fix: the server would refuse to
start, or the pod would be killed mid-shutdown.
*/}}
{{- define "mesh-portal.validate" -}}
{{- $v := .Values -}}
{{- $o := $v.auth.oidc -}}
{{- if and (not $v.auth.tokens.secretName) (not $o.issuer) -}}
{{- fail "auth: set auth.tokens.secretName (static bearer tokens) or auth.oidc.issuer (OIDC): the server refuses to start without authentication" -}}
{{- end -}}
{{- if or $o.audience $o.jwksUrl -}}
{{- if not (and $o.issuer $o.audience $o.jwksUrl) -}}
{{- fail "auth.oidc: set issuer, audience and jwksUrl together: the server takes OIDC access tokens only with all three" -}}
{{- end -}}
{{- end -}}
{{- if and $o.issuer (not $o.clientId) (not (and $o.audience $o.jwksUrl)) -}}
{{- fail "auth.oidc.issuer: set audience and jwksUrl (bearer access tokens), or clientId (browser sign-in), or both" -}}
{{- end -}}
{{- if and $o.clientSecret.secretName (not $o.clientId) -}}
{{- fail "auth.oidc.clientSecret: a client secret without auth.oidc.clientId: set the client's id, or leave clientSecret.secretName empty" -}}
{{- end -}}
{{- if and $o.clientId (not (and $o.issuer $v.publicUrl)) -}}
{{- fail "auth.oidc.clientId: browser sign-in needs auth.oidc.issuer and publicUrl (the redirect URI is <publicUrl>/auth/callback)" -}}
{{- end -}}
{{- if and $v.publicUrl (not $v.auth.session.secretName) -}}
{{- fail "auth.session.secretName: with publicUrl, the replicas need one session secret (MESH_SESSION_SECRET): a sign-in begun on one replica may end on another" -}}
{{- end -}}
{{- $shutdown := add $v.preStopSleepSeconds 40 -}}
{{- if le (int $v.terminationGracePeriodSeconds) (int $shutdown) -}}
{{- fail (printf "terminationGracePeriodSeconds: %v is too short: the pod needs preStopSleepSeconds (%v) + 30 s for running jobs to stop + 10 s to end the streams and exit; set it above %v" $v.terminationGracePeriodSeconds $v.preStopSleepSeconds $shutdown) -}}
{{- end -}}
{{- end -}}
