"""A corpus of bad recipes (tests/data/bad_recipes.yaml, grown with every bug found): each fails
to load with a located error, ``file:line: field: message``, naming its problem; never another
exception. A few go through the CLI too: exit 2 and no traceback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from synthcompile.errors import RecipeError
from synthcompile.recipe import load_recipe
from tests.conftest import CLI, cli_env

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "bad_recipes.yaml").read_text())


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 100 and len({c["name"] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_a_bad_recipe_is_a_located_error(tmp_path, case):
    path = tmp_path / "recipe.yaml"
    path.write_text(case["recipe"])
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    message = str(err.value)
    assert re.search(rf"{re.escape(str(path))}(:\d+)?: ", message), message
    assert case["error"].lower() in message.lower(), message


@pytest.mark.parametrize("name", ["name absolute", "generator family: arithmetic, count: 1e12", "bad yaml",
                                  "memory seed: {fictional: {people: 1000000000}}"])
def test_the_cli_exits_2_without_a_traceback(tmp_path, name):
    case = next(c for c in CORPUS if c["name"] == name)
    path = tmp_path / "recipe.yaml"
    path.write_text(case["recipe"])
    proc = subprocess.run([*CLI, "build", str(path), "--out", str(tmp_path / "run")], capture_output=True,
                          text=True, env=cli_env(), timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and str(path) in proc.stderr, proc.stderr
    assert not (tmp_path / "run").exists()
