"""propositional_logic: answers are judged by semantics, not by their spelling."""

from __future__ import annotations

import random

from synthcompile.compilers.logic.families.propositional_logic import (
    PropositionalLogic, parse_formula, split_search, tables, variables_of)

P_AND_Q = ["and", ["var", "p"], ["var", "q"]]
P_OR_Q = ["or", ["var", "p"], ["var", "q"]]


def test_parser_precedence_and_ascii_forms():
    assert parse_formula("p & q | r") == ["or", P_AND_Q, ["var", "r"]]
    assert parse_formula("p -> q -> r") == ["imp", ["var", "p"], ["imp", ["var", "q"], ["var", "r"]]]
    assert parse_formula("not p and q") == ["and", ["not", ["var", "p"]], ["var", "q"]]
    assert parse_formula("¬(p ∧ q)") == ["not", P_AND_Q]
    assert parse_formula("(p ∧ q") is None and parse_formula("p ∧") is None


def test_an_equivalent_formula_is_accepted_for_nnf():
    f = PropositionalLogic.make(3)
    data = {"kind": "nnf", "formula": ["imp", ["var", "p"], ["var", "q"]]}  # ¬(p → q) ≡ p ∧ ¬q
    assert f.verify(data, "p ∧ ¬q").passed
    assert f.verify(data, "Answer: ~q & p").passed
    assert f.verify(data, "(p ∧ ¬q) ∨ (p ∧ ¬q ∧ q)").passed  # equivalent, still NNF
    assert not f.verify(data, "¬(p → q)").passed             # equivalent, but not NNF
    assert not f.verify(data, "p ∧ q").passed                # NNF, not equivalent


def test_any_satisfying_assignment_is_accepted():
    f = PropositionalLogic.make(2)
    data = {"kind": "satisfiable", "formula": P_OR_Q}
    for good in ("p = true, q = false", "p=F, q=T", "p: 1; q: 1", "p"):  # "p" alone forces truth
        assert f.verify(data, good).passed, good
    for bad in ("p = false, q = false", "q = false", "unsatisfiable", "p = true, p = false"):
        assert not f.verify(data, bad).passed, bad


def test_unsatisfiable_and_entailment():
    f = PropositionalLogic.make(3)
    contradiction = ["and", ["var", "p"], ["not", ["var", "p"]]]
    assert split_search(contradiction, ["p"], []) is None
    assert f.verify({"kind": "satisfiable", "formula": contradiction}, "unsatisfiable").passed
    modus_ponens = {"kind": "entails", "premises": [["imp", ["var", "p"], ["var", "q"]], ["var", "p"]],
                    "formula": ["var", "q"]}
    assert f.verify(modus_ponens, "yes").passed and not f.verify(modus_ponens, "no").passed
    converse = {**modus_ponens, "premises": [["imp", ["var", "p"], ["var", "q"]], ["var", "q"]],
                "formula": ["var", "p"]}
    assert f.verify(converse, "no").passed


def test_search_trace_finds_a_model_the_truth_table_confirms():
    f = PropositionalLogic.make(4)
    for i in range(50):
        problem = f.generate(random.Random(i))
        if problem.data["kind"] == "satisfiable" and problem.answer_text != "unsatisfiable":
            formula = problem.data["formula"]
            names = tuple(sorted(variables_of(formula)))
            (mask,), _, _ = tables([formula], names)
            assert mask and problem.trace and "satisfied" in " ".join(problem.trace)


def test_each_question_kind_has_its_own_answer_words():
    f = PropositionalLogic.make(3)
    contradiction = {"kind": "satisfiable", "formula": ["and", ["var", "p"], ["not", ["var", "p"]]]}
    for answer in ("unsat", "No, it is unsatisfiable", "Unsatisfiable.", "not satisfiable"):
        assert f.verify(contradiction, answer).passed, answer
    assert not f.verify({"kind": "satisfiable", "formula": P_OR_Q}, "unsat").passed
    evaluate = {"kind": "evaluate", "formula": P_AND_Q, "assignment": {"p": 1, "q": 1}}
    assert f.verify(evaluate, "true").passed and f.verify(evaluate, "True.").passed
    for foreign in ("member", "eligible", "reachable", "sat", "valid", "1", "t", "yes"):
        assert not f.verify(evaluate, foreign).passed, foreign
