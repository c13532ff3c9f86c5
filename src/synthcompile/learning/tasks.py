"""The three exercises a solution trace gives (AION-1's selective destruction, made exact).

- ``mask_step``: the solution with one step hidden; the answer is that step, word for word.
- ``order_steps``: a run of consecutive steps, shuffled and labelled A, B, ...; the answer is the
  labels in the order the solver took them (steps that read the same are interchangeable).
- ``find_error``: the solution with one step corrupted (one digit of its last number, not a
  step counter, changed to another digit that the step already uses, so the step keeps its shape
  and length); the answer
  is that step's number.

Every answer is checked exactly against the steps stored with the exercise. The steps are the
source sample's own trace, and a sample is only used once its own compiler's verifier passes it.
"""

from __future__ import annotations

import json
import random
import re
import string

from synthcompile.answers import ANSWER_LEADS, final_answer, final_list, norm_word, parse_items
from synthcompile.sample import Verdict

VERSION = "1"
SKILL = {"mask_step": "step recall", "order_steps": "step ordering", "find_error": "error detection"}
_DIGITS = re.compile(r"\d+")


def _norm(text: str) -> str:
    return norm_word(text).rstrip(".")


def _numbered(steps: list[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))


# A number that counts steps ("step 3:", "hop 2", a leading "12 (") is no part of the work: changing it
# would make an error that a model finds by reading the counters, not by checking the step.
_COUNTER = re.compile(r"(?:^|\b(?:step|hop|move|round|line|row|generation|level|day|iteration|pass)\s*)$", re.I)


def _corrupt(step: str, rng: random.Random) -> str | None:
    runs = [m for m in _DIGITS.finditer(step) if not _COUNTER.search(step[:m.start()])]
    if not runs:
        return None
    run = runs[-1]
    pool = sorted(set(step[run.start():run.end()]))
    if len(pool) == 1:  # "100" keeps its digits; "7" becomes a neighbour
        pool = sorted(set(pool) | {str((int(pool[0]) + 1) % 10), str((int(pool[0]) - 1) % 10)})
    i = run.start() + int(rng.random() * (run.end() - run.start()))
    choices = [d for d in pool if d != step[i]]
    if run.end() - run.start() > 1 and i == run.start():
        choices = [d for d in choices if d != "0"]  # no leading zero: "100" -> "010" would read oddly
    if not choices:
        return None
    return step[:i] + choices[int(rng.random() * len(choices))] + step[i + 1:]


def derive(task: str, question: str, steps: list[str], rng: random.Random, window: int) -> dict | None:
    """The exercise: {question, answer, structured} or None if these steps cannot make one."""
    if task == "mask_step":
        k = int(rng.random() * len(steps))
        shown = [("[hidden]" if i == k else s) for i, s in enumerate(steps)]
        ask = (f"{question}\n\nA worked solution, with step {k + 1} hidden:\n{_numbered(shown)}\n"
               f"What is step {k + 1}? Give it exactly.")
        return {"question": ask, "answer": steps[k], "structured": {"task": task, "steps": steps, "k": k}}
    if task == "order_steps":
        n = min(window, len(steps))
        start = int(rng.random() * (len(steps) - n + 1))
        part = steps[start:start + n]
        if len(set(part)) < 2:
            return None
        order = list(range(n))
        while [part[i] for i in order] == part:
            rng.shuffle(order)
        labels = string.ascii_uppercase[:n]
        shown = "\n".join(f"{labels[j]}. {part[i]}" for j, i in enumerate(order))
        # order[j] is the position of the step shown as labels[j]; the answer lists labels by position
        answer = ", ".join(labels[order.index(p)] for p in range(n))
        ask = (f"{question}\n\nThese are {n} consecutive steps of its solution, shuffled:\n{shown}\n"
               "In what order are they done? Give the letters in order.")
        return {"question": ask, "answer": answer,
                "structured": {"task": task, "steps": part, "shown": [part[i] for i in order]}}
    if task == "find_error":
        candidates = list(range(len(steps)))
        rng.shuffle(candidates)
        for k in candidates:
            bad = _corrupt(steps[k], rng)
            if bad is not None and bad != steps[k]:
                shown = [bad if i == k else s for i, s in enumerate(steps)]
                ask = (f"{question}\n\nA worked solution in which exactly one step is wrong:\n{_numbered(shown)}\n"
                       "Which step is wrong? Give its number.")
                return {"question": ask, "answer": str(k + 1), "trace": [f"step {k + 1} should read: {steps[k]}"],
                        "structured": {"task": task, "steps": steps, "shown": shown, "k": k}}
        return None
    raise ValueError(f"unknown learning task {task!r}")


def render(exercise: dict, rng: random.Random) -> str:
    lead = ANSWER_LEADS[int(rng.random() * len(ANSWER_LEADS))]
    return f"{exercise['question']}\n{lead.format(exercise['answer'])}"


def verify(structured: str | dict, response: str) -> Verdict:
    d = json.loads(structured) if isinstance(structured, str) else structured
    task, name = d["task"], f"learning.{d['task']}/{VERSION}"
    given = final_answer(response)
    if task == "mask_step":
        want = d["steps"][d["k"]]  # read as an answer is read ("×" is "*"), so both sides compare alike
        return Verdict(True, name) if _norm(given) == _norm(final_answer(want)) else Verdict(
            False, name, f"expected {want!r}")
    if task == "order_steps":
        listed = final_list(response).replace("->", ",").replace("→", ",")
        labels = [x.strip(" .)").upper() for x in parse_items(listed)]
        n = len(d["shown"])
        if sorted(labels) != list(string.ascii_uppercase[:n]):
            return Verdict(False, name, f"not an order of the letters A-{string.ascii_uppercase[n - 1]}: {given!r}")
        ordered = [d["shown"][string.ascii_uppercase.index(x)] for x in labels]
        return Verdict(True, name) if ordered == d["steps"] else Verdict(False, name, "steps out of order")
    if task == "find_error":
        numbers = _DIGITS.findall(given)
        if len(numbers) != 1:
            return Verdict(False, name, f"want one step number, got {given!r}")
        k = int(numbers[0]) - 1
        return Verdict(True, name) if k == d["k"] else Verdict(False, name, f"expected step {d['k'] + 1}")
    return Verdict(False, name, f"unknown task {task!r}")
