"""A shard's progress journal: finished work items, appended as they finish, replayed on resume.

A long shard (an LLM stage making 10,000 requests, a simulation rolling out 1,000 episodes) that
is killed at item 9,000 must resume repeating none of them. Each finished item is one JSON line
``{"k": key, "v": value}`` written with a single ``write`` to a file opened ``O_APPEND``: a killed
process leaves whole lines and at most one torn last line. Recovery rule: on open, every complete
line is replayed and a torn tail is cut off; a journal whose header names another fingerprint (the
shard's spec, version or inputs changed) is discarded whole. The journal is removed once the shard
is committed: from then on the shard itself holds the results.

Lines are not fsynced one by one: that survives the process being killed (the page cache keeps
what was written), not the machine losing power, after which the lost tail is simply redone.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable


class Journal:
    def __init__(self, path: Path, fingerprint: str):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self._done: dict[str, Any] | None = None
        self._fd: int | None = None
        self.replayed = 0  # items found done when the journal was opened

    @property
    def done(self) -> dict[str, Any]:
        """Finished items by key (those of earlier attempts included)."""
        if self._done is None:
            self._open()
        return self._done  # type: ignore[return-value]

    def __contains__(self, key: str) -> bool:
        return key in self.done

    def get(self, key: str, default: Any = None) -> Any:
        return self.done.get(key, default)

    def record(self, key: str, value: Any) -> None:
        """Append one finished item (JSON-able value); it is done for every later attempt."""
        done = self.done
        line = json.dumps({"k": key, "v": value}, sort_keys=True, ensure_ascii=False) + "\n"
        os.write(self._fd, line.encode())  # type: ignore[arg-type]
        done[key] = value

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        done: dict[str, Any] = {}
        good = 0  # bytes of complete, valid lines
        if self.path.is_file():
            data = self.path.read_bytes()
            for line in data.splitlines(keepends=True):
                if not line.endswith(b"\n"):
                    break  # the torn tail of a killed write
                try:
                    rec = json.loads(line)
                except ValueError:
                    break
                if good == 0:
                    if rec.get("fingerprint") != self.fingerprint:
                        break  # another spec's journal: start afresh
                else:
                    done[rec["k"]] = rec["v"]
                good += len(line)
            if good < len(data):
                os.truncate(self.path, good)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if good == 0:
            os.write(self._fd, (json.dumps({"fingerprint": self.fingerprint}) + "\n").encode())
        self._done = done
        self.replayed = len(done)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def run_journaled(journal: Journal, items: Iterable[tuple[str, Any]],
                  fn: Callable[[Any], Awaitable[Any]], concurrency: int) -> dict[str, Any]:
    """``await fn(item)`` for every ``(key, item)`` the journal does not hold yet, at most
    ``concurrency`` at a time, recording each result as it finishes. Returns every key's result
    (replayed or new) in the order of ``items``, so the shard's bytes do not depend on timing."""
    pairs = list(items)
    todo = [(k, item) for k, item in pairs if k not in journal]
    if todo:
        worker_loop().run_until_complete(_drive(journal, todo, fn, concurrency))
    return {k: journal.get(k) for k, _ in pairs}


def worker_loop() -> asyncio.AbstractEventLoop:
    """The worker's event loop (:func:`synthcompile.worker.loop`), kept across shards."""
    from synthcompile import worker

    return worker.loop()


async def _drive(journal: Journal, todo: list[tuple[str, Any]], fn: Callable[[Any], Awaitable[Any]],
                 concurrency: int) -> None:
    queue = iter(todo)

    async def lane() -> None:
        # A fixed number of lanes pulling from one iterator: at most `concurrency` requests in
        # flight and never 10,000 pending tasks in memory.
        for key, item in queue:
            journal.record(key, await fn(item))

    lanes = [asyncio.create_task(lane()) for _ in range(min(concurrency, len(todo)))]
    try:
        await asyncio.gather(*lanes)
    finally:
        for t in lanes:
            t.cancel()
