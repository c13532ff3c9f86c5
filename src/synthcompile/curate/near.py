"""The near-dup axis: MinHash LSH candidates (rensa), confirmed on exact Jaccard, clustered.

Six stages, one config shared by all (as datatrove's MinHash pipeline); ``B`` buckets, one per
``shards_per_bucket`` stream shards:

1. ``dedup_near_signatures`` (map, per stream shard): k-word shingles of each candidate row,
   its MinHash signature (rensa) and one 64-bit key per LSH band, written bucketed by key;
2. ``dedup_near_candidates`` (reduce, per key bucket): rows that share a band key are
   candidates: each is paired with the first row (in stream order) of its key; every pair is
   sent to the shard groups of both its rows;
3. ``dedup_near_shingles`` (per group of ``shards_per_bucket`` stream shards): the exact
   shingle-hash set of each of its rows that is in a pair, sent with the pair to its pair bucket;
4. ``dedup_near_pairs`` (reduce, per pair bucket): both sets of each pair meet; the pair is a
   near duplicate when their exact Jaccard is >= ``threshold``. MinHash only proposes pairs:
   every decision is exact, so pairs below the threshold (the MinHash estimate's noise band)
   are never removed. Confirmed pairs go out in both directions, partitioned by node;
5. ``dedup_near_groups`` (one shard): connected components with bounded memory
   (``components.py``); every member but the first in (shard, row) order is removed;
6. ``dedup_near`` (filter, per stream shard).

Stages 1-2 are in ``minhash.py``, stages 3-6 in ``jaccard.py``; neither imports the other (what
both use is in ``groups.py``): this module chains them.

Memory per shard: stage 1 a shard's texts; stage 2 ``16 * bands`` bytes per row of about
``shards_per_bucket`` shards; stages 3-4 the shingle sets (8 bytes per shingle) of the pairs
of their bucket; stage 5 one partition of confirmed pairs and the messages sent to it.
"""

from __future__ import annotations

from synthcompile.curate.config import NearDedupConfig
from synthcompile.curate.facts import Variation
from synthcompile.curate.jaccard import NearFilter, NearGroups, NearPairs, NearShingles
from synthcompile.curate.minhash import NearCandidates, NearSignatures
from synthcompile.stage import Stage


def near_stages(config: NearDedupConfig, shards_per_bucket: int, variation: Variation = "keep") -> list[Stage]:
    """The six stages of the near-dup axis, in order (pairs only within one fact: ``facts.py``)."""
    return [NearSignatures(config, shards_per_bucket, variation), NearCandidates(shards_per_bucket),
            NearShingles(config, shards_per_bucket), NearPairs(config, shards_per_bucket),
            NearGroups(shards_per_bucket), NearFilter()]
