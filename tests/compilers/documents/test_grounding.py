"""Grounding checks on planted outputs: every invented fact is caught and named, every faithful
rewording (reformatted numbers, dates, units, name sub-spans) passes. Each case runs with both
entity extractors (spaCy's only where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from synthcompile.compilers.documents import grounding as g
from synthcompile.compilers.documents.grounding import check_grounding

SOURCES = {
    "eiffel": (
        "The Eiffel Tower was built by the company of Gustave Eiffel for the 1889 World's Fair in Paris. "
        "Construction began on 28 January 1887 and the tower opened to the public on 15 May 1889. "
        "It is 330 metres tall and weighs about 10,100 tonnes. Around 300 workers assembled its 18,038 "
        "iron parts. Critics such as Guy de Maupassant called it \"a high and skinny pyramid of iron "
        "ladders\". Today the tower welcomes nearly 7 million visitors a year, about 75% of them from abroad."
    ),
    "curie": (
        "Marie Skłodowska Curie was born in Warsaw on 7 November 1867. In 1891 she moved to Paris to study "
        "physics at the Sorbonne. With her husband Pierre Curie she discovered two elements, polonium and "
        "radium, in 1898. She won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in "
        "1911, becoming the first person to win two Nobel Prizes. She once wrote: \u201cNothing in life is "
        "to be feared, it is only to be understood.\u201d She died on 4 July 1934 at Passy, in the French Alps."
    ),
    "bastille": (
        "The storming of the Bastille took place in Paris on 14 July 1789. The fortress held only seven "
        "prisoners at the time. About 1,000 armed Parisians, joined by mutinous soldiers of the French "
        "Guards, besieged it for several hours; 98 attackers and one defender died in the fighting. The "
        "governor, Bernard-René de Launay, was killed afterwards. The event became a symbol of the "
        "Revolution, and 14 July has been the national day of France since 1880."
    ),
    "amazon": (
        "The Amazon River flows about 6,400 km from the Andes in Peru to the Atlantic Ocean in Brazil. "
        "Its basin covers some 7 million square kilometres, roughly 40% of South America. During the wet "
        "season the river can be up to 48 km wide. The Spanish explorer Francisco de Orellana made the "
        "first known descent of the river in 1542. The average temperature in the basin stays near 27 °C "
        "throughout the year, and annual rainfall reaches 2,300 mm in places."
    ),
    "vesuvius": (
        "Mount Vesuvius erupted in AD 79 and buried the Roman towns of Pompeii and Herculaneum under ash up "
        "to 6 metres deep. The writer Pliny the Younger watched the eruption from Misenum, across the Bay "
        "of Naples, and described a cloud shaped like \"an umbrella pine\". His uncle, Pliny the Elder, "
        "died while trying to rescue friends by ship. Pompeii had been founded in the 7th or 6th century "
        "BC and had about 11,000 inhabitants. Systematic excavations began in 1748 and continue today."
    ),
    "concorde": (
        "Concorde first flew on 2 March 1969 at Toulouse. It cruised at about 2,180 km/h (1,354 mph), "
        "twice the speed of sound, and carried up to 100 passengers. British Airways and Air France flew "
        "it on transatlantic routes from 1976 until 2003. A return ticket from London to New York cost "
        "around $12,000 in the late 1990s. The crash of Air France Flight 4590 near Paris on 25 July 2000 "
        "killed all 109 people on board and 4 on the ground."
    ),
}

# (source, output text, kind, the planted span that must be named)
UNSUPPORTED = [
    ("eiffel", "The Eiffel Tower is 320 metres tall.", "number", "320 metres"),
    ("eiffel", "The tower is 330 feet tall.", "number", "330 feet"),
    ("eiffel", "It weighs about 10,100 kilograms.", "number", "10,100 kilograms"),
    ("eiffel", "Around 400 workers assembled the tower.", "number", "400"),
    ("eiffel", "It was built for the World's Fair of 1900.", "date", "1900"),
    ("eiffel", "Construction began on 28 January 1888.", "date", "28 January 1888"),
    ("eiffel", "Construction began on 26 January 1887.", "date", "26 January 1887"),
    ("eiffel", "The tower opened on 6 May 1889.", "date", "6 May 1889"),
    ("eiffel", "The tower opened to the public in June 1889.", "date", "June 1889"),
    ("eiffel", "Guy de Maupassant called it \"a tall and skinny pyramid of iron ladders\".", "quote",
     "a tall and skinny pyramid of iron ladders"),
    ("eiffel", "Victor Hugo called it a pyramid of iron ladders.", "entity", "Victor Hugo"),
    ("eiffel", "The tower welcomes nearly 9 million visitors a year.", "number", "9 million"),
    ("eiffel", "About 57% of its visitors come from abroad.", "number", "57%"),
    ("eiffel", "It was designed in Lyon by Gustave Eiffel's company.", "entity", "Lyon"),
    ("eiffel", "Workers assembled 18,308 iron parts.", "number", "18,308"),
    ("curie", "Marie Curie was born in Krakow.", "entity", "Krakow"),
    ("curie", "Marie Curie was born on 7 November 1868.", "date", "7 November 1868"),
    ("curie", "She moved to Paris in 1893.", "date", "1893"),
    ("curie", "She moved to Vienna to study physics.", "entity", "Vienna"),
    ("curie", "With Pierre Curie she discovered three elements.", "number", "three"),
    ("curie", "She won the Nobel Prize in Physics in 1905.", "date", "1905"),
    ("curie", "She studied physics at Oxford.", "entity", "Oxford"),
    ("curie", "She wrote: \u201cNothing in life is to be feared, it is only to be forgotten.\u201d", "quote",
     "Nothing in life is to be feared, it is only to be forgotten."),
    ("curie", "She discovered polonium with Albert Einstein.", "entity", "Albert Einstein"),
    ("curie", "She died on 4 July 1935.", "date", "4 July 1935"),
    ("curie", "Marie Curie died in Geneva.", "entity", "Geneva"),
    ("curie", "She was the second person to win two Nobel Prizes.", "number", "second"),
    ("curie", "She discovered radium in March 1898.", "date", "March 1898"),
    ("bastille", "The storming of the Bastille took place on 14 June 1789.", "date", "14 June 1789"),
    ("bastille", "The Bastille fell on 14 July 1799.", "date", "14 July 1799"),
    ("bastille", "The fortress held only nine prisoners.", "number", "nine"),
    ("bastille", "About 10,000 armed Parisians besieged it.", "number", "10,000"),
    ("bastille", "98 attackers and two defenders died.", "number", "two"),
    ("bastille", "The governor, Jacques Necker, was killed afterwards.", "entity", "Jacques Necker"),
    ("bastille", "The storming of the Bastille took place in Versailles.", "entity", "Versailles"),
    ("bastille", "It has been the national day of France since 1890.", "date", "1890"),
    ("bastille", "Parisians besieged it alongside soldiers of the Swiss Guards.", "entity", "Swiss Guards"),
    ("bastille", "The storming of the Bastille took place in the 1770s.", "date", "1770s"),
    ("amazon", "The Amazon River flows about 6,400 miles.", "number", "6,400 miles"),
    ("amazon", "It flows about 7,000 km from the Andes.", "number", "7,000 km"),
    ("amazon", "It flows from the Andes in Colombia to the Atlantic.", "entity", "Colombia"),
    ("amazon", "Its basin covers some 7 million square miles.", "number", "7 million square miles"),
    ("amazon", "Its basin covers roughly 60% of South America.", "number", "60%"),
    ("amazon", "In the wet season it can be up to 48 miles wide.", "number", "48 miles"),
    ("amazon", "Francisco Pizarro made the first known descent of the river.", "entity", "Francisco Pizarro"),
    ("amazon", "Orellana made the first known descent in 1541.", "date", "1541"),
    ("amazon", "Orellana made the second known descent of the river.", "number", "second"),
    ("amazon", "The average temperature stays near 27 °F.", "number", "27 °F"),
    ("amazon", "Annual rainfall reaches 2,300 cm in places.", "number", "2,300 cm"),
    ("amazon", "The river flows into the Pacific Ocean.", "entity", "Pacific Ocean"),
    ("vesuvius", "Mount Vesuvius erupted in AD 69.", "date", "AD 69"),
    ("vesuvius", "Vesuvius erupted in 79 BC.", "date", "79 BC"),
    ("vesuvius", "The eruption buried Pompeii under ash up to 6 km deep.", "number", "6 km"),
    ("vesuvius", "Pliny the Younger watched the eruption from Sorrento.", "entity", "Sorrento"),
    ("vesuvius", "Tacitus described a cloud shaped like an umbrella pine.", "entity", "Tacitus"),
    ("vesuvius", "Pliny described a cloud shaped like \"a parasol pine\".", "quote", "a parasol pine"),
    ("vesuvius", "Pompeii had about 20,000 inhabitants.", "number", "20,000"),
    ("vesuvius", "Systematic excavations began in 1738.", "date", "1738"),
    ("vesuvius", "Pompeii had been founded in the 5th century BC.", "date", "5th century BC"),
    ("vesuvius", "Excavations began on 23 March 1748.", "date", "23 March 1748"),
    ("concorde", "Concorde first flew on 2 March 1968.", "date", "2 March 1968"),
    ("concorde", "It cruised at about 2,180 mph.", "number", "2,180 mph"),
    ("concorde", "It carried up to 120 passengers.", "number", "120"),
    ("concorde", "Lufthansa flew it on transatlantic routes.", "entity", "Lufthansa"),
    ("concorde", "British Airways flew it from 1976 until 2005.", "date", "2005"),
    ("concorde", "A return ticket cost around $15,000.", "number", "$15,000"),
    ("concorde", "A return ticket cost around £12,000.", "number", "£12,000"),
    ("concorde", "The crash near Paris on 25 July 2001 killed 109 people.", "date", "25 July 2001"),
    ("concorde", "The crash killed all 119 people on board.", "number", "119"),
    ("concorde", "Concorde first flew at Bordeaux.", "entity", "Bordeaux"),
    ("concorde", "Concorde first flew in the 1950s.", "date", "1950s"),
    # Written after the first run, to measure (the module's common-word list grew from the first
    # of these batches; the second was run once, untuned).
    ("eiffel", "Gustave Eiffel's company built the tower for the 1889 World's Fair in London.", "entity", "London"),
    ("curie", "In Paris she met her husband Pierre Curie at the University of Lyon.", "entity",
     "University of Lyon"),
    ("bastille", "King Louis XVI ordered the defence of the Bastille.", "entity", "Louis XVI"),
    ("amazon", "Explorer Pedro Teixeira made the first known descent of the river.", "entity", "Pedro Teixeira"),
    ("vesuvius", "Emperor Titus sent ships to rescue the people of Pompeii.", "entity", "Titus"),
    ("concorde", "Concorde first flew at Toulouse, with test pilot André Turcat at the controls.", "entity",
     "André Turcat"),
    ("concorde", "Tickets from London to Washington cost around $12,000.", "entity", "Washington"),
    ("eiffel", "Napoleon praised the tower as a triumph of French engineering.", "entity", "Napoleon"),
    ("eiffel", "Gustave Eiffel himself designed every one of the 18,038 parts in Brussels.", "entity", "Brussels"),
    ("curie", "She moved to Paris in the spring of 1891 with her sister Bronisława.", "entity", "Bronisława"),
    ("bastille", "About 1,000 armed Parisians besieged it for several hours on 15 July 1789.", "date", "15 July 1789"),
    ("amazon", "Its basin covers some 7 million square kilometres, roughly 4% of South America.", "number", "4%"),
    ("vesuvius", "The writer Pliny the Younger watched the eruption from Capri.", "entity", "Capri"),
    ("concorde", "A return ticket cost about $12,000 in the early 1980s.", "date", "1980s"),
    ("concorde", "It cruised at about 2,180 km/h, three times the speed of sound.", "number", "three"),
    ("curie", "She wrote: \"Nothing in life is to be feared.\" in 1925.", "date", "1925"),
]

SUPPORTED = [
    ("eiffel", "The Eiffel Tower is 330 m tall."),
    ("eiffel", "Standing 330 metres high, the tower weighs roughly 10 100 tonnes."),
    ("eiffel", "Gustave Eiffel's company built it for the World's Fair of 1889."),
    ("eiffel", "Construction started on January 28, 1887."),
    ("eiffel", "The tower opened to visitors in May 1889."),
    ("eiffel", "Work on the tower began in 1887."),
    ("eiffel", "Eiffel's firm built the tower in Paris."),
    ("eiffel", "Some 300 workers put together 18,038 iron pieces."),
    ("eiffel", "Maupassant described it as \u201ca high and skinny pyramid of iron ladders.\u201d"),
    ("eiffel", "Nearly seven million people visit each year, about 75 percent of them from abroad."),
    ("eiffel", "The tower opened on 1889-05-15."),
    ("curie", "Marie Curie was born in Warsaw in 1867."),
    ("curie", "Curie moved to Paris in 1891 to study physics."),
    ("curie", "She and Pierre Curie discovered polonium and radium in 1898."),
    ("curie", "She won Nobel Prizes in 1903 and 1911."),
    ("curie", "She was the first person to win two Nobel Prizes."),
    ("curie", "She died at Passy on 4 July 1934."),
    ("curie", "She wrote that \"nothing in life is to be feared\"."),
    ("curie", "Born on 7/11/1867, she later studied at the Sorbonne."),
    ("curie", "Skłodowska Curie's studies at the Sorbonne began in 1891."),
    ("curie", "In the 1890s she worked in Paris."),
    ("curie", "Marie Curie died in the 20th century."),
    ("bastille", "On July 14, 1789, crowds stormed the Bastille in Paris."),
    ("bastille", "Only 7 prisoners were held in the fortress."),
    ("bastille", "Around 1000 armed Parisians took part."),
    ("bastille", "Ninety-eight attackers died."),
    ("bastille", "De Launay, the governor, was killed."),
    ("bastille", "France has celebrated its national day on 14 July since 1880."),
    ("bastille", "The storming happened in the 18th century."),
    ("bastille", "The Bastille was stormed in 1789 by Parisians and soldiers of the French Guards."),
    ("bastille", "The storming of the Bastille became a symbol of the Revolution."),
    ("amazon", "The Amazon runs some 6400 kilometres from Peru to Brazil."),
    ("amazon", "It drains about 7,000,000 km² (40 per cent of South America)."),
    ("amazon", "In the wet season, the river may be 48 kilometers wide."),
    ("amazon", "Orellana's descent in 1542 was the first known one."),
    ("amazon", "Temperatures in the basin stay near 27 degrees Celsius."),
    ("amazon", "Some places get 2300 millimetres of rain a year."),
    ("amazon", "The river ends in the Atlantic."),
    ("amazon", "Francisco de Orellana was a Spanish explorer."),
    ("vesuvius", "Vesuvius erupted in 79 AD."),
    ("vesuvius", "The eruption of AD 79 buried Pompeii and Herculaneum."),
    ("vesuvius", "Ash up to six metres deep covered the towns."),
    ("vesuvius", "Pliny the Younger saw the eruption from across the Bay of Naples."),
    ("vesuvius", "He compared the cloud to \"an umbrella pine\"."),
    ("vesuvius", "Pompeii, founded in the 6th century BC, had about 11 000 inhabitants."),
    ("vesuvius", "Excavations started in 1748."),
    ("vesuvius", "Pliny the Elder died trying to rescue friends."),
    ("concorde", "Concorde's first flight was on 2 March 1969, at Toulouse."),
    ("concorde", "It flew at roughly 2180 kilometres per hour."),
    ("concorde", "Its cruising speed was about 1,354 miles per hour."),
    ("concorde", "British Airways and Air France operated it between 1976 and 2003."),
    ("concorde", "In the late 1990s a return ticket from London to New York cost about $12,000."),
    ("concorde", "Air France Flight 4590 crashed near Paris on 25 July 2000."),
    ("concorde", "All 109 people aboard died, as did four on the ground."),
    ("concorde", "It could carry a hundred passengers."),
    # Written after the first run (see UNSUPPORTED).
    ("eiffel", "Exercise: Read the passage about the Eiffel Tower. Then answer: How many iron parts did the "
               "workers assemble? Explain why critics like Maupassant disliked the tower."),
    ("eiffel", "Paraphrase: Gustave Eiffel's company put up the tower in Paris for the World's Fair held in "
               "1889. Building work ran from January 1887 until the tower opened in May 1889."),
    ("curie", "Summary: Born in Warsaw in November 1867, Marie Curie later moved to Paris, where she studied "
              "physics. Together with Pierre she found polonium and radium."),
    ("curie", "Discuss: Why was Curie the first person to win two Nobel Prizes, one in Physics and one in Chemistry?"),
    ("bastille", "Key facts:\n- Date: 14 July 1789\n- Place: Paris\n- Prisoners held: seven\n- Attackers killed: 98"),
    ("bastille", "Write a short paragraph explaining how the Bastille became a symbol of the Revolution. "
                 "Mention the French Guards."),
    ("amazon", "True or false? The Amazon River begins in the Andes of Peru and reaches the Atlantic Ocean in Brazil."),
    ("amazon", "Fill in the blanks: The Amazon basin covers about ____ square kilometres, roughly 40% of "
               "____ America."),
    ("vesuvius", "Imagine you are Pliny the Younger at Misenum in AD 79. Describe what you see across the bay."),
    ("vesuvius", "Pompeii and Herculaneum were Roman towns. Both were buried when Vesuvius erupted."),
    ("concorde", "Compare Concorde's speed (about 2,180 km/h) with the speed of sound. Which airlines flew it?"),
    ("eiffel", "Nowadays around 7 million people visit the tower every year."),
    ("curie", "Marie Curie's husband was Pierre Curie."),
    ("bastille", "Mutinous soldiers joined about a thousand armed Parisians."),
    ("eiffel", "Q: Who built the Eiffel Tower?\nA: The company of Gustave Eiffel built it."),
    ("curie", "Polonium and radium were discovered in 1898 by Marie and Pierre Curie."),
    ("curie", "Exercise 1. Where did Curie die? She died at Passy in July 1934."),
    ("bastille", "Explain in your own words why 14 July is the national day of France."),
    ("bastille", "Several hours of fighting left 98 attackers dead."),
    ("amazon", "Rainfall in parts of the basin reaches 2,300 millimetres each year."),
    ("amazon", "Which ocean does the Amazon flow into? Answer: the Atlantic Ocean."),
    ("vesuvius", "Herculaneum, like Pompeii, was buried under ash in 79 AD."),
    ("vesuvius", "Digging at Pompeii began in 1748, and it still goes on."),
    ("concorde", "Flight 4590 crashed on 25 July 2000; everyone on board, 109 people, was killed."),
    ("concorde", "Concorde could fly at twice the speed of sound."),
]

# Faithful outputs that both extractors still reject: kept to be counted, and to fail loudly
# (strict xfail) once fixed. A demonym is not its country's name; "transatlantic" is not "Atlantic";
# "three quarters" is read as the count three.
KNOWN_FALSE_POSITIVES = [
    ("amazon", "Orellana, a Spaniard, first travelled down the river in 1542."),
    ("concorde", "Between 1976 and 2003, Concorde was flown by British Airways and Air France across the Atlantic."),
    ("eiffel", "Over three quarters of the tower's visitors come from other countries; 75% of them are from abroad."),
]

# (source, question, answer, supported)
QA = [
    ("eiffel", "How tall is the Eiffel Tower?", "It is 330 metres tall.", True),
    ("curie", "What did Marie and Pierre Curie discover?", "They discovered polonium and radium.", True),
    ("bastille", "When was the Bastille stormed?", "On 14 July 1789.", True),
    ("amazon", "How wide can the Amazon be in the wet season?", "Up to 48 km wide.", True),
    ("vesuvius", "When did Vesuvius erupt?", "In AD 79.", True),
    ("concorde", "How many passengers could Concorde carry?", "Up to one hundred passengers.", True),
    ("curie", "Why did Marie Curie move to Paris?", "She wanted to escape political persecution.", False),
    ("eiffel", "Why was the Eiffel Tower built?", "To serve as a radio transmitter for the army.", False),
    ("bastille", "What did the Bastille become?", "A museum of medieval weapons and armour.", False),
    ("amazon", "What happens to the Amazon in the wet season?", "It freezes over and stops flowing.", False),
    ("vesuvius", "How did Pliny the Elder die?", "He fell from his horse while fleeing inland.", False),
    ("concorde", "Why was Concorde retired?", "Rising fuel costs and falling demand.", False),
]


@pytest.fixture(scope="module", params=["heuristic", "spacy"])
def entities(request):
    if request.param == "spacy" and g._spacy_nlp() is None:  # loaded once per process
        pytest.skip("spacy with an English model is not installed")
    return request.param


def _named(result, kind, span):
    return [u for u in result.unsupported if u.kind == kind and span.lower() in u.text.lower()
            and len(u.text) <= len(span) + 12]


def test_planted_sets_are_large_enough():
    assert len(UNSUPPORTED) >= 50 and len(SUPPORTED) >= 50
    assert {k for _, _, k, _ in UNSUPPORTED} == {"number", "date", "entity", "quote"}


@pytest.mark.parametrize("src,text,kind,span", UNSUPPORTED, ids=[f"{c[0]}-{c[3]}" for c in UNSUPPORTED])
def test_planted_unsupported_is_caught_and_named(entities, src, text, kind, span):
    result = check_grounding({"text": text}, SOURCES[src], entities=entities)
    assert not result.passed
    assert _named(result, kind, span), result.unsupported
    assert text[result.unsupported[0].start:result.unsupported[0].end].strip() == result.unsupported[0].text


@pytest.mark.parametrize("src,text", SUPPORTED, ids=[f"{c[0]}-{i}" for i, c in enumerate(SUPPORTED)])
def test_faithful_rewording_passes(entities, src, text):
    result = check_grounding({"text": text}, SOURCES[src], entities=entities)
    assert result.passed, result.reason()
    assert sum(result.checked.values()) > 0


@pytest.mark.xfail(strict=True, reason="known false positive: see KNOWN_FALSE_POSITIVES")
@pytest.mark.parametrize("src,text", KNOWN_FALSE_POSITIVES)
def test_known_false_positives(entities, src, text):
    assert check_grounding({"text": text}, SOURCES[src], entities=entities).passed


@pytest.mark.parametrize("src,question,answer,ok", QA, ids=[f"{c[0]}-{c[3]}" for c in QA])
def test_answer_support(entities, src, question, answer, ok):
    result = check_grounding({"question": question, "answer": answer}, SOURCES[src], answer_field="answer",
                             question_field="question", entities=entities)
    assert result.passed is ok, result.reason()
    s, e = result.support["answer_span"]
    assert SOURCES[src][s:e] == result.support["answer_sentence"]
    if ok:
        assert result.support["answer_score"] >= 0.6
    else:
        assert [u.kind for u in result.unsupported] == ["answer"]


def test_answer_support_records_the_supporting_sentence():
    src = SOURCES["curie"]
    result = check_grounding({"q": "When did she win the chemistry prize?", "a": "In 1911."}, src,
                             answer_field="a", question_field="q")
    assert result.passed
    assert result.support["answer_sentence"].startswith("She won the Nobel Prize in Physics")


def test_reason_names_each_span_and_field():
    result = check_grounding({"question": "Why did Napoleon visit the tower?", "answer": "It is 1,234 m tall."},
                             SOURCES["eiffel"], entities="heuristic")
    assert result.reason() == ("unsupported entity 'Napoleon' in question; "
                               "unsupported number '1,234 m' in answer")
    assert check_grounding({"text": "It is 330 m tall."}, SOURCES["eiffel"]).reason() is None


def test_unit_mismatch_is_explained():
    result = check_grounding({"text": "It is 330 km tall."}, SOURCES["eiffel"])
    assert result.unsupported[0].detail == "unit differs from the source"


def test_coarser_date_passes_finer_date_fails():
    src = "The treaty was signed in 1648 in Münster."
    assert check_grounding({"t": "It was signed in the 17th century."}, src).passed
    assert check_grounding({"t": "It was signed in the 1640s."}, src).passed
    fail = check_grounding({"t": "It was signed in October 1648."}, src)
    assert [(u.kind, u.text) for u in fail.unsupported] == [("date", "October 1648")]


def test_labels_list_markers_and_boilerplate_are_not_facts(entities):
    fields = {"question": "Question 1: True or False? Fill in the Blank:\n1. The Amazon flows into the ____.\n"
                          "2. Its basin covers ____ of South America.",
              "answer": "Answer: 1. Atlantic Ocean 2. 40%"}
    result = check_grounding(fields, SOURCES["amazon"], entities=entities)
    assert result.passed, result.reason()


def test_exempt_text_is_not_checked():
    fields = {"prompt": "Exercise 12 from Unit Seven: Which river is described?", "answer": "The Amazon."}
    assert not check_grounding(fields, SOURCES["amazon"], entities="heuristic").passed
    result = check_grounding(fields, SOURCES["amazon"], exempt={"prompt": "Exercise 12 from Unit Seven:"},
                             entities="heuristic")
    assert result.passed, result.reason()


def test_allow_lists_prompt_words():
    fields = {"text": "Summarise for the Geography Club: the Amazon ends in the Atlantic."}
    assert not check_grounding(fields, SOURCES["amazon"], entities="heuristic").passed
    assert check_grounding(fields, SOURCES["amazon"], entities="heuristic", allow={"geography", "club"}).passed


def test_judge_can_veto_but_never_rescue():
    src, calls = SOURCES["bastille"], []

    def judge(verdict):
        def call(source, fields):
            calls.append(fields)
            return verdict, "the answer contradicts the passage" if not verdict else "fine"
        return call

    good = {"q": "When was the Bastille stormed?", "a": "On 14 July 1789."}
    ok = check_grounding(good, src, answer_field="a", question_field="q", judge=judge(True))
    assert ok.passed and ok.support["judge"] == {"passed": True, "reason": "fine"}
    vetoed = check_grounding(good, src, answer_field="a", question_field="q", judge=judge(False))
    assert not vetoed.passed and vetoed.reason() == "judge rejected: the answer contradicts the passage"
    calls.clear()
    bad = {"q": "When was the Bastille stormed?", "a": "On 14 July 1790."}
    still_bad = check_grounding(bad, src, answer_field="a", question_field="q", judge=judge(True))
    assert not still_bad.passed and calls == [] and "judge" not in still_bad.support


def test_embedder_adds_a_similarity_floor():
    src = SOURCES["vesuvius"]
    fields = {"q": "When did Vesuvius erupt?", "a": "In AD 79."}

    def embed(sim):
        return lambda texts: np.array([[1.0, 0.0], [sim, (1 - sim * sim) ** 0.5]])

    close = check_grounding(fields, src, answer_field="a", question_field="q", embedder=embed(0.9))
    assert close.passed and close.support["embedding_score"] == pytest.approx(0.9)
    far = check_grounding(fields, src, answer_field="a", question_field="q", embedder=embed(0.2))
    assert not far.passed and "embedding similarity 0.20" in far.reason()


def test_answer_without_content_words_fails_closed():
    result = check_grounding({"q": "Is the tower 330 metres tall?", "a": "Yes."}, SOURCES["eiffel"],
                             answer_field="a", question_field="q")
    assert not result.passed and result.unsupported[0].detail == "no content words to ground"


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="answer_field"):
        check_grounding({"q": "x"}, "x", answer_field="a")
    with pytest.raises(ValueError, match="exempt"):
        check_grounding({"q": "x"}, "x", exempt={"a": "y"})
    with pytest.raises(ValueError, match="entities"):
        check_grounding({"q": "x"}, "x", entities="ner")
    with pytest.raises(ValueError, match="min_answer_support"):
        check_grounding({"q": "x"}, "x", min_answer_support=0)


def test_auto_falls_back_without_spacy(monkeypatch):
    monkeypatch.setattr(g, "_spacy_nlp", lambda: None)
    result = check_grounding({"text": "Marie Curie was born in Krakow."}, SOURCES["curie"])
    assert result.support["entities"] == "heuristic" and not result.passed
    with pytest.raises(RuntimeError, match="spacy"):
        check_grounding({"text": "x"}, SOURCES["curie"], entities="spacy")


@pytest.mark.parametrize("text,value,units", [
    ("1,234", "1234", None), ("1 234", "1234", None), ("2.50 km", "2.5", {"km"}), ("45 per cent", "45", {"%"}),
    ("three million", "3000000", None), ("$3m", "3000000", {"$"}), ("twenty-five kilometres", "25", {"km"}),
    ("a dozen", "12", None), ("-5 °C", "-5", {"°C"}), ("two hundred and fifty", "250", None),
])
def test_number_normalisation(text, value, units):
    [m] = g._numbers(text)
    num = m.values[0]
    assert num.value == g.Decimal(value) and (num.units == units if units is None else units <= num.units)


@pytest.mark.parametrize("text", ["one of the oldest", "at first", "in a second", "hundreds of them"])
def test_prose_words_are_not_numbers(text):
    assert g._numbers(text) == []
