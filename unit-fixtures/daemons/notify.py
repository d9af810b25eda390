#!/usr/bin/env python3
"""A Type=notify service that speaks the real sd_notify(3) protocol.

Each message is one AF_UNIX SOCK_DGRAM datagram sent to $NOTIFY_SOCKET (a leading '@' names the
abstract namespace), newline-separated KEY=VALUE assignments. The manager learns the sender's
pid from SCM_CREDENTIALS, which is why --from-child matters for NotifyAccess=.

The arguments are a script, run left to right:

  KEY=VALUE ...        consecutive assignments form one datagram (a lone `--` splits two);
                       `{pid}` is replaced by our pid, `{child}` by the pid of --fork-child's
                       child, `{monotonic}` by CLOCK_MONOTONIC in microseconds
  --no-newline         the next datagram has no final newline (systemd accepts both)
  --delay SECS         sleep SECS before the next step
  --touch PATH         write our pid to PATH (atomically: PATH.tmp, then rename)
  --append PATH TEXT   append the line TEXT to PATH
  --fork-child         fork a child that only sleeps (its pid is `{child}`, e.g. MAINPID={child})
  --from-child         the next datagram is sent by a freshly forked child, which then stays
                       alive (sleeping) so that the manager can still attribute its pid
  --reload-on-hup      on SIGHUP send RELOADING=1 + MONOTONIC_USEC=..., append "reload" to the
                       --reload-log file if one was given, then send READY=1 (notify-reload)
  --reload-log PATH    where --reload-on-hup appends its line
  --stopping-on-term   on SIGTERM send STOPPING=1 and exit 0 (default: die of SIGTERM)
  --watchdog SECS      from now on send WATCHDOG=1 every SECS seconds (in a thread)
  --exit CODE          exit with CODE right away
  --then-sleep         after the script, sleep until killed (default: exit 0 after the script)

Every datagram sent is also printed to stdout ("notify.py: sent READY=1|STATUS=up"), so it shows
in the unit's log. Without $NOTIFY_SOCKET it fails loudly (exit 2) instead of silently doing
nothing as sd_notify() would, because every test using it expects to be heard.
"""

import os
import signal
import socket
import sys
import threading
import time

CHILD = None  # pid of --fork-child's child
RELOAD_LOG = None


def monotonic_usec():
    return str(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)


def expand(text):
    text = text.replace("{pid}", str(os.getpid())).replace("{monotonic}", monotonic_usec())
    if "{child}" in text:
        if CHILD is None:
            die("{child} used before --fork-child")
        text = text.replace("{child}", str(CHILD))
    return text


def die(msg, code=2):
    print(f"notify.py: {msg}", file=sys.stderr, flush=True)
    os._exit(code)


def send(assignments, newline=True):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        die("NOTIFY_SOCKET is not set")
    if path.startswith("@"):
        path = "\0" + path[1:]
    text = "\n".join(expand(a) for a in assignments)
    if newline:
        text += "\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(text.encode(), path)
    print("notify.py: sent " + text.rstrip("\n").replace("\n", "|"), flush=True)


def sleep_forever():
    while True:
        signal.pause()


def fork_sleeper():
    """Fork a child that sleeps until killed; return its pid in the parent."""
    pid = os.fork()
    if pid == 0:
        try:
            sleep_forever()
        finally:
            os._exit(0)
    return pid


def on_hup(_signum, _frame):
    send(["RELOADING=1", "MONOTONIC_USEC={monotonic}"])
    if RELOAD_LOG:
        with open(RELOAD_LOG, "a") as f:
            f.write("reload\n")
    send(["READY=1"])


def on_term(_signum, _frame):
    send(["STOPPING=1"])
    os._exit(0)


def watchdog(secs):
    while True:
        time.sleep(secs)
        send(["WATCHDOG=1"])


def main(argv):
    global CHILD, RELOAD_LOG
    pending = []  # assignments of the datagram being gathered
    newline = True
    from_child = False
    then_sleep = False

    def flush():
        nonlocal pending, newline, from_child
        if not pending:
            return
        if from_child:
            pid = os.fork()
            if pid == 0:
                try:
                    send(pending, newline)
                    sleep_forever()
                finally:
                    os._exit(0)
        else:
            send(pending, newline)
        pending, newline, from_child = [], True, False

    args = list(argv)
    while args:
        a = args.pop(0)
        if "=" in a and not a.startswith("--"):
            pending.append(a)
            continue
        flush()
        if a == "--":
            pass
        elif a == "--no-newline":
            newline = False
        elif a == "--delay":
            time.sleep(float(args.pop(0)))
        elif a == "--touch":
            path = args.pop(0)
            with open(path + ".tmp", "w") as f:
                f.write(f"{os.getpid()}\n")
            os.rename(path + ".tmp", path)
        elif a == "--append":
            path, text = args.pop(0), args.pop(0)
            with open(path, "a") as f:
                f.write(expand(text) + "\n")
        elif a == "--fork-child":
            CHILD = fork_sleeper()
        elif a == "--from-child":
            from_child = True
        elif a == "--reload-on-hup":
            signal.signal(signal.SIGHUP, on_hup)
        elif a == "--reload-log":
            RELOAD_LOG = args.pop(0)
        elif a == "--stopping-on-term":
            signal.signal(signal.SIGTERM, on_term)
        elif a == "--watchdog":
            secs = float(args.pop(0))
            threading.Thread(target=watchdog, args=(secs,), daemon=True).start()
        elif a == "--exit":
            sys.stdout.flush()
            os._exit(int(args.pop(0)))
        elif a == "--then-sleep":
            then_sleep = True
        else:
            die(f"unknown argument {a!r}")
    flush()
    if then_sleep:
        sleep_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
