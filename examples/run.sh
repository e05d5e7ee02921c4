#!/bin/sh
# Runs an example store's checkout against a local paid-sandbox, in one go:
#   examples/run.sh php       # examples/php/checkout.php  (PHP extension "pmp")
#   examples/run.sh python    # examples/python/checkout.py (Python package "pmp")
#
# It builds what is missing (into $BUILD_DIR, default build/), starts the
# sandbox on a free loopback port with a fresh CA and an in-memory database,
# writes the store's configuration (a methods file and the Paid plugin's
# configuration) into a temporary directory, runs the store, and stops the
# sandbox again. The shop password reaches the plugin only through the
# environment (PAID_SHOP_PASS); no file holds it.
set -eu

lang=${1:-}
case "$lang" in
php | python) ;;
*)
    echo "usage: examples/run.sh php|python" >&2
    exit 2
    ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac

# PMP_EXAMPLE_NO_BUILD=1: the build is done already (meson test runs this).
if [ "${PMP_EXAMPLE_NO_BUILD:-}" != 1 ]; then
    if [ ! -f "$build/build.ninja" ]; then
        "$top/scripts/deps.sh"
        meson setup "$build" "$top" >/dev/null
    fi
    meson compile -C "$build" >/dev/null
fi
if [ "$lang" = php ] && [ ! -f "$build/host-shim/php/pmp.so" ]; then
    echo "run.sh: the PHP extension was not built (is php8.2-dev installed?)" >&2
    exit 1
fi

plugin="$build/plugin/libpmp_paid.so"
sandbox="$build/sandbox/paid-sandbox"
work=$(mktemp -d "${TMPDIR:-/tmp}/pmp-example.XXXXXX")
sbx_pid=""
cleanup() {
    if [ -n "$sbx_pid" ]; then
        kill "$sbx_pid" 2>/dev/null || true
        wait "$sbx_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The store's notification receiver listens here; the sandbox is told to
# send its result notifications to it when it can.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
notify_args=""
if "$sandbox" --help 2>&1 | grep -q -- '--notify-url'; then
    notify_args="--notify-url http://127.0.0.1:$port/paid/notify --notify-interval 1"
    STORE_NOTIFY_PORT=$port
else
    STORE_NOTIFY_PORT=""
fi
export STORE_NOTIFY_PORT

# shellcheck disable=SC2086 # notify_args is a list of options
"$sandbox" --port 0 --state-dir "$work/sandbox" --db :memory: \
    --ready-file "$work/ready" --quiet $notify_args >"$work/sandbox.log" 2>&1 &
sbx_pid=$!
i=0
while [ ! -s "$work/ready" ]; do
    i=$((i + 1))
    if [ "$i" -gt 400 ] || ! kill -0 "$sbx_pid" 2>/dev/null; then
        echo "run.sh: the sandbox did not start:" >&2
        cat "$work/sandbox.log" >&2
        exit 1
    fi
    sleep 0.05
done
# shellcheck disable=SC1091 # written by the sandbox: PAID_SANDBOX_URL, _CA, _READY
. "$work/ready"

mkdir -p "$work/shop"
cat >"$work/shop/paid.yaml" <<EOF
# The Paid plugin's configuration (see config.yaml.example).
gateway:
  base_url: $PAID_SANDBOX_URL
  ca_file: $PAID_SANDBOX_CA
shop:
  id: tshop00000001
  password: \${PAID_SHOP_PASS}
logging:
  level: warn
EOF
cat >"$work/shop/methods.yaml" <<EOF
# The payment methods this store switches on. Paid is the one plugin that
# exists; a second plugin would be one more entry.
methods:
  - name: paid
    label: "Paid (invoice, month-end)"
    plugin: $plugin
    config: paid.yaml
EOF

export PAID_SHOP_PASS=sbxpass01 # the sandbox's test shop, not a real password
export STORE_METHODS="$work/shop/methods.yaml"
export STORE_SANDBOX_BASE="${PAID_SANDBOX_URL%payment/}"
export STORE_SANDBOX_CA="$PAID_SANDBOX_CA"

rc=0
if [ "$lang" = php ]; then
    php -n -d extension="$build/host-shim/php/pmp.so" "$top/examples/php/checkout.php" || rc=$?
else
    PYTHONPATH="$top/host-shim/python" /usr/bin/python3 "$top/examples/python/checkout.py" || rc=$?
fi
exit "$rc"
