"""The request cache: stable keys, WAL, concurrent writers, damaged files."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthcompile.llm.cache import CacheCorrupt, RequestCache
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.http import OpenAIBackend
from synthcompile.llm.request import Completion, Request

ROOT = Path(__file__).resolve().parents[2]

BASE = dict(messages=(("system", "Be brief."), ("user", "What is 2+2?")), max_tokens=10, temperature=0.0,
            top_p=1.0, seed=1, n=1, stop=("x",), logprobs=None, schema={"type": "object"}, schema_name="o",
            prefill="")
CHANGES = {"messages": (("system", "Be brief."), ("user", "What is 2+3?")), "max_tokens": 11,
           "temperature": 0.5, "top_p": 0.9, "seed": 2, "n": 2, "stop": ("y",), "logprobs": 1,
           "schema": {"type": "object", "required": ["a"]}, "schema_name": "p", "prefill": "Answer:",
           "tools": "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]"}
IDENTITY = OpenAIBackend(LLMConfig(backend="openai", url="http://127.0.0.1:1/v1", model="m")).identity


def test_same_request_same_key_across_processes():
    key = Request(**BASE).key(IDENTITY)
    code = ("from tests.llm.test_cache import BASE, IDENTITY; from synthcompile.llm.request import Request; "
            "print(Request(**BASE).key(IDENTITY))")
    for hashseed in ("1", "2"):  # dict and set order may differ between processes: the key may not
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": hashseed}).stdout.strip()
        assert out == key
    assert Request(**{**BASE, "messages": [list(m) for m in BASE["messages"]]}).key(IDENTITY) == key
    assert Request(**{**BASE, "schema": {"type": "object"}}).key(IDENTITY) == key  # equal, not identical


def test_every_field_changes_the_key():
    names = {f.name for f in dataclasses.fields(Request)}
    assert names == set(CHANGES) | {"prompt"}, "a new Request field needs a case here"
    base = Request(**BASE).key(IDENTITY)
    keys = {name: Request(**{**BASE, name: value}).key(IDENTITY) for name, value in CHANGES.items()}
    keys["prompt"] = Request(**{**BASE, "messages": None, "prompt": "What is 2+2?"}).key(IDENTITY)
    assert base not in keys.values() and len(set(keys.values())) == len(keys)
    assert Request(**{**BASE, "seed": None}).key(IDENTITY) != Request(**{**BASE, "seed": 0}).key(IDENTITY)


def test_backend_identity_changes_the_key_but_its_address_does_not():
    req = Request(**BASE)
    base = dict(backend="openai", url="http://127.0.0.1:1/v1", model="m")
    key = req.key(OpenAIBackend(LLMConfig(**base)).identity)
    for change in ({"model": "other"}, {"revision": "abc123"}, {"endpoint": "completion"},
                   {"structured": "json_schema"}):
        assert req.key(OpenAIBackend(LLMConfig(**{**base, **change})).identity) != key, change
    assert req.key({**IDENTITY, "kind": "vllm"}) != key
    # the same model behind another address answers the same: the cache serves it
    assert req.key(OpenAIBackend(LLMConfig(**{**base, "url": "http://10.0.0.2:8000/v1"})).identity) == key


def test_wal_mode_and_a_reader_alongside_a_writer(tmp_path):
    cache = RequestCache(tmp_path / "run.sqlite", tmp_path / "shared")
    try:
        for path in (tmp_path / "run.sqlite", tmp_path / "shared" / "requests.sqlite"):
            with sqlite3.connect(path) as db:
                assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cache.put("k", {"r": 1}, Completion(texts=["t"], completion_tokens=3))
        other = RequestCache(tmp_path / "run.sqlite")  # another worker, the file open in both
        assert other.get("k").texts == ["t"] and other.get("k").cached
        other.close()
    finally:
        cache.close()


def writer(path: str, who: str, n: int, start_at: float) -> None:
    """One of the concurrent writers: ``n`` keys of its own and ``n`` keys both write."""
    cache = RequestCache(path)
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(n):
        cache.put(f"{who}-{i}", {"i": i}, Completion(texts=[f"{who} {i}"], completion_tokens=i))
        cache.put(f"both-{i}", {"i": i}, Completion(texts=[f"both {i}"], completion_tokens=i))
    cache.close()


def test_switching_to_wal_retries_a_lock_reported_at_once(tmp_path):
    """Seen in CI: a worker opening the run's cache got "database is locked" from
    ``PRAGMA journal_mode=WAL`` while another process had the file (SQLite reports some WAL locks
    without calling the busy handler). The switch is retried; other errors are not."""
    from synthcompile.llm.cache import _wal

    class Flaky:  # a real connection that meets the lock ``times`` times first
        def __init__(self, name: str, times: int):
            self.real, self.times = sqlite3.connect(tmp_path / name, isolation_level=None), times

        def execute(self, sql):
            if sql.endswith("=WAL") and self.times:
                self.times -= 1
                raise sqlite3.OperationalError("database is locked")
            return self.real.execute(sql)

    flaky = Flaky("a.sqlite", 2)
    _wal(flaky)
    assert flaky.times == 0 and flaky.real.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.OperationalError, match="locked"):  # gives up after its wait
        _wal(Flaky("b.sqlite", 10**9), wait=0.05)

    class Broken(Flaky):
        def execute(self, sql):
            raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _wal(Broken("c.sqlite", 0))


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "run.sqlite"
    RequestCache(path).close()  # created (and in WAL mode) before either writer starts
    n, start_at = 400, time.time() + 1.0
    procs = [subprocess.Popen([sys.executable, "-c", f"from tests.llm.test_cache import writer; "
                                                     f"writer({str(path)!r}, {who!r}, {n}, {start_at})"], cwd=ROOT)
             for who in ("a", "b")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    cache = RequestCache(path)
    try:
        assert len(cache) == 3 * n
        for i in range(n):
            for who in ("a", "b", "both"):
                got = cache.get(f"{who}-{i}")
                assert got.texts == [f"{who} {i}"] and got.completion_tokens == i
    finally:
        cache.close()


def test_a_killed_writer_loses_at_most_its_last_put(tmp_path):
    path = tmp_path / "run.sqlite"
    code = ("import sys; from synthcompile.llm.cache import RequestCache; from synthcompile.llm.request import "
            f"Completion\nc = RequestCache({str(path)!r})\nfor i in range(100000):\n"
            "    c.put(f'k{i}', {}, Completion(texts=[str(i)]))\n    print(i, flush=True)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for _ in range(500):
        last = int(proc.stdout.readline())  # put and committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Lines the writer printed before the kill but the test had not read yet (the pipe buffers
    # them; on a loaded machine, dozens): each is a put that was committed too.
    complete = proc.stdout.read().split("\n")[:-1]  # whole lines only
    last = int(complete[-1]) if complete else last
    proc.stdout.close()
    assert Path(f"{path}-wal").stat().st_size > 0  # the commits were still in the WAL, not checkpointed
    cache = RequestCache(path)
    try:
        assert all(cache.get(f"k{i}").texts == [str(i)] for i in range(last + 1))
        assert last + 1 <= len(cache) <= last + 3  # a few puts more, between print and kill
    finally:
        cache.close()


def _filled(path: Path, n: int = 2000) -> None:
    cache = RequestCache(path)
    for i in range(n):
        cache.put(f"k{i}", {"i": i}, Completion(texts=["x" * 200]))
    cache.close()  # the last connection closing checkpoints the WAL into the file


def test_a_file_that_is_no_database_is_refused_by_name(tmp_path):
    path = tmp_path / "run.sqlite"
    path.write_bytes(b"not a database, " * 512)
    with pytest.raises(CacheCorrupt, match=f"request cache {path} is damaged .*file is not a database"):
        RequestCache(path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "requests.sqlite").write_bytes(b"\0" * 100 + b"junk" * 1000)
    with pytest.raises(CacheCorrupt, match=str(shared / "requests.sqlite")):  # which of the two caches
        RequestCache(tmp_path / "fresh.sqlite", shared)


def test_a_truncated_database_is_refused_by_name(tmp_path):
    path = tmp_path / "run.sqlite"
    _filled(path)
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CacheCorrupt, match=f"request cache {path} is damaged"):
        cache = RequestCache(path)  # refused on open, or on the first read of a lost page
        for i in range(2000):
            cache.get(f"k{i}")


def test_responses_of_one_tick_share_a_commit_and_are_durable_when_returned(tmp_path):
    """64 requests answered at once: committed in a few transactions, not 64; each caller gets
    its completion only once its row is in the database (a second connection reads it)."""
    import asyncio

    from synthcompile.llm.client import LLM

    class Instant:  # a backend that answers at once: what is measured is the client's commits
        identity = {"kind": "instant"}
        max_concurrency = 64

        async def complete(self, req):
            await asyncio.sleep(0)
            return Completion(texts=[f"re: {req.messages[-1][1]}"], completion_tokens=2)

    llm = LLM(LLMConfig(backend="openai", url="http://127.0.0.1:1/v1", model="m"), tmp_path / "c.sqlite",
              backend=Instant())
    commits = []
    inner = llm.cache.put_many
    llm.cache.put_many = lambda items: (commits.append(len(items)), inner(items))[1]
    reader = sqlite3.connect(tmp_path / "c.sqlite")

    async def one(i: int) -> bool:
        req = llm.request(messages=[("user", f"q{i}")])
        await llm.generate(req)
        return reader.execute("SELECT 1 FROM requests WHERE key = ?", (req.key(llm.identity),)).fetchone() is not None

    async def every() -> list[bool]:
        return await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(64))), 30)

    durable = asyncio.run(every())
    assert all(durable)
    assert sum(commits) == 64 and len(commits) <= 4
    assert len(llm.cache) == 64
    llm.close()
