#!/usr/bin/env python3
"""A Type=notify service that keeps state in the manager's fd store (sd_notify(3) FDSTORE=1).

Started with nothing passed, it writes its argument into a memfd, stores the memfd as
`FDNAME=state`, and reports ready. Started again with fds (LISTEN_FDS, LISTEN_PID checked as
libsystemd does), it writes `fds=N names=A:B state=CONTENT` to the file named by its second
argument, reading CONTENT from the fd named `state`. Runs until killed.
"""

import os
import signal
import socket
import sys


def notify(message, fds=()):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    address = os.environ["NOTIFY_SOCKET"]
    if address.startswith("@"):
        address = "\0" + address[1:]
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(__import__("array").array("i", fds))))] if fds else []
    s.sendmsg([message.encode()], ancillary, 0, address)


state, report = sys.argv[1], sys.argv[2]
count = int(os.environ.get("LISTEN_FDS", "0"))
if count:
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        sys.exit(3)
    names = os.environ.get("LISTEN_FDNAMES", "").split(":")
    content = os.pread(3 + names.index("state"), 100, 0).decode() if "state" in names else "-"
    with open(report, "w") as f:
        f.write(f"fds={count} names={':'.join(names)} state={content}\n")
else:
    fd = os.memfd_create("state")
    os.write(fd, state.encode())
    notify("FDSTORE=1\nFDNAME=state", [fd])
    os.close(fd)
notify("READY=1")
signal.pause()
