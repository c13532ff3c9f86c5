"""The sandboxed side of :mod:`synthcompile.sandbox`: run snippets sent over a pipe, one at a time.

Started as ``python -I -S -B sandbox_child.py CONFIG`` with an empty environment, its own temporary
directory as working directory and, where the machine allows it, an empty network namespace.
It uses the standard library only (nothing from synthcompile), so the isolated interpreter needs
no import path beyond the stdlib.

Protocol (both directions): a 4-byte big-endian length, then that many bytes. The parent sends a
snippet's UTF-8 source; the child answers with JSON ``{"out": stdout, "err": reason or null,
"cpu": seconds of CPU used by this process so far}``. The first message is the child's
``{"ready": true}``; a closed pipe ends the child.

Layers, from hardest to softest: kernel limits set here on the child itself (address space, file
size, no core files, no new processes, a lifetime CPU budget); per-snippet wall-clock and CPU timers
(``signal.setitimer``) that interrupt Python code; an audit hook (``sys.addaudithook``) that refuses
sockets, subprocesses, exec/fork/spawn, ctypes, signals to other processes, and writes outside the
temporary directory. The parent adds its own deadline and kills the child if a snippet hangs in C
code. Audit hooks stop accidents and the obvious attacks of a generated program; CPython documents
them as no boundary against a determined attacker, which is why the kernel layers come first.
"""

import _signal  # the public signal wrappers convert to enums: ~15 us a call on the hot path
import builtins
import io
import json
import os
import resource
import signal
import struct
import sys
import time

SNIPPET = "<snippet>"
HEADER = struct.Struct(">I")
EXIT_MEMORY = 3  # exit status when the harness itself runs out of memory

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
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class LimitExceeded(BaseException):
    """Raised into the snippet; a BaseException so that ``except Exception`` does not swallow it."""


class Guard:
    """The audit hook. Remembers the first violation of the running snippet, even if caught."""

    def __init__(self, tmp: str):
        self.tmp = tmp
        self.active = False
        self.violation: str | None = None
        self.touched = False  # something may have been written in tmp: clean it afterwards

    def __call__(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        reason = self.check(event, args)
        if reason is not None:
            self.fail(reason)
            raise PermissionError(f"sandbox: {reason}")

    def fail(self, reason: str) -> None:
        if self.violation is None:
            self.violation = reason

    def check(self, event: str, args: tuple) -> str | None:
        if event in BLOCKED or event.startswith(BLOCKED_PREFIXES):
            return f"blocked: {event}"
        if event == "import" and args[0] in DENIED_IMPORTS:
            return f"blocked: import {args[0]}"
        if event == "open":
            return self.check_open(*args)
        if event in PATH_EVENTS:
            paths, dir_fds = PATH_EVENTS[event]
            if any(i < len(args) and args[i] not in (None, -1) for i in dir_fds):
                return f"blocked: {event} with dir_fd"
            for i in paths:
                if i < len(args) and not isinstance(args[i], int) and not self.inside(args[i]):
                    return f"blocked: {event} outside the sandbox directory"
            self.touched = True
        return None

    def check_open(self, path, mode, flags) -> str | None:
        writing = bool((flags or 0) & WRITE_FLAGS) or (
            isinstance(mode, str) and any(c in mode for c in "wax+"))
        if isinstance(path, int):
            return "blocked: open a file descriptor for writing" if writing else None
        if self.inside(path):
            self.touched = self.touched or writing
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


def set_limits(config: dict) -> None:
    """Kernel limits on this process, hard and soft alike, so the snippet cannot raise them."""
    mb = 1024 * 1024
    for limit, value in (
        (resource.RLIMIT_AS, config["memory_mb"] * mb),
        (resource.RLIMIT_FSIZE, config["file_mb"] * mb),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_NPROC, 0),  # no fork at all (not enforced for root; the hook still is)
        (resource.RLIMIT_CPU, config["child_cpu_s"]),
    ):
        resource.setrlimit(limit, (value, value))


def make_timer_handler(guard: Guard, reason: str):
    def handler(signum, frame):
        # Interrupt only the snippet's own code: raising inside the harness would corrupt it.
        # The timers repeat, so a snippet inside a library call is caught on a later tick.
        if frame is not None and frame.f_code.co_filename == SNIPPET:
            guard.fail(reason)
            raise LimitExceeded(reason)
    return handler


class Harness:
    def __init__(self, config: dict, guard: Guard):
        self.config = config
        self.guard = guard
        self.builtins = dict(builtins.__dict__)
        self.modules = set(sys.modules)
        self.recursion = sys.getrecursionlimit()
        self.streams = (sys.stdin, sys.stdout, sys.stderr)
        self.on_wall = make_timer_handler(guard, "timeout")
        self.on_cpu = make_timer_handler(guard, "cpu time limit")

    def run(self, source: str) -> dict:
        guard, config = self.guard, self.config
        out = CappedOutput(guard, config["output_chars"])
        namespace = {"__name__": "__main__", "__builtins__": dict(self.builtins)}
        error = None
        # A snippet may have replaced the handlers: put them back.
        if _signal.getsignal(signal.SIGALRM) is not self.on_wall:
            _signal.signal(signal.SIGALRM, self.on_wall)
        if _signal.getsignal(signal.SIGPROF) is not self.on_cpu:
            _signal.signal(signal.SIGPROF, self.on_cpu)
        guard.violation = None
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(), out, out
        guard.active = True
        try:
            code = compile(source, SNIPPET, "exec")
            signal.setitimer(signal.ITIMER_REAL, config["wall_s"], 0.02)
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
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.setitimer(signal.ITIMER_PROF, 0)
            guard.active = False
            sys.stdin, sys.stdout, sys.stderr = self.streams
        namespace.clear()
        self.reset()
        # A violation the snippet caught and ignored still fails it.
        return {"out": out.getvalue(), "err": guard.violation or error,
                "cpu": time.process_time()}

    def reset(self) -> None:
        """Undo what a snippet may leave behind for the next one (and for the harness itself)."""
        live = builtins.__dict__
        if live != self.builtins:  # `import builtins; builtins.len = None` reaches the real module
            live.clear()
            live.update(self.builtins)
        for name in set(sys.modules) - self.modules:
            del sys.modules[name]
        sys.setrecursionlimit(self.recursion)
        if self.guard.touched:
            self.guard.touched = False
            for root, dirs, files in os.walk(self.guard.tmp, topdown=False):
                for name in files:
                    os.unlink(os.path.join(root, name))
                for name in dirs:
                    path = os.path.join(root, name)
                    if os.path.islink(path):
                        os.unlink(path)
                    else:
                        os.rmdir(path)


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
    data = json.dumps(message).encode()
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def main() -> None:
    config = json.loads(sys.argv[1])
    tmp = os.path.realpath(config["tmp"])
    # The protocol moves to private descriptors; fds 0-2 become /dev/null, so a snippet that
    # writes to them (os.write(1, ...)) cannot corrupt the protocol.
    fd_in, fd_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.dont_write_bytecode = True
    set_limits(config)
    guard = Guard(tmp)
    harness = Harness(config, guard)
    sys.addaudithook(guard)
    send(fd_out, {"ready": True})
    while True:
        header = read_exact(fd_in, HEADER.size)
        if header is None:
            return
        source = read_exact(fd_in, HEADER.unpack(header)[0])
        if source is None:
            return
        send(fd_out, harness.run(source.decode("utf-8", "surrogatepass")))


if __name__ == "__main__":
    try:
        main()
    except MemoryError:
        os._exit(EXIT_MEMORY)
