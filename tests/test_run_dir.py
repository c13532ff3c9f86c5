"""The run directory under faults: one build at a time, a start-up killed at any point resumes,
a failed rerun leaves the complete manifest, and a bad --out is a clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthcompile import layout
from synthcompile.errors import UserError
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.run import RunDir
from tests.conftest import CLI, cli_env

RECIPE = """\
name: tiny
seed: 3
shard_size: 50
logic:
  generators:
    - family: arithmetic
      count: 100
"""

HOLD = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0); os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
time.sleep(60)
"""


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=cli_env(), timeout=300)


def _build(recipe: Path, out: Path, **kw) -> RunDir:
    with LocalExecutor(1) as ex:
        return build(load_recipe(recipe), out, ex, recipe_file=recipe, **kw)


def test_a_second_build_into_a_folder_being_built_is_refused_naming_the_holder(write_recipe, tmp_path):
    recipe, out = write_recipe(RECIPE), tmp_path / "run"
    (out / "work").mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out / layout.LOCK)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = _cli("build", str(recipe), "--out", str(out))
        assert proc.returncode == 2 and f"being built by another process (PID {holder.pid})" in proc.stderr
        assert "Traceback" not in proc.stderr and not (out / layout.MANIFEST).exists()
    finally:
        holder.kill()
        holder.wait()
    assert _cli("build", str(recipe), "--out", str(out)).returncode == 0  # the kernel dropped the dead holder's lock


@pytest.mark.parametrize("left", [[], [layout.BUILD], [layout.BUILD, layout.RECIPE + ".tmp"]])
def test_a_start_up_killed_at_any_point_resumes(write_recipe, tmp_path, left):
    """What a kill leaves between creating the folder and writing the first shard."""
    recipe = write_recipe(RECIPE)
    whole = _build(recipe, tmp_path / "whole")
    out = tmp_path / "run"
    (out / "work").mkdir(parents=True)
    (out / layout.LOCK).write_text("12345\n")  # a dead build's lock file: not a lock
    for rel in left:
        src = whole.root / rel.removesuffix(".tmp")
        (out / rel).write_bytes(src.read_bytes() if src.is_file() else b"")
    if left:  # stats on a run whose build has not finished: a clear message, not a traceback
        with pytest.raises(UserError, match="has not finished"):
            RunDir(out).manifest()
    run = _build(recipe, out)
    shards = sorted(p.relative_to(run.root) for p in run.root.glob("samples/*/*.parquet"))
    assert shards and all((run.root / s).read_bytes() == (whole.root / s).read_bytes() for s in shards)


def test_a_failed_rerun_leaves_the_complete_manifest(write_recipe, tmp_path):
    recipe, out = write_recipe(RECIPE), tmp_path / "run"
    _build(recipe, out)
    before = (out / layout.MANIFEST).read_bytes()

    class Dies(LocalExecutor):
        def run(self, *args, **kwargs):
            raise KeyboardInterrupt  # as a kill at the first stage would

    with Dies(1) as ex, pytest.raises(KeyboardInterrupt):
        build(load_recipe(recipe), out, ex, recipe_file=recipe, rebuild=["logic"])
    assert (out / layout.MANIFEST).read_bytes() == before
    assert RunDir(out).manifest()["stages"]["logic"]["rows"] == 100


def test_a_changed_recipe_drops_the_old_manifest_at_once(write_recipe, tmp_path):
    recipe, out = write_recipe(RECIPE), tmp_path / "run"
    _build(recipe, out)
    recipe.write_text(RECIPE.replace("count: 100", "count: 120"))

    class Dies(LocalExecutor):
        def run(self, *args, **kwargs):
            raise KeyboardInterrupt

    with Dies(1) as ex, pytest.raises(KeyboardInterrupt):
        build(load_recipe(recipe), out, ex, recipe_file=recipe, overwrite=True)
    assert not (out / layout.MANIFEST).exists()  # it described the old recipe's build
    assert json.loads((out / layout.BUILD).read_text())["recipe"]["hash"] == load_recipe(recipe).content_hash()


def test_unreadable_run_files_are_clear_errors(write_recipe, tmp_path):
    recipe, out = write_recipe(RECIPE), tmp_path / "run"
    _build(recipe, out)
    (out / layout.MANIFEST).write_bytes(b"\\x00\\xff not json")
    with pytest.raises(UserError, match="unreadable"):
        RunDir(out).manifest()
    assert _build(recipe, out).manifest()["stages"]["logic"]["rows"] == 100  # the build marker says what it is
    (out / layout.BUILD).write_text("{truncated")
    proc = _cli("build", str(recipe), "--out", str(out))
    assert proc.returncode == 2 and "unreadable" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_out_is_a_clear_error(write_recipe, tmp_path):
    recipe = write_recipe(RECIPE)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for out in (a_file, a_file / "under"):
        proc = _cli("build", str(recipe), "--out", str(out))
        assert proc.returncode == 2 and "--out" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert a_file.read_text() == "x"


def test_worker_processes_die_with_a_killed_build(write_recipe, tmp_path):
    """SIGKILL to the build only (not its process group): its fork server and workers follow."""
    import os
    import signal
    import time

    psutil = pytest.importorskip("psutil")
    recipe = write_recipe(RECIPE.replace("count: 100", "count: 40000").replace("shard_size: 50", "shard_size: 400"))
    proc = subprocess.Popen([*CLI, "build", str(recipe), "--out", str(tmp_path / "run"), "--workers", "2"],
                            env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        children: list = []
        while time.monotonic() < deadline and len(children) < 4:  # tracker, fork server, two workers
            time.sleep(0.2)
            children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 4, "the pool never started"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [(p.pid, p.cmdline()[-1][:60]) for p in alive]
