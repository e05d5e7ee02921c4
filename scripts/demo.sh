#!/bin/sh
# Builds the project and runs the demo: a local Paid sandbox, the plugin
# loaded through its C ABI by pmp-host, and a BtoB sale told step by step.
#   scripts/demo.sh [--keep]       (extra arguments go to `pmp-host demo`)
# BUILD_DIR overrides the build directory (default: build).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}

"$top/scripts/deps.sh"

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build"
fi
meson compile -C "$build"

exec "$build/host-shim/pmp-host" demo "$@"
