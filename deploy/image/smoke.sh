#!/usr/bin/env bash
# Runs the tokend image with podman the way the Helm chart runs its pods, and
# does the Issue/Introspect round trip through containers:
#   - a private PostgreSQL on 127.0.0.1 (deploy/dev/pg.sh), a dev PKI and an
#     ES256 key (deploy/dev/make-certs.sh);
#   - the chart's layout: config in /etc/tokend/config, TLS in /etc/tokend/tls,
#     keys in /etc/tokend/keys (read-only directories, files 0440 owned by
#     group 65532 as the kubelet does with fsGroup), the DSN only in
#     TOKEND_DATABASE_DSN;
#   - the chart's hardening: uid 65532, read-only root filesystem, no
#     capabilities, no-new-privileges, a tmpfs /tmp;
#   - `tokend migrate` in a container, then `tokend serve` in a container on
#     the host network, /readyz, and tokenctl issue + introspect in a
#     container with the client certificate, then /readyz and /metrics, and a
#     clean stop (SIGTERM, exit 0).
# Usage: deploy/image/smoke.sh [IMAGE]   (default localhost/tokend:<version>)
# Env: TOKEND_SMOKE_DIR (work dir, default a new temp dir, removed after),
#      TOKEND_PODMAN_RUN_ARGS (extra `podman run` arguments).
# Needs root (the PostgreSQL helper runs the cluster as user postgres), podman.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(sed -n 's/^project(tokend VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
image="${1:-localhost/tokend:$version}"
work="${TOKEND_SMOKE_DIR:-$(mktemp -d "${TMPDIR:-/var/tmp}/tokend-smoke.XXXXXX")}"
name="tokend-smoke-$$"
rm -rf "$work"
mkdir -p "$work"
source "$root/deploy/dev/pg.sh"

t0=$SECONDS
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  pg_stop "$work/pg-state"
  rm -rf "$(pg_datadir "$work/pg-state")"
  [ -n "${TOKEND_SMOKE_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -20 "$work/serve.log" >&2; exit 1; }
http_status() { curl -s -o "$work/body" -w '%{http_code}' "$1" 2>/dev/null || echo 000; }
command -v curl >/dev/null || fail "curl is needed"

podman image exists "$image" || fail "no image $image (build it: deploy/image/build.sh)"

# How this machine lets podman run containers. Some sandboxes forbid raising
# resource limits (no CAP_SYS_RESOURCE) and mix cgroup v1 and v2, which crun
# refuses: there, runc with limits no higher than the current ones works.
run_args=(--rm --network host --user 65532:65532 --read-only --cap-drop ALL
          --security-opt no-new-privileges --tmpfs /tmp:rw,size=16m)
read -r -a extra <<< "${TOKEND_PODMAN_RUN_ARGS:-}"
run_args+=("${extra[@]}")
if ! podman run "${run_args[@]}" "$image" version > "$work/probe.out" 2> "$work/probe.err"; then
  echo "podman run failed as configured: $(tail -1 "$work/probe.err")"
  nofile="$(ulimit -Hn)"
  fallback=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
  command -v runc >/dev/null && fallback=(--runtime runc "${fallback[@]}")
  echo "retrying with: ${fallback[*]}"
  podman run "${run_args[@]}" "${fallback[@]}" "$image" version > "$work/probe.out" 2> "$work/probe.err" ||
    fail "podman cannot run the image here: $(tail -1 "$work/probe.err")"
  run_args+=("${fallback[@]}")
fi
echo "ok: $(cat "$work/probe.out") (podman run ${run_args[*]})"

pg_start_on_free_port "$work/pg-state"
pg_psql "$work/pg-state" "$pg_port" -q -c "CREATE DATABASE tokend" >/dev/null
bash "$root/deploy/dev/make-certs.sh" "$work/certs"

# The pod's volumes, as the kubelet lays them out for fsGroup 65532.
mkdir -p "$work/config" "$work/tls" "$work/keys" "$work/client"
cp "$work/certs/server.crt" "$work/tls/tls.crt"
cp "$work/certs/server.key" "$work/tls/tls.key"
cp "$work/certs/ca.crt" "$work/tls/ca.crt"
cp "$work/certs/signing-es256.pem" "$work/keys/current.pem"
cp "$work/certs/tokenctl.crt" "$work/client/tls.crt"
cp "$work/certs/tokenctl.key" "$work/client/tls.key"
cp "$work/certs/ca.crt" "$work/client/ca.crt"
api_port="$(free_loopback_port)"
ops_port="$(free_loopback_port)"
cat > "$work/config/tokend.yaml" <<YAML
listen: "0.0.0.0:$api_port"
ops_listen: "0.0.0.0:$ops_port"
shutdown_grace: 5s
tls:
  cert_file: /etc/tokend/tls/tls.crt
  key_file: /etc/tokend/tls/tls.key
  client_ca_file: /etc/tokend/tls/ca.crt
database:
  pool_size: 4
issuer: "https://tokend.smoke"
signing_keys:
  - file: /etc/tokend/keys/current.pem
    alg: ES256
callers:
  - id: "spiffe://tokend.dev/tokenctl"
    rpcs: [Issue, Introspect, GetJwks]
    issue_for_others: true
    audiences: ["api://smoke"]
    scopes: ["smoke:read"]
    max_ttl: 10m
YAML
chgrp -R 65532 "$work/config" "$work/tls" "$work/keys" "$work/client"
chmod 0750 "$work/config" "$work/tls" "$work/keys" "$work/client"
chmod 0440 "$work"/config/* "$work"/tls/* "$work"/keys/* "$work"/client/*
mounts=(-v "$work/config:/etc/tokend/config:ro" -v "$work/tls:/etc/tokend/tls:ro"
        -v "$work/keys:/etc/tokend/keys:ro")
dsn="postgresql://postgres@127.0.0.1:$pg_port/tokend"

echo "== tokend migrate (the chart's migration Job)"
podman run "${run_args[@]}" "${mounts[@]}" -e "TOKEND_DATABASE_DSN=$dsn" "$image" \
  migrate --config /etc/tokend/config/tokend.yaml 2> "$work/migrate.log" ||
  { cat "$work/migrate.log"; fail "migrate"; }
grep -q 'database migrated' "$work/migrate.log" || { cat "$work/migrate.log"; fail "migrate said nothing"; }
echo "ok: $(grep -o 'msg="database migrated".*' "$work/migrate.log")"

echo "== tokend serve (the chart's Deployment), the image's default command"
detached=()
for a in "${run_args[@]}"; do [ "$a" = --rm ] || detached+=("$a"); done
podman run -d --name "$name" "${detached[@]}" "${mounts[@]}" -e "TOKEND_DATABASE_DSN=$dsn" \
  "$image" > /dev/null
for _ in $(seq 1 100); do
  [ "$(http_status "http://127.0.0.1:$ops_port/readyz")" = 200 ] && break
  [ "$(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] ||
    { podman logs "$name" > "$work/serve.log" 2>&1; fail "the container exited"; }
  sleep 0.2
done
podman logs "$name" > "$work/serve.log" 2>&1
[ "$(http_status "http://127.0.0.1:$ops_port/readyz")" = 200 ] || fail "/readyz never 200"
echo "ok: /readyz 200 ($(grep -o 'msg=serving.*' "$work/serve.log"))"
echo "ok: user $(podman inspect -f '{{.Config.User}}' "$name"), read-only root filesystem: $(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$name")"

echo "== tokenctl issue + introspect from a container, over mutual TLS"
ctl=(podman run "${run_args[@]}" -v "$work/client:/etc/tokenctl:ro" --entrypoint /usr/local/bin/tokenctl
     "$image" --target "127.0.0.1:$api_port" --ca /etc/tokenctl/ca.crt
     --cert /etc/tokenctl/tls.crt --key /etc/tokenctl/tls.key)
issued="$("${ctl[@]}" issue --subject alice --audience api://smoke --scope smoke:read)" ||
  fail "issue: $issued"
access="$(sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' <<<"$issued")"
[ -n "$access" ] || fail "no access token: $issued"
echo "ok: issued (${#access}-byte JWT)"
introspected="$("${ctl[@]}" introspect --token "$access")" || fail "introspect: $introspected"
grep -q '"active": *true' <<<"$introspected" || fail "not active: $introspected"
grep -q '"subject": *"alice"' <<<"$introspected" || fail "subject: $introspected"
echo "ok: introspect: $(grep -o '"active": *true' <<<"$introspected"), subject alice, issuer $(grep -o '"issuer": *"[^"]*"' <<<"$introspected" | cut -d'"' -f4)"
health="$("${ctl[@]}" health)" || fail "health: $health"
echo "ok: tokenctl health (what the chart's helm test runs): $health"

[ "$(http_status "http://127.0.0.1:$ops_port/readyz")" = 200 ] || fail "/readyz after the round trip"
echo "ok: /readyz 200"
[ "$(http_status "http://127.0.0.1:$ops_port/metrics")" = 200 ] &&
  grep -q 'tokend_rpc_requests_total{.*Issue' "$work/body" || fail "/metrics lacks the Issue call"
echo "ok: /metrics counts the Issue call"

echo "== podman stop (SIGTERM) drains and exits 0"
podman stop -t 20 "$name" > /dev/null
code="$(podman inspect -f '{{.State.ExitCode}}' "$name")"
[ "$code" = 0 ] || { podman logs "$name" 2>&1 | tail -5; fail "exit code $code"; }
echo "ok: exit code 0"
echo "PASS image smoke ($image) in $((SECONDS - t0)) s"
