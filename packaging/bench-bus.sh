#!/bin/bash
# What the D-Bus API costs (issue 16), measured side by side in one run. Each manager runs as
# PID 1 of its own PID and mount namespace with tmpfs /run, /tmp, /var and unit directories
# and a cgroup namespace rooted in a cgroup of its own (systemd 252 makes its init.scope and
# system.slice there, never in the host's tree), so nothing touches the host:
#   1. `is-active` latency (median, hyperfine): our systemctl over our control socket; the real
#      systemctl 252 over our /run/systemd/private (D-Bus); the real systemctl against systemd 252;
#   2. the manager's RSS once booted (VmRSS of PID 1), and its threads;
#   3. the binary's size.
# BASE=path/to/an/older/build (optional) adds that build (before the bus) to 2 and 3.
# Needs root, hyperfine, systemd 252 (/lib/systemd/systemd, /usr/bin/systemctl).
# Usage: BASE=… bash packaging/bench-bus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(readlink -f "${BIN:-target/x86_64-unknown-linux-gnu/release/systemctl}")
BASE=${BASE:+$(readlink -f "$BASE")}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
WORK=$(mktemp -d)
# Each PID 1's cgroup: a child of ours in the cgroup2 hierarchy, the root of its namespace.
CGROUP_MOUNT=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
OWN_CGROUP=$(sed -n 's/^0:://p' /proc/self/cgroup)
cgroups=()
cleanup() {
    for p in $(cat "$WORK"/holders 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    # deepest first; a cgroup still emptying is tried again for a moment
    for dir in "${cgroups[@]}"; do
        for _ in $(seq 50); do
            find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null && break
            sleep 0.1
        done
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# boot NAME INIT: INIT (our binary, named systemd, or /lib/systemd/systemd) as PID 1 of a new
# namespace; prints nothing, leaves the holder's pid in $WORK/holders.
boot() {
    local name=$1 init=$2
    cat > "$WORK/$name.sh" <<INNER
set -eu
mount -t tmpfs tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /var
mkdir -p /var/lib /var/log /var/cache /var/tmp /run/systemd/system /run/bin
mount -t tmpfs tmpfs /etc/systemd/system
umount -l /sys/fs/cgroup 2>/dev/null || true
mount -t cgroup2 cgroup2 /sys/fs/cgroup
printf "[Unit]\nDescription=bench\n" > /run/systemd/system/bench.target
printf "[Service]\nExecStart=/bin/sleep infinity\n" > /etc/systemd/system/idle.service
case "$init" in
    /lib/*) exec $init --unit=bench.target ;;
    *) cp $init /run/bin/systemd; ln -s systemd /run/bin/systemctl; exec /run/bin/systemd --unit=bench.target ;;
esac
INNER
    local cgroup="$CGROUP_MOUNT${OWN_CGROUP%/}/bench-bus-$$-$name"
    mkdir "$cgroup"
    cgroups+=("$cgroup")
    sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cgroup" \
        unshare --pid --fork --kill-child --mount --mount-proc --cgroup --propagation private \
        bash "$WORK/$name.sh" > "$WORK/$name.log" 2>&1 &
    echo $! >> "$WORK/holders"
    echo $! > "$WORK/$name.holder"
}

pid1() { pgrep -P "$(cat "$WORK/$1.holder")" | head -n 1; }
inside() { local p; p=$(pid1 "$1"); shift; nsenter -t "$p" -p -m -- "$@"; }
ready() {
    local client=/run/bin/systemctl
    [ "$1" = systemd ] && client=/usr/bin/systemctl
    for _ in $(seq 200); do
        case $(inside "$1" $client is-system-running 2>/dev/null) in running|degraded) return 0 ;; esac
        sleep 0.05
    done
    echo "$1 did not come up" >&2; cat "$WORK/$1.log" >&2; exit 1
}
median() {
    local name=$1; shift
    inside "$name" hyperfine -N --warmup 20 --runs 300 --export-json /run/bench.json --style none "$@" > /dev/null
    inside "$name" python3 -c "import json; r=json.load(open('/run/bench.json'))['results'][0]; print('  median %.2f ms, mean %.2f ms, %d runs' % (r['median']*1e3, r['mean']*1e3, len(r['times'])))"
}
rss() { inside "$1" sh -c 'grep VmRSS /proc/1/status; grep Threads /proc/1/status'; }

boot ours "$BIN"
boot systemd /lib/systemd/systemd
[ -n "$BASE" ] && boot base "$BASE"
ready ours; ready systemd; [ -n "$BASE" ] && ready base
inside systemd /usr/bin/systemctl start idle.service
for m in ours ${BASE:+base}; do inside "$m" /run/bin/systemctl start idle.service; done

echo "== 1. is-active idle.service"
echo "-- our systemctl, our control socket"
median ours "/run/bin/systemctl is-active idle.service"
echo "-- systemctl 252 over our /run/systemd/private (D-Bus)"
median ours "/usr/bin/systemctl is-active idle.service"
echo "-- systemctl 252 against systemd 252"
median systemd "/usr/bin/systemctl is-active idle.service"

echo "== 2. the manager's memory once booted (PID 1)"
echo "-- ours"; rss ours
[ -n "$BASE" ] && { echo "-- ours before the bus ($BASE)"; rss base; }
echo "-- systemd 252"; rss systemd

echo "== 3. binary size"
echo "  ours: $(stat -c %s "$BIN") bytes"
[ -n "$BASE" ] && echo "  before the bus: $(stat -c %s "$BASE") bytes"
shared=$(ldd /lib/systemd/systemd | awk '/libsystemd-shared/ { print $3 }')
echo "  systemd 252: /lib/systemd/systemd $(stat -c %s /lib/systemd/systemd) bytes + $(basename "$shared") $(stat -c %s "$shared") bytes"
