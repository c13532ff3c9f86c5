"""The learning transform: exercises about a sample's own solution, exact, right answers pass and
wrong ones fail, the same bytes on any worker count, and the sources kept."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.logic.registry import families
from synthcompile.errors import RecipeError
from synthcompile.executors.local import LocalExecutor
from synthcompile.learning import tasks
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.run import RunDir
from synthcompile.stats import compute_stats

FAMILIES = ("arithmetic", "sorting", "kinship", "cellular_automaton", "knights_knaves", "graph_paths")


def _exercises(task: str, n: int = 60):
    for name in FAMILIES:
        family = families()[name].make(2)
        for i in range(n):
            rng = random.Random(f"learning/{name}/{i}")
            p = family.generate(rng)
            question = family.phrasings[0].format(**p.fields)
            ex = tasks.derive(task, question, p.trace, rng, window=8) if len(p.trace) >= 3 else None
            if ex is not None:
                yield name, p, ex, tasks.render(ex, rng)


def test_a_hidden_step_is_asked_for_word_for_word():
    seen = 0
    for name, p, ex, text in _exercises("mask_step"):
        d = ex["structured"]
        shown = text.split("\n\nA worked solution")[1].split("\n")
        assert shown[d["k"] + 1] == f"{d['k'] + 1}. [hidden]"
        if tasks.verify(d, text).passed:
            seen += 1
            others = [s for s in p.trace if s != p.trace[d["k"]]]
            for wrong in others[:3]:
                assert not tasks.verify(d, f"Answer: {wrong}").passed
    assert seen > 200


def test_shuffled_steps_have_one_order_up_to_identical_steps():
    checked = 0
    for name, p, ex, text in _exercises("order_steps"):
        d = ex["structured"]
        assert d["shown"] != d["steps"] and sorted(d["shown"]) == sorted(d["steps"])
        assert tasks.verify(d, text).passed
        letters = ex["answer"].split(", ")
        assert tasks.verify(d, " -> ".join(letters)).passed and tasks.verify(d, "\n".join(letters)).passed
        for i in range(len(letters) - 1):
            swapped = letters[:i] + [letters[i + 1], letters[i]] + letters[i + 2:]
            same = d["shown"][ord(letters[i]) - 65] == d["shown"][ord(letters[i + 1]) - 65]
            assert tasks.verify(d, ", ".join(swapped)).passed == same  # identical steps may trade places
            checked += 1
        assert not tasks.verify(d, ", ".join(letters[:-1])).passed
    assert checked > 500


_TOKEN = re.compile(r"[\w'-]+")


def test_the_corrupted_step_is_the_only_change_one_token_and_like_no_other_step():
    answers = Counter()
    for name, p, ex, text in _exercises("find_error"):
        d = ex["structured"]
        changed = [i for i, (a, b) in enumerate(zip(d["steps"], d["shown"])) if a != b]
        assert changed == [d["k"]]
        a, b = d["steps"][d["k"]], d["shown"][d["k"]]
        ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
        assert len(ta) == len(tb) and sum(x != y for x, y in zip(ta, tb)) == 1, (a, b)
        assert b not in d["steps"]
        assert tasks.verify(d, text).passed and tasks.verify(d, f"Step {d['k'] + 1} is wrong.").passed
        assert not tasks.verify(d, f"Answer: {d['k'] + 2}").passed and not tasks.verify(d, "steps 1 and 2").passed
        answers[name] += 1
    assert set(answers) >= {"arithmetic", "cellular_automaton", "sorting", "knights_knaves"}


def test_the_wrong_step_is_drawn_uniformly_over_the_trace():
    """The answer first: where in the trace the wrong step sits follows no family's trace shape
    (it was the last steps of kinship, the only ones with numbers, before)."""
    spots, last, expected_last = [], 0, 0.0
    for name, p, ex, text in _exercises("find_error", 150):
        d = ex["structured"]
        n = len(d["steps"])
        spots.append(d["k"] / (n - 1))  # 0: the first step, 1: the last
        last += d["k"] == n - 1
        expected_last += 1 / n
    assert len(spots) > 300
    assert abs(sum(spots) / len(spots) - 0.5) < 0.05
    assert abs(last - expected_last) / len(spots) < 0.04  # the last step as often as any other


def test_a_hidden_step_carries_the_problems_own_values():
    for name, p, ex, text in _exercises("mask_step"):
        d = ex["structured"]
        step = d["steps"][d["k"]]
        assert d["steps"].count(step) == 1
        question = text.split("\n\nA worked solution")[0]
        values = set(_TOKEN.findall(question))
        assert re.search(r"\d\d", step) or any(t in values and (t[0].isupper() or t.isdigit())
                                               for t in _TOKEN.findall(step)), step
    steps = ["final carry 0 is the leading digit", "7 + 5 = 12, write 2", "end"]
    for seed in range(20):  # only the step with the problem's numbers can be hidden
        assert tasks.derive("mask_step", "What is 47 + 75?", steps, random.Random(seed), 8)["structured"]["k"] == 1


def test_step_counters_are_never_the_corrupted_number():
    steps = ["1 (: push, stack (", "2 ): pop, stack empty", "3 [: push, stack ["]
    for seed in range(10):  # positions only: the word is what changes ("push" for "pop")
        ex = tasks.derive("find_error", "q", steps, random.Random(seed), 8)
        bad, good = ex["structured"]["shown"][ex["structured"]["k"]], steps[ex["structured"]["k"]]
        assert bad.split(" ")[0] == good.split(" ")[0] and ("push" in bad) != ("push" in good)
    assert tasks.derive("find_error", "q", ["1 (: open", "2 ): close", "3 [: open"], random.Random(0), 8) is None
    steps = ["step 0: 0110", "step 1: 1011", "step 2: 0101"]
    for seed in range(30):
        ex = tasks.derive("find_error", "q", steps, random.Random(seed), 8)
        bad = ex["structured"]["shown"][ex["structured"]["k"]]
        assert bad.split(": ")[0] == steps[ex["structured"]["k"]].split(": ")[0]  # the counter is kept
        assert set(bad.split(": ")[1]) <= {"0", "1"}  # a binary row stays binary


def _put_back(family, name: str, data: dict, i: int, option: str) -> dict:
    """The problem with a candidate premise, parsed from its text, in place of premise i."""
    if name == "deduction_chains":
        body, head = re.fullmatch(r"if (.+), then (\w+)\.", option).groups()
        return {**data, "rules": data["rules"][:i] + [[body.split(" and "), head]] + data["rules"][i + 1:]}
    if name == "kinship":
        parent, child = re.fullmatch(r"(\w+) is the (?:mother|father) of (\w+)\.", option).groups()
        links = [link for k, link in enumerate(data["parent"]) if k != i]
        return {**data, "parent": links + [[child, parent]]}
    # zebra_puzzle: the clue whose printed sentence is the option, among every clue of the puzzle's size
    n, m = data["houses"], data["attributes"]
    pairs = [(t, v) for t in ("same", "left", "next") for v in range(n * m)] + \
        [(t, house) for t in ("at", "not") for house in range(n)]
    clue = next([t, u, v] for t, v in pairs for u in range(n * m)
                if (t in ("at", "not") or u != v) and family.say((t, u, v)) == option)
    return {**data, "clues": data["clues"][:i] + [clue] + data["clues"][i + 1:]}


@pytest.mark.parametrize("name", ["deduction_chains", "kinship", "zebra_puzzle"])
def test_a_missing_premise_is_the_one_candidate_that_brings_the_answer_back(name):
    """Rechecked with the family's verifier: without the premise the answer fails, with it it
    holds, with any other candidate it fails; the question no longer prints it; the letter is
    drawn evenly."""
    letters = Counter()
    for level in (2, 4):
        family = families()[name].make(level)
        for i in range(80):
            rng = random.Random(f"premise/{name}/{level}/{i}")
            p = family.generate(rng)
            question = family.phrasings[i % len(family.phrasings)].format(**p.fields)
            data = json.loads(json.dumps(p.data))
            ex = tasks.derive("missing_premise", question, p.trace, rng, 8, tasks.Source(family, data, p.answer_text))
            if ex is None:
                continue
            d = ex["structured"]
            lines, options = family.premises(data), d["options"]
            i_removed = next(j for j, (_, o) in enumerate(lines) if o == options[d["k"]])
            assert lines[i_removed][0] not in ex["question"].split("\n\nOne premise was taken out")[0]
            assert not family.verify(family.premise_removed(data, i_removed), p.answer_text).passed
            assert len(set(options)) == tasks.OPTIONS
            source = tasks.Source(family, data, p.answer_text)
            for j, option in enumerate(options):  # each candidate read back from its text, put in place
                holds = source.holds(_put_back(family, name, data, i_removed, option))
                assert holds == (j == d["k"]), option
            text = tasks.render(ex, rng)
            assert tasks.verify(d, text).passed and tasks.verify(d, f"({ex['answer']})").passed
            for wrong in "ABCD":
                if wrong != ex["answer"]:
                    assert not tasks.verify(d, f"Answer: {wrong}").passed
            assert not tasks.verify(d, "Answer: E").passed and not tasks.verify(d, "none of them").passed
            letters[ex["answer"]] += 1
    assert sum(letters.values()) > 100 and max(letters.values()) / sum(letters.values()) < 0.35, letters


def _recipe(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(f"""name: learning
seed: 3
shard_size: 150
logic:
  generators:
    - {{family: sorting, count: 300, difficulty: [1, 2], probes: 20, probe_difficulty: [3]}}
    - {{family: cellular_automaton, count: 300, difficulty: [1, 2]}}
    - {{family: kinship, count: 300, difficulty: [1, 2]}}
{body}
curate: null
export: null
""")
    return path


def _rows(run: RunDir, stage: str) -> list[dict]:
    return [r for p in run.stage_shards(stage) for r in pq.read_table(run.root / p).to_pylist()]


def test_a_build_adds_verified_exercises_and_keeps_every_source(tmp_path):
    path = _recipe(tmp_path, "learning: {rate: 0.5}")
    runs = []
    for workers in (1, 2):
        out = tmp_path / f"run{workers}"
        with LocalExecutor(workers) as ex:
            build(load_recipe(path), out, ex, recipe_file=path)
        runs.append(RunDir(out))
    a, b = (_rows(r, "learning") for r in runs)
    assert a == b  # the same rows, in order, on one worker or two
    compiled = _rows(runs[0], "logic")
    derived = [r for r in a if r["compiler"] == "learning"]
    assert [r for r in a if r["compiler"] == "logic"] == compiled  # every source kept, in order
    assert {r["family"] for r in derived} == {"learning.mask_step", "learning.order_steps", "learning.find_error",
                                              "learning.missing_premise"}
    assert all(r["verdict"]["passed"] and r["split"] == "train" for r in derived)
    assert 0.3 < len(derived) / sum(r["split"] == "train" for r in compiled) < 0.7
    ids = {r["id"] for r in compiled}
    assert all(json.loads(r["structured"])["source"] in ids for r in derived)
    stats = compute_stats(runs[0])
    masked = sum(r["family"] == "learning.mask_step" for r in derived)
    assert stats["families"]["learning.mask_step"]["samples"] == masked
    assert stats["families"]["logic.sorting"]["samples"] == sum(r["family"] == "logic.sorting" for r in compiled)


def test_a_bad_learning_section_is_a_located_error(tmp_path):
    path = _recipe(tmp_path, "learning:\n  tasks: [mask_step, guess_the_answer]")
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    message = str(info.value)
    assert "r.yaml:" in message and "tasks" in message and "guess_the_answer" in message
