"""answers: numbers and yes/no words are read exactly, each in its family's own vocabulary."""

from __future__ import annotations

from fractions import Fraction

import pytest

from synthcompile.answers import TRUE_FALSE, YES_NO, Vocabulary, final_block, parse_bool, parse_int, parse_number


@pytest.mark.parametrize(("text", "value"), [
    ("48", 48), ("1,234", 1234), ("-1,234,567", -1234567), ("1 234", 1234), ("1_000", 1000),
    ("+5", 5), ("\u22127", -7), ("12.0", 12), ("123,456.0", 123456),
])
def test_integers_with_thousands_groups(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["4,8", "8,6400", "-1,45070293", "12,34,567", "1,23", "1_0",
                                  "1,234 567", "1,234_567", ",123", "1,", "1.5"])
def test_commas_and_underscores_only_as_thousands_separators(text):
    assert parse_int(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("1,234.5", Fraction(2469, 2)), ("-3/4", Fraction(-3, 4)), ("0.75", Fraction(3, 4)),
    ("7549.50", Fraction(15099, 2)), ("1 1/2", Fraction(3, 2)),
])
def test_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["8,6400", "7549,50", "4,8", "1,2/3"])
def test_a_decimal_comma_or_a_stray_comma_is_no_number(text):
    assert parse_number(text) is None


def test_each_family_answers_in_its_own_words():
    reach = Vocabulary(("yes", "reachable"), ("no", "unreachable", "there is no path"))
    assert parse_bool("Reachable.", reach) is True and parse_bool("there is no path", reach) is False
    for foreign in ("valid", "member", "sat", "1", "t", "eligible", "invalid", "unsat", "not a member"):
        assert parse_bool(foreign, reach) is None, foreign
        assert parse_bool(foreign, TRUE_FALSE) is None, foreign
    assert parse_bool("True", TRUE_FALSE) is True and parse_bool("yes", TRUE_FALSE) is None
    assert parse_bool("No.", YES_NO) is False and parse_bool("false", YES_NO) is None


def test_a_yes_or_no_restated_must_agree_with_itself():
    sat = Vocabulary(("satisfiable",), ("unsatisfiable",))
    assert parse_bool("No, it is unsatisfiable", sat) is False
    assert parse_bool("Yes, the formula is satisfiable.", sat) is True
    assert parse_bool("Yes, it is unsatisfiable", sat) is None  # contradicts itself
    assert parse_bool("No, because reasons", sat) is None
    with pytest.raises(ValueError):
        Vocabulary(("yes",), ("yes",))


def test_a_bare_multi_line_answer_is_read_whole():
    assert final_block("u = -4\nv = -1/2") == "u = -4\nv = -1/2"
    assert final_block("<think>work</think>\nu = -4\nv = -1/2") == "u = -4\nv = -1/2"
    assert final_block("I think so.\nAnswer: 7") == "7"
    assert final_block("just 7.") == "just 7"


# (family, level, kind in data, its own words) for each yes/no question.
YES_NO_QUESTIONS = [("grammar", 1, "member", {"member", "not a member"}),
                    ("syllogisms", 3, "validity", {"valid", "invalid"}),
                    ("deduction_chains", 2, "derivable", set()), ("propositional_logic", 3, "entails", set()),
                    ("graph_paths", 1, "reachable", {"reachable", "unreachable"}),
                    ("propositional_logic", 1, "evaluate", set())]
FOREIGN = ("member", "not a member", "valid", "invalid", "sat", "unsat", "eligible", "reachable",
           "unreachable", "1", "0", "t", "f")


@pytest.mark.parametrize(("name", "level", "kind", "own"), YES_NO_QUESTIONS)
def test_yes_no_families_refuse_other_families_words(name, level, kind, own):
    import json
    import random

    from synthcompile.compilers.logic.registry import families

    family = families()[name].make(level)
    problem = next(p for p in (family.generate(random.Random(i)) for i in range(300))
                   if p.data["kind"] == kind)
    data = json.loads(json.dumps(problem.data))
    assert family.verify(data, problem.answer_text).passed
    for word in FOREIGN:
        if word not in own:
            assert not family.verify(data, word).passed, (name, word)
