"""answers: numbers and yes/no words are read exactly, each in its family's own vocabulary."""

from __future__ import annotations

from fractions import Fraction

import pytest

from synthcompile.answers import (MAX_DIGITS, TRUE_FALSE, YES_NO, Vocabulary, final_answer, final_block, final_list,
                                  parse_assignments, parse_bool, parse_congruence, parse_count, parse_int,
                                  parse_int_list, parse_items, parse_lowest_terms, parse_number, says_impossible,
                                  says_none, too_long, without_approx)


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


@pytest.mark.parametrize("response", [
    "**Answer:** 1262", "**Answer: 1262**", "Answer: **1262**", "**Final Answer**: 1262", "__Answer:__ 1262",
    "### Answer: 1262", "**1262**", "*1262*", "__1262__", "**1262**.", "`1262`", "The answer is **1262**.",
    "**The answer is 1262.**", "So the answer is: 1262", "\\boxed{1262}", "$\\boxed{1262}$ (see {note})",
    "\\boxed{1262} then {a} and {b}", "<think>Answer: 5</think>\n**Answer:** 1262",
])
def test_emphasis_and_boxes_around_the_answer(response):
    assert final_answer(response) == "1262"


def test_boxed_braces_balance():
    assert final_answer("so \\boxed{\\frac{1}{2}} and {x}") == "\\frac{1}{2}"
    assert final_answer("\\boxed{\\text{valid}}") == "valid"
    assert final_answer("\\boxed{1} first, \\boxed{2} last") == "2"
    assert parse_number(final_answer("\\boxed{-\\frac{7}{2}}")) == Fraction(-7, 2)
    assert final_answer("\\boxed{unclosed\nAnswer: 3") == "3"  # no balanced box: the lead counts
    assert final_answer("1_000") == "1_000"  # underscores strip only in pairs


@pytest.mark.parametrize(("response", "items"), [
    ("3\n5\n8", ["3", "5", "8"]), ("Sorted:\n- 3\n- 5\n- 8", ["3", "5", "8"]),
    ("Order:\n1. C\n2. A\n3. B", ["C", "A", "B"]), ("* C\n* A", ["C", "A"]), ("-3\n-1\n2", ["-3", "-1", "2"]),
    ("Answer:\n1. B\n2. A", ["B", "A"]), ("work\n</think>\nA\nB", ["A", "B"]), ("3, 5, 8", ["3", "5", "8"]),
    ("I sorted them.\n3, 5, 8", ["3", "5", "8"]),
])
def test_a_list_one_item_per_line(response, items):
    assert parse_items(final_list(response)) == items


def test_numbering_must_count_from_one():
    assert parse_items("2. A\n3. B") == ["2. A", "3. B"]  # not a numbered list: nothing stripped
    assert parse_int_list(final_list("1. 7\n2. 9")) == [7, 9]
    assert final_list("just one\n7") == "7"  # a single trailing item: the last line, as before


def test_whole_numbers_in_lowest_terms_take_the_integer_forms():
    for text in ("1,262", "1262.0", "1,262.0", "+1262"):
        assert parse_lowest_terms(text) == 1262, text
    for text in ("12,62", "6/3", "0.5", "2524/2", "1,2/3"):
        assert parse_lowest_terms(text) is None, text
    assert parse_lowest_terms("630,499/1,000") == Fraction(630499, 1000)
    assert parse_lowest_terms("3/-4") == parse_lowest_terms("-(3/4)") == parse_number("-3/4") == Fraction(-3, 4)


def test_numbers_past_the_digit_limit_are_refused_not_raised():
    junk = "9" * (MAX_DIGITS + 400)
    for parse in (parse_int, parse_number, parse_lowest_terms):
        assert parse(junk) is None and parse("-" + junk) is None
    assert parse_int_list(f"1, {junk}") is None and parse_number(f"{junk}/7") is None
    assert too_long(junk) and too_long("Answer: " + ",".join(["999"] * 1500))
    assert too_long("12345 " * 1000) is None and parse_int("9" * MAX_DIGITS) == int("9" * MAX_DIGITS)


def test_counts_with_their_unit():
    assert parse_count("3 steps", ("step",)) == 3 and parse_count("1 step", ("step",)) == 1
    assert parse_count("12 Rule Applications", ("rule application",)) == 12
    assert parse_count("1,262 days", ("day",)) == 1262 and parse_count("3", ("step",)) == 3
    assert parse_count("3 apples", ("step",)) is None and parse_count("3 steps") is None


def test_congruences_and_approximations():
    assert parse_congruence("x ≡ 5 (mod 7)") == ("5", 7) and parse_congruence("≡ 5") == ("5", None)
    assert parse_congruence("5 mod 7") == ("5", 7) and parse_congruence("5") == ("5", None)
    assert parse_congruence("12 ≡ 5") == ("12 ≡ 5", None)  # a number is no variable
    assert without_approx("≈ 3.14") == without_approx("~3.14") == "3.14"
    assert without_approx("3.14 ≈") == "3.14 ≈"


def test_tuples_of_values():
    assert parse_assignments("(x, y) = (1, -1/2)") == [("x", "1"), ("y", "-1/2")]
    assert parse_assignments("x, y = 1,262, 3") == [("x", "1,262"), ("y", "3")]
    assert parse_assignments("(x, y) = (1,262)") == [("x", "1"), ("y", "262")]
    assert parse_assignments("(x, y) = (1, 2, 3)") is None
    assert parse_assignments("x = \\frac{1}{2}") == [("x", "\\frac{1}{2}")]
    assert parse_assignments("- x = 1\n- y = 2") == [("x", "1"), ("y", "2")]


def test_sentences_answer_in_the_family_words():
    sat = Vocabulary(("satisfiable",), ("unsatisfiable", "no satisfying assignment"))
    valid = Vocabulary(("valid",), ("invalid", "not valid"))
    assert parse_bool("There is no satisfying assignment.", sat) is False
    assert parse_bool("The formula is satisfiable", sat) is True
    assert parse_bool("The syllogism is valid.", valid) is True
    assert parse_bool("The syllogism is invalid", valid) is False
    assert parse_bool("Therefore, this argument is not valid.", valid) is False
    assert parse_bool("The syllogism is reachable", valid) is None and parse_bool("It is maybe valid", valid) is None


def test_infeasible_says_no_solution():
    assert says_none("infeasible") and says_none("It is impossible.") and says_impossible("**x**".strip("*")) is False
    assert says_impossible("Infeasible.") and not says_impossible("none") and not says_none("feasible")
