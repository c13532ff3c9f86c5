"""draws: the cheap uniform picks some generators use instead of random's own helpers."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from synthcompile.compilers.logic import draws


@pytest.mark.parametrize(("n", "k"), [(300, 26), (10, 8), (5, 5), (1, 1), (2160, 16)])
def test_sample_draws_distinct_items_and_is_seeded(n, k):
    items = [f"x{i}" for i in range(n)]
    got = draws.sample(random.Random(3), items, k)
    assert len(got) == k == len(set(got)) and set(got) <= set(items)
    assert got == draws.sample(random.Random(3), items, k)


def test_sample_refuses_more_than_there_are():
    with pytest.raises(ValueError, match="cannot draw 4 distinct items from 3"):
        draws.sample(random.Random(0), "abc", 4)


@pytest.mark.parametrize("k", [2, 9])  # both algorithms: few from many, and most of a few
def test_draws_are_uniform(k):
    rng, n, rounds = random.Random(1), 12, 6000
    counts = Counter(x for _ in range(rounds) for x in draws.sample(rng, range(n), k))
    expected = rounds * k / n
    assert all(abs(c - expected) < 0.1 * expected for c in counts.values()) and len(counts) == n
    firsts = Counter(draws.pick(rng, range(n)) for _ in range(rounds))
    assert all(abs(c - rounds / n) < 0.2 * rounds / n for c in firsts.values())


def test_shuffle_is_a_permutation():
    items = list(range(20))
    draws.shuffle(random.Random(5), items)
    assert sorted(items) == list(range(20)) and items != list(range(20))


def test_huge_operands_still_use_every_digit():
    """random() has 53 bits: a 30-digit draw must not come out as a multiple of 2**47."""
    from synthcompile.compilers.logic.families.arithmetic import Arithmetic

    family = Arithmetic.make(5, {"digits": 30})
    low_digits = {family.generate(random.Random(i)).data["a"] % 1000 for i in range(300)}
    assert len(low_digits) > 200
