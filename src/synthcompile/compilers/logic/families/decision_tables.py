"""Business rules as decision tables: eligibility, shipping, progressive tax and discounts.

- eligibility: a first-hit table (rows top to bottom, the first row whose conditions all hold
  gives the outcome; the last row is the default). Every outcome of the level labels the same
  number of rows (in a random order), and the answer is drawn first, uniformly, then a case that
  reaches it: the table's words say nothing about the answer;
- shipping: weight brackets give a base price, plus surcharges for express and remote delivery;
- tax: progressive brackets, each rate applying only to the part of income inside its bracket;
- discount: rules with priorities; only the applicable rule with the highest priority applies.

Money is kept in integer cents, so every answer is exact. The trace lists the rows and
conditions in the order they were checked (a row stops at its first failing condition). The
verifier recomputes the outcome from the table and case stored in ``data``.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import Field

from synthcompile.answers import final_answer, norm_word, parse_amount, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.sample import Verdict

Kind = Literal["eligibility", "shipping", "tax", "discount"]
OUTCOMES = ("approve", "deny", "review", "refer")  # a level uses the first ``outcomes`` of them
ATTEMPTS = 100  # eligibility tables drawn before giving up on one whose case reaches the answer drawn
# Applicant attributes: numeric ones with the thresholds rules use and the range values come from.
NUMERIC = {"age": ((18, 21, 25, 30, 40, 65), (16, 80)),
           "income": ((20, 30, 50, 80, 120), (10, 200)),
           "credit score": ((500, 600, 650, 700, 750), (350, 850)),
           "years employed": ((1, 2, 3, 5, 10), (0, 30))}
CATEGORICAL = {"member": ("yes", "no"), "region": ("north", "south", "east", "west"),
               "employment": ("salaried", "self-employed", "student", "retired")}
COUPONS = ("none", "SAVE10", "WELCOME", "VIP")
CATEGORIES = ("books", "toys", "garden", "food")


class DecisionTablesConfig(FamilyConfig):
    kinds: tuple[Kind, ...] = Field(min_length=1, description="tables: eligibility, shipping, tax, discount")
    rows: int = Field(ge=2, le=12, description="rows of an eligibility table or discount rules (incl. default)")
    conditions: int = Field(
        ge=1, le=len(NUMERIC) + len(CATEGORICAL), description="condition columns of an eligibility table"
    )
    brackets: int = Field(ge=2, le=8, description="tax or shipping brackets")
    outcomes: int = Field(4, ge=2, le=len(OUTCOMES), description="outcomes of an eligibility table (approve, deny, "
                          "review, refer: the first this many), each on as many rows as the others")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def show_test(test: list) -> str:
    op, value = test
    if op == "in":
        return "in {" + ", ".join(value) + "}"
    return f"{op} {value}"


def holds(test: list, value: Any) -> bool:
    op, target = test
    if op == ">=":
        return value >= target
    if op == "<":
        return value < target
    if op == "=":
        return value == target
    return value in target  # "in"


def first_hit(columns: list[str], rows: list, case: dict, steps: list[str] | None) -> str:
    """Rows top to bottom; a row's conditions left to right, stopping at the first that fails."""
    for k, (tests, outcome) in enumerate(rows, 1):
        checked = []
        for column, test in zip(columns, tests):
            if test is None:
                continue
            ok = holds(test, case[column])
            checked.append(f"{column} {case[column]}: {show_test(test)}? {'yes' if ok else 'no'}")
            if not ok:
                break
        else:
            if steps is not None:
                steps.append(f"row {k}: " + (", ".join(checked) if checked else "no conditions")
                             + f" -> match: {outcome}")
            return outcome
        if steps is not None:
            steps.append(f"row {k}: {', '.join(checked)} -> skip")
    raise ValueError("rows: the table has no default row")


def shipping_cost(d: dict, steps: list[str] | None) -> int:
    weight = d["weight_tenths"]
    price = d["over_cents"]
    for limit, cents in d["brackets"]:
        fits = weight <= limit * 10
        if steps is not None:
            steps.append(f"{weight / 10:g} kg up to {limit} kg? {'yes' if fits else 'no'}")
        if fits:
            price = cents
            break
    else:
        if steps is not None:
            steps.append(f"over the last bracket: {money(price)}")
    if steps is not None:
        steps.append(f"base price {money(price)}")
    for name in ("express", "remote"):
        if d[name]:
            if steps is not None:
                steps.append(f"{name} surcharge {money(price)} + {money(d[name + '_cents'])} = "
                             f"{money(price + d[name + '_cents'])}")
            price += d[name + "_cents"]
    return price


def tax_due(d: dict, steps: list[str] | None) -> int:
    """Progressive tax in cents: rate% of a dollar amount is exactly amount * rate cents."""
    income, lower, total = d["income"], 0, 0
    for upper, rate in [*d["brackets"], [None, d["top_rate"]]]:
        top = income if upper is None else min(income, upper)
        part = max(0, top - lower)
        total += part * rate
        if steps is not None:
            span = f"{lower}-{upper}" if upper is not None else f"over {lower}"
            steps.append(f"bracket {span} at {rate}%: {part} taxed = {money(part * rate)}; total {money(total)}")
        if upper is None or income <= upper:
            break
        lower = upper
    return total


def discounted(d: dict, steps: list[str] | None) -> int:
    """Only the applicable rule with the smallest priority number applies."""
    order, price = d["order"], d["price"] * 100
    for priority, tests, effect in sorted(d["rules"], key=lambda r: r[0]):
        checked = []
        for column, test in tests:
            ok = holds(test, order[column])
            checked.append(f"{column} {order[column]}: {show_test(test)}? {'yes' if ok else 'no'}")
            if not ok:
                break
        else:
            kind, amount = effect
            off = d["price"] * amount if kind == "percent" else amount * 100
            off = min(off, price)
            if steps is not None:
                steps.append(f"priority {priority}: " + (", ".join(checked) or "always applies")
                             + f" -> applies: {money(price)} - {money(off)} = {money(price - off)}")
            return price - off
        if steps is not None:
            steps.append(f"priority {priority}: {', '.join(checked)} -> does not apply")
    if steps is not None:
        steps.append(f"no rule applies: the price stays {money(price)}")
    return price


def describe_effect(effect: list) -> str:
    kind, amount = effect
    return f"{amount}% off" if kind == "percent" else f"{amount}.00 off"


class DecisionTables(Family):
    name = "decision_tables"
    description = "Business rules: first-hit eligibility tables, shipping and tax brackets, prioritised discounts."
    # 2: eligibility outcomes balanced within each table and the answer drawn first; the deciding
    #    row, tax bracket and discount rule as likely at any depth; kinds added level by level and
    #    larger tables, so traces grow with the level (issue 11)
    version = "2"
    skills = ("rule following", "business logic")
    Config = DecisionTablesConfig
    levels = {
        1: dict(kinds=("eligibility",), rows=4, outcomes=2, conditions=1, brackets=3),
        2: dict(kinds=("eligibility", "shipping"), rows=6, outcomes=3, conditions=2, brackets=3),
        3: dict(kinds=("eligibility", "shipping", "tax"), rows=8, outcomes=4, conditions=3, brackets=4),
        4: dict(kinds=("eligibility", "shipping", "tax", "discount"), rows=8, outcomes=4, conditions=3, brackets=6),
        5: dict(kinds=("eligibility", "shipping", "tax", "discount"), rows=12, outcomes=4, conditions=4,
                brackets=8),
    }
    phrasings = (
        "{table}\n{ask}",
        "Apply these business rules.\n{table}\n{ask}",
        "{ask}\nUse the following rules:\n{table}",
        "Policy:\n{table}\nQuestion: {ask}",
        "Here is a decision table.\n{table}\n{ask} Give the exact result.",
        "Rules in force:\n{table}\nCase: {ask}",
    )

    def generate(self, rng: random.Random) -> Problem:
        kind = rng.choice(self.config.kinds)
        steps: list[str] = []
        table, ask, data = getattr(self, f"_{kind}")(rng)
        data["kind"] = kind
        value = self._solve(data, steps)
        answer = value if isinstance(value, str) else money(value)
        return Problem(fields={"table": table, "ask": ask}, answer_text=answer, trace=steps,
                       terse=steps[-1:], data=data, skills=(kind,))

    @staticmethod
    def _solve(d: dict, steps: list[str] | None) -> str | int:
        """The outcome (eligibility) or the amount in cents (the others)."""
        kind = d["kind"]
        if kind == "eligibility":
            return first_hit(d["columns"], d["rows"], d["case"], steps)
        return {"shipping": shipping_cost, "tax": tax_due, "discount": discounted}[kind](d, steps)

    # Table builders: each returns (table text, question, data) --------------------------------

    def _eligibility(self, rng: random.Random) -> tuple[str, str, dict]:
        c = self.config
        outcomes = OUTCOMES[:min(c.outcomes, c.rows)]
        want = outcomes[int(rng.random() * len(outcomes))]  # the answer first
        for _ in range(ATTEMPTS):
            columns = rng.sample(sorted([*NUMERIC, *CATEGORICAL]), c.conditions)
            labels = [outcomes[k % len(outcomes)] for k in range(c.rows)]  # each outcome equally often
            rng.shuffle(labels)
            rows: list = []
            for outcome in labels[:-1]:
                tests = [None if rng.random() < 0.35 else self._test(rng, col) for col in columns]
                if all(t is None for t in tests):
                    tests[0] = self._test(rng, columns[0])
                rows.append([tests, outcome])
            rows.append([[None] * len(columns), labels[-1]])
            # The row that decides: any row with that outcome, so every row is as likely.
            hit = rng.choice([k for k, (_, outcome) in enumerate(rows) if outcome == want])
            case = self._case(rng, columns, rows, hit)
            if case is not None:
                break
        else:
            raise GenerationFailed(f"{self.name}: no eligibility case reaching {want} after {ATTEMPTS} attempts")
        header = "| # | " + " | ".join(columns) + " | outcome |"
        lines = [header, "|---" * (len(columns) + 2) + "|"]
        for k, (tests, outcome) in enumerate(rows, 1):
            cells = ["-" if t is None else show_test(t) for t in tests]
            lines.append(f"| {k} | " + " | ".join(cells) + f" | {outcome} |")
        table = "First matching row wins (top to bottom; '-' means any value):\n" + "\n".join(lines)
        ask = "Applicant: " + ", ".join(f"{col} {case[col]}" for col in columns) + ". What is the outcome?"
        return table, ask, {"columns": columns, "rows": rows, "case": case}

    def _case(self, rng: random.Random, columns: list[str], rows: list, hit: int) -> dict | None:
        """A case whose first matching row is ``hit``, or None: it meets that row's conditions,
        and each earlier row that would match is made to fail on a column ``hit`` leaves open."""
        case = {col: self._value(rng, col) for col in columns}
        for col, test in zip(columns, rows[hit][0]):
            if test is not None:
                case[col] = self._satisfying(rng, col, test)
        free = [k for k, test in enumerate(rows[hit][0]) if test is None]
        for _ in range(2 * hit + 1):
            caught = next((tests for tests, _ in rows[:hit]
                           if all(t is None or holds(t, case[col]) for col, t in zip(columns, tests))), None)
            if caught is None:
                return case
            open_ = [k for k in free if caught[k] is not None]
            if not open_:
                return None  # that row asks only what the hit row fixes
            k = rng.choice(open_)
            case[columns[k]] = self._violating(rng, columns[k], caught[k])
        return None

    @staticmethod
    def _violating(rng: random.Random, column: str, test: list) -> Any:
        op, target = test
        if column in NUMERIC:
            low, high = NUMERIC[column][1]
            return rng.randint(low, target - 1) if op == ">=" else rng.randint(target, high)
        return rng.choice([v for v in CATEGORICAL[column] if not holds(test, v)])

    @staticmethod
    def _test(rng: random.Random, column: str) -> list:
        if column in NUMERIC:
            return [rng.choice((">=", "<")), rng.choice(NUMERIC[column][0])]
        options = CATEGORICAL[column]
        if len(options) > 2 and rng.random() < 0.5:
            return ["in", sorted(rng.sample(options, 2))]
        return ["=", rng.choice(options)]

    @staticmethod
    def _value(rng: random.Random, column: str) -> Any:
        if column in NUMERIC:
            return rng.randint(*NUMERIC[column][1])
        return rng.choice(CATEGORICAL[column])

    @staticmethod
    def _satisfying(rng: random.Random, column: str, test: list) -> Any:
        op, target = test
        if op == "=":
            return target
        if op == "in":
            return rng.choice(target)
        low, high = NUMERIC[column][1]
        return rng.randint(target, high) if op == ">=" else rng.randint(low, target - 1)

    def _shipping(self, rng: random.Random) -> tuple[str, str, dict]:
        limits = sorted(rng.sample((1, 2, 3, 5, 10, 15, 20, 30, 50), self.config.brackets))
        cents = sorted(rng.sample(range(300, 6000, 50), self.config.brackets + 1))
        brackets = [[limit, price] for limit, price in zip(limits, cents)]
        d = {"brackets": brackets, "over_cents": cents[-1],
             "express": rng.random() < 0.5, "express_cents": rng.choice((500, 750, 1000, 1250)),
             "remote": rng.random() < 0.3, "remote_cents": rng.choice((300, 450, 800)),
             "weight_tenths": rng.randint(1, limits[-1] * 12)}
        rows = [f"up to {limit} kg: {money(price)}" for limit, price in brackets]
        rows.append(f"over {limits[-1]} kg: {money(cents[-1])}")
        table = ("Shipping rates (the first bracket the weight fits in):\n" + "\n".join(rows)
                 + f"\nExpress delivery adds {money(d['express_cents'])}; remote addresses add "
                 f"{money(d['remote_cents'])}.")
        extras = [name for name in ("express", "remote") if d[name]]
        service = " with " + " and ".join(f"{e} delivery" if e == "express" else "a remote address"
                                           for e in extras) if extras else " with standard delivery"
        ask = f"A parcel weighs {d['weight_tenths'] / 10:g} kg{service}. What does shipping cost?"
        return table, ask, d

    def _tax(self, rng: random.Random) -> tuple[str, str, dict]:
        n = self.config.brackets
        uppers = sorted(rng.sample(range(5000, 150001, 5000), n))
        rates = sorted(rng.sample(range(0, 46), n + 1))
        brackets = [[upper, rate] for upper, rate in zip(uppers, rates)]
        # The bracket the income falls in first (each as likely, the top one too), then the income.
        k = int(rng.random() * (n + 1))
        lower, upper = ([0, *uppers][k], uppers[k] if k < n else uppers[-1] + 30000)
        income = rng.randint(lower // 10 + 1, upper // 10) * 10
        lines, lower = [], 0
        for upper, rate in brackets:
            lines.append(f"{lower} to {upper}: {rate}%")
            lower = upper
        lines.append(f"above {lower}: {rates[-1]}%")
        table = "Progressive tax: each rate applies only to the part of income inside its bracket.\n" + "\n".join(lines)
        ask = f"How much tax is due on an income of {income}?"
        return table, ask, {"brackets": brackets, "top_rate": rates[-1], "income": income}

    def _discount(self, rng: random.Random) -> tuple[str, str, dict]:
        n = self.config.rows
        order = {"member": rng.choice(("yes", "no")), "coupon": rng.choice(COUPONS),
                 "order total": rng.randint(10, 300), "category": rng.choice(CATEGORIES)}
        price = order["order total"]
        pool = {"member": lambda: ["=", rng.choice(("yes", "no"))],
                "coupon": lambda: ["=", rng.choice(COUPONS[1:])],
                "order total": lambda: [">=", rng.choice((50, 100, 150, 200))],
                "category": lambda: ["in", sorted(rng.sample(CATEGORIES, 2))]}
        rules = []
        for priority in rng.sample(range(1, n + 1), n - 1):
            columns = rng.sample(sorted(pool), 1 + (rng.random() < 0.5))
            effect = ["percent", rng.choice((5, 10, 15, 20, 25))] if rng.random() < 0.6 \
                else ["amount", rng.choice((3, 5, 10, 15))]
            rules.append([priority, [[col, pool[col]()] for col in columns], effect])
        if rng.random() < 0.8:  # make one rule, any of them, the first that applies
            ranked = sorted(rules, key=lambda r: r[0])
            target = int(rng.random() * len(ranked))
            for col, test in ranked[target][1]:
                order[col] = self._order_value(rng, col, test)
            fixed = {col for col, _ in ranked[target][1]}
            for _, tests, _ in ranked[:target]:  # an earlier rule that applies fails on a column left open
                if all(holds(test, order[col]) for col, test in tests):
                    open_ = [(col, test) for col, test in tests if col not in fixed]
                    if open_:
                        col, test = rng.choice(open_)
                        order[col] = self._order_miss(rng, col, test)
                        fixed.add(col)
            price = order["order total"]
        lines = [f"priority {p}: if " + " and ".join(f"{col} {show_test(t)}" for col, t in tests)
                 + f", then {describe_effect(effect)}" for p, tests, effect in rules]
        table = ("Discount rules (only one applies: the applicable rule with the smallest priority number):\n"
                 + "\n".join(lines))
        ask = ("An order: " + ", ".join(f"{k} {v}" for k, v in order.items())
               + ". What is the price after the discount?")
        return table, ask, {"order": order, "price": price, "rules": rules}

    @staticmethod
    def _order_value(rng: random.Random, column: str, test: list) -> Any:
        op, target = test
        if op == ">=":
            return rng.randint(target, 300)
        return target if op == "=" else rng.choice(target)

    @staticmethod
    def _order_miss(rng: random.Random, column: str, test: list) -> Any:
        op, target = test
        if op == ">=":
            return rng.randint(10, target - 1)
        options = {"member": ("yes", "no"), "coupon": COUPONS, "category": CATEGORIES}[column]
        return rng.choice([v for v in options if not holds(test, v)])

    # Checking ----------------------------------------------------------------------------------

    def verify(self, data: dict, answer: str) -> Verdict:
        expected = self._solve(data, None)
        given = final_answer(answer)
        if (reason := too_long(given)) is not None:
            return self.wrong(reason)
        if data["kind"] == "eligibility":
            said = norm_word(given)
            return self.ok() if said == expected else self.wrong(f"expected {expected}, got {said!r}")
        amount = parse_amount(given)
        if amount is None:
            return self.wrong("not an amount")
        return self.ok() if amount * 100 == expected else self.wrong(f"expected {money(expected)}, got {given!r}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, answer = problem.data, problem.answer_text
        if d["kind"] == "eligibility":
            return [o for o in OUTCOMES if o != answer] + [f"{answer}, deny" if answer != "deny" else "deny, approve"]
        cents = int(answer.replace(".", ""))
        wrong = [money(cents + 1), money(cents - 100), money(cents * 10 + 1), f"{answer} {answer}"]
        if d["kind"] == "discount" and d["price"] * 100 != cents:
            wrong.append(money(d["price"] * 100))  # the discount forgotten
        return wrong


FAMILY = DecisionTables
