"""A backend behind the request cache, with usage counted: what a stage holds per worker.

``LLM.generate`` answers from the run's cache (or the shared one) when it can and sends the
request otherwise, caching the response the moment it arrives. Identical requests in flight at
once are sent once. Counters (requests, hits, misses, tokens sent and saved, retries by cause)
accumulate on the client and are drained into each shard's stats.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import fields
from pathlib import Path
from typing import Any

from synthcompile.llm.cache import RequestCache
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.request import Completion, Request


def make_backend(config: LLMConfig, threads: int = 1) -> Any:
    if config.backend == "local":
        from synthcompile.llm.local import LocalBackend

        return LocalBackend(config, threads)
    if config.backend == "openai":
        from synthcompile.llm.http import OpenAIBackend

        return OpenAIBackend(config)
    from synthcompile.llm.vllm import VLLMBackend

    return VLLMBackend(config)


def shard_client(ctx: Any, config: LLMConfig, cpus: float) -> "LLM":
    """The worker's client for ``config``, behind the run's request cache: a per-worker resource
    (the embedded model loads once per worker), ``cpus`` of torch threads for an in-process model."""
    from synthcompile import layout
    from synthcompile.sample import canonical_json

    cache = ctx.run_root / layout.LLM_CACHE
    key = ("llm", str(cache), canonical_json(config.model_dump(mode="json")))
    return ctx.resource(key, lambda: LLM(config, cache, threads=max(1, int(cpus))))


class LLM:
    def __init__(self, config: LLMConfig, cache_path: str | Path, *, threads: int = 1, backend: Any = None):
        self.config = config
        self.backend = backend if backend is not None else make_backend(config, threads)
        self.identity = self.backend.identity
        self.cache = RequestCache(cache_path, config.cache_dir)
        self.counters: Counter = Counter()
        self._pending: dict[str, asyncio.Future] = {}
        self._batch: list[tuple[str, dict, Completion]] = []  # responses waiting for this tick's commit
        self._committed: asyncio.Future | None = None

    @property
    def name(self) -> str:
        return self.identity["kind"]

    @property
    def model(self) -> str:
        return str(self.identity.get("model"))

    def request(self, *, messages: list[tuple[str, str]] | None = None, prompt: str | None = None,
                **overrides: Any) -> Request:
        """A request with the recipe's defaults for everything the caller does not set."""
        c = self.config
        params: dict[str, Any] = {"max_tokens": c.max_tokens, "temperature": c.temperature,
                                  "top_p": c.top_p, "logprobs": c.logprobs, **overrides}
        return Request(messages=tuple(messages) if messages is not None else None, prompt=prompt, **params)

    async def generate(self, req: Request) -> Completion:
        key = req.key(self.identity)
        hit = self.cache.get(key)
        if hit is not None:
            self.counters["llm_cache_hits"] += 1
            self.counters["llm_tokens_saved"] += hit.completion_tokens
            return hit
        if key in self._pending:  # the same request already in flight: share its answer
            self.counters["llm_cache_hits"] += 1
            return await asyncio.shield(self._pending[key])
        self.counters["llm_cache_misses"] += 1
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            completion = await self.backend.complete(req)
            # the stored copy of the request: its fields as they are (asdict's deep copy costs ~17 us)
            await self._store(key, {f.name: getattr(req, f.name) for f in fields(req)}, completion)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody shares it
            raise
        finally:  # only once stored: a twin arriving meanwhile waits on the future, not the server
            self._pending.pop(key, None)
        future.set_result(completion)
        self.counters["llm_requests"] += 1
        self.counters["llm_prompt_tokens"] += completion.prompt_tokens
        self.counters["llm_completion_tokens"] += completion.completion_tokens
        return completion

    async def _store(self, key: str, request: dict, completion: Completion) -> None:
        """Commit ``completion``, with every other response that arrived in the same event-loop
        tick, in one transaction; return once it is durable (a kill loses only what is in
        flight). One commit per response was a third of the client's CPU per request."""
        self._batch.append((key, request, completion))
        if self._committed is None:
            loop = asyncio.get_running_loop()
            self._committed = loop.create_future()
            loop.call_soon(self._commit)  # runs after the callbacks already due in this tick
        await asyncio.shield(self._committed)

    def _commit(self) -> None:
        batch, done = self._batch, self._committed
        self._batch, self._committed = [], None
        try:
            self.cache.put_many(batch)
        except BaseException as exc:
            done.set_exception(exc)
            return
        done.set_result(None)

    def drain_counters(self) -> Counter:
        """What this client counted since the last drain (the backend's retries included)."""
        out = self.counters
        out.update(getattr(self.backend, "counters", Counter()))
        self.counters = Counter()
        if hasattr(self.backend, "counters"):
            self.backend.counters = Counter()
        return out

    def close(self) -> None:
        try:
            close = getattr(self.backend, "close", None)
            if callable(close):
                close()
        finally:
            self.cache.close()
