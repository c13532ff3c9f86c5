"""Any OpenAI-compatible server: vLLM, SGLang, llama.cpp's server, TGI, Ollama, hosted APIs.

One client per worker process (a per-worker resource) with one aiohttp connection pool, bound to
the worker's event loop. Requests in flight are bounded by adaptive admission
(:mod:`synthcompile.llm.admission`); a failed request is retried with exponential backoff and
full jitter: 429 and 503 (honouring Retry-After), other 5xx, timeouts, dropped connections and
bodies that are not the JSON a completion should be. 400, 401, 403, 404 and 422 are not retried:
the request itself is wrong, and :class:`BackendError` says why.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import random
import time
from collections import Counter
from typing import Any

import aiohttp

from synthcompile.llm.admission import Admission
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.request import BackendError, BackendUnreachable, Completion, Request

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 20.0


class OpenAIBackend:
    def __init__(self, config: LLMConfig):
        self.config = config
        self.base = (config.url or "").rstrip("/")
        self.admission = Admission(config.concurrency)
        self.counters: Counter = Counter()  # retries and failures by cause, for the stage's stats
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def identity(self) -> dict[str, Any]:
        # The server's address is left out: the same model behind another URL answers the same.
        return {"kind": "openai", "model": self.config.model, "revision": self.config.revision,
                "endpoint": self.config.endpoint, "structured": self.config.structured}

    @property
    def max_concurrency(self) -> int:
        return self.config.concurrency

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is not None and self._loop is not asyncio.get_running_loop():
            self._session = None  # opened on another loop: its connections belong to that loop
        if self._session is None or self._session.closed:
            headers = {"Content-Type": "application/json"}
            key = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
            if key:
                headers["Authorization"] = f"Bearer {key}"
            connector = aiohttp.TCPConnector(limit=self.config.concurrency * 2, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                headers=headers, connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
            self._loop = asyncio.get_running_loop()
        return self._session

    def payload(self, req: Request) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"model": self.config.model, "max_tokens": req.max_tokens,
                                "temperature": req.temperature, "top_p": req.top_p, "n": req.n}
        if req.seed is not None:
            body["seed"] = req.seed
        if req.stop:
            body["stop"] = list(req.stop)
        if req.chat:
            body["messages"] = [{"role": m[0], "content": m[1], **(json.loads(m[2]) if len(m) > 2 else {})}
                                for m in req.messages or ()]
            if req.tools is not None:
                body["tools"] = json.loads(req.tools)
            if req.prefill and self.config.prefill:  # vLLM's and SGLang's way to continue a started reply
                body["messages"].append({"role": "assistant", "content": req.prefill})
                body["continue_final_message"], body["add_generation_prompt"] = True, False
            if req.logprobs is not None:
                body["logprobs"], body["top_logprobs"] = True, req.logprobs
            path = "/chat/completions"
        else:
            body["prompt"] = req.prompt
            if req.logprobs is not None:
                body["logprobs"] = req.logprobs
            path = "/completions"
        if req.schema is not None:
            mode = self.config.structured
            if mode == "json_schema":
                body["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": req.schema_name, "schema": req.schema, "strict": True}}
            elif mode == "json_object":
                body["response_format"] = {"type": "json_object", "schema": req.schema}
            elif mode == "guided_json":
                body["guided_json"] = req.schema
        return path, body

    async def complete(self, req: Request) -> Completion:
        path, body = self.payload(req)
        session = self._session_for_loop()
        last = "no attempt"
        unreachable = 0  # attempts that found no server at all
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                self.counters["llm_retries"] += 1
            retry_after = None
            async with self.admission:
                ticket = self.admission.admitted
                try:
                    async with session.post(self.base + path, json=body) as resp:
                        raw = await resp.read()
                        status = resp.status
                        retry_after = _retry_after(resp.headers.get("Retry-After"))
                except asyncio.TimeoutError:
                    last, status, raw = f"timed out after {self.config.timeout_s:g} s", None, b""
                    self.admission.overloaded(None)  # a server queueing past the timeout is overloaded
                except aiohttp.ClientConnectorError as exc:
                    last, status, raw = f"connection: {type(exc).__name__}: {exc}", None, b""
                    unreachable += 1
                except aiohttp.ClientError as exc:
                    last, status, raw = f"connection: {type(exc).__name__}: {exc}", None, b""
            if status == 200:
                try:
                    completion = parse_completion(json.loads(raw), chat=req.chat,
                                                  prefill=req.prefill if self.config.prefill else "")
                    self.admission.success()
                    return completion
                except (ValueError, KeyError, TypeError, IndexError) as exc:
                    last = f"malformed response: {type(exc).__name__}: {str(exc)[:200]}"
            elif status is not None:
                last = f"HTTP {status}: {raw[:300].decode('utf-8', 'replace')}"
                if status in (429, 503):
                    self.admission.overloaded(retry_after, ticket)
                if status not in RETRY_STATUSES:
                    self.counters[f"llm_refused:{status}"] += 1
                    raise BackendError(last, status=status)
            self.counters[f"llm_retry_cause:{_cause(last)}"] += 1
            if attempt < self.config.max_retries:
                backoff = random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt))
                await asyncio.sleep(max(backoff, retry_after or 0))
        if unreachable == self.config.max_retries + 1:
            raise BackendUnreachable(f"llm.url: cannot reach the server at {self.base} "
                                     f"({self.config.max_retries + 1} attempts): {last}")
        raise BackendError(f"gave up after {self.config.max_retries + 1} attempts: {last}", transient=True)

    def close(self) -> None:
        if self._session is not None and not self._session.closed and self._loop is not None \
                and not self._loop.is_closed():
            self._loop.run_until_complete(self._session.close())
        self._session = None


def _hermes(calls: list[dict[str, Any]]) -> str:
    """OpenAI tool calls as Hermes-style text (``<tool_call>{"name", "arguments"}</tool_call>``): a
    completion stays text, and one parser reads the calls of every backend and format."""
    out = []
    for call in calls:
        fn = call.get("function") or {}
        args = fn.get("arguments")
        try:
            args = json.loads(args) if isinstance(args, str) else args
        except ValueError:
            pass  # a malformed argument string stays a string: the call fails its schema, by name
        out.append("<tool_call>" + json.dumps({"name": fn.get("name"), "arguments": args}) + "</tool_call>")
    return "".join(out)


def parse_completion(data: dict[str, Any], *, chat: bool, prefill: str = "") -> Completion:
    """An OpenAI completion body as a :class:`Completion`; a body without text raises."""
    choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
    if not choices:
        raise ValueError("no choices")
    texts = []
    for c in choices:
        text = c["message"]["content"] if chat else c["text"]
        if chat and c["message"].get("tool_calls"):
            text = (text or "") + _hermes(c["message"]["tool_calls"])
        if not isinstance(text, str):
            raise TypeError(f"choice text is {type(text).__name__}")
        texts.append(prefill + text if chat else text)
    usage = data.get("usage") or {}
    logprobs = [c.get("logprobs") for c in choices]
    return Completion(texts=texts, finish_reasons=[c.get("finish_reason") or "" for c in choices],
                      prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0),
                      logprobs=logprobs if any(x is not None for x in logprobs) else None)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _cause(message: str) -> str:
    return message.split(":")[0].split(" after")[0].strip()
