"""Kernel-enforced confinement for the sandbox child: what a snippet cannot undo from Python.

Standard library only (``ctypes``), because the sandbox child is an isolated interpreter
(``python -I -S``) that cannot import third-party packages. Written by hand because the PyPI
Landlock bindings are pre-releases or new and cover only part of what is needed here
(scopes, TCP rules), and no maintained binding builds a seccomp filter without libseccomp.

Layers, each reported by name when the kernel or the machine does not offer it:

- ``network namespace``: ``unshare(CLONE_NEWNET)`` (with a user namespace when not root): no
  interface but a loopback that is down, so nothing outside can be reached;
- ``capabilities``: all dropped (``capset``), so a root child is an ordinary process again;
- ``landlock``: file-system writes (create, remove, rename, link, truncate, device ioctls) only
  beneath the temporary directory; no ``execve`` anywhere; TCP bind/connect denied (ABI >= 4);
  with ABI >= 6, no signals to and no abstract UNIX sockets of processes outside the domain;
- ``seccomp``: the system calls Landlock does not mediate refused with EPERM: metadata changes
  (chmod, chown, xattrs, utimes), sockets, process creation and exec, ptrace, mounts and
  namespaces, keyrings, io_uring, bpf, rlimit and prctl changes (x86_64 only: syscall numbers
  differ per architecture).
"""

from __future__ import annotations

import ctypes
import errno
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# Landlock (same syscall numbers on every architecture: they postdate the unified table).
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 2, 1 << 3
FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
FS_RIGHTS_LATEST = (1 << 16) - 1  # ABI >= 5 adds IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 38, 22
SECCOMP_MODE_FILTER = 2
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
CAPSET_X86_64 = 126
CAP_VERSION_3 = 0x20080522
AUDIT_ARCH_X86_64 = 0xC000003E

# x86_64 syscalls refused by the seccomp filter (see the module docstring for the groups).
DENIED_X86_64 = (
    90, 91, 268, 452,                      # chmod fchmod fchmodat fchmodat2
    92, 93, 94, 260,                       # chown fchown lchown fchownat
    188, 189, 190, 197, 198, 199, 463, 466,  # set/remove xattr (l, f, at)
    132, 235, 280, 261,                    # utime utimes utimensat futimesat
    41, 53,                                # socket socketpair
    56, 57, 58, 435, 59, 322,              # clone fork vfork clone3 execve execveat
    62, 200, 424, 434, 438,                # kill tkill pidfd_send_signal pidfd_open pidfd_getfd
    101, 310, 311,                         # ptrace process_vm_readv/writev
    165, 166, 155, 161, 272, 308,          # mount umount2 pivot_root chroot unshare setns
    428, 429, 430, 431, 432, 442,          # open_tree move_mount fsopen fsconfig fsmount mount_setattr
    321, 298, 323, 425, 426, 427,          # bpf perf_event_open userfaultfd io_uring_*
    248, 249, 250,                         # add_key request_key keyctl
    175, 176, 313, 246, 320, 169,          # init/delete/finit_module kexec_load kexec_file_load reboot
    167, 168, 170, 171, 164, 227, 159, 305,  # swap, host/domain name, clocks
    163, 179, 103, 172, 173, 135,          # acct quotactl syslog iopl ioperm personality
    160, 302, 157, 303, 304,               # setrlimit prlimit64 prctl name_to/open_by_handle_at
    141, 144, 203, 314,                    # setpriority sched_setscheduler/_setaffinity/_setattr
)
TGKILL_X86_64 = 234  # allowed only towards the process itself: abort() raises SIGABRT with it


class ConfinementError(OSError):
    """A layer that the kernel offers could not be applied (the snippet must not run)."""


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise ConfinementError(code, f"{what}: {os.strerror(code)}")
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is absent or disabled."""
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(abi), 0)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(abi: int, writable: str | None, *, scope: bool) -> None:
    """Enforce a Landlock domain on this process and its future children.

    With ``writable``: writes and exec are handled, and only writes beneath ``writable`` are
    granted; TCP bind/connect are handled and granted nowhere. With ``scope``: signals and
    abstract UNIX sockets may not cross the domain's edge (a nested domain cannot reach its
    parent). Reads stay allowed everywhere: the interpreter must import the standard library.
    """
    attr = _RulesetAttr()
    size = 8  # the struct grew with the ABI; an older kernel rejects the longer one
    if writable is not None:
        attr.handled_access_fs = FS_RIGHTS_BY_ABI.get(abi, FS_RIGHTS_LATEST) & ~(FS_READ_FILE | FS_READ_DIR)
        if abi >= 4:
            attr.handled_access_net, size = NET_BIND_TCP | NET_CONNECT_TCP, 16
    if scope and abi >= 6:
        attr.scoped, size = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 24
    if not (attr.handled_access_fs or attr.scoped):
        return
    ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr),
                                   ctypes.c_size_t(size), ctypes.c_uint32(0)), "landlock ruleset")
    try:
        if writable is not None:
            fd = os.open(writable, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(attr.handled_access_fs & ~FS_EXECUTE, fd)
                _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH,
                                     ctypes.byref(rule), ctypes.c_uint32(0)), "landlock rule")
            finally:
                os.close(fd)
        _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)),
               "landlock restrict")
    finally:
        os.close(ruleset)


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


def isolate_network() -> str | None:
    """An empty network namespace; None when done, else why not."""
    if _libc.unshare(CLONE_NEWNET) == 0:
        return None
    first = os.strerror(ctypes.get_errno())
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:  # unprivileged: inside a user namespace
        return None
    return f"unshare: {first}"


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def x86_64() -> bool:
    return os.uname().machine == "x86_64"


def drop_capabilities() -> None:
    header, data = _CapHeader(CAP_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.syscall(CAPSET_X86_64, ctypes.byref(header), ctypes.byref(data)), "capset")


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program(pid: int) -> list[tuple[int, int, int, int]]:
    """Classic BPF: (code, jump if true, jump if false, k); jumps count from the next one."""
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, kill = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
    m = len(DENIED_X86_64)
    # 0 arch, 1 wrong arch -> kill, 2 load nr, 3 x32 -> deny, 4.. denied -> deny, then tgkill
    # -> allowed only with tgid == pid (the low word of args[0], offset 16), allow, deny, kill.
    prog = [(ld_abs, 0, 0, 4), (jeq, 0, m + 7, AUDIT_ARCH_X86_64), (ld_abs, 0, 0, 0),
            (jge, m + 4, 0, 0x40000000)]
    prog += [(jeq, m + 3 - i, 0, nr) for i, nr in enumerate(DENIED_X86_64)]
    prog += [(jeq, 0, 2, TGKILL_X86_64), (ld_abs, 0, 0, 16), (jeq, 0, 1, pid)]
    return prog + [(ret, 0, 0, allow), (ret, 0, 0, deny), (ret, 0, 0, kill)]


def seccomp() -> None:
    """Install the filter on this process (needs no_new_privs, which the zygote sets)."""
    program = _seccomp_program(os.getpid())
    code = (_SockFilter * len(program))(*(_SockFilter(*ins) for ins in program))
    prog = _SockFprog(len(program), ctypes.cast(code, ctypes.POINTER(_SockFilter)))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")
