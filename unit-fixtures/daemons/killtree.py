#!/usr/bin/env python3
"""A main process with one child, each logging the SIGTERM it gets (for KillMode= tests).

    killtree.py DIR [--daemonize-child]

Both processes install a SIGTERM handler that appends "main TERM" / "child TERM" to DIR/signals
and exits 0; a process killed by SIGKILL logs nothing. The child writes its pid to DIR/child.pid
once its handler is in place; the main process then writes DIR/main.pid (both atomically: .tmp,
then rename), so a test that waits for DIR/main.pid knows both are ready, and sleeps until killed.

--daemonize-child  the child escapes as a classic daemon does: setsid() and a second fork (the
                   intermediate process exits), so it is neither in the main process's session
                   nor its descendant; only its environment ($INVOCATION_ID) ties it to the unit.
"""

import os
import signal
import sys
import time


def write_atomically(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def on_term_as(role, directory):
    def handler(_signum, _frame):
        with open(os.path.join(directory, "signals"), "a") as f:
            f.write(f"{role} TERM\n")
        os._exit(0)

    return handler


def main(argv):
    directory = argv[0]
    daemonize = "--daemonize-child" in argv[1:]
    signal.signal(signal.SIGTERM, on_term_as("main", directory))
    pid = os.fork()
    if pid == 0:
        if daemonize:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
        signal.signal(signal.SIGTERM, on_term_as("child", directory))
        write_atomically(os.path.join(directory, "child.pid"), f"{os.getpid()}\n")
        while True:
            signal.pause()
    child_pidfile = os.path.join(directory, "child.pid")
    while not os.path.exists(child_pidfile):
        time.sleep(0.02)
    if daemonize:
        os.waitpid(pid, 0)  # the intermediate process
    write_atomically(os.path.join(directory, "main.pid"), f"{os.getpid()}\n")
    print(f"killtree.py: main {os.getpid()} ready", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main(sys.argv[1:])
