#!/usr/bin/env bash
# Keeps tokend's layering honest (README.md, "Design choices"): each
# third-party API may be included only by the layer that owns it, and no layer
# includes one above it.
# Usage: check_layering.sh <source root>. Prints every violation; exit 1 if any.
set -uo pipefail
root="$1"
cd "$root"
status=0

# Files (under server/ and client/) that include <pattern> outside the allowed paths.
forbid() {
  local pattern="$1" allowed="$2" why="$3"
  local hits
  hits=$(grep -rlE --include='*.h' --include='*.cc' "$pattern" server client |
         grep -vE "$allowed" || true)
  if [ -n "$hits" ]; then
    echo "layering: $why:"; echo "$hits" | sed 's/^/  /'; status=1
  fi
}

# Third-party APIs: only their owning layer includes them.
forbid '#include <pqxx/' '^server/store/postgres/' \
  'libpqxx is included outside server/store/postgres'
forbid '#include <(grpcpp|grpc)/' '^(server/rpc/|client/|server/main\.cc$)' \
  'gRPC is included outside server/rpc, client/ and server/main.cc'
# keys holds EVP_PKEY handles made by crypto; the TLS file check reads X.509.
forbid '#include <openssl/' '^(server/crypto/|server/keys/|server/rpc/server_credentials\.cc$|client/)' \
  'OpenSSL is included outside server/crypto and server/keys'
forbid '#include "store/postgres/' '^(server/store/postgres/|server/main\.cc$)' \
  'something other than main.cc names the PostgreSQL store'

# Project layers: a layer includes only the layers below it.
#   rpc -> service -> jwt -> keys -> crypto;  jwt -> json;  service -> store;  all -> common
# An optional third argument names the headers of those layers that are allowed.
layer_may_not_include() {
  local dir="$1" pattern="$2" except="${3:-^\$}"
  local hits
  hits=$(grep -rHE --include='*.h' --include='*.cc' "#include \"($pattern)/" "server/$dir" |
         grep -vE "$except" | cut -d: -f1 | sort -u || true)
  if [ -n "$hits" ]; then
    echo "layering: server/$dir includes one of ($pattern):"; echo "$hits" | sed 's/^/  /'
    status=1
  fi
}
layer_may_not_include common 'crypto|json|keys|jwt|store|service|rpc|ops|config'
layer_may_not_include crypto 'json|keys|jwt|store|service|rpc|ops|config'
# json (the strict JSON parser) stands on common alone, so any layer may read JSON through it.
layer_may_not_include json 'crypto|keys|jwt|store|service|rpc|ops|config'
layer_may_not_include keys 'jwt|store|service|rpc|ops|config'
layer_may_not_include jwt 'store|service|rpc|ops|config'
layer_may_not_include store 'crypto|json|keys|jwt|service|rpc|ops|config'
layer_may_not_include service 'rpc|ops|config|store/postgres'
layer_may_not_include ops 'crypto|json|keys|jwt|store|service|rpc|config'
# config produces plain options (main.cc makes the service's types of them);
# it checks signing_keys[*].alg against crypto's own list of algorithm names.
layer_may_not_include config 'crypto|json|keys|jwt|store|service|rpc|ops' \
  '#include "crypto/signature_algorithm\.h"'
# The verifier verifies with the server's own token code (jwt, keys and the
# crypto under them), so that a token reads the same in and out of tokend.
hits=$(grep -rlE --include='*.h' --include='*.cc' '#include "(crypto|json|keys|jwt|store|service|rpc|ops|config)/' client |
       grep -vE '^client/verifier\.(h|cc)$' || true)
hits="$hits$(grep -rlE --include='*.h' --include='*.cc' '#include "(store|service|rpc|ops|config)/' client || true)"

if [ -n "$hits" ]; then
  echo "layering: the client includes server internals:"; echo "$hits" | sed 's/^/  /'; status=1
fi

[ "$status" -eq 0 ] && echo "layering: ok"
exit "$status"
