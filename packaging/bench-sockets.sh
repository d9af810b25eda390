#!/bin/bash
# Figures for socket activation (issue 5's speed targets), measured in a private PID, mount and
# network namespace with tmpfs over /run, /tmp, /var/*, /etc/systemd/system and
# /lib/systemd/system, so nothing touches the host (the manager is started on demand by
# `systemctl start`, as in bench-manager.sh; nothing is booted as init):
#   1. Accept=yes: connections/s served end to end (connect, the per-connection instance
#      `bench@.service` (/bin/echo hello, StandardInput=socket) answers, the client reads the
#      reply until EOF, close), over a unix socket and over TCP on 127.0.0.1; against baselines
#      doing the same without a manager: systemd 252's own `systemd-socket-activate --accept
#      --inetd` (where installed) and a Python accept loop posix_spawn()ing /bin/echo (inetd's
#      work, nothing else). Median of ROUNDS rounds, all of them interleaved round by round.
#   2. Accept=no: the first connection, which starts the service (a Python sd_listen_fds server
#      stamping CLOCK_MONOTONIC): connect -> reply in all; connect -> the service forked (its
#      first stamp less the CPU time it used till then) and exec'd (the manager's
#      ExecMainStartTimestampMonotonic), the part the manager is answerable for; and the
#      service's accept() call -> the client holding the reply (the connection waits queued in
#      the listener: accept() returns at once), issue 5's "served at most 5 ms after the service
#      calls accept()". Against a minimal activator (a Python launcher: poll the listener, fork,
#      exec the server with LISTEN_FDS=1), so the manager's share is ours minus that. Median of
#      FIRSTS starts.
# The counters of bench.socket (NAccepted, NConnections, NRefused) are checked after every
# round; the script exits non-zero on a refused or failed connection or a failed socket.
# Needs root, python3 and ip. Usage: bash packaging/bench-sockets.sh [N]
#   N       connections per Accept=yes round (default 3000)
#   CONC    connections in flight (default 16); ROUNDS (default 5); FIRSTS (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(readlink -f "${BIN:-target/x86_64-unknown-linux-gnu/release/systemctl}")
CLIENT=$(readlink -f packaging/bench-sockets-client.py)
N=${1:-3000}
CONC=${CONC:-16}
ROUNDS=${ROUNDS:-5}
FIRSTS=${FIRSTS:-15}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }

if [ "${BENCH_SOCKETS_INSIDE:-}" != 1 ]; then
    # Re-run this script as the first process of the private namespaces.
    exec unshare --pid --fork --mount --mount-proc --net --propagation private \
        env BENCH_SOCKETS_INSIDE=1 BIN="$BIN" N="$N" CONC="$CONC" ROUNDS="$ROUNDS" \
        FIRSTS="$FIRSTS" bash "$0" "$@"
fi

# ---- inside the namespaces from here on ----
for d in /run /tmp /var/tmp /var/lib /var/log /var/cache /etc/systemd/system /lib/systemd/system; do
    mount -t tmpfs tmpfs "$d"
done
# A network namespace of our own: its loopback is ours alone, so the TCP ports are free.
ip link set lo up
S=$BIN
U=/etc/systemd/system
# The interpreter itself (python3 may be a wrapper script, e.g. pyenv's), without site import:
# the Python processes start as fast as Python can.
PY="$(python3 -c 'import sys; print(sys.executable)') -I -S"
SOCK=/run/bench.sock
TCP=127.0.0.1:8701
SSA=$(command -v systemd-socket-activate || true)

load() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"; }
fail() {
    echo "FAILED: $*" >&2
    "$S" show -p ActiveState,Result,NAccepted,NRefused,NConnections bench.socket >&2 || true
    exit 1
}
# The median of the numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf (m < 10 ? "%.2f" : "%.1f"), m}'; }
# Column K of a figures file, its median.
col() { awk -v k="$2" '{print $k}' "$1" | median; }
# One property of a unit, its value alone.
prop() { "$S" show -p "$2" --value "$1"; }

# bench.socket: TriggerLimitIntervalSec=0, since systemd's default limit for Accept=yes (200
# activations in 2 s) fails the socket under this load, in systemd as in ours. MaxConnections=
# well above CONC: an instance counts until the manager has reaped it, after its client is done.
cat > $U/bench.socket <<EOF
[Socket]
ListenStream=$SOCK
ListenStream=$TCP
Accept=yes
TriggerLimitIntervalSec=0
MaxConnections=1024
EOF
# StandardOutput= defaults to follow StandardInput=socket: echo writes into the connection.
cat > $U/bench@.service <<EOF
[Service]
ExecStart=/bin/echo hello
StandardInput=socket
EOF
cat > $U/first.socket <<EOF
[Socket]
ListenStream=/run/first.sock
EOF
cat > $U/first.service <<EOF
[Service]
ExecStart=$PY $CLIENT listen-fds-server /run/first.stamps
EOF

# Checks bench.socket's counters against the connections made so far; prints them.
EXPECTED=0
check_socket() {
    local state accepted refused
    state=$(prop bench.socket ActiveState)
    accepted=$(prop bench.socket NAccepted)
    refused=$(prop bench.socket NRefused)
    echo "    bench.socket: $state, NAccepted=$accepted NRefused=$refused NConnections=$(prop bench.socket NConnections)"
    [ "$state" = active ] || fail "bench.socket is $state"
    [ "$refused" = 0 ] || fail "bench.socket refused $refused connections"
    [ "$accepted" = "$EXPECTED" ] || fail "bench.socket accepted $accepted, expected $EXPECTED"
}

# CPU time (clock ticks) of process PID itself and of its reaped children: "self children".
cpu_ticks() { awk '{print $14 + $15, $16 + $17}' "/proc/$1/stat"; }
# The machine's busy and total clock ticks, all CPUs together: "busy total".
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# One round of the load generator against ADDR, served by process PID (the manager, or a
# baseline's accept loop). Appended, per NAME: conn/s to /run/rate-NAME; to /run/cpu-NAME the CPU
# time per connection (µs) of PID and of the children it reaped (the per-connection processes),
# and the CPUs the rest of the machine kept busy meanwhile (busy ticks not ours: not PID's, its
# children's nor the client's, whose time comes back to this shell once it is reaped).
# Fails on any failed connection.
rate_round() {
    local name=$1 addr=$2 pid=$3 json before after
    before="$(cpu_ticks "$pid") $(cpu_ticks $$) $(machine_ticks)"
    json=$($PY "$CLIENT" rate "$addr" "$N" "$CONC" hello < /dev/null) || fail "$name: $json"
    after="$(cpu_ticks "$pid") $(cpu_ticks $$) $(machine_ticks)"
    $PY -c 'import json,sys; print(json.loads(sys.argv[1])["conn_per_s"])' "$json" >> "/run/rate-$name"
    echo "$before $after" | awk -v n="$N" -v hz="$(getconf CLK_TCK)" -v cpus="$(nproc)" '{
        server = $7 - $1; children = $8 - $2; client = $10 - $4
        others = ($11 - $5) - server - children - client; total = ($12 - $6) / cpus
        # A child reaped after the closing stamp can tip it below zero: it is none then.
        others = others > 0 ? others / total : 0
        printf "%.0f %.0f %.2f\n", server * 1e6 / hz / n, children * 1e6 / hz / n, others }' \
        >> "/run/cpu-$name"
    printf "    %-12s %s  (others busy: %s CPUs; %s)\n" "$name" "$json" \
        "$(tail -1 "/run/cpu-$name" | cut -d' ' -f3)" "$(load)"
}

echo "== 1. Accept=yes: /bin/echo hello per connection, $N connections per round, $CONC in flight, $ROUNDS rounds"
load
"$S" start bench.socket
MANAGER=$(cat /run/systemctl-shim/manager.pid)
# What is measured, "name address serving-pid" per line: ours, and the baselines, each on a unix
# socket and a TCP port of its own.
CONFIGS="ours-unix $SOCK $MANAGER
ours-tcp $TCP $MANAGER"
BASE_PIDS=""
for addr in /run/python.sock 127.0.0.1:8702; do
    $PY "$CLIENT" forking-server "$addr" -- /bin/echo hello > /dev/null &
    BASE_PIDS="$BASE_PIDS $!"
    CONFIGS="$CONFIGS
python-$(case $addr in /*) echo unix ;; *) echo tcp ;; esac) $addr $!"
done
if [ -n "$SSA" ]; then
    for addr in /run/ssa.sock 127.0.0.1:8703; do
        # It logs every child to stderr: not part of the work.
        "$SSA" --accept --inetd --listen="$addr" /bin/echo hello 2> /dev/null &
        BASE_PIDS="$BASE_PIDS $!"
        CONFIGS="$CONFIGS
ssa-$(case $addr in /*) echo unix ;; *) echo tcp ;; esac) $addr $!"
    done
fi
# Warm-up (the manager loads bench@.service on the first connection, Python fills its caches),
# retried only while a baseline is not listening yet: ours must answer at once.
while read -r name addr _; do
    case $name in ours-*) tries=1 ;; *) tries=500 ;; esac
    until $PY "$CLIENT" rate "$addr" 200 "$CONC" hello < /dev/null > /dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || fail "$name: the warm-up at $addr failed"
        sleep 0.01
    done
done <<< "$CONFIGS"
EXPECTED=400
for round in $(seq "$ROUNDS"); do
    echo "  round $round"
    while read -r name addr pid; do
        rate_round "$name" "$addr" "$pid"
        case $name in ours-*) EXPECTED=$((EXPECTED + N)) ;; esac
    done <<< "$CONFIGS"
    check_socket
done
# shellcheck disable=SC2086 # a list of pids
kill $BASE_PIDS

echo "== 2. Accept=no: first connection, starting first.service (python3 sd_listen_fds server), $FIRSTS starts"
load
# Everything of ours in this part is reaped by this shell or is the manager: the rest is others'.
before2="$(cpu_ticks "$MANAGER") $(cpu_ticks $$) $(machine_ticks)"
# Prints the figures (ms) of one first connection from the client's JSON and EXEC_NS, when the
# service was exec'd (CLOCK_MONOTONIC, ns).
first_figures() {
    $PY -c '
import json, sys
r = json.loads(sys.argv[1]); exec_ns = int(sys.argv[2])
ms = lambda a, b: (b - a) / 1e6
print("%.3f %.3f %.3f %.3f %.3f %.3f" % (ms(r["connect_ns"], r["reply_ns"]),
      ms(r["connect_ns"], r["forked_ns"]), ms(r["connect_ns"], exec_ns),
      ms(r["connect_ns"], r["server_start_ns"]), ms(r["accept_call_ns"], r["accepted_ns"]),
      ms(r["accept_call_ns"], r["reply_ns"])))' "$1" "$2"
}
: > /run/first-ours
: > /run/first-base
for _ in $(seq "$FIRSTS"); do
    # Ours: a fresh socket unit each time, its service not running.
    rm -f /run/first.stamps
    "$S" stop first.service first.socket
    "$S" reset-failed first.service first.socket 2>/dev/null || true
    "$S" start first.socket
    json=$($PY "$CLIENT" first /run/first.sock /run/first.stamps)
    exec_us=$(prop first.service ExecMainStartTimestampMonotonic)
    [ "$(prop first.service ActiveState)" = active ] || fail "first.service did not stay up"
    first_figures "$json" "$((exec_us * 1000))" >> /run/first-ours
    # The minimal activator, the same server.
    rm -f /run/first.stamps /run/launcher.out
    # shellcheck disable=SC2086 # $PY is the interpreter and its options
    $PY "$CLIENT" launcher /run/base-first.sock -- $PY "$CLIENT" \
        listen-fds-server /run/first.stamps > /run/launcher.out &
    launcher=$!
    until [ -s /run/launcher.out ]; do sleep 0.005; done
    json=$($PY "$CLIENT" first /run/base-first.sock /run/first.stamps)
    until [ "$(wc -l < /run/launcher.out)" -ge 2 ]; do sleep 0.005; done
    first_figures "$json" "$(sed -n 2p /run/launcher.out)" >> /run/first-base
    pkill -P "$launcher" || true
    wait "$launcher" || true
done
"$S" stop first.service first.socket
after2="$(cpu_ticks "$MANAGER") $(cpu_ticks $$) $(machine_ticks)"
OTHERS2=$(echo "$before2 $after2" | awk -v cpus="$(nproc)" '{
    ours = ($7 - $1) + ($8 - $2) + ($9 - $3) + ($10 - $4)
    others = ($11 - $5) - ours
    printf "%.2f", (others > 0 ? others : 0) / (($12 - $6) / cpus) }')

echo
echo "== Results ($(load); $(nproc) CPUs)"
echo "1. Accept=yes, /bin/echo hello per connection, $N connections x $ROUNDS rounds, $CONC in flight (median conn/s)"
echo "                conn/s   CPU µs per connection     CPUs busy      conn/s of each round"
echo "                         server     its children   with others"
while read -r name _; do
    printf "   %-11s %7s  %6s     %6s         %5s          %s\n" "$name" "$(median < "/run/rate-$name")" \
        "$(col "/run/cpu-$name" 1)" "$(col "/run/cpu-$name" 2)" "$(col "/run/cpu-$name" 3)" \
        "$(tr '\n' ' ' < "/run/rate-$name")"
done <<< "$CONFIGS"
echo "   (medians; server: the manager for ours, else the accept loop; others: what the rest of"
echo "   the machine kept busy meanwhile, of $(nproc) CPUs: figures with others above ~0.2 are disturbed)"
echo "   ours: bench.socket + bench@.service (target: >= 1000 conn/s); ssa: systemd 252's"
echo "   systemd-socket-activate --accept --inetd; python: an accept loop posix_spawn()ing"
echo "   /bin/echo with the connection as stdin and stdout"
echo "2. Accept=no, first connection starting the service (median ms over $FIRSTS starts;"
echo "   the rest of the machine kept $OTHERS2 of $(nproc) CPUs busy meanwhile)"
printf "   %-56s %7s  %s\n" "" ours "minimal activator"
row() { printf "   %-56s %7s  %7s\n" "$1" "$(col /run/first-ours "$2")" "$(col /run/first-base "$2")"; }
row "connect -> reply read (all)" 1
row "connect -> service forked (its start - its CPU time)" 2
row "connect -> service exec'd (the parent's stamp)" 3
row "connect -> service's first stamp" 4
row "accept() call -> returned" 5
row "accept() call -> client has the reply (target: <= 5 ms)" 6
echo "   (the first stamp follows Python's start-up and imports, the service's own time. The"
echo "   manager's share is connect -> forked, ours against the minimal activator's: the fork is"
echo "   placed by the CPU time the service used until its first stamp, as its start-up is"
echo "   CPU-bound. The exec'd stamp is taken by the parent (ExecMainStartTimestamp for ours) once"
echo "   the exec succeeded, and is late by a scheduler slice whenever the parent is not run at"
echo "   once beside the starting service)"
