"""deduction_chains: forward chaining in rounds, depth drawn from the level's range."""

from __future__ import annotations

import random

from synthcompile.compilers.logic.families.deduction_chains import DeductionChains, chain

RULES = [[["a"], "b"], [["b", "c"], "d"], [["x"], "e"], [["d"], "f"]]


def test_rounds_are_derivation_depths():
    known, steps = chain(["a", "c"], RULES)
    assert known == {"a": 0, "c": 0, "b": 1, "d": 2, "f": 3}
    assert "e" not in known and steps[-1].endswith("stop")


def test_verifier_on_each_question():
    f = DeductionChains.make(3)
    base = {"facts": ["a", "c"], "rules": RULES}
    assert f.verify({**base, "kind": "derivable", "goal": "f"}, "yes").passed
    assert f.verify({**base, "kind": "derivable", "goal": "e"}, "no").passed
    assert f.verify({**base, "kind": "depth", "goal": "f"}, "3").passed
    assert not f.verify({**base, "kind": "depth", "goal": "f"}, "4").passed
    closure = {**base, "kind": "closure", "goal": "f"}
    assert f.verify(closure, "f, d, b").passed                # any order
    assert not f.verify(closure, "b, d").passed
    assert not f.verify(closure, "a, b, d, f").passed         # a is a given fact
    assert not f.verify(closure, "b, d, f, f").passed


def test_goal_depth_is_in_the_level_range_and_the_rule_count_is_fixed():
    for level, settings in DeductionChains.levels.items():
        f = DeductionChains.make(level)
        for i in range(40):
            p = f.generate(random.Random(i))
            assert len(p.data["rules"]) == settings["depth"] + settings["distractors"]
            if p.data["kind"] == "depth":
                assert settings["min_depth"] <= int(p.answer_text) <= settings["depth"]
