#!/usr/bin/env bash
# Two builds of tokend side by side, for the rule that no change makes a
# workload more than 5% slower:
#
#   bash tests/bench/compare.sh --base OLD_BUILD_DIR --new NEW_BUILD_DIR
#
# Both build trees must hold a Release server/tokend (run.sh builds one in
# build-bench/; build the older commit in a worktree of its own). The load
# generator and the no-op baseline server come from the new tree.
#
# One private PostgreSQL with one database per build (each migrated by its own
# binary), both tokends serving at once, then rounds of the load generator
# alternating between them (base then new in odd rounds, new then base in even
# ones), each run between two no-op baseline runs over the same mTLS channel.
# A single run on a shared machine drifts by more than 5%; adjacent runs of a
# round drift much less, so the figure is the median over rounds of
# new ratio / base ratio, where a ratio is calls/s over the no-op baseline.
#
# Options:
#   --rounds N          (default 6)
#   --workloads LIST    (default issue,introspect_repeated)
#   --duration D --warmup D --concurrency N --channels N
#   --out FILE          also write the report (markdown) to FILE
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
command_line="bash tests/bench/compare.sh $*"

base=""
new=""
rounds=6
workloads=issue,introspect_repeated
duration=5s
warmup=1s
concurrency=64
channels=4
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift ;;
    --new) new="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --workloads) workloads="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --channels) channels="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$base" ] && [ -n "$new" ] || { echo "compare.sh: --base and --new are required" >&2; exit 2; }
base="$(cd "$base" && pwd)"
new="$(cd "$new" && pwd)"
loadgen="$new/tests/bench/tokend_bench_loadgen"
noop="$new/tests/bench/tokend_bench_noop_server"
for bin in "$base/server/tokend" "$new/server/tokend" "$loadgen" "$noop"; do
  [ -x "$bin" ] || { echo "compare.sh: $bin is not built" >&2; exit 2; }
done

log() { echo "[compare $(date +%H:%M:%S)] $*" >&2; }

source "$root/tests/bench/bench_env.sh"
work="$new/bench-compare"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  pg_stop "$work/state"
  rm -rf "$(pg_datadir "$work/state")"
  true
}
trap cleanup EXIT

rm -rf "$work"
bench_pg_start "$work/state"
bash "$root/deploy/dev/make-certs.sh" "$work/certs" >/dev/null
certs="$work/certs"

declare -A port
for which in base new; do
  pg_psql "$work/state" "$pg_port" -qc "CREATE DATABASE tokend_$which" >/dev/null
  write_bench_config "$work/$which.yaml" "postgresql://postgres@127.0.0.1:$pg_port/tokend_$which" "$certs"
  dir=${!which}
  "$dir/server/tokend" migrate --config "$work/$which.yaml" 2>"$work/$which-migrate.log"
  "$dir/server/tokend" serve --config "$work/$which.yaml" >/dev/null 2>"$work/$which.log" &
  pids+=($!)
  declare "pid_$which=$!"
done
"$noop" --listen 127.0.0.1:0 --cert "$certs/server.crt" --key "$certs/server.key" \
  --ca "$certs/ca.crt" >"$work/noop.out" 2>"$work/noop.log" &
pids+=($!)
noop_pid=$!
for which in base new; do
  for _ in $(seq 1 1000); do grep -q 'msg=serving' "$work/$which.log" && break; sleep 0.01; done
  port[$which]=$(sed -n 's/.*msg=serving.*api_port=\([0-9]*\).*/\1/p' "$work/$which.log" | head -1)
  [ -n "${port[$which]}" ] || { cat "$work/$which.log" >&2; exit 1; }
done
for _ in $(seq 1 500); do grep -q '^port=' "$work/noop.out" && break; sleep 0.01; done
noop_port=$(sed -n 's/^port=//p' "$work/noop.out")
[ -n "$noop_port" ] || { cat "$work/noop.log" >&2; exit 1; }
log "base tokend on :${port[base]}, new on :${port[new]}, no-op on :$noop_port"

# One load generator run; appends "round which workload calls ratio server_us" lines.
results="$work/results.txt"
: >"$results"
run_one() {
  local round="$1" which="$2" pid_var="pid_$2"
  "$loadgen" --target "127.0.0.1:${port[$which]}" --baseline_target "127.0.0.1:$noop_port" \
    --ca "$certs/ca.crt" --cert "$certs/tokenctl.crt" --key "$certs/tokenctl.key" \
    --server_pid "${!pid_var}" --baseline_pid "$noop_pid" \
    --concurrency "$concurrency" --channels "$channels" --warmup "$warmup" \
    --duration "$duration" --workloads "$workloads" --max_supply 200000 \
    --markdown_out "$work/run.md" --fail_on_errors >"$work/run-$round-$which.txt" 2>&1 ||
    { cat "$work/run-$round-$which.txt" >&2; exit 1; }
  # Table columns: workload | calls/s | baseline | ratio | ... | CPU per call (server first) | ...
  awk -F'|' -v r="$round" -v w="$which" '
    NR > 2 { gsub(/ /, "", $2); gsub(/ /, "", $3); gsub(/ /, "", $5);
             split($11, cpu, "/"); gsub(/ /, "", cpu[1]);
             print r, w, $2, $3, $5, cpu[1] }' "$work/run.md" >>"$results"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for which in $order; do
    log "round $round/$rounds: $which"
    run_one "$round" "$which"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

report() {
  echo "Command: \`$command_line\`"
  echo
  echo "Base: \`$base\`; new: \`$new\`. Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1);"
  echo "load average before $load_before, after $load_after. $rounds rounds, $duration per run, $concurrency calls in flight over $channels channels."
  echo
  echo "| workload | base ratio per round | new ratio per round | new / base per round | median new / base | server CPU us per call, median base -> new |"
  echo "|---|---|---|---|---:|---:|"
  for wl in ${workloads//,/ }; do
    awk -v wl="$wl" '
      function median(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      $3 == wl { ratio[$1, $2] = $5; cpu[$2, ++ncpu[$2]] = $6; if ($1 > rounds) rounds = $1 }
      END {
        for (r = 1; r <= rounds; r++) {
          b = b sprintf("%s%.3f", r > 1 ? " " : "", ratio[r, "base"])
          n = n sprintf("%s%.3f", r > 1 ? " " : "", ratio[r, "new"])
          q[r] = ratio[r, "new"] / ratio[r, "base"]
          p = p sprintf("%s%.3f", r > 1 ? " " : "", q[r])
        }
        for (i = 1; i <= ncpu["base"]; i++) cb[i] = cpu["base", i]
        for (i = 1; i <= ncpu["new"]; i++) cn[i] = cpu["new", i]
        printf "| %s | %s | %s | %s | %.3f | %s -> %s |\n", wl, b, n, p, median(q, rounds),
               median(cb, ncpu["base"]), median(cn, ncpu["new"])
      }' "$results"
  done
}
report | tee ${out:+"$out"}
