#!/usr/bin/env bash
# The rendered configuration is real: renders the chart, lays out what the
# kubelet would mount for the migration Job and for the Deployment's
# container (materialize_pod.mjs: the ConfigMaps' files, the DSN Secrets the
# chart makes from database.dsn (the hook's for the Job, the regular one for
# the pods), local certificates and a signing key in place of the TLS and key
# Secrets, paths rewritten only by prefix), runs the Job's command (`tokend
# migrate`) and then the Deployment's command with exactly the pod's
# environment against a private PostgreSQL, and checks /healthz, /readyz, an
# Issue/Introspect round trip with tokenctl over mutual TLS, /metrics, the JWK
# Set, and a clean drain on SIGTERM.
# The only substitution: the image's /usr/local/bin/{tokend,tokenctl} are the
# binaries of this build tree.
# Usage: rendered_config_test.sh <tools dir> <tokend> <tokenctl> <work dir>
set -euo pipefail
tools="$(cd "$1" && pwd)" tokend="$(realpath "$2")" tokenctl="$(realpath "$3")" work="$4"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
helm="$tools/bin/helm"
chart="$root/deploy/helm/tokend"

rm -rf "$work"
mkdir -p "$work"
source "$here/lib.sh"
trap deploy_cleanup EXIT

start_postgres
bash "$root/deploy/dev/make-certs.sh" "$work/certs"

# What an operator would write: ports chosen free here, the DSN, a caller.
api_port="$(free_loopback_port)"
ops_port="$(free_loopback_port)"
cat > "$work/values.yaml" <<YAML
config:
  issuer: "https://tokend.test"
  logLevel: debug
  callers:
    - id: "spiffe://tokend.dev/tokenctl"
      rpcs: [Issue, Introspect, GetJwks]
      issueForOthers: true
      audiences: ["api://test"]
      scopes: ["test:read"]
      maxTtl: 10m
database:
  dsn: "$dsn_local"
ports:
  api: $api_port
  ops: $ops_port
YAML
"$helm" template t "$chart" --namespace tokend -f "$work/values.yaml" > "$work/rendered.yaml"

# The Secrets that are not the chart's: the server certificate and the keys.
full=t-tokend
mkdir -p "$work/secrets/$full-tls" "$work/secrets/$full-signing-keys"
cp "$work/certs/server.crt" "$work/secrets/$full-tls/tls.crt"
cp "$work/certs/server.key" "$work/secrets/$full-tls/tls.key"
cp "$work/certs/ca.crt" "$work/secrets/$full-tls/ca.crt"
cp "$work/certs/signing-es256.pem" "$work/secrets/$full-signing-keys/current.pem"

echo "== the migration Job (pre-install hook)"
materialize "$work/rendered.yaml" Job "$full-migrate" migrate "$work/job" "$work/secrets"
run_migration_job "$work/job" "$tokend"

echo "== the Deployment's container"
materialize "$work/rendered.yaml" Deployment "$full" tokend "$work/pod" "$work/secrets"
start_server_pod "$work/pod" "$tokend"

# The probes, exactly as the Deployment declares them (path and port name).
probe_paths="$(node -e '
  const YAML = require(process.argv[1] + "/node_modules/yaml");
  const fs = require("fs");
  const d = YAML.parseAllDocuments(fs.readFileSync(process.argv[2], "utf8")).map((x) => x.toJS())
    .find((o) => o && o.kind === "Deployment");
  const c = d.spec.template.spec.containers[0];
  const port = (p) => c.ports.find((x) => x.name === p || x.containerPort === p).containerPort;
  for (const k of ["startupProbe", "livenessProbe", "readinessProbe"])
    console.log(k, port(c[k].httpGet.port), c[k].httpGet.path);' "$tools" "$work/rendered.yaml")"
while read -r probe port path; do
  res="$(http_get "http://127.0.0.1:$port$path")"
  [ "$(head -1 <<<"$res" | cut -d' ' -f1)" = 200 ] || { echo "FAIL: $probe $path: $res"; exit 1; }
  echo "ok: $probe GET :$port$path -> $(tr '\n' ' ' <<<"$res")"
done <<<"$probe_paths"

echo "== Issue/Introspect round trip over mutual TLS"
export TOKEND_TARGET="127.0.0.1:$api_port" TOKEND_CA="$work/certs/ca.crt" \
       TOKEND_CERT="$work/certs/tokenctl.crt" TOKEND_KEY="$work/certs/tokenctl.key"
issued="$("$tokenctl" issue --subject alice --audience api://test --scope test:read)"
access="$(sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' <<<"$issued")"
[ -n "$access" ] || { echo "FAIL: no access token in: $issued"; exit 1; }
echo "ok: issued an access token (${#access} bytes)"
introspected="$("$tokenctl" introspect --token "$access")"
grep -q '"active": *true' <<<"$introspected" || { echo "FAIL: introspect: $introspected"; exit 1; }
grep -q '"issuer": *"https://tokend.test"' <<<"$introspected" ||
  { echo "FAIL: issuer is not the chart's config.issuer: $introspected"; exit 1; }
grep -q '"subject": *"alice"' <<<"$introspected" || { echo "FAIL: subject: $introspected"; exit 1; }
echo "ok: introspect: active, issuer from the chart's config, subject alice"
# The policy comes from the chart's config.callers: Revoke is not granted.
if "$tokenctl" revoke --token "$access" 2> "$work/revoke.err"; then
  echo "FAIL: revoke allowed although config.callers does not grant it"; exit 1
fi
grep -q PERMISSION_DENIED "$work/revoke.err" || { cat "$work/revoke.err"; exit 1; }
echo "ok: Revoke, not granted by config.callers, is PERMISSION_DENIED"

res="$(http_get "http://127.0.0.1:$ops_port/readyz")"
[ "$(head -1 <<<"$res" | cut -d' ' -f1)" = 200 ] || { echo "FAIL: /readyz: $res"; exit 1; }
echo "ok: /readyz -> 200 after the round trip"
metrics="$(http_get "http://127.0.0.1:$ops_port/metrics")"
grep -q 'tokend_rpc_requests_total{.*Issue' <<<"$metrics" || { echo "FAIL: no Issue in /metrics"; exit 1; }
echo "ok: /metrics counts the Issue call"
jwks="$(http_get "http://127.0.0.1:$ops_port/.well-known/jwks.json")"
grep -q '^200 public, max-age=' <<<"$jwks" && grep -q '"keys"' <<<"$jwks" ||
  { echo "FAIL: JWKS: $jwks"; exit 1; }
echo "ok: /.well-known/jwks.json with Cache-Control"

stop_server_pod
echo "PASS rendered_config_test"
