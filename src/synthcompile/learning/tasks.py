"""The exercises a solution gives (AION-1's selective destruction, made exact).

- ``mask_step``: the solution with one step hidden; the answer is that step, word for word. The
  hidden step is drawn among the steps that carry the problem's own values (a number of two or
  more digits, or a value or name the question prints), never a step every trace of the family
  shares ("final carry 0 is the leading digit").
- ``order_steps``: a run of consecutive steps, shuffled and labelled A, B, ...; the answer is the
  labels in the order the solver took them (steps that read the same are interchangeable).
- ``find_error``: the solution with one step corrupted; the answer is that step's number. The
  answer is drawn first, uniform over the steps, so it is only made from traces whose every step
  can be corrupted: one digit of the step's last number (not a step counter) changed to another
  digit the step already uses, else a name the question prints swapped for another one, else a
  word for its opposite (yes/no, knight/knave...). The corrupted step reads like no step of the
  trace.
- ``missing_premise``: the problem with one premise taken out, its answer, and four candidate
  premises; the answer is the one that, put back, makes that answer correct. Made from families
  that list their premises (``Family.premises``): the premise taken out must be needed (the
  family's verifier rejects the answer without it) and every other candidate must fail to bring
  the answer back (the verifier, again, on the problem with that candidate instead).

Every answer is checked exactly against what is stored with the exercise. The steps are the
source sample's own trace, and a sample is only used once its own compiler's verifier passes it.
"""

from __future__ import annotations

import json
import random
import re
import string

from synthcompile.answers import ANSWER_LEADS, final_answer, final_list, norm_word, parse_items
from synthcompile.sample import Verdict

VERSION = "2"  # 2: mask_step and find_error draw their step first (issue 15); missing_premise
SKILL = {"mask_step": "step recall", "order_steps": "step ordering", "find_error": "error detection",
         "missing_premise": "abduction"}
_DIGITS = re.compile(r"\d+")
_TOKEN = re.compile(r"[\w'-]+")
_OPTION = re.compile(r"\(?([A-Za-z])(?:[.):]|\s|$)")
_OPPOSITE = dict(p for a, b in (("yes", "no"), ("true", "false"), ("knight", "knave"), ("knights", "knaves"),
                                ("valid", "invalid"), ("left", "right"), ("up", "down"), ("even", "odd"),
                                ("push", "pop"), ("mother", "father"), ("female", "male"))
                 for p in ((a, b), (b, a)))


def _norm(text: str) -> str:
    return norm_word(text).rstrip(".")


def _numbered(steps: list[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))


# A number that counts steps ("step 3:", "hop 2", a leading "12 (") is no part of the work: changing it
# would make an error that a model finds by reading the counters, not by checking the step.
_COUNTER = re.compile(r"(?:^|\b(?:step|hop|move|round|line|row|generation|level|day|iteration|pass)\s*)$", re.I)


def _corrupt_number(step: str, rng: random.Random) -> str | None:
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


def _names(question: str) -> list[str]:
    """The capitalised words the question prints more than the sentence starts: its names."""
    return sorted({t for t in _TOKEN.findall(question) if t[0].isupper() and len(t) > 1 and not t.isupper()})


def _corrupt_word(step: str, names: list[str], rng: random.Random) -> str | None:
    """A name in the step swapped for another the question prints, else a word for its opposite."""
    tokens = list(_TOKEN.finditer(step))
    in_step = {m.group() for m in tokens}
    named = [m for m in tokens if m.group() in names]
    others = [n for n in names if n not in in_step]
    if named and others:
        m = named[int(rng.random() * len(named))]
        return step[:m.start()] + others[int(rng.random() * len(others))] + step[m.end():]
    flips = [m for m in tokens if m.group().lower() in _OPPOSITE]
    if flips:
        m = flips[int(rng.random() * len(flips))]
        word = _OPPOSITE[m.group().lower()]
        return step[:m.start()] + (word.capitalize() if m.group()[0].isupper() else word) + step[m.end():]
    return None


def _corrupt(step: str, names: list[str], rng: random.Random) -> str | None:
    return _corrupt_number(step, rng) or _corrupt_word(step, names, rng)


def _informative(step: str, question_tokens: set[str]) -> bool:
    """Whether a step carries the problem's own values: a number of two or more digits that is no
    step counter, or a value or name (a token with a capital or a digit) the question prints."""
    if any(len(m.group()) > 1 and not _COUNTER.search(step[:m.start()]) for m in _DIGITS.finditer(step)):
        return True
    return any(t in question_tokens and (t[0].isupper() or t.isdigit()) for t in _TOKEN.findall(step))


def derive(task: str, question: str, steps: list[str], rng: random.Random, window: int,
           source: "Source | None" = None) -> dict | None:
    """The exercise: {question, answer, structured} or None if these steps cannot make one.
    ``missing_premise`` needs the ``source`` problem (its family and stored data)."""
    if task == "mask_step":
        tokens = set(_TOKEN.findall(question))
        fits = [i for i, s in enumerate(steps) if steps.count(s) == 1 and _informative(s, tokens)]
        if not fits:
            return None
        k = fits[int(rng.random() * len(fits))]
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
        names = _names(question)
        k = int(rng.random() * len(steps))  # the answer first: uniform over the steps
        if any(_corrupt(s, names, random.Random(0)) is None for s in steps):
            return None  # some step cannot be corrupted: the step asked for would follow the trace's shape
        for _ in range(5):
            bad = _corrupt(steps[k], names, rng)
            if bad is not None and bad not in steps:
                shown = [bad if i == k else s for i, s in enumerate(steps)]
                ask = (f"{question}\n\nA worked solution in which exactly one step is wrong:\n{_numbered(shown)}\n"
                       "Which step is wrong? Give its number.")
                return {"question": ask, "answer": str(k + 1), "trace": [f"step {k + 1} should read: {steps[k]}"],
                        "structured": {"task": task, "steps": steps, "shown": shown, "k": k}}
        return None
    if task == "missing_premise":
        return _missing_premise(question, source, rng) if source is not None else None
    raise ValueError(f"unknown learning task {task!r}")


class Source:
    """The problem behind a sample: its family (at the sample's level), stored data and answer."""

    def __init__(self, family, data: dict, answer: str):
        self.family, self.data, self.answer = family, data, answer

    def holds(self, data: dict) -> bool:
        """Whether the answer is right for ``data`` by the family's own verifier (a crash: no)."""
        try:
            return self.family.verify(data, self.answer).passed
        except Exception:  # a problem the verifier cannot read (a broken chain) determines nothing
            return False


OPTIONS = 4


def _missing_premise(question: str, source: Source, rng: random.Random) -> dict | None:
    premises = source.family.premises(source.data)
    if not premises:
        return None
    order = list(range(len(premises)))
    rng.shuffle(order)
    for i in order:
        line, option = premises[i]
        if question.count(line) != 1 or source.holds(source.family.premise_removed(source.data, i)):
            continue  # not printed once, or not needed: the answer stands without it
        shown = {o for _, o in premises}
        wrong = []
        for text, data in source.family.premise_swaps(source.data, i, rng):
            if text not in shown and text not in wrong and not source.holds(data):
                wrong.append(text)
            if len(wrong) == OPTIONS - 1:
                break
        if len(wrong) < OPTIONS - 1:
            continue
        options = [option] + wrong
        rng.shuffle(options)
        k = options.index(option)
        lines = [ln for ln in question.split("\n") if ln != line]
        listed = "\n".join(f"{string.ascii_uppercase[j]}. {o}" for j, o in enumerate(options))
        ask = (f"{chr(10).join(lines)}\n\nOne premise was taken out of this problem. Its answer is: "
               f"{source.answer}\nWhich of these, put back, makes that answer correct?\n{listed}\n"
               "Give the letter.")
        return {"question": ask, "answer": string.ascii_uppercase[k],
                "trace": [f"without a premise the answer {source.answer!r} does not follow",
                          f"with {option!r} it does; with each other option it does not"],
                "structured": {"task": "missing_premise", "options": options, "k": k}}
    return None


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
    if task == "missing_premise":
        m = _OPTION.match(given.strip())  # "B", "(B)", "B.", "B. if a, then c"
        n = len(d["options"])
        if m is None or m.group(1).upper() not in string.ascii_uppercase[:n]:
            return Verdict(False, name, f"want one letter of A-{string.ascii_uppercase[n - 1]}, got {given!r}")
        k = string.ascii_uppercase.index(m.group(1).upper())
        want = string.ascii_uppercase[d["k"]]
        return Verdict(True, name) if k == d["k"] else Verdict(False, name, f"expected {want}")
    if task == "find_error":
        numbers = _DIGITS.findall(given)
        if len(numbers) != 1:
            return Verdict(False, name, f"want one step number, got {given!r}")
        k = int(numbers[0]) - 1
        return Verdict(True, name) if k == d["k"] else Verdict(False, name, f"expected step {d['k'] + 1}")
    return Verdict(False, name, f"unknown task {task!r}")
