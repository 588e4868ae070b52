#!/usr/bin/env bash
# A longer run of the history checker under faults:
#   bash tests/chaos/run.sh [seconds] [more tokend_chaos flags...]
# (default 900 s). Builds tokend and the checker into build/test (or
# $TOKEND_BUILD_DIR) first. Exits like the checker: 0 with no violation.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TOKEND_BUILD_DIR:-$root/build/test}"
seconds="${1:-900}"
shift || true
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 --target tokend tokend_chaos
exec "$build/tests/chaos/tokend_chaos" --seconds "$seconds" "$@"
