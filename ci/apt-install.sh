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
# for the lock instead, up to APT_LOCK_WAIT seconds (default 900). It says
# at once, and then every 30 s, which process holds which lock, and fails
# naming that process when the time is up.
set -euo pipefail

wait_limit="${APT_LOCK_WAIT:-900}"
if ! [[ "$wait_limit" =~ ^[0-9]+$ ]]; then
    echo "error: APT_LOCK_WAIT is '$wait_limit'; set it to a number of" \
        "seconds (default 900)." >&2
    exit 2
fi
# The locks apt-get and dpkg take, in the order they take them.
LOCKS=(
    /var/lib/dpkg/lock-frontend
    /var/lib/dpkg/lock
    /var/lib/apt/lists/lock
    /var/cache/apt/archives/lock
)

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

# Prints "NAME (pid PID) holds LOCK" for the first lock of the package
# manager that a process holds, and fails when none is held. apt and dpkg
# lock with fcntl(); the kernel lists those locks in /proc/locks by inode
# ("1: POSIX ADVISORY WRITE PID MAJOR:MINOR:INODE 0 EOF"; a waiter's line
# has "->" after the number).
lock_holder() {
    local lock inode pid name
    for lock in "${LOCKS[@]}"; do
        [[ -e "$lock" ]] || continue
        inode="$(stat -c %i "$lock")"
        pid="$(sed 's/->//' /proc/locks 2>/dev/null | awk -v inode="$inode" \
            '{ split($6, id, ":"); if (id[3] == inode && $5 > 0) { print $5; exit } }')"
        if [[ -n "$pid" ]]; then
            name="$(cat "/proc/$pid/comm" 2>/dev/null || echo "a process")"
            echo "$name (pid $pid) holds $lock"
            return 0
        fi
    done
    return 1
}

started=$SECONDS
said=""

# Waits while a process holds a lock of the package manager: says so at
# once and every 30 s, and fails once APT_LOCK_WAIT seconds have passed.
wait_for_locks() {
    local holder elapsed
    while holder="$(lock_holder)"; do
        elapsed=$((SECONDS - started))
        if ((elapsed >= wait_limit)); then
            echo "error: the package manager stayed busy for ${wait_limit} s" \
                "($holder); try again when it is done, or set" \
                "APT_LOCK_WAIT to wait longer." >&2
            return 1
        fi
        if [[ -z "$said" ]] || ((elapsed - said >= 30)); then
            echo "Waiting for the package manager: $holder; ${elapsed} s" \
                "of at most ${wait_limit} s (APT_LOCK_WAIT) ..." >&2
            said=$elapsed
        fi
        sleep 1
    done
}

# Runs apt-get with the given arguments once no lock is held. Another
# process may still take a lock between the check and apt-get's start:
# DPkg::Lock::Timeout makes apt-get wait for dpkg's lock itself, and the
# loop covers the lists lock of `update` and apt-get versions that give up
# at once.
apt() {
    local log status remaining
    log="$(mktemp)"
    while true; do
        wait_for_locks || { rm -f "$log"; return 1; }
        remaining=$((wait_limit - (SECONDS - started)))
        ((remaining > 0)) || remaining=1
        status=0
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get -o "DPkg::Lock::Timeout=$remaining" "$@" >"$log" 2>&1 ||
            status=$?
        if [[ $status -eq 0 ]]; then
            rm -f "$log"
            return 0
        fi
        if ! grep -q "Could not get lock\|Unable to acquire the dpkg\|Unable to lock" "$log" ||
            ((SECONDS - started >= wait_limit)); then
            cat "$log" >&2
            rm -f "$log"
            return "$status"
        fi
    done
}

echo "Installing ${missing[*]} ..."
apt update -qq
apt install -y -qq "${missing[@]}"
