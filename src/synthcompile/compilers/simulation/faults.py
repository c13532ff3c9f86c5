"""Injected faults: what a real tool backend does to an agent, scheduled by the task.

A fault is keyed by the index of the call it strikes (the n-th call of the episode, whatever it
is), so the same schedule hits the same call on replay and for any policy. A ``timeout`` or an
``error`` never reaches the environment (the message says the request was not processed, so a
retry is safe even for a write); a ``stale`` result is the call answered from the world as it
was when the episode began, marked as served from a cache. A good trajectory notices each one
and repeats the call; the replay verifier checks that it did (``missed_fault``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Protocol

FaultKind = Literal["timeout", "error", "stale"]
KINDS: tuple[FaultKind, ...] = ("timeout", "error", "stale")


@dataclass(frozen=True)
class Fault:
    at: int          # the index of the call it strikes, from 0 (messages to the user are not calls)
    kind: FaultKind

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "kind": self.kind}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Fault":
        return cls(int(d["at"]), d["kind"])


def fault_result(kind: FaultKind, name: str, real: dict[str, Any] | None = None) -> dict[str, Any]:
    """The result a faulted call returns (``real``: a stale call's answer from the old world)."""
    if kind == "timeout":
        return {"error": f"timeout: {name} did not answer within 30 s; the request was not processed",
                "retryable": True}
    if kind == "error":
        return {"error": f"503 service unavailable: {name} is temporarily overloaded; the request was "
                         "not processed", "retryable": True}
    return {**(real or {}), "cache": "stale: served from a cache that may be out of date; call again for "
                                     "fresh data"}


def is_fault(result: dict[str, Any]) -> bool:
    """Whether a result is one a good trajectory must not trust (and should repeat the call)."""
    return result.get("retryable") is True or str(result.get("cache", "")).startswith("stale")


class Tools(Protocol):
    """What a policy calls: an environment in process, or one behind MCP."""

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]: ...


class FaultyTools:
    """Tools with a fault schedule. ``stale``: a factory of the world as it began (a fresh copy),
    needed only when the schedule has a stale fault."""

    def __init__(self, inner: Tools, faults: tuple[Fault, ...], stale: Callable[[], Tools] | None = None):
        self.inner, self.stale = inner, stale
        self.faults = {f.at: f.kind for f in faults}
        self.calls = 0
        self._old: Tools | None = None

    def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        kind = self.faults.get(self.calls)
        self.calls += 1
        if kind is None:
            return self.inner.call(name, arguments)
        if kind != "stale":
            return fault_result(kind, name)
        if self.stale is None:
            raise ValueError("a stale fault needs a copy of the initial world (not available through MCP)")
        if self._old is None:
            self._old = self.stale()
        return fault_result("stale", name, self._old.call(name, arguments))
