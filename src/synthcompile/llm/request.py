"""What a stage asks a language model for, and what it gets back.

A :class:`Request` is the whole of what decides the output: the messages (chat) or the prompt
(completion), every sampling parameter including the seed, and the output schema. Its
:meth:`Request.key` with the backend's identity (kind, model, revision or file hash) is the
request cache's key, so changing one parameter re-requests only the requests it changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from typing import Any

from synthcompile.errors import UserError


@dataclass(frozen=True)
class Request:
    # chat: (role, content) pairs; a third item, JSON, holds a message's other fields for OpenAI
    # tool calling (an assistant's tool_calls, a tool result's tool_call_id), sent as they are
    messages: tuple[tuple[str, ...], ...] | None = None
    prompt: str | None = None                            # completion (base models)
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    n: int = 1
    stop: tuple[str, ...] = ()
    logprobs: int | None = None          # top-k logprobs per token, where the backend has them
    schema: dict[str, Any] | None = None  # JSON schema of the output (constrained decoding)
    schema_name: str = "output"
    # chat: the start of the assistant's reply, written for it ("Question:"); the output begins
    # with it. A small model follows a format it has started far better than one it is told.
    # The in-process engines honour it; over HTTP it rides as vLLM's continue_final_message.
    prefill: str = ""
    tools: str | None = None  # OpenAI tool calling: the tools' JSON list (a string: hashable, canonical)

    def __post_init__(self) -> None:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("a request has messages (chat) or a prompt (completion), not both")
        if self.n < 1 or self.max_tokens < 1:
            raise ValueError("n and max_tokens must be >= 1")

    @property
    def chat(self) -> bool:
        return self.messages is not None

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def canonical(self) -> dict[str, Any]:
        """The fields as plain data; numbers as floats where the field is one (0 and 0.0 are the
        same temperature, and must be the same cache key)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["temperature"], out["top_p"] = float(self.temperature), float(self.top_p)
        return out

    def key(self, identity: dict[str, Any]) -> str:
        blob = json.dumps({"backend": identity, "request": self.canonical()}, sort_keys=True,
                          separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Completion:
    texts: list[str]                      # one per choice (``n``)
    finish_reasons: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    logprobs: list[Any] | None = None     # per choice, as the backend gave them
    cached: bool = False

    @property
    def text(self) -> str:
        return self.texts[0]

    def to_json(self) -> dict[str, Any]:
        return {"texts": self.texts, "finish_reasons": self.finish_reasons,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "logprobs": self.logprobs}

    @classmethod
    def from_json(cls, data: dict[str, Any], *, cached: bool = False) -> "Completion":
        return cls(texts=list(data["texts"]), finish_reasons=list(data.get("finish_reasons") or []),
                   prompt_tokens=int(data.get("prompt_tokens") or 0),
                   completion_tokens=int(data.get("completion_tokens") or 0),
                   logprobs=data.get("logprobs"), cached=cached)


class BackendUnreachable(UserError):
    """No attempt of a request reached the server: the build stops (and resumes later) rather
    than quarantine every item of every shard."""


class BackendError(Exception):
    """A request that failed for good: retries spent, or refused (400, 401, 404, 422)."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient
