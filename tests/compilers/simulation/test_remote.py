"""Someone else's environment over MCP: a server process (here the files environment served by
its own command line, as any third-party server would be), a tasks file with gold plans, the
trajectories made through the official client and replayed on a fresh server process."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.mcp import stdio_command
from synthcompile.compilers.simulation.remote import RecordedTools, Remote, scripted, task_of
from synthcompile.compilers.simulation.tools import CallRejected
from synthcompile.compilers.simulation.trajectory import Trajectory, rollout
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.run import RunDir


def _tasks(world: int) -> list[dict]:
    env = envs.get("files")(world)
    config = sorted(p for p in env.files if p.endswith("/config.ini"))[0]
    port = next(line.split(" = ")[1] for line in env.files[config].splitlines() if line.startswith("port"))
    good = {"instruction": f"What is port set to in {config}?", "answer": port,
            "calls": [{"name": "read_file", "arguments": {"path": config}}]}
    return [good,
            {**good, "answer_text": "The port is 1.\nAnswer: 1"},                      # says another answer
            {**good, "calls": [{"name": "read_file", "arguments": {"path": 7}}]},       # breaks the schema
            {**good, "calls": [{"name": "format_disk", "arguments": {}}]},              # no such tool
            {"answer": "x"},                                                            # no instruction
            {"instruction": "Move /etc/hosts to /tmp/hosts.", "answer": None,
             "calls": [{"name": "move", "arguments": {"source": "/etc/hosts", "destination": "/tmp/hosts"}}]}]


def test_a_third_party_server_with_gold_plans(tmp_path):
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in _tasks(5)))
    recipe = tmp_path / "r.yaml"
    command = json.dumps(stdio_command("files") + ["--world", "5"])
    recipe.write_text(f"name: remote\nseed: 1\nsimulation:\n  servers:\n    somefs:\n      command: {command}\n"
                      f"      tasks: tasks.jsonl\n      policy: 'Never touch /etc.'\n  template: plain\n")
    with LocalExecutor(1) as ex:
        run = build(load_recipe(recipe), tmp_path / "run", ex, recipe_file=recipe)
    rows = [r for p in RunDir(run.root).stage_shards("simulation") for r in pq.read_table(run.root / p).to_pylist()]
    assert len(rows) == 2  # the good task, and the /etc move (a server does not enforce our policies)
    good = rows[0]
    assert good["family"] == "simulation.somefs" and good["verdict"]["verifier"] == "simulation.replay"
    assert json.loads(good["tool_calls"])[0]["result"] == envs.get("files")(5).call(
        "read_file", {"path": _tasks(5)[0]["calls"][0]["arguments"]["path"]})
    assert "Never touch /etc." in good["text"] and "Call: read_file" in good["text"]
    quarantine = json.dumps(json.loads((run.root / "quarantine.json").read_text()))
    for cause in ("replay_failed:wrong_answer", "replay_failed:schema_error", "replay_failed:unknown_tool",
                  "bad task"):
        assert cause in quarantine, cause


def test_a_policy_rerun_against_the_record():
    remote = Remote("files", envs.get("files").specs())
    task = task_of(remote, _tasks(3)[0], 1)
    env = envs.get("files")(3)
    traj = rollout(task, scripted(task), env)
    again = rollout(task, scripted(task), RecordedTools(Trajectory.from_json(traj.to_json())))
    assert again.to_json() == traj.to_json()
    tools = RecordedTools(traj)
    try:
        tools.call("read_file", {"path": "/elsewhere"})
    except CallRejected as e:
        assert "the record's call 0 is read_file" in str(e)
    else:
        raise AssertionError("a call the record does not hold must be refused")
