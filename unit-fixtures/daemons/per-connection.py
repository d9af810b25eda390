#!/usr/bin/env python3
"""A per-connection service for Accept=yes sockets, inetd style or with the connection as fd 3.

With LISTEN_FDS it checks LISTEN_PID as libsystemd does and talks on fd 3; without, on
stdin/stdout (StandardInput=socket). It sends one line,
`instance=I remote=ADDR:PORT fds=N names=A`, then echoes back the lines the client sends
(`got LINE`) until the client closes its side.
"""

import os
import socket
import sys

instance = sys.argv[1] if len(sys.argv) > 1 else "?"
fds = os.environ.get("LISTEN_FDS")
if fds is not None:
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        print("LISTEN_PID is not our pid", file=sys.stderr)
        sys.exit(3)
    conn = socket.socket(fileno=3)
    reader = conn.makefile("r")
    writer = conn.makefile("w")
else:
    reader = sys.stdin
    writer = sys.stdout
remote = f"{os.environ.get('REMOTE_ADDR', '-')}:{os.environ.get('REMOTE_PORT', '-')}"
names = os.environ.get("LISTEN_FDNAMES", "-")
writer.write(f"instance={instance} remote={remote} fds={fds or 'none'} names={names}\n")
writer.flush()
for line in reader:
    writer.write(f"got {line}")
    writer.flush()
