"""The flywheel: attempts classified by cause against the expert, pass rates per cell, harder
variants, a targeted plan; one round through the CLI against a real HTTP server."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from synthcompile.cli import app
from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.flywheel import Round, TaskResult, classify, flywheel_tasks, harden, plan_next
from synthcompile.compilers.simulation.replay import replay
from synthcompile.compilers.simulation.trajectory import Step, Trajectory

ROOT = Path(__file__).resolve().parents[3]
Files = envs.get("files")


def _recorded(traj: Trajectory, calls: list[tuple[str, dict]], answer: str | None = None) -> Trajectory:
    env = Files(traj.task.world)
    steps = [Step("", n, a, env.call(n, a)) for n, a in calls]
    return Trajectory(traj.task, steps, traj.answer if answer is None else answer, "")


def _cause(attempt: Trajectory, gold: Trajectory) -> str:
    return classify(attempt, replay(attempt, Files), gold)


def test_failures_are_classified_against_the_expert():
    golds = [expert_episode(Files, sample_task(Files, 40 + i, 3, i)) for i in range(60)]
    changed = [g for g in golds if g.task.kind == "change_setting"]
    assert changed
    g = changed[0]
    calls = [(s.name, dict(s.arguments)) for s in g.steps]
    assert _cause(g, g) == "passed"
    wrong_arg = copy.deepcopy(calls)
    wrong_arg[-1][1]["new"] = wrong_arg[-1][1]["new"].replace("= ", "= 1")
    assert _cause(_recorded(g, wrong_arg), g) == "wrong_argument"
    assert _cause(_recorded(g, calls[:-1]), g) == "incomplete"
    wrong_tool = calls[:-1] + [("move", {"source": calls[1][1]["path"], "destination": "/tmp/x"})]
    assert _cause(_recorded(g, wrong_tool), g) == "wrong_tool"
    bad_schema = copy.deepcopy(g)
    bad_schema.steps[0].arguments = {"pattern": 3}
    assert _cause(bad_schema, g) == "schema_error"
    answered = next(t for t in golds if t.task.answer is not None and not t.task.trap)
    assert _cause(_recorded(answered, [(s.name, s.arguments) for s in answered.steps], "Answer: 12345"),
                  answered) == "wrong_answer"
    edit_first = [("edit", {"path": calls[1][1]["path"], "old": "x", "new": "y"})] + calls
    assert _cause(_recorded(g, edit_first), g) == "policy_violation"


def test_harder_variants_offer_every_tool_and_one_more_fault_and_stay_solvable():
    for i in range(30):
        task = sample_task(Files, 70 + i, 1 + i % 4, i, faults=1 if i % 4 >= 2 else 0)
        hard = harden(Files, task, random.Random(i))
        assert set(hard.tools) == set(Files.specs())
        assert len(hard.faults) == len(task.faults) + 1
        assert replay(expert_episode(Files, hard), Files).ok


def test_plan_aims_at_the_failures():
    results = [TaskResult("files", 1, "read_setting", 4, 4), TaskResult("files", 1, "read_setting", 4, 4),
               TaskResult("files", 3, "change_setting", 4, 1, causes={"missed_fault": 3}),
               TaskResult("files", 4, "edit_etc", 4, 0, causes={"policy_violation": 4})]
    r = Round(results)
    cells = r.cells()
    assert cells[("files", 1)]["pass_rate"] == 1 and cells[("files", 4)]["pass_rate"] == 0
    plan = plan_next(r, 700, {"files": [1, 2, 3, 4]})
    spec = plan["simulation"]["environments"]["files"]
    assert spec["levels"] == [3, 4] and spec["count"] == 700
    assert plan["simulation"]["faults"]["per_level"][3] == 2  # faults were missed: more of them
    assert plan["harder"] == ["files:1"]
    assert "| files | 3 | 1 | 25% | 0 / 1 / 0 | missed_fault 3 |" in r.markdown()


def test_a_round_through_the_cli(tmp_path):
    recipe = tmp_path / "fly.yaml"
    tasks = flywheel_tasks("files", [1, 2, 3, 4], 3, 5, {3: 1, 4: 2})
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(t.to_json()) + "\n" for t in tasks))
    proc = subprocess.Popen([sys.executable, "-m", "tests.compilers.simulation.expert_server",
                             str(tmp_path / "tasks.jsonl")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{proc.stdout.readline().strip()}/v1"
        recipe.write_text(f"name: fly\nseed: 5\nsimulation:\n  environments: {{files: 10}}\n"
                          f"  model:\n    llm: {{backend: openai, url: '{url}', model: expert}}\n    attempts: 3\n")
        result = CliRunner().invoke(app, ["flywheel", str(recipe), "--out", str(tmp_path / "fw"), "--tasks", "3",
                                          "--budget", "100"])
    finally:
        proc.kill()
        proc.wait()
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "fw" / "round.json").read_text())
    assert {c["level"] for c in report["cells"]} == {1, 2, 3, 4}
    assert sum(c["attempts"] for c in report["cells"]) == 36
    # the stand-in errs on every third seed: wrong answers on the tasks that have an answer
    assert set(report["causes"]) == {"wrong_answer"}
    assert 0 < sum(c["passed"] for c in report["cells"]) < 36
    plan = yaml.safe_load((tmp_path / "fw" / "targeted.yaml").read_text())
    assert plan["simulation"]["environments"]["files"]["count"] >= 1
    assert "pass rate per environment x level" in (tmp_path / "fw" / "report.md").read_text()
