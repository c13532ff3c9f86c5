"""How to say a relation: its own phrasings, or grammatical fallbacks built from its label.

A user graph's relations come with labels of every shape ("place of birth", "has parent",
"instance of", "located in", "shares border with", "collaborated with", "is married"). Each is
read as one :class:`Form`, and each form has its own statement and question banks:

| form | label | statement |
|---|---|---|
| ``noun`` | "place of birth", "has parent" | "The place of birth of X is Y." / "One parent of X is Y." |
| ``noun_of`` | "instance of", "member of" | "X is an instance of Y." |
| ``participle`` | "located in", "is part of" | "X is located in Y." |
| ``verb`` | "shares border with", "works on" | "X shares a border with Y." |
| ``predicate`` | "is married" (a yes/no or free value) | "Whether X is married: yes." |
| ``event`` | "founded" (with dates) | "The date on which X was founded is 1850." |

Only ``noun`` labels can be chained ("the country of X's place of birth") or compared.
Plurals come from ``pluralizer`` ("people", "currencies", "headquarters"). "a" or "an" are done
by hand (``inflect`` knows them, but its import takes seconds in every worker: typeguard
instruments it). Where word shapes cannot tell a verb from a noun ("speaks", "language
spoken", "children"), lemminflect's lexicon does; it loads in ~1.5 s, so only the labels that
need it pay for it (a graph with its own phrasings never does). A noun followed by a participle
("language spoken", "award received") is said without "of" ("For France, one language spoken
is Breton"), and a plural noun label ("children") is said in the singular ("one child of X").
:mod:`grammar` checks the result on a graph's own facts (``synthcompile grammar RECIPE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import re

from pluralizer import Pluralizer

from synthcompile.seeds.kg import Entity, Relation
from synthcompile.seeds.labels import label_from_name

_PLURAL = Pluralizer()
PREPOSITIONS = frozenset({"with", "of", "in", "at", "by", "on", "from", "to", "for", "as", "into", "under",
                          "after", "about", "against", "over", "near", "through", "within", "via", "above"})
# Participles said with "is": "X is located in Y" (others ending in -ed are past tense verbs:
# "X collaborated with Y"); any -ed/-en word before "by" is one too ("founded by").
_PARTICIPLES = frozenset({"born", "made", "located", "based", "educated", "named", "founded", "owned",
                          "situated", "headquartered", "employed", "buried", "married", "known",
                          "used", "affiliated", "listed", "registered", "positioned", "contained",
                          "influenced", "discovered", "written", "directed", "produced", "designed",
                          "created", "painted", "composed", "published", "performed", "followed",
                          "preceded", "replaced", "succeeded", "operated", "developed", "inspired"})
_DETERMINERS = frozenset({"a", "an", "the", "its", "his", "her", "their", "some", "no", "one"})
# Nouns said without an article in "X is part of Y", "X takes part in Y".
_BARE = frozenset({"part", "place", "care", "charge", "note", "advantage", "notice", "use"})


# Words starting with a vowel letter but a consonant sound ("a university", "a one-off"), and
# with a consonant letter but a vowel sound ("an hour"); letters whose names start with a vowel
# ("an FBI agent").
_A_VOWEL = re.compile(r"(uni|use|usu|uti|ure|uro|eu|ewe|one|once|ubiq|ufo)", re.I)
_AN_CONSONANT = re.compile(r"(hour|honest|honou?r|heir)", re.I)
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")


@lru_cache(maxsize=4096)
def a(phrase: str) -> str:
    """``phrase`` with its indefinite article: "a university", "an official language", "an hour"."""
    word = phrase.split()[0] if phrase.split() else phrase
    if len(word) > 1 and word.isupper():  # an acronym, said letter by letter
        vowel = word[0] in _VOWEL_LETTERS
    elif _A_VOWEL.match(word):
        vowel = False
    else:
        vowel = bool(_AN_CONSONANT.match(word)) or word[:1].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {phrase}"


@lru_cache(maxsize=4096)
def plural(noun: str) -> str:
    """The plural of a noun phrase: "official languages", "people", "places of birth"."""
    words = noun.split()
    head = _head(words)
    word = words[head]
    words[head] = f"{word}s" if word.isupper() else _PLURAL.pluralize(word)
    return " ".join(words)


def _head(words: list[str]) -> int:
    """Where the head noun of a noun phrase is: the last word before a preposition ("place of
    birth") or before a trailing participle ("language spoken")."""
    end = next((k for k, w in enumerate(words) if k > 0 and w in PREPOSITIONS), len(words))
    if end == len(words) and end > 1 and _only_verb(words[-1]):
        end -= 1
    return end - 1


@lru_cache(maxsize=4096)
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllLemmas  # ~1.5 s to import: only for labels that need it

    return getAllLemmas(word.lower())


def _only_verb(word: str) -> bool:
    """A verb form that is no noun: "spoken", "received", "speaks" (not "works", "awards")."""
    lemmas = _lemmas(word)
    return "VERB" in lemmas and "NOUN" not in lemmas


def postmodified(noun: str) -> bool:
    """A noun with a participle after it ("language spoken"): said without "of"."""
    words = noun.split()
    return len(words) > 1 and words[-1] not in PREPOSITIONS and not any(w in PREPOSITIONS for w in words) \
        and _only_verb(words[-1])


def singular(noun: str) -> str:
    """ "children" -> "child", "employees" -> "employee"; a singular noun phrase unchanged."""
    words = noun.split()
    head = _head(words)
    if _is_plural(words[head]) and _lemmas(words[head]).get("NOUN"):
        words[head] = _lemmas(words[head])["NOUN"][0]
    return " ".join(words)


def _is_plural(word: str) -> bool:
    return not word.isupper() and _PLURAL.is_plural(word) and not _PLURAL.is_singular(word)


class Name(str):
    """An entity's name as running text says it; a person's name is singular whatever its ending."""

    person = False


def spoken(entity: Entity) -> Name:
    name = Name(entity.prose)
    name.person = entity.pronoun in ("he", "she")
    return name


def possessive(name: str) -> str:
    """ "Ada's", "Thupor Juvstivnais's", but "Stuvhae Technologies'" and "the Netherlands'"."""
    if getattr(name, "person", False) or not _is_plural(name.split()[-1]):
        return f"{name}'s"
    return f"{name}'"


def fill(template: str, s: str | None = None, o: str | None = None, **more: str) -> str:
    """A phrasing with its placeholders ({s}, {o}, ...) filled in, possessives made, capitalised.

    ``str.replace``, not ``str.format``: names may contain braces. A sentence may open with a
    lower-case value ("agronomy is ...") or article ("the University of ..."): capitalised.
    """
    if more or "'s" in template or (s or "")[-1:] == "." or (o or "")[-1:] == ".":
        template = _fill_carefully(template, {"o": o, "s": s, **more})
    else:  # the common case, once per sentence: plain names
        if o is not None:
            template = template.replace("{o}", o)
        if s is not None:
            template = template.replace("{s}", s)
    return template[:1].upper() + template[1:]


def _fill_carefully(template: str, names: dict[str, str | None]) -> str:
    for key, name in names.items():
        if name is None:
            continue
        slot = "{" + key + "}"
        if slot + "'s" in template:
            template = template.replace(slot + "'s", possessive(name))
        if name[-1:] == ".":  # "Washington D.C." ends a sentence with its own period
            template = template.replace(slot + ".", slot)
        template = template.replace(slot, name)
    return template


@dataclass(frozen=True)
class Form:
    kind: str       # noun, noun_of, participle, verb, predicate, event
    text: str       # what a sentence says: "parent", "an instance of", "located in", "shares a border with", "married"
    ask: str = ""   # verbs in the present: the phrase after "does X" ("share a border with")


@lru_cache(maxsize=1024)
def label_form(label: str) -> Form:
    words = label.split()
    head, last = words[0].lower(), words[-1].lower()
    if len(words) > 1 and head in ("has", "have") and last not in PREPOSITIONS:
        return Form("noun", " ".join(words[1:]))
    if len(words) > 1 and head in ("is", "are", "was"):
        rest = words[1:]
        if len(rest) == 1 and rest[0].lower() in ("a", "an"):  # "is a": the entity's kind
            return Form("noun_of", "an instance of")
        if last == "of" and rest[0].lower() in ("a", "an") and len(rest) > 2:
            return Form("noun_of", a(" ".join(rest[1:])))
        if last in PREPOSITIONS:
            return Form("participle", " ".join(rest))
        return Form("predicate", " ".join(rest))
    if len(words) == 1 and head.endswith("ed") and len(head) > 5:  # "attended", "founded": a verb
        return Form("verb", label)
    if len(words) == 1 and head.endswith("s") and _only_verb(head):  # "speaks", "owns"
        return Form("verb", label, _base_verb(head))
    if last not in PREPOSITIONS or len(words) == 1:
        return Form("noun", label)
    if head in _PARTICIPLES or (head.endswith(("ed", "en")) and last == "by"):
        return Form("participle", label)
    if head.endswith("ed"):
        return Form("verb", _with_article(words))
    if head.endswith("s") and not head.endswith(("ss", "us", "is")):
        phrase = _with_article(words)
        return Form("verb", phrase, f"{_base_verb(head)} {phrase.split(' ', 1)[1]}")
    if last == "of":  # "instance of", "member of", "part of"
        return Form("noun_of", label if head in _BARE else a(label))
    # A verb in its base form ("live in", "work for"): said in the third person.
    verb = _PLURAL.pluralize(words[0])  # the -s/-es/-ies rules are the same for verbs
    phrase = _with_article([verb, *words[1:]])
    return Form("verb", phrase, " ".join([words[0], *phrase.split()[1:]]))


@lru_cache(maxsize=1024)
def relation_form(rel: Relation) -> Form:
    """The form of a relation's label, given its values: a one-word participle with dates is an
    event ("founded": "When was X founded?"), with entities a verb ("attended": "X attended Y")."""
    if rel.form:  # the relations table says how its label is said
        return _given_form(rel.form, rel.noun)
    form = label_form(rel.noun)
    word = rel.noun.lower()
    if " " not in word and (word in _PARTICIPLES or form.kind == "verb") and rel.value == "date":
        return Form("event", word)
    return form


def _given_form(kind: str, label: str) -> Form:
    words = label.split()
    if kind == "verb":
        ask = " ".join([_base_verb(words[0]), *words[1:]]) if words[0].endswith("s") else label
        return Form("verb", label, ask)
    if kind == "predicate" and words[0].lower() in ("is", "are") and len(words) > 1:
        return Form("predicate", " ".join(words[1:]))
    if kind == "noun_of" and words[0].lower() not in ("a", "an", "the") and words[0] not in _BARE:
        return Form("noun_of", a(label))
    return Form(kind, label)


def _base_verb(verb: str) -> str:
    """ "shares" -> "share", "watches" -> "watch", "flies" -> "fly", "has" -> "have"."""
    irregular = {"has": "have", "does": "do", "goes": "go", "is": "be"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes")):
        return verb[:-2]
    return verb[:-1]


def _with_article(words: list[str]) -> str:
    """ "shares border with" -> "shares a border with": a bare singular noun gets its article."""
    middle = words[1:-1]
    if len(middle) == 1 and middle[0].lower() not in _DETERMINERS | _BARE \
            and not _is_plural(middle[0]):
        return " ".join([words[0], a(middle[0]), words[-1]])
    return " ".join(words)


# Words that make "in ..." at the end of a number's label a unit ("height in metres").
_UNITS = frozenset({"metres", "meters", "m", "km", "km2", "kilometres", "kilometers", "cm", "mm", "kg", "g",
                    "tonnes", "tons", "years", "months", "days", "hours", "minutes", "seconds", "feet", "ft",
                    "miles", "hectares", "ha", "acres", "litres", "liters", "percent", "%", "usd", "dollars",
                    "euros", "eur", "pounds", "gbp", "degrees", "celsius", "kelvin", "watts", "mw", "gw"})
_PAREN_UNIT = re.compile(r"^(?P<noun>.+?)\s*\((?P<unit>[^()]+)\)$")


@lru_cache(maxsize=1024)
def label_unit(rel: Relation) -> tuple[str, str] | None:
    """(noun, unit) of a number's label that carries its unit: "area (km2)" -> ("area", "km2"),
    "height in metres" -> ("height", "metres"); said "The area of X is 551,695 km2"."""
    if rel.value != "number" or rel.templates:
        return None
    m = _PAREN_UNIT.match(rel.noun)
    if m and len(m["unit"].split()) <= 2:
        return m["noun"], m["unit"]
    noun, sep, unit = rel.noun.rpartition(" in ")
    if sep and noun and unit.lower() in _UNITS:
        return noun, unit
    return None


@lru_cache(maxsize=1024)
def noun_label(rel: Relation) -> str | None:
    """The relation as a noun ("place of birth", "parent"), or None when its label is not one.

    A plural noun counted by a number is said as its count: "employees" -> "number of employees".
    """
    form = relation_form(rel)
    if form.kind != "noun":
        return None
    words = form.text.split()
    if rel.value == "number" and _is_plural(words[_head(words)]) and not form.text.startswith("number of"):
        return f"number of {form.text}"
    if rel.value == "entity" and _is_plural(words[_head(words)]):  # "children": one child of X
        return singular(form.text)
    return form.text


def kind_noun(kind: str) -> str:
    """An entity type as a noun: "chemical_element" -> "chemical element"."""
    return label_from_name(kind) if kind else kind


def _which(rel: Relation, many: bool) -> str:
    kind = kind_noun(rel.object_type)
    if not kind or kind == "entity":
        return "what"
    return f"which {plural(kind) if many else kind}"


# Statements ----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def statement_bank(rel: Relation) -> tuple[str, ...]:
    """The relation's own statements, or grammatical fallbacks built from its label."""
    if rel.templates:
        return rel.templates
    form = relation_form(rel)
    if form.kind in ("participle", "noun_of", "verb"):
        said = form.text if form.kind == "verb" else f"is {form.text}"
        return (f"{{s}} {said} {{o}}.", f"According to the records, {{s}} {said} {{o}}.",
                f"It is recorded that {{s}} {said} {{o}}.", f"The records show that {{s}} {said} {{o}}.",
                f"{{s}} {said} {{o}}, according to the records.", f"As the records have it, {{s}} {said} {{o}}.")
    if form.kind == "predicate":
        return (f"Whether {{s}} is {form.text}: {{o}}.",
                f"Asked whether {{s}} is {form.text}, the records answer {{o}}.",
                f"On whether {{s}} is {form.text}, the records say {{o}}.")
    if form.kind == "event":
        return (f"The date on which {{s}} was {form.text} is {{o}}.", f"{{s}} was {form.text}; the date is {{o}}.",
                f"The records date the day {{s}} was {form.text} to {{o}}.")
    label = noun_label(rel)
    if label_unit(rel) and rel.cardinality == "one":
        noun, unit = label_unit(rel)
        return (f"The {noun} of {{s}} is {{o}} {unit}.", f"{{s}}'s {noun} is {{o}} {unit}.",
                f"{{s}} has {a(noun)} of {{o}} {unit}.", f"For {{s}}, the {noun} is {{o}} {unit}.",
                f"The recorded {noun} of {{s}} is {{o}} {unit}.",
                f"The records give the {noun} of {{s}} as {{o}} {unit}.")
    if postmodified(label):  # "language spoken": no "of" ("a language spoken of France")
        if rel.cardinality == "one":
            return (f"For {{s}}, the {label} is {{o}}.", f"{{s}}'s {label} is {{o}}.",
                    f"In the records of {{s}}, the {label} is {{o}}.", f"{{s}} has {{o}} as its {label}.")
        return (f"For {{s}}, one {label} is {{o}}.", f"{{s}} has {{o}} as {a(label)}.",
                f"Among the {plural(label)} for {{s}} is {{o}}.", f"In the records of {{s}}, one {label} is {{o}}.")
    if rel.cardinality == "one":
        return (f"The {label} of {{s}} is {{o}}.", f"{{s}}'s {label} is {{o}}.",
                f"{{o}} is the {label} of {{s}}.", f"For {{s}}, the {label} is {{o}}.",
                f"The recorded {label} of {{s}} is {{o}}.", f"{{o}} is recorded as the {label} of {{s}}.",
                f"The records give {{o}} as the {label} of {{s}}.", f"{{s}} has {{o}} as its {label}.")
    return (f"One {label} of {{s}} is {{o}}.", f"{{o}} is {a(label)} of {{s}}.",
            f"For {{s}}, one {label} is {{o}}.", f"{{s}} has {{o}} as {a(label)}.",
            f"{{o}} is recorded as {a(label)} of {{s}}.", f"Among the {plural(label)} of {{s}} is {{o}}.",
            f"{{o}} is one of the {plural(label)} of {{s}}.", f"The records list {{o}} as {a(label)} of {{s}}.")


def timeline_entry(rel: Relation) -> str:
    """A dated fact as a timeline entry over {s}, said after its date: "X is born"."""
    if rel.timeline:
        return rel.timeline
    form = relation_form(rel)
    if form.kind == "noun":
        return f"{noun_label(rel)} of {{s}}"
    if form.kind == "event":
        return f"{{s}} is {form.text}"
    if form.kind in ("participle", "verb"):  # "born on" -> "X born", as timelines write it
        return f"{{s}} {form.text.rsplit(' ', 1)[0]}"
    return f"{{s}}: {rel.noun}"


# Questions -----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def question_bank(rel: Relation) -> tuple[str, ...]:
    """Questions over {s} whose answer is the object (all of them, for a many-valued relation)."""
    if rel.questions:
        return rel.questions
    form = relation_form(rel)
    many = rel.cardinality == "many"
    which = _which(rel, many)
    if form.kind in ("participle", "noun_of"):
        return (f"What is {{s}} {form.text}?", f"{{s}} is {form.text} {which}?",
                f"Fill in the blank: {{s}} is {form.text} ___.",
                f"According to the records, {{s}} is {form.text} what?",
                f"Complete the fact: {{s}} is {form.text} ...")
    if form.kind == "verb":
        asked = (f"What does {{s}} {form.ask}?",) if form.ask else ()
        return asked + (f"{{s}} {form.text} {which}?", f"Fill in the blank: {{s}} {form.text} ___.",
                        f"According to the records, {{s}} {form.text} what?",
                        f"Finish the sentence: {{s}} {form.text} ...")
    if form.kind == "event":
        return (f"When was {{s}} {form.text}?", f"What is the date on which {{s}} was {form.text}?",
                f"Give the date {{s}} was {form.text}.")
    if form.kind == "predicate":
        return (f"Is {{s}} {form.text}?", f"Is it true that {{s}} is {form.text}?",
                f"According to the records, is {{s}} {form.text}?", f"What do the records say: is {{s}} {form.text}?")
    label = noun_label(rel)
    if label_unit(rel) and not many:
        noun, unit = label_unit(rel)
        return (f"What is the {noun} of {{s}}, in {unit}?", f"In {unit}, what is {{s}}'s {noun}?",
                f"Give the {noun} of {{s}} in {unit}.", f"State the {noun} of {{s}}, in {unit}.",
                f"How many {unit} is the {noun} of {{s}}?")
    if postmodified(label):
        if many:
            return (f"For {{s}}, what are the {plural(label)}?", f"List the {plural(label)} for {{s}}.",
                    f"Which {plural(label)} does {{s}} have?", f"Name every {label} for {{s}}.",
                    f"For {{s}}, give all the {plural(label)}.")
        return (f"For {{s}}, what is the {label}?", f"What is {{s}}'s {label}?", f"Name the {label} for {{s}}.",
                f"Which {label} does {{s}} have?", f"For {{s}}, state the {label}.")
    if many:
        return (f"What are the {plural(label)} of {{s}}?", f"List the {plural(label)} of {{s}}.",
                f"Name every {label} of {{s}}.", f"Which {plural(label)} does {{s}} have?",
                f"Give all the {plural(label)} of {{s}}.", f"Enumerate the {plural(label)} of {{s}}.")
    named = (f"Name the {label} of {{s}}.", f"Which {label} does {{s}} have?") if rel.value == "entity" else ()
    return (f"What is the {label} of {{s}}?", f"What is {{s}}'s {label}?", f"Tell me the {label} of {{s}}.",
            f"Give the {label} of {{s}}.", f"What is recorded as the {label} of {{s}}?", *named,
            f"State the {label} of {{s}}.")


@lru_cache(maxsize=1024)
def inverse_bank(rel: Relation) -> tuple[str, ...]:
    """Questions over {o} whose answer is every subject that has it as the object."""
    if rel.inverse_questions:
        return rel.inverse_questions
    if rel.value != "entity" or not rel.ask_inverse:
        return ()
    kind = kind_noun(rel.subject_type) if rel.subject_type and rel.subject_type != "entity" else "entity"
    kinds = plural(kind)
    if rel.inverse:  # a noun ending in "of" ("birthplace of"), "has" and a noun ("has city"), or a verb
        words = rel.inverse.split()
        if words[-1] == "of":
            noun = rel.inverse.rsplit(" ", 1)[0]
            return (f"{{o}} is the {noun} of which {kinds}?", f"Of which {kinds} is {{o}} the {noun}?",
                    f"Name every {kind} that {{o}} is the {noun} of.")
        if words[0].lower() in ("has", "have") and len(words) > 1:  # the noun names the subjects
            return (f"Which {plural(singular(' '.join(words[1:])))} does {{o}} have?",
                    f"Name every {kind} that {{o}} has.", f"List all the {kinds} of {{o}}.")
        verb = words[0]
        base = " ".join([_base_verb(verb), *words[1:]]) if verb.endswith("s") else rel.inverse
        return (f"{{o}} {rel.inverse} which {kinds}?", f"Name every {kind} that {{o}} {rel.inverse}.",
                f"Which {kinds} does {{o}} {base}?")
    form = relation_form(rel)
    if form.kind == "noun" and postmodified(noun_label(rel)):
        label = noun_label(rel)
        return (f"Which {kinds} have {{o}} as {a(label)}?",
                f"Name every {kind} with {{o}} among their {plural(label)}.",
                f"For which {kinds} is {{o}} {a(label)}?")
    if form.kind == "noun":
        label = noun_label(rel)
        article = "the" if rel.cardinality == "one" else a(label).split()[0]
        return (f"Which {kinds} have {{o}} as their {label}?", f"Of which {kinds} is {{o}} {article} {label}?",
                f"Name every {kind} with {{o}} as {article} {label}.", f"List all {kinds} whose {label} is {{o}}."
                if rel.cardinality == "one" else f"List all {kinds} with {{o}} among their {plural(label)}.")
    if form.kind == "participle":
        return (f"Which {kinds} are {form.text} {{o}}?", f"Name every {kind} that is {form.text} {{o}}.",
                f"What {kinds} are {form.text} {{o}}?")
    if form.kind == "noun_of":  # "an instance of" -> "instances of"; "part of" stays
        article, _, bare = form.text.partition(" ")
        said = plural(bare) if article in ("a", "an") else form.text
        return (f"Which {kinds} are {said} {{o}}?", f"Name every {kind} that is {form.text} {{o}}.")
    if form.kind == "verb" and form.ask:
        return (f"Which {kinds} {form.ask} {{o}}?", f"Name every {kind} that {form.text} {{o}}.")
    return ()


def train_questions(rel: Relation, holdout: int) -> tuple[str, ...]:
    bank = question_bank(rel)
    return bank[:-holdout] if 0 < holdout < len(bank) else bank
