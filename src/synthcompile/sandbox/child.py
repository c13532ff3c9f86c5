"""The sandboxed side of :mod:`synthcompile.sandbox`: a zygote that runs each snippet in a fork.

Started as ``python -I -S -B child.py CONFIG`` (by path, not ``-m``) with an empty environment
and its own temporary directory as working directory. It uses the standard library only, plus
``confine.py`` loaded by path (an isolated interpreter has no import path beyond the stdlib, so
neither ``synthcompile`` nor the ``synthcompile.sandbox`` package ``__init__`` is imported here).

Protocol (both directions): a 4-byte big-endian length, then that many bytes. The parent sends a
snippet's UTF-8 source; the child answers with JSON ``{"out": stdout, "err": reason or null,
"cpu": seconds of CPU this zygote has used}``. The first message is ``{"ready": true, "missing":
[layers the kernel did not offer]}``; a closed pipe ends the child.

Why a fork per snippet: the zygote never runs snippet code, so nothing a snippet does (patching
``json``, switching off a Python-level guard, leaving files or threads behind) can reach the
zygote or the next snippet. A fork costs well under a millisecond, a new interpreter 20-30 ms.

Layers, hardest first. The zygote, at start: an empty network namespace, no capabilities,
no_new_privs, not dumpable (no ptrace of it), kernel limits (address space, file size, open
files, no core files, a lifetime CPU budget), and a Landlock domain (writes only beneath the
temporary directory, no exec, no TCP). Each snippet's process, before the snippet runs: a death
signal tied to the zygote, a per-snippet CPU limit (``RLIMIT_CPU``), a nested Landlock domain
(no signals to the zygote), a seccomp filter (no metadata changes, sockets, processes, ptrace,
mounts...), and an audit hook reporting violations by name. The zygote enforces the wall-clock
limit by killing the snippet's process. Audit hooks alone are no boundary (Python code can
reach and switch off any Python object): here they only name what the kernel layers refuse.

Who decides the verdict: the zygote, from what the snippet cannot take back. The snippet runs in
the same process as the harness code that writes its result, so that result (stdout, and the
snippet's own exception) is only data the snippet could have chosen anyway: patching
``json.dumps``, writing to the result pipe or closing it can forge it, and the zygote reads it
strictly as that. Everything else comes from outside the snippet's reach:

- a report socket (a socketpair made by the zygote per snippet): the harness writes a start
  record (its CPU time so far) before the snippet's first line runs, and the guard writes each
  violation and limit the moment it detects it, before the snippet regains control. What is in
  the zygote's end cannot be unsent, read back or drained: a socket, unlike a pipe, cannot be
  reopened for reading through ``/proc/self/fd``, and the zygote's end exists only in the zygote.
  If the guard finds the channel closed or replaced when it must report, it ends the process
  with ``EXIT_UNREPORTED``. A snippet can only add records, and any record fails it;
- the kernel: exit status, CPU time (``wait4``), the wall clock, the size of the output.

A snippet that disables the guard before acting is refused by the kernel layers instead; a
nonce or HMAC would not help, as any secret in the process is readable by the snippet.
"""

import _signal  # the public signal wrappers convert to enums; the harness needs none of that
import _socket  # the report channel; the socket module would import enum for nothing
import fcntl
import importlib.util
import io
import json
import math
import os
import resource
import select
import shutil
import signal
import stat
import struct
import sys
import time

SNIPPET = "<snippet>"
HEADER = struct.Struct(">I")
EXIT_MEMORY = 3  # exit status when the harness itself runs out of memory
EXIT_UNREPORTED = 4  # the guard saw a violation and found its report channel gone
UNREPORTED = "blocked: the snippet closed or replaced the sandbox's report channel"
REPORT_CAP = 1 << 16  # bytes of report read; only the first records matter
GUARD_LIMITS = ("cpu time limit", "output limit")  # what the guard reports besides "blocked: ..."

# Events refused outright (exact names, then prefixes).
BLOCKED = frozenset({
    "os.system", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.kill", "os.killpg",
    "os.chdir", "os.chroot", "subprocess.Popen", "pty.spawn", "signal.pthread_kill",
    "resource.setrlimit", "resource.prlimit", "sys.addaudithook", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents",
})
BLOCKED_PREFIXES = ("socket.", "ctypes.", "os.exec", "_winapi.", "winreg.")
# Extension modules whose dangerous primitives raise no audit event of their own.
DENIED_IMPORTS = frozenset({"_ctypes", "_posixsubprocess"})
# Events that modify the file system: (positions of path arguments, positions of dir_fd
# arguments). A path must resolve inside the temporary directory; a dir_fd must be unset (-1),
# because a path relative to an arbitrary directory descriptor cannot be checked.
PATH_EVENTS = {
    "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.mkdir": ((0,), (2,)),
    "os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)), "os.symlink": ((0, 1), (2,)),
    "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)),
    "os.truncate": ((0,), ()), "os.mkfifo": ((0,), (2,)), "os.mknod": ((0,), (3,)),
    "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()), "sqlite3.connect": ((0,), ()),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# fcntl/ioctl commands that choose which process gets SIGIO: (event, command) -> name (the
# seccomp filter refuses the same commands; this only names them).
OWNER_CALLS = {
    "fcntl.fcntl": {fcntl.F_SETOWN: "F_SETOWN", getattr(fcntl, "F_SETOWN_EX", 15): "F_SETOWN_EX"},
    "fcntl.ioctl": {0x8901: "FIOSETOWN", 0x8902: "SIOCSPGRP"},
}


class LimitExceeded(BaseException):
    """Raised into the snippet; a BaseException so that ``except Exception`` does not swallow it."""


class Guard:
    """The audit hook of a snippet's process. Sends the first violation to the zygote at once."""

    def __init__(self, tmp: str, report_fd: int):
        self.tmp, self.report_fd = tmp, report_fd
        self.violation: str | None = None
        # Bound now: a snippet that replaces os.write afterwards does not silence the report.
        self._write, self._fstat, self._exit = os.write, os.fstat, os._exit
        self._channel = os.fstat(report_fd).st_ino

    def __call__(self, event: str, args: tuple) -> None:
        reason = self.check(event, args)
        if reason is not None:
            self.fail(reason)
            raise PermissionError(f"sandbox: {reason}")

    def fail(self, reason: str) -> None:
        if self.violation is not None:
            return
        self.violation = reason
        try:
            if self._fstat(self.report_fd).st_ino != self._channel:
                raise OSError("replaced")
            self._write(self.report_fd, reason.encode("utf-8", "backslashreplace") + b"\n")
        except OSError:  # closed, replaced or stuffed full by the snippet: no verdict but failure
            self._exit(EXIT_UNREPORTED)

    def check(self, event: str, args: tuple) -> str | None:
        if event in BLOCKED or event.startswith(BLOCKED_PREFIXES):
            return f"blocked: {event}"
        if event == "import" and args[0] in DENIED_IMPORTS:
            return f"blocked: import {args[0]}"
        if event in OWNER_CALLS and args[1] in OWNER_CALLS[event]:  # SIGIO to a chosen process
            return f"blocked: {event} {OWNER_CALLS[event][args[1]]}"
        if event == "open":
            return self.check_open(*args)
        if event in PATH_EVENTS:
            paths, dir_fds = PATH_EVENTS[event]
            if any(i < len(args) and args[i] not in (None, -1) for i in dir_fds):
                return f"blocked: {event} with dir_fd"
            for i in paths:
                if i < len(args) and not isinstance(args[i], int) and not self.inside(args[i]):
                    return f"blocked: {event} outside the sandbox directory"
        return None

    def check_open(self, path, mode, flags) -> str | None:
        writing = bool((flags or 0) & WRITE_FLAGS) or (
            isinstance(mode, str) and any(c in mode for c in "wax+"))
        if isinstance(path, int):
            return "blocked: open a file descriptor for writing" if writing else None
        if self.inside(path):
            return None
        if writing:
            return "blocked: write outside the sandbox directory"
        # A descriptor on an outside directory would let os.open(name, dir_fd=...) escape.
        if os.path.isdir(path):
            return "blocked: open a directory outside the sandbox directory"
        return None

    def inside(self, path) -> bool:
        real = os.path.realpath(os.fsdecode(path))
        return real == self.tmp or real.startswith(self.tmp + os.sep)


class CappedOutput(io.TextIOBase):
    """The snippet's stdout/stderr: kept in memory, refusing to grow past ``limit`` characters."""

    def __init__(self, guard: Guard, limit: int):
        self.guard, self.limit, self.size, self.parts = guard, limit, 0, []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.size += len(text)
        if self.size > self.limit:
            self.guard.fail("output limit")
            raise LimitExceeded("output limit")
        self.parts.append(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.parts)


def load_confine(path: str):
    spec = importlib.util.spec_from_file_location("_synthcompile_confine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Out of sys.modules again, so `import ctypes` in a snippet is a fresh, audited import.
    for name in [n for n in sys.modules if n == "ctypes" or n.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]
    return module


def set_limits(config: dict) -> None:
    """Kernel limits on the zygote (inherited by every snippet), hard and soft alike."""
    mb = 1024 * 1024
    for limit, value in (
        (resource.RLIMIT_AS, config["memory_mb"] * mb),
        (resource.RLIMIT_FSIZE, config["file_mb"] * mb),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_CPU, config["child_cpu_s"]),
    ):
        resource.setrlimit(limit, (value, value))


def confine_zygote(confine, config: dict) -> list[str]:
    """Apply the zygote's layers; return the names of those this machine does not offer."""
    missing = []
    if (why := confine.isolate_network()) is not None:
        missing.append(f"network namespace ({why})")
    x86_64 = confine.x86_64()
    if x86_64:
        confine.drop_capabilities()
    else:
        missing.append(f"capability drop and seccomp (not written for {os.uname().machine})")
    confine.prctl(confine.PR_SET_NO_NEW_PRIVS, 1)
    confine.prctl(confine.PR_SET_DUMPABLE, 0)
    confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
    abi = confine.landlock_abi()
    if abi == 0:
        missing.append("landlock (not enabled in this kernel)")
    else:
        if abi < 4:
            missing.append(f"landlock TCP rules (kernel ABI {abi} < 4)")
        if abi < 6:
            missing.append(f"landlock signal scoping (kernel ABI {abi} < 6)")
        confine.landlock(abi, config["tmp"], scope=False)
    config["landlock_abi"], config["seccomp"] = abi, x86_64
    set_limits(config)
    return missing


def make_timer_handler(guard: Guard, reason: str):
    def handler(signum, frame):
        # Interrupt only the snippet's own code, so the harness can still report; the timer
        # repeats, so a snippet inside a library call is caught on a later tick.
        if frame is not None and frame.f_code.co_filename == SNIPPET:
            guard.fail(reason)
            raise LimitExceeded(reason)
    return handler


def run_snippet(source: str, config: dict, report_fd: int) -> dict:
    """In the snippet's own process, already confined: run it, capture its output."""
    guard = Guard(config["tmp"], report_fd)
    out = CappedOutput(guard, config["output_chars"])
    namespace = {"__name__": "__main__"}
    error = None
    _signal.signal(signal.SIGPROF, make_timer_handler(guard, "cpu time limit"))
    sys.addaudithook(guard)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(), out, out
    try:
        code = compile(source, SNIPPET, "exec")
        write_all(report_fd, f"start {time.process_time()!r}\n".encode())
        signal.setitimer(signal.ITIMER_PROF, config["cpu_s"], 0.02)
        exec(code, namespace)
    except LimitExceeded as exc:
        error = str(exc)
    except MemoryError:
        error = "memory limit"
    except SystemExit as exc:
        if exc.code not in (None, 0):
            error = f"exception: SystemExit: {exc.code}"
    except SyntaxError as exc:
        error = f"syntax error: {exc.msg} (line {exc.lineno})"
    except BaseException as exc:  # the snippet's own failure is its result
        error = f"exception: {type(exc).__name__}: {exc}"[:300]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    # Only what the snippet itself decides: violations and limits reach the zygote otherwise.
    return {"out": out.getvalue(), "err": error}


def snippet_process(confine, source: str, config: dict, result_fd: int, report_fd: int,
                    protocol: tuple) -> None:
    """The forked child: confine further, run, write the result, exit. Never returns."""
    status = 0
    try:
        for fd in protocol:  # the snippet must not reach the parent's pipes
            os.close(fd)
        os.set_blocking(report_fd, False)  # a snippet that fills the socket cannot stall the guard
        confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the zygote died before the line above
            os._exit(1)
        soft = math.ceil(config["cpu_s"]) + 1  # the Python timer fires first; this stops C code
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
        if config["landlock_abi"] >= 6:
            confine.landlock(config["landlock_abi"], None, scope=True)
        if config["seccomp"]:
            confine.seccomp()
        message = run_snippet(source, config, report_fd)
    except MemoryError:
        message, status = {"out": "", "err": "memory limit"}, EXIT_MEMORY
    except BaseException as exc:
        message = {"out": "", "err": f"sandbox failure: {exc!r}"[:300]}
    try:
        write_all(result_fd, json.dumps(message).encode())
    finally:
        os._exit(status)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_until_eof(fd: int, deadline: float, cap: int) -> tuple[bytes, str]:
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", "timeout"
        if select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks), "eof"
            size += len(chunk)
            if size > cap:
                return b"", "output limit"
            chunks.append(chunk)


def death_reason(status: int, usage, cpu_limit: float) -> str:
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        return "memory limit" if code == EXIT_MEMORY else f"crashed: exit status {code}"
    sig = os.WTERMSIG(status)
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and usage.ru_utime + usage.ru_stime >= cpu_limit):
        return "cpu time limit"
    return f"crashed: {signal.Signals(sig).name}"


def clear_directory(path: str) -> None:
    """Remove everything a snippet left in ``path``, whatever permissions it set on it."""
    def unlock(function, name, exc_info):
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        function(name)

    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, stat.S_IRWXU)
            shutil.rmtree(entry.path, onerror=unlock)
        else:
            os.unlink(entry.path)


def read_report(fd: int) -> tuple[float | None, str | None]:
    """The report socket after the snippet's death: (the harness's CPU time when the snippet
    started, or None if it never did; the first violation, or None)."""
    data = bytearray()
    while len(data) < REPORT_CAP:
        try:
            chunk = os.read(fd, REPORT_CAP)
        except BlockingIOError:  # nothing more: every writer is dead, but be sure not to hang
            break
        if not chunk:
            break
        data += chunk
    if not data:
        return None, None
    first, _, rest = bytes(data).partition(b"\n")
    try:
        start = float(first.removeprefix(b"start ")) if first.startswith(b"start ") else None
    except ValueError:
        start = None
    if start is None:  # only the harness writes before the snippet runs
        return None, "blocked: malformed sandbox report"
    if not rest:
        return start, None
    # Any byte after the start record fails the snippet; a record not in the guard's words
    # (something the snippet wrote itself) is named as a forgery.
    reason = rest.partition(b"\n")[0].decode("utf-8", "replace")
    if not (reason.startswith("blocked: ") or reason in GUARD_LIMITS):
        reason = "blocked: forged sandbox report"
    return start, reason[:300]


def parse_result(data: bytes) -> tuple[str, str | None] | None:
    """The result the harness wrote, or a forgery of one: (stdout, error), or None if malformed."""
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if (isinstance(message, dict) and set(message) == {"out", "err"} and isinstance(message["out"], str)
            and isinstance(message["err"], (str, type(None)))):
        return message["out"], message["err"]
    return None


def run_in_fork(confine, source: str, config: dict, protocol: tuple) -> dict:
    read_fd, write_fd = os.pipe()
    ours, theirs = (s.detach() for s in _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM))
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.close(ours)
        snippet_process(confine, source, config, write_fd, theirs, protocol)
    os.close(write_fd)
    os.close(theirs)
    try:
        data, state = read_until_eof(read_fd, time.monotonic() + config["wall_s"],
                                     cap=6 * config["output_chars"] + 4096)
    finally:
        os.close(read_fd)
    try:
        os.kill(pid, signal.SIGKILL)  # a no-op once it has exited; else it ran out of time
    except ProcessLookupError:
        pass
    _, status, usage = os.wait4(pid, 0)
    try:
        os.set_blocking(ours, False)
        started, violation = read_report(ours)
    finally:
        os.close(ours)
    clear_directory(config["tmp"])
    result = parse_result(data) if state == "eof" and data else None
    out, err = result if result is not None else ("", None)
    if violation is not None:
        return {"out": out, "err": violation}
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_UNREPORTED:
        return {"out": out, "err": UNREPORTED}
    if state != "eof":
        return {"out": "", "err": state}
    cpu = usage.ru_utime + usage.ru_stime
    if started is not None and cpu - started >= config["cpu_s"]:  # the snippet stopped its timer
        return {"out": out, "err": "cpu time limit"}
    if result is None:
        reason = "crashed: malformed result" if data else death_reason(status, usage, math.ceil(config["cpu_s"]) + 1)
        return {"out": "", "err": reason}
    if len(out) > config["output_chars"]:  # the snippet emptied its capped stdout
        return {"out": "", "err": "output limit"}
    if err is None and started is None:  # harness result without a start: it cannot be
        return {"out": "", "err": "sandbox failure: the snippet never started"}
    return {"out": out, "err": err}


def read_exact(fd: int, n: int) -> bytes | None:
    chunks, size = [], 0
    while size < n:
        chunk = os.read(fd, n - size)
        if not chunk:
            return None
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def send(fd: int, message: dict) -> None:
    write_all(fd, HEADER.pack(len(data := json.dumps(message).encode())) + data)


def main() -> None:
    config = json.loads(sys.argv[1])
    config["tmp"] = os.path.realpath(config["tmp"])
    # The protocol moves to private descriptors; fds 0-2 become /dev/null, so a snippet that
    # writes to them (os.write(1, ...)) cannot corrupt the protocol.
    fd_in, fd_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.dont_write_bytecode = True
    try:
        confine = load_confine(config["confine"])
        missing = confine_zygote(confine, config)
    except Exception as exc:  # a layer the kernel offers failed: refuse to run anything
        send(fd_out, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    send(fd_out, {"ready": True, "missing": missing})
    while True:
        header = read_exact(fd_in, HEADER.size)
        if header is None:
            return
        source = read_exact(fd_in, HEADER.unpack(header)[0])
        if source is None:
            return
        result = run_in_fork(confine, source.decode("utf-8", "surrogatepass"), config, (fd_in, fd_out))
        send(fd_out, {**result, "cpu": time.process_time()})


if __name__ == "__main__":
    try:
        main()
    except MemoryError:
        os._exit(EXIT_MEMORY)
