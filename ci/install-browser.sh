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

missing=()
for package in "${!NEEDED[@]}"; do
    [[ -x "${NEEDED[$package]}" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    print_versions
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "error: the Debian packages ${missing[*]} are missing and this" \
        "script is not running as root (and sudo is not available):" \
        "install them as root." >&2
    exit 1
fi

echo "Installing ${missing[*]} ..."
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${missing[@]}"
print_versions
