"""Model-written template banks for a user graph: a template is kept only if it re-parses on
the graph's facts; the kept ones feed a build whose documents still verify.

The model is a stand-in behind a real OpenAI-compatible server on 127.0.0.1 (its own process,
tests/compilers/memory/banks_server.py) that writes good and bad templates on purpose."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from synthcompile.cli import app
from synthcompile.compilers.memory.banks import candidates, check_template
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe
from synthcompile.seeds.fictional import WorldSize, fictional_world

ROOT = Path(__file__).resolve().parents[3]


def test_a_template_must_read_back_on_the_graph():
    g = fictional_world(WorldSize(people=10), 1)
    g = getattr(g, "graph", g)
    rel = g.relations["birth_city"]
    assert check_template(g, rel, "{s} was born in {o}.") is None
    assert check_template(g, rel, "In {o}, {s} was born.") is None
    assert "does not read back" in check_template(g, rel, "{s} {o}.")  # two names side by side: ambiguous
    assert "number" in check_template(g, rel, "{s} was born in {o} in 1990.")
    assert "name" in check_template(g, rel, "{s} was born in Paris near {o}.")
    assert "more than once" in check_template(g, rel, "{s} was born in {o}, in {o}.")
    assert "has no {o}" in check_template(g, rel, "{s} was born.")
    assert candidates("1. {s} x {o}.\n- {s} y {o}.\n\"{s} z {o}.\"\n1. {s} x {o}.") == \
        ["{s} x {o}.", "{s} y {o}.", "{s} z {o}."]


def test_banks_through_the_cli_feed_a_build(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    people = [("ada", "Ada Lovelace"), ("alan", "Alan Turing"), ("grace", "Grace Hopper")]
    cities = [("lon", "London"), ("wil", "Wilmslow"), ("ny", "New York")]
    (data / "entities.jsonl").write_text("".join(json.dumps({"id": i, "name": n, "type": t}) + "\n" for t, group in
                                                 (("person", people), ("city", cities)) for i, n in group))
    (data / "triples.jsonl").write_text("".join(json.dumps({"subject": p, "relation": "place_of_birth", "object": c})
                                                + "\n" for (p, _), (c, _) in zip(people, cities)))
    recipe = tmp_path / "kg.yaml"
    recipe.write_text("name: kg\nseed: 1\nmemory:\n  seed:\n    triples:\n      entities: data/entities.jsonl\n"
                      "      triples: data/triples.jsonl\n  probes: {entity_holdout: 0}\n")
    proc = subprocess.Popen([sys.executable, "-m", "tests.compilers.memory.banks_server"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{proc.stdout.readline().strip()}/v1"
        result = CliRunner().invoke(app, ["banks", str(recipe), "--out", str(data / "relations.jsonl"),
                                          "--backend", "openai", "--url", url, "--model", "stand-in"])
    finally:
        proc.kill()
        proc.wait()
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (data / "relations.jsonl").read_text().splitlines()]
    assert [r["name"] for r in rows] == ["place_of_birth"]
    kept = rows[0]["templates"]
    assert kept == ["{s} was born in {o}.", "{o} is the birthplace of {s}.", "In {o}, {s} was born."]
    recipe.write_text(recipe.read_text().replace("      triples: data/triples.jsonl\n",
                                                 "      triples: data/triples.jsonl\n"
                                                 "      relations: data/relations.jsonl\n"))
    with LocalExecutor(1) as ex:
        run = build(load_recipe(recipe), tmp_path / "run", ex, recipe_file=recipe)
    docs = [r for p in run.stage_shards("memory") for r in pq.read_table(run.root / p).to_pylist()
            if r["family"] == "memory.bio"]
    assert docs and all(r["verdict"]["passed"] for r in docs)
    assert any("is the birthplace of" in r["text"] or "was born in" in r["text"] for r in docs)
