from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from synthcompile.executors.local import LocalExecutor  # noqa: E402
from synthcompile.lab.config import parse_lab_config  # noqa: E402
from synthcompile.pipeline import build  # noqa: E402
from synthcompile.recipe import load_recipe  # noqa: E402

# One family, one surface form: the answer is "valid" or "invalid", so a tiny model that learns
# the task's format and its base rate beats its untrained self within a few hundred steps.
RECIPE = """
name: lab-test
seed: 5
logic:
  forms: {plain: 1}
  generators:
    - {family: syllogisms, count: 400, difficulty: [1], probes: 60}
export:
  tokenizer: {train: {vocab_size: 600}}
  pack: {seq_len: 64}
"""

MEMORY_RECIPE = """
name: lab-memory-test
seed: 5
memory:
  seed: {fictional: {people: 12}}
  verbalise: {multiplicity: 1, styles: {paragraph: 1}}
  questions: {inverse: false, two_hop: 1, three_hop: 0, comparisons: 0}
"""


def build_run(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "recipe.yaml"
    path.write_text(text)
    with LocalExecutor(1) as ex:
        return build(load_recipe(path), root / "run", ex, recipe_file=path).root


@pytest.fixture(scope="package")
def logic_run(tmp_path_factory) -> Path:
    return build_run(tmp_path_factory.mktemp("lab-logic"), RECIPE)


@pytest.fixture(scope="package")
def memory_run(tmp_path_factory) -> Path:
    return build_run(tmp_path_factory.mktemp("lab-memory"), MEMORY_RECIPE)


def lab_config(run: Path, out: Path, **changes):
    data = {"name": "tiny", "run": str(run), "out": str(out), "seed": 1,
            "model": {"preset": "llama-tiny"},
            "train": {"batch_size": 8, "seq_len": 128, "eval_every": 50, "checkpoint_every": 50,
                      "eval_documents": 16},
            "phases": [{"name": "all", "steps": 200, "lr": 0.01, "warmup": 10}],
            "probe": {"max_new_tokens": 8}}
    data.update(changes)
    return parse_lab_config(data)
