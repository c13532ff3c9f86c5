"""syllogisms: the classic forms under modern (Boolean) semantics; two solvers agree."""

from __future__ import annotations

from itertools import product

from synthcompile.compilers.logic.families.syllogisms import (
    CANDIDATES, FIGURES, M, P, S, Syllogisms, solve_conclusion, solve_validity, valid_by_models)

Q = ("all", "no", "some", "some-not")


def test_barbara_valid_undistributed_middle_invalid_darapti_invalid():
    barbara = (("all", M, P), ("all", S, M))
    assert valid_by_models(barbara, ("all", S, P))
    undistributed = (("all", P, M), ("all", S, M))  # All P are M, All S are M: All S are P?
    assert not valid_by_models(undistributed, ("all", S, P))
    darapti = (("all", M, P), ("all", M, S))  # needs existential import, which we do not assume
    assert not valid_by_models(darapti, ("some", S, P))


def test_exactly_the_fifteen_boolean_valid_forms():
    valid = [(premises, c) for n, (major, minor) in FIGURES.items() for q1, q2, qc in product(Q, Q, Q)
             for premises in [((q1, *major), (q2, *minor))] for c in [(qc, S, P)]
             if valid_by_models(premises, c)]
    assert len(valid) == 15


def test_region_reasoning_agrees_with_brute_force():
    for major, minor in FIGURES.values():
        for q1, q2 in product(Q, Q):
            for premises in (((q1, *major), (q2, *minor)), ((q2, *minor), (q1, *major))):
                for conclusion in CANDIDATES:
                    assert solve_validity(premises, conclusion)[0] == valid_by_models(premises, conclusion)
                found, _ = solve_conclusion(premises)
                assert (found is not None) == any(valid_by_models(premises, c) for c in CANDIDATES)


def test_conclusion_answers_in_either_term_order():
    f = Syllogisms.make(5)
    data = {"kind": "conclude", "terms": ["wugs", "daxes", "feps"],
            "premises": [["no", M, P], ["all", S, M]], "conclusion": ["no", S, P]}  # Celarent
    assert f.verify(data, "No wugs are feps").passed
    assert f.verify(data, "Answer: no feps are wugs.").passed
    assert not f.verify(data, "Some wugs are feps").passed
    assert not f.verify(data, "No wugs are daxes").passed  # not about the end terms
    assert not f.verify(data, "nothing follows").passed
