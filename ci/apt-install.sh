#!/usr/bin/env bash
# Install Debian packages that are missing, waiting (bounded) for a busy
# package manager: `bash ci/apt-install.sh PACKAGE=FILE ...`.
#
# Each argument names a Debian package and a file it installs; a package is
# installed only when its file is not there, so a machine that has it
# already (or has it from elsewhere) is left alone and nothing needs root.
#
# A fresh machine often runs its own apt-get (unattended upgrades, an
# image's first-boot set-up) for minutes after boot and holds dpkg's lock:
# apt-get then fails at once with "Could not get lock". This script waits
# for the lock instead, up to APT_LOCK_WAIT seconds (default 900), saying
# every 30 s what it waits for, and fails with the holder's name after that.
set -euo pipefail

wait_limit="${APT_LOCK_WAIT:-900}"

missing=()
for pair in "$@"; do
    package="${pair%%=*}"
    file="${pair#*=}"
    [[ -e "$file" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "error: the Debian packages ${missing[*]} are missing and this" \
        "script is not running as root (and sudo is not available):" \
        "install them as root (apt-get install ${missing[*]})." >&2
    exit 1
fi

# Runs apt-get with the given arguments, retrying while another process
# holds the package manager's lock. DPkg::Lock::Timeout makes apt-get wait
# for dpkg's lock itself; the loop also covers the lists lock of `update`
# and apt-get versions that exit at once.
apt() {
    local started=$SECONDS log status
    log="$(mktemp)"
    while true; do
        status=0
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get -o DPkg::Lock::Timeout=30 "$@" >"$log" 2>&1 || status=$?
        if [[ $status -eq 0 ]]; then
            rm -f "$log"
            return 0
        fi
        if ! grep -q "Could not get lock\|Unable to acquire the dpkg\|Unable to lock" "$log"; then
            cat "$log" >&2
            rm -f "$log"
            return "$status"
        fi
        holder="$(grep -o 'held by process [0-9]* ([^)]*)' "$log" | head -n 1 || true)"
        if (( SECONDS - started >= wait_limit )); then
            echo "error: the package manager stayed busy for ${wait_limit} s" \
                "(${holder:-lock held by another process}); try again when" \
                "it is done, or set APT_LOCK_WAIT to wait longer." >&2
            rm -f "$log"
            return 1
        fi
        echo "Waiting for the package manager to finish" \
            "(${holder:-another process holds its lock in /var/lib/dpkg}), to run" \
            "apt-get $*; $((SECONDS - started)) s of at most ${wait_limit} s ..." >&2
        sleep 5
    done
}

echo "Installing ${missing[*]} ..."
apt update -qq
apt install -y -qq "${missing[@]}"
