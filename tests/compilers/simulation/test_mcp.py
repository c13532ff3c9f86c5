"""MCP: a real server process (stdio, and streamable HTTP on 127.0.0.1) and the official client.
A trajectory made through MCP equals the in-process one; malformed calls are rejected the same way."""

from __future__ import annotations

import subprocess

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.mcp import stdio_command
from synthcompile.compilers.simulation.stage import _connect, _free_port, _McpWorld
from synthcompile.compilers.simulation.tools import CallRejected

ENVS = sorted(envs.BUILTIN)


@pytest.fixture(scope="module")
def http_server():
    """One server process per test module, serving the files environment over streamable HTTP."""
    port = _free_port()
    proc = subprocess.Popen([*stdio_command("files"), "--http", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tools = _connect(f"http://127.0.0.1:{port}/mcp", proc)
    yield tools
    tools.close()
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("name", ENVS)
def test_stdio_trajectories_equal_in_process(name):
    env_cls = envs.get(name)
    world = _McpWorld(name, "mcp-stdio")
    try:
        assert {n: s.parameters for n, s in world.tools.specs().items()} == \
               {n: s.parameters for n, s in env_cls.specs().items()}
        assert {n: s.kind for n, s in world.tools.specs().items()} == {n: s.kind for n, s in env_cls.specs().items()}
        for i in range(12):
            level = env_cls.levels[i % len(env_cls.levels)]
            task = sample_task(env_cls, 500 + i, level, i, faults=i % 3)
            assert world.episode(env_cls, task).to_json() == expert_episode(env_cls, task).to_json()
    finally:
        world.close()


def test_http_trajectories_equal_in_process(http_server):
    env_cls = envs.get("files")
    for i in range(20):
        task = sample_task(env_cls, 900 + i, 1 + i % 4, i, faults=i % 2)
        http_server.reset(task.world)
        env = env_cls(task.world)
        from synthcompile.compilers.simulation.faults import FaultyTools
        from synthcompile.compilers.simulation.trajectory import rollout

        tools = FaultyTools(http_server, task.faults, stale=lambda: env_cls(task.world))
        got = rollout(task, env.expert(task), tools, env.user_reply)
        assert got.to_json() == expert_episode(env_cls, task).to_json()


def test_malformed_calls_are_rejected_through_mcp_as_in_process(http_server):
    http_server.reset(1)
    env = envs.get("files")(1)
    for name, args in [("read_file", {"path": 3}), ("read_file", {}), ("read_file", {"path": "/a", "x": 1}),
                       ("no_such_tool", {})]:
        with pytest.raises(CallRejected) as remote:
            http_server.call(name, args)
        with pytest.raises(CallRejected) as local:
            env.call(name, args)
        assert (remote.value.cause, str(remote.value)) == (local.value.cause, str(local.value))
    # a refusal by the environment is a result, the same on both sides
    assert http_server.call("read_file", {"path": "/nope"}) == env.call("read_file", {"path": "/nope"}) == \
        {"error": "no such file: /nope"}
    with pytest.raises(CallRejected, match="unknown tool"):
        http_server.call("synthcompile_reset", {"world": 2})  # the compilers' tool is never an agent's


@pytest.mark.slow
def test_a_build_through_mcp_writes_the_in_process_bytes(tmp_path):
    from synthcompile.executors.local import LocalExecutor
    from synthcompile.pipeline import build
    from synthcompile.recipe import load_recipe

    def run(via: str):
        path = tmp_path / f"{via}.yaml"
        path.write_text("name: t\nseed: 3\nsimulation:\n  environments: {files: 40, shop: 40}\n"
                        f"  via: {via}\n  episodes_per_shard: 20\n")
        out = tmp_path / via
        with LocalExecutor(2) as ex:
            build(load_recipe(path), out, ex, recipe_file=path)
        return {p.name: pq.read_table(p) for p in sorted((out / "samples" / "simulation").glob("*.parquet"))}

    local, remote = run("process"), run("mcp-stdio")
    assert local and local.keys() == remote.keys()
    for name in local:
        assert local[name].equals(remote[name]), name
