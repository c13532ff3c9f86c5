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
  (chmod, chown, xattrs, utimes), sockets, process creation and exec, every way of signalling
  another process (whatever the Landlock ABI), ptrace, mounts and namespaces, keyrings,
  io_uring, bpf, rlimit and prctl changes (x86_64 only: syscall numbers differ per
  architecture).
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

# x86_64 system calls refused by the seccomp filter, by name (arch/x86/entry/syscalls/syscall_64.tbl;
# the tests check every number against <asm/unistd_64.h> where it is installed).
DENIED_X86_64 = {
    "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452,
    "chown": 92, "fchown": 93, "lchown": 94, "fchownat": 260,
    "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "setxattrat": 463,
    "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199, "removexattrat": 466,
    "utime": 132, "utimes": 235, "utimensat": 280, "futimesat": 261, "file_setattr": 469,
    "socket": 41, "socketpair": 53,
    "clone": 56, "fork": 57, "vfork": 58, "clone3": 435, "execve": 59, "execveat": 322,
    # Every call that sends a signal to a chosen process. Landlock scopes signals only from
    # ABI 6 (Linux 6.12), so on older kernels this list is the only thing keeping a snippet from
    # signalling every process of its uid. tgkill is special-cased below, F_SETOWN (SIGIO/SIGURG
    # to an owner) in the fcntl and ioctl rules.
    "kill": 62, "tkill": 200, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
    "process_madvise": 440, "process_mrelease": 448,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "mount_setattr": 442, "open_tree_attr": 467,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "add_key": 248, "request_key": 249, "keyctl": 250,
    "init_module": 175, "delete_module": 176, "finit_module": 313,
    "kexec_load": 246, "kexec_file_load": 320, "reboot": 169,
    "swapon": 167, "swapoff": 168, "sethostname": 170, "setdomainname": 171,
    "settimeofday": 164, "clock_settime": 227, "adjtimex": 159, "clock_adjtime": 305,
    "acct": 163, "quotactl": 179, "syslog": 103, "iopl": 172, "ioperm": 173, "personality": 135,
    "setrlimit": 160, "prctl": 157,
    "name_to_handle_at": 303, "open_by_handle_at": 304,
    "setpriority": 141, "sched_setscheduler": 144, "sched_setaffinity": 203, "sched_setattr": 314,
}
# Allowed only towards the process itself: glibc's raise() and abort() use it (os.abort,
# signal.raise_signal); refused, abort() ends in SIGSEGV and raise_signal in an OSError.
TGKILL_X86_64 = 234
# Allowed only to read the process's own limits (pid 0, no new limit): glibc's getrlimit is that.
PRLIMIT64_X86_64 = 302
FCNTL_X86_64, IOCTL_X86_64 = 72, 16
F_SETOWN, F_SETOWN_EX = 8, 15        # fcntl: who gets SIGIO (any pid or process group)
FIOSETOWN, SIOCSPGRP = 0x8901, 0x8902  # ioctl: the same for sockets (the report socket is one)
# ioctl: inode flags and fsxattr, which a read-only descriptor on any file its uid owns may change
# (Landlock mediates ioctls on devices only); the ioctl twins of chmod and setxattr.
FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR = 0x40086602, 0x401C5820


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
    """Classic BPF: (code, jump if true, jump if false, k). Jumps are written as labels and
    resolved to what BPF wants: instructions to skip, counted from the next one."""
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, kill = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x80000000
    arch, nr = 4, 0  # offsets in struct seccomp_data
    def arg(i, high=False):  # args[i], a 64-bit little-endian word, loaded 32 bits at a time;
        return 16 + 8 * i + 4 * high  # pids and commands are 32-bit: the kernel ignores the high word
    code = [
        (ld_abs, 0, 0, arch), (jeq, 0, "kill", AUDIT_ARCH_X86_64),
        (ld_abs, 0, 0, nr), (jge, "deny", 0, 0x40000000),  # the x32 ABI: a second syscall table
        *[(jeq, "deny", 0, number) for number in DENIED_X86_64.values()],
        (jeq, "tgkill", 0, TGKILL_X86_64), (jeq, "prlimit", 0, PRLIMIT64_X86_64),
        (jeq, "fcntl", 0, FCNTL_X86_64), (jeq, "ioctl", 0, IOCTL_X86_64), (ret, 0, 0, allow),
        "tgkill", (ld_abs, 0, 0, arg(0)), (jeq, "allow", "deny", pid),
        "prlimit", (ld_abs, 0, 0, arg(0)), (jeq, 0, "deny", 0),  # pid 0, and new_limit a NULL pointer
        (ld_abs, 0, 0, arg(2)), (jeq, 0, "deny", 0), (ld_abs, 0, 0, arg(2, high=True)), (jeq, "allow", "deny", 0),
        "fcntl", (ld_abs, 0, 0, arg(1)), (jeq, "deny", 0, F_SETOWN), (jeq, "deny", "allow", F_SETOWN_EX),
        "ioctl", (ld_abs, 0, 0, arg(1)), (jeq, "deny", 0, FIOSETOWN), (jeq, "deny", 0, SIOCSPGRP),
        (jeq, "deny", 0, FS_IOC_SETFLAGS), (jeq, "deny", "allow", FS_IOC_FSSETXATTR),
        "allow", (ret, 0, 0, allow), "deny", (ret, 0, 0, deny), "kill", (ret, 0, 0, kill),
    ]
    labels, program = {}, []
    for item in code:
        if isinstance(item, str):
            labels[item] = len(program)
        else:
            program.append(item)

    def skip(target, at: int) -> int:
        n = target if isinstance(target, int) else labels[target] - at - 1
        if not 0 <= n <= 255:
            raise ConfinementError(errno.E2BIG, f"seccomp jump of {n} does not fit in 8 bits")
        return n

    return [(c, skip(jt, i), skip(jf, i), k) for i, (c, jt, jf, k) in enumerate(program)]


def seccomp() -> None:
    """Install the filter on this process (needs no_new_privs, which the zygote sets)."""
    program = _seccomp_program(os.getpid())
    code = (_SockFilter * len(program))(*(_SockFilter(*ins) for ins in program))
    prog = _SockFprog(len(program), ctypes.cast(code, ctypes.POINTER(_SockFilter)))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")
