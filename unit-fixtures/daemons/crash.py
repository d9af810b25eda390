#!/usr/bin/env python3
"""Dies of a signal (default SIGSEGV), as a crashing daemon does.

    crash.py [SIGNAL_NAME]

The process first makes itself non-dumpable (prctl PR_SET_DUMPABLE 0) so that no core file is
written anywhere (the kernel's core_pattern is machine-wide and would escape the sandbox): the
manager sees a plain death by signal (Result=signal, not core-dump).
"""

import ctypes
import os
import signal
import sys

PR_SET_DUMPABLE = 4
name = sys.argv[1] if len(sys.argv) > 1 else "SEGV"
sig = getattr(signal, "SIG" + name.removeprefix("SIG"))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
    sys.exit(f"crash.py: prctl failed: {os.strerror(ctypes.get_errno())}")
print(f"crash.py: killing myself with SIG{name.removeprefix('SIG')}", flush=True)
signal.signal(sig, signal.SIG_DFL)
os.kill(os.getpid(), sig)
signal.pause()
