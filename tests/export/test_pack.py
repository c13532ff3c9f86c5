from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer

from synthcompile.export.pack import pack_documents

from .conftest import RECIPE, build_run


def test_pack_documents_layout():
    values = np.array([5, 6, 7, 8, 9, 10], np.uint32)
    stream, starts = pack_documents(values, np.array([2, 0, 4]), eos=0, seq_len=4, dtype=np.dtype("<u2"))
    assert stream.tolist() == [5, 6, 0, 0, 7, 8, 9, 10, 0, 0, 0, 0]  # EOS after each, EOS padding
    assert starts.tolist() == [0, 3, 4]


def test_token_shards_round_trip(export_run):
    export = export_run / "export"
    index = json.loads((export / "tokens" / "index.json").read_text())
    assert index["dtype"] == "uint16" and index["byte_order"] == "little" and index["header_bytes"] == 0
    tok = Tokenizer.from_file(str(export / "tokenizer.json"))
    eos, seq_len = index["eos_id"], index["seq_len"]
    assert tok.id_to_token(eos) == "<|endoftext|>"
    assert index["files"]
    for entry in index["files"]:
        tokens = np.memmap(export / "tokens" / entry["path"], dtype=np.uint16, mode="r")
        assert len(tokens) == entry["sequences"] * seq_len
        assert tokens.reshape(-1, seq_len).shape[0] == entry["sequences"]
        rows = pq.read_table(export / "data", filters=[("token_file", "=", entry["path"])]).to_pylist()
        rows.sort(key=lambda r: r["position"])
        assert len(rows) == entry["documents"]
        # Splitting the stream at EOS gives back the documents, in order; the rest is padding.
        cut = np.flatnonzero(tokens == eos)
        pieces = np.split(np.asarray(tokens), cut + 1)
        docs = [tok.decode(p[p != eos].tolist()) for p in pieces[: len(rows)]]
        assert docs == [r["text"] for r in rows]
        assert all(len(p) == 1 for p in pieces[len(rows):-1])  # only EOS padding after the last
        for r in rows[:50]:
            ids = tokens[r["token_offset"]: r["token_offset"] + r["n_tokens"]]
            assert tok.decode(ids.tolist()) == r["text"] and tokens[r["token_offset"] + r["n_tokens"]] == eos


def test_probes_are_never_packed(export_run):
    probe = pq.read_table(export_run / "export" / "data" / "probe-00000-of-00001.parquet")
    assert probe.num_rows == 30 and set(probe["token_file"].to_pylist()) == {None}


def test_output_is_identical_for_any_worker_count(tmp_path, export_run):
    # Fewer samples than the shared run: the check is bytes, not size.
    small = RECIPE.replace("count: 750", "count: 300").replace("count: 500", "count: 260") \
        .replace("cap: 120", "cap: 60").replace("tokens: 15000", "tokens: 5000")
    one = build_run(tmp_path / "one", small, workers=1)
    two = build_run(tmp_path / "two", small, workers=2)
    files = sorted(p.relative_to(one) for p in (one / "export").rglob("*") if p.is_file())
    assert any(str(f).endswith(".bin") for f in files)
    for rel in files:
        assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel


def test_a_pack_part_reads_only_its_own_rows(export_run, monkeypatch):
    """The scatter: part k reads bucket k of every mix shard, not row groups of every
    tokenized shard (which made reads grow as parts x corpus)."""
    import json as json_

    from synthcompile.export.pack import PackStage
    from synthcompile.stage import ShardContext, ShardSpec

    read = []
    original = pq.ParquetFile.read_row_groups

    def spy(self, *args, **kwargs):
        table = original(self, *args, **kwargs)
        read.append(table.num_rows)
        return table

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("pack read a whole table"))
    marker = json_.loads((export_run / "work" / "pack" / "completions" / "train-00001.json").read_text())
    spec = ShardSpec(**{k: tuple(v) if k == "inputs" else v for k, v in marker["spec"].items()})
    assert len(spec.inputs) == 6  # one mix shard per tokenized shard
    stage = PackStage(None, None)  # no token file: only the reads are under test
    out = pa.concat_tables(stage.run_shard(spec, ShardContext(seed=7, run_root=export_run, spec=spec)))
    assert out.num_rows == marker["rows"] > 0
    assert sum(read) == out.num_rows


def test_the_documented_readers_work(export_run, monkeypatch):
    """The card's memmap snippet and docs/export.md's reader, run as written."""
    import re

    export = export_run / "export"
    card = (export / "README.md").read_text()
    snippet = re.search(r"`(np\.memmap\([^`]*\])`", card)
    assert snippet and 'dtype="<u2"' in snippet.group(1)
    tok = Tokenizer.from_file(str(export / "tokenizer.json"))
    row = pq.read_table(export / "data", filters=[("split", "=", "train")]).slice(5, 1).to_pylist()[0]
    monkeypatch.chdir(export)
    ids = eval(snippet.group(1), {"np": np, **row})
    assert tok.decode(ids.tolist()) == row["text"]

    docs = (Path(__file__).parents[2] / "docs" / "export.md").read_text()
    reader = docs.split("Reading it", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(export_run)
    scope: dict = {}
    exec(reader, scope)
    index = json.loads((export / "tokens" / "index.json").read_text())
    assert scope["dtype"] == "<u2" and scope["x"].shape[1] == index["seq_len"]
    for key in index:  # every key of index.json is documented
        assert f'"{key}"' in docs, key
