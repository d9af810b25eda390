#!/usr/bin/env python3
"""A service that ignores SIGTERM (for TimeoutStopSec=: the manager has to SIGKILL it).

    ignore-term.py [READY_FILE]

Installs the handler first and only then writes its pid to READY_FILE (atomically), so a test
that waits for the file knows a SIGTERM will be ignored from then on. Each SIGTERM is logged.
"""

import os
import signal
import sys


def on_term(_signum, _frame):
    print("ignore-term.py: got SIGTERM, ignoring it", flush=True)


signal.signal(signal.SIGTERM, on_term)
if len(sys.argv) > 1:
    path = sys.argv[1]
    with open(path + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(path + ".tmp", path)
print(f"ignore-term.py: running as {os.getpid()}", flush=True)
while True:
    signal.pause()
