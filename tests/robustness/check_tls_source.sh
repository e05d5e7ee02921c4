#!/bin/sh
# No code path of the plugin can switch TLS verification off: the only
# TLS-related libcurl options it sets are peer verification on, host-name
# verification on (2), and the CA file; nothing touches proxy TLS, CA
# directories, SSL option bits, or the verification options' values.
# rob_tls shows at run time that no configuration key can do it either.
#
#   check_tls_source.sh PLUGIN_SOURCE_DIR
set -eu
src=$1
failed=0
hits=$(grep -rnE 'CURLOPT_(SSL_|PROXY_SSL|CAPATH|CAINFO|SSLVERSION|PINNEDPUBLICKEY|SSL_OPTIONS)|CURLSSLOPT_' \
    "$src" --include='*.c' --include='*.h' || true)
echo "$hits"
allowed='CURLOPT_SSL_VERIFYPEER, 1L)
CURLOPT_SSL_VERIFYHOST, 2L)
CURLOPT_CAINFO, opts->ca_file)'
found=$(echo "$hits" | sed -n 's/.*\(CURLOPT_[A-Z_]*, [^;]*\);.*/\1/p' | sort)
expected=$(echo "$allowed" | sort)
if [ "$found" != "$expected" ]; then
    echo "FAILED: the plugin's TLS options are not exactly:"
    echo "$expected"
    failed=1
fi
# Each verification option is set exactly once, with a constant.
for opt in CURLOPT_SSL_VERIFYPEER CURLOPT_SSL_VERIFYHOST; do
    n=$(echo "$hits" | grep -c "$opt" || true)
    if [ "$n" -ne 1 ]; then
        echo "FAILED: $opt is set $n times"
        failed=1
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "0 passed, 1 failed"
    exit 1
fi
echo "1 passed, 0 failed"
