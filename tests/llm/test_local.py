"""The embedded model, for real: SmolLM2-135M-Instruct in process and behind its HTTP server.

One model load per module (~20 s); the server test loads a second copy in its own process.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from pydantic import BaseModel, Field

from synthcompile.llm.client import LLM
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.local import LocalBackend
from synthcompile.llm.request import Request
from synthcompile.llm.structured import format_hint, generate_structured
from synthcompile.worker import loop

pytest.importorskip("transformers")
PROMPTS = ["What is the capital of France?", "Name three colours.", "Write one sentence about bees.",
           "What is 2 + 2?", "Who wrote Hamlet?", "Describe rain in one sentence."]


@pytest.fixture(scope="module")
def backend():
    b = LocalBackend(LLMConfig(concurrency=8), threads=2)
    b.load()
    yield b
    b.close()


def chat(p: str, **kw) -> Request:
    return Request(messages=(("user", p),), max_tokens=kw.pop("max_tokens", 24), **kw)


def test_greedy_repeats_and_a_batch_equals_each_request_alone(backend):
    alone = [backend.complete_sync([chat(p)])[0].text for p in PROMPTS]
    again = [backend.complete_sync([chat(p)])[0].text for p in PROMPTS]
    batch = [c.text for c in backend.complete_sync([chat(p) for p in PROMPTS])]
    assert alone == again
    assert batch == alone, [(a, b) for a, b in zip(alone, batch) if a != b]
    assert "Paris" in alone[0]


def test_budget_stop_prefill_usage_and_seeded_sampling(backend):
    out = backend.complete_sync([chat(PROMPTS[2], max_tokens=5)])[0]
    assert out.completion_tokens == 5 and out.finish_reasons == ["length"] and out.prompt_tokens > 5
    pre = backend.complete_sync([chat("Name three colours.", prefill="1. Red\n2.")])[0]
    assert pre.text.startswith("1. Red\n2.")
    full = backend.complete_sync([chat(PROMPTS[0])])[0].text
    stop = full[6:9]  # a string the greedy output holds
    stopped = backend.complete_sync([chat(PROMPTS[0], stop=(stop,))])[0]
    assert stopped.text == full[:full.find(stop)] and stopped.finish_reasons == ["stop"]
    s1 = backend.complete_sync([chat(PROMPTS[2], temperature=1.0, seed=7, n=2)])[0]
    s2 = backend.complete_sync([chat(PROMPTS[2], temperature=1.0, seed=7, n=2)])[0]
    assert s1.texts == s2.texts and len(s1.texts) == 2
    plain = backend.complete_sync([Request(prompt="The capital of France is", max_tokens=4)])[0]
    assert plain.completion_tokens <= 4 and plain.text


class Fact(BaseModel):
    question: str = Field(min_length=8)
    answer: str = Field(min_length=1)


def test_structured_output_on_real_imperfect_output(backend, tmp_path):
    """Every outcome is a value that validates, or a failure with the raw text and a reason:
    the 135M model's own mistakes, parsed and counted honestly."""
    llm = LLM(LLMConfig(), tmp_path / "cache.sqlite", backend=backend)
    passage = "The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall."
    reqs = [llm.request(messages=[("user", f"{passage}\n\nWrite question {i + 1} about this and its answer.\n"
                                           f"{format_hint(Fact, 'fields')}")], max_tokens=48,
                        prefill="Question:" if i % 2 else "") for i in range(6)]

    async def run():
        return await asyncio.gather(*(generate_structured(llm, r, Fact, retry_seed=i) for i, r in enumerate(reqs)))

    outcomes = loop().run_until_complete(run())
    for o in outcomes:
        if o.ok:
            assert Fact.model_validate(o.value) and 1 <= o.attempts <= 3
        else:
            assert o.reason and o.raw and o.value is None and o.attempts == 3
    assert any(o.ok for o in outcomes)
    counts = llm.drain_counters()
    assert counts["llm_requests"] == sum(o.attempts for o in outcomes) - counts["llm_cache_hits"]
    again = loop().run_until_complete(run())  # all from the cache: the same outcomes, no request
    assert [o.to_json() for o in again] == [o.to_json() for o in outcomes]
    assert llm.drain_counters()["llm_requests"] == 0
    llm.cache.close()


def test_in_process_and_over_http_say_the_same(backend, tmp_path):
    """The same prompt, greedy, the same model: in process and through the OpenAI-compatible
    server (its own process, its own copy of the model), the same text."""
    from synthcompile.llm.http import OpenAIBackend

    proc = subprocess.Popen([sys.executable, "-m", "synthcompile.llm.serve", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        http = OpenAIBackend(LLMConfig(backend="openai", url=line.split()[-1], model="SmolLM2", timeout_s=300))
        reqs = [chat(p) for p in PROMPTS[:3]] + [chat("Name three colours.", prefill="1.")]

        async def over_http():
            return await asyncio.gather(*(http.complete(r) for r in reqs))

        remote = loop().run_until_complete(over_http())
        local = backend.complete_sync(reqs)
        assert [c.text for c in remote] == [c.text for c in local]
        assert [c.completion_tokens for c in remote] == [c.completion_tokens for c in local]
        http.close()
    finally:
        proc.kill()
        proc.wait()
