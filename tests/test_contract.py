"""The stage contract on both executors: CPU stages, side files, fingerprints and versions, and an
I/O-bound stage making thousands of requests to a real HTTP server on 127.0.0.1, killed mid-shard
and resumed without repeating a finished request."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from synthcompile import layout
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import run_stages
from synthcompile.run import RunDir
from synthcompile.sample import SAMPLE_SCHEMA, to_table
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream
from tests import contract_stages
from tests.curate.helpers import run_stages as run_planted
from tests.curate.helpers import sample
from tests.conftest import ROOT, cli_env
from tests.contract_stages import CountStage, HttpStage, OtherStage, SideStage, SumStage

INFO = {"name": "contract", "hash": "contract", "seed": 3}
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs ray")


class Server:
    """A real HTTP server on 127.0.0.1, in a process of its own (tests/http_counter.py), that
    counts every response it serves, per path, and the most requests it held at once."""

    def __init__(self, delay_s: float = 0.02):
        self.delay_s = delay_s

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.http_counter", str(self.delay_s)], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        return self

    def __exit__(self, *exc):
        self.final = self.stats()  # what it served, readable after it stops
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def stats(self) -> dict:
        import urllib.request

        if hasattr(self, "final"):
            return self.final
        with urllib.request.urlopen(f"{self.url}/__stats", timeout=10) as r:
            return json.loads(r.read())

    @property
    def served(self) -> Counter:
        return Counter(self.stats()["served"])

    @property
    def peak(self) -> int:
        return self.stats()["peak"]

    @property
    def pids(self) -> Counter:
        return Counter(self.stats()["pids"])


def _run(out: Path, stages, workers: int = 2, rebuild=()) -> RunDir:
    run = RunDir(out)
    run.prepare(INFO["hash"], None, overwrite=False)
    with LocalExecutor(workers) as ex:
        return run_stages(run, stages, ex, INFO, rebuild=rebuild)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _mtimes(root: Path, pattern: str) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.glob(pattern))}


def _flip_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def _stages(version: str = "1"):
    return [CountStage(version=version), OtherStage(shards=2), SideStage(), SumStage()]


def test_cpu_stages_same_bytes_in_process_and_in_a_pool(tmp_path):
    a = _files(_run(tmp_path / "a", _stages(), workers=1).root)
    b = _files(_run(tmp_path / "b", _stages(), workers=2).root)
    assert a == b
    assert len([k for k in a if k.startswith("export/blobs/")]) == 4
    assert any(k.startswith("samples/count/") for k in a) and "quarantine.json" in a


def test_same_size_corruption_of_a_shard_is_rebuilt_and_nothing_else(tmp_path):
    run = _run(tmp_path / "run", _stages())
    reference = _files(run.root)
    victim = run.root / run.stage_shards("count")[1]
    _flip_bit(victim)
    assert victim.stat().st_size == len(reference[str(victim.relative_to(run.root))])
    before = _mtimes(run.root, "**/*.parquet")
    _run(run.root, _stages())
    after = _mtimes(run.root, "**/*.parquet")
    assert _files(run.root) == reference  # the flipped bit is gone
    changed = [p for p in before if before[p] != after[p]]
    # Rebuilt with the same fingerprint and bytes: nothing downstream needs redoing.
    assert changed == [str(victim.relative_to(run.root))]


def test_corrupted_side_file_is_rebuilt(tmp_path):
    run = _run(tmp_path / "run", _stages())
    reference = _files(run.root)
    side = run.root / "export/blobs/blob-002.bin"
    _flip_bit(side)
    marker = run.root / layout.marker("side", "blob-002")
    stamp = marker.stat().st_mtime_ns
    _run(run.root, _stages())
    assert _files(run.root) == reference
    assert marker.stat().st_mtime_ns != stamp
    assert json.loads(marker.read_text())["side"]["export/blobs/blob-002.bin"]["sha256"]


def test_changed_version_rebuilds_the_stage_and_downstream_only(tmp_path):
    run = _run(tmp_path / "run", _stages())
    markers = _mtimes(run.root, "work/*/completions/*.json")
    _run(run.root, _stages(version="2"))
    after = _mtimes(run.root, "work/*/completions/*.json")
    rebuilt = {Path(p).parts[1] for p in markers if markers[p] != after[p]}
    assert rebuilt == {"count", "side", "sum"}  # "other" is not downstream of "count"
    assert json.loads((run.root / layout.marker("count", "part-000")).read_text())["version"] == "2"


def test_rebuild_forces_a_stage_and_what_reads_it(tmp_path):
    run = _run(tmp_path / "run", _stages())
    markers = _mtimes(run.root, "work/*/completions/*.json")
    _run(run.root, _stages(), rebuild=["count"])
    after = _mtimes(run.root, "work/*/completions/*.json")
    assert {Path(p).parts[1] for p in markers if markers[p] != after[p]} == {"count", "side", "sum"}


def test_a_stage_config_change_rebuilds_even_without_a_manifest(tmp_path):
    run = _run(tmp_path / "run", _stages())
    (run.root / "manifest.json").unlink()
    run.root.joinpath("work/.note").write_text("")  # a non-empty folder that is no run any more
    rerun = RunDir(run.root)
    rerun.prepare(INFO["hash"], None, overwrite=True)
    with LocalExecutor(1) as ex:
        run_stages(rerun, [CountStage(rows=7)], ex, INFO)
    assert rerun.manifest()["stages"]["count"]["rows"] == 4 * 7
    assert not (run.root / "work" / "side").exists()  # a stage the build no longer has is dropped


def test_io_stage_in_process_many_requests_at_high_concurrency(tmp_path):
    with Server() as server:
        run = _run(tmp_path / "run", [HttpStage(server.url, shards=1, requests=2000)], workers=1)
    assert len(server.served) == 2000 and set(server.served.values()) == {1}
    assert server.peak >= 48, f"only {server.peak} requests in flight at once"
    assert run.manifest()["stages"]["http"]["rows"] == 2000
    assert not list(run.root.glob("work/http/journal/*"))  # removed once the shard committed


def _journaled(root: Path) -> set[str]:
    keys: set[str] = set()
    for path in root.glob("work/http/journal/*.jsonl"):
        for line in path.read_text().splitlines()[1:]:
            try:
                keys.add(json.loads(line)["k"])
            except ValueError:
                pass  # the torn tail the kill left
    return keys


@pytest.mark.slow
def test_io_stage_sigkilled_mid_shard_resumes_repeating_no_finished_request(tmp_path):
    requests = 1200  # per shard, two shards
    with Server() as ref_server:
        reference = _run(tmp_path / "reference", [HttpStage(ref_server.url, shards=2, requests=requests)])
    with Server(delay_s=0.03) as server:
        out = tmp_path / "killed"
        proc = subprocess.Popen([sys.executable, "-m", "tests.contract_stages", str(out), server.url, "local",
                                 str(requests)], cwd=ROOT, env=cli_env(), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while sum(server.served.values()) < 900:
            assert proc.poll() is None, "the build finished before it could be killed"
            assert time.time() < deadline
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        done_before = _journaled(out)
        served_before = Counter(server.served)
        assert 0 < len(done_before) < 2 * requests
        _run(out, [HttpStage(server.url, shards=2, requests=requests)])
        resumed = Counter(server.served) - served_before
    assert not done_before & set(resumed), "a journaled (finished) request was sent again"
    repeated = [k for k, n in server.served.items() if n > 1]
    assert len(repeated) <= 2 * HttpStage.resources.concurrency  # only those in flight at the kill
    assert set(server.served) == set(ref_server.served) and len(server.served) == 2 * requests
    shards = RunDir(out).stage_shards("http")
    assert [(out / p).read_bytes() for p in shards] == [(reference.root / p).read_bytes() for p in shards]


@pytest.fixture(scope="module")
def local_ray():
    from synthcompile.executors.ray import start_local_ray

    start_local_ray(num_cpus=2)
    import ray

    ray.cloudpickle.register_pickle_by_value(contract_stages)  # workers cannot import test files
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.cloudpickle.unregister_pickle_by_value(contract_stages)
    ray.shutdown()


def _run_ray(out: Path, stages, rebuild=()) -> RunDir:
    from synthcompile.executors.ray import RayExecutor

    run = RunDir(out)
    run.prepare(INFO["hash"], None, overwrite=False)
    with RayExecutor(2) as ex:
        return run_stages(run, stages, ex, INFO, rebuild=rebuild)


@needs_ray
@pytest.mark.slow
def test_ray_same_bytes_and_the_same_rebuild_rules(local_ray, tmp_path):
    local = _files(_run(tmp_path / "local", _stages()).root)
    run = _run_ray(tmp_path / "ray", _stages())
    assert _files(run.root) == local
    _flip_bit(run.root / run.stage_shards("count")[0])
    _flip_bit(run.root / "export/blobs/blob-003.bin")
    markers = _mtimes(run.root, "work/*/completions/*.json")
    _run_ray(run.root, _stages())
    assert _files(run.root) == local
    after = _mtimes(run.root, "work/*/completions/*.json")
    assert sorted(p for p in markers if markers[p] != after[p]) == [
        "work/count/completions/part-000.json", "work/side/completions/blob-003.json"]
    _run_ray(run.root, _stages(version="2"))
    again = _mtimes(run.root, "work/*/completions/*.json")
    assert {Path(p).parts[1] for p in after if after[p] != again[p]} == {"count", "side", "sum"}


@needs_ray
@pytest.mark.slow
def test_ray_worker_killed_mid_shard_retries_from_the_journal(local_ray, tmp_path):
    requests = 1500
    with Server() as ref_server:
        reference = _run(tmp_path / "reference", [HttpStage(ref_server.url, shards=2, requests=requests)])
    with Server(delay_s=0.03) as server:
        killed: list[int] = []

        def killer():
            deadline = time.time() + 120
            while time.time() < deadline and not killed:
                if sum(server.served.values()) >= 700:
                    pids = server.pids
                    pid = int(max(pids, key=pids.get))
                    killed.append(pid)
                    os.kill(pid, signal.SIGKILL)  # a Ray worker dies mid-shard; Ray retries its task
                time.sleep(0.02)

        t = threading.Thread(target=killer)
        t.start()
        run = _run_ray(tmp_path / "ray", [HttpStage(server.url, shards=2, requests=requests)])
        t.join()
    assert killed, "no worker was killed"
    repeated = [k for k, n in server.served.items() if n > 1]
    assert len(repeated) <= HttpStage.resources.concurrency  # in flight at the kill, no more
    assert len(server.served) == 2 * requests
    stats = [m["stats"] for m in run.markers("http")]
    assert sum(s.get("replayed", 0) for s in stats) > 0  # the retry resumed from the journal
    shards = run.stage_shards("http")
    assert [(run.root / p).read_bytes() for p in shards] == [(reference.root / p).read_bytes() for p in shards]


class Rephrase(Stage):
    """A transform: every sample rewritten twice (1:2), as an LLM rephrase would."""

    name = "rephrase"
    role = Role.TRANSFORM
    schema = SAMPLE_SCHEMA

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, i, Path(p).stem, {"input": p}, inputs=(p,))
                for i, p in enumerate(upstream.samples())]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext):
        import pyarrow.parquet as pq

        rows = pq.read_table(ctx.run_root / spec.params["input"]).to_pylist()
        out = [sample(f"{r['text']} ({how})", r["split"]) for r in rows for how in ("again", "once more")]
        ctx.stats["input"] += len(rows)
        yield to_table(out)


def test_a_transform_stage_replaces_the_stream_without_counting_as_new_or_lost(tmp_path):
    from synthcompile.curate.exact import exact_stages
    from synthcompile.report.html import _curation
    from synthcompile.stats import compute_stats

    texts = [[sample(f"fact {i}") for i in range(10)], [sample("fact 0"), sample("fact 11")]]
    run = run_planted(tmp_path / "run", texts, [Rephrase(), *exact_stages(4)])
    stats = compute_stats(run)
    assert stats["samples"] == 12  # the compiled samples, once
    assert [(s["stage"], s["role"], s["rows"]) for s in stats["stream"]] == [
        ("planted", "compile", 12), ("rephrase", "transform", 24), ("dedup_exact", "curate", 22)]
    curated = run.stage_shards("dedup_exact")
    assert all(p.startswith("curated/") for p in curated)  # the last curate stage is the corpus
    assert "samples removed" in _curation(run, run.manifest())
    from synthcompile.curate import removal_summary

    assert removal_summary(run)["dedup_exact"]["removed"] == 2  # "fact 0" twice, rewritten twice


def test_a_stage_planning_two_shards_at_one_path_is_stopped(tmp_path):
    """Two shards with one name would write one file: the build stops before running either."""

    class Twice(Rephrase):
        def plan(self, upstream):
            return [ShardSpec(self.name, i, "same", {"input": p}, inputs=(p,))
                    for i, p in enumerate(upstream.samples())]

    with pytest.raises(RuntimeError, match="planned two shards at"):
        run_planted(tmp_path / "run", [[sample("a")], [sample("b")]], [Twice()])
