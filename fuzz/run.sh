#!/bin/sh
# Builds the libFuzzer targets with clang and fuzzes each for a bounded time.
#
#   fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]
#
# SECONDS_PER_TARGET defaults to 60; TARGET defaults to every target
# (resp config request notify). CI runs `fuzz/run.sh 30`; a longer campaign
# is the same command with a bigger number, and picks up where the last one
# stopped (the working corpus persists in the build directory).
#
# Environment:
#   BUILD_DIR   build directory (default build-fuzz); set up with CC=clang
#               and -Dfuzz=enabled when it does not exist yet
#   FUZZ_ARGS   extra libFuzzer flags, e.g. "-max_len=8192"
#
# Each target starts from the committed seeds (fuzz/corpus/<target>/), the
# kept crashers (fuzz/regressions/<target>/) and its working corpus
# ($BUILD_DIR/fuzz-work/<target>/corpus/, where new inputs go; the committed
# corpus is never written to). The closing table gives, per target, the
# executions, executions per second, edge coverage (covered / instrumented
# edges, from libFuzzer's cov: and its module count), features and corpus
# size, from libFuzzer's final stats (-print_final_stats=1).
#
# Exit status: 0 when no target found anything, 1 when one crashed, leaked,
# timed out or broke an invariant (the input is kept in
# $BUILD_DIR/fuzz-work/<target>/artifacts/; minimise it, copy it into
# fuzz/regressions/<target>/ with a name that says what it found, fix the
# bug, and `meson test --suite fuzz-replay` replays it from then on), 2 on a
# usage or build error.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build-fuzz}
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-resp config request notify}

case $seconds in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]" >&2
    exit 2
    ;;
esac

if [ ! -f "$build/build.ninja" ]; then
    CC=${CC:-clang} meson setup "$build" -Dfuzz=enabled -Dwerror=true >/dev/null
elif ! meson introspect --buildoptions "$build" | grep -q '"name": "fuzz", "value": "enabled"'; then
    meson configure "$build" -Dfuzz=enabled
fi
exes=""
for t in $targets; do
    [ -f "fuzz/fuzz_$t.c" ] || { echo "fuzz/run.sh: no target '$t'" >&2; exit 2; }
    exes="$exes fuzz_$t"
done
# shellcheck disable=SC2086 # a list of target names
meson compile -C "$build" $exes >/dev/null || { echo "fuzz/run.sh: build failed" >&2; exit 2; }

# Sanitizer findings abort; leaks count as findings.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
failed=0
for t in $targets; do
    work="$build/fuzz-work/$t"
    mkdir -p "$work/corpus" "$work/artifacts"
    dict=""
    [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
    echo "== fuzz_$t for ${seconds}s"
    rc=0
    # shellcheck disable=SC2086 # optional flags
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" $dict ${FUZZ_ARGS:-} \
        "$work/corpus" "fuzz/corpus/$t" "fuzz/regressions/$t" >"$work/log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/log" | tail -1)
    edges=$(sed -n 's/.*Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$work/log" |
        head -1)
    last=$(grep -E '^#[0-9]+' "$work/log" | tail -1 || true)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        failed=1
        artifact=$(ls -t "$work/artifacts" 2>/dev/null | head -1)
        result="FOUND (exit $rc): $work/artifacts/$artifact"
        grep -E 'ERROR|invariant broken|SUMMARY' "$work/log" | head -5 || true
        echo "   full log: $work/log"
    fi
    printf '%-8s %6ss %12s %8s/s %6s/%-6s %6s %6s %6sMB  %s\n' "$t" "$seconds" "${execs:-?}" \
        "${speed:-?}" "${cov:-?}" "${edges:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}" "$result" \
        >>"$summary"
done

echo
printf '%-8s %7s %12s %10s %13s %6s %6s %8s  %s\n' target time executions speed \
    "cov/edges" ft corpus rss result
cat "$summary"
if [ "$failed" -ne 0 ]; then
    echo "fuzz/run.sh: a target found a failure; keep the input in fuzz/regressions/<target>/ once fixed"
    exit 1
fi
echo "fuzz/run.sh: no failure found"
