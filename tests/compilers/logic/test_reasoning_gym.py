"""reasoning-gym datasets as families: recipes build, the verifier is strict, errors are located."""

from __future__ import annotations

import json
import random
import re
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


# Labels cross-checked by our own solvers ---------------------------------------------------------

def _semantics(meta: dict) -> tuple[bool, bool]:
    """(follows in modern logic, follows when every term has members), read from the metadata
    (the adapter's check reads the question): our syllogisms family's model search."""
    from synthcompile.compilers.logic.families.syllogisms import parse_statement, valid_by_models

    texts = [meta["premise1"], meta["premise2"], meta["conclusion"]]
    names = list(dict.fromkeys(w for t in texts for w in t.split()[1:] if w not in ("are", "not")))
    *premises, conclusion = [parse_statement(t, names) for t in texts]
    inhabited = tuple(("some", k, k) for k in range(len(names)))
    return valid_by_models(tuple(premises), conclusion), valid_by_models((*premises, *inhabited), conclusion)


@pytest.mark.parametrize("level", [3, 4])  # where reasoning-gym's rules let wrong labels through
def test_syllogism_items_our_checker_contradicts_are_quarantined_with_both_verdicts(level):
    from synthcompile.compilers.logic.reasoning_gym import LabelRejected

    family = reasoning_gym_family("syllogism").make(level)
    kept, rejected, wrong = 0, [], 0
    for s in range(300):
        raw = family.item(random.Random(s).randrange(2**31))  # the item generate() draws first
        modern, traditional = _semantics(raw["metadata"])
        # Wrong under both semantics (reasoning-gym's questions name neither).
        wrong += (raw["answer"] == "Yes" and not traditional) or (raw["answer"] == "No" and modern)
        try:
            problem = family.generate(random.Random(s))
        except LabelRejected as exc:
            rejected.append(exc)
            continue
        kept += 1
        answer = problem.answer_text
        assert (traditional if answer == "Yes" else not modern), problem.data["entry"]["question"]
        assert family.verify(json.loads(json.dumps(problem.data)), answer).passed
    assert wrong > 0 and len(rejected) == wrong and kept + wrong == 300
    for exc in rejected:
        assert exc.kind == "label_disagrees"
        assert str(exc).startswith("reasoning-gym says 'Yes', the syllogisms checker says the conclusion "
                                   "does not follow, even if every term has members (counter-model: only {")
        assert exc.record["item"]["answer"] == "Yes" and "dataset_seed" in exc.record


def _flip(name: str, label: str) -> str:
    """A label that is certainly wrong for the item (the items are picked so that it is)."""
    if name == "syllogism":
        return {"Yes": "No", "No": "Yes"}[label]
    if name == "course_schedule":
        return {"True": "False", "False": "True"}[label]
    if name == "shortest_path":
        return "infeasible" if label != "infeasible" else "up"
    if name == "number_sorting":
        items = json.loads(label.replace("'", '"'))
        k = next(i for i in range(len(items) - 1) if float(items[i]) != float(items[i + 1]))
        items[k], items[k + 1] = items[k + 1], items[k]
        return str(items)
    if name == "fraction_simplification":
        return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), label, count=1)  # the numerator
    if name == "propositional_logic":
        return f"¬{label}"
    return str(int(label) + 1)  # whole-number answers


CHECKED = ["syllogism", "basic_arithmetic", "chain_sum", "products", "simple_equations", "fraction_simplification",
           "number_sorting", "shortest_path", "course_schedule", "propositional_logic"]


@pytest.mark.parametrize("name", CHECKED)
def test_a_planted_wrong_label_is_quarantined_and_the_true_one_kept(name, monkeypatch):
    from synthcompile.compilers.logic.formula import entails, parse_formula
    from synthcompile.compilers.logic.reasoning_gym import LabelRejected, cross_check

    # A syllogism whose answer both semantics agree on; propositional premises that can all hold
    # (else every conclusion follows, its negation too).
    where = {"syllogism": lambda p: len(set(_semantics(p.data["entry"]["metadata"]))) == 1,
             "propositional_logic": lambda p: not entails(
                 [parse_formula(f) for f in p.data["entry"]["metadata"]["premises"]], ["const", False]),
             }.get(name, lambda p: True)
    family, problem, data = _item(name, level=2, where=where)
    assert family.verify(data, problem.answer_text).passed  # the true label passes
    planted = json.loads(json.dumps(data["entry"]))
    label = problem.answer_text
    wrong = _flip(name, label)
    if planted["answer"] is None:
        planted["metadata"]["example_answer"] = wrong
    else:
        planted["answer"] = wrong
    assert cross_check(name, planted, wrong)[0] == "label_disagrees"

    monkeypatch.setattr(family, "item", lambda seed: json.loads(json.dumps(planted)))
    with pytest.raises(LabelRejected) as err:
        family.generate(random.Random(0))
    assert err.value.kind == "label_disagrees" and f"reasoning-gym says {wrong!r}" in str(err.value)
    # A stored sample carrying the wrong label fails when re-scored, whatever the answer.
    stored = {**data, "entry": planted, "rebuild": False}
    for answer in (wrong, label):
        verdict = family.verify(stored, answer)
        assert not verdict.passed and verdict.reason.startswith("label_disagrees: "), (answer, verdict)


def test_basic_arithmetic_floor_division_labels_are_quarantined():
    from synthcompile.compilers.logic.reasoning_gym_checks import check_expression

    item = {"question": "Calculate 7 - -9 * -3 / -( 7 - -3 + 11 ).", "answer": "9",
            "metadata": {"expression": "7 - -9 * -3 / -( 7 - -3 + 11 )"}}  # reasoning-gym's, seed-built
    assert check_expression(item, "9") == "7 - -9 * -3 / -( 7 - -3 + 11 ) = 58/7 (= 8.28571)"
    assert check_expression(item, "58/7") is None


def test_an_item_the_check_cannot_read_is_refused(monkeypatch):
    from synthcompile.compilers.logic.reasoning_gym import LabelRejected

    family, _, data = _item("syllogism")
    changed = {**data["entry"], "question": data["entry"]["question"].replace("Consider", "Ponder")}
    monkeypatch.setattr(family, "item", lambda seed: changed)
    with pytest.raises(LabelRejected) as err:
        family.generate(random.Random(0))
    assert err.value.kind == "label_unchecked" and "syllogism question not in the expected form" in str(err.value)


def test_a_build_quarantines_wrong_labels_and_counts_them(write_recipe, tmp_path):
    path = write_recipe("name: rg-syl\nseed: 1\nshard_size: 100\nlogic:\n  generators:\n"
                        "    - family: reasoning_gym:syllogism\n      count: 100\n      difficulty: [4]\n")
    with LocalExecutor(1) as ex:
        run = build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    rows = pq.read_table(sorted(run.root.glob("samples/*/*.parquet"))).to_pylist()
    summary = json.loads((run.root / "quarantine.json").read_text())["logic"]
    (entry,) = summary["by_reason"]
    assert entry["reason"] == "label_disagrees" and entry["count"] == summary["total"] > 0
    assert len(rows) + entry["count"] == 100 and all(r["verdict"]["passed"] for r in rows)
    example = entry["examples"][0]
    assert example["reason"].startswith("label_disagrees: reasoning-gym says 'Yes', the syllogisms checker says")
    assert example["record"]["item"]["metadata"]["source_dataset"] == "syllogism"
    marker = next((run.root / "work" / "logic" / "completions").glob("*.json"))
    assert json.loads(marker.read_text())["stats"]["quarantined:label_disagrees"] == entry["count"]
