"""The OpenAI-compatible backend against a real server that misbehaves (tests/llm/misbehaving_server.py).

The server runs in a process of its own on 127.0.0.1 and counts what it saw and served, so every
claim here is checked from the server's side: what reached it, how often, how many at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from pydantic import BaseModel

from synthcompile.journal import Journal, run_journaled
from synthcompile.llm.client import LLM
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.http import OpenAIBackend
from synthcompile import worker
from synthcompile.llm.request import BackendError, Completion, Request
from synthcompile.llm.structured import generate_structured
from tests.llm.misbehaving_server import KINDS, answer_of, body_key

ROOT = Path(__file__).resolve().parents[2]

DEFAULTS = {"fail_rate": 0.0, "seed": 0, "kinds": list(KINDS), "latency_s": 0.0, "hang_s": 3.0,
            "trickle_s": 0.3, "retry_after": "0.05", "retry_date_s": 1.0, "script": None, "storm_s": 0.0}


class QA(BaseModel):
    question: str
    answer: str


class MisbehavingServer:
    def __init__(self, fail_rate: float = 0.0, seed: int = 0):
        self.args = [str(fail_rate), str(seed)]

    def __enter__(self) -> "MisbehavingServer":
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.llm.misbehaving_server", *self.args],
                                     cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def configure(self, **changes) -> None:
        """Set the whole configuration (defaults for what is not named) and clear the stats."""
        data = json.dumps({**DEFAULTS, **changes}).encode()
        req = urllib.request.Request(f"{self.url}/__config", data=data, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/__stats", timeout=10) as r:
            return json.loads(r.read())


@pytest.fixture(scope="module")
def server():
    with MisbehavingServer(0.0, 0) as s:
        yield s


def config(server: MisbehavingServer, **kw) -> LLMConfig:
    return LLMConfig(**{"backend": "openai", "url": server.url + "/v1", "model": "mock", "concurrency": 32,
                        "timeout_s": 2, "max_retries": 4, "max_tokens": 64, **kw})


def make_llm(server: MisbehavingServer, path: Path, **kw) -> LLM:
    return LLM(config(server, **kw), path)


def expected(text: str) -> str:
    return f"Question: {text}\nAnswer: {answer_of(text)}"


def server_key(llm: LLM, req: Request) -> str:
    return body_key(llm.backend.payload(req)[1])


def drive(journal_path: Path, items: list, fn, concurrency: int = 32) -> dict:
    journal = Journal(journal_path, "test")
    try:
        return run_journaled(journal, items, fn, concurrency)
    finally:
        journal.close()


def generate_all(llm: LLM, journal_path: Path, items: list, concurrency: int = 32) -> dict[str, Completion]:
    """``llm.generate`` over ``(key, request)`` items through a journal, as a stage runs them."""
    async def fn(req: Request) -> dict:
        c = await llm.generate(req)
        return {**c.to_json(), "cached": c.cached}

    out = drive(journal_path, items, fn, concurrency)
    return {k: Completion.from_json(v, cached=v["cached"]) for k, v in out.items()}


def run(coro):
    return worker.loop().run_until_complete(coro)


def chat_req(llm: LLM, i: int, **kw) -> Request:
    return llm.request(messages=[("system", "Be brief."), ("user", f"question number {i}")], **kw)


# -- (a) what is sent and what comes back ----------------------------------------------------

def test_chat_and_completion_text_and_usage(server, tmp_path):
    server.configure()
    llm = make_llm(server, tmp_path / "c.sqlite")
    try:
        chat = run(llm.generate(chat_req(llm, 1)))
        plain = run(llm.generate(llm.request(prompt="Once upon a time")))
        assert chat.texts == [expected("question number 1")] and chat.finish_reasons == ["stop"]
        assert chat.prompt_tokens == 5 and chat.completion_tokens == len(chat.text.split(" "))
        assert plain.texts == [expected("Once upon a time")]
        assert plain.prompt_tokens == 4 and plain.completion_tokens == 6
        counted = llm.drain_counters()
        assert counted["llm_requests"] == 2 and counted["llm_completion_tokens"] == chat.completion_tokens + 6
        paths = Counter(server.stats()["completed"])
        assert sorted(paths) == sorted([server_key(llm, chat_req(llm, 1)),
                                        server_key(llm, llm.request(prompt="Once upon a time"))])
    finally:
        llm.close()


def test_sampling_parameters_reach_the_server(server, tmp_path):
    server.configure()
    llm = make_llm(server, tmp_path / "c.sqlite")
    try:
        chat = chat_req(llm, 2, n=2, seed=11, logprobs=3, stop=("\nAnswer",), temperature=0.5, max_tokens=40)
        plain = llm.request(prompt="tell me", n=3, seed=5, logprobs=2, max_tokens=2)
        out = generate_all(llm, tmp_path / "j", [("c", chat), ("p", plain)], 2)
        bodies = server.stats()["bodies"]
        got = bodies[server_key(llm, chat)]
        assert (got["n"], got["seed"], got["logprobs"], got["top_logprobs"], got["stop"], got["temperature"],
                got["max_tokens"]) == (2, 11, True, 3, ["\nAnswer"], 0.5, 40)
        got = bodies[server_key(llm, plain)]
        assert (got["n"], got["seed"], got["logprobs"], got["max_tokens"], got["prompt"]) == (3, 5, 2, 2, "tell me")
        # the server honoured them: two choices cut at the stop string, logprobs per choice
        assert out["c"].texts == ["Question: question number 2"] * 2
        assert len(out["c"].logprobs) == 2 and len(out["c"].logprobs[0]["content"]) == 4
        assert len(out["c"].logprobs[0]["content"][0]["top_logprobs"]) == 3
        # max_tokens 2: two words, finish_reason length, three choices
        assert out["p"].texts == ["Question: tell"] * 3 and out["p"].finish_reasons == ["length"] * 3
        assert out["p"].completion_tokens == 6 and len(out["p"].logprobs) == 3
    finally:
        llm.close()


@pytest.mark.parametrize("mode", ["json_schema", "json_object", "guided_json", "none"])
def test_structured_modes_send_the_schema_in_the_servers_shape(server, tmp_path, mode):
    server.configure()
    llm = make_llm(server, tmp_path / "c.sqlite", structured=mode)
    try:
        req = chat_req(llm, 3)
        out = run(generate_structured(llm, req, QA))
        assert out.ok and out.value == {"question": "question number 3", "answer": answer_of("question number 3")}
        [body] = server.stats()["bodies"].values()
        schema = QA.model_json_schema()
        if mode == "json_schema":
            assert body["response_format"] == {"type": "json_schema", "json_schema": {
                "name": "QA", "schema": schema, "strict": True}} and "guided_json" not in body
        elif mode == "json_object":
            assert body["response_format"] == {"type": "json_object", "schema": schema}
        elif mode == "guided_json":
            assert body["guided_json"] == schema and "response_format" not in body
        else:  # by prompt: labelled fields, parsed
            assert "response_format" not in body and "guided_json" not in body
            assert out.raw == expected("question number 3")
    finally:
        llm.close()


# -- (b) 300 requests against a server that fails 30 % of the time ------------------------------

GAVE_UP = ("HTTP 500", "HTTP 429", "HTTP 503", "timed out", "malformed response")


def test_under_failures_every_request_is_right_or_fails_with_its_cause(server, tmp_path):
    server.configure(fail_rate=0.3, seed=7, hang_s=1.5, retry_date_s=1.0)
    llm = make_llm(server, tmp_path / "c.sqlite", structured="json_schema", timeout_s=1.0, max_retries=4)
    items = []
    for i in range(300):
        kind = ("chat", "plain", "structured")[i % 3]
        req = llm.request(prompt=f"prompt {i}") if kind == "plain" else chat_req(llm, i)
        items.append((f"{kind}-{i}", (kind, req)))

    async def fn(item):
        kind, req = item
        if kind == "structured":
            return ("structured", (await generate_structured(llm, req, QA, retry_seed=1)).to_json())
        try:
            return ("text", (await llm.generate(req)).text)
        except BackendError as exc:
            return ("error", str(exc))

    try:
        results = drive(tmp_path / "journal", items, fn)
        counted = llm.drain_counters()
    finally:
        llm.close()
    stats = server.stats()
    failures = Counter(stats["failures"])
    outcomes = Counter()
    for key, (kind, req) in items:
        got_kind, got = results[key]
        src = req.prompt if req.prompt is not None else req.messages[1][1]
        if got_kind == "text":
            assert got == expected(src), key  # nothing malformed or wrong comes back as a success
            outcomes["text"] += 1
        elif got_kind == "error":
            assert got.startswith("gave up after 5 attempts: ") and got.split(": ", 1)[1].startswith(GAVE_UP), got
            outcomes["error"] += 1
        elif got["ok"]:
            assert got["value"] == {"question": src, "answer": answer_of(src)}, key
            outcomes["structured_ok"] += 1
            if got["attempts"] > 1:
                outcomes["structured_repaired"] += 1
                assert any('"query"' in h for h in got["history"]) or got["history"] == []
        else:
            reason = got["reason"]
            assert reason.startswith("backend: gave up") or "question: field required" in reason, reason
            outcomes["structured_failed"] += 1
    # every misbehaviour happened, and the client counted each retry by its cause, exactly
    assert all(failures[k] > 0 for k in KINDS), failures
    assert counted["llm_retry_cause:HTTP 500"] == failures["http500"]
    assert counted["llm_retry_cause:HTTP 429"] == failures["http429"]
    assert counted["llm_retry_cause:HTTP 503"] == failures["http503_date"]
    # (a loaded machine may time out a slow answer too: a few more timeouts than hangs)
    assert failures["hang"] <= counted["llm_retry_cause:timed out"] <= failures["hang"] + 3
    assert counted["llm_retry_cause:malformed response"] == failures["truncated"] + failures["html"]
    causes = sum(v for k, v in counted.items() if k.startswith("llm_retry_cause:"))
    assert counted["llm_retries"] == causes - outcomes["error"] - _gave_up(results)  # the last failure: no retry
    # a schema violation is no transport failure: it was repaired (a new request) or quarantined
    assert outcomes["structured_repaired"] > 0
    assert outcomes["text"] + outcomes["error"] == 200 and outcomes["text"] >= 190
    assert outcomes["structured_ok"] >= 95


def _gave_up(results: dict) -> int:
    """Structured requests whose last attempt failed for good (the last failure is no retry)."""
    return sum(1 for kind, got in results.values() if kind == "structured" and not got["ok"]
               and got["reason"].startswith("backend: gave up"))


# -- (c) overload: the window shrinks and recovers; Retry-After is honoured -----------------------

def test_429_shrinks_the_admission_window_then_it_recovers(server, tmp_path):
    llm = make_llm(server, tmp_path / "c.sqlite", concurrency=32, max_retries=10)
    n = iter(range(10 ** 6))

    def batch(count: int) -> None:
        items = [(f"r{i}", i) for i in (next(n) for _ in range(count))]
        out = generate_all(llm, tmp_path / f"j{items[0][0]}", [(k, chat_req(llm, i)) for k, i in items])
        assert all(c.text == expected(f"question number {i}") for (_, i), c in zip(items, out.values()))

    try:
        server.configure(latency_s=0.02)
        batch(96)
        before = server.stats()["peak"]
        server.configure(latency_s=0.02, storm_s=0.3)  # every request answered 429 for 0.3 s
        batch(64)
        storm = server.stats()["failures"]["http429"]
        after_storm = llm.backend.admission.window
        server.configure(latency_s=0.02)
        batch(64)
        during_recovery = server.stats()["peak"]
        server.configure(latency_s=0.0)
        batch(1200)  # additive increase: about window**2 / 2 successes back to the ceiling
        server.configure(latency_s=0.02)
        batch(96)
        recovered = server.stats()["peak"]
        counted = llm.drain_counters()
    finally:
        llm.close()
    assert storm >= 32 and counted["llm_retry_cause:HTTP 429"] == storm
    assert before >= 24, before
    assert after_storm < 16, after_storm
    assert during_recovery <= before / 2, (before, during_recovery)
    assert recovered >= 24 and llm.backend.admission.window == 32, (recovered, llm.backend.admission.window)


def test_a_burst_of_429s_halves_the_window_once(server, tmp_path):
    # 32 requests in flight together, all refused: one overload (TCP halves once per round trip),
    # not 32 halvings down to a window of 1
    server.configure(script=["http429", "ok"], latency_s=0.05, retry_after="0.05")
    llm = make_llm(server, tmp_path / "c.sqlite", concurrency=32)
    try:
        generate_all(llm, tmp_path / "j", [(f"r{i}", chat_req(llm, i)) for i in range(32)])
        counted = llm.drain_counters()
    finally:
        llm.close()
    assert counted["llm_retry_cause:HTTP 429"] == 32 == server.stats()["failures"]["http429"]
    assert 16 <= llm.backend.admission.window < 20, llm.backend.admission.window


@pytest.mark.parametrize("kind,retry,least", [("http429", "0.4", 0.4), ("http503_date", None, 0.95)])
def test_retry_after_is_honoured(server, tmp_path, kind, retry, least):
    # an HTTP date has whole seconds: now + 2 s leaves more than one second to wait
    server.configure(script=[kind, "ok"], retry_after=retry or "0", retry_date_s=2.0)
    llm = make_llm(server, tmp_path / "c.sqlite")
    try:
        req = chat_req(llm, 4)
        out = run(llm.generate(req))
    finally:
        llm.close()
    assert out.text == expected("question number 4")
    [first, second] = server.stats()["arrivals"][server_key(llm, req)]
    assert second - first >= least, second - first  # the first backoff alone is under 0.25 s


# -- (d) refusals are not retried; (e) timeouts are, then give up ---------------------------------

@pytest.mark.parametrize("status", [400, 404, 422])
def test_refusals_are_not_retried(server, tmp_path, status):
    server.configure(script=[f"http{status}"])
    llm = make_llm(server, tmp_path / "c.sqlite")
    req = chat_req(llm, 5)
    try:
        with pytest.raises(BackendError) as err:
            run(llm.generate(req))
        counted = llm.drain_counters()
    finally:
        llm.close()
    assert err.value.status == status and not err.value.transient and f"HTTP {status}" in str(err.value)
    assert server.stats()["attempts"] == {server_key(llm, req): 1}
    assert counted[f"llm_refused:{status}"] == 1 and counted["llm_retries"] == 0


def test_timeouts_are_retried_then_give_up_with_the_reason(server, tmp_path):
    server.configure(script=["hang"], hang_s=1.0)
    llm = make_llm(server, tmp_path / "c.sqlite", timeout_s=0.4, max_retries=2)
    req = chat_req(llm, 6)
    try:
        with pytest.raises(BackendError) as err:
            run(llm.generate(req))
        counted = llm.drain_counters()
    finally:
        llm.close()
    assert str(err.value) == "gave up after 3 attempts: timed out after 0.4 s" and err.value.transient
    assert server.stats()["attempts"] == {server_key(llm, req): 3}
    assert counted["llm_retries"] == 2 and counted["llm_retry_cause:timed out"] == 3


# -- (f) the request cache -----------------------------------------------------------------------

def test_cache_second_pass_sends_nothing_and_one_changed_parameter_resends_its_subset(server, tmp_path):
    server.configure()
    reqs = lambda llm, **kw: [(f"r{i}", chat_req(llm, i, **(kw if i % 10 == 0 else {}))) for i in range(100)]  # noqa: E731
    llm = make_llm(server, tmp_path / "run1.sqlite", cache_dir=str(tmp_path / "shared"))
    try:
        first = generate_all(llm, tmp_path / "j1", reqs(llm))
        c1 = llm.drain_counters()
    finally:
        llm.close()
    assert c1["llm_requests"] == 100 and sum(server.stats()["completed"].values()) == 100
    tokens = sum(c.completion_tokens for c in first.values())

    server.configure()
    llm = make_llm(server, tmp_path / "run1.sqlite")  # a new client (a resumed run) on the same cache
    try:
        second = generate_all(llm, tmp_path / "j2", reqs(llm))
        c2 = llm.drain_counters()
        assert server.stats()["attempts"] == {}  # zero requests reached the server
        assert c2["llm_cache_hits"] == 100 and c2["llm_tokens_saved"] == tokens and c2["llm_requests"] == 0
        assert [c.text for c in second.values()] == [c.text for c in first.values()]
        assert all(c.cached for c in second.values())

        for change in ({"temperature": 0.3}, {"max_tokens": 50}):
            server.configure()
            changed = reqs(llm, **change)
            generate_all(llm, tmp_path / f"j3{sorted(change)[0]}", changed)
            sent = server.stats()["attempts"]
            assert sorted(sent) == sorted(server_key(llm, r) for k, r in changed if int(k[1:]) % 10 == 0)
            assert set(sent.values()) == {1}
    finally:
        llm.close()

    server.configure()  # a new run, its own cache empty, pointed at the shared one
    llm = make_llm(server, tmp_path / "run2.sqlite", cache_dir=str(tmp_path / "shared"))
    try:
        third = generate_all(llm, tmp_path / "j4", reqs(llm))
        c3 = llm.drain_counters()
        assert server.stats()["attempts"] == {} and c3["llm_cache_hits"] == 100
        assert [c.text for c in third.values()] == [c.text for c in first.values()]
        assert len(llm.cache) == 100  # copied into the run's own cache
    finally:
        llm.close()


# -- (g) a killed journaled batch resumes repeating none of the cached requests --------------------

KILL_N, KILL_CONCURRENCY = 400, 16


def kill_config(url: str) -> LLMConfig:
    return LLMConfig(backend="openai", url=url + "/v1", model="mock", concurrency=KILL_CONCURRENCY,
                     timeout_s=5, max_tokens=64)


def kill_request(i: int) -> Request:
    return Request(messages=(("user", f"kill item {i}"),), max_tokens=64)


def child_batch(url: str, workdir: str) -> None:
    """The child process of the kill test: a journaled batch through LLM.generate."""
    llm = LLM(kill_config(url), Path(workdir) / "cache.sqlite")

    async def fn(i: int) -> str:
        return (await llm.generate(kill_request(i))).text

    drive(Path(workdir) / "journal.jsonl", [(f"item-{i}", i) for i in range(KILL_N)], fn, KILL_CONCURRENCY)
    llm.close()


def test_killed_batch_resumes_without_repeating_cached_requests(server, tmp_path):
    import sqlite3

    server.configure(latency_s=0.02)
    cmd = [sys.executable, "-c", f"from tests.llm.test_http import child_batch; child_batch({server.url!r}, "
                                 f"{str(tmp_path)!r})"]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    deadline = time.monotonic() + 30
    while sum(server.stats()["completed"].values()) < KILL_N // 4:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    completed_at_kill = sum(server.stats()["completed"].values())
    assert completed_at_kill < KILL_N  # killed part-way

    backend = OpenAIBackend(kill_config(server.url))
    by_cache_key = {kill_request(i).key(backend.identity): body_key(backend.payload(kill_request(i))[1])
                    for i in range(KILL_N)}
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        cached = {by_cache_key[k] for (k,) in db.execute("SELECT key FROM requests")}
    assert KILL_N // 4 - KILL_CONCURRENCY <= len(cached) <= completed_at_kill

    assert subprocess.run(cmd, cwd=ROOT, timeout=60).returncode == 0
    completed = Counter(server.stats()["completed"])
    assert set(completed) == set(by_cache_key.values())  # every request done at least once
    repeated = {k for k, c in completed.items() if c > 1}
    assert not repeated & cached  # nothing that had been cached was requested again
    assert len(repeated) <= KILL_CONCURRENCY and max(completed.values()) <= 2
    done = Journal(tmp_path / "journal.jsonl", "test").done
    assert done == {f"item-{i}": expected(f"kill item {i}") for i in range(KILL_N)}
