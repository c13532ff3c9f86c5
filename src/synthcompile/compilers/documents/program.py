"""Program-side learning exercises on a document's passage, with exact answers and no model.

"Selective destruction": damage a passage in a way a program can undo exactly (hide words,
remove a sentence, shuffle sentences, corrupt words, swap a name or number), ask for what was
destroyed, and keep everything needed to check the answer in ``structured``. Every strategy
draws the hidden facts so that surface features do not give them away: the correct letter is
uniform over the options, a shuffle is uniform over the non-identity permutations, distractor
sentences and summaries are drawn close to the true one's length, a blank is ``____`` whatever
it hides (a word, a number or a name of several words).
"""

from __future__ import annotations

import functools
import math
import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Sequence

from synthcompile.answers import final_answer, final_block, final_list, parse_int_list
from synthcompile.seeds.sentences import sentence_spans

STRATEGIES: tuple[str, ...] = ("cloze", "infill", "reorder", "repair", "entity_swap", "summary_match")
LEVELS = (1, 2, 3, 4)
MIN_SENTENCES = 3  # below this no strategy has room: a gap needs context, an order needs three items
LETTERS = "ABCDE"
BLANK = "____"


@dataclass(frozen=True)
class Exercise:
    strategy: str
    question: str    # the prompt, damaged passage included
    answer: str      # the exact expected answer, as the learner should write it
    text: str        # question, worked reasoning, answer: the training text
    trace: list[str]
    structured: dict  # what verify() needs, JSON-able
    difficulty: int  # 1..4, from what was drawn (blanks, options, sentences, edits)


# --- text pieces ---------------------------------------------------------------------------

_STOP = frozenset("""a about above after again against all also although am among an and any are
around as at be because been before being below between both but by can could did do does doing
down during each either few for from further had has have having he her here hers herself him
himself his how however i if in into is it its itself just less many may me might more most much
must my myself neither no nor not now of off on once only or other our ours ourselves out over own
same several she should since so some such than that the their theirs them themselves then there
these they this those though through thus to too under until up upon very was we were what when
where whether which while who whom whose why will with within without would yet you your yours
yourself yourselves""".split())
_OPENERS = frozenset("today yesterday tomorrow later soon still meanwhile every even most".split())
_MONTHS = frozenset("""january february march april may june july august september october
november december""".split())
_NOT_NAME = (_STOP | _OPENERS) - _MONTHS  # capitalised words that start no name ("The", "Today")
# A capitalised word, Latin-1 letters included ("Schöffer"); never part of a word ("RuBisCO").
_CAP = r"(?<![^\W\d_])(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:['’-][^\W\d_]+)*|[A-Z]{2,}s?)(?![^\W\d_])"
_NAME = re.compile(rf"{_CAP}(?:[ \t]+(?:(?:of|de|da|del|von|van|der|la|le|du)[ \t]+)?{_CAP})*")
_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\w|[.,]\d)")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[^\W\d_]+(?:'[^\W\d_]+)*")


def norm(text: str) -> str:
    """Comparison form: case, spacing, punctuation and quote marks do not count, and a number's
    thousands commas neither (``1,200`` is ``1200``); the words and their order do."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").casefold()
    return " ".join(t.replace(",", "") if t[0].isdigit() else t for t in _TOKEN.findall(text))


@functools.lru_cache(maxsize=4096)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    # pysbd is slow and `others` are split again for every exercise: split each text once.
    return tuple(sentence_spans(text))


def sentences(text: str) -> list[str]:
    """The passage's sentences, each on one line (inner whitespace collapsed)."""
    return [" ".join(text[a:b].split()) for a, b in _spans(text)]


@dataclass(frozen=True)
class Span:
    start: int     # offsets into the text it was found in
    end: int
    kind: str      # "name" | "month" | "year" | "number" | "word"
    text: str
    sentence: int  # index of the sentence holding it


def entities(text: str, spans: Sequence[tuple[int, int]] | None = None) -> list[Span]:
    """Names (capitalised runs, not a lone capitalised first word), months, years and numbers."""
    out: list[Span] = []
    for i, (a, b) in enumerate(_spans(text) if spans is None else spans):
        sent = text[a:b]
        for m in _NAME.finditer(sent):
            words = list(re.finditer(r"\S+", m.group()))
            k = 0  # "The Royal Society" -> "Royal Society": capitalised function words go
            while k < len(words) and words[k].group().lower() in _NOT_NAME:
                k += 1
            if k == len(words) or (m.start() + words[k].start() == 0 and len(words) - k < 2):
                continue  # every sentence starts with a capital: a lone first word may be no name
            start = m.start() + words[k].start()
            name = sent[start:m.end()]
            out.append(Span(a + start, a + m.end(), "month" if name.lower() in _MONTHS else "name", name, i))
        for m in _NUMBER.finditer(sent):
            kind = "year" if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", m.group()) else "number"
            out.append(Span(a + m.start(), a + m.end(), kind, m.group(), i))
    return sorted(out, key=lambda s: s.start)


def _occurrences(text: str, phrase: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE))


def _other_number(value: str, rng: random.Random) -> str:
    """A different number written like ``value``: as many decimals, commas kept, as round (209,000
    becomes 213,000, not 205,398), a year moved by at most 30 years."""
    digits = value.replace(",", "")
    decimals = len(digits.partition(".")[2])
    n = int(digits.replace(".", ""))
    if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", digits):
        unit, step = 1, 30
    else:
        zeros = len(digits) - len(digits.rstrip("0")) if not decimals and n else 0
        unit = 10 ** zeros
        step = max(1, n // unit // 5)
    new = n
    while new == n or new <= 0:
        new = n + rng.choice((-1, 1)) * rng.randint(1, step) * unit
    text = f"{new / 10 ** decimals:.{decimals}f}" if decimals else str(new)
    if "," in value:
        whole, dot, frac = text.partition(".")
        text = f"{int(whole):,}" + dot + frac
    return text


def _context(text: str, start: int) -> str:
    """The function word just before a value ("in", "with", "the"), or "": names after the same
    word tend to be of one sort (places after "in", people after "with"), which keeps swaps plausible."""
    m = re.search(r"([A-Za-z]+)\W*$", text[max(0, start - 30):start])
    return m.group(1).lower() if m and m.group(1).lower() in _STOP else ""


# The last word of a name that says what sort of thing it names: "Gatun Lake" is swapped for
# "Lake Geneva" sooner than for "Henri Becquerel".
_HEADS = {**dict.fromkeys("ocean sea river lake lane street road canal bay gulf island islands desert "
                          "mountains valley park bridge city county province".split(), "place"),
          **dict.fromkeys("university college society agency company museum church cathedral "
                          "institute council party army navy".split(), "body"),
          **dict.fromkeys("prize award telescope war treaty act".split(), "thing")}


def _sort(kind: str, text: str) -> str:
    words = text.split()
    if kind != "name":
        return "." in text and "decimal" or "whole"
    head = _HEADS.get(words[-1].lower()) or _HEADS.get(words[0].lower())
    return head or ("two-word" if len(words) == 2 else f"{len(words)}-word")


def _plausible(kind: str, original: str, value: str) -> bool:
    """Numbers swap only for numbers of the same form within a factor of ten."""
    if kind != "number":
        return True
    a, b = float(original.replace(",", "")), float(value.replace(",", ""))
    return _sort(kind, original) == _sort(kind, value) and 0 < min(a, b) and max(a, b) <= 10 * min(a, b)


def _swap_pool(kind: str, original: str, context: str, texts: Sequence[str], absent_from: str = "") -> list[str]:
    """Values of ``kind`` from ``texts`` that could stand where ``original`` does and do not occur in
    ``absent_from``: names with as many words, numbers of the same form and size. The best-fitting
    tier only: the same sort of name (head word) first, then the same function word before it."""
    seen, scored = {norm(original)}, []
    for t in texts:
        for e in entities(t):
            if e.kind != kind or norm(e.text) in seen or (absent_from and _occurrences(absent_from, e.text)):
                continue
            if len(e.text.split()) != len(original.split()) or not _plausible(kind, original, e.text):
                continue
            seen.add(norm(e.text))
            fit = 2 * (_sort(kind, e.text) == _sort(kind, original)) + bool(context and _context(t, e.start) == context)
            scored.append((fit, e.text))
    best = max((f for f, _ in scored), default=0)
    return [v for f, v in scored if f == best]


def _replacement(span: Span, passage: str, others: Sequence[str], rng: random.Random,
                 same_passage_first: bool) -> tuple[str, str] | None:
    """A value to put in place of ``span`` and where it came from ("passage", "other", "changed")."""
    context = _context(passage, span.start)
    pools = [("passage", _swap_pool(span.kind, span.text, context, [passage])),
             ("other", _swap_pool(span.kind, span.text, context, others, absent_from=passage))]
    for source, pool in pools if same_passage_first else pools[::-1]:
        if pool:
            return rng.choice(pool), source
    if span.kind in ("number", "year"):
        return _other_number(span.text, rng), "changed"
    return None


def _near_miss(text: str, passage: str, others: Sequence[str], rng: random.Random) -> tuple[str, str] | None:
    """``text`` with one name or number changed to a value the passage never has: a wrong option
    that differs from the true one in a single fact. Returns (new text, what changed)."""
    found = [e for e in entities(text, [(0, len(text))]) if e.kind != "month"]
    rng.shuffle(found)
    for e in found:
        pool = _swap_pool(e.kind, e.text, _context(text, e.start), others, absent_from=passage)
        new = rng.choice(pool) if pool else (_other_number(e.text, rng) if e.kind in ("number", "year") else None)
        if new is not None and _occurrences(passage, new) == 0:
            return text[:e.start] + new + text[e.end:], f"'{e.text}' changed to '{new}'"
    return None


def _snippet(text: str, words: int = 8) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def _numbered(sents: Sequence[str]) -> str:
    return "\n".join(f"[{i}] {s}" for i, s in enumerate(sents, start=1))


def _render(question: str, trace: list[str], answer: str) -> str:
    sep = "\n" if "\n" in answer else " "
    return f"{question}\n\nReasoning:\n" + "\n".join(trace) + f"\n\nAnswer:{sep}{answer}"


def _exercise(strategy: str, question: str, answer: str, trace: list[str], structured: dict,
              difficulty: int) -> Exercise:
    return Exercise(strategy, question, answer, _render(question, trace, answer), trace,
                    {"strategy": strategy, **structured}, max(1, min(4, difficulty)))


def _content(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}


def _length_matched(groups: Sequence[Sequence[str]], target: str, k: int, rng: random.Random,
                    topic: str | None = None) -> list[str] | None:
    """``k`` texts, at most one from each group (one other text's candidate summaries), within
    x1.6 of ``target``'s length, so that length says nothing about which option is true: the true
    one's length rank among the options is drawn uniformly (r texts shorter than it, k - r
    longer; the nearest rank that the groups allow if they do not allow it), each side drawn from
    its 2x closest. With ``topic``, closest means sharing the most content words with it first:
    distractors on the passage's subject, not ones its topic alone rules out."""
    words = _content(topic) if topic else set()

    def fit(s: str) -> tuple[int, float]:
        return -len(_content(s) & words), abs(math.log(len(s) / len(target)))
    short: list[tuple[int, str]] = []
    long: list[tuple[int, str]] = []
    for g, texts in enumerate(groups):
        near = [t for t in texts if fit(t)[1] <= math.log(1.6)]
        for side, keep in ((short, [t for t in near if len(t) < len(target)]),
                           (long, [t for t in near if len(t) >= len(target)])):
            if keep:
                side.append((g, min(keep, key=fit)))
    short.sort(key=lambda x: fit(x[1]))
    long.sort(key=lambda x: fit(x[1]))
    drawn = rng.randint(0, k)
    for r in sorted(range(k + 1), key=lambda x: abs(x - drawn)):
        if len(short) < r:
            continue
        below = rng.sample(short[:2 * r], r)
        used = {g for g, _ in below}
        rest = [x for x in long if x[0] not in used]
        if len(rest) >= k - r:
            return [t for _, t in below + rng.sample(rest[:2 * (k - r)], k - r)]
    return None


# --- the strategies ----------------------------------------------------------------------


def _cloze(passage: str, rng: random.Random, level: int, others: Sequence[str]) -> Exercise | None:
    spans = _spans(passage)
    names = entities(passage, spans)
    taken = [(e.start, e.end) for e in names]
    cands = [e for e in names if level >= 2]
    for i, (a, b) in enumerate(spans):
        for m in _WORD.finditer(passage, a, b):
            w = m.group()
            if len(w) >= 4 and w.lower() not in _STOP and not any(s < m.end() and m.start() < e for s, e in taken):
                cands.append(Span(m.start(), m.end(), "word", w, i))
    # A word that also stands unmasked elsewhere in the passage could just be copied.
    cands = [c for c in cands if _occurrences(passage, c.text) == 1]

    def score(c: Span) -> float:  # names and numbers carry the passage's facts; long words are rarer
        return {"name": 3.0, "number": 3.0, "year": 3.0, "month": 2.0}.get(c.kind, 1 + min(len(c.text), 12) / 12)
    blanks = (1, 2, 3, 5)[level - 1]
    if level >= 3:  # the more informative half only
        cands = sorted(cands, key=lambda c: (-score(c), c.start))[:max(2 * blanks, len(cands) // 2)]
    rng.shuffle(cands)
    chosen: list[Span] = []
    for spread in (True, False):  # one blank per sentence while sentences last, then any apart
        for c in cands:
            if len(chosen) == blanks:
                break
            clash = any(c.start <= o.end + 1 and o.start <= c.end + 1 for o in chosen)
            if not clash and not (spread and any(o.sentence == c.sentence for o in chosen)):
                chosen.append(c)
    if len(chosen) < blanks:
        return None
    chosen.sort(key=lambda c: c.start)
    masked, cursor = [], 0
    for n, c in enumerate(chosen, start=1):
        masked += [passage[cursor:c.start], f"{BLANK} ({n})"]
        cursor = c.end
    masked.append(passage[cursor:])
    what = {"name": "a name", "month": "a month", "year": "a year", "number": "a number", "word": "a word"}
    trace = [f"blank ({n}) is in sentence {c.sentence + 1} ('{_snippet(sentences(passage)[c.sentence])}'); "
             f"it needs {what[c.kind]}: {c.text}" for n, c in enumerate(chosen, start=1)]
    plural = "s" if blanks > 1 else ""
    question = (f"Fill in the {blanks} numbered blank{plural} of this passage. A blank may hide a word, a number "
                f"or a name of several words.\n\n{''.join(masked)}\n\n"
                f"Give the missing text{plural} in order" + (", separated by semicolons." if blanks > 1 else "."))
    answer = "; ".join(c.text for c in chosen)
    return _exercise("cloze", question, answer, trace,
                     {"passage": passage, "blanks": [[c.start, c.end] for c in chosen],
                      "answers": [c.text for c in chosen], "kinds": [c.kind for c in chosen]},
                     len(chosen))


def _options(rng: random.Random, true: str, wrong: list[str], near: list[str], notes: dict[str, str]):
    """The options in random order, the true one at a uniformly drawn letter."""
    opts = wrong + near
    rng.shuffle(opts)
    at = rng.randrange(len(opts) + 1)
    opts.insert(at, true)
    lines = [f"{LETTERS[i]}. {o}" for i, o in enumerate(opts)]
    trace = [f"option {LETTERS[i]} {notes[o]}" for i, o in enumerate(opts) if i != at]
    return opts, at, lines, trace


def _near_misses(true: str, passage: str, others: Sequence[str], rng: random.Random, k: int):
    out: dict[str, str] = {}
    for _ in range(3 * k):
        if len(out) == k:
            break
        if (miss := _near_miss(true, passage, others, rng)) is not None and norm(miss[0]) != norm(true):
            out.setdefault(miss[0], miss[1])
    return out


def _infill(passage: str, rng: random.Random, level: int, others: Sequence[str]) -> Exercise | None:
    spans, sents = _spans(passage), sentences(passage)
    full = [i for i, s in enumerate(sents) if len(s.split()) >= 4]  # a heading is no sentence to restore
    if not full:
        return None
    gap = rng.choice(full)
    true = sents[gap]
    n_opts = (3, 4, 5, 5)[level - 1]
    near = _near_misses(true, passage, others, rng, 2) if level == 4 else {}
    own = {norm(s) for s in sents}
    pool = list(dict.fromkeys(s for o in others if o != passage for s in sentences(o)
                              if len(s.split()) >= 4 and norm(s) not in own))
    wrong = _length_matched([[s] for s in pool], true, n_opts - 1 - len(near), rng,
                            topic=passage if level >= 2 else None)
    if wrong is None:
        return None
    notes = {**{w: "is a sentence from another text" for w in wrong},
             **{m: f"is the missing sentence with {what}" for m, what in near.items()}}
    opts, at, lines, trace = _options(rng, true, wrong, list(near), notes)
    a, b = spans[gap]
    damaged = passage[:a] + "[...]" + passage[b:]
    where = (f"the gap comes after '{_snippet(sents[gap - 1])}'" if gap else "the gap opens the passage") + (
        f" and before '{_snippet(sents[gap + 1])}'" if gap + 1 < len(sents) else " and closes it")
    trace = [where] + trace + [f"option {LETTERS[at]} fits there: '{_snippet(true)}'"]
    question = (f"A sentence is missing from this passage, where it says [...]:\n\n{damaged}\n\n"
                "Which sentence was there?\n" + "\n".join(lines) + "\n\nAnswer with the letter.")
    return _exercise("infill", question, LETTERS[at], trace,
                     {"passage": passage, "span": [a, b], "options": opts, "correct": at},
                     n_opts - 2 + bool(near))


def _window(n: int, size: int, rng: random.Random) -> range:
    size = min(n, size)
    start = rng.randrange(n - size + 1)
    return range(start, start + size)


def _reorder(passage: str, rng: random.Random, level: int, others: Sequence[str]) -> Exercise | None:
    sents = sentences(passage)
    picked = [sents[i] for i in _window(len(sents), (3, 4, 5, 6)[level - 1], rng)]
    if len({norm(s) for s in picked}) < len(picked):
        return None  # two identical sentences: more than one order would be right
    shown = list(range(len(picked)))  # shown[j]: which original sentence is shown as [j+1]
    while shown == sorted(shown):  # rejection: uniform over the non-identity permutations
        rng.shuffle(shown)
    order = [shown.index(i) + 1 for i in range(len(picked))]
    trace = [f"{'first' if i == 0 else 'then'} [{label}]: '{_snippet(picked[i])}'" for i, label in enumerate(order)]
    question = ("These sentences come from one passage, shuffled:\n\n" + _numbered([picked[i] for i in shown])
                + "\n\nGive their original order as a list of the bracketed numbers.")
    return _exercise("reorder", question, ", ".join(map(str, order)), trace,
                     {"sentences": picked, "shown": shown, "order": order}, len(picked) - 2)


# Repair: each damaged sentence gets one edit a reader can spot and undo exactly — two neighbouring
# words swapped or a word doubled (both visible from the grammar), and from level 3 a number
# changed (only recall of the document catches that one). No deleted words: which word to put
# back is not always determined. The answer lists each damaged sentence's number and its
# corrected text, one per line, so both the detection and the repair are checked exactly.


def _edits(sent: str, level: int) -> list[Callable[[random.Random], tuple[str, str]]]:
    words = list(_WORD.finditer(sent))
    swaps = [(x, y) for x, y in zip(words[1:], words[2:])
             if sent[x.end():y.start()].isspace() and x.group().lower() != y.group().lower()]
    doubles = [w for w in words[1:] if len(w.group()) >= 3 and w.group().lower() not in ("had", "that")]  # "had had"
    numbers = list(_NUMBER.finditer(sent)) if level >= 3 else []

    def swap(rng):
        x, y = rng.choice(swaps)
        return (sent[:x.start()] + y.group() + sent[x.end():y.start()] + x.group() + sent[y.end():],
                f"'{y.group()} {x.group()}' has two words swapped; it reads '{x.group()} {y.group()}'")

    def double(rng):
        w = rng.choice(doubles)
        return (sent[:w.end()] + " " + w.group() + sent[w.end():], f"'{w.group()}' is doubled")

    def number(rng):
        m = rng.choice(numbers)
        new = _other_number(m.group(), rng)
        return sent[:m.start()] + new + sent[m.end():], f"'{new}' was changed; the passage says '{m.group()}'"
    return [f for f, ok in ((swap, swaps), (double, doubles), (number, numbers)) if ok]


def _repair(passage: str, rng: random.Random, level: int, others: Sequence[str]) -> Exercise | None:
    sents = sentences(passage)
    k = min(level, len(sents) - 1)  # at least one sentence stays intact: "all of them" is no answer
    editable = [i for i, s in enumerate(sents) if _edits(s, level)]
    if len(editable) < k:
        return None
    damaged, notes = list(sents), {}
    for i in sorted(rng.sample(editable, k)):
        damaged[i], notes[i] = rng.choice(_edits(sents[i], level))(rng)
        if norm(damaged[i]) == norm(sents[i]):
            return None
    kinds = "two neighbouring words swapped or a word doubled" + (" or a number changed" if level >= 3 else "")
    noun = "sentence was" if k == 1 else "sentences were"
    question = (f"In this passage exactly {k} {noun} damaged ({kinds}; one edit per sentence):\n\n"
                f"{_numbered(damaged)}\n\nFor each damaged sentence write its number and the sentence as it "
                "should read, one per line, as '2: ...'.")
    answer = "\n".join(f"{i + 1}: {sents[i]}" for i in sorted(notes))
    trace = [f"sentence {i + 1}: {note}" for i, note in sorted(notes.items())]
    return _exercise("repair", question, answer, trace,
                     {"sentences": sents, "damaged": damaged, "changed": sorted(notes)}, k)


def _pick_swap(passage: str, spans, window: range, others: Sequence[str], rng: random.Random, level: int):
    """The name or number to replace and its replacement: the sentence is drawn uniformly among
    those in ``window`` that hold one (so it is no more often first or last than the text makes
    it), then the value within it. From level 3 a value from the passage itself is preferred."""
    found = [e for e in entities(passage, spans) if e.sentence in window]
    order = sorted({e.sentence for e in found})
    rng.shuffle(order)
    for i in order:
        cands = [e for e in found if e.sentence == i]
        rng.shuffle(cands)
        for e in cands:
            if (got := _replacement(e, passage, others, rng, same_passage_first=level >= 3)) is not None:
                return e, *got
    return None


def _entity_swap(passage: str, rng: random.Random, level: int, others: Sequence[str]) -> Exercise | None:
    spans = _spans(passage)
    window = _window(len(spans), (4, 6, 8, 12)[level - 1], rng)
    if (swap := _pick_swap(passage, spans, window, others, rng, level)) is None:
        return None
    e, new, source = swap
    i = e.sentence
    a, b = spans[i]
    altered = passage[a:e.start] + new + passage[e.end:b]
    shown = [" ".join((altered if j == i else passage[spans[j][0]:spans[j][1]]).split()) for j in window]
    line = window.index(i) + 1
    came = {"passage": "another one in the passage", "other": "one from another text",
            "changed": "a different number"}[source]
    trace = [f"sentence {line} says '{new}'; the passage said '{e.text}' there ({came} was put in)"]
    question = ("In this passage one name or number was replaced by another of the same kind:\n\n"
                f"{_numbered(shown)}\n\nWhich sentence was altered, and what did it originally say there? "
                "Answer as '<sentence number>: <original>'.")
    return _exercise("entity_swap", question, f"{line}: {e.text}", trace,
                     {"sentences": shown, "sentence": line, "original": e.text, "replacement": new,
                      "kind": e.kind}, len(window) // 3 + (source == "passage"))


def _prose(text: str) -> list[str]:
    """The sentences a summary may quote: headings and captions (under four words) left out."""
    return [s for s in sentences(text) if len(s.split()) >= 4]


def summarise(text: str) -> str | None:
    """An extractive summary: the lead sentence and the sentence sharing most content words with
    the rest of the passage (its key point). None under MIN_SENTENCES sentences of prose."""
    sents = _prose(text)
    if len(sents) < MIN_SENTENCES:
        return None
    words = [_content(s) for s in sents]
    key = max(range(1, len(sents)), key=lambda i: sum(len(words[i] & words[j]) for j in range(len(sents)) if j != i))
    return f"{sents[0]} {sents[key]}"


def _lead_pairs(text: str) -> list[str]:
    """Every two-sentence extract made like a summary (the lead and one more), for distractors
    that can be matched to the true summary's length."""
    sents = _prose(text)
    return [f"{sents[0]} {s}" for s in sents[1:]] if len(sents) >= MIN_SENTENCES else []


def _summary_match(passage: str, rng: random.Random, level: int, others: Sequence[str]) -> Exercise | None:
    if (true := summarise(passage)) is None:
        return None
    n_opts = (3, 4, 5, 5)[level - 1]
    near = _near_misses(true, passage, others, rng, 2) if level == 4 else {}
    own = {norm(s) for s in sentences(passage)}
    # Each other text offers its lead pairs, and gives at most one: two options with one lead
    # would tell that neither is true.
    groups = [g for o in dict.fromkeys(others) if o != passage and (g := _lead_pairs(o))
              and norm(_prose(o)[0]) not in own]
    wrong = _length_matched(groups, true, n_opts - 1 - len(near), rng,
                            topic=passage if level >= 2 else None)
    if wrong is None:
        return None
    notes = {**{w: "summarises another text" for w in wrong},
             **{m: f"is this passage's summary with {what}" for m, what in near.items()}}
    opts, at, lines, trace = _options(rng, true, wrong, list(near), notes)
    trace.append(f"option {LETTERS[at]} gives the lead ('{_snippet(true)}') and the passage's key point")
    question = (f"{passage}\n\nWhich summary matches the passage above?\n" + "\n".join(lines)
                + "\n\nAnswer with the letter.")
    return _exercise("summary_match", question, LETTERS[at], trace,
                     {"passage": passage, "options": opts, "correct": at, "summary": true},
                     n_opts - 2 + bool(near))


_MAKERS = {"cloze": _cloze, "infill": _infill, "reorder": _reorder, "repair": _repair,
           "entity_swap": _entity_swap, "summary_match": _summary_match}


def make(strategy: str, passage: str, rng: random.Random, *, level: int,
         others: Sequence[str] = ()) -> Exercise | None:
    """One exercise of ``strategy`` on ``passage``, or None when the passage cannot carry one that
    is not degenerate (too few sentences, no names or numbers, too few distractors in ``others``)."""
    if strategy not in _MAKERS:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if len(_spans(passage)) < MIN_SENTENCES:
        return None
    return _MAKERS[strategy](passage, rng, level, others)


# --- verification ------------------------------------------------------------------------

_LETTER = re.compile(r"(?is)(?:option\s+|choice\s+)?[(\[]?([a-e])[)\]]?(?:\s*[:.)\-–—]\s*(.*))?")
_LABELLED = re.compile(r"(?is)(?:sentence\s+)?[\[(]?(\d{1,3})[\])]?(?:\s*[:;,.)\-–—]\s*|\s+)(.+)")
_BULLET = re.compile(r"^\s*[-*•]\s+")
_MARK = re.compile(r"(?m)(?:^|(?<=[\s;,]))\((\d{1,2})\)\s*[:.]?\s*|^\s*(\d{1,2})[.:)]\s+")
_LIST_COMMA = re.compile(r"\s*(?:;|\n|,(?!\d{3}(?!\d)))\s*(?:and\s+)?")


def _letter(structured: dict, response: str) -> tuple[bool, str | None]:
    opts, correct = structured["options"], structured["correct"]
    m = _LETTER.fullmatch(final_answer(response))
    if m is None:
        return False, "not a letter"
    at = LETTERS.index(m.group(1).upper())
    if at >= len(opts):
        return False, f"there is no option {m.group(1).upper()}"
    if m.group(2) and norm(m.group(2)) != norm(opts[at]):
        return False, f"the text after {LETTERS[at]} is not option {LETTERS[at]}"
    return (True, None) if at == correct else (False, f"expected {LETTERS[correct]}, got {LETTERS[at]}")


def _cloze_items(text: str, n: int) -> list[str] | None:
    """The filled-in blanks: ``a; b``, ``(1) a (2) b``, one per line, or ``a, b and c`` (commas in a
    number's thousands do not split). None when the numbering is not 1..n."""
    marks = list(_MARK.finditer(text))
    if marks:
        if [int(m.group(1) or m.group(2)) for m in marks] != list(range(1, len(marks) + 1)) or marks[0].start():
            return None
        bounds = [m.end() for m in marks] + [len(text)]
        items = [text[bounds[i]:marks[i + 1].start() if i + 1 < len(marks) else len(text)] for i in range(len(marks))]
        return [it.strip().strip(";,").strip() for it in items]
    if n == 1:
        return [text]
    parts = [p for p in _LIST_COMMA.split(text) if p.strip()]
    if len(parts) == n - 1 and " and " in parts[-1]:  # "a, b and c"
        parts[-1:] = parts[-1].rsplit(" and ", 1)
    return parts


def _verify_cloze(s: dict, response: str) -> tuple[bool, str | None]:
    expected = s["answers"]
    if [s["passage"][a:b] for a, b in s["blanks"]] != expected:
        return False, "stored answers are not the passage's text at the blanks"
    items = _cloze_items(final_block(response), len(expected))
    if items is None:
        return False, "the blanks are not numbered 1, 2, ... in order"
    if len(items) != len(expected):
        return False, f"expected {len(expected)} answers, got {len(items)}"
    for n, (got, want) in enumerate(zip(items, expected), start=1):
        if norm(got) != norm(want):
            return False, f"blank ({n}): expected {want!r}, got {got.strip()!r}"
    return True, None


def _verify_infill(s: dict, response: str) -> tuple[bool, str | None]:
    a, b = s["span"]
    if norm(s["options"][s["correct"]]) != norm(s["passage"][a:b]):
        return False, "stored correct option is not the removed sentence"
    return _letter(s, response)


def _verify_reorder(s: dict, response: str) -> tuple[bool, str | None]:
    order = [s["shown"].index(i) + 1 for i in range(len(s["sentences"]))]
    if order != s["order"]:
        return False, f"stored order {s['order']} is not {order}"
    given = parse_int_list(re.sub(r"[\[\]()]", " ", final_list(response)))
    if not given:
        return False, "not a list of sentence numbers"
    if sorted(given) != list(range(1, len(order) + 1)):
        return False, f"expected each of 1..{len(order)} once, got {given}"
    return (True, None) if given == order else (False, f"expected {order}, got {given}")


def _verify_repair(s: dict, response: str) -> tuple[bool, str | None]:
    sents, damaged, changed = s["sentences"], s["damaged"], s["changed"]
    if [i for i in range(len(sents)) if norm(sents[i]) != norm(damaged[i])] != changed:
        return False, "stored changed sentences are not the ones that differ"
    lines = [_BULLET.sub("", ln) for ln in final_block(response).splitlines() if ln.strip()]
    fixes: dict[int, str] = {}
    for ln in lines:
        if (m := _LABELLED.fullmatch(ln.strip())) is None:
            return False, f"line {ln.strip()!r} is not '<number>: <sentence>'"
        if int(m.group(1)) - 1 in fixes:
            return False, f"sentence {m.group(1)} is given twice"
        fixes[int(m.group(1)) - 1] = m.group(2)
    if sorted(fixes) != changed:
        return False, f"damaged sentences are {[i + 1 for i in changed]}, got {[i + 1 for i in sorted(fixes)]}"
    for i in changed:
        if norm(fixes[i]) != norm(sents[i]):
            return False, f"sentence {i + 1} is not repaired exactly"
    return True, None


def _verify_entity_swap(s: dict, response: str) -> tuple[bool, str | None]:
    line, original = s["sentence"], s["original"]
    shown = s["sentences"][line - 1]
    if _occurrences(shown, s["replacement"]) == 0 or norm(original) == norm(s["replacement"]):
        return False, "stored replacement is not in the altered sentence"
    m = _LABELLED.fullmatch(final_answer(response))
    if m is None:
        return False, "not '<sentence number>: <original>'"
    if int(m.group(1)) != line:
        return False, f"expected sentence {line}, got {m.group(1)}"
    got = m.group(2).strip().strip("'\"“”‘’")
    return (True, None) if norm(got) == norm(original) else (False, f"expected {original!r}, got {got!r}")


def _verify_summary(s: dict, response: str) -> tuple[bool, str | None]:
    if s["options"][s["correct"]] != s["summary"] or summarise(s["passage"]) != s["summary"]:
        return False, "stored correct option is not the passage's summary"
    return _letter(s, response)


_VERIFIERS = {"cloze": _verify_cloze, "infill": _verify_infill, "reorder": _verify_reorder,
              "repair": _verify_repair, "entity_swap": _verify_entity_swap, "summary_match": _verify_summary}


def verify(structured: dict, response: str) -> tuple[bool, str | None]:
    """Whether ``response`` states the exact answer; with the reason when it does not. Checks the
    stored data against itself first (the answer recomputed from the passage where possible)."""
    check = _VERIFIERS.get(structured.get("strategy", ""))
    if check is None:
        return False, f"unknown strategy {structured.get('strategy')!r}"
    return check(structured, response)
