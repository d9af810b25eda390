#!/bin/bash
# End-to-end suite: real Debian packages, unmodified maintainer scripts, our binary as PID 1.
#
#   sudo tests/e2e/run.sh [PACKAGE…]
#
# 1. builds (or reuses) the cached bookworm minbase rootfs (tests/e2e/rootfs.sh);
# 2. downloads the packages' .debs once into ${E2E_CACHE}/archives (apt-get --download-only in
#    a throw-away overlay with the host's network), so the container itself needs loopback only;
# 3. boots a fresh overlay of the rootfs with our binary as PID 1 (tests/e2e/boot.sh);
# 4. `apt-get install -y PACKAGE…` inside, no policy-rc.d, every systemctl call logged by a
#    pass-through wrapper in /usr/local/sbin (first on dpkg's PATH);
# 5. checks every unit is active and answers, prints the table;
# 6. SIGTERM to PID 1: exit code 0, and nothing left of the container;
# 7. boots the same image again and checks the enabled services come back by themselves.
# Exit 0 only if every check passed. Environment: E2E_CACHE (default
# /var/cache/systemctl-shim-e2e), E2E_STATE (a run directory; default under $E2E_CACHE/runs),
# E2E_KEEP=1 to keep the run directory, E2E_BINARY, E2E_APT_OPTS (extra apt-get options).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export E2E_CACHE=${E2E_CACHE:-/var/cache/systemctl-shim-e2e}
BINARY=${E2E_BINARY:-$REPO/target/x86_64-unknown-linux-musl/release/systemctl}
DEFAULT_PACKAGES="nginx openssh-server redis-server memcached cron rsyslog"
read -r -a PACKAGES <<<"${*:-${E2E_PACKAGES:-$DEFAULT_PACKAGES}}"
STATE=${E2E_STATE:-$E2E_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$}
BOOT=$HERE/boot.sh

failures=()
fail() { failures+=("$*"); printf 'FAIL: %s\n' "$*"; }
note() { printf '== %s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
inside() { "$BOOT" exec "$STATE" "$@"; }

cleanup() {
    if "$BOOT" pid "$STATE" >/dev/null 2>&1; then
        note "killing the container left running"
        "$BOOT" kill "$STATE"
    fi
    if [ "${E2E_KEEP:-0}" != 1 ] && [ -d "$STATE" ] && [ ${#failures[@]} -eq 0 ]; then
        rm -rf "$STATE"
    elif [ -d "$STATE" ]; then
        echo "run directory kept: $STATE (console.log, apt.log, systemctl-calls.log, upper/)"
    fi
}
trap cleanup EXIT

# package → unit, check (how it answers)
unit_of() {
    case $1 in
        nginx) echo nginx.service ;;
        openssh-server) echo ssh.service ;;
        redis-server) echo redis-server.service ;;
        memcached) echo memcached.service ;;
        cron) echo cron.service ;;
        rsyslog) echo rsyslog.service ;;
        postgresql) echo postgresql@15-main.service ;;
        apache2) echo apache2.service ;;
        mariadb-server) echo mariadb.service ;;
        php8.2-fpm) echo php8.2-fpm.service ;;
        haproxy) echo haproxy.service ;;
        dbus) echo dbus.service ;;
        *) echo "$1.service" ;;
    esac
}

# Does the service answer? Prints what it got; exit 0 when it is the expected answer.
answers() {
    local pkg=$1
    case $pkg in
        nginx|apache2)
            local port=80; [ "$pkg" = apache2 ] && port=${APACHE_PORT:-80}
            inside curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$port/" | grep -x 200 ;;
        openssh-server)
            inside timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22; head -c 8 <&3' | grep '^SSH-2.0' ;;
        redis-server)
            inside timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379; printf "PING\r\n" >&3; head -c 5 <&3' | grep -x '+PONG' ;;
        memcached)
            inside timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211; printf "version\r\n" >&3; head -n 1 <&3' | grep '^VERSION' ;;
        cron)
            # the main process is cron and alive
            local p; p=$(inside systemctl show -P MainPID cron.service)
            [ "${p:-0}" != 0 ] && inside cat "/proc/$p/comm" | grep -x cron ;;
        rsyslog)
            local tag="e2e-$$-$RANDOM"
            inside logger -t "$tag" hello
            local i; for i in $(seq 1 30); do
                inside grep -h "$tag" /var/log/syslog /var/log/messages 2>/dev/null | head -n 1 | grep . && return 0
                sleep 0.1
            done; return 1 ;;
        postgresql)
            inside su postgres -c "psql -tAc 'SELECT 1'" | grep -x 1 ;;
        mariadb-server)
            inside mariadb -N -e 'SELECT 1' | grep -x 1 ;;
        php8.2-fpm)
            inside test -S /run/php/php8.2-fpm.sock && echo socket ;;
        dbus)
            inside dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId | grep string ;;
        haproxy)
            local p; p=$(inside systemctl show -P MainPID haproxy.service)
            [ "${p:-0}" != 0 ] && inside cat "/proc/$p/comm" | grep -x haproxy ;;
        *) return 1 ;;
    esac
}

# A pass-through wrapper first on dpkg's PATH that logs every systemctl call of the maintainer
# scripts (argv, exit code, the calling command) and runs the real binary unchanged.
install_trace() {
    inside sh -c 'cat >/usr/local/sbin/systemctl <<"EOF"
#!/bin/sh
/usr/bin/systemctl "$@"
rc=$?
printf "%s\t%s\t%s\n" "$rc" "$*" "$(tr "\0" " " </proc/${PPID:-0}/cmdline 2>/dev/null || true)" >>/var/log/e2e-systemctl-calls.log
exit $rc
EOF
chmod 755 /usr/local/sbin/systemctl'
}

mkdir -p "$STATE"
echo "run directory: $STATE"
[ -x "$BINARY" ] || (cd "$REPO" && cargo build --release --target x86_64-unknown-linux-musl) || { fail "cargo build"; exit 1; }

t0=$(now)
"$HERE/rootfs.sh" build >/dev/null || { fail "rootfs build"; exit 1; }
t_rootfs=$(secs "$t0" "$(now)")
note "rootfs ready in ${t_rootfs}s"

t0=$(now)
mkdir -p "$E2E_CACHE/archives/partial"
"$HERE/rootfs.sh" download "$E2E_CACHE/archives" "${PACKAGES[@]}" >"$STATE/download.log" 2>&1 ||
    { fail "apt-get --download-only (see $STATE/download.log)"; exit 1; }
t_download=$(secs "$t0" "$(now)")
note "packages downloaded in ${t_download}s"

export E2E_ARCHIVES=$E2E_CACHE/archives
t0=$(now)
"$BOOT" start "$STATE" "$BINARY" >/dev/null || { fail "container start"; exit 1; }
state=$("$BOOT" wait "$STATE" 60) || fail "boot: is-system-running says '$state' after 60 s"
t_boot=$(secs "$t0" "$(now)")
note "booted ($state) in ${t_boot}s"
install_trace

t0=$(now)
# shellcheck disable=SC2086
# apt runs dpkg with PATH=DPkg::Path (/usr/sbin:/usr/bin:/sbin:/bin): put the tracing wrapper's
# directory first, nothing else changes.
inside apt-get install -y --no-download -o DPkg::Path=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin ${E2E_APT_OPTS:-} "${PACKAGES[@]}" >"$STATE/apt.log" 2>&1
apt_rc=$?
t_apt=$(secs "$t0" "$(now)")
note "apt-get install -y ${PACKAGES[*]}: exit $apt_rc in ${t_apt}s"
[ "$apt_rc" = 0 ] || fail "apt-get install exited $apt_rc"
inside cat /var/log/e2e-systemctl-calls.log >"$STATE/systemctl-calls.log" 2>/dev/null
inside cat /var/log/dpkg.log >"$STATE/dpkg.log" 2>/dev/null

# What the packages did to the installation the README describes: a package (systemd-sysv,
# pulled in by libpam-systemd, a Recommends of openssh-server) may replace /sbin/init, and the
# systemd package brings the real journalctl, systemd-tmpfiles, systemd-notify... over names
# our binary answers to. boot.sh links /sbin/init again at every start; this reports it.
note "the installation after apt-get"
ours=$(inside stat -L -c %i /usr/bin/systemctl)
for f in /sbin/init /usr/sbin/init /bin/systemctl /usr/bin/systemctl /usr/bin/journalctl /usr/bin/systemd-tmpfiles /usr/bin/systemd-notify /usr/bin/systemd-detect-virt /usr/bin/systemd-escape /usr/sbin/runlevel /usr/sbin/telinit /usr/sbin/shutdown /usr/sbin/halt /usr/sbin/reboot /usr/sbin/poweroff; do
    [ "$(inside sh -c "test -e $f && echo y")" = y ] || continue
    ino=$(inside stat -L -c %i "$f")
    if [ "$ino" = "$ours" ]; then who="ours"; else who="NOT ours: $(inside readlink -f "$f")"; fi
    owner=$(inside dpkg -S "$f" 2>/dev/null | head -n 1 | cut -d: -f1)
    printf '  %-28s %s%s\n' "$f" "$who" "${owner:+ (dpkg: $owner)}"
done
inside dpkg-divert --list | sed 's/^/  /'

check_all() {   # $1: label; prints the table, records failures
    local label=$1 pkg unit type inst act ans
    printf '\n%-16s %-28s %-8s %-9s %-10s %s\n' package unit type installed active answered
    for pkg in "${PACKAGES[@]}"; do
        unit=$(unit_of "$pkg")
        type=$(inside systemctl show -P Type "$unit" 2>/dev/null); type=${type:--}
        if inside dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            inst=yes; else inst=no; fail "$label: $pkg not installed"; fi
        act=$(inside systemctl is-active "$unit" 2>/dev/null); act=${act:-?}
        [ "$act" = active ] || fail "$label: $unit is $act"
        if ans=$(answers "$pkg" 2>/dev/null | head -n 1) && [ -n "$ans" ]; then :; else
            ans=no; fail "$label: $pkg ($unit) does not answer"; fi
        printf '%-16s %-28s %-8s %-9s %-10s %s\n' "$pkg" "$unit" "$type" "$inst" "$act" "$ans"
    done
    echo
}
check_all install

note "systemctl calls made by maintainer scripts: $(wc -l <"$STATE/systemctl-calls.log" 2>/dev/null || echo 0)"
awk -F'\t' '$1 != 0 { print "  exit " $1 ": systemctl " $2 "   (from " $3 ")" }' "$STATE/systemctl-calls.log" 2>/dev/null | sort | uniq -c
note "errors and warnings in the apt log"
grep -nE "not supported by this systemctl|Unknown command verb|[Ee]rror|[Ff]ailed|[Ww]arning|dpkg: |invoke-rc.d|returned error exit" "$STATE/apt.log" |
    grep -vE "^[0-9]+:(Get|Selecting|Preparing|Unpacking|Setting up) " | head -n 60
inside /usr/bin/systemctl --failed --no-legend --plain >"$STATE/failed.txt" 2>&1
if [ -s "$STATE/failed.txt" ]; then note "failed units"; cat "$STATE/failed.txt"; fail "failed units: $(awk '{print $1}' "$STATE/failed.txt" | tr '\n' ' ')"; fi

stop_check() {  # $1: label
    local label=$1 t0 rc
    inside ps -e -o pid=,args= >"$STATE/ps-before-stop-$label.txt" 2>&1
    t0=$(now)
    rc=$("$BOOT" stop "$STATE" 120); local st=$?
    note "$label: SIGTERM → PID 1 exited $rc (status $st) in $(secs "$t0" "$(now)")s"
    [ "$rc" = 0 ] || fail "$label: PID 1 exit code $rc after SIGTERM"
    # The final sweep of our init reports what it had to kill; nothing of the container may
    # survive its namespace (the holder's unshare has returned, so every member is gone).
    local upid; upid=$(cat "$STATE/unshare.pid")
    [ ! -d "/proc/$upid" ] || fail "$label: unshare still running"
    if grep -niE "SIGKILL|sending sigkill|left|killing" "$STATE/console.log" | tail -n 5 | grep .; then
        fail "$label: processes had to be killed at shutdown (see console.log)"
    fi
}
stop_check first-boot
cp "$STATE/console.log" "$STATE/console-first-boot.log"

# Reboot the same image: the enabled services must come back by themselves.
t0=$(now)
"$BOOT" start "$STATE" "$BINARY" >/dev/null || { fail "second boot"; exit 1; }
state=$("$BOOT" wait "$STATE" 120) || fail "reboot: is-system-running says '$state' after 120 s"
all=""
for i in $(seq 1 600); do
    all=yes
    for pkg in "${PACKAGES[@]}"; do
        [ "$(inside systemctl is-active "$(unit_of "$pkg")" 2>/dev/null)" = active ] || { all=no; break; }
    done
    [ $all = yes ] && break
    sleep 0.1
done
t_reboot=$(secs "$t0" "$(now)")
note "reboot: system $state, all units active: $all, in ${t_reboot}s"
check_all reboot
stop_check reboot

echo
echo "timings: rootfs ${t_rootfs}s, download ${t_download}s, boot ${t_boot}s, apt-get install ${t_apt}s, reboot to all active ${t_reboot}s"
if [ ${#failures[@]} -eq 0 ]; then
    echo "e2e: ${#PACKAGES[@]} packages passed, 0 failed"
    exit 0
fi
echo "e2e: ${#failures[@]} failures:"
printf '  %s\n' "${failures[@]}"
exit 1
