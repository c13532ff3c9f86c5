"""The sandbox: running untrusted generated programs, each in a forked, kernel-confined process.

- ``runner.py``: the parent side, :class:`SandboxRunner` (one zygote child, restarted as needed);
- ``child.py``: the zygote, started by path as ``python -I -S -B child.py`` (standard library only);
- ``confine.py``: Landlock, seccomp, network namespace, capabilities (standard library only,
  loaded by path in the child).

The child never imports this package: an isolated interpreter has no import path beyond the stdlib.
"""

from synthcompile.sandbox.runner import Limits, RunResult, SandboxError, SandboxRunner, SandboxWarning

__all__ = ["Limits", "RunResult", "SandboxError", "SandboxRunner", "SandboxWarning"]
