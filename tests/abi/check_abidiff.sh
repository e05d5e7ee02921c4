#!/bin/sh
# The ABI guard's abidiff check: the built plugin against the baseline stored
# in abi/ (libabigail's abidw/abidiff, Debian package abigail-tools).
#
#   check_abidiff.sh PLUGIN ABI_DIR                 compare (test abi-abidiff)
#   check_abidiff.sh --self-test ABI_DIR            prove the guard sees breaks
#                                                   (test abi-abidiff-selftest)
#   check_abidiff.sh --update PLUGIN ABI_DIR        write a new baseline
#
# Compare: abidiff ABI_DIR/pmp_paid.abi.xml PLUGIN with the reviewed
# suppressions ABI_DIR/abidiff.suppr. abidiff's exit status is a bit set:
# 1 tool error, 2 usage error, 4 ABI change, 8 incompatible change. Any set
# bit fails: 8 is a break (a symbol removed or retyped); 4 is a change that
# needs review (abidiff cannot tell an append to pmp_api, which is
# compatible, from an insertion in the middle, which is not), accepted only
# through a new baseline or a reviewed suppression (see abidiff.suppr).
#
# Self-test: builds a stand-in plugin (pmp_get_api returning a table, the
# real soname) from abi/pmp.h as it is, and from copies of it with one break
# each; the unchanged one must compare equal to the baseline (so the stored
# baseline matches the header), and every broken one must be flagged with
# the same options and suppressions as the real check.
#
# Exit status: 0 pass, 1 fail, 77 skip (abigail-tools missing, or a plugin
# built without debug information).
set -eu

abidw_opts="--short-locs --no-corpus-path --no-comp-dir-path --no-elf-needed
--exported-interfaces-only --type-id-style hash"

skip() {
    echo "SKIP: $*"
    exit 77
}

need_tools() {
    command -v abidiff >/dev/null 2>&1 && command -v abidw >/dev/null 2>&1 ||
        skip "abidiff/abidw not found (Debian: apt-get install abigail-tools)"
}

need_debug_info() {
    readelf -S "$1" 2>/dev/null | grep -q '\.debug_info' ||
        skip "$1 has no debug information (build with -g, e.g. buildtype=debugoptimized)"
}

# compare BASELINE_XML LIBRARY SUPPRESSIONS REPORT -> abidiff's exit status
compare() {
    rc=0
    abidiff --suppressions "$3" "$1" "$2" >"$4" 2>&1 || rc=$?
    return "$rc"
}

explain() {
    rc=$1
    if [ $((rc & 3)) -ne 0 ]; then
        echo "abidiff failed to run (exit $rc)"
    elif [ $((rc & 8)) -ne 0 ]; then
        echo "INCOMPATIBLE ABI change (exit $rc): this needs a new ABI major (docs/ABI.md section 4)"
    elif [ $((rc & 4)) -ne 0 ]; then
        echo "ABI change (exit $rc): review it; an append to pmp_api is accepted by writing the new"
        echo "baseline with --update in the same change (PMP_ABI_MINOR raised, layout.c updated)"
    fi
}

case "${1:-}" in
--update)
    [ $# -eq 3 ] || { echo "usage: $0 --update PLUGIN ABI_DIR" >&2; exit 2; }
    need_tools
    need_debug_info "$2"
    # shellcheck disable=SC2086 # option list
    abidw $abidw_opts --suppressions "$3/abidiff.suppr" --out-file "$3/pmp_paid.abi.xml" "$2"
    echo "wrote $3/pmp_paid.abi.xml from $2"
    exit 0
    ;;
--self-test)
    [ $# -eq 2 ] || { echo "usage: $0 --self-test ABI_DIR" >&2; exit 2; }
    need_tools
    abi=$2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cat >"$tmp/stub.c" <<'EOF'
#include "pmp.h"
static const pmp_api table = {sizeof(pmp_api), PMP_ABI_MAJOR, PMP_ABI_MINOR, 0, "0", "stub"};
PMP_EXPORT int32_t pmp_get_api(uint32_t abi_major, const pmp_api **out)
{
    (void)abi_major;
    *out = &table;
    return 0;
}
EOF
    # name | expected bits | python statement editing the header text s
    cat >"$tmp/cases" <<'EOF'
unchanged|0|pass
a comment added (lines move, nothing else)|0|s = s.replace("#ifndef PMP_H\n", "/* a\n * comment\n */\n#ifndef PMP_H\n")
append a member to pmp_api|4|s = s.replace("} pmp_api;", "    pmp_operation_fn appended;\n} pmp_api;")
insert a member in the middle of pmp_api|4|s = s.replace("    pmp_operation_fn status;\n", "    pmp_operation_fn status;\n    pmp_operation_fn inserted;\n")
remove the last member of pmp_api|4|s = s.replace("    void (*result_free)(pmp_result *result);\n", "")
shrink pmp_error.message|4|s = s.replace("char message[512];", "char message[256];")
retype a parameter of every operation (size_t to uint32_t)|4|s = s.replace("const char *request, size_t request_len,", "const char *request, uint32_t request_len,")
reorder two members of pmp_init_args|4|s = s.replace("    const char *config;\n    size_t config_len;\n", "    size_t config_len;\n    const char *config;\n")
rename the exported function|8|s = s.replace("PMP_EXPORT int32_t pmp_get_api(", "PMP_EXPORT int32_t pmp_get_api2(").replace("int32_t pmp_get_api(uint32_t abi_major, const pmp_api **out)\n{", "int32_t pmp_get_api2(uint32_t abi_major, const pmp_api **out)\n{")
EOF
    passed=0
    failed=0
    n=0
    while IFS='|' read -r name want edit; do
        n=$((n + 1))
        d="$tmp/case$n"
        mkdir -p "$d"
        python3 - "$abi/pmp.h" "$d/pmp.h" "$edit" <<'EOF'
import sys
src, dst, edit = sys.argv[1:4]
s = open(src).read()
before = s
exec(edit)
if edit != "pass" and s == before:
    sys.exit("the edit did not apply: " + edit)
open(dst, "w").write(s)
EOF
        stub="$tmp/stub.c"
        if [ "$want" = 8 ]; then
            sed 's/pmp_get_api(/pmp_get_api2(/' "$tmp/stub.c" >"$d/stub.c"
            stub="$d/stub.c"
        fi
        cc -g -O0 -shared -fPIC -fvisibility=hidden -Wl,-soname,libpmp_paid.so.1 \
            -I"$d" "$stub" -o "$d/libstub.so"
        got=0
        compare "$abi/pmp_paid.abi.xml" "$d/libstub.so" "$abi/abidiff.suppr" "$d/report" ||
            got=$?
        if { [ "$want" = 0 ] && [ "$got" = 0 ]; } ||
            { [ "$want" != 0 ] && [ $((got & want)) -ne 0 ] && [ $((got & 3)) -eq 0 ]; }; then
            passed=$((passed + 1))
            echo "ok: $name (abidiff exit $got)"
        else
            failed=$((failed + 1))
            echo "FAILED: $name: abidiff exit $got, expected bit $want"
            cat "$d/report"
        fi
    done <"$tmp/cases"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
    ;;
esac

[ $# -eq 2 ] || { echo "usage: $0 PLUGIN ABI_DIR" >&2; exit 2; }
plugin=$1
abi=$2
need_tools
need_debug_info "$plugin"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
rc=0
compare "$abi/pmp_paid.abi.xml" "$plugin" "$abi/abidiff.suppr" "$report" || rc=$?
cat "$report"
if [ "$rc" -ne 0 ]; then
    explain "$rc"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "abidiff: $plugin matches $abi/pmp_paid.abi.xml"
echo "1 passed, 0 failed"
