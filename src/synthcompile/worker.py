"""Per-worker resources: objects a worker process makes once and keeps for every shard it runs.

A loaded knowledge graph, a sandbox process, an HTTP client or an MCP server costs seconds to set
up and is the same for every shard of a stage, so a worker keeps it (:func:`resource`). Keys are
``(kind, ...)``; one resource per kind is kept, so a worker that moves to another graph drops the
old one. Every resource is closed when the worker exits: a process-pool worker through
multiprocessing's exit finalizers (its children skip ``atexit``), the main process and Ray
workers through ``atexit``, and an executor that runs shards in its own process by
:func:`teardown` when it closes.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
from typing import Any, Callable, TypeVar

T = TypeVar("T")
log = logging.getLogger("synthcompile.worker")

_held: dict[Any, tuple[Any, Any]] = {}  # kind -> (key, resource)
_loop: asyncio.AbstractEventLoop | None = None
_hooked = False


def _kind(key: Any) -> Any:
    return key[0] if isinstance(key, tuple) and key else key


def resource(key: Any, factory: Callable[[], T]) -> T:
    kind = _kind(key)
    held = _held.get(kind)
    if held is not None and held[0] == key:
        return held[1]
    if held is not None:
        _close(_held.pop(kind)[1])
    _hook()
    value = factory()
    _held[kind] = (key, value)
    return value


def held() -> dict[Any, Any]:
    """What this worker holds, by kind (for tests and diagnostics)."""
    return {kind: value for kind, (_, value) in _held.items()}


def loop() -> asyncio.AbstractEventLoop:
    """The worker's event loop, kept across shards: an async client made as a resource (an HTTP
    connection pool is bound to the loop it was opened on) serves every shard. It outlives every
    resource, so their ``close()`` may still run coroutines on it."""
    global _loop
    if _loop is None or _loop.is_closed():
        _hook()
        _loop = asyncio.new_event_loop()
    return _loop


def teardown() -> None:
    """Close every resource this process holds (most recently made first), then its loop."""
    global _loop
    while _held:
        _close(_held.popitem()[1][1])
    if _loop is not None:
        _loop.close()
        _loop = None


def _close(value: Any) -> None:
    close = getattr(value, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # a worker exiting must not fail on a resource that would not close
            log.exception("closing a per-worker resource failed")


def _hook() -> None:
    global _hooked
    if _hooked:
        return
    from multiprocessing import util

    atexit.register(teardown)
    util.Finalize(None, teardown, exitpriority=100)  # what pool workers run on their way out
    _hooked = True
