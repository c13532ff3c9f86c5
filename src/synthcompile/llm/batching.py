"""Requests from many asyncio lanes, decoded in batches by one thread: the in-process engines.

A shard's lanes each await :meth:`ThreadBatcher.complete`; their requests meet in one queue, and
a thread of the engine's own takes up to ``batch`` of them at a time (waiting ``GATHER_S`` for
stragglers), splits them into groups the engine can decode together (:meth:`_groups`) and hands
each result back to the waiting lane's loop. The event loop never blocks on the model.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

from synthcompile.llm.request import Completion, Request

GATHER_S = 0.02


class ThreadBatcher:
    batch: int = 8

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def load(self) -> None:
        raise NotImplementedError

    def _run(self, requests: list[Request]) -> list[Completion]:
        raise NotImplementedError

    def _groups(self, batch: list[Request]) -> list[list[int]]:
        return [list(range(len(batch)))]

    async def complete(self, req: Request) -> Completion:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=f"synthcompile-{type(self).__name__}",
                                            daemon=True)
            self._thread.start()
        self._queue.put((req, future, loop))
        return await future

    def complete_sync(self, requests: list[Request]) -> list[Completion]:
        """Decode ``requests`` as one batch in the calling thread (tests, the benchmark)."""
        self.load()
        return self._run(requests)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._thread = None

    def _serve(self) -> None:
        try:
            self.load()
        except Exception as exc:  # every waiting request gets the error, now and later
            self._fail_all(exc)
            return
        while True:
            first = self._queue.get()
            if first is None:
                return
            items = [first]
            while len(items) < self.batch:
                try:
                    item = self._queue.get(timeout=GATHER_S)
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                items.append(item)
            for group in self._groups([req for req, _, _ in items]):
                part = [items[i] for i in group]
                try:
                    results = self._run([req for req, _, _ in part])
                except Exception as exc:
                    for _, fut, loop in part:
                        loop.call_soon_threadsafe(_settle, fut, None, exc)
                    continue
                for (_, fut, loop), result in zip(part, results):
                    loop.call_soon_threadsafe(_settle, fut, result, None)

    def _fail_all(self, exc: Exception) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            _, fut, loop = item
            loop.call_soon_threadsafe(_settle, fut, None, exc)


def _settle(fut: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
