#!/usr/bin/env bash
# Coverage-guided fuzzing of the Gradus file readers with libFuzzer (see docs/fuzzing.md).
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Builds one libFuzzer binary per reader (safetensors idx csv npy npz gzip) into .build-fuzz/ with
# `swiftc -sanitize=fuzzer,address` (the Gradus sources are compiled directly, not through SwiftPM,
# so that the instrumented build never touches .build), then runs each target in turn for the given
# time (default 60 s) on one core. New crash inputs are kept under Fuzz/crashes/<target>/; a report of
# executions and crashes per target is printed at the end. Exit status 1 when any crash was found.
#
# Environment: FUZZ_BUILD_ONLY=1 only builds; FUZZ_LOCK (default /tmp/gradus-build.lock) is the lock
# held while compiling.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-60}
shift || true
ALL_TARGETS=(safetensors idx csv npy npz gzip)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")
B=$ROOT/.build-fuzz
LOCK=${FUZZ_LOCK:-/tmp/gradus-build.lock}
export SWIFT_BACKTRACE=enable=no   # a trap must not start swift-backtrace (it would hang libFuzzer)

# Largest input per target: big enough for the seeds and their mutations, small enough to keep
# executions fast. Inputs this small never legitimately need more than ~150 MB, hence the
# per-allocation limit below: a larger malloc means a size taken from a header was trusted.
max_len() { case $1 in npz|gzip) echo 16384 ;; *) echo 4096 ;; esac; }
MALLOC_LIMIT_MB=512
RSS_LIMIT_MB=2048

# CGradusMath has no module map of its own (SwiftPM generates one): write it next to the build.
mkdir -p "$B"
printf 'module CGradusMath {\n    umbrella "%s"\n    export *\n}\n' "$ROOT/Sources/CGradusMath/include" > "$B/CGradusMath.modulemap"
SWIFTFLAGS=(-O -gline-tables-only -swift-version 6 -sanitize=fuzzer,address
            -Xcc "-fmodule-map-file=$ROOT/Sources/CBLAS/module.modulemap"
            -Xcc "-fmodule-map-file=$ROOT/Sources/CZlib/module.modulemap"
            -Xcc "-fmodule-map-file=$B/CGradusMath.modulemap")
for flag in $(pkg-config --cflags-only-I openblas zlib 2>/dev/null); do SWIFTFLAGS+=(-Xcc "$flag"); done
LIBS=($(pkg-config --libs openblas zlib 2>/dev/null || echo -lopenblas -lz))

build() {
    mkdir -p "$B"
    local lib_sources=($(find Sources/Gradus -name '*.swift' | sort) Fuzz/Support/BundleModule.swift)
    if [ ! -f "$B/Gradus.o" ] || [ -n "$(find "${lib_sources[@]}" Sources/CBLAS Sources/CZlib Sources/CGradusMath -newer "$B/Gradus.o" | head -1)" ]; then
        echo "== building Gradus (instrumented) =="
        swiftc -module-name Gradus -parse-as-library -wmo -c "${SWIFTFLAGS[@]}" \
            -emit-module -emit-module-path "$B/Gradus.swiftmodule" -o "$B/Gradus.o" "${lib_sources[@]}"
        rm -f "$B"/CGradusMath*.o
        for c in Sources/CGradusMath/*.c; do
            clang -O2 -c -I Sources/CGradusMath/include "$c" -o "$B/CGradusMath-$(basename "${c%.c}").o"
        done
    fi
    for t in "${TARGETS[@]}"; do
        local bin="$B/fuzz-$t"
        if [ ! -f "$bin" ] || [ -n "$(find "$B/Gradus.o" Fuzz/Support/Harness.swift "Fuzz/Targets/$t.swift" -newer "$bin" | head -1)" ]; then
            echo "== building fuzz-$t =="
            swiftc -module-name "Fuzz_$t" -parse-as-library "${SWIFTFLAGS[@]}" -I "$B" \
                Fuzz/Support/Harness.swift "Fuzz/Targets/$t.swift" "$B/Gradus.o" "$B"/CGradusMath-*.o "${LIBS[@]}" -o "$bin" \
                2>&1 | grep -v "Cannot export local symbol '__asan" >&2 || true
            [ -x "$bin" ] || { echo "build of fuzz-$t failed" >&2; exit 2; }
        fi
    done
}

for t in "${TARGETS[@]}"; do
    [ -f "Fuzz/Targets/$t.swift" ] || { echo "unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

# Compile under the shared build lock; close the lock's descriptor before fuzzing.
exec 9>"$LOCK"
flock 9
build
flock -u 9
exec 9>&-
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

REPORT=()
TOTAL_CRASHES=0
for t in "${TARGETS[@]}"; do
    bin="$B/fuzz-$t"
    work="$B/corpus/$t"            # grows as libFuzzer finds new coverage; not committed
    crashes="Fuzz/crashes/$t"
    mkdir -p "$work" "$crashes"
    dict=()
    [ -f "Fuzz/dicts/$t.dict" ] && dict=(-dict="Fuzz/dicts/$t.dict")
    before=$(ls "$crashes" | wc -l)
    execs=0; runs=0; start=$(date +%s); remaining=$SECS
    log="$B/fuzz-$t.log"; : > "$log"
    echo "== fuzzing $t for ${SECS}s =="
    # libFuzzer stops at the first crash: restart it (new crashes are saved) until the time is used.
    while [ "$remaining" -gt 0 ] && [ "$runs" -lt 20 ]; do
        runs=$((runs + 1))
        set +e
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 "$bin" "$work" "Fuzz/corpus/$t" "${dict[@]}" \
            -max_total_time="$remaining" -rss_limit_mb=$RSS_LIMIT_MB -malloc_limit_mb=$MALLOC_LIMIT_MB \
            -max_len="$(max_len "$t")" -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$crashes/" >"$log.run" 2>&1
        status=$?
        set -e
        n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log.run" | tail -1 | grep -o '[0-9]*$' || true)
        execs=$((execs + ${n:-0}))
        { cat "$log.run"; echo "--- run $runs exited with $status"; } >>"$log"
        [ "$status" -eq 0 ] && break
        grep -E 'ERROR: |Fatal error|SUMMARY:|Test unit written' "$log.run" | tail -4 | sed 's/^/   /'
        remaining=$((SECS - ($(date +%s) - start)))
    done
    found=$(( $(ls "$crashes" | wc -l) - before ))
    TOTAL_CRASHES=$((TOTAL_CRASHES + found))
    REPORT+=("$(printf '%-12s %8ss %14s %9s %10s' "$t" "$SECS" "$execs" "$found" "$(ls "$work" | wc -l)")")
done

echo
echo "== fuzz report $(date -u +%Y-%m-%dT%H:%MZ) =="
printf '%-12s %9s %14s %9s %10s\n' target time executions crashes corpus
printf '%s\n' "${REPORT[@]}"
echo "crash inputs: Fuzz/crashes/<target>/ ; logs: .build-fuzz/fuzz-<target>.log"
[ "$TOTAL_CRASHES" -eq 0 ]
