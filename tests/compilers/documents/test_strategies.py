"""Every shipped strategy through the documents stage, with a stand-in model.

The stand-in (``Copier``) is not a language model: it answers each prompt in the format the
prompt asks for, with sentences copied from the passage it was given, so every output parses and
is grounded. That isolates the plumbing of each strategy (its prompt file and variables, schema,
steps, rendering, grounding fields, provenance); the real model's outputs are tested in
tests/llm/test_local.py and test_stage.py.
"""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest

from synthcompile.compilers.documents.strategies import BUILTIN
from synthcompile.executors.local import LocalExecutor
from synthcompile.llm import client
from synthcompile.llm.request import Completion, Request
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.seeds.sentences import sentence_spans


class Copier:
    """Replies in the prompt's own format with the passage's first sentences."""

    identity = {"kind": "copier", "model": "copier"}
    max_concurrency = 4

    def __init__(self):
        self.requests: list[Request] = []
        self.judge_says = "yes"  # what it answers a grounding judge's question

    async def complete(self, req: Request) -> Completion:
        self.requests.append(req)
        user = req.messages[-1][1]
        if "Answer yes or no" in user:
            text = f"{self.judge_says}. (the copier's verdict)"
            return Completion(texts=[text], finish_reasons=["stop"], completion_tokens=3)
        # the passage's first paragraph: after the title line, or after "Next part of the original"
        after = user.split("Next part of the original", 1)[-1].split("\n", 1)[1] if "Next part" in user \
            else user.split("\n\n", 1)[1]
        passage = after.split("\n\n")[0]
        sents = [passage[a:b] for a, b in sentence_spans(passage)]
        hint = user.rsplit("Reply in this format:\n", 1)[-1].splitlines()
        lines = []
        for h in hint:
            label = h.split(":")[0]
            if "(repeat for each)" in h:
                lines += ["Question: What does the text say about this?", f"Answer: {sents[0]}"]
            elif "one '- ' line per item" in h:
                lines += [f"{label}:"] + [f"- {s}" for s in sents[:2]]
            elif re.fullmatch(r"[A-Z][a-z ]+: \.\.\.", h):
                lines.append(f"{label}: {sents[0]}")
        text = "\n".join(lines)
        return Completion(texts=[text], finish_reasons=["stop"], prompt_tokens=len(user.split()),
                          completion_tokens=len(text.split()))


RECIPE = """\
name: strategies
seed: 3
documents:
  seed: {builtin: {}}
  documents_per_shard: 12
  program: {}
  chunking: {max_chunks_per_document: 2}
  llm: {backend: local}
  strategies: {%s}
curate: null
export: null
audit: null
"""


@pytest.fixture
def copier(monkeypatch):
    fake = Copier()
    monkeypatch.setattr(client, "make_backend", lambda config, threads=1: fake)
    return fake


def test_every_shipped_strategy_runs_parses_grounds_and_renders(write_recipe, tmp_path, copier):
    names = [n for n in BUILTIN if n != "wiki_paraphrase"]  # routed to low-quality text only
    path = write_recipe(RECIPE % ", ".join(f"{n}: 1" for n in names + ["wiki_paraphrase"]))
    with LocalExecutor(1) as ex:
        build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    rows = [r for p in sorted((tmp_path / "run").glob("samples/documents/*.parquet"))
            for r in pq.read_table(p).to_pylist()]
    by_family: dict[str, list[dict]] = {}
    for r in rows:
        by_family.setdefault(r["family"], []).append(r)
    stats = json.loads(next((tmp_path / "run").glob("work/documents/completions/*.json")).read_text())["stats"]
    for name in names:
        per = 12 if name == "chunkwise_rewrite" else 24 * (2 if name == "active_reading" else 1)  # 2 studies
        assert stats[f"strategy:{name}:grounded"] == per, (name, {k: v for k, v in stats.items() if name in k})
        assert len(by_family[f"documents.{name}"]) == per
    assert stats["strategy:wiki_paraphrase:routed_away"] == 24 and "documents.wiki_paraphrase" not in by_family
    qa = by_family["documents.synth_qa"][0]
    assert qa["question"] and qa["answer"] and "Source (" in qa["text"]
    assert qa["provenance"]["backend"] == "copier" and len(qa["provenance"]["prompt_hash"]) == 16
    s = json.loads(qa["structured"])
    assert s["variables"]["focus"] and s["grounding"]["checked"]["answer"] == 1
    assert {json.loads(r["structured"])["variables"]["audience"] for r in by_family["documents.cosmopedia"]} > set()
    assert all(json.loads(r["structured"])["study"] for r in by_family["documents.active_reading"])
    # chunkwise: each part was conditioned on the rewrite so far
    second_parts = [r for r in copier.requests if "The rewrite so far ends with:" in r.messages[-1][1]]
    assert len(second_parts) == 12


def test_a_recipe_folder_overrides_and_adds_prompts(write_recipe, tmp_path, copier):
    folder = tmp_path / "my_prompts"
    folder.mkdir()
    (folder / "distill.j2").write_text("{% block user %}OVERRIDDEN\n\n{{ passage }}\n\n{{ format_hint }}{% endblock %}")
    (folder / "quiz.j2").write_text("{% block user %}A quiz on {{ title }}.\n\n{{ passage }}\n\n"
                                    "{{ format_hint }}{% endblock %}")
    text = RECIPE % "distill: 1, quiz: {count: 1, fields: [question, answer]}"
    path = write_recipe(text.replace("  program: {}\n", "  program: {}\n  prompts: my_prompts\n"))
    with LocalExecutor(1) as ex:
        build(load_recipe(path), tmp_path / "run", ex, recipe_file=path)
    assert sum("OVERRIDDEN" in r.messages[-1][1] for r in copier.requests) == 24
    assert sum(r.messages[-1][1].startswith("A quiz on ") for r in copier.requests) == 24
    families = {r for p in (tmp_path / "run").glob("samples/documents/*.parquet")
                for r in pq.read_table(p, columns=["family"])["family"].to_pylist()}
    assert families == {"documents.distill", "documents.quiz"}


def test_a_custom_strategy_without_its_prompt_file_is_a_located_error(write_recipe):
    from synthcompile.errors import UserError

    path = write_recipe(RECIPE % "quiz: {count: 1, fields: [question, answer]}")
    with pytest.raises(UserError, match=r"recipe.yaml:9: documents.strategies.quiz: custom strategy 'quiz' "
                                        r"needs a prompt file quiz.j2"):
        load_recipe(path)


def test_the_optional_judge_and_embedding_checks(write_recipe, tmp_path, copier):
    """The judge is asked once per output that passed every other check, its verdict recorded; a
    "no" quarantines the output by name. The embedding check (the offline MiniLM) records its
    score, and a threshold no sentence reaches rejects every answer."""

    def run(name: str, grounding: str) -> tuple[dict, list[dict]]:
        text = (RECIPE % "synth_qa: 1").replace("  strategies:", f"  grounding: {grounding}\n  strategies:")
        path = write_recipe(text)
        out = tmp_path / name
        with LocalExecutor(1) as ex:
            build(load_recipe(path), out, ex, recipe_file=path)
        stats = json.loads(next(out.glob("work/documents/completions/*.json")).read_text())["stats"]
        rows = [r for p in sorted(out.glob("samples/documents/*.parquet")) for r in pq.read_table(p).to_pylist()]
        return stats, rows

    stats, rows = run("yes", "{judge: true, embedding: {min_similarity: -1}}")
    assert stats["judge:asked"] == stats["judge:yes"] == stats["strategy:synth_qa:grounded"] == 24
    support = json.loads(rows[0]["structured"])["grounding"]["support"][0]
    assert support["judge"]["passed"] and "copier" in support["judge"]["reason"]
    assert -1 <= support["embedding_score"] <= 1
    copier.judge_says = "no"
    stats, _ = run("no", "{judge: true}")
    assert stats["judge:no"] == 24 and stats.get("strategy:synth_qa:grounded", 0) == 0
    quarantine = json.loads((tmp_path / "no" / "quarantine.json").read_text())["documents"]
    assert "judge" in json.dumps(quarantine["by_reason"])
    stats, _ = run("far", "{embedding: {min_similarity: 0.999}}")
    assert stats.get("strategy:synth_qa:grounded", 0) == 0 and "judge:asked" not in stats
    assert "embedding similarity" in (tmp_path / "far" / "quarantine.json").read_text()
