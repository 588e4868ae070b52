#!/usr/bin/env bash
# Revocation propagation to WatchRevocations streams, in one command, against
# a private PostgreSQL and two freshly built Release tokend replicas:
#
#   bash tests/bench/propagation.sh           full run (about a minute)
#   bash tests/bench/propagation.sh --smoke   a few revocations, short windows: checks
#                                             the tools work (not a measurement)
#
# It builds tokend and tokend_bench_watch_propagation (build-bench/,
# CMAKE_BUILD_TYPE=Release), starts a private PostgreSQL 15 with every
# statement logged (log_statement = all), makes a throw-away PKI, starts two
# tokend replicas on that one database, and runs the tool, which:
#   1. counts the statements PostgreSQL logs in a quiet window with no
#      watcher, then in one while 100 watchers connect, read their
#      snapshots and stay open;
#   2. with those 100 streams open (50 per replica, over 5 connections
#      each), revokes 200 access tokens at 20/s alternating through the
#      replicas, and reports for each the time from the Revoke call's start
#      to the moment the last stream received it (p50/p90/p99/max; goal:
#      p99 <= 1 s).
# The results (markdown, with the machine and the command) go to --out.
#
# Options:
#   --build-dir DIR     build tree (default: build-bench)
#   --no-build          use the binaries already in the build tree
#   --out FILE          where the results go (default: DIR/propagation-run/propagation.md)
#   --watchers N --revocations N --rate R --quiet-window D --channels N (per replica)
#   --heartbeat D       the replicas' watch.heartbeat_interval (default: tokend's, 5s)
#   --preload N         revoked-but-unexpired jtis in the database before the replicas
#                       start (default 10000), so that every snapshot carries them
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
command_line="bash tests/bench/propagation.sh $*"

smoke=0
build=""
do_build=1
out=""
watchers=100
revocations=200
rate=20
quiet_window=10s
channels=5
heartbeat=""
preload=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --build-dir) build="$2"; shift ;;
    --no-build) do_build=0 ;;
    --out) out="$2"; shift ;;
    --watchers) watchers="$2"; shift ;;
    --revocations) revocations="$2"; shift ;;
    --rate) rate="$2"; shift ;;
    --quiet-window) quiet_window="$2"; shift ;;
    --channels) channels="$2"; shift ;;
    --heartbeat) heartbeat="$2"; shift ;;
    --preload) preload="$2"; shift ;;
    *) echo "propagation.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" -eq 1 ]; then
  watchers=10; revocations=20; rate=50; quiet_window=1s; channels=2; preload=100
fi
build="${build:-$root/build-bench}"
mkdir -p "$build" && build="$(cd "$build" && pwd)"  # absolute: the config names files in it
work="$build/propagation-run"
[ "$smoke" -eq 1 ] && work="$build/propagation-smoke"
out="${out:-$work/propagation.md}"

log() { echo "[propagation $(date +%H:%M:%S)] $*"; }

if [ "$do_build" -eq 1 ]; then
  log "building Release in $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target tokend tokend_bench_watch_propagation
fi
tokend="$build/server/tokend"
tool="$build/tests/bench/tokend_bench_watch_propagation"
for bin in "$tokend" "$tool"; do
  [ -x "$bin" ] || { echo "propagation.sh: $bin is not built" >&2; exit 2; }
done

# Everything this run starts is stopped by pid (never by name) on exit.
source "$root/tests/bench/bench_env.sh"
tokend_pids=()
cleanup() {
  local pid
  for pid in "${tokend_pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  pg_stop "$work/state"
  rm -rf "$(pg_datadir "$work/state")"
  true
}
trap cleanup EXIT

rm -rf "$work"
bench_pg_start "$work/state"
pg_log="$(pg_datadir "$work/state")/server.log"
log "PostgreSQL on 127.0.0.1:$pg_port"
pg_psql "$work/state" "$pg_port" -qc "CREATE DATABASE tokend" >/dev/null
bash "$root/deploy/dev/make-certs.sh" "$work/certs"
certs="$work/certs"

write_bench_config "$work/tokend.yaml" "postgresql://postgres@127.0.0.1:$pg_port/tokend" "$certs" 8 \
  "Issue, Introspect, Revoke, WatchRevocations"
if [ -n "$heartbeat" ]; then
  printf 'watch:\n  heartbeat_interval: %s\n' "$heartbeat" >>"$work/tokend.yaml"
fi
"$tokend" migrate --config "$work/tokend.yaml" 2>"$work/migrate.log"
# Revoked jtis as tokend mints them (22 base64url characters), expiring
# within the next two hours, as in run.sh's startup measurement.
pg_psql "$work/state" "$pg_port" -d tokend -q -c "
  INSERT INTO revocations (kind, key, revoked_at, expires_at, recorded_at)
  SELECT 1, translate(encode(substring(decode(md5('bench-jti-' || i), 'hex') from 1 for 16),
                             'base64'), '+/=', '-_'),
         t, t + interval '1 hour' + interval '1 hour' * random(), t
  FROM (SELECT i, now() - interval '1 hour' * random() AS t
        FROM generate_series(1, $preload) AS i) AS s" >/dev/null

# Starts a replica; appends its pid to tokend_pids and its address to targets.
targets=""
start_tokend() {
  local log_file="$1" pid port
  "$tokend" serve --config "$work/tokend.yaml" >/dev/null 2>"$log_file" &
  pid=$!
  tokend_pids+=("$pid")
  for _ in $(seq 1 3000); do
    grep -q 'msg=serving' "$log_file" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log_file" >&2; exit 1; }
    sleep 0.01
  done
  grep -q 'msg=serving' "$log_file" || { cat "$log_file" >&2; exit 1; }
  port=$(sed -n 's/.*msg=serving.*api_port=\([0-9]*\).*/\1/p' "$log_file" | head -1)
  targets="${targets:+$targets,}127.0.0.1:$port"
}
start_tokend "$work/tokend-a.log"
start_tokend "$work/tokend-b.log"
log "replicas (pids ${tokend_pids[*]}) on $targets"

# Every statement from now on goes to the server's log, which the tool reads.
pg_psql "$work/state" "$pg_port" -qc "ALTER SYSTEM SET log_statement = 'all'" \
  -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
status=0
"$tool" --targets "$targets" --ca "$certs/ca.crt" --cert "$certs/tokenctl.crt" \
  --key "$certs/tokenctl.key" --watchers "$watchers" --channels_per_replica "$channels" \
  --revocations "$revocations" --rate "$rate" --quiet_window "$quiet_window" \
  --statement_log "$pg_log" --markdown_out "$work/results.md" || status=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  if [ "$smoke" -eq 1 ]; then
    echo "**Smoke run**: a few revocations, to check the tools work. Not a measurement."
    echo
  fi
  echo "- command: \`$command_line\`"
  echo "- commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- server || echo ' (server/ modified)'), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $cpu_model, $(nproc) CPUs, $(uname -sr); shared with other work (load average $load_before before the run, $load_after after)"
  echo "- PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on the same machine with log_statement = all, holding $preload revoked-but-unexpired jtis before the run (so each snapshot carries them); two tokend replicas (Release, default settings$([ -n "$heartbeat" ] && echo ", watch.heartbeat_interval $heartbeat")), the watchers and the load on one machine"
  echo
  cat "$work/results.md" 2>/dev/null || echo "(the tool wrote no results: exit $status)"
} >"$out"
cat "$out"
log "wrote $out"
exit "$status"
