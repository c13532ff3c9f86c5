"""Run untrusted Python snippets in a sandboxed child process, each in a fresh confined fork.

A new interpreter per snippet costs 20-30 ms, too slow for tens of thousands of samples per build,
so a :class:`SandboxRunner` keeps one child (``child.py``, a zygote) alive and sends it
snippets over a pipe; the zygote forks a process per snippet, confines it, runs it and answers
with its stdout and a failure reason or none. The zygote kills a snippet at its wall-clock limit;
the kernel stops it at its CPU, memory and file-size limits. The parent adds a deadline of its
own and replaces the zygote if it dies or stops answering; the caller carries on either way.

Snippets are deterministic programs, so results are cached by source text: re-scoring the same
program (say, against several candidate answers) runs it once.

Layers (``child.py`` and ``confine.py`` say more): ``python -I -S -B`` with an empty
environment and its own temporary directory; an empty network namespace; no capabilities;
Landlock (writes only in that directory, no exec, no TCP, no signals out); a seccomp filter
(no sockets, processes, signals to other processes, metadata changes, ptrace...); rlimits; an
audit hook naming violations. The verdict is the zygote's: violations reach it over a channel
the snippet cannot take back, limits it measures itself, so a snippet can forge only its own
output. A layer this machine lacks is listed in :attr:`SandboxRunner.missing` and warned about once.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import weakref
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from synthcompile.sandbox import child as sandbox_child
from synthcompile.sandbox import confine

CHILD_SCRIPT = Path(sandbox_child.__file__)
CONFINE_SCRIPT = Path(confine.__file__)
HEADER = sandbox_child.HEADER
STARTUP_TIMEOUT_S = 30.0  # generous: the machine may be busy with other builds


class SandboxError(RuntimeError):
    """The sandbox itself could not run (the child failed to start), as opposed to a snippet."""


class SandboxWarning(RuntimeWarning):
    """The sandbox runs without a layer this machine does not offer."""


@dataclass(frozen=True)
class Limits:
    """Per-snippet limits, and the child's own budget."""

    wall_s: float = 2.0        # wall-clock time per snippet (a safety net: it depends on load)
    cpu_s: float = 2.0         # CPU time per snippet (independent of the machine's load)
    memory_mb: int = 512       # address space of the child (RLIMIT_AS)
    output_chars: int = 100_000
    file_mb: int = 16          # largest file a snippet may write in its temporary directory
    grace_s: float = 1.0       # the parent kills the child at wall_s + grace_s
    child_cpu_s: int = 600     # lifetime CPU of one child (RLIMIT_CPU); it is replaced at half

    def __post_init__(self):
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"Limits.{name} must be positive (got {value!r})")


@dataclass(frozen=True)
class RunResult:
    stdout: str
    error: str | None = None  # None when the snippet ran to its end; else why it did not

    @property
    def ok(self) -> bool:
        return self.error is None


class _Child:
    """One sandboxed interpreter and its two pipes."""

    def __init__(self, limits: Limits, tmp: str):
        config = {**asdict(limits), "tmp": tmp, "confine": str(CONFINE_SCRIPT)}
        cmd = [sys.executable, "-I", "-S", "-B", str(CHILD_SCRIPT), json.dumps(config)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=tmp, env={}, bufsize=0,
                                     start_new_session=True, close_fds=True)
        message, state = self.receive(time.monotonic() + STARTUP_TIMEOUT_S)
        if not (message or {}).get("ready"):
            self.kill()
            detail = (message or {}).get("error") or self.proc.stderr.read().decode(errors="replace").strip()[-500:]
            raise SandboxError(f"sandbox child failed to start ({state}): {detail or 'no output'}")
        self.proc.stderr.close()  # the child points fd 2 at /dev/null once it is ready
        self.missing: tuple[str, ...] = tuple(message["missing"])

    def send(self, source: str) -> bool:
        data = source.encode("utf-8", "surrogatepass")
        view = memoryview(HEADER.pack(len(data)) + data)
        try:
            while view:
                view = view[os.write(self.proc.stdin.fileno(), view):]
        except BrokenPipeError:
            return False
        return True

    def receive(self, deadline: float) -> tuple[dict | None, str]:
        """One message, or None with "timeout" or "closed"."""
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        while True:
            if len(buf) >= HEADER.size:
                end = HEADER.size + HEADER.unpack_from(buf)[0]
                if len(buf) >= end:
                    return json.loads(buf[HEADER.size:end]), "ok"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, "timeout"
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None, "closed"
                buf += chunk

    def kill(self) -> int:
        """Kill the child (its whole process group) and return its exit status."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        status = self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            pipe.close()
        return status

    def stop(self) -> None:
        """Let the child exit on end of input; kill it if it does not."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


def _death_reason(status: int) -> str:
    if status == -signal.SIGXCPU:
        return "cpu time limit"
    if status == sandbox_child.EXIT_MEMORY:
        return "memory limit"
    if status < 0:
        return f"crashed: {signal.Signals(-status).name}"
    return f"crashed: exit status {status}"


_warned: set[tuple[str, ...]] = set()


def _warn_missing(missing: tuple[str, ...]) -> None:
    """Loudly, once per process: the sandbox runs with fewer kernel layers than it is built for."""
    if missing not in _warned:
        _warned.add(missing)
        text = f"sandbox runs without: {'; '.join(missing)} (the other layers still apply)"
        logging.getLogger(__name__).warning(text)
        warnings.warn(text, SandboxWarning, stacklevel=3)


def _release(resources: dict) -> None:
    if resources.get("child") is not None:
        resources.pop("child").stop()
    if resources.get("tmp") is not None:
        shutil.rmtree(resources.pop("tmp"), ignore_errors=True)


class SandboxRunner:
    """Runs snippets one after another in one sandboxed child, restarting it when a snippet kills it.

    Use as a context manager or call :meth:`close`; the child and its temporary directory are also
    released when the runner is garbage-collected.
    """

    def __init__(self, limits: Limits | None = None, *, cache_size: int = 4096):
        self.limits = limits or Limits()
        self.cache_size = cache_size
        self.restarts = 0  # children replaced after they died or hung
        self.missing: tuple[str, ...] = ()  # confinement layers this machine does not offer
        self._cache: OrderedDict[str, RunResult] = OrderedDict()
        self._res: dict = {"child": None, "tmp": None}
        self._finalizer = weakref.finalize(self, _release, self._res)

    @property
    def tmp(self) -> str | None:
        """The child's temporary directory (None before the first snippet and after close)."""
        return self._res["tmp"]

    def run(self, source: str) -> RunResult:
        if (hit := self._cache.get(source)) is not None:
            self._cache.move_to_end(source)
            return hit
        result = self._execute(source)
        if result.error == "timeout":  # a wall-clock verdict depends on load: never reuse it
            return result
        self._cache[source] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def _execute(self, source: str) -> RunResult:
        child = self._child()
        if not child.send(source):  # died between snippets (e.g. killed from outside): once more
            self._discard(child)
            child = self._child()
            if not child.send(source):
                return RunResult("", _death_reason(self._discard(child)))
        message, state = child.receive(time.monotonic() + self.limits.wall_s + self.limits.grace_s)
        if message is None:
            status = self._discard(child)
            self.restarts += 1
            return RunResult("", "timeout" if state == "timeout" else _death_reason(status))
        if message["cpu"] > self.limits.child_cpu_s / 2:
            self._res["child"] = None
            child.stop()  # replaced before its lifetime CPU limit can strike a snippet
        return RunResult(message["out"], message["err"])

    def _child(self) -> _Child:
        if not self._finalizer.alive:  # used again after close()
            self._finalizer = weakref.finalize(self, _release, self._res)
        if self._res["child"] is None:
            if self._res["tmp"] is None:
                self._res["tmp"] = os.path.realpath(tempfile.mkdtemp(prefix="synthcompile-sandbox-"))
            child = self._res["child"] = _Child(self.limits, self._res["tmp"])
            if child.missing and child.missing != self.missing:
                _warn_missing(child.missing)
            self.missing = child.missing
        return self._res["child"]

    def _discard(self, child: _Child) -> int:
        self._res["child"] = None
        return child.kill()

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "SandboxRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
