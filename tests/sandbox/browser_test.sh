#!/bin/sh
# The management screen in a real browser: starts paid-sandbox, drives a
# scripted month through the protocol and the virtual clock
# (browser_check.py drive), loads GET / in headless Chromium for a DOM dump
# and a screenshot, and checks that every buyer, order, invoice, deposit
# and notification row on screen shows the sandbox's own figures
# (browser_check.py check). Prints "N passed, M failed".
#
# Usage: browser_test.sh PATH-TO-paid-sandbox [ARTIFACT-DIR]
# Exit status: 0 passed, 1 failed, 77 skipped (no chromium or python3).
# The screenshot is kept as ARTIFACT-DIR/sandbox-screen.png (default: the
# current directory).
set -eu

sandbox_bin=${1:?usage: browser_test.sh PATH-TO-paid-sandbox [ARTIFACT-DIR]}
artifacts=${2:-.}
here=$(cd "$(dirname "$0")" && pwd)

browser=""
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$(command -v "$candidate")
        break
    fi
done
if [ -z "$browser" ]; then
    echo "chromium is not installed (Debian: apt-get install chromium): skipped"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is not installed: skipped"
    exit 77
fi

mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/sandbox-browser.XXXXXX")
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$sandbox_bin" --state-dir "$work/state" --ready-file "$work/ready" --quiet \
    >/dev/null 2>"$work/sandbox.log" &
sandbox_pid=$!
i=0
while [ ! -s "$work/ready" ]; do
    i=$((i + 1))
    if [ "$i" -gt 300 ] || ! kill -0 "$sandbox_pid" 2>/dev/null; then
        echo "paid-sandbox did not start:" >&2
        cat "$work/sandbox.log" >&2
        exit 1
    fi
    sleep 0.1
done
url=$(sed -n 's/^PAID_SANDBOX_URL=//p' "$work/ready")
page=${url%/payment/}/

python3 "$here/browser_check.py" drive "$work/ready"

# Chromium does not take a CA file on the command line; the page is the
# sandbox's own loopback server, so certificate errors are ignored for
# this screenshot only (the data checks above and below verify the CA).
run_browser() {
    profile=$1
    shift
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
        --disable-dev-shm-usage --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --hide-scrollbars --user-data-dir="$work/profile-$profile" \
        --ignore-certificate-errors --window-size=1600,1500 "$@"
}
run_browser dom --dump-dom "$page" >"$work/dom.html" 2>"$work/chromium-dom.log" || {
    echo "chromium --dump-dom failed:" >&2
    tail -20 "$work/chromium-dom.log" >&2
    exit 1
}
run_browser shot --screenshot="$artifacts/sandbox-screen.png" "$page" \
    >/dev/null 2>"$work/chromium-shot.log" || {
    echo "chromium --screenshot failed:" >&2
    tail -20 "$work/chromium-shot.log" >&2
    exit 1
}
cp "$work/dom.html" "$artifacts/sandbox-screen.html"

python3 "$here/browser_check.py" check "$work/ready" "$work/dom.html" \
    "$artifacts/sandbox-screen.png"
