"""topological_order: every valid order is accepted; cycles have none."""

from __future__ import annotations

import random

from synthcompile.compilers.logic.families.topological_order import TopologicalOrder, kahn

DATA = {"tasks": ["A", "B", "C", "D"], "edges": [["A", "C"], ["B", "C"], ["C", "D"]]}


def test_a_different_valid_order_is_accepted():
    f = TopologicalOrder.make(1)
    assert f.verify(DATA, "A, B, C, D").passed
    assert f.verify(DATA, "Answer: B, A, C, D").passed  # not the order Kahn's algorithm gives
    assert not f.verify(DATA, "A, C, B, D").passed       # C before its prerequisite B
    assert not f.verify(DATA, "A, B, C").passed          # D missing
    assert not f.verify(DATA, "A, B, C, D, A").passed    # duplicate
    assert not f.verify(DATA, "impossible").passed


def test_a_cycle_has_no_order():
    cyclic = {"tasks": ["A", "B", "C"], "edges": [["A", "B"], ["B", "C"], ["C", "A"]]}
    assert kahn(cyclic["tasks"], cyclic["edges"], trace=False)[0] is None
    f = TopologicalOrder.make(3)
    assert f.verify(cyclic, "impossible").passed
    assert not f.verify(cyclic, "A, B, C").passed


def test_cycles_appear_at_higher_levels():
    f = TopologicalOrder.make(5)
    answers = [f.generate(random.Random(i)).answer_text for i in range(200)]
    assert 10 < answers.count("impossible") < 100


def test_no_order_is_accepted_in_words_when_there_is_a_cycle():
    f = TopologicalOrder.make(1)
    cycle = {"tasks": ["A", "B", "C"], "edges": [["A", "B"], ["B", "C"], ["C", "A"]]}
    for answer in ("no valid order exists", "There is no valid order.", "impossible",
                   "it is impossible", "no possible ordering", "cycle"):
        assert f.verify(cycle, answer).passed, answer
        assert not f.verify(DATA, answer).passed, answer
    assert not f.verify(cycle, "A, B, C").passed
