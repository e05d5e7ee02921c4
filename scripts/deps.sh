#!/bin/sh
# Installs the Debian packages this project needs, but only those that are
# missing: a machine that has them all is left untouched and needs no
# network. Uses sudo only when not already root.
#   scripts/deps.sh          what the build and the demo need
#   scripts/deps.sh --test   also what the whole test suite needs (PHP and
#                            Python hosts, JSON Schema checks, the headless
#                            browser, valgrind, abidiff)
set -eu

packages="meson ninja-build pkg-config gcc g++ clang libclang-rt-14-dev binutils libcurl4-openssl-dev libjson-c-dev
libyaml-dev libcunit1-dev libsqlite3-dev libmicrohttpd-dev libssl-dev"
if [ "${1:-}" = "--test" ]; then
    packages="$packages python3-jsonschema php8.2-cli php8.2-dev python3-pytest
chromium fonts-ipafont-gothic valgrind abigail-tools"
fi

missing=""
for p in $packages; do
    # "install ok installed" is the only state in which the package is usable;
    # anything else (absent, half-installed, config-files) needs apt.
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "deps: missing:$missing" >&2
    echo "deps: not root and no sudo; install them as root" >&2
    exit 1
fi

echo "deps: installing:$missing"
# One update per run, and only when something is to be installed.
$as_root apt-get update
# shellcheck disable=SC2086 # word splitting of the list is intended
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
