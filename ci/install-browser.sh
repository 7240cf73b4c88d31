#!/usr/bin/env bash
# Install what the demo and the browser tests drive and use: Debian's
# chromium and chromium-driver, ffmpeg (makes the video the seeking test
# plays) and iproute2 (network namespaces for the other-host tests). Safe to
# run again: what is there already is left alone, and versions are printed.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
# Debian package and a file it installs.
declare -A NEEDED=(
    [chromium]="$CHROMIUM"
    [chromium-driver]="$CHROMEDRIVER"
    [ffmpeg]=/usr/bin/ffmpeg
    [iproute2]=/usr/sbin/ip
)

print_versions() {
    "$CHROMIUM" --version 2>/dev/null
    "$CHROMEDRIVER" --version
}

args=()
for package in "${!NEEDED[@]}"; do
    args+=("$package=${NEEDED[$package]}")
done
# Waits (bounded) for a package manager that is busy after boot.
bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" "${args[@]}"
print_versions
