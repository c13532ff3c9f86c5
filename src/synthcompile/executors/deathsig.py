"""Worker processes die with the build that started them.

A build killed with SIGKILL gets no chance to stop its pool: its fork server (a child of the
build) and the workers (children of the fork server) would live on, idle, for ever. Linux's
``PR_SET_PDEATHSIG`` has the kernel kill a process when its parent dies. The fork server sets it
when it imports this module (it is in the fork server's preload list, and the pool's owner names
itself in the environment so that only its direct child, the fork server, arms it); each worker
sets it in the pool's initializer (the setting does not survive a fork). The resource tracker
exits by itself once every process holding its pipe is gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_ENV = "SYNTHCOMPILE_POOL_PARENT"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when this process's parent dies (Linux; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here: the old behaviour, no worse
    if os.getppid() != parent:  # the parent died before the request: too late for the kernel
        os._exit(1)


if os.environ.get(PARENT_ENV) == str(os.getppid()):  # imported by the fork server of our pool
    die_with_parent()
