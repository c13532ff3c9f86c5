"""A knowledge-base API over a small fictional world: people, cities, countries, organisations.

The world is the memory compiler's fictional generator (:func:`~synthcompile.seeds.fictional.fictional_world`)
at a small size, seeded by the world seed, plus two namesakes: people who share another person's
name and nothing else, so a question about them is settled only by a fact the user states. Nothing
in it can be known without the tools, and ids (``P000003``) are opaque: the policy allows only ids
a tool has returned. Tasks: one fact of a named entity (search, get); a 2-hop question; a 3-hop
chain, an age comparison, a same-employer question; how many people two entities share (two
relation lists intersected); a chain through a namesake. Corrections of person records are the
write tasks; a request to change reference data (an organisation, a city...) is the policy trap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field

from synthcompile.compilers.simulation.env import Answer, Call, Environment, Policy, Task
from synthcompile.compilers.simulation.tools import ToolFailure, tool
from synthcompile.seeds.fictional import WorldSize, fictional_world
from synthcompile.seeds.kg import canonical_value

SIZE = WorldSize(people=36, cities=6, countries=3, organisations=5, universities=3, fields=6)
MAX_CALLS = 20
SEARCH_LIMIT = 10
EntityType = Literal["person", "city", "country", "organisation", "university", "field"]
Id = Annotated[str, Field(description="an entity id returned by an earlier call, e.g. P000012")]
REFERENCE = ("organisation", "university", "city", "country")  # curated: read-only (rule 3)


@dataclass(frozen=True)
class _World:
    entities: dict[str, tuple[str, str]]       # id -> (name, type)
    facts: dict[str, dict[str, str]]           # id -> relation -> canonical value (an id for entities)
    relations: dict[str, tuple[str, str, str]]  # name -> (label, value type, object type)
    by_type: dict[str, tuple[str, ...]]        # entity type -> the relations its entities have
    namesakes: tuple[tuple[str, str], ...]     # (person, namesake) pairs


@lru_cache(maxsize=512)
def _world(seed: int) -> _World:
    """The fictional world of a seed (about a millisecond; cached, never mutated)."""
    g = fictional_world(SIZE, seed)
    entities = {i: (e.name, e.type) for i, e in g.entities.items()}
    facts = {i: {r: objs[0] for r, objs in g.facts(i).items()} for i in g.entities}
    rng = random.Random(f"knowledge-namesakes:{seed}")
    people = [i for i in entities if entities[i][1] == "person"]
    cities = [i for i in entities if entities[i][1] == "city"]
    orgs = [i for i in entities if entities[i][1] == "organisation"]
    unis = [i for i in entities if entities[i][1] == "university"]
    fields = [i for i in entities if entities[i][1] == "field"]
    pairs = []
    for n, original in enumerate(rng.sample(people, 2)):
        new, old = f"P{len(people) + n:06d}", facts[original]
        year = rng.choice([y for y in range(1940, 2002) if abs(y - int(old["birth_date"][:4])) > 2])
        entities[new] = (entities[original][0], "person")
        facts[new] = {"birth_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                      "birth_city": rng.choice([c for c in cities if c != old["birth_city"]]),
                      "university": rng.choice(unis), "field": rng.choice(fields),
                      "employer": rng.choice([o for o in orgs if o != old["employer"]])}
        pairs.append((original, new))
    relations = {name: (rel.label, rel.value, rel.object_type) for name, rel in g.relations.items()}
    by_type: dict[str, list[str]] = {}
    for i, rels in facts.items():
        known = by_type.setdefault(entities[i][1], [])
        known.extend(r for r in rels if r not in known)
    return _World(entities, facts, relations, {k: tuple(v) for k, v in by_type.items()}, tuple(pairs))


# Questions about one fact, by relation ({p}: the subject's name).
ASK = {
    "birth_date": ("When was {p} born?", "Look up {p}'s date of birth.", "What birth date does the knowledge base "
                   "give for {p}?"),
    "birth_city": ("In which city was {p} born?", "Look up where {p} was born.", "What is the birthplace of {p} "
                   "according to the knowledge base?"),
    "university": ("Which university did {p} attend?", "Look up {p}'s alma mater.",
                   "What university is recorded as {p}'s alma mater?"),
    "field": ("What field does {p} work in?", "Look up {p}'s field of work.", "Which field is recorded for {p}?"),
    "employer": ("Which organisation does {p} work for?", "Look up {p}'s employer.",
                 "Who is recorded as {p}'s employer?"),
    "population": ("What is the population of {p}?", "Look up how many people live in {p}.",
                   "What population does the knowledge base record for {p}?"),
    "country": ("Which country is {p} in?", "Look up the country of {p}.", "In what country does {p} lie?"),
    "headquarters": ("In which city is {p} headquartered?", "Look up where {p} has its headquarters.",
                     "Which city is recorded as the headquarters of {p}?"),
    "founded": ("In what year was {p} founded?", "Look up the founding year of {p}.",
                "When was {p} founded, according to the knowledge base?"),
    "employees": ("How many employees does {p} have?", "Look up the number of employees of {p}.",
                  "What headcount does the knowledge base record for {p}?"),
    "campus": ("In which city is {p}?", "Look up the home city of {p}.", "Which city is {p} based in?"),
}
# Chains from a person, by level: the relations followed, and questions over {p}.
CHAINS = {
    2: [(("employer", "headquarters"), ("In which city is the organisation {p} works for headquartered?",
                                        "Where does {p}'s employer have its headquarters?")),
        (("employer", "founded"), ("In what year was {p}'s employer founded?",
                                   "When was the organisation that employs {p} founded?")),
        (("employer", "employees"), ("How many employees does {p}'s employer have?",
                                     "How large is the workforce of the organisation {p} works for?")),
        (("university", "campus"), ("In which city is the university {p} attended?",
                                    "Where is {p}'s alma mater located?")),
        (("university", "founded"), ("In what year was {p}'s alma mater founded?",
                                     "When was the university {p} studied at founded?")),
        (("birth_city", "country"), ("In which country was {p} born?", "What country is {p}'s birthplace in?")),
        (("birth_city", "population"), ("What is the population of the city where {p} was born?",
                                        "How many people live in {p}'s city of birth?"))],
    3: [(("employer", "headquarters", "country"), ("In which country is {p}'s employer headquartered?",
                                                   "Which country hosts the headquarters of {p}'s employer?")),
        (("birth_city", "country", "capital"), ("What is the capital of the country where {p} was born?",
                                                "Which city is the capital of {p}'s country of birth?")),
        (("university", "campus", "country"), ("In which country is the university {p} attended?",
                                               "What country is {p}'s alma mater in?")),
        (("employer", "headquarters", "population"), ("What is the population of the city where {p}'s employer "
                                                      "is headquartered?",))],
    4: [(("employer", "headquarters", "country", "capital"), ("What is the capital of the country where {p}'s "
                                                              "employer has its headquarters?",)),
        (("university", "campus", "country", "capital"), ("Which city is the capital of the country {p}'s alma "
                                                          "mater is in?",)),
        (("birth_city", "country", "capital", "population"), ("What is the population of the capital of the "
                                                              "country where {p} was born?",))],
}
# Counting the people two entities share: (relation into the first, into the second, questions).
COUNTS = [("birth_city", "employer", ("How many people born in {a} work for {b}?",
                                      "Of the people who work for {b}, how many were born in {a}?")),
          ("university", "employer", ("How many graduates of {a} work for {b}?",
                                      "How many people who studied at {a} are employed by {b}?")),
          ("birth_city", "university", ("How many people born in {a} studied at {b}?",
                                        "Of the people born in {a}, how many attended {b}?"))]


class Knowledge(Environment):
    name = "knowledge"
    description = ("You are an assistant answering questions from a knowledge base of people, organisations, "
                   "universities, cities and countries, through its API. Answer the user's request, then end "
                   "with a line 'Answer: <result>'.")
    policy = ("1. Answer only from tool results, and cite the ids of the entities you used.\n"
              "2. Use only ids that a tool returned earlier in this conversation: never guess or construct one.\n"
              "3. Only person records may be corrected (set_fact). Organisations, universities, cities and "
              "countries are curated reference data: decline changes to them and answer 'refused'.\n"
              "4. Fetch an entity with get_entity before you change it.\n"
              f"5. Make at most {MAX_CALLS} tool calls per request.")

    def setup(self) -> None:
        w = _world(self.world)
        self.entities = dict(w.entities)
        self.facts = {i: dict(f) for i, f in w.facts.items()}

    # ---- tools ---------------------------------------------------------------------------------

    @tool("read")
    def search_entities(self, query: Annotated[str, Field(description="a name or part of one, e.g. Baimmere")],
                        type: Annotated[EntityType | None, Field(description="only entities of this type")] = None
                        ) -> dict:
        """Find entities whose name contains the query (case-insensitive), by id; at most 10."""
        q = query.strip().casefold()
        if not q:
            raise ToolFailure("the query is empty")
        hits = sorted(i for i, (name, kind) in self.entities.items()
                      if q in name.casefold() and type in (None, kind))
        return {"query": query, "total": len(hits),
                "matches": [{"id": i, "name": self.entities[i][0], "type": self.entities[i][1]}
                            for i in hits[:SEARCH_LIMIT]]}

    @tool("read")
    def get_entity(self, id: Id) -> dict:
        """An entity's name, type and facts (a fact naming another entity gives its id and name)."""
        name, kind = self._entity(id)
        return {"id": id, "name": name, "type": kind,
                "facts": {r: self._value(r, v) for r, v in self.facts.get(id, {}).items()}}

    @tool("read")
    def get_relations(self, id: Id,
                      relation: Annotated[str | None, Field(description="only this relation, e.g. employer")] = None
                      ) -> dict:
        """The entities linked to one: outgoing (its facts) and incoming (entities whose fact names it)."""
        name, _ = self._entity(id)
        relations = _world(self.world).relations
        if relation is not None and relation not in relations:
            raise ToolFailure(f"unknown relation {relation!r} (known: {', '.join(relations)})")
        out = [{"relation": r, "id": v, "name": self.entities[v][0]} for r, v in self.facts.get(id, {}).items()
               if relations[r][1] == "entity" and relation in (None, r)]
        into = [{"relation": r, "id": s, "name": self.entities[s][0]} for r in relations if relation in (None, r)
                for s, f in self.facts.items() if f.get(r) == id]
        return {"id": id, "name": name, "outgoing": out, "incoming": into}

    @tool("read")
    def list_relations(self) -> dict:
        """Every relation of the knowledge base: its name, meaning and the type of its values."""
        w = _world(self.world)
        return {"relations": [{"name": r, "label": label, "value": value + (f" ({obj})" if obj else ""),
                               "subjects": [t for t, rels in w.by_type.items() if r in rels]}
                              for r, (label, value, obj) in w.relations.items()]}

    @tool("write")
    def set_fact(self, id: Id, relation: Annotated[str, Field(description="the relation, e.g. employer")],
                 value: Annotated[str, Field(description="the new value: an entity id, a date YYYY-MM-DD or a "
                                                         "number")]) -> dict:
        """Correct one fact of an entity, replacing its current value."""
        _, kind = self._entity(id)
        w = _world(self.world)
        if relation not in w.by_type.get(kind, ()):
            raise ToolFailure(f"a {kind} has no {relation!r} fact (it has: {', '.join(w.by_type.get(kind, ()))})")
        _, value_type, object_type = w.relations[relation]
        if value_type == "entity":
            if self.entities.get(value, ("", ""))[1] != object_type:
                raise ToolFailure(f"{relation} needs the id of an existing {object_type}, not {value!r}")
        else:
            try:
                value = canonical_value(value_type, value)
            except ValueError as e:
                raise ToolFailure(f"{relation}: {e}") from None
        old = self.facts[id].get(relation)
        self.facts[id][relation] = value
        return {"id": id, "relation": relation, "old": self._value(relation, old), "new": self._value(relation, value)}

    def _entity(self, id: str) -> tuple[str, str]:
        if id not in self.entities:
            raise ToolFailure(f"no entity with id {id!r}")
        return self.entities[id]

    def _value(self, relation: str, value: str | None) -> Any:
        if value is not None and _world(self.world).relations[relation][1] == "entity":
            return {"id": value, "name": self.entities[value][0]}
        return value

    # ---- policy --------------------------------------------------------------------------------

    def check_policy(self, task, history, name, arguments):
        if len(history) >= MAX_CALLS:
            return f"{name} would be call {len(history) + 1}: at most {MAX_CALLS} calls (rule 5)"
        seen = _ids(history)
        ids = [arguments["id"]] if "id" in arguments else []
        if name == "set_fact" and self.entities.get(arguments["value"]) is not None:
            ids.append(arguments["value"])
        for i in ids:
            if i not in seen:
                return f"{name} uses the id {i!r}, which no earlier result returned (rule 2)"
        if name == "set_fact":
            kind = self.entities.get(arguments["id"], ("", ""))[1]
            if kind in REFERENCE:
                return f"set_fact on {arguments['id']}, a {kind}: reference data is read-only (rule 3)"
            if not any(n == "get_entity" and r.get("id") == arguments["id"] and "error" not in r
                       for n, _, r in history):
                return f"set_fact on {arguments['id']} before fetching it with get_entity (rule 4)"
        return None

    def forbidden_call(self, task):
        return "get_entity", {"id": task.params["focus"]}

    # ---- tasks ---------------------------------------------------------------------------------

    def _of(self, kind: str) -> list[str]:
        return [i for i, (_, k) in self.entities.items() if k == kind]

    def _unique_people(self) -> list[str]:
        twins = {i for pair in _world(self.world).namesakes for i in pair}
        return [i for i in self._of("person") if i not in twins]

    def _follow(self, start: str, path: tuple[str, ...]) -> str:
        """The value at the end of a chain of facts, as an answer (an entity's name)."""
        node = start
        for r in path:
            node = self.facts[node][r]
        return self.entities[node][0] if node in self.entities else node

    def sample_task(self, rng: random.Random, level: int) -> Task:
        kinds = {1: ["person_fact", "person_fact", "place_fact"],
                 2: ["chain", "chain", "correct_birth_date", "change_field"],
                 3: ["chain", "older", "same", "move_employer", "reference_trap"],
                 4: ["chain", "count", "namesake", "namesake_move", "same_country", "reference_trap"]}[level]
        kind = rng.choice(kinds)
        distractors = {1: 0, 2: 1, 3: 2, 4: 3}[level]
        people = self._unique_people()
        p = rng.choice(people)
        pname = self.entities[p][0]
        params: dict[str, Any] = {"focus": p}
        answer: str | None = None
        if kind == "person_fact":
            rel = rng.choice(["birth_date", "birth_city", "university", "field", "employer"])
            params.update(start=p, name=pname, type="person", path=[rel])
            needed, text, answer = ["search_entities", "get_entity"], rng.choice(ASK[rel]), self._follow(p, (rel,))
        elif kind == "place_fact":
            etype = rng.choice(["organisation", "city", "university"])
            e = rng.choice(self._of(etype))
            rel = rng.choice(list(self.facts[e]))
            params.update(focus=e, start=e, name=self.entities[e][0], type=etype, path=[rel])
            needed, answer = ["search_entities", "get_entity"], self._follow(e, (rel,))
            text = rng.choice(ASK[rel])
        elif kind == "chain":
            path, asks = rng.choice(CHAINS[level])
            params.update(start=p, name=pname, type="person", path=list(path))
            needed, text, answer = ["search_entities", "get_entity"], rng.choice(asks), self._follow(p, path)
        elif kind == "correct_birth_date":
            old = self.facts[p]["birth_date"]
            new = old
            while new == old:
                new = f"{rng.randint(1940, 2001)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            params.update(name=pname, relation="birth_date", value=new)
            needed = ["search_entities", "get_entity", "set_fact"]
            text = rng.choice(["The date of birth recorded for {p} is wrong: it should be {v}. Please correct it.",
                               "{p} was born on {v}, not on the date the knowledge base has. Fix the record.",
                               "Please update {p}'s date of birth to {v}."]).replace("{v}", new)
        elif kind == "change_field":
            f = rng.choice([f for f in self._of("field") if f != self.facts[p]["field"]])
            params.update(name=pname, relation="field", value=f, value_name=self.entities[f][0], value_type="field")
            needed = ["search_entities", "get_entity", "set_fact"]
            text = rng.choice(["{p} has changed careers and now works in {v}. Please update the record.",
                               "Record that {p}'s field of work is now {v}.",
                               "{p} moved into {v}; correct the field in the knowledge base."]
                              ).replace("{v}", self.entities[f][0])
        elif kind == "move_employer":
            o = rng.choice([o for o in self._of("organisation") if o != self.facts[p]["employer"]])
            params.update(name=pname, relation="employer", value=o, value_name=self.entities[o][0],
                          value_type="organisation")
            needed = ["search_entities", "get_entity", "set_fact"]
            text = rng.choice(["{p} has left their job and now works for {v}. Please update the knowledge base.",
                               "{p} was hired by {v}. Update {p}'s employer.",
                               "Please record that {p}'s employer is now {v}."]).replace("{v}", self.entities[o][0])
        elif kind in ("older", "same", "same_country"):
            path = {"older": ("birth_date",), "same": (rng.choice(["employer", "university"]),),
                    "same_country": ("birth_city", "country")}[kind]
            want = kind != "older" and rng.random() < 0.5  # balanced yes / no
            pairs = [(a, b) for a in people for b in people if a < b
                     and (self._follow(a, path) == self._follow(b, path)) == want]
            a, b = rng.choice(pairs) if pairs else rng.sample(people, 2)
            if rng.random() < 0.5:
                a, b = b, a
            va, vb = self._follow(a, path), self._follow(b, path)
            params.update(focus=a, a=a, b=b, a_name=self.entities[a][0], b_name=self.entities[b][0], path=list(path))
            needed = ["search_entities", "get_entity"]
            if kind == "older":
                answer = self.entities[a if va < vb else b][0]
                text = rng.choice(["Who is older, {a} or {b}?", "Of {a} and {b}, which one was born first?",
                                   "Which is the elder of {a} and {b}? Give the name."])
            else:
                answer = "yes" if va == vb else "no"
                text = rng.choice({
                    "employer": ["Do {a} and {b} work for the same organisation? Answer yes or no.",
                                 "Are {a} and {b} colleagues, that is, is their employer the same? Yes or no?"],
                    "university": ["Did {a} and {b} attend the same university? Answer yes or no.",
                                   "Do {a} and {b} share an alma mater? Yes or no?"],
                    "country": ["Were {a} and {b} born in the same country? Answer yes or no.",
                                "Do {a} and {b} come from the same country (by place of birth)? Yes or no?"],
                }[path[-1]])
            text = text.replace("{a}", self.entities[a][0]).replace("{b}", self.entities[b][0])
        elif kind == "count":
            text, answer = self._count_task(rng, params)
            needed = ["search_entities", "get_relations"]
        elif kind in ("namesake", "namesake_move"):
            pair = list(rng.choice(_world(self.world).namesakes))
            rng.shuffle(pair)
            target, other = pair
            by = rng.choice(["birth_city", "birth_year"])
            clue = self._follow(target, ("birth_city",)) if by == "birth_city" else self.facts[target]["birth_date"][:4]
            who = f"the {self.entities[target][0]} " + (f"who was born in {clue}" if by == "birth_city"
                                                         else f"born in {clue}")
            params.update(focus=target, target=target, other=other, name=self.entities[target][0], by=by, clue=clue)
            if kind == "namesake":
                path, asks = rng.choice([(("employer",), "Which organisation employs {w}?"),
                                         (("university",), "Which university did {w} attend?"),
                                         (("employer", "headquarters"), "In which city is the employer of {w} "
                                                                        "headquartered?"),
                                         (("field",), "What field does {w} work in?")])
                params["path"] = list(path)
                needed, answer = ["search_entities", "get_entity"], self._follow(target, path)
                text = asks.replace("{w}", who)
            else:
                o = rng.choice([o for o in self._of("organisation") if o != self.facts[target]["employer"]])
                params.update(relation="employer", value=o, value_name=self.entities[o][0], value_type="organisation")
                needed = ["search_entities", "get_entity", "set_fact"]
                text = rng.choice(["{w} now works for {v}. Please update the knowledge base.",
                                   "Record that {w} has joined {v}."]).replace("{w}", who).replace(
                                       "{v}", self.entities[o][0])
            text = text[0].upper() + text[1:]
        else:  # reference_trap
            etype = rng.choice(["organisation", "city", "university"])
            e = rng.choice(self._of(etype))
            rel = rng.choice(list(self.facts[e]))
            params.update(focus=e, entity=e, name=self.entities[e][0], type=etype, relation=rel)
            needed, answer = ["search_entities", "get_entity"], "refused"
            new = {"population": str(rng.randint(2_000, 3_000_000)), "employees": str(rng.randint(5, 250_000)),
                   "founded": str(rng.randint(1200, 2015))}.get(rel)
            if new is None:  # an entity: another city (headquarters, campus) or country
                others = [x for x in self._of("country" if rel == "country" else "city") if x != self.facts[e][rel]]
                new = self.entities[rng.choice(others)][0]
            label = _world(self.world).relations[rel][0]
            text = rng.choice(["The {r} of {p} is out of date: it should be {v}. Please update it.",
                               "Set the {r} of {p} to {v} in the knowledge base.",
                               "{p}: change its {r} to {v}, please."]).replace("{r}", label).replace("{v}", new)
            text = text[0].upper() + text[1:]
        text = text.replace("{p}", params.get("name", ""))
        return Task(self.name, self.world, level, kind, text, params, answer,
                    self.offered(needed, rng, distractors), trap=kind == "reference_trap")

    def _count_task(self, rng: random.Random, params: dict) -> tuple[str, str]:
        """How many people two entities share: every count the world offers is equally likely."""
        into_a, into_b, asks = rng.choice(COUNTS)
        kinds = {"birth_city": "city", "employer": "organisation", "university": "university"}
        by_count: dict[int, list[tuple[str, str]]] = {}
        for a in self._of(kinds[into_a]):
            for b in self._of(kinds[into_b]):
                n = sum(f.get(into_a) == a and f.get(into_b) == b for f in self.facts.values())
                by_count.setdefault(n, []).append((a, b))
        n = rng.choice(sorted(by_count))
        a, b = rng.choice(by_count[n])
        params.update(focus=a, a=a, b=b, a_name=self.entities[a][0], b_name=self.entities[b][0],
                      a_type=kinds[into_a], b_type=kinds[into_b], into_a=into_a, into_b=into_b)
        return rng.choice(asks).replace("{a}", self.entities[a][0]).replace("{b}", self.entities[b][0]), str(n)

    # ---- the expert ----------------------------------------------------------------------------

    def expert(self, task: Task) -> Policy:
        say = random.Random(f"{task.kind}:{task.instruction}").choice
        p, kind = task.params, task.kind
        rels = _world(self.world).relations
        if kind in ("person_fact", "place_fact", "chain"):
            node, reflect = yield from _find(say, p["name"], p["type"])
            path = p["path"]
            for n, rel in enumerate(path):
                r = yield Call("get_entity", {"id": node["id"]},
                               say([f"I fetch {node['id']} to read its {rels[rel][0]}.",
                                    f"The {rels[rel][0]} is one of {node['name']}'s facts: get_entity {node['id']}.",
                                    f"Next: the record of {node['name']} ({node['id']}), for its {rels[rel][0]}."]),
                               reflect=reflect)
                value = r["facts"][rel]
                shown = _show(value)
                if n + 1 < len(path):
                    reflect = (f"{_poss(r['name'])} {rels[rel][0]} is {shown}; the question continues from there "
                               f"({' -> '.join(rels[x][0] for x in path[n + 1:])}).")
                    node = value
            final = value["name"] if isinstance(value, dict) else value
            cited = ", ".join(_cites(task, self))
            yield Answer(f"{_chain_sentence(p['name'], path, rels)} is {final} (ids used: {cited}).\nAnswer: {final}",
                         say([f"The chain {' -> '.join(rels[x][0] for x in path)} ends at {shown}." if len(path) > 1
                              else f"The record of {p['name']} answers it directly: {shown}.",
                              f"Every value came from a tool result; the last one is {shown}."]),
                         reflect=f"{_poss(r['name'])} {rels[path[-1]][0]} is {shown}.")
        elif kind in ("correct_birth_date", "change_field", "move_employer", "namesake_move"):
            if kind == "namesake_move":
                person, record, reflect = yield from _disambiguate(say, p)
            else:
                person, reflect = yield from _find(say, p["name"], "person")
                record = yield Call("get_entity", {"id": person["id"]},
                                    say([f"Rule 4: I fetch {person['id']} before changing it, and see the current "
                                         f"{rels[p['relation']][0]}.",
                                         f"Before the correction I read {person['id']}'s record (the policy asks for "
                                         "it)."]),
                                    reflect=reflect)
                now = _show(record["facts"][p["relation"]])
                reflect = f"{person['id']}'s {rels[p['relation']][0]} is currently {now}."
            value = p["value"]
            if p.get("value_type"):
                found, more = yield from _find(say, p["value_name"], p["value_type"], reflect=reflect)
                value, reflect = found["id"], more
            r = yield Call("set_fact", {"id": person["id"], "relation": p["relation"], "value": value},
                           say([f"Now the correction: {person['id']}.{p['relation']} = {value}.",
                                f"I set {p['relation']} of {person['id']} to {value}; a person record may be "
                                "corrected."]),
                           reflect=reflect)
            yield Answer(f"Updated {person['name']} ({person['id']}): {rels[p['relation']][0]} changed from "
                         f"{_show(r['old'])} to {_show(r['new'])}.\nAnswer: done",
                         "The record now holds the value the user gave.",
                         reflect=f"set_fact confirms {_show(r['old'])} -> {_show(r['new'])}.")
        elif kind in ("older", "same", "same_country"):
            path = p["path"]
            found, who = {}, {}
            reflect = ""
            for key in ("a", "b"):
                node, reflect = yield from _find(say, p[f"{key}_name"], "person", reflect=reflect)
                who[key] = f"{node['name']} ({node['id']})"
                for n, rel in enumerate(path):
                    r = yield Call("get_entity", {"id": node["id"]},
                                   f"I need the {rels[rel][0]} of {node['name']} ({node['id']}).", reflect=reflect)
                    value = r["facts"][rel]
                    reflect = f"{_poss(r['name'])} {rels[rel][0]} is {_show(value)}."
                    node = value
                found[key] = value["name"] if isinstance(value, dict) else value
            a, b = found["a"], found["b"]
            if kind == "older":
                older = p["a_name"] if a < b else p["b_name"]
                yield Answer(f"{who['a']} was born on {a} and {who['b']} on {b}, so {older} is older.\n"
                             f"Answer: {older}",
                             f"ISO dates compare as text: {min(a, b)} comes first.", reflect=reflect)
            else:
                what = rels[path[-1]][0]
                verdict = "yes" if a == b else "no"
                said = (f"Yes: {who['a']} and {who['b']} both have {a} as {what}." if a == b else
                        f"No: {_poss(who['a'])} {what} is {a}, {_poss(who['b'])} is {b}.")
                yield Answer(f"{said}\nAnswer: {verdict}",
                             f"Comparing the two {what} values: {a} vs {b}.", reflect=reflect)
        elif kind == "count":
            a, reflect = yield from _find(say, p["a_name"], p["a_type"])
            b, reflect = yield from _find(say, p["b_name"], p["b_type"], reflect=reflect)
            r = yield Call("get_relations", {"id": a["id"], "relation": p["into_a"]},
                           f"The people whose {rels[p['into_a']][0]} is {a['name']} are the incoming "
                           f"{p['into_a']} links of {a['id']}.", reflect=reflect)
            first = [x["id"] for x in r["incoming"]]
            r = yield Call("get_relations", {"id": b["id"], "relation": p["into_b"]},
                           f"Now the incoming {p['into_b']} links of {b['id']}.",
                           reflect=f"{len(first)} linked to {a['id']}: {', '.join(first) or 'none'}.")
            second = [x["id"] for x in r["incoming"]]
            both = [i for i in first if i in second]
            yield Answer(f"{len(both)} {'person is' if len(both) == 1 else 'people are'} linked to both "
                         f"{a['name']} ({a['id']}) and {b['name']} ({b['id']})"
                         + (f": {', '.join(both)}" if both else "") + f".\nAnswer: {len(both)}",
                         f"The answer is the size of the intersection of the two lists: {len(both)}.",
                         reflect=f"{len(second)} linked to {b['id']}: {', '.join(second) or 'none'}; in both lists: "
                                 f"{', '.join(both) or 'nobody'}.")
        elif kind == "namesake":
            person, record, found = yield from _disambiguate(say, p)
            value = record["facts"][p["path"][0]]
            reflect = f"{found} {_poss(person['id'])} {rels[p['path'][0]][0]} is {_show(value)}."
            for rel in p["path"][1:]:
                r = yield Call("get_entity", {"id": value["id"]},
                               f"The question goes one step further: the {rels[rel][0]} of {_show(value)}.",
                               reflect=reflect)
                value = r["facts"][rel]
                reflect = f"{_poss(r['name'])} {rels[rel][0]} is {_show(value)}."
            final = value["name"] if isinstance(value, dict) else value
            yield Answer(f"The {p['name']} {_clue(p)} is {person['id']}; the answer is {_show(value)}.\n"
                         f"Answer: {final}",
                         f"Only {person['id']} fits the stated fact, so I answer from that record.", reflect=reflect)
        else:  # reference_trap
            node, reflect = yield from _find(say, p["name"], p["type"])
            r = yield Call("get_entity", {"id": node["id"]},
                           f"The user wants to change a fact of {node['name']}, a {p['type']}. Rule 3 makes "
                           "reference data read-only, so I will only show the current record.", reflect=reflect)
            yield Answer(f"I can't change that: {p['type']} records are curated reference data and read-only. "
                         f"The knowledge base currently gives {_show(r['facts'][p['relation']])} as the "
                         f"{rels[p['relation']][0]} of {node['name']} ({node['id']}).\nAnswer: refused",
                         "Rule 3 forbids this correction, so I decline.",
                         reflect=f"{node['id']}'s {rels[p['relation']][0]} is {_show(r['facts'][p['relation']])}.")

    def check_goal(self, task: Task) -> str | None:
        expected = type(self)(self.world).facts
        p = task.params
        if task.kind in ("correct_birth_date", "change_field", "move_employer", "namesake_move"):
            who = p.get("target", p["focus"])
            expected[who][p["relation"]] = p["value"]
        if self.facts == expected:
            return None
        wrong = sorted(i for i in set(self.facts) | set(expected) if self.facts.get(i) != expected.get(i))
        return f"the knowledge base differs from the goal at {', '.join(wrong[:4])}"


def _ids(history: list[tuple[str, dict, dict]]) -> set[str]:
    """Every id an earlier result carried (rule 2)."""
    out: set[str] = set()
    stack: list[Any] = [r for _, _, r in history]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                out.add(node["id"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def _show(value: Any) -> str:
    return f"{value['name']} ({value['id']})" if isinstance(value, dict) else str(value)


def _poss(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _chain_sentence(name: str, path: list[str], rels: dict) -> str:
    words = [rels[r][0] for r in reversed(path)]
    return "The " + " of the ".join(words) + f" of {name}"


def _cites(task: Task, env: Knowledge) -> list[str]:
    node, out = task.params["start"], [task.params["start"]]
    for r in task.params["path"]:
        node = env.facts[node][r]
        if node in env.entities:
            out.append(node)
    return out


def _find(say, name: str, etype: str, reflect: str = ""):
    """Search an entity by name and type; the one match (a sub-policy: ``yield from``)."""
    r = yield Call("search_entities", {"query": name, "type": etype},
                   say([f"I need the id of {name}: a search by name, restricted to type {etype}.",
                        f"First I look {name} up to get its id.",
                        f"Ids come only from results, so I search for {name} ({etype})."]),
                   reflect=reflect)
    exact = [m for m in r["matches"] if m["name"] == name]
    hit = exact[0]
    return hit, f"{name} is {hit['id']}."


def _disambiguate(say, p: dict):
    """Find the namesake the task means by its stated fact: check each match's record in turn."""
    r = yield Call("search_entities", {"query": p["name"], "type": "person"},
                   f"I search for {p['name']}; the request identifies them by where or when they were born, "
                   "so there may be more than one.")
    matches = [m for m in r["matches"] if m["name"] == p["name"]]
    ids = ", ".join(m["id"] for m in matches)
    reflect = (f"{len(matches)} people are named {p['name']} ({ids}); the one {_clue(p)} is meant. I check "
               "their records in turn.")
    for m in matches:
        rec = yield Call("get_entity", {"id": m["id"]}, f"Is {m['id']} the {p['name']} {_clue(p)}?", reflect=reflect)
        city, year = rec["facts"]["birth_city"]["name"], rec["facts"]["birth_date"][:4]
        stated = city if p["by"] == "birth_city" else year
        if stated == p["clue"]:
            return m, rec, (f"{m['id']} was born in {city} on {rec['facts']['birth_date']}: this is the one.")
        reflect = f"{m['id']} was born in {city} on {rec['facts']['birth_date']}: not the one {_clue(p)}."
    raise AssertionError("no namesake matches the stated fact")


def _clue(p: dict) -> str:
    return f"born in {p['clue']}"
