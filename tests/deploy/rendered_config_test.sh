#!/usr/bin/env bash
# The rendered configuration is real: renders the chart, lays out what the
# kubelet would mount for the migration Job and for the Deployment's
# container (materialize_pod.mjs: the ConfigMaps' files, the chart's DSN
# Secret, local certificates and a signing key in place of the TLS and key
# Secrets, paths rewritten only by prefix), runs the Job's command (`tokend
# migrate`) and then the Deployment's command with exactly the pod's
# environment against a private PostgreSQL, and checks /healthz, /readyz, an
# Issue/Introspect round trip with tokenctl over mutual TLS, /metrics, the JWK
# Set, and a clean drain on SIGTERM.
# The only substitution: the image's /usr/local/bin/{tokend,tokenctl} are the
# binaries of this build tree.
# Usage: rendered_config_test.sh <tools dir> <tokend> <tokenctl> <work dir>
set -euo pipefail
tools="$1" tokend="$2" tokenctl="$3" work="$4"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
helm="$tools/bin/helm"
chart="$root/deploy/helm/tokend"

rm -rf "$work"
mkdir -p "$work"
source "$root/deploy/dev/pg.sh"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
  pg_stop "$work/pg-state"
  rm -rf "$(pg_datadir "$work/pg-state")"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
http_get() {  # <url> -> "<status> <cache-control>\n<body>"
  node -e '
    fetch(process.argv[1]).then(async (r) => {
      console.log(r.status, r.headers.get("cache-control") ?? "-");
      console.log(await r.text());
    }).catch((e) => { console.log("000 -"); console.log(e.message); });' "$1"
}

pg_port="$(free_port)"
pg_start "$work/pg-state" "$pg_port" >/dev/null
pg_psql "$work/pg-state" "$pg_port" -q -c "CREATE DATABASE tokend" >/dev/null
bash "$root/deploy/dev/make-certs.sh" "$work/certs"

# What an operator would write: ports chosen free here, the DSN, a caller.
api_port="$(free_port)"
ops_port="$(free_port)"
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
  dsn: "postgresql://postgres@127.0.0.1:$pg_port/tokend"
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

# Replaces the calling (sub)shell with the pod's command and environment:
# call it as `( run_pod ... )` or `run_pod ... &`.
run_pod() {  # <root> <binary>
  local pod_root="$1" binary="$2" argv env_list
  mapfile -d '' argv < "$pod_root/argv"
  mapfile -d '' env_list < "$pod_root/env"
  if [ "${argv[0]}" != "/usr/local/bin/$(basename "$binary")" ]; then
    echo "FAIL: the container runs ${argv[0]}, not /usr/local/bin/$(basename "$binary")" >&2
    return 1
  fi
  exec env -i "${env_list[@]}" "$binary" "${argv[@]:1}"
}

echo "== the migration Job (pre-install hook)"
node "$here/materialize_pod.mjs" "$tools" "$work/rendered.yaml" Job "$full-migrate" migrate \
  "$work/job" "$work/secrets"
( run_pod "$work/job" "$tokend" ) 2> "$work/migrate.log" || { cat "$work/migrate.log"; exit 1; }
grep -q 'database migrated' "$work/migrate.log" || { cat "$work/migrate.log"; exit 1; }
echo "ok: tokend migrate exited 0: $(grep 'database migrated' "$work/migrate.log")"

echo "== the Deployment's container"
node "$here/materialize_pod.mjs" "$tools" "$work/rendered.yaml" Deployment "$full" tokend \
  "$work/pod" "$work/secrets"
run_pod "$work/pod" "$tokend" 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 1 150); do
  grep -q 'msg=serving' "$work/serve.log" && break
  kill -0 "$server_pid" 2>/dev/null || { echo "FAIL: tokend exited"; cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
grep -q 'msg=serving' "$work/serve.log" || { echo "FAIL: tokend did not start"; cat "$work/serve.log"; exit 1; }
echo "ok: serving ($(grep -o 'api_port=[0-9]* ops_port=[0-9]*' "$work/serve.log" | head -1))"

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

echo "== SIGTERM drains and exits 0"
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" -eq 0 ] || { echo "FAIL: tokend exited $rc"; tail -5 "$work/serve.log"; exit 1; }
echo "ok: tokend stopped cleanly"
echo "PASS rendered_config_test"
