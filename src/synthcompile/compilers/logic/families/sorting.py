"""Sorting a list of integers, with the passes of a bottom-up merge sort as the trace."""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import final_list, parse_int_list, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Direction = Literal["ascending", "descending"]
Merge = tuple[list[int], list[int], list[int]]  # left run, right run, merged run


class SortingConfig(FamilyConfig):
    min_size: int = Field(ge=2, le=500, description="fewest items in a list")
    max_size: int = Field(ge=2, le=500, description="most items in a list")
    low: int = Field(ge=-10**9, le=10**9, description="smallest value an item may take")
    high: int = Field(ge=-10**9, le=10**9, description="largest value an item may take")
    directions: tuple[Direction, ...] = Field(min_length=1, description="sort orders to draw from")
    duplicates: bool = Field(description="every list repeats some values")
    trace: Literal["merges", "passes"] = Field(
        description="'merges': every merge of every pass; 'passes': the runs after each pass "
                    "(log2(n) lines, for long lists)")

    @model_validator(mode="after")
    def _fits(self):
        if self.max_size < self.min_size:
            raise ValueError("max_size must be >= min_size")
        if self.high < self.low:
            raise ValueError("high must be >= low")
        if self.high - self.low + 1 < self.max_size:
            raise ValueError("the range low..high must hold max_size distinct values")
        return self


def merge(left: list[int], right: list[int], descending: bool) -> list[int]:
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        take_left = left[i] >= right[j] if descending else left[i] <= right[j]
        if take_left:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def merge_sort(values: list[int], descending: bool) -> tuple[list[int], list[list[Merge]], list[list[list[int]]]]:
    """Bottom-up merge sort, by hand because the trace needs its steps (``sorted`` hides them).

    Returns the sorted list, the merges of each pass and the runs after each pass. A run left
    without a partner in a pass is carried over unchanged to the next.
    """
    runs = [[v] for v in values]
    merges_per_pass: list[list[Merge]] = []
    runs_per_pass: list[list[list[int]]] = []
    while len(runs) > 1:
        merged, merges = [], []
        for k in range(0, len(runs) - 1, 2):
            run = merge(runs[k], runs[k + 1], descending)
            merges.append((runs[k], runs[k + 1], run))
            merged.append(run)
        if len(runs) % 2:
            merged.append(runs[-1])
        merges_per_pass.append(merges)
        runs_per_pass.append(merged)
        runs = merged
    return (runs[0] if runs else []), merges_per_pass, runs_per_pass


def _show(run: list[int]) -> str:
    return "[" + ", ".join(map(str, run)) + "]"


class Sorting(Family):
    name = "sorting"
    description = "Sort a list of integers up or down; the trace is a bottom-up merge sort."
    version = "2"  # 2: levels 4 and 5 trace every merge, like the levels below (issue 11)
    skills = ("sorting", "comparison")
    Config = SortingConfig
    levels = {
        1: dict(min_size=4, max_size=6, low=0, high=20, directions=("ascending",),
                duplicates=False, trace="merges"),
        2: dict(min_size=6, max_size=9, low=0, high=99, directions=("ascending", "descending"),
                duplicates=False, trace="merges"),
        3: dict(min_size=8, max_size=12, low=-99, high=99, directions=("ascending", "descending"),
                duplicates=True, trace="merges"),
        # Every level shows every merge: a level's trace is longer than the one below (the
        # "passes" trace, log2(n) lines, is there for longer lists given as params).
        4: dict(min_size=12, max_size=20, low=-999, high=999,
                directions=("ascending", "descending"), duplicates=True, trace="merges"),
        5: dict(min_size=20, max_size=40, low=-9999, high=9999,
                directions=("ascending", "descending"), duplicates=True, trace="merges"),
    }
    phrasings = (
        "Sort these numbers in {order} order: {numbers}",
        "Arrange the following integers from {span}: {numbers}",
        "Put the list [{numbers}] in {order} order.",
        "Given the numbers {numbers}, list them from {span}.",
        "Rewrite {numbers} sorted in {order} order.",
        "Order these values, {span}:\n{numbers}",
    )

    def _values(self, rng: random.Random, size: int) -> list[int]:
        c = self.config
        if not c.duplicates:
            return rng.sample(range(c.low, c.high + 1), size)
        repeats = rng.randint(1, max(1, size // 4))
        distinct = rng.sample(range(c.low, c.high + 1), size - repeats)
        values = distinct + rng.choices(distinct, k=repeats)
        rng.shuffle(values)
        return values

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        values = self._values(rng, rng.randint(c.min_size, c.max_size))
        direction = rng.choice(c.directions)
        descending = direction == "descending"
        result, merges_per_pass, runs_per_pass = merge_sort(values, descending)
        trace = [f"merge sort, {'largest' if descending else 'smallest'} first, "
                 f"starting from {len(values)} runs of one item"]
        # Each run is written several times (merged, then merged again, and in the terse line):
        # format it once. Runs are alive until the end of this call, so id() names each one.
        shown: dict[int, str] = {}

        def show(run: list[int]) -> str:
            text = shown.get(id(run))
            if text is None:
                text = shown[id(run)] = _show(run)
            return text

        terse = [" ".join(map(show, runs)) for runs in runs_per_pass]
        for p, (merges, line) in enumerate(zip(merges_per_pass, terse), start=1):
            if c.trace == "merges":
                trace += [f"pass {p}: merge {show(a)} and {show(b)} -> {show(m)}" for a, b, m in merges]
            else:
                trace.append(f"after pass {p}: {line}")
        trace.append(f"sorted: {show(result)}")
        span = "largest to smallest" if descending else "smallest to largest"
        return Problem(fields={"numbers": ", ".join(map(str, values)), "order": direction, "span": span},
                       answer_text=", ".join(map(str, result)), trace=trace, terse=terse,
                       data={"values": values, "direction": direction, "answer": result})

    def verify(self, data: dict, answer: str) -> Verdict:
        # Recompute with Python's sort: the check trusts neither the stored answer nor our merge.
        expected = sorted(data["values"], reverse=data["direction"] == "descending")
        if expected != data["answer"]:
            return self.wrong(f"stored answer {data['answer']} is not {expected}")
        text = final_list(answer)  # "3, 5, 8", or one number per line
        if (reason := too_long(text)) is not None:
            return self.wrong(reason)
        given = parse_int_list(text)
        if not given:
            return self.wrong("not a list of integers")
        if len(given) != len(expected):
            return self.wrong(f"expected {len(expected)} items, got {len(given)}")
        return self.ok() if given == expected else self.wrong(f"expected {expected}, got {given}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        result: list[int] = problem.data["answer"]
        candidates = [result[:-1], result[1:], result + [result[-1]], result + [result[0] - 1],
                      result[::-1], [result[0] + 1] + result[1:]]
        k = next((i for i in range(len(result) - 1) if result[i] != result[i + 1]), None)
        if k is not None:  # swap the first adjacent pair of distinct values
            candidates.append(result[:k] + [result[k + 1], result[k]] + result[k + 2:])
        nonzero = next((i for i, v in enumerate(result) if v), None)
        if nonzero is not None:
            candidates.append(result[:nonzero] + [-result[nonzero]] + result[nonzero + 1:])
        return [", ".join(map(str, c)) for c in candidates if c != result]


FAMILY = Sorting
