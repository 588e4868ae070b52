#!/usr/bin/env bash
# Makes <dir> a runnable copy of client/node for the node_client_test: the
# folder's files, and its npm packages (package-lock.json) installed by
# `npm ci`, again only when the lock file changed. Then checks the package as
# its users would: the TypeScript types (tsc over index.d.ts, the generated
# types, the example and the tests) and that client/generate.sh, with this
# proto-loader-gen-types, makes the checked-in generated code. Safe to run
# concurrently (flock).
# Usage: node_client_setup.sh <dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
src="$root/client/node"
dir="$1"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

command -v npm >/dev/null || { echo "npm not found (deploy/dev/install-deps.sh installs it)" >&2; exit 1; }
# Everything but node_modules, fresh each time (the sources may have changed).
find "$dir" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .lock ! -name .installed \
  -exec rm -rf {} +
(cd "$src" && tar --exclude=./node_modules -cf - .) | (cd "$dir" && tar -xf -)

stamp="$dir/.installed"
want="$(cat "$src/package.json" "$src/package-lock.json" "$src/.npmrc" | sha256sum | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -f "$stamp"
  (cd "$dir" && npm ci --loglevel=error --fetch-retries=1 --fetch-timeout=60000 >npm.log 2>&1) || {
    echo "npm ci failed in $dir:" >&2; tail -20 "$dir/npm.log" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

(cd "$dir" && ./node_modules/.bin/tsc -p .)
echo "ok: TypeScript types check (index.d.ts, generated/, example.js, test/)"
PROTO_LOADER_GEN_TYPES="$dir/node_modules/.bin/proto-loader-gen-types" bash "$root/client/generate.sh" --check
