from __future__ import annotations

from pathlib import Path

import pytest

from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe

# Two families, three sample shards each way, probes, a balance cap and a two-stage curriculum
# whose second stage weights two families 2:1 in tokens.
RECIPE = """
name: export-test
seed: 7
shard_size: 250
logic:
  generators:
    - {family: arithmetic, count: 750, probes: 30}
    - {family: pointer_chasing, count: 500}
export:
  balance: {by: [family, difficulty], cap: 120}
  mix:
    stages:
      - {name: facts, weights: {logic.arithmetic: 1}, tokens: 15000}
      - {name: compositions, weights: {"logic.pointer*": 2, logic.arithmetic: 1}}
  tokenizer: {train: {vocab_size: 800}}
  pack: {seq_len: 64}
"""


def build_run(root: Path, text: str = RECIPE, workers: int = 1) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "recipe.yaml"
    path.write_text(text)
    with LocalExecutor(workers) as ex:
        return build(load_recipe(path), root / "run", ex, recipe_file=path).root


@pytest.fixture(scope="package")
def export_run(tmp_path_factory) -> Path:
    """One built run shared by the export tests (a few seconds)."""
    return build_run(tmp_path_factory.mktemp("export"))
