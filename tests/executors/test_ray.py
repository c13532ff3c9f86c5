"""The Ray executor on a real local Ray instance: loopback only, same bytes, retries, resume."""

from __future__ import annotations

import importlib.util
import ipaddress
import itertools
import shutil
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from synthcompile import layout
from synthcompile.compilers.logic.stage import LogicStage
from synthcompile.executors.local import LocalExecutor
from synthcompile.executors.ray import RayExecutor, start_local_ray  # neither imports ray yet
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from tests.conftest import CLI, ROOT, cli_env

pytestmark = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="needs ray: pip install 'synthcompile[ray]'")

RECIPE = """\
name: ray-small
audit: null
seed: 5
shard_size: 100
logic:
  forms: {plain: 1, think: 1, terse: 1}
  generators:
    - family: arithmetic
      count: 300
      probes: 40
    - family: pointer_chasing
      count: 200
      difficulty: [2, 3]
"""
SHARDS = 3 + 1 + 2


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for the module: starting one costs seconds."""
    start_local_ray(num_cpus=2)  # before any `import ray`: it keeps Ray on loopback
    import ray

    # This module's stage subclass must reach workers by value: they cannot import test files.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


def ray_build(recipe_path: Path, out: Path, workers: int = 2, progress=None) -> Path:
    with RayExecutor(workers) as ex:
        build(load_recipe(recipe_path), out, ex, recipe_file=recipe_path, progress=progress)
    return out


def local_build(recipe_path: Path, out: Path) -> Path:
    with LocalExecutor(1) as ex:
        build(load_recipe(recipe_path), out, ex, recipe_file=recipe_path)
    return out


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under a run directory, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def listening_sockets(procs: list[psutil.Process]) -> list[tuple[str, str]]:
    """(process name, address) of every TCP listener and bound UDP socket of ``procs``."""
    found = []
    for p in procs:
        for c in p.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN or (c.type == socket.SOCK_DGRAM and not c.raddr):
                found.append((p.name(), c.laddr.ip))
    return found


def is_loopback(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped  # ::ffff:127.0.0.1 is the IPv4 loopback seen by a dual-stack socket
    return addr.is_loopback


def test_local_instance_listens_on_loopback_only(local_ray):
    ray = local_ray

    @ray.remote
    def pid():
        time.sleep(0.2)  # hold the worker so both CPUs get one
        return os.getpid()

    worker_pids = set(ray.get([pid.remote() for _ in range(4)]))
    driver = psutil.Process()
    procs = [driver, *driver.children(recursive=True)]
    assert worker_pids <= {p.pid for p in procs}
    sockets = listening_sockets(procs)
    names = {name for name, _ in sockets}
    # The check must have seen Ray's servers, or it proves nothing.
    assert {"gcs_server", "raylet"} <= names, sockets
    assert len(sockets) >= 4
    exposed = [(name, ip) for name, ip in sockets if not is_loopback(ip)]
    assert exposed == []
    assert ray.util.get_node_ip_address() == "127.0.0.1"


def small_quickstart(write_recipe) -> Path:
    """recipes/quickstart.yaml with every stage it has, scaled down to a few samples per family."""
    data = yaml.safe_load((ROOT / "recipes" / "quickstart.yaml").read_text())
    data["shard_size"] = 10
    for gen in data["logic"]["generators"]:
        gen["count"], gen["probes"] = 20, min(gen.get("probes", 0), 3)
    if data.get("documents"):  # program-side only: the embedded model has its own tests
        data["documents"].pop("strategies", None)
        data["documents"].pop("llm", None)
    if data.get("simulation"):  # two shards of every environment
        data["simulation"]["environments"] = {name: 20 for name in data["simulation"]["environments"]}
        data["simulation"]["episodes_per_shard"] = 10
    train = data.get("export", {}).get("tokenizer", {}).get("train", {})
    if "vocab_size" in train:
        train["vocab_size"] = 512
    return write_recipe(yaml.safe_dump(data, sort_keys=False))


def test_quickstart_on_ray_is_byte_identical_to_local(local_ray, write_recipe, tmp_path):
    path = small_quickstart(write_recipe)
    local = tree_bytes(local_build(path, tmp_path / "local"))
    on_ray = tree_bytes(ray_build(path, tmp_path / "ray"))
    shards = sum(len(g["shards"]) for g in json.loads(local["manifest.json"])["stages"].values())
    assert shards > 2 * len(load_recipe(path).logic.generators)  # several shards per generator
    assert sum("/completions/" in k for k in local) == shards
    assert on_ray.keys() == local.keys()
    assert [k for k in local if local[k] != on_ray[k]] == []


class StallingLogicStage(LogicStage):
    """The logic stage, except that one shard's first attempt writes a batch, records its PID
    and waits to be killed. Attempts after the first (the PID file exists) run normally."""

    def __init__(self, inner: LogicStage, victim: str, pid_file: str):
        super().__init__(inner.section, inner.shard_size)
        self.victim, self.pid_file = victim, pid_file

    def shaped_by(self):  # the stall is a test hook: the output is the logic stage's
        return LogicStage(self.section, self.shard_size).shaped_by()

    def run_shard(self, spec, ctx):
        pid_file = Path(self.pid_file)
        if spec.name == self.victim and not pid_file.exists():
            yield from itertools.islice(super().run_shard(spec, ctx), 1)  # a row group in the tmp file
            pid_file.write_text(str(os.getpid()))
            time.sleep(60)
            raise RuntimeError("the test did not kill this worker")
        yield from super().run_shard(spec, ctx)


def test_killed_worker_is_retried_with_nothing_lost_or_duplicated(local_ray, write_recipe, tmp_path,
                                                                 monkeypatch):
    from synthcompile import pipeline

    path = write_recipe(RECIPE)
    expected = tree_bytes(local_build(path, tmp_path / "local"))
    victim = "arithmetic-train-00001"
    pid_file = tmp_path / "victim.pid"
    monkeypatch.setattr(pipeline, "stages_for", lambda recipe: [StallingLogicStage(
        LogicStage(recipe.logic, recipe.shard_size), victim, str(pid_file))])
    killed: list[int] = []

    def kill_when_stalled():
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_file.exists():
            pid = int(pid_file.read_text())
            tmp_files = list((tmp_path / "ray" / "samples" / "logic").glob(f"{victim}.parquet.*.tmp"))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            killed.append(len(tmp_files))

    killer = threading.Thread(target=kill_when_stalled)
    killer.start()
    try:
        out = ray_build(path, tmp_path / "ray")
    finally:
        killer.join()
    pid, partial_files = killed
    assert pid != os.getpid() and not psutil.pid_exists(pid)
    assert partial_files == 1  # it was killed mid-shard, with a partly written file
    assert tree_bytes(out) == expected  # complete, identical, and no leftover temporaries


class FailOnceLogicStage(LogicStage):
    """The logic stage, except that one shard's first attempt raises ``error``."""

    def __init__(self, inner: LogicStage, victim: str, error: type[Exception], flag_file: str):
        super().__init__(inner.section, inner.shard_size)
        self.victim, self.error, self.flag_file = victim, error, flag_file

    def shaped_by(self):
        return LogicStage(self.section, self.shard_size).shaped_by()

    def run_shard(self, spec, ctx):
        flag = Path(self.flag_file)
        if spec.name == self.victim and not flag.exists():
            flag.write_text("raised")
            raise self.error(f"first attempt at {spec.name}")
        yield from super().run_shard(spec, ctx)


@pytest.mark.parametrize("error, retried", [(OSError, True), (ValueError, False)])
def test_transient_errors_are_retried_and_bugs_are_not(local_ray, write_recipe, tmp_path,
                                                       monkeypatch, error, retried):
    from synthcompile import pipeline

    path = write_recipe(RECIPE)
    flag = tmp_path / "raised"
    monkeypatch.setattr(pipeline, "stages_for", lambda recipe: [FailOnceLogicStage(
        LogicStage(recipe.logic, recipe.shard_size), "arithmetic-probe-00000", error, str(flag))])
    if retried:
        out = ray_build(path, tmp_path / "ray")
        assert flag.exists()
        monkeypatch.undo()
        assert tree_bytes(out) == tree_bytes(local_build(path, tmp_path / "local"))
    else:
        with pytest.raises(ValueError, match="first attempt at arithmetic-probe-00000"):
            ray_build(path, tmp_path / "ray")
        assert flag.exists()
        assert not (tmp_path / "ray" / layout.marker("logic", "arithmetic-probe-00000")).exists()


class Recorder:
    def __init__(self):
        self.started: list[tuple[int, int]] = []
        self.done: list[str] = []

    def stage_started(self, stage, total, done, rebuild):
        self.started.append((total, done))

    def shard_done(self, result):
        self.done.append(result.name)


def test_rerun_on_ray_redoes_only_incomplete_shards(local_ray, write_recipe, tmp_path):
    path = write_recipe(RECIPE)
    first = Recorder()
    out = ray_build(path, tmp_path / "ray", progress=first)
    assert first.started == [(SHARDS, 0)] and len(first.done) == SHARDS
    before = tree_bytes(out)
    (out / layout.marker("logic", "pointer_chasing-train-00001")).unlink()
    again = Recorder()
    ray_build(path, out, progress=again)
    assert again.started == [(SHARDS, SHARDS - 1)]
    assert again.done == ["pointer_chasing-train-00001"]
    assert tree_bytes(out) == before


def test_cli_builds_on_a_fresh_local_ray(write_recipe, tmp_path):
    """The user's path: a new process whose executor starts (and stops) its own Ray instance."""
    path = write_recipe(RECIPE)
    expected = tree_bytes(local_build(path, tmp_path / "local"))
    proc = subprocess.run([*CLI, "build", str(path), "--out", str(tmp_path / "cli"),
                           "--executor", "ray", "--workers", "1"],
                          capture_output=True, text=True, env=cli_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    cli = tree_bytes(tmp_path / "cli")
    # The CLI may add reports of its own beside the build's files; those must match exactly.
    assert {k: cli.get(k) for k in expected} == expected
    assert not [k for k in cli if k.endswith(".tmp")]


def test_cli_rejects_address_without_ray_executor(write_recipe, tmp_path):
    proc = subprocess.run([*CLI, "build", str(write_recipe(RECIPE)), "--out", str(tmp_path / "x"),
                           "--address", "127.0.0.1:6379"],
                          capture_output=True, text=True, env=cli_env(), timeout=60)
    assert proc.returncode == 2
    assert "--executor ray" in proc.stderr
    assert not (tmp_path / "x").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_joins_an_existing_cluster_by_address(write_recipe, tmp_path):
    """`--executor ray --address HOST:PORT`: a head node started apart (`ray start --head`, on
    loopback), joined by the CLI; the build runs on it and the head keeps running after."""
    path = write_recipe(RECIPE)
    expected = tree_bytes(local_build(path, tmp_path / "local"))
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths have a limit
    # Keep the test's head on loopback; join it as a user would, with Ray's token authentication
    # (the head writes ~/.ray/auth_token if there is none; a client uses it in token mode).
    env = cli_env() | {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token"}
    ray_cli = str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen([ray_cli, "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
                             "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false",
                             "--disable-usage-stats", "--temp-dir", temp_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the GCS port
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert head.poll() is None, head.stderr.read().decode()
            time.sleep(0.2)
        proc = subprocess.run([*CLI, "build", str(path), "--out", str(tmp_path / "cli"),
                               "--executor", "ray", "--address", f"127.0.0.1:{port}"],
                              capture_output=True, text=True, env=env, timeout=180)
        assert proc.returncode == 0, proc.stderr
        assert head.poll() is None  # the CLI left the cluster running: it did not own it
        cli = tree_bytes(tmp_path / "cli")
        assert {k: cli.get(k) for k in expected} == expected
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # `--block` stops its Ray processes on SIGTERM
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)
