#!/usr/bin/env bash
# The benchmark of issue 3 in one command, against a private PostgreSQL and a
# freshly built Release tokend:
#
#   bash tests/bench/run.sh           full run (about 8 minutes); writes BENCHMARKS.md
#   bash tests/bench/run.sh --smoke   CI smoke (under 90 s): a few seconds per RPC,
#                                     fails on any failed call; writes nothing in the tree
#
# It builds tokend and the bench tools (build-bench/, CMAKE_BUILD_TYPE=Release),
# starts a private PostgreSQL 15 (fsync and synchronous_commit on, as in
# production: "durable" means durable), makes a throw-away PKI, starts tokend
# and the no-op baseline server on loopback, then runs:
#   1. the load generator: every RPC mix between two baseline runs;
#   2. the JWT micro-benchmarks (Google Benchmark) beside bare OpenSSL;
#   3. startup to serving, and RSS, with 1,000,000 revoked-but-unexpired jtis;
# and writes the machine, the command and the tables, followed by
# tests/bench/notes.md (what bounds each figure, profiles, what changed).
#
# Options:
#   --build-dir DIR     build tree (default: build-bench; --smoke under ctest passes its own)
#   --no-build          use the binaries already in the build tree
#   --out FILE          where the report goes (default: BENCHMARKS.md; --smoke: in the build tree)
#   --duration D --warmup D --concurrency N --channels N --revocations N
#   --workloads LIST    comma-separated subset (see tokend_bench_loadgen --help)
#   --pool-size N       tokend's database.pool_size (default 8)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
command_line="bash tests/bench/run.sh $*"

smoke=0
build=""
do_build=1
out=""
duration=10s
warmup=2s
concurrency=64
channels=4
revocations=1000000
workloads=issue,issue_refresh,refresh,introspect_repeated,introspect_distinct,revoke,mix
pool_size=8
max_supply=400000
micro_args=(--benchmark_min_time=0.5 --benchmark_repetitions=5
            --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true)
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --build-dir) build="$2"; shift ;;
    --no-build) do_build=0 ;;
    --out) out="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --channels) channels="$2"; shift ;;
    --revocations) revocations="$2"; shift ;;
    --workloads) workloads="$2"; shift ;;
    --pool-size) pool_size="$2"; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" -eq 1 ]; then
  duration=1s; warmup=300ms; revocations=20000; max_supply=30000
  micro_args=(--benchmark_min_time=0.01)
fi
build="${build:-$root/build-bench}"
mkdir -p "$build" && build="$(cd "$build" && pwd)"  # absolute: the config names files in it
work="$build/bench-run"
[ "$smoke" -eq 1 ] && work="$build/bench-smoke"
if [ -z "$out" ]; then
  if [ "$smoke" -eq 1 ]; then out="$work/BENCHMARKS.md"; else out="$root/BENCHMARKS.md"; fi
fi

log() { echo "[bench $(date +%H:%M:%S)] $*"; }

if [ "$do_build" -eq 1 ]; then
  log "building Release in $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target tokend tokenctl tokend_bench_loadgen \
    tokend_bench_noop_server tokend_bench_jwt
fi
tokend="$build/server/tokend"
tokenctl="$build/client/tokenctl"
loadgen="$build/tests/bench/tokend_bench_loadgen"
noop="$build/tests/bench/tokend_bench_noop_server"
jwt_bench="$build/tests/bench/tokend_bench_jwt"
for bin in "$tokend" "$tokenctl" "$loadgen" "$noop" "$jwt_bench"; do
  [ -x "$bin" ] || { echo "run.sh: $bin is not built" >&2; exit 2; }
done

# Everything this run starts is stopped by pid (never by name) on exit.
source "$root/tests/bench/bench_env.sh"
tokend_pid=""
noop_pid=""
cleanup() {
  [ -n "$tokend_pid" ] && kill "$tokend_pid" 2>/dev/null && wait "$tokend_pid" 2>/dev/null
  [ -n "$noop_pid" ] && kill "$noop_pid" 2>/dev/null && wait "$noop_pid" 2>/dev/null
  pg_stop "$work/state"
  rm -rf "$(pg_datadir "$work/state")"
  true
}
trap cleanup EXIT

rm -rf "$work"
bench_pg_start "$work/state"
log "PostgreSQL on 127.0.0.1:$pg_port"
pg_psql "$work/state" "$pg_port" -qc "CREATE DATABASE tokend" >/dev/null
bash "$root/deploy/dev/make-certs.sh" "$work/certs"
certs="$work/certs"

write_bench_config "$work/tokend.yaml" "postgresql://postgres@127.0.0.1:$pg_port/tokend" "$certs" "$pool_size"
"$tokend" migrate --config "$work/tokend.yaml" 2>"$work/migrate.log"

# Starts tokend; sets tokend_pid, api_port and serving_seconds (from exec to
# its "serving" log line).
start_tokend() {
  local log_file="$1" start end
  start=$(date +%s%N)
  serving_started=$start
  "$tokend" serve --config "$work/tokend.yaml" >/dev/null 2>"$log_file" &
  tokend_pid=$!
  for _ in $(seq 1 6000); do
    grep -q 'msg=serving' "$log_file" && break
    kill -0 "$tokend_pid" 2>/dev/null || { cat "$log_file" >&2; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  grep -q 'msg=serving' "$log_file" || { cat "$log_file" >&2; exit 1; }
  api_port=$(sed -n 's/.*msg=serving.*api_port=\([0-9]*\).*/\1/p' "$log_file" | head -1)
  serving_seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
}
stop_tokend() {
  kill "$tokend_pid"
  wait "$tokend_pid" || true
  tokend_pid=""
}

start_tokend "$work/tokend.log"
"$noop" --listen 127.0.0.1:0 --cert "$certs/server.crt" --key "$certs/server.key" \
  --ca "$certs/ca.crt" >"$work/noop.out" 2>"$work/noop.log" &
noop_pid=$!
for _ in $(seq 1 500); do grep -q '^port=' "$work/noop.out" && break; sleep 0.01; done
noop_port=$(sed -n 's/^port=//p' "$work/noop.out")
[ -n "$noop_port" ] || { cat "$work/noop.log" >&2; exit 1; }
log "tokend pid $tokend_pid on 127.0.0.1:$api_port; baseline pid $noop_pid on 127.0.0.1:$noop_port"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Load.
log "load: $workloads, $concurrency concurrent calls over $channels channels, warm-up $warmup, $duration each"
postmaster_pid=$(head -1 "$(pg_datadir "$work/state")/postmaster.pid")
loadgen_cmd=("$loadgen" --target "127.0.0.1:$api_port" --baseline_target "127.0.0.1:$noop_port"
  --ca "$certs/ca.crt" --cert "$certs/tokenctl.crt" --key "$certs/tokenctl.key"
  --server_pid "$tokend_pid" --baseline_pid "$noop_pid" --database_pid "$postmaster_pid"
  --concurrency "$concurrency"
  --channels "$channels" --warmup "$warmup" --duration "$duration" --workloads "$workloads"
  --max_supply "$max_supply" --markdown_out "$work/load.md" --fail_on_errors)
set +e
"${loadgen_cmd[@]}" | tee "$work/load.txt"
load_status=${PIPESTATUS[0]}
set -e
stop_tokend

# 2. JWT micro-benchmarks.
log "JWT micro-benchmarks"
micro_status=0
"$jwt_bench" "${micro_args[@]}" --table_out="$work/jwt.md" >"$work/jwt.txt" 2>&1 || micro_status=$?
tail -n 14 "$work/jwt.txt"

# 3. Startup with N revoked-but-unexpired jtis. Each key is 22 base64url
# characters (16 bytes), like the jtis tokend mints; they were revoked (and
# recorded) over the past hour and expire within the next two, as a day's
# revocations of 15-minute to 1-hour tokens would.
log "startup with $revocations revocations"
pg_psql "$work/state" "$pg_port" -d tokend -q -c "
  INSERT INTO revocations (kind, key, revoked_at, expires_at, recorded_at)
  SELECT 1, translate(encode(substring(decode(md5('bench-jti-' || i), 'hex') from 1 for 16),
                             'base64'), '+/=', '-_'),
         t, t + interval '1 hour' + interval '1 hour' * random(), t
  FROM (SELECT i, now() - interval '1 hour' * random() AS t
        FROM generate_series(1, $revocations) AS i) AS s" -c "VACUUM ANALYZE revocations" >/dev/null
start_tokend "$work/tokend-startup.log"
startup_seconds=$serving_seconds
for _ in $(seq 1 6000); do
  grep -q 'revocation feed listening' "$work/tokend-startup.log" && break
  sleep 0.01
done
feed_seconds=$(awk -v s="$serving_started" -v e="$(date +%s%N)" 'BEGIN { printf "%.2f", (e - s) / 1e9 }')
TOKEND_TARGET="127.0.0.1:$api_port" TOKEND_CA="$certs/ca.crt" TOKEND_CERT="$certs/tokenctl.crt" \
  TOKEND_KEY="$certs/tokenctl.key" "$tokenctl" health >/dev/null
sleep 1
rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$tokend_pid/status")
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$tokend_pid/status")
loaded=$(sed -n 's/.*msg="revocations loaded".*count=\([0-9]*\).*/\1/p' "$work/tokend-startup.log")
load_seconds=$(sed -n 's/.*msg="revocations loaded".*seconds=\([0-9.]*\).*/\1/p' "$work/tokend-startup.log")
stop_tokend
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then echo pass; else echo FAIL; fi; }
rss_mb=$(awk -v k="$rss_kib" 'BEGIN { printf "%.0f", k / 1024 }')
hwm_mb=$(awk -v k="$hwm_kib" 'BEGIN { printf "%.0f", k / 1024 }')
{
  echo "| measure | value | target | result |"
  echo "|---|---:|---:|---|"
  echo "| startup to serving (exec to the \`serving\` log line; ${loaded:-?} revocations loaded in ${load_seconds:-?} s; the revocation feed listening after ${feed_seconds} s) | ${startup_seconds} s | <= 3 s | $(verdict "$startup_seconds" 3) |"
  echo "| server RSS once loaded and the revocation feed has replayed | ${rss_mb} MiB | <= 200 MB | $(verdict "$rss_kib" 195312) |"
  echo "| server peak RSS (VmHWM) during startup | ${hwm_mb} MiB | <= 200 MB | $(verdict "$hwm_kib" 195312) |"
} >"$work/startup.md"
cat "$work/startup.md"

# The report.
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
hypervisor=$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1)
{
  echo "# tokend benchmarks"
  echo
  if [ "$smoke" -eq 1 ]; then
    echo "**Smoke run**: a few seconds per RPC, to check the tools work. Not a measurement."
    echo
  fi
  echo "Written by \`tests/bench/run.sh\`; do not edit the tables by hand (the notes below"
  echo "them come from \`tests/bench/notes.md\`)."
  echo
  echo "- command: \`$command_line\`"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- server || echo ' (server/ modified)'), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $cpu_model, $(nproc) CPUs${hypervisor:+ ($hypervisor guest)}, $(free -g | awk '/^Mem:/ {print $2}') GiB memory, $(uname -sr); shared with other work (load average $load_before before the run, $load_after after)"
  echo "- PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on the same machine, default settings (fsync on, synchronous_commit on); tokend database.pool_size $pool_size"
  echo "- load: closed loop, $concurrency concurrent calls over $channels mTLS channels, warm-up $warmup, $duration per run; the server, the load generator and PostgreSQL share the CPUs"
  echo
  echo "## Load: calls/s as a ratio to the no-op baseline measured right before and after"
  echo
  cat "$work/load.md"
  echo
  echo "## JWT sign and verify beside bare OpenSSL (median CPU time of the repetitions)"
  echo
  cat "$work/jwt.md" 2>/dev/null || echo "(micro-benchmarks failed: see $work/jwt.txt)"
  echo
  echo "## Startup and memory with $revocations revoked-but-unexpired jtis"
  echo
  cat "$work/startup.md"
  echo
  cat "$root/tests/bench/notes.md"
} >"$out"
log "wrote $out"
if [ "$load_status" -ne 0 ] || [ "$micro_status" -ne 0 ]; then
  echo "run.sh: load generator exit $load_status, micro-benchmarks exit $micro_status" >&2
  exit 1
fi
