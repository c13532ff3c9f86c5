"""The documents compiler end to end: seeds, chunks, program-side exercises, the embedded model,
grounding, quarantine, the cache, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.documents import program
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.seeds.documents import DocumentSource, iter_documents

PROGRAM_ONLY = """\
name: docs
seed: 5
documents:
  seed: {builtin: {}}
  documents_per_shard: 5
curate: null
export: null
audit: null
"""


def _build(path: Path, out: Path, workers: int = 1, **kw) -> Path:
    with LocalExecutor(workers) as ex:
        build(load_recipe(path), out, ex, recipe_file=path, **kw)
    return out


def rows(root: Path) -> list[dict]:
    out = []
    for p in sorted(root.glob("samples/documents/*.parquet")):
        out += pq.read_table(p).to_pylist()
    return out


def markers(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.glob("work/documents/completions/*.json"))]


def test_program_side_exercises_point_at_their_seed_span_and_verify(write_recipe, tmp_path):
    path = write_recipe(PROGRAM_ONLY)
    a = _build(path, tmp_path / "a", workers=1)
    b = _build(path, tmp_path / "b", workers=2)
    bytes_of = [{p.name: p.read_bytes() for p in sorted(r.glob("samples/documents/*.parquet"))} for r in (a, b)]
    assert bytes_of[0] == bytes_of[1] and len(bytes_of[0]) == 3  # 12 documents, 5 per shard
    docs = {d.id: d for d in iter_documents(DocumentSource("builtin"))}
    samples = rows(a)
    families = {r["family"] for r in samples}
    assert families == {f"documents.{s}" for s in program.STRATEGIES}
    for r in samples:
        s = json.loads(r["structured"])
        doc = docs[s["doc_id"]]
        assert r["seed_id"] == f"{doc.id}@{doc.revision}:{s['start']}-{s['end']}"
        passage = doc.text[s["start"]:s["end"]]
        assert passage and s["exercise"].get("passage", passage) == passage  # where it keeps one
        assert program.verify(s["exercise"], r["answer"]) == (True, None)
        assert program.verify(s["exercise"], "no idea")[0] is False
    levels = {r["difficulty"] for r in samples}
    assert levels == {1, 2, 3, 4}


def test_bad_records_are_quarantined_and_the_build_goes_on(write_recipe, tmp_path):
    docs = tmp_path / "docs.jsonl"
    good = ("The Danube flows for 2,850 kilometres through ten countries. It rises in the Black Forest. "
            "Vienna, Budapest and Belgrade lie on its banks. It ends in the Black Sea in Romania.")
    docs.write_text("\n".join([json.dumps({"id": "a", "text": good, "title": "Danube"}), "{not json",
                               json.dumps({"id": "b", "text": 42}), json.dumps({"id": "a", "text": good})]) + "\n")
    path = write_recipe(PROGRAM_ONLY.replace("{builtin: {}}", "{jsonl: {path: docs.jsonl}}"))
    out = _build(path, tmp_path / "run")
    quarantine = json.loads((out / "quarantine.json").read_text())["documents"]
    assert quarantine["total"] == 3
    assert rows(out) and {json.loads(r["structured"])["doc_id"] for r in rows(out)} == {"a"}


def test_unknown_strategy_is_a_located_error(write_recipe):
    from synthcompile.errors import UserError

    path = write_recipe(PROGRAM_ONLY.replace("  documents_per_shard: 5\n", "  documents_per_shard: 5\n"
                                             "  llm: {backend: local}\n  strategies: {synth_qq: 1}\n"))
    with pytest.raises(UserError, match=r"recipe.yaml:7: documents.strategies.synth_qq: unknown strategy "
                                        r"'synth_qq' \(did you mean 'synth_qa'\?\)"):
        load_recipe(path)


LLM_RECIPE = """\
name: docs-llm
seed: 5
documents:
  seed: {builtin: {}}
  documents_per_shard: 1
  program: {}
  chunking: {max_chunks_per_document: 1}
  llm: {backend: local, concurrency: 8, max_tokens: 96}
  strategies: {knowledge_list: 1, synth_qa: 1}
curate: null
export: null
audit: null
"""


@pytest.mark.slow
def test_the_embedded_model_end_to_end_grounded_and_cached(write_recipe, tmp_path):
    pytest.importorskip("transformers")
    docs = tmp_path / "docs.jsonl"
    articles = [d for d in iter_documents(DocumentSource("builtin"))][:2]
    docs.write_text("".join(json.dumps({"id": d.id, "text": d.text, "title": d.title}) + "\n" for d in articles))
    path = write_recipe(LLM_RECIPE.replace("{builtin: {}}", "{jsonl: {path: docs.jsonl}}"))
    out = _build(path, tmp_path / "run", workers=2)
    stats: dict[str, int] = {}
    for m in markers(out):
        for k, v in m["stats"].items():
            stats[k] = stats.get(k, 0) + v
    for name in ("knowledge_list", "synth_qa"):  # every output is accounted for
        outputs = stats[f"strategy:{name}:outputs"]
        assert outputs == 2
        fates = ("grounded", "ungrounded", "unparsed", "backend")
        assert outputs == sum(stats.get(f"strategy:{name}:{k}", 0) for k in fates)
    kept = rows(out)
    assert len(kept) == stats.get("strategy:knowledge_list:grounded", 0) + stats.get("strategy:synth_qa:grounded", 0)
    quarantined = [json.loads(line) for p in sorted(out.glob("work/documents/quarantine/*.jsonl"))
                   for line in p.read_text().splitlines()]
    assert len(quarantined) == 4 - len(kept)
    for q in quarantined:  # the raw output or the unsupported span, with the reason
        assert q["reason"].split(":")[0] in ("unparsed", "ungrounded", "backend")
        assert "raw" in q["record"] or q["record"]["unsupported"]
    for r in kept:
        assert r["provenance"]["backend"] == "local" and r["provenance"]["prompt_hash"]
        assert json.loads(r["structured"])["grounding"]["checked"]
    first = {p.name: p.read_bytes() for p in sorted(out.glob("samples/documents/*.parquet"))}
    # Rebuilding the stage: every request comes from the run's cache, the same bytes come out.
    _build(path, out, workers=1, rebuild=["documents"])
    again = {p.name: p.read_bytes() for p in sorted(out.glob("samples/documents/*.parquet"))}
    assert again == first
    rebuilt = [m["stats"] for m in markers(out)]
    assert sum(s.get("llm_requests", 0) for s in rebuilt) == 0
    assert sum(s.get("llm_cache_hits", 0) for s in rebuilt) >= 4
