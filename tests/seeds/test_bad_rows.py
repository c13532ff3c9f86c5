"""A corpus of bad seed rows (tests/seeds/data/bad_rows.jsonl, grown with every bug found): each
is quarantined with its reason and line, the build's other rows load, and every input row is
accounted for (loaded + quarantined = input). Never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthcompile.seeds.tables import load_graph

CORPUS = [json.loads(line) for line in (Path(__file__).parent / "data" / "bad_rows.jsonl").read_text().splitlines()]
GOOD = {
    "entities": ['{"id": "ada", "name": "Ada Lovelace", "type": "person"}', '{"id": "lon", "name": "London"}',
                 '{"id": "par", "name": "Paris"}'],
    "relations": ['{"name": "born_in", "cardinality": "one"}',
                  '{"name": "born_on", "value": "date", "cardinality": "one"}',
                  '{"name": "height", "value": "number"}', '{"name": "motto", "value": "string"}'],
    "triples": ['{"subject": "ada", "relation": "born_in", "object": "lon"}'],
}


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 40 and {c["table"] for c in CORPUS} == set(GOOD)


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c['table']}:{c['reason']}" for c in CORPUS])
def test_a_bad_row_is_quarantined_with_its_reason_and_nothing_else_is_lost(tmp_path, case):
    files = {}
    for table, rows in GOOD.items():
        lines = rows + [case["raw"]] if table == case["table"] else rows
        files[table] = tmp_path / f"{table}.jsonl"
        files[table].write_text("\n".join(lines) + "\n")
    result = load_graph(files["entities"], files["triples"], files["relations"])
    bad_line = len(GOOD[case["table"]]) + 1
    mine = [b for b in result.bad if Path(b.file).name == f"{case['table']}.jsonl" and b.line == bad_line]
    if case["reason"] is None:  # a row that must load
        assert not mine, mine
        return
    assert len(mine) == 1 and case["reason"] in mine[0].reason, [(b.line, b.reason) for b in result.bad]
    others = [b for b in result.bad if b is not mine[0]]
    # A bad relation row also quarantines nothing else here: no triple uses it.
    assert not others, [(b.file, b.line, b.reason) for b in others]
    graph = result.graph
    loaded = {"entities": len(graph.entities), "relations": len(graph.relations), "triples": len(graph)}
    for table, rows in GOOD.items():
        extra = 1 if table == case["table"] else 0
        assert loaded[table] + (extra if mine else 0) == len(rows) + extra  # loaded + quarantined = input
