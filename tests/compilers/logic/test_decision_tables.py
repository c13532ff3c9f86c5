"""decision_tables: first-hit order, progressive brackets, priorities, exact money."""

from __future__ import annotations

from synthcompile.compilers.logic.families.decision_tables import DecisionTables, tax_due

TABLE = {"kind": "eligibility", "columns": ["age", "member"],
         "rows": [[[[">=", 18], ["=", "yes"]], "approve"], [[[">=", 18], None], "review"],
                  [[None, None], "deny"]],
         "case": {"age": 30, "member": "yes"}}


def test_first_matching_row_wins():
    f = DecisionTables.make(2)
    assert f.verify(TABLE, "approve").passed           # rows 1 and 2 both match: row 1 wins
    assert not f.verify(TABLE, "review").passed
    assert f.verify({**TABLE, "case": {"age": 30, "member": "no"}}, "Review").passed
    assert f.verify({**TABLE, "case": {"age": 17, "member": "yes"}}, "deny").passed


def test_progressive_tax_applies_rates_to_slices_only():
    data = {"kind": "tax", "brackets": [[10000, 0], [40000, 10]], "top_rate": 20, "income": 50000}
    assert tax_due(data, None) == (3000 + 2000) * 100  # 10% of 30,000 + 20% of 10,000
    f = DecisionTables.make(3)
    assert f.verify(data, "$5,000.00").passed and f.verify(data, "5000").passed
    assert not f.verify(data, "10000.00").passed  # the top rate on everything
    assert not f.verify(data, "5000.01").passed


def test_highest_priority_applicable_discount_only():
    data = {"kind": "discount", "price": 100, "order": {"member": "yes", "coupon": "VIP",
                                                        "order total": 100, "category": "books"},
            "rules": [[2, [["member", ["=", "yes"]]], ["percent", 10]],
                      [1, [["coupon", ["=", "VIP"]]], ["amount", 5]],
                      [3, [["category", ["in", ["books", "toys"]]]], ["percent", 25]]]}
    f = DecisionTables.make(3)
    assert f.verify(data, "95.00").passed
    assert not f.verify(data, "90.00").passed and not f.verify(data, "67.50").passed
