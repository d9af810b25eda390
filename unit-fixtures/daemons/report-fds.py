#!/usr/bin/env python3
"""Reports the fds it was passed: writes `N NAMES TYPE... DATA` to the file named by its
argument (atomically), where TYPE is each fd's socket type (or FIFO) and DATA the datagram
waiting on fd 3. LISTEN_PID is checked as libsystemd does. Then sleeps until killed."""

import os
import signal
import socket
import stat
import sys

if os.environ.get("LISTEN_PID") != str(os.getpid()):
    sys.exit(3)
count = int(os.environ["LISTEN_FDS"])
kinds = []
for fd in range(3, 3 + count):
    if stat.S_ISFIFO(os.fstat(fd).st_mode):
        kinds.append("FIFO")
    else:
        kinds.append(socket.socket(fileno=os.dup(fd)).type.name)
data = socket.socket(fileno=os.dup(3)).recv(100).decode()
report = sys.argv[1]
with open(report + ".tmp", "w") as f:
    f.write(f"{count} {os.environ['LISTEN_FDNAMES']} {' '.join(kinds)} {data}\n")
os.rename(report + ".tmp", report)
signal.pause()
