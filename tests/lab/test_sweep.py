"""Sweeps: a grid of arms x models x seeds, built, trained (several cells at once) and compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthcompile.errors import RecipeError, UserError
from synthcompile.lab.config import load_lab_config
from synthcompile.recipe import RecipeErrors
from synthcompile.lab.sweep import load_sweep, plan_cells, run_sweep
from tests.lab.conftest import RECIPE

SWEEP = """
name: tiny-sweep
out: out
arms:
  - {name: all, recipe: recipe.yaml}
  - {name: none, recipe: recipe.yaml, exclude: [logic.syllogisms-nothing]}
models: [llama-tiny]
seeds: [1]
train:
  threads: 1   # a cell's losses depend on its thread count, which the plan would vary with jobs
  train: {batch_size: 8, seq_len: 64, eval_every: 1000, checkpoint_every: 1000, eval_documents: 8}
  phases: [{name: all, steps: 12, lr: 0.01, warmup: 2}]
  probe: {limit: 8, max_new_tokens: 4}
"""


def write_sweep(root: Path, sweep: str = SWEEP, recipe: str = RECIPE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "recipe.yaml").write_text(recipe)
    (root / "sweep.yaml").write_text(sweep)
    return root / "sweep.yaml"


def cell_results(out: Path) -> dict[str, tuple]:
    """Per cell: its loss log and its probe verdicts (what must not depend on scheduling)."""
    results = {}
    for cell in sorted(p for p in out.iterdir() if (p / "probe.json").is_file()):
        losses = [json.loads(ln).get("loss") for ln in (cell / "log.jsonl").read_text().splitlines()]
        probes = json.loads((cell / "probe.json").read_text())
        results[cell.name] = (losses, probes["accuracy"], probes["probes"])
    return results


def test_cells_trained_side_by_side_match_cells_trained_in_turn(tmp_path):
    one = run_sweep(load_sweep(write_sweep(tmp_path / "a")), jobs=1, say=lambda m: None)
    two = run_sweep(load_sweep(write_sweep(tmp_path / "b")), jobs=2, say=lambda m: None)
    seq, par = cell_results(one.parent), cell_results(two.parent)
    assert sorted(seq) == ["all-llama-tiny-s1", "none-llama-tiny-s1"]
    assert seq == par
    html = two.read_text()
    assert "all-llama-tiny-s1" in html and "none-llama-tiny-s1" in html


def test_cells_share_the_cores_unless_they_name_their_threads(tmp_path):
    from synthcompile.lab.models import cpu_threads

    sweep = load_sweep(write_sweep(tmp_path, SWEEP.replace("  threads: 1", "").replace("seeds: [1]", "seeds: [1, 2]")))
    configs = [sweep.cell_config(a, m, s, tmp_path) for a, m, s in sweep.cells()]
    cores = cpu_threads()
    jobs, planned = plan_cells(configs)
    assert jobs == min(4, cores) and {c.threads for c in planned} == {max(1, cores // jobs)}
    assert [c.content_hash() for c in planned] == [c.content_hash() for c in configs]
    jobs, planned = plan_cells(configs, jobs=1)
    assert jobs == 1 and {c.threads for c in planned} == {cores}  # one at a time: every core
    named = [c.model_copy(update={"threads": 3}) for c in configs]
    jobs, planned = plan_cells(named)
    assert jobs == max(1, min(4, cores // 3)) and {c.threads for c in planned} == {3}


def test_an_edited_recipe_retrains_its_cells(tmp_path):
    path = write_sweep(tmp_path)
    run_sweep(load_sweep(path), jobs=1, say=lambda m: None)
    cell = tmp_path / "out" / "all-llama-tiny-s1"
    before = json.loads((cell / "lab.json").read_text())["hash"]
    # Same config, different data: the old probe results must not be reused.
    (tmp_path / "recipe.yaml").write_text(RECIPE.replace("seed: 5", "seed: 6"))
    said: list[str] = []
    run_sweep(load_sweep(path), jobs=1, arms=["all"], say=said.append)
    after = json.loads((cell / "lab.json").read_text())
    assert after["hash"] != before
    assert any("probe accuracy" in m for m in said)  # it trained and probed again
    assert json.loads((cell / "result.json").read_text())["finished"]


def test_sweep_errors_are_located(tmp_path):
    bad = write_sweep(tmp_path, SWEEP.replace("seeds: [1]", "seeds: [1]\nsedes: [2]"))
    with pytest.raises(RecipeErrors) as exc:
        load_sweep(bad)
    assert "sweep.yaml" in str(exc.value) and "sedes" in str(exc.value)
    with pytest.raises(UserError, match="no arm named nope"):
        run_sweep(load_sweep(write_sweep(tmp_path / "c")), arms=["nope"])


def test_missing_and_malformed_files_are_named_by_kind(tmp_path):
    (tmp_path / "list.yaml").write_text("- not a mapping\n")
    for load, kind in [(load_sweep, "sweep"), (load_lab_config, "lab config")]:
        with pytest.raises(RecipeError, match=f"nope.yaml: no such {kind} file"):
            load(tmp_path / "nope.yaml")
        with pytest.raises(RecipeError, match=f"list.yaml:1: a {kind} is a mapping of keys"):
            load(tmp_path / "list.yaml")
