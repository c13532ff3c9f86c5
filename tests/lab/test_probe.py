"""Probe scoring goes through the compilers' own verifiers."""

from __future__ import annotations

import pyarrow.parquet as pq

from synthcompile.lab import probe
from synthcompile.lab.config import PhaseSpec
from synthcompile.lab.data import Export


def _memory_probes(run):
    rows = []
    for path in sorted((run / "samples" / "memory").glob("*.parquet")):
        rows += [r for r in pq.read_table(path).to_pylist() if r["split"] == "probe"]
    return rows


def test_logic_verifier_scores_planted_answers(logic_run):
    rows = Export(logic_run).probes()
    verifiers = probe.Verifiers(logic_run)
    wrong = {"valid": "invalid", "invalid": "valid"}
    right = probe.score(rows, [f"So the answer is {r['answer']}" for r in rows], verifiers)
    planted = probe.score(rows, [f"So the answer is {wrong[r['answer']]}" for r in rows], verifiers)
    assert right.accuracy == 1.0
    assert planted.accuracy == 0.0
    assert all(r["reason"] for r in planted.results)


def test_memory_verifier_scores_planted_answers(memory_run):
    rows = _memory_probes(memory_run)
    assert {probe.probe_split(r) for r in rows} >= {"entity"}
    verifiers = probe.Verifiers(memory_run)
    right = probe.score(rows, [f"Answer: {r['answer']}" for r in rows], verifiers)
    # Another probe's answer of the same type, when it differs: a plausible but wrong answer.
    by_type = {}
    for r in rows:
        by_type.setdefault(probe.probe_type(r), set()).add(r["answer"])
    planted_rows = [r for r in rows if len(by_type[probe.probe_type(r)]) > 1]
    planted = probe.score(planted_rows, [
        "Answer: " + sorted(by_type[probe.probe_type(r)] - {r["answer"]})[0] for r in planted_rows], verifiers)
    assert right.accuracy == 1.0
    assert len(planted_rows) > 10 and planted.accuracy == 0.0


def test_groups_and_majority_baseline(logic_run):
    rows = Export(logic_run).probes()
    report = probe.score(rows, ["no idea"] * len(rows), probe.Verifiers(logic_run))
    family = report.groups["family"]["logic.syllogisms"]
    answers = [r["answer"] for r in rows]
    majority = max(set(answers), key=answers.count)
    assert family["n"] == len(rows) and family["accuracy"] == 0.0
    assert family["baseline"] == answers.count(majority) / len(rows)
    assert set(report.groups) == set(probe.AXES)


def test_seen_questions_are_scored_apart_from_the_held_out_probes(logic_run):
    export = Export(logic_run)
    held_out, seen = export.probes(), export.seen_questions()[:30]
    assert seen and all(r["split"] == "seen" for r in seen)
    verifiers = probe.Verifiers(logic_run)
    # Right on every training question, wrong on every probe: the headline stays at 0.
    report = probe.score(held_out + seen, ["no idea"] * len(held_out) + [f"Answer: {r['answer']}" for r in seen],
                         verifiers)
    assert report.accuracy == 0.0
    assert report.groups["split"]["seen"]["accuracy"] == 1.0
    assert report.to_json()["probes"] == len(held_out)
    assert all(t.startswith("seen:") for t in {r["type"] for r in report.results if r["split"] == "seen"})


def test_seen_questions_are_only_those_some_phase_trains_on(logic_run):
    export = Export(logic_run)
    every = export.seen_questions()
    (family,) = {r["family"] for r in every}

    def seen(*phases):
        return export.seen_questions([PhaseSpec(name=f"p{i}", steps=1, lr=1e-3, **p) for i, p in enumerate(phases)])

    assert seen({"exclude": [family]}) == []                       # an arm without the family saw none
    assert seen({"exclude": [family]}, {"include": [family]}) == every
    assert seen({"skills": ["entity:*"]}) == []                   # nor one that trains on other skills
    assert seen({"skills": [every[0]["skills"][0]]}) == every
