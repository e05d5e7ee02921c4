#!/bin/sh
# Runs the whole benchmark suite and rewrites the table in docs/performance.md.
#
#   bench/run.sh [pmp-bench options]      e.g. --only authorize-wall,threads
#
# Builds what the suite needs (the plugin, paid-sandbox, pmp-host, pmp-bench)
# in BENCH_BUILD_DIR (default build-bench; the project's default buildtype,
# debugoptimized: -O2 -g, as installed), then runs pmp-bench, which starts
# its own sandbox on 127.0.0.1, prints every figure with its target and
# pass/fail, and writes the generated block of docs/performance.md. A full
# run takes a few minutes on 2 cores. Exit status: 0 when every target is
# met, 1 when one is missed or a measurement failed, 2 on a usage error.
#
# For the deterministic instruction counts valgrind must be installed
# (apt-get install valgrind); wrk is used for the sandbox's capacity when
# present. Both are optional: without them those parts say "skipped".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BENCH_BUILD_DIR:-build-bench}

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Dwerror=true >/dev/null
fi
# Only the targets the suite runs: a broken unrelated target must not stop
# a benchmark run.
meson compile -C "$build" pmp_paid paid-sandbox pmp-host pmp-bench >/dev/null

if ! command -v valgrind >/dev/null 2>&1; then
    echo "bench: valgrind is not installed; instruction counts will be skipped" >&2
fi

label=""
if command -v git >/dev/null 2>&1 && git rev-parse --short HEAD >/dev/null 2>&1; then
    label="commit $(git rev-parse --short HEAD)"
    if ! git diff --quiet HEAD -- plugin bench host-shim 2>/dev/null; then
        label="$label plus uncommitted changes"
    fi
fi

exec "$build/bench/pmp-bench" \
    --plugin "$build/plugin/libpmp_paid.so" \
    --sandbox "$build/sandbox/paid-sandbox" \
    --pmp-host "$build/host-shim/pmp-host" \
    --gen "$top/bench/gen-bulk-data.sh" \
    --markdown "$top/docs/performance.md" \
    --label "$label" \
    "$@"
