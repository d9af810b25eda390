#!/bin/sh
# A classic Type=forking daemon: the process the manager starts forks the real daemon and exits 0.
# The daemon detaches (setsid), logs one line to stdout (the unit's log) and sleeps until killed.
#
#   forking.sh [--pidfile PATH] [--delay SECS]
#
# --pidfile PATH  the daemon writes its own pid to PATH (PATH.tmp, then rename, so a reader never
#                 sees a half-written file), as real daemons do; the starting process exits only
#                 once the file exists, so the file is there when the manager looks for it
# --delay SECS    the daemon waits SECS before writing the pid file and the starting process does
#                 NOT wait for it: the file appears after the parent has exited (systemd waits
#                 for it, within TimeoutStartSec=)
# Without --pidfile the parent exits right after forking (the manager has to guess the main pid).
set -eu

pidfile=""
delay=""
while [ $# -gt 0 ]; do
    case "$1" in
        --pidfile) pidfile=$2; shift 2 ;;
        --delay) delay=$2; shift 2 ;;
        *) echo "forking.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

# The daemon: `sh -c` under setsid (a new session, as daemon(3) makes), which logs its pid and then
# becomes `sleep infinity` by exec, so the pid stays the daemon's pid.
# shellcheck disable=SC2016
setsid sh -c '
    if [ -n "$1" ]; then
        [ -z "$2" ] || sleep "$2"
        echo $$ > "$1.tmp"
        mv "$1.tmp" "$1"
    fi
    echo "forking.sh: daemon $$ running"
    exec sleep infinity
' forking-daemon "$pidfile" "$delay" </dev/null &

if [ -n "$pidfile" ] && [ -z "$delay" ]; then
    while [ ! -e "$pidfile" ]; do sleep 0.05; done
fi
echo "forking.sh: parent $$ exiting"
exit 0
