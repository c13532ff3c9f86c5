"""What the LLM layer costs on top of the HTTP it sends, against a plain aiohttp load generator.

    .venv/bin/python bench/llm.py                      # 2,000 requests a phase, 32 in flight
    .venv/bin/python bench/llm.py --requests 4000 --concurrency 64

The server is tests/llm/misbehaving_server.py with FAIL_RATE 0, in a process of its own.

1. Latency-bound: every answer takes ``--latency`` (20 ms). Ours is the stage path: ``LLM.generate``
   through ``run_journaled`` with the request cache on (every response committed as it arrives);
   the named baseline is a plain aiohttp load generator at the same concurrency (one session,
   the same bodies, the JSON parsed). Target: ours >= 0.9x the baseline's requests/s.
2. CPU-bound: the same against a loopback server answering at once; what one client core
   sustains is requests per CPU second of this process (the server's CPU is its own). Target:
   >= 1,000 requests per client CPU second.
3. The rerun: a new client over the warm cache and a new journal: requests/s served from cache,
   none sent (the server's count is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthcompile import worker  # noqa: E402
from synthcompile.journal import Journal, run_journaled  # noqa: E402
from synthcompile.llm.client import LLM  # noqa: E402
from synthcompile.llm.config import LLMConfig  # noqa: E402
from synthcompile.llm.request import Request  # noqa: E402


def control(url: str, path: str, data: dict | None = None) -> dict:
    req = urllib.request.Request(url + path, data=json.dumps(data).encode() if data is not None else None,
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def requests_for(phase: str, n: int) -> list[Request]:
    return [Request(messages=(("system", "Be brief."), ("user", f"{phase} question {i}")), max_tokens=64)
            for i in range(n)]


class Clock:
    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def ours(llm: LLM, reqs: list[Request], journal: Path, concurrency: int) -> Clock:
    async def fn(req: Request) -> str:
        return (await llm.generate(req)).text

    j = Journal(journal, "bench")
    with Clock() as clock:
        out = run_journaled(j, [(f"r{i}", r) for i, r in enumerate(reqs)], fn, concurrency)
    j.close()
    assert len(out) == len(reqs) and all(out.values())
    return clock


def plain_aiohttp(url: str, bodies: list[dict], concurrency: int) -> Clock:
    """The baseline: a load generator that only sends, reads and parses."""
    async def drive() -> None:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            queue = iter(bodies)

            async def lane() -> None:
                for body in queue:
                    async with session.post(url + "/v1/chat/completions", json=body) as resp:
                        data = json.loads(await resp.read())
                        assert resp.status == 200 and data["choices"][0]["message"]["content"]

            await asyncio.gather(*(lane() for _ in range(concurrency)))

    with Clock() as clock:
        worker.loop().run_until_complete(drive())
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    n, conc = args.requests, args.concurrency
    proc = subprocess.Popen([sys.executable, "-m", "tests.llm.misbehaving_server", "0", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
    rows: list[tuple[str, Clock, int, str]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = LLMConfig(backend="openai", url=url + "/v1", model="mock", concurrency=conc, max_tokens=64)
            llm = LLM(cfg, Path(tmp) / "cache.sqlite")
            warm = requests_for("warmup", 64)
            ours(llm, warm, Path(tmp) / "warm", conc)  # the pool's connections opened, code paths warm
            plain_aiohttp(url, [llm.backend.payload(r)[1] for r in warm], conc)
            for phase, latency in (("latency", args.latency), ("loopback", 0.0)):
                control(url, "/__config", {"latency_s": latency})
                base_reqs, our_reqs = requests_for(f"{phase}-base", n), requests_for(phase, n)
                base = plain_aiohttp(url, [llm.backend.payload(r)[1] for r in base_reqs], conc)
                rows.append((f"plain aiohttp, {latency * 1000:g} ms (baseline)", base, n, ""))
                mine = ours(llm, our_reqs, Path(tmp) / f"j-{phase}", conc)
                sent = sum(control(url, "/__stats")["completed"].values())
                rows.append((f"LLM.generate + journal + cache, {latency * 1000:g} ms", mine, n,
                             f"{(n / mine.wall) / (n / base.wall):.2f}x baseline"))
                assert sent == 2 * n, sent
            llm.close()
            control(url, "/__config", {"latency_s": 0.0})
            llm = LLM(cfg, Path(tmp) / "cache.sqlite")  # a rerun: a new client, the cache warm
            rerun = ours(llm, requests_for("loopback", n), Path(tmp) / "j-rerun", conc)
            hits = llm.drain_counters()["llm_cache_hits"]
            sent = sum(control(url, "/__stats")["attempts"].values())
            cold = rows[-1][1]
            rows.append(("rerun from the warm cache", rerun, n,
                         f"{cold.wall / rerun.wall:.1f}x the cold run; {hits} hits, {sent} sent"))
            llm.close()
    finally:
        proc.kill()
        proc.wait()
    print(f"{n} requests a row, {conc} in flight, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'':44} {'req/s wall':>11} {'req/client CPU s':>17}  ratio")
    for name, clock, count, note in rows:
        print(f"{name:44} {count / clock.wall:11,.0f} {count / clock.cpu:17,.0f}  {note}")
    print("targets: >= 0.9x the baseline at 20 ms; >= 1,000 requests per client CPU second at 0 ms")


if __name__ == "__main__":
    main()
