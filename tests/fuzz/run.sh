#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, their own build tree)
# and runs each for a bounded time on its committed seed corpus. Fails on any
# crash, leak, sanitizer report, timeout or out-of-memory; prints the
# executions per target. See tests/fuzz/README.md.
#
#   bash tests/fuzz/run.sh [--seconds N] [--build-dir D] [--only TARGET]
#
# --seconds: per target (default 30, what CI runs); a longer run is the same
# command with a bigger number. New inputs go to <build dir>/corpus/<target>
# (kept between runs, so later runs start from what earlier ones found);
# crashers to <build dir>/artifacts/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/fuzz"
seconds=30
build="$root/build/fuzz"
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: $0 [--seconds N] [--build-dir D] [--only TARGET]" >&2; exit 2 ;;
  esac
done
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac

if ! command -v clang++-14 >/dev/null 2>&1 ||
   ! dpkg-query -W -f='${Status}' libfuzzer-14-dev 2>/dev/null | grep -q "install ok installed"; then
  bash "$root/deploy/dev/install-deps.sh"
fi

CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOKEND_FUZZ=ON >/dev/null
cmake --build "$build" -j2 --target fuzzers

# target -> dictionary ("" for none)
targets=(base64url strict_json jwt_payload jwt_decode key_file config rpc_request
         revocation_notification)
declare -A dict=([strict_json]=jwt.dict [jwt_payload]=jwt.dict [jwt_decode]=jwt.dict
                 [config]=config.dict)

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
mkdir -p "$build/artifacts" "$build/logs"

# One target: its exit status goes to <logs>/<target>.status.
fuzz_one() {
  local t="$1" work="$build/corpus/$1" log="$build/logs/$1.log" status=0
  mkdir -p "$work"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$build/artifacts/$t-")
  [ -n "${dict[$t]:-}" ] && args+=(-dict="$here/${dict[$t]}")
  # New inputs go to the first directory; the committed seeds stay as they are.
  "$build/tests/fuzz/${t}_fuzzer" "${args[@]}" "$work" "$here/corpus/$t" >"$log" 2>&1 || status=$?
  echo "$status" >"$build/logs/$t.status"
}

# A fuzzer runs on one core, so as many run at once as there are cores:
# the same executions per target in a fraction of the wall time.
parallel=$(nproc)
selected=()
for t in "${targets[@]}"; do
  [ -n "$only" ] && [ "$t" != "$only" ] && continue
  selected+=("$t")
  rm -f "$build/logs/$t.status"
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  echo "== $t: ${seconds}s"
  fuzz_one "$t" &
done
wait

failed=()
summary=()
for t in "${selected[@]}"; do
  log="$build/logs/$t.log"
  status=$(cat "$build/logs/$t.status" 2>/dev/null || echo "no status")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # A sanitizer report that did not stop the run still fails it.
  if [ "$status" != 0 ] ||
     grep -qE '^==[0-9]+==ERROR|runtime error:|fuzz property broken|^SUMMARY: ' "$log"; then
    failed+=("$t")
    echo "FAILED: $t (exit $status); log $log; last lines:"
    tail -40 "$log"
  fi
  summary+=("$(printf '%-24s %12s executions in %ss' "$t" "${runs:-?}" "$seconds")")
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (crashers in $build/artifacts/)"
  exit 1
fi
echo "fuzz: ok"
