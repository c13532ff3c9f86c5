"""The export benchmarks import and their pieces run (bench/pack.py once broke unnoticed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from synthcompile.executors.local import PEAK_RSS, LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe

BENCH = Path(__file__).parents[2] / "bench"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_scripts_import_and_scale_recipes_load(tmp_path):
    load("pack")
    scale = load("scale")
    for factor in (1, 10):
        path = tmp_path / f"r{factor}.yaml"
        path.write_text(scale.recipe_text(factor))
        recipe = load_recipe(path)
        assert recipe.curate.exact and recipe.curate.near and recipe.curate.decontam and recipe.memory
    assert "people: 3000" in scale.recipe_text(10)


def test_fresh_workers_report_peak_rss_per_shard(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: r\nshard_size: 20\naudit: null\n"
                    "logic:\n  generators:\n    - {family: arithmetic, count: 60}\n")
    seen = []

    class Progress:
        def stage_started(self, stage, total, done, rebuild):
            pass

        def shard_done(self, result):
            seen.append(result)

    with LocalExecutor(1, fresh_workers=True) as ex:
        run = build(load_recipe(path), tmp_path / "run", ex, recipe_file=path, progress=Progress())
    assert len(seen) == 3 and all(r.stats[PEAK_RSS] > 10_000 for r in seen)  # kB: a Python process
    for marker in (run.root / "work" / "logic" / "completions").glob("*.json"):
        assert PEAK_RSS not in json.loads(marker.read_text())["stats"]  # not part of the run
