"""End-to-end builds: determinism across runs and worker counts, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.errors import UserError
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from tests.conftest import CLI, cli_env

RECIPE = """\
name: small
seed: 11
shard_size: 150
logic:
  forms: {plain: 1, think: 1, terse: 1}
  generators:
    - family: arithmetic
      count: 600
      probes: 50
    - family: pointer_chasing
      count: 450
      difficulty: [2, 3]
"""


def shard_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.glob("samples/*/*.parquet"))}


def ids(root: Path) -> list[str]:
    out = []
    for p in sorted(root.glob("samples/*/*.parquet")):
        out += pq.read_table(p, columns=["seed_id"])["seed_id"].to_pylist()
    return out


def _build(recipe_path: Path, out: Path, workers: int, seed: int | None = None) -> Path:
    with LocalExecutor(workers) as ex:
        build(load_recipe(recipe_path, seed=seed), out, ex, recipe_file=recipe_path)
    return out


def test_same_seed_same_bytes_any_worker_count(write_recipe, tmp_path):
    path = write_recipe(RECIPE)
    a = shard_bytes(_build(path, tmp_path / "a", workers=1))
    b = shard_bytes(_build(path, tmp_path / "b", workers=2))
    c = shard_bytes(_build(path, tmp_path / "c", workers=1))
    assert len(a) == 4 + 1 + 3 and a == b == c
    manifests = [json.loads((tmp_path / r / "manifest.json").read_text()) for r in "ab"]
    assert manifests[0] == manifests[1]
    d = shard_bytes(_build(path, tmp_path / "d", workers=2, seed=12))
    assert d.keys() == a.keys() and all(d[k] != a[k] for k in a)


def test_manifest_lists_every_shard_with_hash(write_recipe, tmp_path):
    root = _build(write_recipe(RECIPE), tmp_path / "run", workers=2)
    manifest = json.loads((root / "manifest.json").read_text())
    logic = manifest["stages"]["logic"]
    assert logic["rows"] == 600 + 50 + 450 == sum(s["rows"] for s in logic["shards"])
    assert manifest["recipe"]["seed"] == 11 and len(manifest["recipe"]["hash"]) == 64
    assert "pyarrow" in manifest["dependencies"]
    for shard in logic["shards"]:
        assert pq.read_metadata(root / shard["path"]).num_rows == shard["rows"]
    rows = ids(root)
    assert len(rows) == len(set(rows)) == 1100


def test_rerun_skips_complete_shards(write_recipe, tmp_path):
    path = write_recipe(RECIPE)
    root = _build(path, tmp_path / "run", workers=1)
    before = {p: p.stat().st_mtime_ns for p in root.glob("samples/logic/*.parquet")}
    victim = sorted(before)[2]
    victim.unlink()  # a lost shard is rebuilt, the others are left untouched
    _build(path, root, workers=1)
    after = {p: p.stat().st_mtime_ns for p in root.glob("samples/logic/*.parquet")}
    assert after.keys() == before.keys()
    assert [p for p in before if before[p] != after[p]] == [victim]


def test_other_recipe_into_same_run_is_refused(write_recipe, tmp_path):
    path = write_recipe(RECIPE)
    root = _build(path, tmp_path / "run", workers=1)
    with pytest.raises(UserError, match="different recipe"):
        _build(path, root, workers=1, seed=99)


@pytest.mark.slow
def test_sigkill_then_resume_gives_exactly_the_uninterrupted_samples(write_recipe, tmp_path):
    path = write_recipe(RECIPE.replace("shard_size: 150", "shard_size: 25"))
    reference = _build(path, tmp_path / "reference", workers=2)
    out = tmp_path / "killed"
    proc = subprocess.Popen([*CLI, "build", str(path), "--out", str(out), "--workers", "2"],
                            env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while len(list(out.glob("work/logic/completions/*.json"))) < 6:
        assert proc.poll() is None, "build finished before it could be killed: make it bigger"
        assert time.time() < deadline
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(out.glob("work/logic/completions/*.json")))
    assert 0 < done < 45, "the kill should land part-way"
    proc = subprocess.run([*CLI, "build", str(path), "--out", str(out), "--workers", "2"],
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stderr
    assert not list(out.rglob("*.tmp"))
    assert shard_bytes(out) == shard_bytes(reference)
    assert sorted(ids(out)) == sorted(ids(reference)) and len(set(ids(out))) == 1100


def _cli_build(path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "build", str(path), "--out", str(out), "--workers", "1", *extra],
                          env=cli_env(), capture_output=True, text=True, timeout=300)


def test_one_flipped_bit_in_a_shard_is_rebuilt_not_served(write_recipe, tmp_path):
    """The issue's case: one bit turned "33 + 69" into "33 + 68" and a rerun trusted the shard
    by its size. Now the sha256 is checked, and the shard rebuilt."""
    path = write_recipe(RECIPE)
    root = _build(path, tmp_path / "run", workers=1)
    reference = shard_bytes(root)
    victim = sorted(root.glob("samples/logic/*.parquet"))[1]
    data = bytearray(victim.read_bytes())
    data[len(data) // 3] ^= 0x01
    victim.write_bytes(bytes(data))
    proc = _cli_build(path, root)
    assert proc.returncode == 0, proc.stderr
    assert "rebuilding 1 shard(s): 1 content differs" in proc.stderr
    assert shard_bytes(root) == reference


def test_overwrite_into_a_run_without_manifest_rebuilds_for_the_edited_recipe(write_recipe, tmp_path):
    """The issue's case: the manifest gone, --overwrite with an edited recipe reused the old
    shards (difficulty 1-3 served for a recipe asking for 5) under the new recipe's hash."""
    path = write_recipe(RECIPE)
    root = _build(path, tmp_path / "run", workers=1)
    (root / "manifest.json").unlink()
    edited = write_recipe(RECIPE.replace("difficulty: [2, 3]", "difficulty: [5]"), name="edited.yaml")
    assert _cli_build(edited, root).returncode == 2  # not a run any more: refused without --overwrite
    proc = _cli_build(edited, root, "--overwrite")
    assert proc.returncode == 0, proc.stderr
    levels = set()
    for p in root.glob("samples/logic/pointer_chasing-*.parquet"):
        levels |= set(pq.read_table(p, columns=["difficulty"])["difficulty"].to_pylist())
    assert levels == {5}
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["recipe"]["hash"] == load_recipe(edited).content_hash()
    # The arithmetic generator did not change: its shards were kept, not rebuilt.
    assert "logic: resuming, 5/8 shards already complete" in proc.stderr


def test_a_run_of_the_old_layout_gets_a_clear_message(write_recipe, tmp_path):
    path = write_recipe(RECIPE)
    old = tmp_path / "old"
    (old / "logic" / "shards").mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"recipe": {"hash": "x"}, "stages": {}}))
    for command in (["stats", str(old)], ["build", str(path), "--out", str(old)]):
        proc = subprocess.run([*CLI, *command], env=cli_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "older synthcompile (run layout 1" in proc.stderr and "--overwrite" in proc.stderr
