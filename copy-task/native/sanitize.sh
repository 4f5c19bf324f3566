#!/usr/bin/env bash
# Runs the copy engine's native-facing tests against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of the addon (copy-task/native/build.mjs --sanitize), in a child vitest, and fails on any
# sanitizer report. `npm run test:sanitize`; .ci/run runs it after the suite.
#
#   copy-task/native/sanitize.sh [vitest args...]   (default: the tests listed below)
#
# Node itself is not instrumented: libasan is preloaded so that the instrumented module can load, and
# with it every process the tests start (node, python3, rsync) runs over ASan's allocator. Reports go
# to files (log_path), one per process, as vitest would hide a child's stderr: any ASan or UBSan error
# is a failure, and so is a leak whose stack passes through the addon's sources (src/smig_*).
# Leaks are looked for (detect_leaks=1) at each process's exit. Node, cp, python3 and rsync leave
# memory of their own at exit, which LeakSanitizer reports too: those reports, with no frame of the
# addon, are counted and ignored. sanitize.supp names what the addon keeps for the process's life on
# purpose. exitcode=0: a leak report must not change a process's exit status, which tests assert
# (an ASan error then exits 0 too, but its report fails this script all the same).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=copy-task/native

node "$here/build.mjs" --sanitize

reports="$(mktemp -d "${TMPDIR:-/tmp}/smig-sanitize.XXXXXX")"
libasan="$(gcc -print-file-name=libasan.so)"
if [[ "$libasan" != /* || ! -e "$libasan" ]]; then
  echo "sanitize.sh: gcc has no libasan.so (gcc -print-file-name=libasan.so said '$libasan')" >&2
  exit 1
fi

tests=("$@")
if [[ ${#tests[@]} -eq 0 ]]; then
  tests=(test/copy-task/native test/copy-task/engine test/copy-task/fuzz)
fi

status=0
env \
  SMIG_NATIVE_ADDON="$PWD/$here/build-sanitize/build/Release/smig_native.node" \
  LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=1:exitcode=0:halt_on_error=1:log_path=$reports/asan:log_exe_name=1" \
  LSAN_OPTIONS="suppressions=$PWD/$here/sanitize.supp:print_suppressions=0" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan:log_exe_name=1" \
  npx vitest run "${tests[@]}" || status=$?

shopt -s nullglob
failures=0
others=0
for report in "$reports"/*; do
  if grep -q 'ERROR: LeakSanitizer' "$report" && ! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error' -e '/src/smig_' "$report"; then
    others=$((others + 1))
    continue
  fi
  failures=$((failures + 1))
  echo "==== sanitizer report $report" >&2
  cat "$report" >&2
done
echo "sanitize.sh: $failures report(s) from the addon; $others leak report(s) of other code (node, cp, python3, rsync) ignored"
if [[ $failures -gt 0 ]]; then
  echo "sanitize.sh: FAILED: the addon has sanitizer findings (reports kept in $reports)" >&2
  exit 1
fi
rm -rf "$reports"
if [[ $status -ne 0 ]]; then
  echo "sanitize.sh: the tests failed under the sanitizers (exit $status), with no sanitizer report" >&2
fi
exit "$status"
