#!/usr/bin/env bash
# Runs every test of tokend on a fresh Debian 12 machine: installs what is
# missing, builds, then runs the whole suite with ctest. Each PostgreSQL-backed
# test binary starts its own private PostgreSQL cluster on loopback; every
# server under test is a real tokend process over real mutual TLS with
# certificates made for the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TOKEND_BUILD_DIR:-$root/build/test}"

bash "$root/deploy/dev/install-deps.sh"

# buf (protobuf lint) comes from npm; installed once into the build tree.
tools="$root/build/tools"
if [ ! -x "$tools/node_modules/.bin/buf" ]; then
  mkdir -p "$tools"
  (cd "$tools" && { [ -f package.json ] || npm init -y >/dev/null; } &&
     npm install --no-audit --no-fund --silent @bufbuild/buf@1 >/dev/null)
fi
export TOKEND_BUF="$tools/node_modules/.bin/buf"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOKEND_BUF="$TOKEND_BUF" >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2 --timeout 900 "$@"

# --- fuzz stage (tests/fuzz/README.md): every libFuzzer target, ASan+UBSan, 30 s each,
# in its own clang build tree; fails on any crash, leak or sanitizer report.
bash "$root/tests/fuzz/run.sh" --seconds "${TOKEND_FUZZ_SECONDS:-30}" --build-dir "$root/build/fuzz"
# --- end of fuzz stage
