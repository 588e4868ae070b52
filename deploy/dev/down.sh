#!/usr/bin/env bash
# Stops what deploy/dev/up.sh --detach left running.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dev="$root/.dev"
if [ -f "$dev/tokend.pid" ]; then
  kill -TERM "$(cat "$dev/tokend.pid")" 2>/dev/null || true
  rm -f "$dev/tokend.pid"
fi
source "$root/deploy/dev/pg.sh"
pg_stop "$dev"
