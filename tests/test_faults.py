"""Fault injection: SIGKILL at seeded random points of a build that runs every kind of stage
(logic, memory, curate, export), then resume: the same bytes as an uninterrupted build, no
sample lost or doubled. A corrupted side file is rebuilt. ``FAULT_TRIALS`` sets the number of
kill points (3 in CI; ``make fuzz`` runs 20)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import CLI, cli_env

RECIPE = """\
name: faults
seed: 5
shard_size: 100
logic:
  generators:
    - {family: arithmetic, count: 600, difficulty: [1, 2]}
    - {family: pointer_chasing, count: 400}
memory:
  seed: {fictional: {people: 60}}
  entities_per_shard: 20
curate:
  exact: true
  near: {threshold: 0.8}
export:
  tokenizer: {train: {vocab_size: 600}}
  pack: {seq_len: 128}
"""
TRIALS = int(os.environ.get("FAULT_TRIALS", "3"))


def _build(recipe: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "build", str(recipe), "--out", str(out), "--workers", "2"], env=cli_env(),
                          capture_output=True, text=True, timeout=600)


def _data(root: Path) -> dict[str, bytes]:
    """Every file a user reads: samples, the curated corpus, the export (not the report)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] in ("samples", "curated", "export")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    recipe = tmp / "recipe.yaml"
    recipe.write_text(RECIPE)
    started = time.monotonic()
    proc = _build(recipe, tmp / "reference")
    assert proc.returncode == 0, proc.stderr
    return recipe, tmp / "reference", time.monotonic() - started


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_at_a_random_point_then_resume_gives_the_same_bytes(reference, tmp_path, trial):
    recipe, ref, seconds = reference
    rng = random.Random(trial)
    out = tmp_path / "run"
    kills = 1 + (rng.random() < 0.3)  # sometimes killed again while resuming
    for _ in range(kills):
        proc = subprocess.Popen([*CLI, "build", str(recipe), "--out", str(out), "--workers", "2"], env=cli_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.5, max(0.6, 0.9 * seconds)))
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers at once, as a crash
        proc.wait()
    done = _build(recipe, out)
    assert done.returncode == 0, done.stderr
    assert not list(out.rglob("*.tmp"))
    assert _data(out) == _data(ref)
    ids = [i for p in sorted((out / "curated").glob("*.parquet"))
           for i in pq.read_table(p, columns=["id"])["id"].to_pylist()]
    assert ids and len(ids) == len(set(ids))


def test_a_corrupted_side_file_of_the_same_size_is_rebuilt(reference, tmp_path):
    import shutil

    recipe, ref, _ = reference
    out = tmp_path / "run"
    shutil.copytree(ref, out)
    side = out / "export" / "tokens" / "train-00001.bin"  # a side file of an export shard
    data = bytearray(side.read_bytes())
    data[len(data) // 2] ^= 0x01
    side.write_bytes(bytes(data))
    proc = _build(recipe, out)
    assert proc.returncode == 0 and "content differs" in proc.stderr, proc.stderr
    assert len(data) == side.stat().st_size and side.read_bytes() == (ref / side.relative_to(out)).read_bytes()
    assert _data(out) == _data(ref)


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_disk_full_is_a_clear_error_then_a_byte_identical_resume(reference, tmp_path):
    recipe, ref, _ = reference
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "1m"):
        pytest.skip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)")
    try:
        out = disk / "run"
        proc = _build(recipe, out)
        assert proc.returncode == 2 and "No space left on device" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and "free some space" in proc.stderr
        assert subprocess.run(["mount", "-o", "remount,size=256m", str(disk)]).returncode == 0  # the disk grows
        proc = _build(recipe, out)
        assert proc.returncode == 0, proc.stderr
        assert _data(out) == _data(ref) and not list(out.rglob("*.tmp"))
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_a_report_out_under_a_file_is_a_clear_error(reference, tmp_path):
    _, ref, _ = reference
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run([*CLI, "report", str(ref), "--out", str(blocker / "r.html")], env=cli_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "in the way" in proc.stderr, proc.stderr
