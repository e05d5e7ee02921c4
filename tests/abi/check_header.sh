#!/bin/sh
# abi/pmp.h compiles on its own as C99, C11 and C++ with strict warnings.
set -eu
header_dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "pmp.h"\nint pmp_header_check(void);\nint pmp_header_check(void) { return PMP_ABI_MAJOR; }\n' > "$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cpp"
passed=0
failed=0
run() {
    if "$@" >"$tmp/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $*"
        cat "$tmp/out"
    fi
}
for std in c99 c11; do
    run cc -std=$std -Wall -Wextra -pedantic -Werror -I"$header_dir" -c "$tmp/t.c" -o "$tmp/t.o"
done
if command -v c++ >/dev/null 2>&1; then
    run c++ -std=c++11 -Wall -Wextra -pedantic -Werror -I"$header_dir" -c "$tmp/t.cpp" -o "$tmp/t.o"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
