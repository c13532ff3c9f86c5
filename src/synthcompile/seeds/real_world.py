"""Real facts about the world's countries, from PyPI data packages, loaded at build time.

``countryinfo`` ships capitals, borders, currencies, languages, regions, subregions, populations
and areas; ``pycountry`` turns ISO currency and language codes into names. Entities: countries
(id = ISO alpha-3), their capitals (each with its country), currencies, languages, subregions
(each in its region) and regions. Capitals and subregions have facts of their own, so chains go
through them: "the region of the country of Kingston" (city -> country -> subregion -> region).

A fact naming a code that the packages do not resolve (a border with a country they lack) is a
bad row, not a silent drop. Its ``line`` is the country's 1-based position in the packages'
full country list ordered by ISO alpha-3 code (whatever ``regions`` keeps), so it is stable.
"""

from __future__ import annotations


from synthcompile.errors import UserError
from synthcompile.seeds.kg import BadRow, Entity, Graph, LoadResult, Relation
from synthcompile.seeds.names import name_article

SOURCE = "countryinfo+pycountry"

_PLACE = ("{s} is in {o}.", "{s} lies in {o}.", "{s} belongs to {o}.", "{o} is the {label} of {s}.",
          "{s} is located in {o}.", "{s} is part of {o}.", "{s} is found in {o}.", "{s} is situated in {o}.")
_RELATIONS = (
    Relation("capital", "capital", "capital of", "one", "entity", templates=(
        "The capital of {s} is {o}.", "{s}'s capital is {o}.", "{o} is the capital of {s}.",
        "{s} has {o} as its capital.", "{o} is the capital city of {s}.",
        "The government of {s} sits in {o}.", "{s} is governed from {o}, its capital.",
        "{o} serves as the capital of {s}."),
        questions=("What is the capital of {s}?", "Which city is the capital of {s}?",
                   "What is {s}'s capital?", "Name the capital of {s}.",
                   "Where does the government of {s} sit?", "What is the capital city of {s}?"),
        inverse_questions=("Which country has {o} as its capital?", "{o} is the capital of which country?",
                           "Of which country is {o} the capital?")),
    # Only capitals have a country here: "which cities are in X?" would get a wrong answer.
    Relation("country", "country", None, "one", "entity", ask_inverse=False, templates=(
        "{s} is a city in {o}.", "{s} lies in {o}.", "{s} is in {o}.", "{s} is located in {o}.",
        "The city of {s} is in {o}.", "{o} is the country of {s}.", "{s} is situated in {o}.",
        "{s} is one of the cities of {o}."),
        questions=("Which country is {s} in?", "In which country is {s}?", "What country is {s} located in?",
                   "In what country does {s} lie?", "Name the country of {s}.", "Which country contains {s}?")),
    Relation("borders", "neighbour", None, "many", "entity", templates=(
        "{s} borders {o}.", "{s} shares a border with {o}.", "{o} is a neighbour of {s}.",
        "{s} and {o} share a land border.", "{s} has a land border with {o}.",
        "One of the neighbours of {s} is {o}.", "{o} lies on the border of {s}.",
        "{s} is adjacent to {o}."),
        questions=("Which countries border {s}?", "What are the neighbours of {s}?",
                   "List the countries that share a border with {s}.",
                   "Which countries does {s} share a land border with?",
                   "Name every neighbour of {s}.", "What countries are adjacent to {s}?")),
    Relation("currency", "currency", None, "many", "entity", templates=(
        "The currency of {s} is {o}.", "{s} uses {o}.", "In {s}, people pay with {o}.",
        "{s}'s currency is {o}.", "{o} is the currency of {s}.",
        "{s} has {o} as its currency.", "Money in {s} is {o}.", "{s} trades in {o}."),
        questions=("What is the currency of {s}?", "Which currency does {s} use?",
                   "What do people pay with in {s}?", "What is {s}'s currency?",
                   "Name the currency of {s}.", "What money is used in {s}?")),
    Relation("language", "official language", None, "many", "entity", templates=(
        "{o} is an official language of {s}.", "People in {s} speak {o}.", "{s} uses {o} officially.",
        "One official language of {s} is {o}.", "{o} is spoken in {s}.",
        "{s} has {o} as an official language.", "In {s}, {o} is an official language.",
        "{s} counts {o} among its official languages."),
        questions=("What are the official languages of {s}?", "Which languages are spoken in {s}?",
                   "What languages does {s} use officially?", "Name the official languages of {s}.",
                   "Which languages are official in {s}?", "What do people in {s} speak?")),
    Relation("subregion", "subregion", None, "one", "entity", ask_inverse=False,
             templates=tuple(t.replace("{label}", "subregion") for t in _PLACE),
             questions=("In which subregion is {s}?", "Which subregion does {s} belong to?",
                        "What subregion is {s} part of?", "Name the subregion of {s}.",
                        "What is the subregion of {s}?", "Which subregion is {s} located in?")),
    Relation("region", "region", None, "one", "entity", ask_inverse=False,
             templates=tuple(t.replace("{label}", "region") for t in _PLACE),
             questions=("In which region is {s}?", "Where is {s}?", "Which region does {s} belong to?",
                        "What region is {s} part of?", "In what part of the world is {s}?",
                        "Which region is {s} located in?")),
    Relation("population", "population", None, "one", "number", templates=(
        "{s} has a population of {o}.", "{o} people live in {s}.", "The population of {s} is {o}.",
        "{s} is home to {o} people.", "{s}'s population is {o}.", "{s} counts {o} inhabitants.",
        "{s} has {o} inhabitants.", "There are {o} people in {s}."),
        questions=("What is the population of {s}?", "How many people live in {s}?",
                   "How many inhabitants does {s} have?", "What is {s}'s population?",
                   "How populous is {s}?", "Give the population of {s}.")),
    Relation("area", "area in square kilometres", None, "one", "number", templates=(
        "{s} covers {o} square kilometres.", "The area of {s} is {o} square kilometres.",
        "{s} has an area of {o} km².", "{s} spans {o} square kilometres.",
        "{s}'s area is {o} square kilometres.", "{o} square kilometres is the area of {s}.",
        "{s} measures {o} square kilometres.", "The land of {s} covers {o} km²."),
        questions=("What is the area of {s} in square kilometres?", "How large is {s} in km²?",
                   "How many square kilometres does {s} cover?", "What area does {s} span in km²?",
                   "How big is {s} in square kilometres?", "Give the area of {s} in km².")),
)


def load_real_world(regions: list[str] | None = None) -> LoadResult:
    """Countries with their facts; ``regions`` keeps only countries of those regions."""
    try:
        import pycountry
        from countryinfo import all_countries
    except ImportError:
        raise UserError("the real-world seed needs countryinfo and pycountry: "
                        "pip install 'synthcompile[real-world]'") from None
    result = LoadResult(Graph())
    graph, bad = result.graph, result.bad
    for rel in _RELATIONS:
        graph.add_relation(rel)
    where = f"{SOURCE}:countries"
    infos = []
    everything = sorted((c.info() for c in all_countries()), key=lambda i: (i["ISO"]["alpha3"] or "", i["name"]))
    for line, info in enumerate(everything, 1):
        if not info["ISO"]["alpha3"]:  # e.g. Scotland: no ISO code to identify it by
            bad.append(BadRow(where, line, "no ISO alpha-3 code", info["name"]))
        elif regions is None or info.get("region") in regions:
            infos.append((line, info))

    def entity(eid: str, name: str, kind: str, aliases: tuple[str, ...] = ()) -> str:
        if eid not in graph.entities:
            article = "the" if kind == "currency" else "" if kind in ("city", "language") else name_article(name)
            graph.add_entity(Entity(eid, name, kind, aliases, pronoun="it" if kind == "country" else None,
                                    article=article))
        return eid

    for _, info in infos:
        aliases = tuple(a for a in info.get("altSpellings") or () if a != info["name"])
        entity(info["ISO"]["alpha3"], info["name"], "country", aliases)
    for line, info in infos:
        code = info["ISO"]["alpha3"]
        facts: list[tuple[str, str, object]] = []  # (subject, relation, object)
        capital = info.get("capital")
        if isinstance(capital, list):  # one entry has ["Vatican City"]
            capital = capital[0] if capital else None
        if capital:
            city = entity(f"city:{code}", capital, "city")
            facts += [(code, "capital", city), (city, "country", code)]
        facts += [(code, "borders", b) for b in info.get("borders") or ()]
        for cur in info.get("currencies") or ():
            found = pycountry.currencies.get(alpha_3=cur)
            eid = f"currency:{cur}"
            facts.append((code, "currency", entity(eid, found.name, "currency") if found else eid))
        for lang in info.get("languages") or ():
            found = pycountry.languages.get(alpha_2=lang)
            eid = f"language:{lang}"
            facts.append((code, "language", entity(eid, found.name, "language") if found else eid))
        region = info.get("region") and entity(f"region:{info['region']}", info["region"], "region")
        if region:
            facts.append((code, "region", region))
        if info.get("subregion"):  # one spelling per subregion ("South-eastern Asia" / "South-Eastern Asia")
            sub = entity(f"subregion:{info['subregion'].casefold()}", info["subregion"], "subregion")
            facts.append((code, "subregion", sub))
            if region and not graph.objects(sub, "region"):
                facts.append((sub, "region", region))
        facts += [(code, k, info[k]) for k in ("population", "area") if info.get(k)]
        for subject, relation, obj in facts:
            try:
                graph.add_triple(subject, relation, obj)
            except ValueError as exc:
                bad.append(BadRow(where, line, str(exc), {"country": info["name"], "subject": subject,
                                                          "relation": relation, "object": obj}))
    graph.settle_types()
    return result
