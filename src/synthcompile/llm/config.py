"""A recipe's ``llm:`` block: which backend, which model, and how hard to drive it (docs/documents.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from synthcompile.config import StrictModel

# How a server is asked for output that follows a JSON schema: OpenAI's and vLLM's
# ``response_format: json_schema``; llama.cpp's server, which answers that with HTTP 500, takes
# ``response_format: {type: json_object, schema}``; older vLLM takes ``guided_json`` beside it.
StructuredMode = Literal["json_schema", "json_object", "guided_json", "none"]


class LLMConfig(StrictModel):
    backend: Literal["local", "openai", "vllm"] = Field(
        "local", description="local: the embedded SmolLM2-135M-Instruct in process; openai: any "
                             "OpenAI-compatible server; vllm: an in-process vLLM engine (GPU)")
    model: str | None = Field(None, description="model name (openai, vllm); local: a GGUF file "
                                                "path, default the embedded SmolLM2")
    revision: str | None = Field(None, description="model revision, part of the cache key (openai)")
    url: str | None = Field(None, description="openai: the server's base URL, e.g. http://127.0.0.1:8000/v1")
    api_key_env: str | None = Field(None, description="environment variable holding the API key")
    endpoint: Literal["chat", "completion"] = Field(
        "chat", description="chat messages (instruct models) or a plain prompt (base models)")
    structured: StructuredMode = Field(
        "none", description="how the server is asked for schema-following output; none: by prompt, "
                            "then parsed, validated, repaired once")
    prefill: bool = Field(True, description="start the model's reply with the format's first label (over "
                                            "HTTP: vLLM's continue_final_message; off for APIs that refuse it)")
    concurrency: PositiveInt = Field(8, description="requests in flight per worker (local: batch size)")
    timeout_s: PositiveFloat = Field(120, description="per request")
    max_retries: int = Field(4, ge=0, le=20, description="retries of a failed request (429, 5xx, timeouts)")
    max_tokens: PositiveInt = Field(256, description="default output budget per request")
    temperature: float = Field(0.0, ge=0, le=2, description="0: greedy, repeatable")
    top_p: float = Field(1.0, gt=0, le=1)
    logprobs: int | None = Field(None, ge=0, le=20, description="top-k logprobs per token, kept with the output")
    threads: PositiveInt | None = Field(None, description="local: torch threads (default: the stage's CPUs)")
    cache_dir: str | None = Field(None, description="a shared request cache beside the run's own")

    @model_validator(mode="after")
    def _needs(self) -> "LLMConfig":
        if self.backend == "openai" and not (self.url and self.model):
            raise ValueError("backend openai needs url and model")
        if self.backend == "vllm" and not self.model:
            raise ValueError("backend vllm needs model")
        return self
