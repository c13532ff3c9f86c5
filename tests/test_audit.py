"""The shortcut audit flags a planted shortcut and passes a balanced family; the gate fails a build."""

from __future__ import annotations

import random

import numpy as np

from synthcompile.audit.config import AuditSection
from synthcompile.audit.predictors import FEATURES, judge
from synthcompile.audit.stages import AuditMap, AuditReduce
from synthcompile.sample import Sample, Verdict
from tests.curate.helpers import run_stages

RULES = ["If it rains, the grass is wet.", "If the grass is wet, shoes get muddy.", "Birds sing at dawn.",
         "If shoes get muddy, the floor is dirty.", "Cats sleep a lot.", "If the floor is dirty, we mop."]


def _row(i: int, question: str, answer: str, family: str = "logic.planted") -> Sample:
    return Sample(text=f"{question}\nAnswer: {answer}", compiler="logic", family=family, skills=[], difficulty=1,
                  split="train", seed_id=str(i), form="plain", template="t", question=question, answer=answer,
                  trace=[], structured={"kind": "derivable"}, verdict=Verdict(True, "test"), generator="test",
                  generator_version="1", params_hash="0", rng_seed=0)


def _rule_questions(n: int, seed: int, answer, family: str = "logic.planted") -> list[Sample]:
    """Questions over 2-6 rules; ``answer(k, rng)`` gives the answer for k rules."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        k = rng.randint(2, 6)
        rules = "\n".join(rng.sample(RULES, k))
        out.append(_row(i, f"Rules:\n{rules}\nQuestion {i}: can we derive it?", answer(k, rng), family))
    return out


def _balanced(n: int, seed: int = 0) -> list[Sample]:
    """Yes/no half and half, rule count independent of the answer."""
    return _rule_questions(n, seed, lambda k, rng: rng.choice(["yes", "no"]))


def _planted(n: int, seed: int = 1) -> list[Sample]:
    """The answer is 'yes' exactly when there are more than 4 rules: counting lines beats reasoning."""
    return _rule_questions(n, seed, lambda k, rng: "yes" if k > 4 else "no", family="logic.shortcut")


def _judge(samples: list[Sample], **kw) -> object:
    qs = [s.question for s in samples]
    feats = {"chars": [len(q) for q in qs], "lines": [q.count("\n") + 1 for q in qs],
             "numbers": [sum(c.isdigit() for c in q) for q in qs], "words": [len(q.split()) for q in qs],
             "commas": [q.count(",") for q in qs]}
    train = np.arange(len(samples)) % 2 == 0
    return judge([s.answer for s in samples], qs, {f: np.array(feats[f]) for f in FEATURES}, train,
                 margin=0.05, max_share=0.6, small_space=10, min_rows=200, **kw)


def test_a_rule_count_shortcut_is_flagged_and_a_balanced_family_is_not():
    good = _judge(_balanced(1000))
    assert not good.flagged, good.reason
    assert abs(good.gain) < 0.05 and 0.4 < good.majority_share < 0.6
    bad = _judge(_planted(1000))
    assert bad.flagged and bad.best == "by lines" and bad.accuracy["by lines"] == 1.0
    assert "by lines predicts 100%" in bad.reason


def test_a_dominant_answer_in_a_small_space_is_flagged():
    rng = random.Random(3)
    samples = [_row(i, f"Question {rng.random()}?", "yes" if rng.random() < 0.7 else "no") for i in range(600)]
    v = _judge(samples)
    assert v.flagged and "'yes' is 7" in v.reason and "cap 60%" in v.reason


def test_small_groups_are_reported_not_judged():
    v = _judge(_planted(120))
    assert not v.flagged and v.rows == 120 and v.accuracy["by lines"] > 0.9


def test_the_audit_stages_flag_the_planted_family_in_a_run(tmp_path):
    section = AuditSection()
    shards = [_balanced(500, seed=s) + _planted(500, seed=s + 10) for s in range(2)]
    run = run_stages(tmp_path / "run", shards, [AuditMap(section), AuditReduce(section)])
    from synthcompile.audit import results

    rows = results(run)
    assert [(r["family"], r["flagged"]) for r in rows] == [("logic.shortcut", True), ("logic.planted", False)]
    assert rows[0]["kind"] == "derivable" and rows[0]["rows"] == 1000


def test_audit_fail_makes_a_flagged_build_exit_2(write_recipe, tmp_path):
    import subprocess

    from tests.conftest import CLI, cli_env

    # A cap no group meets: every answer space counts as small, and any answer above 1% flags.
    audit = "audit: {fail: true, max_share: 0.01, small_space: 100000, min_rows: 10}\n"
    path = write_recipe("name: flagged\nseed: 1\nshard_size: 500\n" + audit +
                        "logic:\n  generators:\n    - {family: arithmetic, count: 600, difficulty: [1]}\n")
    proc = subprocess.run([*CLI, "build", str(path), "--out", str(tmp_path / "run"), "--workers", "1"],
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "the shortcut audit flagged" in proc.stderr and "logic.arithmetic d1" in proc.stderr
    assert (tmp_path / "run" / "report.html").exists()  # written first, so the flags can be read
    ok = write_recipe("name: flagged\nseed: 1\nshard_size: 500\naudit: {fail: true}\n"
                      "logic:\n  generators:\n    - {family: arithmetic, count: 600, difficulty: [1]}\n",
                      name="ok.yaml")
    proc = subprocess.run([*CLI, "build", str(ok), "--out", str(tmp_path / "ok"), "--workers", "1"],
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    import re

    assert re.search(r"shortcut audit: 0 of [1-9]\d* groups flagged", proc.stdout), proc.stdout
