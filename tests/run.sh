#!/usr/bin/env bash
# Runs every test of tokend on a fresh Debian 12 machine: installs what is
# missing, builds, then runs the whole suite with ctest. Each PostgreSQL-backed
# test binary starts its own private PostgreSQL cluster on loopback; every
# server under test is a real tokend process over real mutual TLS with
# certificates made for the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${TOKEND_BUILD_DIR:-$root/build/test}"

# --- Sanitizer stages: arguments (tests/sanitize/README.md) ---------------
# No arguments (CI): the normal suite, then ASan+UBSan, then TSan, then the
# fuzz stage.
# --sanitize address,undefined | --sanitize thread [ctest args]: that stage
# alone. Any other arguments go to the normal suite's ctest, with no
# sanitizer stage.
sanitize_modes=()
run_normal=1
run_fuzz=0
if [ $# -eq 0 ]; then
  sanitize_modes=(address,undefined thread)
  run_fuzz=1
elif [ "$1" = --sanitize ]; then
  sanitize_modes=("${2:?--sanitize needs a mode: address,undefined or thread}")
  run_normal=0
  shift 2
fi
# ---------------------------------------------------------------------------

bash "$root/deploy/dev/install-deps.sh"

# buf (protobuf lint) comes from npm; installed once into the build tree.
tools="$root/build/tools"
if [ ! -x "$tools/node_modules/.bin/buf" ]; then
  mkdir -p "$tools"
  (cd "$tools" && { [ -f package.json ] || npm init -y >/dev/null; } &&
     npm install --no-audit --no-fund --silent @bufbuild/buf@1 >/dev/null)
fi
export TOKEND_BUF="$tools/node_modules/.bin/buf"

if [ "$run_normal" = 1 ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTOKEND_BUF="$TOKEND_BUF" >/dev/null
  cmake --build "$build" -j2
  ctest --test-dir "$build" --output-on-failure -j2 --timeout 900 "$@"
fi

# --- Sanitizer stages: each builds its own tree (build/asan, build/tsan) --
for mode in "${sanitize_modes[@]}"; do
  bash "$root/tests/sanitize/stage.sh" "$mode" "$@"
done
# ---------------------------------------------------------------------------

# --- fuzz stage (tests/fuzz/README.md): every libFuzzer target, ASan+UBSan, 30 s each,
# in its own clang build tree; fails on any crash, leak or sanitizer report.
if [ "$run_fuzz" = 1 ]; then
  bash "$root/tests/fuzz/run.sh" --seconds "${TOKEND_FUZZ_SECONDS:-30}" --build-dir "$root/build/fuzz"
fi
# --- end of fuzz stage
