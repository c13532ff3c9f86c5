"""A fictional world: people, cities, countries, organisations, universities and fields.

Nothing in it can have been seen in any model's pretraining: names are invented from syllables,
facts are drawn at random. The world is a pure function of its sizes and seed, every name is
unique across the whole world, and 100,000 people take about a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from synthcompile.rng import derive_rng
from synthcompile.seeds.fictional_templates import INVERSE_QUESTIONS, QUESTIONS, STATEMENTS, TIMELINE
from synthcompile.seeds.kg import Entity, Graph, Relation

_ONSETS = ("b", "br", "c", "d", "dr", "f", "g", "h", "j", "k", "kl", "l", "m", "n", "p", "r",
           "s", "st", "t", "th", "tr", "v", "w", "z", "")
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ai", "ei", "ou", "y")
_CODAS = ("", "", "", "", "", "n", "r", "l", "s", "th", "m", "v")
_CITY_ENDS = ("ford", "holm", "vale", "burg", "mere", "stad", "port", "wick", "dell", "ora")
_COUNTRY_ENDS = ("ia", "land", "istan", "ania", "ova", "mark", "ea", "or")
_ORG_KINDS = ("Industries", "Labs", "Group", "Systems", "Works", "Holdings", "Dynamics",
              "Foundation", "Partners", "Technologies", "Logistics", "Studios")
FIELDS = ("physics", "chemistry", "biology", "mathematics", "economics", "linguistics",
          "history", "philosophy", "geology", "astronomy", "medicine", "law", "architecture",
          "computer science", "sociology", "psychology", "ecology", "statistics", "music",
          "agronomy", "oceanography", "anthropology", "political science", "materials science",
          "civil engineering", "electrical engineering", "mechanical engineering", "genetics",
          "neuroscience", "archaeology", "cartography", "meteorology", "pharmacology",
          "veterinary science", "literature", "journalism", "accounting", "nursing", "robotics",
          "cryptography")

# (name, label, inverse label, value type): the relations, in bio order.
_RELATIONS = (
    ("birth_date", "date of birth", None, "date"),
    ("birth_city", "place of birth", "birthplace of", "entity"),
    ("university", "alma mater", "alma mater of", "entity"),
    ("field", "field of work", None, "entity"),
    ("employer", "employer", "employer of", "entity"),
    ("country", "country", "country of", "entity"),
    ("population", "population", None, "number"),
    ("capital", "capital", "capital of", "entity"),
    ("headquarters", "headquarters", "headquarters of", "entity"),
    ("campus", "home city", "home city of", "entity"),
    ("founded", "founding year", None, "date"),
    ("employees", "number of employees", None, "number"),
)


# Entity types that have facts of their own (fields only appear as values).
SUBJECT_TYPES = ("person", "city", "country", "organisation", "university")


@dataclass(frozen=True)
class WorldSize:
    """Entity counts; ``None`` derives a count from the number of people."""

    people: int
    cities: int | None = None
    countries: int | None = None
    organisations: int | None = None
    universities: int | None = None
    fields: int | None = None

    def resolved(self) -> "WorldSize":
        cities = self.cities or max(10, self.people // 100)
        sizes = WorldSize(
            people=self.people, cities=cities,
            countries=self.countries or min(cities, max(3, cities // 10)),
            organisations=self.organisations or max(5, self.people // 50),
            universities=self.universities or max(3, self.people // 500),
            fields=self.fields or min(len(FIELDS), 30))
        for name in ("people", "cities", "countries", "organisations", "universities", "fields"):
            if getattr(sizes, name) < 1:
                raise ValueError(f"fictional.{name} must be at least 1")
        if sizes.countries > sizes.cities:
            raise ValueError("fictional.countries cannot exceed fictional.cities (each country needs a capital)")
        if sizes.fields > len(FIELDS):
            raise ValueError(f"fictional.fields is at most {len(FIELDS)}")
        return sizes


def relations() -> list[Relation]:
    return [Relation(name=name, label=label, inverse=inverse, cardinality="one", value=value,
                     templates=STATEMENTS[name], questions=QUESTIONS[name],
                     inverse_questions=INVERSE_QUESTIONS.get(name, ()), timeline=TIMELINE.get(name, ""))
            for name, label, inverse, value in _RELATIONS]


class _Names:
    """Invented names, unique across the whole world (one shared set of names in use)."""

    def __init__(self, rng):
        self.rng = rng
        self.used: set[str] = set()

    def _word(self, syllables: int) -> str:
        r = self.rng.random  # indexing by random() is ~3x faster than choice() for 100k names
        word = "".join(_ONSETS[int(r() * len(_ONSETS))] + _VOWELS[int(r() * len(_VOWELS))]
                       + _CODAS[int(r() * len(_CODAS))] for _ in range(syllables))
        return word.capitalize()

    def fresh(self, make) -> str:
        for _ in range(1000):
            name = make()
            if name not in self.used and len(name) > 3:
                self.used.add(name)
                return name
        raise ValueError("ran out of unique names: the world is too large for the name space")

    def person(self) -> str:
        r = self.rng.random
        return self.fresh(lambda: f"{self._word(1 + (r() < 0.6))} {self._word(2 + (r() < 0.3))}")

    def city(self) -> str:
        return self.fresh(lambda: self._word(self.rng.randint(1, 2)) + self.rng.choice(_CITY_ENDS))

    def country(self) -> str:
        return self.fresh(lambda: self._word(self.rng.randint(1, 2)) + self.rng.choice(_COUNTRY_ENDS))

    def organisation(self) -> str:
        return self.fresh(lambda: f"{self._word(self.rng.randint(2, 3))} {self.rng.choice(_ORG_KINDS)}")

    def university(self) -> str:
        forms = ("University of {}", "{} University", "{} Institute of Technology", "{} College")
        return self.fresh(lambda: self.rng.choice(forms).format(self._word(self.rng.randint(2, 3))))


def _article(university: str) -> str:
    """ "She studied at the University of X" but "at X University": names with "of" take "the"."""
    return "the" if " of " in university else ""


def fictional_world(size: WorldSize, seed: int = 0) -> Graph:
    """The world for ``size`` and ``seed``: the same arguments always give the same graph."""
    s = size.resolved()
    rng = derive_rng(seed, "fictional-world")
    names = _Names(rng)
    g = Graph()
    for rel in relations():
        g.add_relation(rel)

    def ids(prefix: str, n: int) -> list[str]:
        return [f"{prefix}{i:06d}" for i in range(n)]

    countries, cities = ids("N", s.countries), ids("C", s.cities)
    orgs, unis, fields = ids("O", s.organisations), ids("U", s.universities), ids("F", s.fields)
    for cid in countries:
        g.add_entity(Entity(cid, names.country(), "country", pronoun="it"))
    for cid in cities:
        g.add_entity(Entity(cid, names.city(), "city", pronoun="it"))
    for i, field_name in enumerate(rng.sample(FIELDS, s.fields)):
        g.add_entity(Entity(fields[i], field_name, "field"))
    for oid in orgs:
        g.add_entity(Entity(oid, names.organisation(), "organisation", pronoun="it"))
    for uid in unis:
        name = names.university()
        g.add_entity(Entity(uid, name, "university", pronoun="it", article=_article(name)))

    # Every country gets at least one city, and its first city is its capital.
    for i, cid in enumerate(cities):
        country = countries[i] if i < len(countries) else rng.choice(countries)
        g.add_triple(cid, "country", country)
        if i < len(countries):
            g.add_triple(country, "capital", cid)
        g.add_triple(cid, "population", rng.randint(2_000, 3_000_000))
    for oid in orgs:
        g.add_triple(oid, "headquarters", rng.choice(cities))
        g.add_triple(oid, "founded", str(rng.randint(1850, 2015)))
        g.add_triple(oid, "employees", rng.randint(5, 250_000))
    for uid in unis:
        g.add_triple(uid, "campus", rng.choice(cities))
        g.add_triple(uid, "founded", str(rng.randint(1200, 2005)))

    start, span = dt.date(1940, 1, 1).toordinal(), 365 * 62
    r = rng.random
    for i in range(s.people):
        pid = f"P{i:06d}"
        g.add_entity(Entity(pid, names.person(), "person", pronoun="he" if r() < 0.5 else "she"))
        g.add_triple(pid, "birth_date", dt.date.fromordinal(start + int(r() * span)).isoformat())
        g.add_triple(pid, "birth_city", cities[int(r() * len(cities))])
        g.add_triple(pid, "university", unis[int(r() * len(unis))])
        g.add_triple(pid, "field", fields[int(r() * len(fields))])
        g.add_triple(pid, "employer", orgs[int(r() * len(orgs))])
    g.settle_types()
    return g
