"""Uniform draws from a ``random.Random`` at a fraction of the cost of its own helpers.

``rng.choice``, ``rng.sample`` and ``rng.shuffle`` spend most of their time in Python-level
``_randbelow`` (about 0.5 µs a call, rejection sampling over ``getrandbits``); generators that
make thirty draws per problem pay more for them than for the problem. ``int(rng.random() * n)``
is one C call: uniform up to a bias below n / 2**53, nothing for the sizes drawn here (a draw
from more than 2**53 values needs ``randrange``: ``random()`` has 53 bits). The draws
differ from the helpers' for the same seed, so a family that switches bumps its version.
"""

from __future__ import annotations

import random
from typing import Sequence, TypeVar

T = TypeVar("T")


def pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def shuffle(rng: random.Random, items: list) -> None:
    """In place, Fisher-Yates."""
    draw = rng.random
    for i in range(len(items) - 1, 0, -1):
        j = int(draw() * (i + 1))
        items[i], items[j] = items[j], items[i]


def sample(rng: random.Random, items: Sequence[T], k: int) -> list[T]:
    """``k`` distinct items in draw order (``ValueError`` if there are fewer than ``k``)."""
    n = len(items)
    if k > n:
        raise ValueError(f"cannot draw {k} distinct items from {n}")
    draw = rng.random
    if 4 * k < n:  # few from many: k draws at once, then redraw the rare repeats
        got = dict.fromkeys([int(draw() * n) for _ in range(k)])  # first occurrences, in order
        while len(got) < k:
            got.setdefault(int(draw() * n))
        return [items[i] for i in got]
    pool = list(items)  # partial Fisher-Yates
    for i in range(k):
        j = i + int(draw() * (n - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]
