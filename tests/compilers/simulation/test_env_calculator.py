"""The calculator environment beyond the generic checks: exact arithmetic, the sandbox, its rules."""

from __future__ import annotations

import pytest

from synthcompile.compilers.simulation.envs.calculator import Calculator, _code_breach
from synthcompile.compilers.simulation.episodes import sample_task


@pytest.fixture
def env():
    return Calculator(8)


@pytest.mark.parametrize("expression, result", [
    ("0.1 + 0.2", {"result": "0.3"}), ("10 / 4", {"result": "2.5"}), ("2 ** -3", {"result": "0.125"}),
    ("-7 // 2", {"result": "-4"}), ("7 % -3", {"result": "-2"}), ("(1 + 2) * -3", {"result": "-9"}),
    ("10 / 3", {"result": "3.3333333333", "exact": "10/3"}),
])
def test_calculate_is_exact(env, expression, result):
    assert env.call("calculate", {"expression": expression}) == {"expression": expression, **result}


@pytest.mark.parametrize("expression, error", [
    ("1 / 0", "division by zero"), ("2 ** 0.5", "whole-number exponents"), ("2 ** 100000", "too large"),
    ("abs(-3)", "only numbers"), ("__import__('os')", "only numbers"), ("1 +", "not an arithmetic"),
    ("1e999", "too large"), ("+".join(["1"] * 1000), "too long"),
])
def test_calculate_refuses(env, expression, error):
    assert error in env.call("calculate", {"expression": expression})["error"]


def test_run_python_runs_in_the_sandbox(env):
    assert env.call("run_python", {"code": "print(sorted([3, 1, 2]))"}) == {"stdout": "[1, 2, 3]\n", "error": None}
    r = env.call("run_python", {"code": "print(1 / 0)"})
    assert r["error"].startswith("exception: ZeroDivisionError")


@pytest.mark.parametrize("code, rule", [
    ("import os\nprint(os.getcwd())", "imports os"), ("import urllib.request\nprint(1)", "imports urllib"),
    ("print(open('/etc/hostname').read())", "uses open"), ("print(().__class__)", "attribute __class__"),
    ("x = 2 + 2", "prints nothing"), ("print(eval('1'))", "uses eval"),
])
def test_code_rules(code, rule):
    assert rule in _code_breach(code)


def test_allowed_code_passes():
    assert _code_breach("import math\nfrom fractions import Fraction\nprint(math.sqrt(Fraction(9, 4)))") is None


def test_update_table_needs_a_computed_value(env):
    task = sample_task(Calculator, 8, 2, 0)
    args = {"table": "prices", "label": "total", "value": 12.5}
    assert "rule 1" in env.check_policy(task, [], "update_table", args)
    history = [("calculate", {"expression": "25 / 2"}, env.call("calculate", {"expression": "25 / 2"}))]
    assert env.check_policy(task, history, "update_table", args) is None
    history = [("run_python", {"code": "print(12.5)"}, {"stdout": "12.5\n", "error": None})]
    assert env.check_policy(task, history, "update_table", args) is None


def test_update_table_sets_or_adds_a_row(env):
    table = next(n for n in env.tables if n.startswith("sales_"))
    assert env.call("update_table", {"table": table, "label": "week 1", "value": 7})["new"] == 7
    assert env.call("update_table", {"table": table, "label": "total", "value": 9})["added"] is True
    assert env.tables[table]["rows"][0] == ["week 1", 7] and env.tables[table]["rows"][-1] == ["total", 9]


def test_units(env):
    assert env.call("convert_units", {"value": 100, "from_unit": "C", "to_unit": "F"})["result"] == "212"
    assert env.call("convert_units", {"value": 1, "from_unit": "mi", "to_unit": "km"})["result"] == "1.6093"
    assert "cannot convert" in env.call("convert_units", {"value": 1, "from_unit": "kg", "to_unit": "km"})["error"]


def test_means_are_finite_decimals():
    for world in range(30):
        env = Calculator(world)
        for name, table in env.tables.items():
            n = len(table["rows"])
            assert name == "prices" or n in (4, 5, 8, 10)
