"""reasoning-gym datasets as families: recipes build, the verifier is strict, errors are located."""

from __future__ import annotations

import json
import random
import sys

import pyarrow.parquet as pq
import pytest

pytest.importorskip("reasoning_gym")

from synthcompile.compilers.logic.reasoning_gym import reasoning_gym_family  # noqa: E402
from synthcompile.executors.local import LocalExecutor  # noqa: E402
from synthcompile.pipeline import build  # noqa: E402
from synthcompile.recipe import RecipeErrors, load_recipe  # noqa: E402

RECIPE = """\
name: rg
seed: 5
shard_size: 40
logic:
  generators:
    - family: reasoning_gym:chain_sum
      count: 60
      params: {allow_negation: true}
    - family: reasoning_gym:gsm_symbolic
      count: 20
"""


def _item(name: str, level: int = 1, seed: int = 0, where=lambda p: True):
    """A generated problem of dataset ``name`` (the first from ``seed`` on that satisfies ``where``)."""
    family = reasoning_gym_family(name).make(level)
    for s in range(seed, seed + 200):
        problem = family.generate(random.Random(s))
        if where(problem):
            return family, problem, json.loads(json.dumps(problem.data))
    raise AssertionError(f"no {name} item found")


def test_recipe_with_two_reasoning_gym_families_builds_verified(write_recipe, tmp_path):
    path = write_recipe(RECIPE)
    with LocalExecutor(1) as ex:
        build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    table = pq.read_table(sorted((tmp_path / "run").glob("samples/*/*.parquet")))
    rows = table.to_pylist()
    assert len(rows) == 80
    assert {r["family"] for r in rows} == {"logic.reasoning_gym:chain_sum", "logic.reasoning_gym:gsm_symbolic"}
    assert all(r["verdict"]["passed"] for r in rows), [r["verdict"] for r in rows if not r["verdict"]["passed"]]
    # chain_sum has a curriculum (11 levels, cycled), gsm_symbolic has none (one level).
    assert {r["difficulty"] for r in rows if "chain_sum" in r["family"]} == set(range(1, 12))
    assert {r["difficulty"] for r in rows if "gsm" in r["family"]} == {1}
    # chain_sum items carry no trace, so they are rendered plain; gsm_symbolic's worked solution
    # is its trace, so its samples follow the section's form weights.
    assert {r["form"] for r in rows if "chain_sum" in r["family"]} == {"plain"}
    assert all(r["trace"] for r in rows if "gsm" in r["family"])
    assert len({r["form"] for r in rows if "gsm" in r["family"]}) > 1


def test_items_are_deterministic_and_independent():
    family = reasoning_gym_family("chain_sum").make(4)
    a = [family.generate(random.Random(s)).data for s in (1, 2, 3)]
    b = [family.generate(random.Random(s)).data for s in (3, 2, 1)]  # other order, same items
    assert a == b[::-1]
    assert len({json.dumps(d, sort_keys=True) for d in a}) == 3


def test_levels_follow_the_curriculum():
    cls = reasoning_gym_family("chain_sum")
    # reasoning-gym's INCLUSIVE mode: level k spans the easiest value up to curriculum level k-1.
    configs = [cls.make(level).config for level in sorted(cls.levels)]
    assert [(c.min_terms, c.max_terms) for c in configs[:3]] == [(2, 2), (2, 3), (2, 4)]
    assert (configs[-1].max_terms, configs[-1].max_digits) == (12, 10)


def test_contains_the_oracle_gets_partial_credit_there_and_is_rejected_here():
    family, problem, data = _item("basic_arithmetic")
    oracle = problem.answer_text
    padded = f"{oracle} or {int(oracle) + 1}"
    lenient = family._scorer.score_answer(padded, data["entry"])  # reasoning-gym's own scorer
    assert 0 < lenient < 1
    verdict = family.verify(data, padded)
    assert not verdict.passed and "score" in verdict.reason
    assert family.verify(data, f"Answer: {oracle}").passed


def test_the_same_number_spelt_otherwise_is_accepted():
    # Strict means the same value, not the same characters: "+012" is 12, for both scorers.
    family, problem, data = _item("chain_sum", where=lambda p: not p.answer_text.startswith("-"))
    assert family._scorer.score_answer("+0" + problem.answer_text, data["entry"]) == 1.0
    assert family.verify(data, "+0" + problem.answer_text).passed


def test_sign_flip_gets_full_credit_from_gsm_symbolic_and_is_rejected_here():
    family, problem, data = _item("gsm_symbolic", where=lambda p: p.answer_text not in ("0", "-0"))
    flipped = "-" + problem.answer_text
    assert family._scorer.score_answer(flipped, data["entry"]) == 1.0  # the minus sign is dropped
    verdict = family.verify(data, flipped)
    assert not verdict.passed and "expected" in verdict.reason
    assert family.verify(data, problem.answer_text).passed


def test_sign_flip_with_partial_credit_in_chain_sum_is_rejected():
    family, problem, data = _item("chain_sum", where=lambda p: p.answer_text not in ("0",)
                                  and not p.answer_text.startswith("-"))
    flipped = "-" + problem.answer_text
    assert 0 < family._scorer.score_answer(flipped, data["entry"]) < 1
    assert not family.verify(data, flipped).passed


def test_items_without_an_oracle_use_the_dataset_checker():
    family, problem, data = _item("propositional_logic")
    assert data["entry"]["answer"] is None and problem.answer_text
    assert family.verify(data, problem.answer_text).passed
    assert not family.verify(data, "Z").passed


def test_oracle_and_rendered_text_pass_across_datasets_and_levels():
    for name in ("basic_arithmetic", "number_sorting", "syllogism", "family_relationships",
                 "shortest_path", "knights_knaves", "tower_of_hanoi"):
        cls = reasoning_gym_family(name)
        for level in cls.levels:
            family, problem, data = _item(name, level)
            assert family.verify(data, problem.answer_text).passed, (name, level)
            assert family.verify(data, f"Answer: {problem.answer_text}").passed, (name, level)
            for wrong in family.corruptions(problem, random.Random(0)):
                assert not family.verify(data, wrong).passed, (name, level, wrong)


@pytest.mark.parametrize(("body", "message"), [
    ("family: reasoning_gym:chain_sun\n      count: 5",
     "recipe.yaml:5: logic.generators[0].family: unknown reasoning-gym dataset 'chain_sun' (did you mean 'chain_sum'"),
    ("family: reasoning_gym:chain_sum\n      count: 5\n      params: {max_term: 3}",
     "recipe.yaml:7: logic.generators[0].params: unknown key 'max_term' (did you mean 'max_terms'?)"),
    ("family: reasoning_gym:chain_sum\n      count: 5\n      params: {seed: 3}",
     "recipe.yaml:7: logic.generators[0].params: unknown key 'seed'"),
    ("family: reasoning_gym:chain_sum\n      count: 5\n      params: {min_terms: 0}",
     "recipe.yaml:7: logic.generators[0].params: chain_sum: min_terms must be positive"),
    ("family: reasoning_gym:boxnet\n      count: 5",
     "recipe.yaml:5: logic.generators[0].family: reasoning-gym dataset 'boxnet' gives neither"),
])
def test_recipe_errors_are_located(write_recipe, body, message):
    path = write_recipe(f"name: bad\nlogic:\n  generators:\n    -\n      {body}\n")
    with pytest.raises(RecipeErrors) as err:
        load_recipe(path)
    assert message in str(err.value), str(err.value)


def test_missing_package_names_the_extra(write_recipe, monkeypatch):
    monkeypatch.setitem(sys.modules, "reasoning_gym.factory", None)  # as if not installed
    path = write_recipe("name: x\nlogic:\n  generators:\n    - family: reasoning_gym:chain_sum\n      count: 5\n")
    with pytest.raises(RecipeErrors) as err:
        load_recipe(path)
    assert "recipe.yaml:4: logic.generators[0].family: " in str(err.value)
    assert "pip install 'synthcompile[reasoning-gym]'" in str(err.value)


def test_a_dataset_that_keeps_failing_gives_up_with_generation_failed(monkeypatch):
    from synthcompile.compilers.logic.base import GenerationFailed

    family = reasoning_gym_family("chain_sum").make(1)
    calls = []

    def broken(seed):
        calls.append(seed)
        raise RuntimeError("upstream gave up")

    monkeypatch.setattr(family, "item", broken)
    with pytest.raises(GenerationFailed, match="10 draws failed, last: RuntimeError"):
        family.generate(random.Random(0))
    assert len(set(calls)) == 10  # ten different seeds, all from the item's RNG
