#!/usr/bin/env bash
# Install the headless browser the demo and the browser tests drive:
# Debian's chromium and chromium-driver. Safe to run again: when both are
# there already, it only prints their versions.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
PACKAGES=(chromium chromium-driver)

print_versions() {
    "$CHROMIUM" --version 2>/dev/null
    "$CHROMEDRIVER" --version
}

if [[ -x "$CHROMIUM" && -x "$CHROMEDRIVER" ]]; then
    print_versions
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "error: $CHROMIUM or $CHROMEDRIVER is missing and this script" \
        "is not running as root (and sudo is not available): install the" \
        "Debian packages ${PACKAGES[*]} as root." >&2
    exit 1
fi

echo "Installing ${PACKAGES[*]} ..."
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${PACKAGES[@]}"
print_versions
