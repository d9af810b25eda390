#!/bin/bash
# Figures for the binary as PID 1 (issue 4's speed targets), each run a fresh container: a private
# PID and mount namespace with tmpfs over /run, /tmp, /var/*, /etc/systemd/system and
# /lib/systemd/system, and /etc as a copy-on-write overlay:
#   1. boot of 100 services in 10 dependency layers (each service After= the whole layer before)
#      to all-active, against a shell spawning the same 100 processes layer by layer;
#   2. SIGTERM to exit with 100 cooperative services that take 100 ms each to stop (no ordering
#      between them), and with the 10 layers of instantly stopping ones (stopped layer by layer).
# Needs root and python3. Usage: bash packaging/bench-init.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(readlink -f "${BIN:-target/x86_64-unknown-linux-gnu/release/systemctl}")
RUNS=${1:-15}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
# Not under /tmp: the init cleans the container's /tmp at boot, as systemd-tmpfiles --boot does.
OUT=$(mktemp -d -p "$PWD/target" bench-init.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# One container: lay out the units, then exec MODE (init | shell) as PID 1 of the namespace.
# The start stamp is taken just before that exec; the end stamp by the last process started.
container() {
    local mode=$1 kind=$2
    unshare --pid --fork --mount --mount-proc --propagation private \
        env BIN="$BIN" OUT="$OUT" MODE="$mode" KIND="$kind" bash -euo pipefail -c '
# A container of its own: the boot-time tmpfiles run must not touch the host.
mount -t tmpfs tmpfs /run
mkdir /run/etc-upper /run/etc-work
mount -t overlay bench-etc -o lowerdir=/etc,upperdir=/run/etc-upper,workdir=/run/etc-work /etc
umount -l /run
mount -t tmpfs tmpfs /run
for d in /tmp /var/tmp /var/lib /var/log /var/cache /etc/systemd/system /lib/systemd/system; do
    mount -t tmpfs tmpfs $d
done
mkdir -p /run/bin && ln -s "$BIN" /run/bin/init
U=/etc/systemd/system
case $KIND in
    layers) start="/bin/sleep infinity" ;;
    slowstop) start="/bin/sh -c \"trap '"'"'sleep 0.1; exit 0'"'"' TERM; sleep infinity & wait\"" ;;
esac
wants=""
for layer in $(seq 1 10); do
    for i in $(seq 1 10); do
        name=s-$layer-$i.service
        after=""
        if [ "$KIND" = layers ] && [ $layer -gt 1 ]; then
            after="After=$(for j in $(seq 1 10); do printf "s-%d-%d.service " $((layer-1)) $j; done)"
        fi
        printf "[Unit]\n%s\n[Service]\nExecStart=%s\n" "$after" "$start" > $U/$name
        wants="$wants $name"
    done
done
printf "[Unit]\nWants=%s done.service\n" "$wants" > $U/bench.target
last=$( [ "$KIND" = layers ] && for j in $(seq 1 10); do printf "s-10-%d.service " $j; done || echo "$wants")
printf "[Unit]\nAfter=%s\n[Service]\nType=oneshot\nExecStart=/bin/sh -c \"date +%%%%s%%%%N > $OUT/done\"\n" "$last" > $U/done.service
date +%s%N > $OUT/start
if [ "$MODE" = init ]; then
    exec /run/bin/init --unit=bench.target > /dev/null
fi
for layer in $(seq 1 10); do
    for i in $(seq 1 10); do
        if [ "$KIND" = layers ]; then /bin/sleep infinity & else /bin/sh -c "trap '"'"'sleep 0.1; exit 0'"'"' TERM; sleep infinity & wait" & fi
    done
done
/bin/sh -c "date +%s%N > $OUT/done"
' &
    local holder=$!
    local waited=0
    while [ ! -s "$OUT/done" ]; do
        sleep 0.005; waited=$((waited + 1))
        [ $waited -lt 6000 ] || { echo "no boot within 30 s ($mode $kind)" >&2; kill -KILL $holder; exit 1; }
    done
    echo "$(( ($(cat "$OUT/done") - $(cat "$OUT/start")) / 1000 ))" >> "$OUT/boot-$mode-$kind"
    if [ "$mode" = init ]; then
        local t0=$(date +%s%N)
        kill -TERM "$(pgrep -P "$holder" -x init || pgrep -P "$(pgrep -P "$holder")" -x init)"
        wait "$holder"
        echo "$(( ($(date +%s%N) - t0) / 1000 ))" >> "$OUT/stop-$kind"
    else
        kill -KILL "$(pgrep -P "$holder")" 2>/dev/null || true
        wait "$holder" || true
    fi
    rm -f "$OUT/done" "$OUT/start"
}

median_ms() {
    sort -n "$1" | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f ms (median of %d)", m/1000, NR}'
}

for run in $(seq 1 "$RUNS"); do
    container shell layers
    container init layers
    container init slowstop
done

echo "== 1. boot to all-active, 100 services in 10 layers"
echo "  shell spawning them:  $(median_ms "$OUT/boot-shell-layers")"
echo "  our init:             $(median_ms "$OUT/boot-init-layers")"
echo "== 2. SIGTERM to PID 1 exit"
echo "  100 services, 10 layers, stopping at once:     $(median_ms "$OUT/stop-layers")"
echo "  100 unordered services taking 100 ms to stop:  $(median_ms "$OUT/stop-slowstop")"
