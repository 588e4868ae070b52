#!/usr/bin/env bash
# The image is real: builds it from the binaries of <build dir>
# (deploy/image/build.sh --no-build), runs deploy/image/smoke.sh on it, then
# removes it from the local container storage. Exit 77 (skipped) when not
# root: the image tools and the PostgreSQL helper need root.
# Usage: image_test.sh <build dir> <work dir>
set -euo pipefail
build="$1" work="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: building and running the image needs root"
  exit 77
fi
tag="localhost/tokend-ctest:$$"
trap 'podman rmi -f "$tag" >/dev/null 2>&1 || true' EXIT
rm -rf "$work"
mkdir -p "$work"
t0=$SECONDS
TMPDIR="$work" bash "$root/deploy/image/build.sh" --no-build --build-dir "$build" --tag "$tag"
t1=$SECONDS
TOKEND_SMOKE_DIR="$work/smoke" bash "$root/deploy/image/smoke.sh" "$tag"
echo "image build $((t1 - t0)) s, smoke $((SECONDS - t1)) s"
