#!/bin/sh
# valgrind memcheck on the integration tests (tests/integration): the real
# plugin through the real ABI against the sandbox, every operation, faults
# and notifications. Passes only with no memcheck error and no leak
# ("definitely lost" and "indirectly lost" both 0).
#
#   tests/robustness/valgrind.sh [BUILD_DIR [TEST_NAME]]
#
# BUILD_DIR defaults to build (configured and built if missing; not a
# sanitizer build: valgrind and ASan exclude each other). TEST_NAME defaults
# to "integration"; the command line and environment come from meson's own
# test definition (meson introspect --tests), so they never drift from
# tests/meson.build. Only the test process is checked: the sandbox it
# starts (fork + exec) runs natively.
#
# Suppressions: tests/robustness/valgrind.supp, each entry with its reason.
# The log is BUILD_DIR/meson-logs/valgrind-TEST_NAME.log; the closing lines
# of this script summarise it.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${1:-build}
name=${2:-integration}
supp="$top/tests/robustness/valgrind.supp"
log="$build/meson-logs/valgrind-$name.log"

command -v valgrind >/dev/null 2>&1 || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Dwerror=true >/dev/null
fi
sanitize=$(meson introspect --buildoptions "$build" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"))')
if [ "$sanitize" != "none" ]; then
    echo "valgrind.sh: $build is a sanitizer build (b_sanitize=$sanitize); use a plain one" >&2
    exit 2
fi
meson compile -C "$build" >/dev/null
mkdir -p "$(dirname "$log")"

echo "== valgrind memcheck: $name (log: $log)"
# The test exactly as meson defines it (environment, command) under
# memcheck, as one shell-quoted line run from this shell: PATH and whatever
# the test starts must be the caller's.
cmdline=$(meson introspect --tests "$build" | python3 -c '
import json, shlex, sys
name, supp, log = sys.argv[1:4]
for t in json.load(sys.stdin):
    if t["name"] == name:
        break
else:
    sys.exit("valgrind.sh: no test named " + name)
env = [k + "=" + v for k, v in (t.get("env") or {}).items()]
vg = ["valgrind", "--tool=memcheck", "--error-exitcode=1", "--leak-check=full",
      "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
      "--track-origins=yes", "--num-callers=40", "--child-silent-after-fork=yes",
      "--suppressions=" + supp, "--gen-suppressions=all", "--log-file=" + log]
print(shlex.join(["env"] + env + vg + t["cmd"]))
' "$name" "$supp" "$log")
rc=0
eval "$cmdline" || rc=$?

errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
reachable=$(sed -n 's/.*still reachable: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
suppressed=$(sed -n 's/.*suppressed: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1)
echo "errors: ${errors:-?}; definitely lost: ${definite:-0} bytes; indirectly lost:" \
    "${indirect:-0} bytes; still reachable: ${reachable:-0} bytes; suppressed: ${suppressed:-0} bytes"
if [ "$rc" -ne 0 ]; then
    echo "valgrind.sh: $name FAILED under memcheck (exit $rc); see $log"
    exit 1
fi
echo "valgrind.sh: $name clean under memcheck"
