#!/bin/sh
# Builds the project with warnings as errors and runs every test:
# unit (CUnit), integration (the real plugin through the real ABI against the
# HTTPS sandbox on 127.0.0.1), the sandbox's own tests, and the ABI guard.
#   scripts/test.sh [meson test arguments, e.g. --suite unit]
# BUILD_DIR overrides the build directory (default: build);
# MESON_SETUP_ARGS adds options when the build directory is first set up
# (for example "-Db_sanitize=address,undefined -Db_lundef=false").
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}

"$top/scripts/deps.sh" --test

if [ ! -f "$build/build.ninja" ]; then
    # shellcheck disable=SC2086 # MESON_SETUP_ARGS is a list of options
    meson setup "$build" -Dwerror=true ${MESON_SETUP_ARGS:-}
fi
meson compile -C "$build"

# A sanitizer report must fail the test that caused it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}"
rc=0
meson test -C "$build" --print-errorlogs "$@" || rc=$?

# One plain closing line for whoever reads the log: meson's own summary is
# not a format every reader knows.
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
    passed=$(grep -c '"result": "OK"' "$log" || true)
    failed=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    skipped=$(grep -c '"result": "SKIP"' "$log" || true)
    echo "$passed passed, $failed failed, $skipped skipped"
fi
exit "$rc"
