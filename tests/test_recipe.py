"""Bad recipes: one located message, exit code 2, never a traceback."""

from __future__ import annotations

import subprocess

import pytest

from synthcompile.errors import RecipeError
from synthcompile.recipe import load_recipe
from tests.conftest import CLI, cli_env

GOOD = """\
name: demo
seed: 3
logic:
  generators:
    - family: arithmetic
      count: 10
    - family: pointer_chasing
      count: 5
      difficulty: [1, 2]
"""


def _error(write_recipe, text: str) -> str:
    path = write_recipe(text)
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    return str(info.value)


def test_good_recipe_loads(write_recipe):
    recipe = load_recipe(write_recipe(GOOD))
    assert recipe.seed == 3 and len(recipe.logic.generators) == 2
    assert load_recipe(write_recipe(GOOD), seed=4).content_hash() != recipe.content_hash()


def test_unknown_key_names_line_field_and_suggestion(write_recipe):
    msg = _error(write_recipe, GOOD.replace("      difficulty: [1, 2]", "      dificulty: [1, 2]"))
    assert msg.endswith("recipe.yaml:9: logic.generators[1]: unknown key 'dificulty' (did you mean 'difficulty'?)")


def test_unknown_top_level_key(write_recipe):
    msg = _error(write_recipe, GOOD.replace("seed: 3", "sed: 3"))
    assert "recipe.yaml:2: unknown key 'sed' (did you mean 'seed'?)" in msg


def test_wrong_type(write_recipe):
    msg = _error(write_recipe, GOOD.replace("count: 10", "count: many"))
    assert "recipe.yaml:6: logic.generators[0].count:" in msg and "'many'" in msg


def test_negative_count(write_recipe):
    msg = _error(write_recipe, GOOD.replace("count: 10", "count: -5"))
    assert "recipe.yaml:6: logic.generators[0].count: Input should be greater than 0" in msg


def test_unknown_family_with_suggestion(write_recipe):
    msg = _error(write_recipe, GOOD.replace("family: arithmetic", "family: arithmetik"))
    assert "recipe.yaml:5: logic.generators[0].family: unknown family 'arithmetik' (did you mean 'arithmetic'?)" in msg


def test_unknown_difficulty_level(write_recipe):
    msg = _error(write_recipe, GOOD.replace("[1, 2]", "[1, 9]"))
    assert "recipe.yaml:9: logic.generators[1].difficulty: pointer_chasing has no difficulty level 9" in msg


def test_family_params_are_validated(write_recipe):
    text = GOOD.replace("      count: 10\n", "      count: 10\n      params:\n        digitz: 3\n")
    msg = _error(write_recipe, text)
    assert "recipe.yaml:8: logic.generators[0].params: unknown key 'digitz' (did you mean 'digits'?)" in msg
    text = GOOD.replace("      count: 10\n", "      count: 10\n      params:\n        digits: 0\n")
    assert "logic.generators[0].params.digits: Input should be greater than or equal to 1" in _error(write_recipe, text)


def test_params_are_validated_at_every_level_the_generator_uses(write_recipe):
    # nodes: 10 is fine at levels 1-3 (hops 2-8) but levels 4 and 5 ask 16 and 24 hops.
    text = GOOD.replace("      difficulty: [1, 2]\n", "      params: {nodes: 10}\n")
    msg = _error(write_recipe, text)
    assert msg.endswith("recipe.yaml:9: logic.generators[1].params: pointer_chasing at levels 4, 5: "
                        "hops must be smaller than nodes")
    assert load_recipe(write_recipe(text.replace("count: 5", "count: 5\n      difficulty: [1, 2, 3]")))
    # Probe levels count too.
    probes = text.replace("count: 5", "count: 5\n      difficulty: [1]\n      probes: 2\n      probe_difficulty: [5]")
    assert "pointer_chasing at level 5: hops must be smaller than nodes" in _error(write_recipe, probes)


@pytest.mark.parametrize(("value", "shown"), [("true", "True"), ('"10"', "'10'"), ("10.0", "10.0")])
def test_counts_are_strict_integers(write_recipe, value, shown):
    msg = _error(write_recipe, GOOD.replace("count: 10", f"count: {value}"))
    assert f"recipe.yaml:6: logic.generators[0].count: Input should be a valid integer (got {shown})" in msg


def test_family_params_are_strict_too(write_recipe):
    text = GOOD.replace("      count: 10\n", "      count: 10\n      params: {digits: \"5\", negatives: 1}\n")
    msg = _error(write_recipe, text)
    assert "logic.generators[0].params.digits: Input should be a valid integer (got '5')" in msg
    assert "logic.generators[0].params.negatives: Input should be a valid boolean (got 1)" in msg


def test_duplicate_keys_are_located_errors(write_recipe):
    msg = _error(write_recipe, GOOD.replace("count: 10\n", "count: 10\n      count: 20\n"))
    assert msg.endswith("recipe.yaml:7: logic.generators[0].count: duplicate key (first given on line 6)")
    msg = _error(write_recipe, GOOD + "seed: 4\n")
    assert "recipe.yaml:10: seed: duplicate key (first given on line 2)" in msg


def test_a_union_field_gives_one_message(write_recipe):
    msg = _error(write_recipe, GOOD.replace("[1, 2]", "[0]"))
    assert msg.endswith("recipe.yaml:9: logic.generators[1].difficulty[0]: Input should be greater than 0 (got 0)")
    msg = _error(write_recipe, GOOD.replace("[1, 2]", "hard"))
    assert msg.endswith("logic.generators[1].difficulty: Input should be a valid list or 'all' (got 'hard')")


def test_misspelt_form_names_get_a_suggestion(write_recipe):
    msg = _error(write_recipe, GOOD.replace("logic:\n", "logic:\n  forms: {plain: 1, thinkk: 1}\n"))
    assert msg.endswith("recipe.yaml:4: logic.forms: unknown key 'thinkk' "
                        "(expected 'plain', 'think' or 'terse'; did you mean 'think'?)")


def test_missing_file(tmp_path):
    with pytest.raises(RecipeError, match="nope.yaml: no such recipe file"):
        load_recipe(tmp_path / "nope.yaml")


def test_invalid_yaml(write_recipe):
    msg = _error(write_recipe, "name: x\nseed: 1\n  extra: indented wrongly\n")
    assert "recipe.yaml:3: not valid YAML" in msg


def test_nothing_to_compile(write_recipe):
    assert "compiles nothing" in _error(write_recipe, "name: x\n")


@pytest.mark.parametrize("broken", [
    GOOD.replace("difficulty", "dificulty"),
    GOOD.replace("count: 10", "count: -1"),
    GOOD.replace("arithmetic", "nonsense"),
    GOOD.replace("      difficulty: [1, 2]\n", "      params: {nodes: 10}\n"),  # used to crash mid-build
])
def test_cli_exits_2_with_one_message(write_recipe, tmp_path, broken):
    path = write_recipe(broken)
    proc = subprocess.run([*CLI, "build", str(path), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, env=cli_env(), timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "error:" in proc.stderr
    assert str(path) in proc.stderr
    assert not (tmp_path / "run").exists()


def test_cli_missing_recipe_exits_2(tmp_path):
    proc = subprocess.run([*CLI, "build", str(tmp_path / "missing.yaml")], capture_output=True,
                          text=True, env=cli_env(), timeout=120)
    assert proc.returncode == 2 and "no such recipe file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_hash_covers_input_file_contents_not_location(tmp_path):
    (tmp_path / "a").mkdir()
    for d in ("a", "b"):
        (tmp_path / d).mkdir(exist_ok=True)
        (tmp_path / d / "ents.jsonl").write_text('{"id": "Q1", "name": "Ada", "type": "person"}\n')
        (tmp_path / d / "triples.jsonl").write_text("")
        (tmp_path / d / "r.yaml").write_text(
            "name: kg\nmemory:\n  seed:\n    triples: {entities: ents.jsonl, triples: triples.jsonl}\n")
    a, b = (load_recipe(tmp_path / d / "r.yaml").content_hash() for d in ("a", "b"))
    assert a == b
    (tmp_path / "b" / "ents.jsonl").write_text('{"id": "Q1", "name": "Bea", "type": "person"}\n')
    assert load_recipe(tmp_path / "b" / "r.yaml").content_hash() != a
