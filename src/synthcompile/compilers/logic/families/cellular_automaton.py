"""Elementary cellular automata: run a one-dimensional rule for k steps and give the final row.

State tracking in its plainest form: each cell's next value is looked up from its own value and
its two neighbours' (a rule table of 8 entries, written out, or at the higher levels only its
Wolfram number, which the solver first decodes). The row wraps around at the ends. The trace is
every generation the solver computes; at the higher levels it also decodes the rule number.

Rules and starting rows are drawn until the run is not degenerate: the final row is neither
all 0s nor all 1s, differs from every earlier generation (no fixed point or cycle that a model
could answer by copying), and differs from the start shifted by any amount (rule 170 and friends
only rotate the row). ``verify`` reruns the automaton from the stored rule and row.
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.sample import Verdict

NEIGHBOURHOODS = ("111", "110", "101", "100", "011", "010", "001", "000")  # Wolfram's order: bit 7 first


class CellularAutomatonConfig(FamilyConfig):
    width: int = Field(ge=5, le=200, description="cells in the row (it wraps around)")
    steps: int = Field(ge=1, le=100, description="generations to run")
    table: bool = Field(description="write the rule out as a table (else give only its Wolfram number)")
    attempts: int = Field(500, ge=1, le=100000, description="draws before giving up on a non-degenerate run")


def step(row: str, rule: int) -> str:
    n = len(row)
    return "".join(str(rule >> int(row[i - 1] + row[i] + row[(i + 1) % n], 2) & 1) for i in range(n))


def run(row: str, rule: int, steps: int) -> list[str]:
    rows = [row]
    for _ in range(steps):
        rows.append(step(rows[-1], rule))
    return rows


def degenerate(rows: list[str]) -> bool:
    last = rows[-1]
    if len(set(last)) == 1 or last in rows[:-1]:
        return True
    start = rows[0]
    return any(start[k:] + start[:k] == last for k in range(len(start)))


class CellularAutomaton(Family):
    name = "cellular_automaton"
    description = "Run an elementary (one-dimensional, wrap-around) cellular automaton for k steps; give the final row."
    skills = ("state tracking", "rule application", "multi-step reasoning")
    Config = CellularAutomatonConfig
    levels = {
        1: dict(width=8, steps=1, table=True),
        2: dict(width=10, steps=2, table=True),
        3: dict(width=12, steps=3, table=True),
        4: dict(width=14, steps=4, table=False),
        5: dict(width=16, steps=6, table=False),
    }
    phrasings = (
        "A row of cells, each 0 or 1, changes in steps: {rule}\nThe row wraps around (the first and last "
        "cells are neighbours). Start: {row}\nWhat is the row after {steps}?",
        "Elementary cellular automaton. {rule}\nInitial row (cyclic): {row}\nGive the row after {steps}.",
        "Each cell's next value depends on itself and its left and right neighbours. {rule}\n"
        "The ends wrap around. Row now: {row}\nWhat does it look like after {steps}?",
        "{rule}\nApply this update to the circular row {row} for {steps}. Final row?",
        "Simulate the cellular automaton below for {steps}, treating the row as a ring.\n{rule}\n"
        "Starting row: {row}\nAnswer with the final row of 0s and 1s.",
    )

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        for _ in range(c.attempts):
            rule = int(rng.random() * 256)
            row = "".join("1" if rng.random() < 0.5 else "0" for _ in range(c.width))
            rows = run(row, rule, c.steps)
            if not degenerate(rows):
                break
        else:
            raise GenerationFailed(f"no non-degenerate run in {c.attempts} draws")
        table = ", ".join(f"{h} -> {rule >> (7 - i) & 1}" for i, h in enumerate(NEIGHBOURHOODS))
        said = (f"The rule (left, self, right -> next): {table}." if c.table else
                f"The rule is Wolfram rule {rule}: neighbourhoods 111, 110, ..., 000 (left, self, right) map "
                f"to the bits of {rule} in binary, highest bit first.")
        trace = [] if c.table else [f"rule {rule} = {rule:08b} in binary: {table}"]
        trace += [f"step 0: {rows[0]}"] + [f"step {i}: {r}" for i, r in enumerate(rows[1:], 1)]
        return Problem(fields={"rule": said, "row": row, "steps": f"{c.steps} step{'s' * (c.steps > 1)}"},
                       answer_text=rows[-1], trace=trace, terse=[" -> ".join(rows[1:])],
                       data={"kind": "final_row", "rule": rule, "row": row, "steps": c.steps})

    def verify(self, data: dict, answer: str) -> Verdict:
        want = run(data["row"], data["rule"], data["steps"])[-1]
        given = re.sub(r"[\s,|\[\]()'\"`]", "", final_answer(answer))
        if not re.fullmatch(r"[01]*", given):
            return self.wrong(f"not a row of 0s and 1s: {final_answer(answer)!r}")
        if len(given) != len(want):
            return self.wrong(f"expected {len(want)} cells, got {len(given)}")
        return self.ok() if given == want else self.wrong(
            f"cells {', '.join(str(i + 1) for i, (a, b) in enumerate(zip(given, want)) if a != b)} are wrong")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d = problem.data
        rows = run(d["row"], d["rule"], d["steps"] + 1)
        want = rows[-2]
        flipped = want[:3] + ("1" if want[3] == "0" else "0") + want[4:]
        return [w for w in dict.fromkeys([rows[-3], rows[-1], flipped, want[1:] + want[0], want[:-1]]) if w != want]


FAMILY = CellularAutomaton
