#!/bin/bash
# Figures for the manager (issue 3's speed targets), measured in a private PID and mount namespace
# with tmpfs over /run, /etc/systemd/system and /lib/systemd/system so nothing touches the host:
#   1. `is-active` with a manager running (median, hyperfine);
#   2. starting 100 trivial services in one call, against a shell spawning the same 100 processes;
#   3. READY=1 sent -> `systemctl start` returned (median of 30 starts);
#   4. the manager's RSS after `is-active` of every unit of ../shared/unit-corpus.
# Also `is-active` of systemctl3.py (docker-systemctl-replacement) where it is installed.
# Needs root, hyperfine and python3. Usage: bash packaging/bench-manager.sh [rss]
# (`rss`: section 4 alone, the manager's memory, without hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(readlink -f "${BIN:-target/x86_64-unknown-linux-gnu/release/systemctl}")
CORPUS=$(readlink -f ../shared/unit-corpus/debian-bookworm)
PEER=$(command -v systemctl3.py || true)
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }

ONLY=${1:-}
exec unshare --pid --fork --mount --mount-proc --propagation private \
    env BIN="$BIN" CORPUS="$CORPUS" PEER="$PEER" ONLY="$ONLY" bash -euo pipefail -c '
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /etc/systemd/system
mount -t tmpfs tmpfs /lib/systemd/system
S=$BIN
unit() { printf "[Service]\n%s\n" "$2" > /etc/systemd/system/$1; }
# hyperfine, reporting the median and mean of one command.
median() {
    hyperfine --export-json /run/bench.json --style none "$@" > /dev/null
    python3 -c "import json; r=json.load(open(\"/run/bench.json\"))[\"results\"][0]; print(\"  median %.2f ms, mean %.2f ms, %d runs\" % (r[\"median\"]*1e3, r[\"mean\"]*1e3, len(r[\"times\"])))"
}

if [ "$ONLY" != rss ]; then
echo "== 1. is-active with a manager running"
unit idle.service "ExecStart=/bin/sleep infinity"
$S start idle.service
median -N --warmup 20 --runs 300 "$S is-active idle.service"
if [ -n "$PEER" ]; then
    echo "-- systemctl3.py is-active (no daemon; reads its own state files)"
    median -N --warmup 3 --runs 30 -i "$PEER is-active idle.service"
fi

echo "== 2. starting 100 trivial services (Type=simple, /bin/sleep) in one call vs. a shell spawning them"
units=""
for i in $(seq 100); do unit t$i.service "ExecStart=/bin/sleep 3600"; units="$units t$i.service"; done
echo "-- systemctl start t1.service … t100.service"
median --runs 10 --prepare "$S stop $units; $S reset-failed" "$S start $units"
echo "-- sh: 100 x (/bin/sleep 3601 &)"
printf "for i in \$(seq 100); do /bin/sleep 3601 & done\n" > /run/spawn100.sh
median --runs 10 --prepare "pkill -f \"^/bin/sleep 3601\" || true" "sh /run/spawn100.sh"
$S stop $units
pkill -f "^/bin/sleep 3601" || true
if [ -n "$PEER" ]; then
    echo "-- systemctl3.py start t1.service … t100.service"
    median --runs 3 --prepare "$PEER stop $units; pkill -f \"^/bin/sleep 3600\" || true" "$PEER start $units"
    $PEER stop $units > /dev/null 2>&1 || true
    pkill -f "^/bin/sleep 3600" || true
fi

echo "== 3. READY=1 sent -> start returned"
unit ready.service "Type=notify
ExecStart=/usr/bin/env python3 -c \"import socket,os,time; time.sleep(0.05); s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); open(\x27/run/ready-at\x27,\x27w\x27).write(repr(time.time())); s.sendto(b\x27READY=1\x27, os.environ[\x27NOTIFY_SOCKET\x27]); time.sleep(3600)\""
python3 - "$S" <<EOF
import subprocess, sys, time, statistics
s = sys.argv[1]
deltas = []
for _ in range(30):
    subprocess.run([s, "stop", "ready.service"], check=True)
    subprocess.run([s, "reset-failed", "ready.service"], check=True)
    subprocess.run([s, "start", "ready.service"], check=True)
    done = time.time()
    deltas.append((done - float(open("/run/ready-at").read())) * 1000)
print("median %.2f ms, max %.2f ms over %d starts" % (statistics.median(deltas), max(deltas), len(deltas)))
EOF

fi
echo "== 4. manager RSS after is-active of every corpus unit (a fresh manager: the one above served 100+ other units)"
if [ -f /run/systemctl-shim/manager.pid ]; then
    old=$(cat /run/systemctl-shim/manager.pid)
    kill $old
    while kill -0 $old 2>/dev/null; do sleep 0.1; done
fi
unit idle.service "ExecStart=/bin/sleep infinity"
$S start idle.service
for dir in "$CORPUS"/*/lib/systemd/system "$CORPUS"/*/usr/lib/systemd/system; do
    [ -d "$dir" ] && cp -a "$dir"/. /lib/systemd/system/ 2>/dev/null || true
done
names=$(ls /lib/systemd/system | grep -E "\.(service|socket|timer|target|path|mount)$" | grep -v "@\.")
$S is-active $names > /dev/null || true
pid=$(cat /run/systemctl-shim/manager.pid)
echo "$(echo $names | wc -w) units asked about, right after:" $(grep -E "VmRSS|RssAnon|RssFile" /proc/$pid/status)
sleep 2
echo "after the idle trim (1 s after the last event):" $(grep -E "VmRSS|RssAnon|RssFile" /proc/$pid/status)
$S is-active idle.service > /dev/null
echo "after one more query:" $(grep -E "VmRSS|RssAnon|RssFile" /proc/$pid/status)
'
