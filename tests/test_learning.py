"""The learning transform: exercises about a sample's own solution, exact, right answers pass and
wrong ones fail, the same bytes on any worker count, and the sources kept."""

from __future__ import annotations

import json
import random
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


def test_the_corrupted_step_is_the_only_change_and_keeps_its_shape():
    answers = Counter()
    for name, p, ex, text in _exercises("find_error"):
        d = ex["structured"]
        changed = [i for i, (a, b) in enumerate(zip(d["steps"], d["shown"])) if a != b]
        assert changed == [d["k"]]
        a, b = d["steps"][d["k"]], d["shown"][d["k"]]
        assert len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1
        assert tasks.verify(d, text).passed and tasks.verify(d, f"Step {d['k'] + 1} is wrong.").passed
        assert not tasks.verify(d, f"Answer: {d['k'] + 2}").passed and not tasks.verify(d, "steps 1 and 2").passed
        answers[name] += 1
    assert set(answers) >= {"arithmetic", "cellular_automaton", "sorting"}


def test_step_counters_are_never_the_corrupted_number():
    steps = ["1 (: push, stack (", "2 ): pop, stack empty", "3 [: push, stack ["]
    assert tasks.derive("find_error", "q", steps, random.Random(0), 8) is None
    steps = ["step 0: 0110", "step 1: 1011", "step 2: 0101"]
    for seed in range(30):
        ex = tasks.derive("find_error", "q", steps, random.Random(seed), 8)
        bad = ex["structured"]["shown"][ex["structured"]["k"]]
        assert bad.split(": ")[0] == steps[ex["structured"]["k"]].split(": ")[0]  # the counter is kept
        assert set(bad.split(": ")[1]) <= {"0", "1"}  # a binary row stays binary


def _recipe(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(f"""name: learning
seed: 3
shard_size: 150
logic:
  generators:
    - {{family: sorting, count: 300, difficulty: [1, 2], probes: 20, probe_difficulty: [3]}}
    - {{family: cellular_automaton, count: 300, difficulty: [1, 2]}}
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
    assert {r["family"] for r in derived} == {"learning.mask_step", "learning.order_steps", "learning.find_error"}
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
