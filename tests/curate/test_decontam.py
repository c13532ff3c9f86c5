"""A probe (or evaluation item) planted in training text is removed and reported; near misses stay."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthcompile.curate import curate_stages, removal_summary
from synthcompile.errors import UserError
from synthcompile.curate.config import CurateSection
from synthcompile.sample import sample_id
from tests.curate.helpers import kept, removals, run_stages, sample

PROBE_Q = "What is 347 + 589?"
LONG_PROBE_Q = ("A train leaves the station at nine and travels north for three hours at sixty km per hour; "
                "how far does it go?")
EVAL_ITEM = "Name the largest moon of Saturn and the gas that dominates its thick atmosphere."


def test_probe_and_eval_items_in_training_text_are_removed_and_reported(tmp_path):
    lines = [json.dumps({"prompt": EVAL_ITEM}), json.dumps({"prompt": "Unrelated."})]
    (tmp_path / "eval.jsonl").write_text("\n".join(lines) + "\n")
    eval_table = pa.table({"text": ["Describe the water cycle in four steps for a child."]})
    pq.write_table(eval_table, tmp_path / "eval.parquet")
    probes = [sample(f"Q: {PROBE_Q} A: 936", split="probe", question=PROBE_Q),
              sample(f"Q: {LONG_PROBE_Q} A: 180 km", split="probe", question=LONG_PROBE_Q)]
    train = [
        sample(f"Practice. {PROBE_Q.upper()}  Answer: 936."),                       # short probe, case changed
        sample("Warm-up: what is 347 + 588? Answer: 935."),                         # one digit off: kept
        sample("Story time. " + LONG_PROBE_Q.replace("sixty", "sixty ") + " It goes 180 km."),  # long probe
        sample("A train leaves the station at ten and travels south for two hours; how far?"),  # overlap, not it
        sample("Quiz: name the largest moon of Saturn and the gas that dominates its thick atmosphere!"),
        sample("Explain the water cycle to a child in four steps."),                # reworded: kept
    ]
    section = CurateSection(decontam={
        "ngram": 6, "eval_sets": [{"path": str(tmp_path / "eval.jsonl"), "field": "prompt", "name": "moons"},
                                  {"path": str(tmp_path / "eval.parquet")}]})
    run = run_stages(tmp_path / "run", [probes + train[:3], train[3:]], curate_stages(section))
    out = [r["text"] for r in kept(run, "decontam")]
    assert out == [probes[0].text, probes[1].text, train[1].text, train[3].text, train[5].text]
    log = {r["id"]: r for r in removals(run, "decontam")}
    assert set(log) == {sample_id(train[0].text), sample_id(train[2].text), sample_id(train[4].text)}
    short = log[sample_id(train[0].text)]
    assert short["reason"] == "contaminated:probe"
    assert short["reference"] == sample_id(probes[0].text)
    assert short["matched_text"] == PROBE_Q.lower()
    assert log[sample_id(train[2].text)]["reference"] == sample_id(probes[1].text)
    assert log[sample_id(train[4].text)]["reason"] == "contaminated:moons"
    assert log[sample_id(train[4].text)]["reference"] == "moons:0"
    assert removal_summary(run)["decontam"] == {
        "input": 8, "kept": 5, "removed": 3, "probe_rows": 2,
        "by_reason": {"contaminated:moons": 1, "contaminated:probe": 2}, "by_family": {"test.planted": 3}}


def test_a_changed_operator_or_number_is_not_the_probe(tmp_path):
    """Word hashing used to drop "+", so "347 - 589" was a candidate for the probe "347 + 589"
    and the alignment (94.4) removed it. Numbers, operators and one-letter names must match."""
    probes = [sample(f"Q: {q} A: x", split="probe", question=q) for q in
              [PROBE_Q, "Let p = false, u = false. What is the truth value of u ↔ (u → ¬p)?"]]
    train = [sample("Drill: What is 347 - 589? Answer: -242."),
             sample("Drill: What is 347 * 589? Answer: 204383."),
             sample("Drill: What is 347 + 5890?"),
             sample("Let p = false, u = false. What is the truth value of u ∧ (p → ¬u)? It is false."),
             sample("Let p = false, w = false. What is the truth value of w ↔ (w → ¬p)? It is true."),
             sample("Copied: what is 347 + 589 ?"),
             sample("let p = false, u = false. what is the truth value of u ↔ (u → ¬p)")]
    run = run_stages(tmp_path, [probes + train], curate_stages(CurateSection(decontam={"ngram": 6})))
    assert [r["text"] for r in kept(run, "decontam")] == [p.text for p in probes] + [t.text for t in train[:5]]
    assert {r["reference"] for r in removals(run, "decontam")} == {sample_id(p.text) for p in probes}


def test_template_ngrams_are_not_candidate_keys(tmp_path):
    """200 probes of one template: a text sharing only the template's words is not even a
    candidate (no alignment runs), while a copied probe is found."""
    template = "Consider the argument. No {a} are {b}. All {c} are {a}. Conclusion: no {c} are {b}. " \
               "Is this syllogism valid or invalid? (Use modern logic.)"
    rng = random.Random(0)
    names = ["".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(3)) for _ in range(600)]
    probes = [template.format(a=names[3 * i], b=names[3 * i + 1], c=names[3 * i + 2]) for i in range(200)]
    train = [template.format(a="Hobs", b="Mips", c="Kels"), "Copy: " + probes[7]]
    shards = [[sample(p, split="probe", question=p) for p in probes], [sample(t) for t in train]]
    run = run_stages(tmp_path, shards, curate_stages(CurateSection(decontam={})))
    assert [r["text"] for r in kept(run, "decontam") if r["split"] == "train"] == [train[0]]
    stats = json.loads((run.root / "work" / "decontam" / "completions" / "p001.json").read_text())["stats"]
    assert stats["candidate_pairs"] == 1 and stats["alignments"] == 1


def test_a_broken_eval_line_names_file_and_line(tmp_path):
    (tmp_path / "eval.jsonl").write_text('{"text": "fine"}\n{"text": broken}\n')
    (tmp_path / "null.jsonl").write_text('{"text": "fine"}\n\n{"text": null}\n')
    for name, message in [("eval.jsonl", "eval.jsonl:2: not valid JSON"),
                          ("null.jsonl", "null.jsonl:3: field 'text' is not text")]:
        section = CurateSection(decontam={"eval_sets": [{"path": str(tmp_path / name)}]})
        with pytest.raises(UserError, match=message):
            run_stages(tmp_path / name.split(".")[0], [[sample("x")]], curate_stages(section))
