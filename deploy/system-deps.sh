#!/usr/bin/env bash
# Installs, one Debian package at a time, the system tools the tests use that are missing:
# chromium (browser tests), npm (axe-core; only when no npm is on PATH: an image's own nodejs
# ships one, and Debian's npm conflicts with it), sphinxsearch (cluster tests) and nginx (the
# reverse-proxy example in deploy/ is checked with nginx -t; systemd-analyze, which checks the
# unit, comes with systemd).
set -euo pipefail

APT=${APT_GET:-apt-get}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
updated=""
installed=()

need() {  # need COMMAND PACKAGE: install PACKAGE alone when COMMAND is not on PATH, then check
    local cmd=$1 pkg=$2
    if command -v "$cmd" >/dev/null 2>&1; then
        return 0
    fi
    if [ -z "$updated" ]; then
        $SUDO "$APT" update -qq
        updated=1
    fi
    echo "system-deps: $cmd is missing: installing Debian's $pkg"
    if ! $SUDO "$APT" install -y -qq "$pkg" >/dev/null; then
        echo "system-deps: apt-get could not install $pkg" >&2
        exit 1
    fi
    hash -r
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "system-deps: $pkg was installed but $cmd is still not on PATH" >&2
        exit 1
    fi
    installed+=("$pkg")
}

need chromium chromium
need npm npm
need searchd sphinxsearch
need nginx nginx

if [ ${#installed[@]} -eq 0 ]; then
    echo "system-deps: chromium, npm, searchd and nginx are present; nothing installed"
else
    echo "system-deps: installed ${installed[*]}"
fi
