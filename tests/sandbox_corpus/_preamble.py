# Prepended to every case (after two lines the test writes: OUTSIDE, a directory outside the
# sandbox holding one file, "keep", that must stay as it is; TARGET, the pid of a process of the
# same uid that must stay alive). Not a case itself: names starting with "_" are skipped.
import os
import signal


def guard_off():
    """Switch the audit hook off from inside (it is reachable through the CPU timer's handler), so
    that only the kernel layers stand between the rest of the case and its target."""
    handler = signal.getsignal(signal.SIGPROF)
    guard = [c.cell_contents for c in handler.__closure__ if hasattr(c.cell_contents, "violation")][0]
    guard.check = lambda *args: None
    return guard


def syscall(name, number, *args):
    """A raw system call (needs guard_off() first: ctypes is refused by the guard)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    if result < 0:
        raise OSError(ctypes.get_errno(), name)
    return result


def siginfo(signo):
    """A siginfo_t as sigqueue(3) fills it (si_code SI_QUEUE, which a process may send to another)."""
    import ctypes
    return ctypes.byref((ctypes.c_int * 32)(signo, 0, -1, os.getpid(), os.getuid()))


def fds():
    """This process's descriptors above stdio (the listing's own descriptor is closed again)."""
    held = []
    for fd in sorted(int(n) for n in os.listdir("/proc/self/fd") if int(n) > 2):
        try:
            os.fstat(fd)
            held.append(fd)
        except OSError:
            pass
    return held


def violate():
    """A violation the guard records (and the snippet catches, to carry on)."""
    try:
        import socket
        socket.socket()
    except PermissionError:
        pass
