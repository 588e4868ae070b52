#!/usr/bin/env bash
# One sanitizer stage of tests/run.sh: builds the tree instrumented in a build
# directory of its own and runs the tests the mode is for (README.md here):
#
#   stage.sh address,undefined [ctest args...]   ASan + UBSan, build/asan:
#                                                every unit and integration test
#   stage.sh thread [ctest args...]              TSan, build/tsan: the tests
#                                                labelled `concurrency`
#
# Every instrumented process (test binaries and the tokend servers they start)
# writes its reports to a log directory of the run instead of stderr, so that
# a report from a server whose exit status no test looks at fails the stage
# as well; the stage prints them all and fails when there is any.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/sanitize"
mode="${1:?usage: stage.sh address,undefined|thread [ctest args...]}"
shift

case "$mode" in
  address,undefined | undefined,address)
    build="${TOKEND_ASAN_BUILD_DIR:-$root/build/asan}"
    target=all
    labels='unit|integration'
    ;;
  thread)
    build="${TOKEND_TSAN_BUILD_DIR:-$root/build/tsan}"
    target=tokend_concurrency_tests
    labels=concurrency
    ;;
  *)
    echo "stage.sh: unknown sanitizer mode '$mode' (address,undefined or thread)" >&2
    exit 2
    ;;
esac

start=$SECONDS
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOKEND_SANITIZE="$mode" >/dev/null
cmake --build "$build" -j2 --target "$target"
built=$SECONDS

logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# halt_on_error / -fno-sanitize-recover: the first finding ends the process.
# exitcode: a TSan finding fails the process at exit even when it goes on.
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1:suppressions=$here/ubsan.supp"
export TSAN_OPTIONS="log_path=$logs/tsan:suppressions=$here/tsan.supp:print_suppressions=0:second_deadlock_stack=1:halt_on_error=0:exitcode=66"

status=0
# -LE timing: tests whose latency bounds are about an optimised build
# (api_limits_test, ops_port_test); they run in the normal stage.
ctest --test-dir "$build" --output-on-failure -j2 --timeout 900 -L "$labels" -LE timing "$@" ||
  status=$?

reports=("$logs"/*)
if [ -e "${reports[0]}" ]; then
  echo "=== sanitizer reports ($mode) ===" >&2
  for f in "${reports[@]}"; do
    echo "--- $f" >&2
    cat "$f" >&2
  done
  status=1
fi
echo "sanitize $mode: build $((built - start)) s, tests $((SECONDS - built)) s," \
  "$([ "$status" -eq 0 ] && echo clean || echo FAILED)"
exit "$status"
