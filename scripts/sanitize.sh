#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer (heavy: each builds the package
# instrumented, in its own build folder so that .build stays untouched; expect 10-20 minutes each on
# two cores). Not part of the README's test command.
#
#   scripts/sanitize.sh [address|thread ...] [-- extra swift test arguments, e.g. --filter Backward]
#
# Exit status 1 when a sanitizer reports an error or a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
KINDS=()
EXTRA=()
while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; EXTRA=("$@"); break; fi
    KINDS+=("$1"); shift
done
[ ${#KINDS[@]} -eq 0 ] && KINDS=(address thread)
export SWIFT_BACKTRACE=enable=no
status=0
for kind in "${KINDS[@]}"; do
    case $kind in address|thread) ;; *) echo "unknown sanitizer $kind (address or thread)" >&2; exit 2 ;; esac
    echo "== $kind sanitizer"
    # halt_on_error makes the first report fail the run; detect_leaks is off: Swift's runtime keeps
    # metadata caches alive on purpose.
    if ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 TSAN_OPTIONS=halt_on_error=1 \
        swift test --sanitize="$kind" --scratch-path ".build-$kind" --disable-xctest "${EXTRA[@]}"; then
        echo "== $kind: clean"
    else
        echo "== $kind: FAILED" >&2
        status=1
    fi
done
exit $status
