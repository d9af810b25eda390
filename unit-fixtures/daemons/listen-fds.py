#!/usr/bin/env python3
"""A socket-activated server that speaks sd_listen_fds(3) as real client libraries do.

It refuses to run unless LISTEN_PID names itself (the check libsystemd makes), then serves every
listening fd from 3 on: each connection (or datagram) gets one line back,
`pid=P fds=N names=A:B`, and the connection is closed. Runs until killed.
"""

import os
import select
import socket
import sys

if os.environ.get("LISTEN_PID") != str(os.getpid()):
    print("LISTEN_PID is not our pid", file=sys.stderr)
    sys.exit(3)
count = int(os.environ.get("LISTEN_FDS", "0"))
names = os.environ.get("LISTEN_FDNAMES", "")
socks = [socket.socket(fileno=3 + i) for i in range(count)]
reply = f"pid={os.getpid()} fds={count} names={names}\n".encode()
while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        if s.type == socket.SOCK_STREAM:
            conn, _ = s.accept()
            conn.sendall(reply)
            conn.close()
        else:
            data, peer = s.recvfrom(4096)
            if peer:
                s.sendto(reply, peer)
