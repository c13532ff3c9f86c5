"""The recipe's curate section: located errors for impossible LSH settings and missing files."""

from __future__ import annotations

import pytest

from synthcompile.recipe import RecipeErrors, load_recipe

HEAD = """name: t
logic:
  generators:
    - family: arithmetic
      count: 10
curate:
"""


@pytest.mark.parametrize("body, message", [
    ("  near: {bands: 30, rows: 5, num_perm: 100}\n", "exceeds num_perm"),
    ("  near: {bands: 2, rows: 10}\n", "find only"),
    ("  decontam: {eval_sets: [{path: missing.jsonl}]}\n", "no such file"),
    ("  strucure: {max_per_skeleton: 3}\n", "did you mean 'structure'"),
    ("  shards_per_bucket: 0\n", "greater than 0"),
    ("  decontam: {min_containment: 1.5}\n", "less than or equal to 1"),
])
def test_bad_curate_sections_fail_with_their_line(write_recipe, body, message):
    with pytest.raises(RecipeErrors) as err:
        load_recipe(write_recipe(HEAD + body))
    assert message in str(err.value)
    assert ":7:" in str(err.value)


def test_eval_set_paths_resolve_next_to_the_recipe(write_recipe, tmp_path):
    (tmp_path / "eval.jsonl").write_text('{"text": "x"}\n')
    recipe = load_recipe(write_recipe(HEAD + "  decontam: {eval_sets: [{path: eval.jsonl}]}\n"))
    assert recipe.curate.decontam.eval_sets[0].path == str(tmp_path / "eval.jsonl")
