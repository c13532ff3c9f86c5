"""The rephrase transform: compiled samples reworded by a model, kept only when every number,
name and symbol is kept and the sample still verifies with its compiler's own verifier.

Against a real OpenAI-compatible server on 127.0.0.1 (tests/rephrase_server.py, its own process)
whose stand-in model errs on purpose (a changed number, dropped names): no model here rewords
reliably enough to test against. The embedded SmolLM2 runs a few rewordings for real."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.rephrase.checks import kept
from synthcompile.run import RunDir
from synthcompile.stats import compute_stats
from synthcompile.verifiers import Verifiers

ROOT = Path(__file__).resolve().parents[1]


def test_what_a_rewording_must_keep():
    assert kept("What is 622 + 640?", "Compute the sum 622 + 640.") is None
    assert "622" in kept("What is 622 + 640?", "Compute the sum 623 + 640.")
    assert kept("Where was Ana Silva born?", "Ana Silva was born in which place?") is None
    assert "Ana" in kept("Where was Ana Silva born?", "In which city was Silva born?")
    assert kept("Is (p ∧ q) → r satisfiable?", "Can (p ∧ q) → r be made true?") is None
    assert kept("Is (p ∧ q) → r satisfiable?", "Can p and q imply r?") is not None
    assert "new numbers" in kept("Sort the list: 3, 1, 2.", "Sort the list 3, 1, 2, 4.")
    assert kept("What is 2 + 2?", "What is 2 + 2?") == "the rewording is the original"
    assert kept("What is 2 + 2?", "  ") == "empty rewording"


@pytest.fixture()
def server():
    proc = subprocess.Popen([sys.executable, "-m", "tests.rephrase_server"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    port = proc.stdout.readline().strip()
    yield f"http://127.0.0.1:{port}"
    proc.kill()
    proc.wait()


def _build(tmp_path: Path, url: str, keep_original: bool) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(f"""name: rephrase
seed: 4
logic:
  generators:
    - {{family: arithmetic, count: 120, difficulty: [1, 2], probes: 10, probe_difficulty: [3]}}
memory:
  seed: {{fictional: {{people: 15}}}}
  questions: {{one_hop: true, inverse: false, two_hop: 0, three_hop: 0, comparisons: 0}}
rephrase:
  llm: {{backend: openai, url: '{url}/v1', model: stand-in, concurrency: 4}}
  include: ["logic.arithmetic", "memory.qa.*"]
  rate: 0.5
  keep_original: {str(keep_original).lower()}
curate: null
export: null
""")
    out = tmp_path / f"run-{keep_original}"
    with LocalExecutor(1) as ex:
        build(load_recipe(path), out, ex, recipe_file=path)
    return out


def _rows(run: RunDir, stage: str) -> list[dict]:
    return [r for p in run.stage_shards(stage) for r in pq.read_table(run.root / p).to_pylist()]


def test_rewordings_that_change_the_problem_are_rejected_and_the_rest_verify(tmp_path, server):
    out = _build(tmp_path, server, keep_original=True)
    run = RunDir(out)
    stats: dict = {}
    for m in run.markers("rephrase"):
        for k, v in m["stats"].items():
            stats[k] = stats.get(k, 0) + v
    served = json.loads(urllib.request.urlopen(f"{server}/__stats").read())
    assert stats["picked"] == served["requests"] > 20
    assert stats["rephrased"] + sum(v for k, v in stats.items() if k.startswith("rejected:")) == stats["picked"]
    assert stats["rejected:dropped or changed"] >= served["number_changed"] > 0  # every changed number caught
    compiled = [r for s in ("logic", "memory") for r in _rows(run, s)]
    rows = _rows(run, "rephrase")
    assert len(rows) == len(compiled) + stats["rephrased"]  # 1:2 for the reworded, 1:1 for the rest
    reworded = [r for r in rows if r["template"].endswith("+rephrase")]
    assert len(reworded) == stats["rephrased"] > 0
    verifiers = Verifiers(load_recipe(out / "recipe.yaml"))
    for r in reworded:
        assert r["question"] in r["text"] and r["provenance"]["model"] == "stand-in"
        assert verifiers.verify(r, r["text"]).passed
        assert r["split"] == "train"
    assert all(r["split"] == "train" for r in rows if r["template"].endswith("+rephrase"))
    assert [r["id"] for r in rows if r["split"] == "probe"] == [r["id"] for r in compiled if r["split"] == "probe"]
    # the stream: compiled once, rewritten by the transform (neither new samples nor losses)
    summary = compute_stats(run)
    assert summary["samples"] == len(compiled)
    assert [(s["stage"], s["role"]) for s in summary["stream"]][-1] == ("rephrase", "transform")
    quarantine = json.loads((out / "quarantine.json").read_text())
    assert quarantine["rephrase"]["total"] == stats["picked"] - stats["rephrased"]


def test_one_to_one_keeps_the_original_where_the_rewording_failed(tmp_path, server):
    out = _build(tmp_path, server, keep_original=False)
    run = RunDir(out)
    compiled = [r for s in ("logic", "memory") for r in _rows(run, s)]
    rows = _rows(run, "rephrase")
    assert len(rows) == len(compiled)
    assert 0 < sum(r["template"].endswith("+rephrase") for r in rows) < len(rows)


@pytest.mark.slow
def test_the_embedded_model_rewords(tmp_path):
    path = tmp_path / "local.yaml"
    path.write_text("name: rl\nseed: 1\nlogic:\n  generators:\n    - {family: arithmetic, count: 6, difficulty: [1]}\n"
                    "rephrase:\n  llm: {backend: local, concurrency: 6, max_tokens: 48}\n  include: [logic.*]\n"
                    "  rate: 1.0\ncurate: null\nexport: null\naudit: null\n")
    with LocalExecutor(1) as ex:
        build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    stats = next(iter(RunDir(tmp_path / "run").markers("rephrase")))["stats"]
    assert stats["picked"] == 6 and stats["llm_requests"] == 6
    assert stats["rephrased"] + sum(v for k, v in stats.items() if k.startswith("rejected:")) == 6
