# Sourced by the benchmark scripts (run.sh, compare.sh, propagation.sh): a
# fresh private PostgreSQL and the tokend configuration they share, so that
# their figures come from the same setup.

source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/dev/pg.sh"

# bench_pg_start STATE_DIR: a new, empty cluster on a free loopback port
# (sets pg_port).
bench_pg_start() {
  local state="$1"
  mkdir -p "$state"
  rm -rf "$(pg_datadir "$state")"
  pg_start_on_free_port "$state"
}

# write_bench_config FILE DSN CERTS_DIR [POOL_SIZE] [RPCS]: tokend on a free
# loopback port, no ops port, the dev certificates of CERTS_DIR, one ES256
# key, and the load generator's certificate allowed RPCS (default: every
# unary RPC of the benchmark).
write_bench_config() {
  local file="$1" dsn="$2" certs="$3" pool_size="${4:-8}"
  local rpcs="${5:-Issue, Refresh, Introspect, Revoke, GetJwks}"
  cat >"$file" <<YAML
listen: "127.0.0.1:0"
ops_listen: ""
shutdown_grace: 5s
tls:
  cert_file: $certs/server.crt
  key_file: $certs/server.key
  client_ca_file: $certs/ca.crt
database:
  dsn: "$dsn"
  pool_size: $pool_size
  migrate_on_start: false
issuer: "https://tokend.bench.local"
tokens:
  access_ttl: 15m
  refresh_idle_ttl: 720h
  refresh_absolute_ttl: 2160h
  leeway: 5s
signing_keys:
  - file: $certs/signing-es256.pem
    alg: ES256
callers:
  - id: "spiffe://tokend.dev/tokenctl"
    rpcs: [$rpcs]
    issue_for_others: true
    audiences: ["api://bench"]
    scopes: ["bench:read", "bench:write"]
    max_ttl: 1h
YAML
}
