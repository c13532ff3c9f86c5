from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from synthcompile.export.diversity import Diversity, EntitySample

from .conftest import build_run


def rows(n: int = 400, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    structured = []
    for i in range(n):
        if i % 4 == 0:
            structured.append(json.dumps({"kind": "bio", "entities": sorted(f"E{x}" for x in rng.integers(0, 50, 3))}))
        elif i % 4 == 1:
            structured.append(json.dumps({"entity": "E999"}))  # not the key the compilers write
        elif i % 4 == 2:
            structured.append(json.dumps({"entities": "E998"}))  # not a list
        else:
            structured.append(json.dumps({"a": 1}))
    return pa.table({
        "family": [f"f{i % 3}" for i in range(n)], "skills": [[f"s{i % 2}", "x"] for i in range(n)],
        "difficulty": pa.array([i % 4 + 1 for i in range(n)], pa.int16()),
        "template": [f"t{i % 5}" for i in range(n)], "form": ["plain"] * n,
        "structured": structured, "n_tokens": pa.array(rng.integers(1, 3000, n), pa.int32())})


def test_row_groups_and_chunks_give_the_one_shot_result():
    table = rows()
    whole, streamed = Diversity(), Diversity()
    whole.add_rows(table)
    for batch in table.to_batches(max_chunksize=37):
        streamed.add_rows(batch)
    stream = np.random.default_rng(1).integers(0, 300, 50_000).astype(np.uint16)
    stream[::17] = 0  # EOS
    whole.add_tokens(stream, eos=0)
    cuts = np.sort(np.random.default_rng(2).choice(len(stream), 40, replace=False))
    for piece in np.split(stream, cuts):  # pieces of every size, some of 0-2 tokens
        streamed.add_tokens(piece, eos=0)
    assert whole.result() == streamed.result()
    skills = whole.result()["axes"]["skills"]
    assert skills["samples"] == {"s0": 200, "s1": 200, "x": 400}
    assert skills["tokens"]["x"] == int(table["n_tokens"].to_numpy().sum())


def test_entities_come_from_structured_entities_only():
    table = rows()
    d = Diversity()
    d.add_rows(table)
    ent = d.result()["entities"]
    expected = {}
    for blob in table["structured"].to_pylist():
        for e in json.loads(blob).get("entities", []) if '"entities": [' in blob else []:
            expected[e] = expected.get(e, 0) + 1
    assert ent["samples_with_entities"] == 100
    assert ent["distinct"] == len(expected) and ent["mentions"] == sum(expected.values())
    assert ent["max_mentions"] == max(expected.values()) and ent["counted"] == "exact"


def test_entity_sample_is_exact_for_the_entities_it_keeps():
    rng = np.random.default_rng(0)
    truth = {f"Q{i}": int(c) for i, c in enumerate(rng.integers(1, 20, 5000))}
    mentions = [e for e, c in truth.items() for _ in range(c)]
    rng.shuffle(mentions)
    sample = EntitySample(k=200)
    for lo in range(0, len(mentions), 997):
        sample.add(mentions[lo:lo + 997])
    res = sample.result()
    assert res["counted"] == "sample of 200 entities" and len(sample.counts) == 200
    assert abs(res["distinct"] - 5000) <= 0.2 * 5000
    assert res["mentions"] == len(mentions)
    # The kept entities' counts are exact (compare as a multiset: the sample keeps hashes only).
    import hashlib
    kept = {int.from_bytes(hashlib.blake2b(e.encode(), digest_size=8).digest(), "little"): c
            for e, c in truth.items()}
    assert sorted(sample.counts.tolist()) == sorted(kept[h] for h in sample.hashes.tolist())


MEMORY = """
name: memory-export
seed: 3
memory:
  seed: {fictional: {people: 40}}
  entities_per_shard: 20
export:
  tokenizer: {train: {vocab_size: 600}}
  pack: {seq_len: 128}
"""


@pytest.mark.slow
def test_a_memory_build_reports_entity_coverage(tmp_path):
    run = build_run(tmp_path, MEMORY)
    diversity = json.loads((run / "export" / "diversity.json").read_text())
    if "entities" not in diversity:
        pytest.fail("no structured.entities in a memory build's samples")
    ent = diversity["entities"]
    assert ent["samples_with_entities"] > 0 and ent["distinct"] >= 40 and ent["counted"] == "exact"
    card = (run / "export" / "README.md").read_text()
    assert f"entities: {ent['distinct']:,} distinct" in card
