"""`synthcompile lab` through the real CLI: train, eval, curves, compare."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from synthcompile.cli import app


def test_train_eval_compare(logic_run, tmp_path):
    config = tmp_path / "lab.yaml"
    config.write_text(f"""
name: cli
run: {logic_run}
out: out
model: {{preset: llama-tiny}}
train: {{batch_size: 4, seq_len: 128, eval_every: 10, checkpoint_every: 10}}
phases:
  - {{name: all, steps: 20, warmup: 2}}
probe: {{every: 10, limit: 5, max_new_tokens: 4}}
""")
    runner = CliRunner()
    result = runner.invoke(app, ["lab", "train", str(config)])
    assert result.exit_code == 0, result.output
    assert "probe accuracy by family" in result.output
    out = tmp_path / "out"
    result = runner.invoke(app, ["lab", "eval", str(out), "--limit", "7", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["probes"] == 7 and set(report["groups"]["family"]) == {"logic.syllogisms"}
    result = runner.invoke(app, ["lab", "curves", str(out)])
    assert result.exit_code == 0 and (out / "curves-family.png").is_file()
    result = runner.invoke(app, ["lab", "compare", str(out), "--out", str(tmp_path / "c.html")])
    assert result.exit_code == 0 and (tmp_path / "c.html").read_text().startswith("<!doctype html>")
