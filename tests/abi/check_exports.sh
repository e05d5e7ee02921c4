#!/bin/sh
# The plugin exports exactly the symbols listed in abi/exports.txt.
set -eu
plugin=$1
list=$2
actual=$(nm -D --defined-only "$plugin" | awk '{print $3}' | sort)
expected=$(grep -v '^#' "$list" | sort)
if [ "$actual" != "$expected" ]; then
    echo "exported symbols differ from $list:"
    echo "actual:   $actual"
    echo "expected: $expected"
    echo "0 passed, 1 failed"
    exit 1
fi
soname=$(readelf -d "$plugin" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "libpmp_paid.so.1" ]; then
    echo "soname is '$soname', expected libpmp_paid.so.1"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "exports: $actual; soname $soname"
echo "1 passed, 0 failed"
