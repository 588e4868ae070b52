#!/usr/bin/env bash
# What tokend's per-call client certificate check (rpc::PeerCertificateCheck)
# costs a no-op call end to end, over real mutual TLS:
#
#   bash tests/bench/peer_check_cost.sh [--build-dir DIR] [--reps N] [--duration D]
#                                       [--feature peer_check|connection_limits]
#
# Starts two no-op servers (tokend_bench_noop_server --<feature> 0 and 1;
# connection_limits: the API port's connection age, handshake, keepalive and
# stream limits)
# on loopback and runs the load generator's "noop" workload against each in
# turn, N times (default 12), with run.sh's load settings. Prints each run,
# and the medians over the N pairs of the pair's ratio (check / no check) of
# calls/s and of the server's CPU per call: short runs, back to back, so
# that a shared machine's drift hits both sides of a pair alike. Uses the
# binaries already built in the build tree (default build-bench; Release is
# what run.sh measures). About 75 s with the defaults.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build-bench"
reps=12
feature=peer_check
duration=2s
warmup=500ms
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --feature) feature="$2"; shift ;;
    *) echo "peer_check_cost.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
loadgen="$build/tests/bench/tokend_bench_loadgen"
noop="$build/tests/bench/tokend_bench_noop_server"
for bin in "$loadgen" "$noop"; do
  [ -x "$bin" ] || { echo "peer_check_cost.sh: $bin is not built" >&2; exit 2; }
done

work="$(mktemp -d)"
pids=()
# Everything this script starts is stopped by pid on exit.
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
  true
}
trap cleanup EXIT
bash "$root/deploy/dev/make-certs.sh" "$work/certs" >/dev/null 2>&1
certs="$work/certs"

declare -A port pid
for check in 0 1; do
  "$noop" --listen 127.0.0.1:0 --cert "$certs/server.crt" --key "$certs/server.key" \
    --ca "$certs/ca.crt" --"$feature" "$check" >"$work/noop$check.out" 2>"$work/noop$check.log" &
  pid[$check]=$!
  pids+=("$!")
  for _ in $(seq 1 500); do grep -q '^port=' "$work/noop$check.out" && break; sleep 0.01; done
  port[$check]=$(sed -n 's/^port=//p' "$work/noop$check.out")
  [ -n "${port[$check]}" ] || { cat "$work/noop$check.log" >&2; exit 1; }
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# One "noop" run against the server with --<feature> $1; prints
# "<calls/s> <server us per call>".
run_one() {
  local target="127.0.0.1:${port[$1]}"
  "$loadgen" --target "$target" --baseline_target "$target" --baseline_pid "${pid[$1]}" \
    --ca "$certs/ca.crt" --cert "$certs/tokenctl.crt" --key "$certs/tokenctl.key" \
    --workloads noop --warmup "$warmup" --duration "$duration" --fail_on_errors \
    >"$work/load.txt"
  sed -n 's/^noop *\([0-9]*\) calls\/s.*server cpu [^(]*(\([0-9.]*\) us\/call.*/\1 \2/p' \
    "$work/load.txt"
}
for rep in $(seq 1 "$reps"); do
  # Alternate which goes first, so that drift on a shared machine hits both.
  order="0 1"
  [ $((rep % 2)) -eq 0 ] && order="1 0"
  for check in $order; do
    run_one "$check" >"$work/one"
    read -r rate cpu <"$work/one"
    echo "rep $rep $feature $check: $rate calls/s, server $cpu us/call"
    echo "$check $rate $cpu" >>"$work/results"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# results: "<check> <calls/s> <us per call>", two lines per rep.
pairs=$(awk '$1 == 0 { r0 = $2; c0 = $3 } $1 == 1 { r1 = $2; c1 = $3 }
  NR % 2 == 0 { print r1 / r0, c1 / c0, c1 - c0 }' "$work/results")
rate_ratio=$(echo "$pairs" | awk '{ print $1 }' | median)
cpu_ratio=$(echo "$pairs" | awk '{ print $2 }' | median)
cpu_delta=$(echo "$pairs" | awk '{ print $3 }' | median)
printf 'median over %d pairs, check / no check: calls/s %.3f, server CPU per call %.3f (%+.1f us)\n' \
  "$reps" "$rate_ratio" "$cpu_ratio" "$cpu_delta"
