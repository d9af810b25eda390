#!/usr/bin/env python3
"""Load generator and helper servers for packaging/bench-sockets.sh (standard library only).

Addresses are a unix socket path (starting with '/') or HOST:PORT for TCP.

  rate ADDR N CONC EXPECT   N connections, CONC in flight (one thread each): connect, read the
                            whole reply until EOF, check it equals EXPECT (plus a newline), close.
                            Prints one JSON line: conn_per_s, ok, failed, elapsed_s, errors;
                            exits 1 if any connection failed.
  first ADDR STAMPS         One connection, timed with CLOCK_MONOTONIC; retried while the address
                            does not exist yet. Prints JSON with connect/reply times, merged with
                            the server's stamps read from the file STAMPS.
  forking-server ADDR -- CMD...  Baseline for Accept=yes: the inetd loop without a manager.
                            Accepts forever; each connection gets a spawn of CMD with the
                            connection as stdin and stdout; children are reaped without blocking.
  listen-fds-server STAMPS  The Accept=no service: sd_listen_fds(3) checks, then stamps (monotonic,
                            ns) its start (and its fork, by the CPU time used so far), the accept()
                            call and return into STAMPS; replies 'hello'.
  launcher ADDR -- CMD...   Baseline for Accept=no: listens on ADDR, waits for it to be readable,
                            then fork+execs CMD with LISTEN_FDS=1/LISTEN_PID, as a minimal
                            socket activator would; prints when CMD was exec'd; waits for it.
"""

import json
import os
import select
import signal
import socket
import sys
import threading
import time


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def listen(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(addr):
            os.unlink(addr)
        s.bind(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    # The manager's default Backlog= is SOMAXCONN too.
    s.listen(socket.SOMAXCONN)
    return s


def read_all(s):
    chunks = []
    while True:
        b = s.recv(4096)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def rate(addr, n, conc, expect):
    want = expect.encode() + b"\n"
    lock = threading.Lock()
    left = [n]
    ok = [0]
    errors = {}

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            try:
                s = connect(addr)
                try:
                    got = read_all(s)
                finally:
                    s.close()
                err = None if got == want else "reply %r" % got[:40]
            except OSError as e:
                err = type(e).__name__
            with lock:
                if err is None:
                    ok[0] += 1
                else:
                    errors[err] = errors.get(err, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    print(json.dumps({"conn_per_s": round(ok[0] / elapsed, 1), "ok": ok[0],
                      "failed": n - ok[0], "elapsed_s": round(elapsed, 4), "errors": errors}))
    sys.exit(1 if ok[0] != n else 0)


def first(addr, stamps):
    # Waits for the listener to exist (a script starting the socket and then this may race).
    deadline = time.monotonic() + 5
    while True:
        try:
            t_connect = now_ns()
            s = connect(addr)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.001)
    t_connected = now_ns()
    got = read_all(s)
    t_reply = now_ns()
    s.close()
    out = {"connect_ns": t_connect, "connected_ns": t_connected, "reply_ns": t_reply,
           "reply": got.decode(errors="replace").strip()}
    # The server writes its stamps before replying, so they are there once we have the reply.
    with open(stamps) as f:
        out.update(json.load(f))
    print(json.dumps(out))


def forking_server(addr, argv):
    lst = listen(addr)
    print("ready", flush=True)
    while True:
        conn, _ = lst.accept()
        # posix_spawn (vfork+exec in glibc) is the cheapest spawn there is: the strongest baseline.
        # Python's fds are close-on-exec, so the child holds only the connection on 0 and 1.
        os.posix_spawn(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, conn.fileno(), 0), (os.POSIX_SPAWN_DUP2, conn.fileno(), 1)])
        conn.close()
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass


def listen_fds_server(stamps):
    t_start = now_ns()
    # The CPU time this process has used since its fork: Python's start-up is CPU-bound, so the
    # fork was about that long before t_start (a stamp no scheduler delay of the parent skews).
    cpu = time.clock_gettime_ns(time.CLOCK_PROCESS_CPUTIME_ID)
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        print("not socket-activated with one fd", file=sys.stderr)
        sys.exit(3)
    lst = socket.socket(fileno=3)
    t_accept_call = now_ns()
    conn, _ = lst.accept()
    t_accepted = now_ns()
    with open(stamps + ".tmp", "w") as f:
        json.dump({"server_start_ns": t_start, "forked_ns": t_start - cpu,
                   "accept_call_ns": t_accept_call, "accepted_ns": t_accepted}, f)
    os.rename(stamps + ".tmp", stamps)
    conn.sendall(b"hello\n")
    conn.close()
    # Stays up as a long-running Accept=no service would; the script stops it.
    signal.pause()


def launcher(addr, argv):
    lst = listen(addr)
    os.set_inheritable(lst.fileno(), True)
    print("ready", flush=True)
    select.select([lst], [], [])
    # A close-on-exec pipe tells when the child has exec'd, the moment the manager stamps as
    # ExecMainStartTimestamp; printed (monotonic, ns) for the script.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(lst.fileno(), 3)
        env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
        os.execve(argv[0], argv, env)
    os.close(w)
    os.read(r, 1)
    print(now_ns(), flush=True)
    os.waitpid(pid, 0)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "rate":
        rate(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "first":
        first(args[0], args[1])
    elif cmd == "forking-server":
        forking_server(args[0], args[args.index("--") + 1:])
    elif cmd == "listen-fds-server":
        listen_fds_server(args[0])
    elif cmd == "launcher":
        launcher(args[0], args[args.index("--") + 1:])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
