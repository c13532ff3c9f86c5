"""A lab model as the simulation policy, in closed loop: the environment executes its calls.

A tiny model trained for a few steps on plain-rendered trajectories cannot solve tasks; what is
checked is the loop: its text is parsed into calls, the calls run against a fresh world (a
malformed one is recorded and rejected), results go back into its context, and every attempt is
replayed and classified by the flywheel."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from synthcompile.cli import app
from synthcompile.compilers.simulation.lab_policy import parse_turn
from synthcompile.lab.experiment import train_and_probe
from tests.lab.conftest import build_run, lab_config

RECIPE = """
name: lab-agents-test
seed: 3
simulation:
  environments: {files: {count: 80, levels: [1, 2], probes: 4}}
  template: plain
export:
  tokenizer: {train: {vocab_size: 800}}
  pack: {seq_len: 256}
"""


def test_parse_turn():
    assert parse_turn('Thought: read it\nCall: read_file {"path": "/a"}\n') == \
        ("read it", ("read_file", {"path": "/a"}), 'Thought: read it\nCall: read_file {"path": "/a"}')
    assert parse_turn("Thought: done\nAssistant: It is 3.\nAnswer: 3")[1] is None
    assert parse_turn("Call: read_file {oops")[1] == ("read_file", "{oops")


def test_a_lab_model_runs_in_closed_loop(tmp_path):
    run = build_run(tmp_path / "build", RECIPE)
    out = tmp_path / "lab"
    config = lab_config(run, out, phases=[{"name": "all", "steps": 30, "lr": 0.01, "warmup": 3}],
                        probe={"max_new_tokens": 8, "limit": 2})
    train_and_probe(config)
    recipe = tmp_path / "build" / "recipe.yaml"
    result = CliRunner().invoke(app, ["flywheel", str(recipe), "--out", str(tmp_path / "fw"), "--tasks", "2",
                                      "--lab-model", str(out / "model")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "fw" / "round.json").read_text())
    assert sum(c["attempts"] for c in report["cells"]) == 4  # 2 tasks x 2 levels, one greedy attempt each
    assert sum(c["passed"] for c in report["cells"]) + sum(report["causes"].values()) == 4
