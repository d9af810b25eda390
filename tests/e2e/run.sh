#!/bin/bash
# End-to-end suite: real Debian packages, unmodified maintainer scripts, our binary as PID 1.
#
#   sudo tests/e2e/run.sh [PACKAGE…]          (default: the twelve services of issue 6)
#
#  1. builds (or reuses) the cached bookworm minbase rootfs (tests/e2e/rootfs.sh);
#  2. downloads the packages' .debs once into $E2E_CACHE/archives (apt-get --download-only in
#     a throw-away overlay with the host's network), so the container itself needs loopback only;
#  3. boots a fresh overlay of the rootfs with our binary as PID 1 (tests/e2e/boot.sh);
#  3b. login1 timings, before: cron alone (apt-get install -y cron), a plain user, then
#     `apt-get install --reinstall -y cron`, `su - -c true` and `runuser -l USER -c true`, each
#     timed three times, in the image without the systemd package, libpam-systemd or dbus;
#  4. `apt-get install -y PACKAGE…` inside, no policy-rc.d, every systemctl call of the
#     maintainer scripts timed and logged by a pass-through wrapper first on dpkg's PATH.
#     nginx and apache2 both listen on port 80 as Debian ships them; as an administrator would,
#     the suite installs nginx first, moves it to port 8080 in its site file, restarts it, and
#     only then installs apache2 in a second apt-get (installed together, the second to start
#     would fail with "Address already in use" on systemd as here); then, with the default
#     list unless E2E_389DS=0 (with named packages if E2E_389DS=1), 389-ds-base: `dscreate from-file` creates an instance and starts it through systemctl
#     (dirsrv@e2e.service, Type=notify, dirsrv.target);
#  4b. login1 timings, after: once the packages brought the systemd package, libpam-systemd and
#     dbus (started by hand, dbus.service being static) and org.freedesktop.login1 has an owner
#     (PID 1), the same commands timed the same way, a dbus-monitor seeing apt's Inhibit() and
#     pam_systemd's CreateSession() answered; fails when "after" is slower than "before" by more
#     than max(1 s, 50 %) (median of three): without a logind, each waited 25 s for a D-Bus
#     timeout (not with E2E_PEER=1; skipped if named packages bring no systemd package);
#  5. checks every unit is active and answers (HTTP 200, SSH banner, PING→PONG, SELECT 1, a PHP
#     page through php-fpm's FastCGI socket, haproxy's stats socket, a D-Bus call, a line
#     through logger into /var/log/syslog...), and that status/show/list-units/journalctl -u
#     tell the truth about it;
#  6. bad input: a local package whose service fails its configuration check (e2e-broken/,
#     built with dpkg-deb): apt-get must fail as on systemd, status must say why, the other
#     services must not notice; then it is purged;
#  7. restart (new MainPID), reload where CanReload=yes, stop, start, and kill -9 of the main
#     process of every unit with Restart= on-failure/always/on-abort/on-abnormal (back with a new
#     PID, NRestarts + 1);
#  8. SIGTERM to PID 1: exit code 0, and nothing left of the container;
#  9. boots the same image again and checks the enabled services come back by themselves.
# Prints one table, the systemctl call figures, the timings; exit 0 only if every check passed.
#
# Environment: E2E_CACHE (default /var/cache/systemctl-shim-e2e), E2E_STATE (a run directory;
# default under $E2E_CACHE/runs), E2E_KEEP=1 to keep the run directory, E2E_BINARY,
# E2E_APT_OPTS (extra apt-get options), E2E_389DS=0/1 to leave out/add the 389 Directory Server,
# E2E_PEER=1 for the speed comparison: the same apt-get install with the Python peer
# systemctl3.py as the maintainer scripts' systemctl (only steps 1-4 and the call figures).
set -uo pipefail
# The whole script is one compound command, read in full before it runs: editing or checking
# out another version during a run cannot change what the running suite executes.
{
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export E2E_CACHE=${E2E_CACHE:-/var/cache/systemctl-shim-e2e}
BINARY=${E2E_BINARY:-$REPO/target/x86_64-unknown-linux-gnu/release/systemctl}
DEFAULT_PACKAGES="nginx openssh-server redis-server memcached postgresql apache2 mariadb-server php8.2-fpm haproxy rsyslog cron dbus"
read -r -a PACKAGES <<<"${*:-${E2E_PACKAGES:-$DEFAULT_PACKAGES}}"
STATE=${E2E_STATE:-$E2E_CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$}
BOOT=$HERE/boot.sh
PEER=${E2E_PEER:-0}
# 389-ds-base joins the default list only; a run of named packages adds it with E2E_389DS=1.
if [ -z "${*:-${E2E_PACKAGES:-}}" ]; then DS389=${E2E_389DS:-1}; else DS389=${E2E_389DS:-0}; fi
# The default list must bring the systemd package for the login1 timings; named packages may not.
if [ -z "${*:-${E2E_PACKAGES:-}}" ]; then DEFAULT_RUN=1; else DEFAULT_RUN=0; fi
[ "$PEER" = 1 ] && DS389=0
# How long a unit may take to settle and answer once its job is done (a Type=simple daemon is
# active at fork), and to come back after kill -9 (on top of its RestartSec=).
ANSWER_TIMEOUT=20
RESTART_TIMEOUT=30

failures=()
fail() { failures+=("$*"); printf 'FAIL: %s\n' "$*"; }
note() { printf '== %s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
secs2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
inside() { "$BOOT" exec "$STATE" "$@"; }
# Our systemctl, not the tracing wrapper, so the suite's own calls stay out of the call log.
sc() { inside /usr/bin/systemctl "$@"; }
has() { local x=$1; shift; local y; for y in "$@"; do [ "$x" = "$y" ] && return 0; done; return 1; }

suite_t0=$(now)
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    if "$BOOT" pid "$STATE" >/dev/null 2>&1; then
        note "killing the container left running"
        "$BOOT" kill "$STATE"
    fi
    [ -d "$STATE" ] || return 0
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        echo "run directory kept: $STATE (console.log, apt*.log, systemctl-calls.log, upper/)"
    elif [ ${#failures[@]} -eq 0 ]; then
        rm -rf "$STATE"
    else
        # The logs of a failed run stay; its image (about 1 GB) only with E2E_KEEP=1, so that
        # failing CI runs do not fill the disk.
        rm -rf "$STATE/upper" "$STATE/work" "$STATE/root" "$STATE/systemctl-shim"
        echo "logs of the failed run kept: $STATE (console.log, apt*.log, systemctl-calls.log; E2E_KEEP=1 keeps its image too)"
    fi
}
trap cleanup EXIT

# package → unit
unit_of() {
    case $1 in
        openssh-server) echo ssh.service ;;
        postgresql) echo postgresql@15-main.service ;;
        mariadb-server) echo mariadb.service ;;
        389-ds-base) echo dirsrv@e2e.service ;;
        *) echo "$1.service" ;;
    esac
}

# package → the main process's name (/proc/PID/comm)
daemon_of() {
    case $1 in
        openssh-server) echo sshd ;;
        postgresql) echo postgres ;;
        mariadb-server) echo mariadbd ;;
        php8.2-fpm) echo php-fpm8.2 ;;
        rsyslog) echo rsyslogd ;;
        dbus) echo dbus-daemon ;;
        389-ds-base) echo ns-slapd ;;
        *) echo "$1" ;;
    esac
}

NGINX_PORT=80
# Does the service answer? Prints the first line of what it got; exit 0 when it is the
# expected answer.
answers() {
    local pkg=$1
    case $pkg in
        nginx)
            inside curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/" | grep -x 200 ;;
        apache2)
            inside curl -s -o /dev/null -m 5 -w '%{http_code}' http://127.0.0.1:80/ | grep -x 200 ;;
        openssh-server)
            inside timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22; head -c 8 <&3' | grep '^SSH-2.0' ;;
        redis-server)
            inside timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379; printf "PING\r\n" >&3; head -c 5 <&3' | grep -x '+PONG' ;;
        memcached)
            inside timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211; printf "version\r\n" >&3; head -n 1 <&3' | tr -d '\r' | grep '^VERSION' ;;
        cron)
            # cron has no socket: its main process is alive and is cron.
            local p; p=$(sc show -P MainPID cron.service)
            [ "${p:-0}" != 0 ] && inside cat "/proc/$p/comm" | grep -x cron ;;
        rsyslog)
            # A line through /dev/log must reach /var/log/syslog.
            local tag="e2e-$$-$RANDOM"
            inside logger -t "$tag" hello 2>/dev/null || return 1
            for _ in $(seq 1 50); do
                inside grep -h "$tag" /var/log/syslog 2>/dev/null | head -n 1 | grep . && return 0
                sleep 0.1
            done; return 1 ;;
        postgresql)
            inside su postgres -c "psql -tAc 'SELECT 1'" 2>/dev/null | grep -x 1 ;;
        mariadb-server)
            inside mariadb -N -e 'SELECT 1' 2>/dev/null | grep -x 1 ;;
        php8.2-fpm)
            inside perl /usr/local/lib/e2e/probe.pl fcgi /run/php/php8.2-fpm.sock /var/www/e2e-php/ping.php | grep -x 'php-ok' ;;
        haproxy)
            inside perl /usr/local/lib/e2e/probe.pl unix /run/haproxy/admin.sock $'show info\n' | grep '^Name: HAProxy' ;;
        dbus)
            inside dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId | grep -o 'string "[0-9a-f]*"' ;;
        389-ds-base)
            inside ldapsearch -x -LLL -H ldap://127.0.0.1:389 -b dc=example,dc=com -s base dn | grep -x 'dn: dc=example,dc=com' ;;
        *) return 1 ;;
    esac
}

# answers, retried until ANSWER_TIMEOUT: "active" does not mean "listening" for Type=simple.
answers_soon() {
    local deadline=$(( $(date +%s) + ANSWER_TIMEOUT )) out
    while :; do
        if out=$(answers "$1" 2>/dev/null | head -n 1) && [ -n "$out" ]; then
            printf '%s\n' "$out"; return 0
        fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# Wait until CMD… prints WANT (deadline in seconds); prints the last value.
wait_for() {
    local want=$1 timeout=$2; shift 2
    local deadline=$(( $(date +%s) + timeout )) got
    while :; do
        got=$("$@" 2>/dev/null)
        [ "$got" = "$want" ] && { printf '%s\n' "$got"; return 0; }
        [ "$(date +%s)" -lt "$deadline" ] || { printf '%s\n' "${got:-none}"; return 1; }
        sleep 0.1
    done
}

# A pass-through wrapper first on dpkg's PATH: logs every systemctl call of the maintainer
# scripts (exit code, start and end in ns, argv, the calling command) and whatever it wrote on
# stderr, and runs $E2E_SYSTEMCTL (ours, or the peer in E2E_PEER mode) unchanged. The clock
# is read outside the timed interval, so the figures are the calls' own. stderr is held until
# the call ends, then passed on, so it also reaches the log.
install_trace() {
    local target=$1
    # shellcheck disable=SC2016  # expanded by the container's sh
    inside sh -c 'mkdir -p /usr/local/lib/e2e && cat >/usr/local/sbin/systemctl <<EOF
#!/bin/sh
err=\$(mktemp)
t0=\$(date +%s%N)
$1 "\$@" 2>"\$err"
rc=\$?
t1=\$(date +%s%N)
cat "\$err" >&2
caller=\$(tr "\\0" " " 2>/dev/null </proc/\${PPID:-0}/cmdline)
printf "%s\\t%s\\t%s\\t%s\\t%s\\n" "\$rc" "\$t0" "\$t1" "\$*" "\$caller" >>/var/log/e2e-systemctl-calls.log
[ -s "\$err" ] && sed "s|^|\$rc\\t\$*\\t|" "\$err" >>/var/log/e2e-systemctl-stderr.log
rm -f "\$err"
exit \$rc
EOF
chmod 755 /usr/local/sbin/systemctl' sh "$target"
}

# apt-get as the suite runs it: the tracing wrapper's directory first on dpkg's PATH (apt runs
# dpkg with PATH=DPkg::Path; nothing else changes). Callers installing from the downloaded
# archives pass --no-download (a local .deb cannot take it: apt's "Pathname to install is not
# absolute").
apt_install() {
    local log=$1; shift
    # shellcheck disable=SC2086  # E2E_APT_OPTS is a list of options
    inside apt-get install -y \
        -o DPkg::Path=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin ${E2E_APT_OPTS:-} "$@" >"$log" 2>&1
}

# One apt-get install of the downloaded packages: timed (STEP_SECS), reported, failed on error.
install_step() {
    local log=$1; shift
    local t0 rc
    t0=$(now)
    apt_install "$log" --no-download "$@"
    rc=$?
    STEP_SECS=$(secs "$t0" "$(now)")
    note "apt-get install -y $*: exit $rc in ${STEP_SECS}s"
    [ "$rc" = 0 ] || fail "apt-get install $* exited $rc (see $log)"
}

# The table's cells: CELL[package.column].
declare -A CELL

# Login1 timings (issue 16): with the systemd package installed, apt-get and `su -` take no
# longer than without it. apt links libsystemd and asks org.freedesktop.login1 for a shutdown
# inhibitor around dpkg; pam_systemd (libpam-systemd, in common-session) asks it for a session.
# Without a logind each waited out dbus-daemon's 25 s method call timeout (apt-get install
# --reinstall cron: 27.8 s instead of 1.2 s); the manager serves login1 itself. The same commands
# in the same container, before the packages (no bus at all: apt and su go on at once) and after.
LOGIN_RUNS=3
LOGIN_USER=e2euser
LOGIN_LABELS=("apt-get install --reinstall -y cron" "su - -c true" "runuser -l $LOGIN_USER -c true")
login_cmd() {  # $1: index into LOGIN_LABELS
    case $1 in
        # (plain apt-get: dpkg's PATH without the tracing wrapper, the call log is the install's)
        0) inside apt-get install --reinstall -y --no-download cron ;;
        1) inside su - -c true ;;
        2) inside runuser -l "$LOGIN_USER" -c true ;;
    esac
}
declare -A LOGIN   # LOGIN[before.I], LOGIN[after.I]: "median run run run" in seconds
login_timings() {  # $1: before|after
    local when=$1 i r t0 rc runs
    for i in "${!LOGIN_LABELS[@]}"; do
        runs=()
        for r in $(seq 1 "$LOGIN_RUNS"); do
            echo "== $when $r: ${LOGIN_LABELS[$i]}" >>"$STATE/login1-$when.log"
            t0=$(now)
            login_cmd "$i" >>"$STATE/login1-$when.log" 2>&1
            rc=$?
            runs+=("$(secs2 "$t0" "$(now)")")
            [ "$rc" = 0 ] || fail "login1 timings ($when): ${LOGIN_LABELS[$i]} exited $rc (see $STATE/login1-$when.log)"
        done
        LOGIN[$when.$i]="$(printf '%s\n' "${runs[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%s", v[int((NR + 1) / 2)] }') ${runs[*]}"
    done
}
print_login_timings() {
    local i b a
    printf '  %-38s %-30s %s\n' "median (runs) in s" "before: no systemd package" "after: systemd, libpam-systemd, dbus"
    for i in "${!LOGIN_LABELS[@]}"; do
        read -r -a b <<<"${LOGIN[before.$i]:--}"
        read -r -a a <<<"${LOGIN[after.$i]:--}"
        printf '  %-38s %-30s %s\n' "${LOGIN_LABELS[$i]}" "${b[0]}${b[1]:+ (${b[*]:1})}" "${a[0]}${a[1]:+ (${a[*]:1})}"
    done
}
# "after" may be slower than "before" by max(1 s, 50 %) at most (medians; a bigger dpkg database
# after the install, and a shared machine).
login_compare() {
    local i b a
    for i in "${!LOGIN_LABELS[@]}"; do
        b=${LOGIN[before.$i]%% *} a=${LOGIN[after.$i]%% *}
        if awk -v b="$b" -v a="$a" 'BEGIN { m = b / 2; if (m < 1) m = 1; exit !(a > b + m) }'; then
            fail "login1 timings: ${LOGIN_LABELS[$i]} takes ${a}s with the systemd package, ${b}s without (more than max(1 s, 50 %) slower)"
        fi
    done
}
# A D-Bus name's owner's PID on the system bus, once it has one (deadline in seconds).
bus_owner_pid() {
    local name=$1 timeout=$2 deadline pid
    deadline=$(( $(date +%s) + timeout ))
    while :; do
        pid=$(inside dbus-send --system --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.GetConnectionUnixProcessID "string:$name" 2>/dev/null | awk '{ print $NF }')
        [ -n "$pid" ] && { printf '%s\n' "$pid"; return 0; }
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# ---------------------------------------------------------------------------------------------
mkdir -p "$STATE"
echo "run directory: $STATE"
[ -x "$BINARY" ] || (cd "$REPO" && cargo build --release) || { fail "cargo build"; exit 1; }

t0=$(now)
"$HERE/rootfs.sh" build >/dev/null || { fail "rootfs build"; exit 1; }
t_rootfs=$(secs "$t0" "$(now)")
note "rootfs ready in ${t_rootfs}s"

# The bad-input package, built here (dpkg-deb from tests/e2e/e2e-broken).
BROKEN_DEB=$STATE/e2e-broken_1.0_all.deb
dpkg-deb --root-owner-group -b "$HERE/e2e-broken" "$BROKEN_DEB" >/dev/null || { fail "dpkg-deb e2e-broken"; exit 1; }

# The packages whose .debs the container will need.
t0=$(now)
mkdir -p "$E2E_CACHE/archives/partial"
download=("${PACKAGES[@]}")
[ "$PEER" = 1 ] && download+=(python3)
# cron is installed alone first for the login1 timings (step 3b), from these archives too.
[ "$PEER" != 1 ] && ! has cron "${download[@]}" && download+=(cron)
"$HERE/rootfs.sh" download "$E2E_CACHE/archives" "${download[@]}" >"$STATE/download.log" 2>&1 ||
    { fail "apt-get --download-only (see $STATE/download.log)"; exit 1; }
if [ "$DS389" = 1 ]; then
    # 389-ds-base's Recommends are a Python plotting stack (cockpit's); a server needs none.
    "$HERE/rootfs.sh" download "$E2E_CACHE/archives" --no-install-recommends 389-ds-base ldap-utils \
        >>"$STATE/download.log" 2>&1 || { fail "apt-get --download-only 389-ds-base (see $STATE/download.log)"; exit 1; }
fi
t_download=$(secs "$t0" "$(now)")
note "packages downloaded in ${t_download}s"

export E2E_ARCHIVES=$E2E_CACHE/archives
t0=$(now)
"$BOOT" start "$STATE" "$BINARY" >/dev/null || { fail "container start"; exit 1; }
state=$("$BOOT" wait "$STATE" 60) || fail "boot: is-system-running says '$state' after 60 s"
t_boot=$(secs "$t0" "$(now)")
note "booted ($state) in ${t_boot}s"
inside sh -c 'mkdir -p /usr/local/lib/e2e && cat >/usr/local/lib/e2e/probe.pl' <"$HERE/probe.pl"

if [ "$PEER" = 1 ]; then
    # The peer is a Python script: python3 first (not traced), then the peer as the
    # maintainer scripts' systemctl. Our binary stays PID 1 and the suite's own systemctl.
    peer=$(command -v systemctl3.py) || { fail "E2E_PEER=1: no systemctl3.py on this machine"; exit 1; }
    # (a pyenv shim names the real script)
    if command -v pyenv >/dev/null 2>&1 && real=$(pyenv which systemctl3.py 2>/dev/null); then peer=$real; fi
    # pip installs systemctl3.py as an entry point of the module systemctl2.systemctl3, itself
    # the whole program (one file, standard library only): copy the module.
    if grep -q '^from systemctl2.systemctl3 import' "$peer"; then
        peer=$("$(head -n 1 "$peer" | sed 's/^#! *//')" -c 'import systemctl2.systemctl3 as m; print(m.__file__)') ||
            { fail "E2E_PEER=1: cannot find the module systemctl2.systemctl3"; exit 1; }
    fi
    apt_install "$STATE/apt-python3.log" --no-download python3 || { fail "apt-get install python3 (see $STATE/apt-python3.log)"; exit 1; }
    { printf '#!/usr/bin/python3\n'; tail -n +2 "$peer"; } |
        inside sh -c 'cat >/usr/local/lib/e2e/systemctl3.py && chmod 755 /usr/local/lib/e2e/systemctl3.py'
    # A SysV script's LSB functions hand "start" back to systemctl unless PID 1 runs them; the
    # peer runs them itself, so without this it would call itself again and wait on its own
    # lock (exim4's postinst hangs for ever).
    install_trace "SYSTEMCTL_SKIP_REDIRECT=1 /usr/local/lib/e2e/systemctl3.py"
    note "peer: $(inside /usr/local/lib/e2e/systemctl3.py --version 2>&1 | head -n 1)"
else
    install_trace /usr/bin/systemctl
fi

# ---------------------------------------------------------------------------------------------
# 3b. Login1 timings, before: cron alone (with its Recommends, exim4, as the install of the
# whole list brings them: that install then has the same packages as ever), a plain user, then
# the timed commands, with no systemd package, libpam-systemd or dbus in the image.
LOGIN_TIMING=0
t_cron=0
if [ "$PEER" != 1 ]; then
    note "login1 timings, before: apt-get install cron alone, in the image without the systemd package"
    t0=$(now)
    apt_install "$STATE/apt-cron.log" --no-download cron || fail "apt-get install cron (see $STATE/apt-cron.log)"
    t_cron=$(secs "$t0" "$(now)")
    inside useradd -m -s /bin/sh "$LOGIN_USER" || fail "useradd $LOGIN_USER"
    # shellcheck disable=SC2016  # dpkg-query's format
    present=$(for p in systemd libpam-systemd dbus; do
        inside dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && printf '%s ' "$p"; done)
    inside grep -q pam_systemd /etc/pam.d/common-session && present+="pam_systemd.so in common-session"
    if [ -n "$present" ]; then
        fail "login1 timings: the image has, before the install: $present"
    else
        login_timings before
        LOGIN_TIMING=1
        print_login_timings
    fi
fi

# ---------------------------------------------------------------------------------------------
# 4. apt-get install, in two steps when nginx and apache2 both want port 80.
first=() second=()
for pkg in "${PACKAGES[@]}"; do
    if [ "$pkg" = apache2 ] && has nginx "${PACKAGES[@]}"; then second+=("$pkg"); else first+=("$pkg"); fi
done
install_step "$STATE/apt.log" "${first[@]}"
t_apt1=$STEP_SECS
t_apt2=0
if [ ${#second[@]} -gt 0 ]; then
    # The administrator's move of nginx to port 8080: its site file, then a restart.
    inside sed -i -E 's/listen (\[::\]:)?80 default_server/listen \18080 default_server/' /etc/nginx/sites-available/default
    # (with the systemctl that started it, past the wrapper: the call log is the maintainer scripts')
    if [ "$PEER" = 1 ]; then inside env SYSTEMCTL_SKIP_REDIRECT=1 /usr/local/lib/e2e/systemctl3.py restart nginx.service
    else sc restart nginx.service; fi ||
        fail "systemctl restart nginx.service after moving it to port 8080"
    NGINX_PORT=8080
    answers_soon nginx >/dev/null || fail "nginx does not answer on port 8080 after its restart"
    install_step "$STATE/apt-2.log" "${second[@]}"
    t_apt2=$STEP_SECS
fi
t_apt=$(awk -v a="$t_apt1" -v b="$t_apt2" 'BEGIN { printf "%.1f", a + b }')
inside cat /var/log/e2e-systemctl-calls.log >"$STATE/systemctl-calls.log" 2>/dev/null
inside cat /var/log/e2e-systemctl-stderr.log >"$STATE/systemctl-stderr.log" 2>/dev/null

# The figures of the maintainer scripts' systemctl calls: how many, the time spent in them.
call_figures() {
    awk -F'\t' '{ n++; t += ($3 - $2) / 1e9; split($4, w, " ")
                  v = ""; for (i = 1; i in w; i++) {
                      if (w[i] ~ /^-[ptnos]$|^--(property|type|state|lines|output|signal)$/) { i++; continue }
                      if (w[i] !~ /^-/) { v = w[i]; break } }
                  vt[v] += ($3 - $2) / 1e9; vn[v]++
                  if (v !~ /^(start|restart|try-restart|reload-or-restart|stop)$/) { qn++; qt += ($3 - $2) / 1e9 } }
        END { if (n == 0) { print "  no calls"; exit }
              printf "  %d calls, %.2f s in systemctl, %.1f calls/s, %.1f ms a call on average\n", n, t, n / t, 1000 * t / n
              # Jobs last as long as the services take to start or stop; the rest is systemctl.
              if (qt > 0) printf "  without start/stop/restart jobs: %d calls, %.2f s, %.1f calls/s\n", qn, qt, qn / qt
              for (v in vt) printf "    %-16s %4d calls %7.2f s %7.1f ms/call\n", v, vn[v], vt[v], 1000 * vt[v] / vn[v] | "sort -k4,4 -rn" }' "$1"
}
note "systemctl calls made by maintainer scripts during apt-get ($([ "$PEER" = 1 ] && echo "peer systemctl3.py" || echo ours))"
call_figures "$STATE/systemctl-calls.log" | tee "$STATE/call-figures.txt"
echo "  apt-get install ${t_apt}s in all"

if [ "$PEER" = 1 ]; then
    echo
    echo "timings (peer): boot ${t_boot}s, apt-get install ${t_apt}s, suite $(secs "$suite_t0" "$(now)")s"
    if [ ${#failures[@]} -eq 0 ]; then echo "e2e peer: ${#PACKAGES[@]} packages installed"; exit 0; fi
    printf 'e2e peer: %d failures:\n' "${#failures[@]}"; printf '  %s\n' "${failures[@]}"; exit 1
fi

# What the packages did to the installation the README describes: a package (systemd-sysv,
# pulled in by libpam-systemd, a Recommends of openssh-server) may replace /sbin/init, and the
# systemd package brings the real journalctl, systemd-tmpfiles, systemd-notify... over names
# our binary answers to. boot.sh links /sbin/init again at every start; this reports it.
note "the installation after apt-get"
ours=$(inside stat -L -c %i /usr/bin/systemctl)
for f in /sbin/init /usr/sbin/init /bin/systemctl /usr/bin/systemctl /usr/bin/journalctl /usr/bin/systemd-tmpfiles /usr/bin/systemd-notify /usr/bin/systemd-detect-virt /usr/bin/systemd-escape /usr/sbin/runlevel /usr/sbin/telinit /usr/sbin/shutdown /usr/sbin/halt /usr/sbin/reboot /usr/sbin/poweroff; do
    [ "$(inside sh -c "test -e $f && echo y")" = y ] || continue
    ino=$(inside stat -L -c %i "$f")
    if [ "$ino" = "$ours" ]; then who="ours"; else who="NOT ours: $(inside readlink -f "$f")"; fail "$f is not our binary after apt-get"; fi
    printf '  %-28s %s\n' "$f" "$who"
done

# dbus.service is static (no [Install]): deb-systemd-invoke leaves it alone on systemd too
# ("dbus.service is a disabled or a static unit, not starting it.") and it first runs at the
# next boot. An administrator starts it by hand.
if has dbus "${PACKAGES[@]}"; then
    if grep -q 'dbus.service is a disabled or a static unit, not starting it' "$STATE/apt.log"; then
        sc start dbus.service || fail "systemctl start dbus.service"
    else
        fail "deb-systemd-invoke did not report dbus.service as static (is-enabled dbus.service: $(sc is-enabled dbus.service))"
    fi
fi

# ---------------------------------------------------------------------------------------------
# 4b. Login1 timings, after: the systemd package, libpam-systemd and dbus installed, dbus.service
# active, org.freedesktop.login1 owned by PID 1 (our manager); a dbus-monitor sees apt's
# Inhibit() and pam_systemd's CreateSession() reach it and no error come back.
if [ "$LOGIN_TIMING" = 1 ]; then
    note "login1 timings, after: the systemd package, libpam-systemd and dbus installed"
    missing=()
    # shellcheck disable=SC2016  # dpkg-query's format
    for p in systemd libpam-systemd dbus; do
        inside dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    inside grep -qE '^[^#]*pam_systemd\.so' /etc/pam.d/common-session || missing+=("pam_systemd.so in /etc/pam.d/common-session")
    [ "$(sc is-active dbus.service)" = active ] || missing+=("an active dbus.service")
    if [ ${#missing[@]} -gt 0 ]; then
        LOGIN_TIMING=0
        lacking=$(printf '%s, ' "${missing[@]}")
        if [ "$DEFAULT_RUN" = 1 ]; then fail "login1 timings: after the install, missing: ${lacking%, }"
        else note "login1 timings skipped: the packages did not bring ${lacking%, }"; fi
    else
        if owner=$(bus_owner_pid org.freedesktop.login1 20); then
            [ "$owner" = 1 ] || fail "login1 timings: org.freedesktop.login1 is owned by PID $owner, not the manager (PID 1)"
        else
            fail "login1 timings: org.freedesktop.login1 has no owner 20 s after dbus.service became active"
        fi
        # dbus-monitor's pid inside, to stop it; it prints NameLost once it is a monitor.
        # shellcheck disable=SC2016  # expanded by the container's sh
        inside sh -c 'echo $$ >/run/e2e-login1-monitor.pid; exec dbus-monitor --system "$@"' sh \
            "type='method_call',interface='org.freedesktop.login1.Manager'" \
            "type='error',sender='org.freedesktop.login1'" >"$STATE/login1-monitor.log" 2>&1 &
        monitor=$!
        deadline=$(( $(date +%s) + 10 ))
        until grep -q 'member=NameLost' "$STATE/login1-monitor.log" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.1; done
        grep -q 'member=NameLost' "$STATE/login1-monitor.log" || fail "login1 timings: dbus-monitor did not start within 10 s (see $STATE/login1-monitor.log)"
        login_timings after
        # shellcheck disable=SC2016  # expanded by the container's sh
        inside sh -c 'kill "$(cat /run/e2e-login1-monitor.pid)"'
        deadline=$(( $(date +%s) + 10 ))
        while kill -0 "$monitor" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
        kill "$monitor" 2>/dev/null
        wait "$monitor"
        n_inhibit=$(grep -c 'member=Inhibit$' "$STATE/login1-monitor.log")
        n_session=$(grep -c 'member=CreateSession$' "$STATE/login1-monitor.log")
        note "login1 during the timings: $n_inhibit Inhibit() (apt), $n_session CreateSession() (pam_systemd), $(grep -c '^error ' "$STATE/login1-monitor.log") errors"
        [ "$n_inhibit" -ge "$LOGIN_RUNS" ] || fail "login1 timings: $n_inhibit Inhibit() calls for $LOGIN_RUNS apt-get runs (see $STATE/login1-monitor.log)"
        [ "$n_session" -ge $((2 * LOGIN_RUNS)) ] || fail "login1 timings: $n_session CreateSession() calls for $((2 * LOGIN_RUNS)) su/runuser runs (see $STATE/login1-monitor.log)"
        if grep -q '^error ' "$STATE/login1-monitor.log"; then
            grep -A1 '^error ' "$STATE/login1-monitor.log" | sed 's/^/    /'
            fail "login1 timings: org.freedesktop.login1 answered with errors (see $STATE/login1-monitor.log)"
        fi
        print_login_timings
        login_compare
    fi
fi

# php-fpm answers a PHP page through its FastCGI socket.
if has php8.2-fpm "${PACKAGES[@]}"; then
    inside sh -c 'mkdir -p /var/www/e2e-php && echo "<?php echo \"php-ok\\n\";" >/var/www/e2e-php/ping.php'
fi

# ---------------------------------------------------------------------------------------------
# 5. Every unit: installed, active, answers; status/show/list-units/journalctl agree.
check_truth() {  # $1: package; prints what is wrong, nothing when all agree
    local pkg=$1 unit pid st lu
    unit=$(unit_of "$pkg")
    pid=$(sc show -P MainPID "$unit")
    if [ "${pid:-0}" = 0 ]; then echo "show -P MainPID is 0"; return; fi
    [ "$(inside cat "/proc/$pid/comm" 2>/dev/null)" = "$(daemon_of "$pkg")" ] ||
        echo "MainPID $pid is '$(inside cat "/proc/$pid/comm" 2>&1)', not $(daemon_of "$pkg")"
    st=$(sc status --no-pager "$unit" 2>&1)
    grep -q 'Active: active (running)' <<<"$st" || echo "status has no 'Active: active (running)': $(grep 'Active:' <<<"$st")"
    grep -qE "Main PID: $pid( |$)" <<<"$st" || echo "status's Main PID is not $pid: $(grep 'Main PID' <<<"$st")"
    lu=$(sc list-units --no-legend --plain --all "$unit" 2>&1)
    grep -qE "^$unit +loaded +active +running" <<<"$lu" || echo "list-units says: ${lu:-nothing}"
    sc list-units --no-legend --plain --type=service --state=running 2>&1 | grep -qE "^$unit " ||
        echo "list-units --state=running does not list it"
    inside journalctl -u "$unit" --no-pager 2>&1 | grep -F "Started " | grep -qF "$(sc show -P Description "$unit")" ||
        echo "journalctl -u has no 'Started …' line"
}

check_all() {   # $1: label; fills the installed/active/answered/truth cells, records failures
    local label=$1 pkg unit act ans bad
    for pkg in "${PACKAGES[@]}"; do
        unit=$(unit_of "$pkg")
        CELL[$pkg.type]=$(sc show -P Type "$unit" 2>/dev/null)
        # shellcheck disable=SC2016  # dpkg-query's format
        if inside dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            CELL[$pkg.inst]=yes; else CELL[$pkg.inst]=no; fail "$label: $pkg not installed"; fi
        act=$(sc is-active "$unit" 2>/dev/null); CELL[$pkg.act]=${act:-?}
        [ "$act" = active ] || fail "$label: $unit is ${act:-?}"
        if [ "$act" != active ]; then
            # Nothing to ask: status says why (see "failed units").
            CELL[$pkg.ans]=-; CELL[$pkg.truth]=-; continue
        fi
        if ans=$(answers_soon "$pkg"); then CELL[$pkg.ans]=$ans; else CELL[$pkg.ans]=no; fail "$label: $pkg ($unit) does not answer"; fi
        bad=$(check_truth "$pkg")
        if [ -z "$bad" ]; then CELL[$pkg.truth]=ok; else
            CELL[$pkg.truth]=wrong
            while IFS= read -r l; do fail "$label: $unit: $l"; done <<<"$bad"
        fi
    done
}

print_table() {
    printf '\n%-15s %-27s %-8s %-5s %-8s %-17s %-6s %-15s %-8s %-8s %s\n' \
        package unit type inst active answered truth restarted reloaded stopped killed
    for pkg in "${PACKAGES[@]}"; do
        printf '%-15s %-27s %-8s %-5s %-8s %-17.17s %-6s %-15s %-8s %-8s %s\n' "$pkg" "$(unit_of "$pkg")" \
            "${CELL[$pkg.type]:--}" "${CELL[$pkg.inst]:--}" "${CELL[$pkg.act]:--}" "${CELL[$pkg.ans]:--}" \
            "${CELL[$pkg.truth]:--}" "${CELL[$pkg.restart]:--}" "${CELL[$pkg.reload]:--}" \
            "${CELL[$pkg.stop]:--}" "${CELL[$pkg.kill]:--}"
    done
    echo
}

# 389 Directory Server: dscreate from-file, started through systemctl (dirsrv@e2e.service,
# Type=notify, wanted by dirsrv.target), then an LDAP search.
if [ "$DS389" = 1 ]; then
    note "389-ds-base: apt-get install, dscreate from-file"
    t0=$(now)
    apt_install "$STATE/apt-389ds.log" --no-download --no-install-recommends 389-ds-base ldap-utils ||
        fail "apt-get install 389-ds-base (see $STATE/apt-389ds.log)"
    inside sh -c 'cat >/root/e2e-ds.inf' <<'EOF'
[general]
full_machine_name = localhost
start = True
[slapd]
instance_name = e2e
root_password = e2e-Secret-1
port = 389
self_sign_cert = False
[backend-userroot]
sample_entries = yes
suffix = dc=example,dc=com
EOF
    inside dscreate from-file /root/e2e-ds.inf >"$STATE/dscreate.log" 2>&1 ||
        fail "dscreate from-file exited $? (see $STATE/dscreate.log)"
    note "389-ds-base ready in $(secs "$t0" "$(now)")s"
    PACKAGES+=(389-ds-base)
fi

check_all install

# Queries answer "no" with their exit code (is-active 3 before a first start, is-enabled 1
# before deb-systemd-helper's enable) as on systemd: listed apart from the actions that failed.
note "maintainer scripts' systemctl calls that exited non-zero: actions"
awk -F'\t' '$1 != 0 && $4 !~ /(^| )(is-active|is-enabled|is-failed|status|show)( |$)/ {
    print "  exit " $1 ": systemctl " $4 "   (from " $5 ")" }' "$STATE/systemctl-calls.log" | sort | uniq -c
note "maintainer scripts' systemctl calls that exited non-zero: queries"
awk -F'\t' '$1 != 0 && $4 ~ /(^| )(is-active|is-enabled|is-failed|status|show)( |$)/ {
    print "  exit " $1 ": systemctl " $4 "   (from " $5 ")" }' "$STATE/systemctl-calls.log" | sort | uniq -c
note "verbs not supported"
unsupported=$(cat "$STATE"/apt*.log "$STATE/systemctl-stderr.log" 2>/dev/null |
    grep -oE "Verb '[^']*' is not supported by this systemctl\.|unexpected argument '[^']*' found" | sort | uniq -c)
if [ -n "$unsupported" ]; then
    printf '%s\n' "$unsupported"
    fail "maintainer scripts met verbs or options we do not support"
else
    echo "  none"
fi
note "errors and warnings in the apt logs"
grep -nE "not supported by this systemctl|Unknown command verb|[Ee]rror|[Ff]ailed|[Ww]arning|dpkg: |invoke-rc.d|returned error exit|unexpected argument" "$STATE"/apt*.log |
    grep -vE ":[0-9]+:(Get|Selecting|Preparing|Unpacking|Setting up) " | head -n 60
sc --failed --no-legend --plain >"$STATE/failed.txt" 2>&1
if [ -s "$STATE/failed.txt" ]; then
    note "failed units"; cat "$STATE/failed.txt"
    while read -r u _; do
        sc status --no-pager -n 8 "$u" 2>&1 | sed 's/^/    /'
    done <"$STATE/failed.txt"
    fail "failed units: $(awk '{print $1}' "$STATE/failed.txt" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------------
# 6. Bad input: a service that fails to start, through apt-get.
note "bad input: apt-get install e2e-broken (its service fails its configuration check)"
inside sh -c 'cat >/root/e2e-broken_1.0_all.deb' <"$BROKEN_DEB"
before=$(for pkg in "${PACKAGES[@]}"; do printf '%s=%s ' "$pkg" "$(sc show -P MainPID "$(unit_of "$pkg")")"; done)
apt_install "$STATE/apt-broken.log" /root/e2e-broken_1.0_all.deb
rc=$?
[ "$rc" != 0 ] || fail "bad input: apt-get install e2e-broken exited 0"
# What apt-get says on systemd, line by line (systemctl start, invoke-rc.d, dpkg, apt).
for want in \
    'Job for e2e-broken.service failed because the control process exited with error code.' \
    'See "systemctl status e2e-broken.service" and "journalctl -xeu e2e-broken.service" for details.' \
    'invoke-rc.d: initscript e2e-broken, action "start" failed.' \
    'installed e2e-broken package post-installation script subprocess returned error exit status 1' \
    'E: Sub-process /usr/bin/dpkg returned an error code (1)'; do
    grep -qF "$want" "$STATE/apt-broken.log" || fail "bad input: apt-get's output lacks: $want"
done
st=$(sc status --no-pager e2e-broken.service 2>&1)
printf '%s\n' "$st" | sed 's/^/    /'
grep -qE 'Active: failed \(Result: exit-code\)' <<<"$st" || fail "bad input: status lacks 'Active: failed (Result: exit-code)'"
grep -qE 'ExecStartPre=/usr/sbin/e2e-brokend -t \(code=exited, status=1/FAILURE\)' <<<"$st" ||
    fail "bad input: status lacks the ExecStartPre's exit status 1/FAILURE"
grep -qF 'e2e-brokend: configuration file test failed' <<<"$st" || fail "bad input: status lacks the daemon's last log line"
after=$(for pkg in "${PACKAGES[@]}"; do printf '%s=%s ' "$pkg" "$(sc show -P MainPID "$(unit_of "$pkg")")"; done)
[ "$before" = "$after" ] || fail "bad input: other services changed: before: $before; after: $after"
inside apt-get purge -y e2e-broken >"$STATE/apt-purge.log" 2>&1 || fail "apt-get purge e2e-broken (see $STATE/apt-purge.log)"
# As on systemd, the failed unit stays loaded (not-found, failed) after its file is gone, until
# the administrator resets it.
sc reset-failed e2e-broken.service || fail "bad input: systemctl reset-failed e2e-broken.service after its purge"
if sc --failed --no-legend --plain | grep -q e2e-broken; then fail "bad input: e2e-broken.service still listed by --failed after reset-failed"; fi

# ---------------------------------------------------------------------------------------------
# 7. restart, reload, stop, start, kill -9.
note "restart, reload, stop, start, kill -9 of each unit"
# After a job, the unit settles (a Type=notify service may say RELOADING=1 after its ExecReload=
# returned, and is "reloading" until READY=1); then is it active, and does it answer?
settled() {  # $1: package; prints "active, answers" or what is wrong
    local pkg=$1 act
    act=$(wait_for active "$ANSWER_TIMEOUT" sc is-active "$(unit_of "$pkg")")
    if [ "$act" != active ]; then echo "$act"; return 1; fi
    answers_soon "$pkg" >/dev/null || { echo "active, does not answer"; return 1; }
    echo "active, answers"
}

lifecycle() {  # $1: package; stderr (systemctl's warnings) goes to the caller's log
    local pkg=$1 unit pid new rc n0 n1 restart usec how triggers
    unit=$(unit_of "$pkg")
    pid=$(sc show -P MainPID "$unit")
    sc restart "$unit"; rc=$?
    how=$(settled "$pkg")
    new=$(sc show -P MainPID "$unit")
    if [ "$rc" = 0 ] && [ "${new:-0}" != 0 ] && [ "$new" != "$pid" ] && [ "$how" = "active, answers" ]; then
        CELL[$pkg.restart]="$pid→$new"
    else
        CELL[$pkg.restart]=FAIL; fail "$unit: restart (exit $rc, MainPID $pid → $new, $how)"
    fi
    if [ "$(sc show -P CanReload "$unit")" = yes ]; then
        sc reload "$unit"; rc=$?
        how=$(settled "$pkg")
        if [ "$rc" = 0 ] && [ "$how" = "active, answers" ]; then
            CELL[$pkg.reload]=ok
        else
            CELL[$pkg.reload]=FAIL; fail "$unit: reload (exit $rc, $how)"
        fi
    else
        CELL[$pkg.reload]=no-reload
    fi
    # A socket-activated service is stopped with its sockets, as an administrator does: else the
    # next message or connection starts it again at once (rsyslog: the manager's own "Stopped"
    # line reaches syslog.socket), on systemd as here.
    triggers=$(sc show -P TriggeredBy "$unit")
    pid=$(sc show -P MainPID "$unit")
    # shellcheck disable=SC2086  # a list of units
    sc stop $triggers "$unit"; rc=$?
    if [ "$rc" = 0 ] && [ "$(sc is-active "$unit")" = inactive ] && ! inside kill -0 "$pid" 2>/dev/null; then
        CELL[$pkg.stop]=ok
    else
        CELL[$pkg.stop]=FAIL; fail "$unit: stop ${triggers:+(with $triggers) }(exit $rc, $(sc is-active "$unit"), old main PID $pid $(inside kill -0 "$pid" 2>/dev/null && echo alive || echo gone))"
    fi
    # shellcheck disable=SC2086  # a list of units
    sc start $triggers "$unit"; rc=$?
    how=$(settled "$pkg")
    if [ "$rc" = 0 ] && [ "$how" = "active, answers" ]; then
        CELL[$pkg.stop]+="+start"
    else
        CELL[$pkg.stop]+="+FAIL"; fail "$unit: start after stop (exit $rc, $how)"
    fi
    restart=$(sc show -P Restart "$unit")
    case $restart in
        on-failure|always|on-abort|on-abnormal) ;;
        *) CELL[$pkg.kill]="Restart=$restart"; return ;;
    esac
    pid=$(sc show -P MainPID "$unit")
    n0=$(sc show -P NRestarts "$unit")
    usec=$(sc show -P RestartUSec "$unit" | awk '/ms$/ { print int($1 / 1000) + 1; next } /s$/ { print int($1) + 1; next } { print 1 }')
    inside kill -9 "$pid"
    # Back up: a new main PID, active, NRestarts one more.
    local deadline=$(( $(date +%s) + RESTART_TIMEOUT + usec ))
    while :; do
        new=$(sc show -P MainPID "$unit"); n1=$(sc show -P NRestarts "$unit")
        if [ "${new:-0}" != 0 ] && [ "$new" != "$pid" ] && [ "$(sc is-active "$unit")" = active ]; then break; fi
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 0.1
    done
    how=$(settled "$pkg")
    if [ "${new:-0}" != 0 ] && [ "$new" != "$pid" ] && [ "$n1" = $((n0 + 1)) ] && [ "$how" = "active, answers" ]; then
        CELL[$pkg.kill]="$pid→$new n=$n1"
    else
        CELL[$pkg.kill]=FAIL; fail "$unit (Restart=$restart): kill -9 $pid: MainPID now ${new:-0}, NRestarts $n0 → $n1, $how"
    fi
}
t0=$(now)
for pkg in "${PACKAGES[@]}"; do
    [ "${CELL[$pkg.act]:-}" = active ] || { CELL[$pkg.restart]=skipped; continue; }
    lifecycle "$pkg" 2>>"$STATE/lifecycle.log"
done
t_lifecycle=$(secs "$t0" "$(now)")
print_table

# ---------------------------------------------------------------------------------------------
# 8. SIGTERM to PID 1.
stop_check() {  # $1: label
    local label=$1 t0 rc
    inside ps -e -o pid=,args= >"$STATE/ps-before-stop-$label.txt" 2>&1
    t0=$(now)
    rc=$("$BOOT" stop "$STATE" 60 2>&1); local st=$?
    note "$label: SIGTERM → PID 1: ${rc:-no exit code} (status $st) in $(secs "$t0" "$(now)")s"
    [ "$rc" = 0 ] || fail "$label: PID 1 exit code '$rc' after SIGTERM"
    if "$BOOT" pid "$STATE" >/dev/null 2>&1; then
        # PID 1 hangs: what it still waits for, then SIGKILL so that the reboot step can run.
        inside ps -e -o pid=,args= | sed 's/^/    still running: /'
        "$BOOT" kill "$STATE"
    fi
    # The final sweep of our init reports what it had to kill; nothing of the container may
    # survive its namespace (the holder's unshare has returned, so every member is gone).
    local upid; upid=$(cat "$STATE/unshare.pid")
    [ ! -d "/proc/$upid" ] || fail "$label: unshare still running"
    # A unit's own kill lines ("apache2.service: Killing process N (apache2) with signal
    # SIGKILL.", KillMode=mixed's second phase, as systemd 252 logs them) are not the sweep's.
    if grep -niE "SIGKILL|sending sigkill|left|killing" "$STATE/console.log" \
        | grep -vE ': Killing process [0-9]+ \(.*\) with signal SIG[A-Z0-9+]+\.$' \
        | tail -n 5 | grep .; then
        fail "$label: processes had to be killed at shutdown (see console.log)"
    fi
    # boot.sh start reads unshare.pid while its new holder has yet to write it, and a stale one
    # (of this container, gone) ends start under set -e with no message: drop it.
    rm -f "$STATE/unshare.pid"
}
stop_check first-boot
cp "$STATE/console.log" "$STATE/console-first-boot.log"

# ---------------------------------------------------------------------------------------------
# 9. Reboot the same image: the enabled services must come back by themselves.
t0=$(now)
"$BOOT" start "$STATE" "$BINARY" >/dev/null || { fail "second boot"; exit 1; }
state=$("$BOOT" wait "$STATE" 120) || fail "reboot: is-system-running says '$state' after 120 s"
# Every unit active, or the boot is over and every unit has settled (a failed one fails below
# without making the suite wait out the deadline).
all_settled() {
    local pkg act all=yes
    for pkg in "${PACKAGES[@]}"; do
        act=$(sc is-active "$(unit_of "$pkg")" 2>/dev/null)
        case $act in
            active) ;;
            failed|inactive) all=no ;;
            *) echo waiting; return ;;
        esac
    done
    case $all:$(sc is-system-running 2>/dev/null) in
        yes:*) echo yes ;;
        no:running|no:degraded) echo no ;;
        *) echo waiting ;;
    esac
}
deadline=$(( $(date +%s) + 120 ))
while all=$(all_settled) && [ "$all" = waiting ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
t_reboot=$(secs "$t0" "$(now)")
note "reboot: system $state, all units active: $all, in ${t_reboot}s (container start → all services active)"
[ "$all" = yes ] || fail "reboot: not every unit came back active"
for pkg in "${PACKAGES[@]}"; do unset "CELL[$pkg.restart]" "CELL[$pkg.reload]" "CELL[$pkg.stop]" "CELL[$pkg.kill]"; done
check_all reboot
print_table
stop_check reboot

echo
if [ "$LOGIN_TIMING" = 1 ]; then
    echo "login1 timings: the image without the systemd package (before) and with it, dbus running (after)"
    print_login_timings
fi
echo "timings: rootfs ${t_rootfs}s, download ${t_download}s, boot ${t_boot}s, apt-get install cron alone ${t_cron}s, apt-get install ${t_apt}s (${t_apt1}s + ${t_apt2}s), lifecycle ${t_lifecycle}s, reboot → all services active ${t_reboot}s, whole suite $(secs "$suite_t0" "$(now)")s"
if [ ${#failures[@]} -eq 0 ]; then
    echo "e2e: ${#PACKAGES[@]} packages passed, 0 failed"
    exit 0
fi
echo "e2e: ${#failures[@]} failures:"
printf '  %s\n' "${failures[@]}"
exit 1
}
