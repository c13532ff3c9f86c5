"""Executors: how shards are scheduled (local processes; Ray on a cluster)."""

from __future__ import annotations

from synthcompile.errors import UserError
from synthcompile.executors.base import Executor


def make_executor(kind: str = "local", workers: int | None = None, address: str | None = None) -> Executor:
    if kind == "local":
        from synthcompile.executors.local import LocalExecutor

        return LocalExecutor(workers)
    if kind == "ray":
        from synthcompile.executors.ray import RayExecutor

        return RayExecutor(workers, address)
    raise UserError(f"unknown executor {kind!r} (available: local, ray)")
