"""Program-side document exercises: oracle answers verify, wrong ones do not, and the hidden
facts are spread so that surface features do not give them away."""

from __future__ import annotations

import collections
import functools
import json
import random
import re

import pytest

from synthcompile.compilers.documents import program
from synthcompile.compilers.documents.program import LETTERS, STRATEGIES, make, verify

PASSAGES = (
    # Science biography
    "Marie Curie was born in Warsaw in 1867 and moved to Paris to study physics. At the University of Paris "
    "she met Pierre Curie, whom she married in 1895. Together they discovered two new elements, polonium and "
    "radium, in 1898. She named polonium after her native country, which was then divided among three "
    "empires. In 1903 the couple shared the Nobel Prize in Physics with Henri Becquerel. After Pierre died in "
    "a street accident in 1906, she took over his professorship. A second Nobel Prize, this time in "
    "Chemistry, followed in 1911. She remains the only person to win the prize in two different sciences.",
    # Engineering history
    "The Panama Canal links the Atlantic Ocean with the Pacific Ocean across a narrow isthmus. A French "
    "company led by Ferdinand de Lesseps began digging in 1881 but abandoned the work after disease killed "
    "thousands of labourers. The United States took over the project in 1904. Engineers chose a lock canal "
    "rather than a sea-level channel, lifting ships 26 metres to Gatun Lake. The canal opened to traffic on "
    "15 August 1914. It is about 82 kilometres long and cuts the voyage between New York and San Francisco "
    "by roughly 12,600 kilometres. Control of the waterway passed to Panama at the end of 1999.",
    # Biology
    "Photosynthesis is the process by which plants turn light into chemical energy. It takes place mainly in "
    "the chloroplasts of leaf cells, where the pigment chlorophyll absorbs red and blue light. Water is split "
    "during the light reactions, releasing oxygen as a by-product. The energy captured is stored in two "
    "carrier molecules, ATP and NADPH. In the Calvin cycle these carriers drive the fixation of carbon "
    "dioxide into sugar. A single mature tree can absorb about 22 kilograms of carbon dioxide a year. "
    "Without photosynthesis the oxygen in the atmosphere would slowly disappear.",
    # Urban history
    "The Great Fire of London started in a bakery on Pudding Lane on 2 September 1666. Strong winds from the "
    "east spread the flames quickly through the timber houses of the old city. The fire burned for four days "
    "and destroyed more than 13,000 houses. Old St Paul's Cathedral collapsed as its lead roof melted in the "
    "heat. Samuel Pepys described the scene in his diary, noting that he buried his cheese to save it. "
    "Christopher Wren later designed the new cathedral that still stands today. The Monument, a column 61 "
    "metres tall, was built near the bakery to remember the disaster.",
    # Astronomy
    "The Hubble Space Telescope was launched aboard the shuttle Discovery in April 1990. Soon after launch, "
    "astronomers found that its main mirror had been ground to the wrong shape. The error was only about "
    "2.2 micrometres, but it blurred every image. In December 1993 astronauts installed corrective optics "
    "during the first servicing mission. Since then the telescope has made more than 1.5 million "
    "observations. Its deep field images revealed thousands of galaxies in a patch of sky that looked empty. "
    "Hubble orbits the Earth at an altitude of roughly 540 kilometres. The mission is run jointly by NASA "
    "and the European Space Agency.",
    # Ancient technology
    "Roman aqueducts carried water from distant springs into the cities of the empire. The first, the Aqua "
    "Appia, was built in 312 BC under the censor Appius Claudius Caecus. Most of each channel ran "
    "underground, following the land at a gentle and steady slope. Where a valley had to be crossed, the "
    "engineers raised the channel on tall stone arches. The Pont du Gard in southern France is the best "
    "known of these bridges and stands about 49 metres high. At its peak Rome was supplied by eleven "
    "aqueducts. Public fountains, baths and private houses all drew from the same network.",
    # Food history
    "Coffee was first drunk in the monasteries of Yemen in the fifteenth century. Monks valued the drink "
    "because it kept them awake during long nights of prayer. By 1554 the first coffee houses had opened in "
    "Constantinople. Traders from Venice brought the beans to Europe, where the drink met suspicion at "
    "first. In London the coffee houses became places of business, and Lloyd's of London began in one of "
    "them. The Dutch later grew coffee on Java, breaking the Arabian monopoly. Today Brazil produces about "
    "a third of the world's coffee.",
    # Geography
    "The Amazon River flows about 6,400 kilometres from the Andes to the Atlantic Ocean. It carries more "
    "water than any other river, around 209,000 cubic metres every second. Its basin covers parts of nine "
    "countries, with the largest share in Brazil. The Spanish explorer Francisco de Orellana made the first "
    "recorded journey down the river in 1542. He named it after the warrior women of Greek legend. No bridge "
    "crosses the main stream anywhere along its length. The surrounding rainforest is home to about one in "
    "ten known species. Heavy rains raise the water level by up to 15 metres each year.",
)
ONE_SENTENCE = "The Panama Canal opened to traffic on 15 August 1914."
N = 500  # exercises per (strategy, level) in the distribution tests


def _others(i: int) -> list[str]:
    return [p for j, p in enumerate(PASSAGES) if j != i]


@functools.cache
def batch(strategy: str, level: int) -> list[program.Exercise]:
    """N exercises over all passages, seeded by index, as a build would make them."""
    out = []
    for seed in range(N):
        i = seed % len(PASSAGES)
        ex = make(strategy, PASSAGES[i], random.Random(seed), level=level, others=_others(i))
        assert ex is not None, (strategy, level, seed)
        out.append(ex)
    return out


def _chi_square(counts: collections.Counter, cells: int) -> float:
    total = sum(counts.values())
    return sum((counts.get(c, 0) - total / cells) ** 2 / (total / cells) for c in range(cells))


# --- every item is well formed and its oracle answer verifies -------------------------------

@pytest.mark.parametrize("level", program.LEVELS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_oracle_answer_and_rendered_text_verify(strategy, level):
    for ex in batch(strategy, level)[:80]:
        assert ex.strategy == strategy and 1 <= ex.difficulty <= 4
        structured = json.loads(json.dumps(ex.structured))  # JSON-able, and checkable after the trip
        assert verify(structured, ex.answer) == (True, None)
        assert verify(structured, ex.text) == (True, None)
        assert ex.text.startswith(ex.question) and all(step in ex.text for step in ex.trace)
        assert not verify(structured, "")[0]


def test_difficulty_follows_what_was_drawn():
    assert {ex.difficulty for ex in batch("cloze", 2)} == {2}
    assert all(len(ex.structured["answers"]) == 5 and ex.difficulty == 4 for ex in batch("cloze", 4))
    assert all(ex.difficulty == len(ex.structured["sentences"]) - 2 for ex in batch("reorder", 3))
    assert all(ex.difficulty == len(ex.structured["changed"]) == 3 for ex in batch("repair", 3))
    for ex in batch("infill", 4):  # 5 options; 4 only with near-miss options (one fact changed)
        assert len(ex.structured["options"]) == 5 and ex.difficulty in (3, 4)
    assert {len(ex.structured["options"]) for ex in batch("summary_match", 1)} == {3}


def test_make_refuses_what_a_passage_cannot_carry():
    two = "Coffee was first drunk in Yemen. Monks valued the drink because it kept them awake."
    plain = ("the river was slow. it wound past fields and low hills. nobody could say where it began. "
             "children swam in it during the summer.")
    for strategy in STRATEGIES:
        for level in program.LEVELS:
            assert make(strategy, ONE_SENTENCE, random.Random(0), level=level, others=PASSAGES) is None
            assert make(strategy, two, random.Random(0), level=level, others=PASSAGES) is None
    assert make("entity_swap", plain, random.Random(0), level=1, others=()) is None  # no name, no number
    assert make("infill", PASSAGES[0], random.Random(0), level=1, others=()) is None  # no distractors
    assert make("summary_match", PASSAGES[0], random.Random(0), level=3, others=PASSAGES[1:3]) is None
    with pytest.raises(ValueError, match="strategy"):
        make("paraphrase", PASSAGES[0], random.Random(0), level=1)
    with pytest.raises(ValueError, match="level"):
        make("cloze", PASSAGES[0], random.Random(0), level=5)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_same_exercise(strategy):
    a = make(strategy, PASSAGES[3], random.Random(42), level=3, others=_others(3))
    b = make(strategy, PASSAGES[3], random.Random(42), level=3, others=_others(3))
    assert a == b and a is not None
    assert any(make(strategy, PASSAGES[3], random.Random(s), level=3, others=_others(3)) != a for s in range(5))


# --- distributions: what the learner cannot guess from the surface ---------------------------

@pytest.mark.parametrize("strategy", ["infill", "summary_match"])
@pytest.mark.parametrize("level", [3, 4])
def test_correct_letter_is_uniform(strategy, level):
    counts = collections.Counter(ex.structured["correct"] for ex in batch(strategy, level))
    shares = [counts[i] / N for i in range(5)]
    assert all(0.12 <= s <= 0.28 for s in shares), shares
    assert _chi_square(counts, 5) < 18.5  # chi-square, 4 degrees of freedom, p = 0.001


@pytest.mark.parametrize("strategy", ["infill", "summary_match"])
def test_true_option_is_not_told_by_its_length(strategy):
    longest = shortest = 0
    for ex in batch(strategy, 3):
        lengths = [len(o) for o in ex.structured["options"]]
        true = lengths[ex.structured["correct"]]
        longest += true == max(lengths)
        shortest += true == min(lengths)
        assert all(0.6 <= n / true <= 1.6 for n in lengths)
    assert 0.12 <= longest / N <= 0.28 and 0.12 <= shortest / N <= 0.28, (longest, shortest)  # 0.2 by chance


def test_reorder_is_uniform_over_non_identity_permutations():
    counts = collections.Counter(tuple(ex.structured["order"]) for ex in batch("reorder", 1))
    assert len(counts) == 5 and (1, 2, 3) not in counts  # 3! - 1 orders
    assert all(0.12 <= c / N <= 0.28 for c in counts.values()), counts
    four = collections.Counter(tuple(ex.structured["order"]) for ex in batch("reorder", 2))
    assert len(four) == 23 and (1, 2, 3, 4) not in four
    cells = {p: i for i, p in enumerate(sorted(four))}
    assert _chi_square(collections.Counter({cells[p]: c for p, c in four.items()}), 23) < 49.7  # p = 0.001
    for level in (3, 4):
        assert all(ex.structured["order"] != sorted(ex.structured["order"]) for ex in batch("reorder", level))


def test_altered_sentence_is_spread_over_the_passage():
    for level in (2, 3):
        where = collections.Counter()
        for ex in batch("entity_swap", level):
            s = ex.structured
            n = len(s["sentences"])
            where["first" if s["sentence"] == 1 else "last" if s["sentence"] == n else "inside"] += 1
        assert where["first"] / N < 0.3 and where["last"] / N < 0.3 and where["inside"] / N > 0.4, where
    changed = collections.Counter(i for ex in batch("repair", 1) for i in ex.structured["changed"])
    assert len(changed) >= 7 and max(changed.values()) / N < 0.25, changed


def test_cloze_blanks_do_not_reveal_what_they_hide():
    answers = [a for ex in batch("cloze", 4) for a in ex.structured["answers"]]
    assert any(len(a.split()) > 1 for a in answers) and any(re.fullmatch(r"[\d,.]+", a) for a in answers)
    for ex in batch("cloze", 4):
        blanks = re.findall(r"_+ \((\d+)\)", ex.question)
        assert blanks == [str(n) for n in range(1, 6)]
        assert set(re.findall(r"_+", ex.question)) == {program.BLANK}  # one width whatever the answer
        shown = re.sub(r"_+ \(\d+\)", program.BLANK, ex.question.split("\n\n")[1])  # the passage, blanks unnumbered
        for a in ex.structured["answers"]:  # not left standing elsewhere to copy
            assert not re.search(rf"(?<!\w){re.escape(a)}(?!\w)", shown, re.IGNORECASE)
    kinds = collections.Counter(k for ex in batch("cloze", 1) for k in ex.structured["kinds"])
    assert set(kinds) == {"word"}  # level 1 hides one content word
    assert all(a.lower() not in program._STOP for ex in batch("cloze", 2) for a in ex.structured["answers"])


# --- wrong answers are rejected ------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["infill", "summary_match"])
def test_wrong_letters_are_rejected(strategy):
    for ex in batch(strategy, 3)[:40]:
        s = ex.structured
        for i, letter in enumerate(LETTERS):
            ok, reason = verify(s, letter)
            assert ok == (i == s["correct"]) and (ok or reason)
        assert not verify(s, "F")[0] and not verify(s, "A B")[0] and not verify(s, "Maybe")[0]
        right, wrong_text = LETTERS[s["correct"]], s["options"][(s["correct"] + 1) % 5]
        assert not verify(s, f"{right} {wrong_text}")[0]
        assert not verify(s, f"{right}. {wrong_text}")[0]  # the letter with another option's text
    three = batch(strategy, 1)[0].structured
    assert verify(three, "D") == (False, "there is no option D")


def test_wrong_orders_are_rejected():
    for ex in batch("reorder", 2)[:40]:
        s, order = ex.structured, ex.structured["order"]
        swapped = order[:]
        swapped[0], swapped[1] = swapped[1], swapped[0]
        for wrong in ([1, 2, 3, 4], swapped, order[:-1], order + [5], order[:-1] + [order[0]], order[::-1]):
            if wrong != order:
                assert not verify(s, ", ".join(map(str, wrong)))[0], wrong
        assert not verify(s, ex.answer + " maybe")[0]
        assert not verify(s, "first, second")[0]


def test_wrong_cloze_answers_are_rejected():
    for ex in batch("cloze", 3)[:40]:
        s, answers = ex.structured, ex.structured["answers"]
        assert not verify(s, "; ".join(answers[:-1]))[0]  # a missing blank
        assert not verify(s, "; ".join(answers + ["extra"]))[0]
        assert not verify(s, "; ".join(answers[:-1] + [answers[-1] + " indeed"]))[0]
        assert not verify(s, "; ".join(["the"] + answers[1:]))[0]
        if len({a.lower() for a in answers}) == len(answers):
            assert not verify(s, "; ".join(answers[::-1]))[0]
        assert not verify(s, "\n".join(f"({n}) {a}" for n, a in zip((2, 1, 3), answers)))[0]


def test_wrong_repairs_are_rejected():
    for ex in batch("repair", 2)[:40]:
        s = ex.structured
        first, second = s["changed"]
        fixed = {i: s["sentences"][i] for i in s["changed"]}
        line = "{}: {}".format
        assert not verify(s, line(first + 1, fixed[first]))[0]  # one repair missing
        assert not verify(s, "\n".join([line(first + 1, fixed[first]), line(second + 1, s["damaged"][second])]))[0]
        intact = next(i for i in range(len(s["sentences"])) if i not in fixed)
        assert not verify(s, ex.answer + "\n" + line(intact + 1, s["sentences"][intact]))[0]
        assert not verify(s, "\n".join([line(first + 1, fixed[first]), line(intact + 1, fixed[second])]))[0]
        assert not verify(s, ex.answer + "\n" + line(first + 1, fixed[first]))[0]  # given twice
        assert not verify(s, ex.answer + "\nThat is all.")[0]


def test_wrong_entity_answers_are_rejected():
    for ex in batch("entity_swap", 3)[:40]:
        s = ex.structured
        n, orig = s["sentence"], s["original"]
        other = n + 1 if n < len(s["sentences"]) else n - 1
        assert not verify(s, f"{other}: {orig}")[0]
        assert not verify(s, f"{n}: {s['replacement']}")[0]
        assert not verify(s, f"{n}: {orig} or so")[0]
        assert not verify(s, orig)[0] and not verify(s, str(n))[0]


def test_tampered_records_fail_their_own_check():
    ex = batch("infill", 3)[0]
    s = {**ex.structured, "correct": (ex.structured["correct"] + 1) % 5}
    assert verify(s, LETTERS[s["correct"]]) == (False, "stored correct option is not the removed sentence")
    ex = batch("reorder", 2)[0]
    assert "stored order" in verify({**ex.structured, "order": [1, 2, 3, 4]}, "1, 2, 3, 4")[1]
    ex = batch("cloze", 2)[0]
    assert not verify({**ex.structured, "answers": ["x", "y"]}, "x; y")[0]
    assert not verify({"strategy": "nope"}, "A")[0]


# --- answers are read tolerantly, in the project's style -------------------------------------

def test_letters_are_read_tolerantly():
    ex = batch("summary_match", 3)[0]
    s = ex.structured
    c = LETTERS[s["correct"]]
    for form in (c, c.lower(), f"Answer: {c}", f"**{c}**", f"({c})", f"{c}.", f"{c})", f"Option {c}",
                 f"The answer is {c}.", f"\\boxed{{{c}}}", f"<think>A? no.</think>\n**Answer:** {c}",
                 f"{c}. {s['options'][s['correct']]}", f"I compared them.\nAnswer: ({c})"):
        assert verify(s, form) == (True, None), form


def test_orders_are_read_tolerantly():
    ex = next(e for e in batch("reorder", 1) if e.structured["order"] == [2, 1, 3])
    for form in ("2, 1, 3", "2 1 3", "[2,1,3]", "2 -> 1 -> 3", "[2] [1] [3]", "Answer: 2, 1, 3",
                 "2\n1\n3", "- 2\n- 1\n- 3", "**2, 1, 3**", "(2, 1, 3)"):
        assert verify(ex.structured, form) == (True, None), form


def test_cloze_answers_are_read_tolerantly():
    ex = next(e for e in batch("cloze", 3) if all("," not in a for a in e.structured["answers"]))
    a = ex.structured["answers"]
    for form in ("; ".join(a), ", ".join(a), "\n".join(a), " ".join(f"({n}) {w}" for n, w in enumerate(a, 1)),
                 "\n".join(f"{n}. {w}" for n, w in enumerate(a, 1)), "Answer: " + "; ".join(x.upper() for x in a),
                 "; ".join(f'"{w}"' for w in a), f"{a[0]}, {a[1]} and {a[2]}"):
        assert verify(ex.structured, form) == (True, None), form
    one = batch("cloze", 1)[0]
    assert verify(one.structured, f"(1) {one.answer}.") == (True, None)
    numbers = {"structured": {"strategy": "cloze", "passage": "It cost 1,200 dollars in 1903.",
                              "blanks": [[8, 13], [25, 29]], "answers": ["1,200", "1903"], "kinds": ["number"] * 2}}
    assert verify(numbers["structured"], "1,200, 1903") == (True, None)  # the thousands comma splits nothing
    assert verify(numbers["structured"], "1200; 1903") == (True, None)


def test_repairs_and_swaps_are_read_tolerantly():
    ex = batch("repair", 2)[1]
    s = ex.structured
    lines = [(i + 1, s["sentences"][i]) for i in s["changed"]]
    for form in ("\n".join(f"[{n}] {t}" for n, t in lines), "\n".join(f"- Sentence {n}: {t.lower()}" for n, t in lines),
                 "Answer:\n" + "\n".join(f"{n}. {t.rstrip('.')}" for n, t in lines)):
        assert verify(s, form) == (True, None), form
    ex = batch("entity_swap", 2)[0]
    n, orig = ex.structured["sentence"], ex.structured["original"]
    for form in (f"{n}: {orig}", f"Sentence {n}: {orig}", f"{n} - {orig}", f"[{n}] {orig}", f"{n}: '{orig}'",
                 f"Answer: {n}, {orig.upper()}", f"**{n}: {orig}**"):
        assert verify(ex.structured, form) == (True, None), form


def test_entities_and_norm():
    found = {(e.kind, e.text) for e in program.entities(PASSAGES[1])}
    assert {("name", "Ferdinand de Lesseps"), ("year", "1904"), ("number", "12,600"), ("month", "August"),
            ("name", "New York")} <= found
    assert ("name", "The") not in found and ("name", "Engineers") not in found  # sentence-initial words
    text = "It was printed by Peter Schöffer in Mainz. Then Łukasz came. RuBisCO fixes carbon."
    assert [e.text for e in program.entities(text)] == ["Peter Schöffer", "Mainz"]  # whole words or none
    assert program.norm("  The  1,200 “Km”!") == program.norm("the 1200 'km'") == "the 1200 km"
    assert program.norm("big dog") != program.norm("dog big")


def test_summary_distractors_come_from_distinct_texts():
    for ex in batch("summary_match", 3):
        leads = {program.sentences(o)[0] for o in ex.structured["options"]}
        assert len(leads) == 5  # two options with one lead would tell that neither is true
        assert ex.structured["summary"].startswith(program.sentences(ex.structured["passage"])[0])


def test_headings_and_paragraphs():
    doc = "Two histories\n\n" + PASSAGES[0] + "\n\n" + PASSAGES[1].replace(". ", ".\n", 2)
    for strategy in STRATEGIES:
        for level in program.LEVELS:
            ex = make(strategy, doc, random.Random(level), level=level, others=PASSAGES[2:])
            assert ex is not None and verify(ex.structured, ex.text) == (True, None), strategy
    assert program.summarise(doc).startswith("Marie Curie was born")  # the heading is no lead
    gaps = {make("infill", doc, random.Random(s), level=1, others=PASSAGES[2:]).structured["span"][0]
            for s in range(40)}
    assert 0 not in gaps  # nor a sentence to restore


def test_builtin_documents_give_checkable_items():
    from pathlib import Path

    from synthcompile.seeds.sentences import paragraph_spans
    folder = Path(program.__file__).parents[2] / "seeds" / "data" / "documents"
    if not folder.is_dir():
        pytest.skip("no builtin documents")
    texts = [f.read_text() for f in sorted(folder.glob("*.md"))]
    chunks = [t[a:b] for t in texts for a, b in paragraph_spans(t) if not t[a:b].startswith("#")]
    made = 0
    for seed in range(60):
        p = chunks[seed % len(chunks)]
        for strategy in STRATEGIES:
            ex = make(strategy, p, random.Random(seed), level=1 + seed % 4, others=chunks)
            if ex is not None:
                made += 1
                assert verify(ex.structured, ex.text) == (True, None), (strategy, seed)
    assert made > 100
