#!/bin/bash
# Hardened runs of the e2e image (issue 6): boot one image with packages installed in three
# modes a container platform may impose, and print which services are active and, for the
# others, the one line of their status that says why.
#
#   sudo tests/e2e/hardened.sh [RUN_DIR] [MODE…]
#
# RUN_DIR is a run directory run.sh kept (E2E_KEEP=1), whose upper/ holds the installed packages:
#
#   E2E_KEEP=1 E2E_STATE=/var/cache/systemctl-shim-e2e/runs/pkgs \
#       tests/e2e/run.sh nginx redis-server memcached cron
#   tests/e2e/hardened.sh /var/cache/systemctl-shim-e2e/runs/pkgs
#
# (default: the newest run directory under $E2E_CACHE/runs with an upper/). It is not changed:
# each mode boots a copy of its upper/ (tests/e2e/boot.sh with its opt-in knobs):
#
#   openshift  PID 1 as uid 100123 (gid 100123, no supplementary groups), no capabilities, no
#              bounding set, no_new_privs (OpenShift's restricted SCC); /run is root's tmpfs
#   readonly   PID 1 as root on a read-only root, tmpfs /run and /tmp
#   rootless   a user-namespace container made by uid 100123 (unshare --user --map-root-user):
#              root inside, nothing outside
#
# MODE… picks some of them (default: all three). Every mode must boot, answer
# is-system-running, and exit 0 on SIGTERM; exit status 0 when all did. Environment: E2E_CACHE,
# E2E_BINARY (as run.sh), HARDENED_UID (default 100123), HARDENED_KEEP=1 keeps the copies.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BOOT=$HERE/boot.sh
export E2E_CACHE=${E2E_CACHE:-/var/cache/systemctl-shim-e2e}
BINARY=${E2E_BINARY:-$REPO/target/x86_64-unknown-linux-gnu/release/systemctl}
HUID=${HARDENED_UID:-100123}

die() { printf 'hardened: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
[ -x "$BINARY" ] || die "no binary at $BINARY"

SOURCE=${1:-}
if [ -z "$SOURCE" ]; then
    SOURCE=$(find "$E2E_CACHE/runs" -mindepth 2 -maxdepth 2 -name upper -type d -printf '%T@ %h\n' \
        2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-)
    [ -n "$SOURCE" ] || die "no kept run directory under $E2E_CACHE/runs (see the usage above)"
else
    shift
fi
[ -d "$SOURCE/upper" ] || die "$SOURCE has no upper/ (a run directory kept by run.sh)"
read -r -a MODES <<<"${*:-openshift readonly rootless}"

WORK=$(mktemp -d "$E2E_CACHE/runs/hardened.XXXXXX")
chmod 755 "$WORK"
failures=()
fail() { failures+=("$*"); printf 'FAIL: %s\n' "$*" >&2; }

cleanup() {
    local st
    for st in "$WORK"/*/; do
        [ -d "$st" ] || continue
        if "$BOOT" pid "$st" >/dev/null 2>&1; then "$BOOT" kill "$st"; fi
    done
    if [ "${HARDENED_KEEP:-0}" = 1 ]; then
        echo "copies kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Why UNIT is not active, in one line of its log (`journalctl -u`, which holds what `status`
# showed of every attempt, also those before a restart): the last line that is not one of the
# manager's generic ones, preferring one that reads as an error; else the state line of status.
reason() {
    local st=$1 unit=$2 line
    line=$("$BOOT" exec "$st" journalctl --no-pager -o cat -u "$unit" 2>/dev/null | awk '
        /(Starting|Started|Stopping|Stopped|Deactivated successfully|Failed to start|Failed with result|Main process exited|Control process exited|Consumed|Scheduled restart job|Start request repeated|Failed at step)/ { next }
        { last = $0 }
        /([Ee]rror|[Ff]ailed|[Cc]annot|[Cc]an.t|[Uu]nable|Only root)/ { err = $0 }
        /(emerg|crit|denied|not permitted|[Rr]ead-only|[Nn]o such)/ { worst = $0 }
        END { print (worst != "" ? worst : err != "" ? err : last) }')
    if [ -z "$line" ] && [ "$("$BOOT" exec "$st" /usr/bin/systemctl show -P Result "$unit" \
        2>/dev/null)" = success ]; then
        line="ran to completion (Result: success)"
    fi
    if [ -z "$line" ]; then
        line=$("$BOOT" exec "$st" /usr/bin/systemctl status --no-pager -n 0 "$unit" 2>/dev/null |
            sed -n 's/^ *Active: //p')
    fi
    printf '%s\n' "$line"
}

run_mode() {
    local mode=$1 st=$WORK/$1
    local -a knobs
    case $mode in
        openshift) knobs=(E2E_UID="$HUID") ;;
        readonly) knobs=(E2E_READONLY=1) ;;
        rootless) knobs=(E2E_USERNS=1 E2E_USERNS_UID="$HUID") ;;
        *) fail "unknown mode $mode"; return ;;
    esac
    mkdir -p "$st"
    cp -a "$SOURCE/upper" "$st/upper"
    local t0 t1 state code
    t0=$(date +%s.%N)
    if ! env "${knobs[@]}" "$BOOT" start "$st" "$BINARY" >/dev/null; then
        fail "$mode: did not boot (console: $st/console.log)"
        return
    fi
    state=$("$BOOT" wait "$st" 120) || fail "$mode: is-system-running says '$state' after 120 s"
    t1=$(date +%s.%N)
    # Let services that keep restarting reach their start limit (or stay up) before looking.
    local _
    for _ in $(seq 1 300); do
        [ -z "$("$BOOT" exec "$st" /usr/bin/systemctl list-units --type=service --plain \
            --no-legend --state=activating,deactivating 2>/dev/null)" ] && break
        sleep 0.1
    done
    printf '\n## %s (%s), booted in %.1f s: is-system-running = %s\n\n' "$mode" \
        "${knobs[*]}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$state"
    printf '| service | state | why not active (from systemctl status) |\n|---|---|---|\n'
    local unit load active sub
    while read -r unit load active sub _; do
        [ "$load" = loaded ] || continue
        if [ "$active" = active ]; then
            printf '| %s | %s (%s) | |\n' "$unit" "$active" "$sub"
        else
            printf '| %s | %s (%s) | %s |\n' "$unit" "$active" "$sub" \
                "$(reason "$st" "$unit" | sed 's/|/\\|/g')"
        fi
    done < <("$BOOT" exec "$st" /usr/bin/systemctl list-units --type=service --all --plain --no-legend \
        --no-pager 2>/dev/null)
    local dir
    # shellcheck disable=SC2016 # expanded inside
    dir=$("$BOOT" exec "$st" sh -c 'for d in /run/systemctl-shim /tmp/systemctl-shim-*; do
        [ -S "$d/control.sock" ] && echo "$d"; done' 2>/dev/null | head -1)
    printf '\nmanager directory: %s\n' "${dir:-?}"
    code=$("$BOOT" stop "$st" 60) || true
    printf 'SIGTERM: exit code %s\n' "${code:-none}"
    [ "$code" = 0 ] || fail "$mode: exit code $code after SIGTERM (console: $st/console.log)"
}

printf '# Hardened runs of %s (binary %s)\n' "$SOURCE" "$BINARY"
for mode in "${MODES[@]}"; do
    run_mode "$mode"
done
if [ ${#failures[@]} -gt 0 ]; then
    printf '\n%d failure(s):\n' "${#failures[@]}"
    printf '  %s\n' "${failures[@]}"
    HARDENED_KEEP=1
    exit 1
fi
