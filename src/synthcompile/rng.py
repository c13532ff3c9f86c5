"""Derived random streams: no global random state anywhere.

Every random draw comes from a ``random.Random`` seeded by hashing (recipe seed, stage, ...):
item *i* of a generator can be rebuilt alone, and the output does not depend on how shards are
spread over workers.
"""

from __future__ import annotations

import hashlib
import random


def _encode(parts: tuple) -> bytes:
    return "\x1f".join(f"{type(p).__name__}:{p}" for p in parts).encode()


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any sequence of str/int parts (stable across runs and machines)."""
    return int.from_bytes(hashlib.blake2b(_encode(parts), digest_size=8).digest(), "little")


class SeedStream:
    """``derive_seed(*prefix, i)`` for many ``i``, hashing the shared prefix once."""

    def __init__(self, *prefix: object):
        self._hasher = hashlib.blake2b(_encode(prefix) + b"\x1f", digest_size=8)

    def seed(self, index: int) -> int:
        h = self._hasher.copy()
        h.update(f"int:{index}".encode())
        return int.from_bytes(h.digest(), "little")


def derive_rng(*parts: object) -> random.Random:
    return random.Random(derive_seed(*parts))
