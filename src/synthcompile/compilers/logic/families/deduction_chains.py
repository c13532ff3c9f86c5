"""Deduction chains: facts plus if-then rules (Horn clauses), with distractor rules.

A chain of rules derives the goal at depth k, drawn per problem from the level's range; other
rules fire but lead nowhere, or wait on a premise that can never be established. Every problem of
a level has the same number of rules (a shallower goal gets more distractors), so counting rules
says nothing about the depth. Questions: is X derivable, at what depth is X first derived, and
which atoms can be derived at all. The trace is forward chaining in rounds, as run: in each round
every rule whose premises are all known fires at once, so an atom's round is its derivation depth.
The verifier reruns the chaining from the facts and rules stored in ``data``.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field, model_validator

from synthcompile.answers import (Vocabulary, final_answer, final_list, norm_word, parse_bool, parse_count, parse_items,
                                  too_long)
from synthcompile.compilers.logic import draws
from synthcompile.compilers.logic.base import Family, FamilyConfig, Problem
from synthcompile.sample import Verdict

Kind = Literal["derivable", "depth", "closure"]
_PARTS = (("bl", "br", "d", "fl", "gl", "gr", "k", "m", "pl", "sn", "st", "tr", "v", "w", "z", "j", "n", "h"),
          ("a", "e", "i", "o", "u", "ee", "oo", "ai"),
          ("b", "ck", "d", "g", "m", "mp", "nk", "p", "rp", "t", "ff", "n", "sh", "x", "lt"))
ATOMS = tuple(sorted({a + b + c for a in _PARTS[0] for b in _PARTS[1] for c in _PARTS[2]}))  # nonsense words


DERIVABLE = Vocabulary(("yes", "derivable", "it can be derived", "it can"),
                       ("no", "not derivable", "it cannot be derived", "it cannot", "underivable"))


DEPTH_UNITS = ("step", "rule application", "application", "round")


class DeductionChainsConfig(FamilyConfig):
    depth: int = Field(ge=1, le=40, description="most rule applications in sequence needed for the goal")
    min_depth: int = Field(1, ge=1, le=40, description="fewest rule applications needed for the goal "
                           "(each problem's depth is drawn from min_depth..depth)")
    facts: int = Field(ge=1, le=40, description="given facts")
    distractors: int = Field(ge=0, le=80, description="rules off the goal's chain at the deepest goal (some fire, "
                             "some never can); a shallower goal gets more, so every problem has depth + "
                             "distractors rules")
    kinds: tuple[Kind, ...] = Field(min_length=1, description="questions: derivable, depth, closure")

    @model_validator(mode="after")
    def _depths(self):
        if self.min_depth > self.depth:
            raise ValueError("min_depth: must not exceed depth")
        return self


def chain(facts: list[str], rules: list, trace: bool = True) -> tuple[dict[str, int], list[str]]:
    """Forward chaining in rounds; returns each known atom's round (facts: 0) and the steps.

    Round r fires, in rule order, every rule whose premises were all known after round r - 1 and
    whose head was not. Rather than re-test every rule each round, each rule counts its premises
    still unknown and each atom lists the rules waiting on it, so a rule is looked at only when
    one of its premises is derived: linear in the total size of the rules.
    """
    known = dict.fromkeys(facts, 0)
    waiting: dict[str, list[int]] = {}
    missing: list[int] = []
    ready: list[int] = []  # rules whose premises were all known after the previous round
    for k, (body, _) in enumerate(rules):
        need = {b for b in body if b not in known}
        missing.append(len(need))
        for atom in need:
            waiting.setdefault(atom, []).append(k)
        if not need:
            ready.append(k)
    steps = [f"round 0: facts {', '.join(facts)}"] if trace else []
    round_ = 0
    while True:
        round_ += 1
        ready.sort()
        fired = [(k, rules[k][1]) for k in ready if rules[k][1] not in known]
        if not fired:
            if trace:
                steps.append(f"round {round_}: no rule adds anything new; stop")
            return known, steps
        ready = []
        for _, head in fired:
            if head not in known:
                known[head] = round_
                for k in waiting.get(head, ()):
                    missing[k] -= 1
                    if not missing[k]:
                        ready.append(k)
        if trace:
            steps.append(f"round {round_}: " + "; ".join(f"R{k + 1} gives {head}" for k, head in fired))


class DeductionChains(Family):
    name = "deduction_chains"
    description = "Facts and if-then rules with distractors: derivability, depth and closure by forward chaining."
    # 2: draws from synthcompile.compilers.logic.draws (faster; other problems per seed)
    # 3: depth drawn per problem (min_depth..depth) with a constant rule count per level; chain and
    #    distractor rules have the same body sizes (issue 11: counting rules beat chaining)
    version = "3"
    skills = ("deduction", "multi-step reasoning")
    Config = DeductionChainsConfig
    levels = {
        # rules per problem: 4, 6, 8, 12, 18
        1: dict(min_depth=1, depth=2, facts=2, distractors=2, kinds=("derivable", "closure")),
        2: dict(min_depth=1, depth=3, facts=3, distractors=3, kinds=("derivable", "depth", "closure")),
        3: dict(min_depth=2, depth=4, facts=3, distractors=4, kinds=("derivable", "depth", "closure")),
        4: dict(min_depth=3, depth=6, facts=4, distractors=6, kinds=("derivable", "depth", "closure")),
        5: dict(min_depth=5, depth=9, facts=5, distractors=9, kinds=("derivable", "depth", "closure")),
    }
    phrasings = (
        "Facts: {facts}.\nRules:\n{rules}\n{ask}",
        "We know that {facts} hold.\n{rules}\n{ask}",
        "Given the facts {facts} and the rules\n{rules}\n{ask}",
        "Rules:\n{rules}\nKnown: {facts}.\n{ask}",
        "Knowledge base.\nTrue: {facts}\n{rules}\nQuestion: {ask}",
        "Assume {facts}. Also:\n{rules}\n{ask} Nothing else is known.",
    )
    _asks = {
        "derivable": "Can {x} be derived? Answer yes or no.",
        "depth": "What is the smallest number of rule applications in sequence needed to derive {x}?",
        "closure": "List every atom that can be derived and is not already a given fact.",
    }

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        depth = c.min_depth + int(rng.random() * (c.depth - c.min_depth + 1))
        distractors = c.distractors + c.depth - depth  # the same number of rules at every depth
        spare = distractors + 2  # atoms no rule can ever establish
        atoms = draws.sample(rng, ATOMS, c.facts + depth + 2 * distractors + spare)
        facts = atoms[:c.facts]
        path = atoms[c.facts:c.facts + depth]
        pool = atoms[c.facts + depth:]
        never = pool[:spare]
        heads = pool[spare:]
        rules: list[list] = []
        before = [draws.pick(rng, facts)]
        for atom in path:  # the goal's chain: each link needs the previous atom (and maybe more)
            body = [before[-1]]
            others = [a for a in facts + before[:-1] if a != body[0]]
            if others and rng.random() < 0.5:  # two premises as often as a distractor has them
                body.append(draws.pick(rng, others))
            rules.append([body, atom])
            before.append(atom)
        known_atoms = facts + path
        for k in range(distractors):
            head = heads[k]
            if k % 2:  # fires from what is known, but leads nowhere
                body = draws.sample(rng, known_atoms, min(2, len(known_atoms)))[: 1 + (rng.random() < 0.5)]
            else:      # waits on an atom nothing establishes (possibly beside real ones)
                body = [draws.pick(rng, never)] + ([draws.pick(rng, known_atoms)] if rng.random() < 0.5 else [])
                if rng.random() < 0.5:
                    head = draws.pick(rng, heads[: k + 1] + path[-1:])  # a second, dead route to some atom
            if len(body) == 2 and rng.random() < 0.5:
                body.reverse()
            rules.append([body, head])
        draws.shuffle(rng, rules)
        kind = draws.pick(rng, c.kinds)
        known, steps = chain(facts, rules)
        goal = path[-1]
        if kind == "derivable" and rng.random() < 0.5:  # ask about an atom that looks reachable
            stuck = [head for _, head in rules if head not in known]
            goal = draws.pick(rng, stuck or [b for body, _ in rules for b in body if b in never] or never)
        if kind == "derivable":
            answer = "yes" if goal in known else "no"
            steps.append(f"{goal} {'was derived' if goal in known else 'was never derived'}")
        elif kind == "depth":
            answer = str(known[goal])
            steps.append(f"{goal} first appears in round {known[goal]}")
        else:
            derived = [a for a in known if a not in facts]
            answer = ", ".join(derived)
        rule_text = "\n".join(f"R{k}: if {' and '.join(body)}, then {head}."
                              for k, (body, head) in enumerate(rules, 1))
        return Problem(fields={"facts": ", ".join(facts), "rules": rule_text,
                               "ask": self._asks[kind].format(x=goal)},
                       answer_text=answer, trace=steps, terse=steps[1:],
                       data={"kind": kind, "facts": facts, "rules": rules, "goal": goal})

    def verify(self, data: dict, answer: str) -> Verdict:
        known, _ = chain(data["facts"], data["rules"], trace=False)
        kind, goal = data["kind"], data["goal"]
        given = final_list(answer) if kind == "closure" else final_answer(answer)  # a list: one a line too
        if (reason := too_long(given)) is not None:
            return self.wrong(reason)
        if kind == "derivable":
            said = parse_bool(given, DERIVABLE)
            if said is None:
                return self.wrong("not yes/no")
            return self.ok() if said == (goal in known) else self.wrong(f"derivable is {goal in known}")
        if kind == "depth":
            said = parse_count(given, DEPTH_UNITS)  # "3", "3 steps", "3 rule applications"
            if said is None:
                return self.wrong("not an integer")
            if goal not in known:  # the rules no longer reach it (a premise taken out: learning's missing_premise)
                return self.wrong(f"{goal} is never derived")
            return self.ok() if said == known[goal] else self.wrong(f"expected {known[goal]}, got {said}")
        items = [norm_word(i) for i in parse_items(given)]
        expected = {a for a in known if a not in data["facts"]}
        if len(set(items)) != len(items):
            return self.wrong("an atom is listed twice")
        return self.ok() if set(items) == expected else self.wrong("not the set of derivable atoms")

    @staticmethod
    def _rule_text(body: list[str], head: str) -> str:
        return f"if {' and '.join(body)}, then {head}."

    def premises(self, data: dict) -> list[tuple[str, str]]:
        """The rules, as the question prints them ("R3: if a and b, then c.") and as a candidate."""
        return [(f"R{k}: {self._rule_text(body, head)}", self._rule_text(body, head))
                for k, (body, head) in enumerate(data["rules"], 1)]

    def premise_removed(self, data: dict, i: int) -> dict:
        return {**data, "rules": data["rules"][:i] + data["rules"][i + 1:]}

    def premise_swaps(self, data: dict, i: int, rng: random.Random) -> list[tuple[str, dict]]:
        """The rule with its head or one premise changed to another atom of the problem."""
        body, head = data["rules"][i]
        atoms = sorted({a for b, h in data["rules"] for a in (*b, h)} | set(data["facts"]))
        variants = [(body, a) for a in atoms if a != head and a not in body]
        variants += [(body[:j] + [a] + body[j + 1:], head) for j in range(len(body)) for a in atoms
                     if a not in body and a != head]
        draws.shuffle(rng, variants)
        return [(self._rule_text(b, h), {**data, "rules": data["rules"][:i] + [[b, h]] + data["rules"][i + 1:]})
                for b, h in variants[:12]]

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        d, answer = problem.data, problem.answer_text
        if d["kind"] == "derivable":
            return ["no" if answer == "yes" else "yes", "maybe"]
        if d["kind"] == "depth":
            n = int(answer)
            return [str(n + 1), str(n - 1), str(-n)]
        known = set(chain(d["facts"], d["rules"], trace=False)[0])
        items = answer.split(", ")
        # Every rule body and head is an atom; one that is never derived makes the list too big.
        unreachable = sorted({a for body, head in d["rules"] for a in (*body, head)} - known)
        wrong = [", ".join(items[:-1]) or "none", ", ".join([*items, items[0]]),
                 ", ".join([*items, d["facts"][0]])]
        if unreachable:
            wrong.append(", ".join([*items, unreachable[0]]))
        return wrong


FAMILY = DeductionChains
