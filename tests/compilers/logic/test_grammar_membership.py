"""grammar: CYK membership, and derivations checked one rule application at a time."""

from __future__ import annotations

import random

from synthcompile.compilers.logic.families.grammar_membership import GrammarMembership, cyk

# a^n b^n (n >= 1) in CNF: S -> AB | AC, C -> SB, A -> a, B -> b.
ANBN = [["S", "AB"], ["S", "AC"], ["C", "SB"], ["A", "a"], ["B", "b"]]


def test_cyk_decides_anbn():
    for word, member in [("ab", True), ("aabb", True), ("aaabbb", True), ("aab", False), ("ba", False),
                         ("abab", False)]:
        assert cyk(ANBN, word, trace=False)[0] is member, word


def test_any_valid_derivation_is_accepted():
    f = GrammarMembership.make(2)
    data = {"kind": "derivation", "rules": ANBN, "word": "aabb"}
    assert f.verify(data, "S => AC => aC => aSB => aABB => aaBB => aabB => aabb").passed  # leftmost
    assert f.verify(data, "S ⇒ AC ⇒ ASB ⇒ AABB ⇒ AAbB ⇒ AAbb ⇒ aAbb ⇒ aabb").passed  # not leftmost
    assert not f.verify(data, "S => AB => aB => ab").passed  # a derivation, of another string
    assert not f.verify(data, "S => AC => aSB => aABB => aaBB => aabB => aabb").passed  # two steps in one
    assert not f.verify(data, "S => AB => AABB => aABB => aaBB => aabB => aabb").passed  # AB => AABB: no rule
    assert not f.verify(data, "S => aabb").passed


def test_generated_derivations_are_leftmost_and_complete():
    f = GrammarMembership.make(4)
    for i in range(30):
        p = f.generate(random.Random(i))
        if p.data["kind"] == "derivation":
            forms = p.answer_text.split(" => ")
            assert forms[0] == "S" and forms[-1] == p.data["word"]
            assert len(forms) == 2 * len(p.data["word"])  # n-1 binary steps + n terminal steps + S
