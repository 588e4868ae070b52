#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running tokend:
#   installs what is missing, builds (Release), starts a private PostgreSQL
#   on 127.0.0.1:55432, makes dev certificates and an ES256 signing key,
#   migrates, starts tokend on 127.0.0.1:8443 (ops on 127.0.0.1:9090), shows
#   a tokenctl round trip, then keeps serving until Ctrl-C.
# Options: --detach        leave tokend and PostgreSQL running in the background
#                          (stop them with: bash deploy/dev/down.sh)
#          --managed-keys  managed signing keys on a demo schedule (a new key
#                          every 2 minutes, published 20 s ahead; 1-minute
#                          access tokens) instead of the key file, to watch
#                          rotations happen (README, "Managed signing keys")
# Everything it makes lives in .dev/ (certificates, key, config, logs) and in
# the PostgreSQL data directory it prints.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dev="$root/.dev"
build="$root/build/release"
detach=0
managed=0
for arg in "$@"; do
  case "$arg" in
    --detach) detach=1 ;;
    --managed-keys) managed=1 ;;
    *) echo "up.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

bash "$root/deploy/dev/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOKEND_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target tokend tokenctl

mkdir -p "$dev"
source "$root/deploy/dev/pg.sh"
pg_start "$dev" 55432
pg_psql "$dev" 55432 -c "CREATE DATABASE tokend" >/dev/null 2>&1 || true

bash "$root/deploy/dev/make-certs.sh" "$dev/certs"

access_ttl=15m
max_ttl=1h
keys_yaml="signing_keys:
  - file: $dev/certs/signing-es256.pem
    alg: ES256"
if [ "$managed" -eq 1 ]; then
  # The key-encryption key: 32 random bytes, base64. Keep it: without it the
  # keys in the database cannot be decrypted.
  [ -s "$dev/kek" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$dev/kek")
  access_ttl=1m
  max_ttl=1m
  # A demo schedule: publish_ahead below the JWK Set's max-age (300 s) is
  # refused unless allow_short_publish_ahead says this is not production.
  keys_yaml="keys:
  managed: true
  alg: ES256
  rotate_every: 2m
  publish_ahead: 20s
  allow_short_publish_ahead: true
  kek_files: [$dev/kek]"
fi

cat > "$dev/tokend.yaml" <<YAML
listen: "127.0.0.1:8443"
ops_listen: "127.0.0.1:9090"
shutdown_grace: 10s
reflection: true  # grpcurl and Postman work without the proto file
tls:
  cert_file: $dev/certs/server.crt
  key_file: $dev/certs/server.key
  client_ca_file: $dev/certs/ca.crt
database:
  dsn: "postgresql://postgres@127.0.0.1:55432/tokend"
  pool_size: 8
  migrate_on_start: false
issuer: "https://tokend.dev.local"
tokens:
  access_ttl: $access_ttl
  refresh_idle_ttl: 720h
  refresh_absolute_ttl: 2160h
  leeway: 5s
$keys_yaml
callers:
  - id: "spiffe://tokend.dev/tokenctl"
    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks]
    issue_for_others: true
    audiences: ["api://demo"]
    scopes: ["demo:read", "demo:write"]
    max_ttl: $max_ttl
YAML

if [ -f "$dev/tokend.pid" ] && kill -0 "$(cat "$dev/tokend.pid")" 2>/dev/null; then
  kill "$(cat "$dev/tokend.pid")"; sleep 1
fi
"$build/server/tokend" migrate --config "$dev/tokend.yaml"
"$build/server/tokend" serve --config "$dev/tokend.yaml" 2>"$dev/tokend.log" &
echo $! > "$dev/tokend.pid"
for _ in $(seq 1 100); do
  grep -q 'msg=serving' "$dev/tokend.log" && break
  kill -0 "$(cat "$dev/tokend.pid")" 2>/dev/null || { cat "$dev/tokend.log"; exit 1; }
  sleep 0.1
done
grep -q 'msg=serving' "$dev/tokend.log" || { cat "$dev/tokend.log"; exit 1; }

export TOKEND_TARGET=127.0.0.1:8443 TOKEND_CA="$dev/certs/ca.crt" \
       TOKEND_CERT="$dev/certs/tokenctl.crt" TOKEND_KEY="$dev/certs/tokenctl.key"
ctl="$build/client/tokenctl"
echo "== tokenctl issue --subject alice --audience api://demo --scope demo:read --refresh"
issued=$("$ctl" issue --subject alice --audience api://demo --scope demo:read --refresh)
echo "$issued"
access=$(echo "$issued" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
echo "== tokenctl introspect --token <access token>"
"$ctl" introspect --token "$access"
echo "== tokenctl revoke --token <access token>"
"$ctl" revoke --token "$access"
echo "== tokenctl introspect --token <access token>   (now inactive)"
"$ctl" introspect --token "$access"
echo "== tokenctl jwks"
"$ctl" jwks

cat <<MSG

tokend is serving on 127.0.0.1:8443 (mutual TLS) and 127.0.0.1:9090 (ops).
Use tokenctl with:
  export TOKEND_TARGET=127.0.0.1:8443 TOKEND_CA=$dev/certs/ca.crt \\
         TOKEND_CERT=$dev/certs/tokenctl.crt TOKEND_KEY=$dev/certs/tokenctl.key
  $ctl issue --audience api://demo --scope demo:read
Logs: $dev/tokend.log
MSG
if [ "$detach" -eq 1 ]; then
  echo "Stop with: bash deploy/dev/down.sh"
  exit 0
fi
echo "Ctrl-C stops tokend and its PostgreSQL."
trap 'kill -TERM "$(cat "$dev/tokend.pid")" 2>/dev/null; wait; pg_stop "$dev"; rm -f "$dev/tokend.pid"' INT TERM
tail -f "$dev/tokend.log" &
wait "$(cat "$dev/tokend.pid")" || true
