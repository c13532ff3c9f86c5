"""The CLI as a user drives it: build, stats --json, inspect, list."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import CLI, cli_env
from tests.test_build import RECIPE


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, env=cli_env(), timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_build_stats_inspect(write_recipe, tmp_path):
    recipe = write_recipe(RECIPE)
    out = tmp_path / "run"
    proc = run("build", str(recipe), "--out", str(out), "--workers", "2")
    assert "logic.arithmetic" in proc.stdout and str(out.resolve()) in proc.stdout
    stats = json.loads(run("stats", str(out), "--json").stdout)
    assert stats["samples"] == 1100 and stats["verified"] == 1100 and stats["pass_rate"] == 1.0
    arith = stats["families"]["logic.arithmetic"]
    assert arith["samples"] == 650 and arith["by_split"]["probe"]["samples"] == 50
    assert sum(b["samples"] for b in arith["by_difficulty"].values()) == 650
    assert set(arith["by_form"]) == {"plain", "think", "terse"}
    assert stats["tokens"] == sum(f["tokens"] for f in stats["families"].values()) > 0

    shown = run("inspect", str(out), "--family", "logic.pointer_chasing", "--n", "2").stdout
    assert shown.count("pointer_chasing/train/") == 2 and "verified" in shown and "trace" in shown
    short = run("inspect", str(out), "--family", "pointer_chasing", "--n", "1").stdout
    assert short.count("pointer_chasing/train/") == 1  # the short name of logic.pointer_chasing
    missing = run("inspect", str(out), "--family", "logic.nothing", check=False)
    assert missing.returncode == 2 and "no family 'logic.nothing'" in missing.stderr
    misspelt = run("inspect", str(out), "--family", "arithmetik", check=False)
    assert misspelt.returncode == 2 and "did you mean 'logic.arithmetic'?" in misspelt.stderr


def test_list_shows_every_family():
    from synthcompile.compilers.logic.registry import families

    listing = run("list").stdout
    for name in families():
        assert name in listing


def test_stats_on_a_non_run_is_a_user_error(tmp_path):
    proc = run("stats", str(tmp_path), check=False)
    assert proc.returncode == 2 and "not a synthcompile run" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["build", "x.yaml", "--workers", "0"], "Invalid value for '--workers'"),
    (["build", "x.yaml", "--seed", "abc"], "Invalid value for '--seed'"),
    (["build"], "Missing argument"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["stats", "--jsn", "x"], "No such option: --jsn"),
])
def test_usage_errors_print_usage_and_exit_2(monkeypatch, capsys, args, message):
    from synthcompile import cli

    monkeypatch.setattr(sys, "argv", ["synthcompile", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Usage: synthcompile" in err and message in err
    assert "Traceback" not in err


def test_quarantined_inputs_show_in_stats_and_inspect_failed(tmp_path):
    """No silent loss: bad seed rows appear in stats, stats --json and inspect --failed."""
    (tmp_path / "e.jsonl").write_text('{"id": "a", "name": "Ada"}\n{"id": "b", "name": "Paris"}\n')
    (tmp_path / "t.jsonl").write_text('{"subject": "a", "relation": "born_in", "object": "b"}\n'
                                      '{"subject": "zz", "relation": "born_in", "object": "b"}\n{bad json\n')
    recipe = tmp_path / "kg.yaml"
    recipe.write_text("name: kg\nseed: 1\nmemory:\n  seed:\n    triples: {entities: e.jsonl, triples: t.jsonl}\n"
                      "  max_quarantined: 1\n")
    out = tmp_path / "run"
    run("build", str(recipe), "--out", str(out))
    assert "2 bad inputs quarantined" in run("stats", str(out)).stdout
    q = json.loads(run("stats", str(out), "--json").stdout)["quarantined"]["memory"]
    assert q["total"] == 2 and {r["reason"] for r in q["by_reason"]} == {"unknown entity 'zz' (subject)", "bad JSON"}
    shown = run("inspect", str(out), "--failed").stdout
    assert "t.jsonl:2 unknown entity 'zz'" in shown and "t.jsonl:3 bad JSON" in shown
