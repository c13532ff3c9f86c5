"""Property-based fuzzing of what reads user input: the recipe loader and the seed-table readers.

Whatever the bytes, the recipe loader returns a recipe or raises a located RecipeError; the
seed readers load what is good and quarantine the rest, every row accounted for. Bounded in CI;
``HYPOTHESIS_PROFILE=long`` (``make fuzz``) runs many more examples.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings, strategies as st  # noqa: E402

from synthcompile.errors import RecipeError  # noqa: E402
from synthcompile.recipe import load_recipe  # noqa: E402
from synthcompile.seeds.tables import load_graph  # noqa: E402

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

KEYS = ["name", "seed", "shard_size", "logic", "memory", "curate", "generators", "family", "count",
        "difficulty", "probes", "forms", "plain", "seed", "fictional", "people", "near", "threshold", "export"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["arithmetic", "all", "1e12", "~", "&a", "*a"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
                      max_leaves=20)


def _load(text: bytes | str):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipe.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            return load_recipe(path)
        except RecipeError as exc:
            assert str(exc).startswith(str(path)), exc  # located: it names the file first
            return None


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_any_recipe_shaped_mapping_loads_or_is_a_located_error(data):
    import yaml

    _load(yaml.safe_dump(data, allow_unicode=True))


@given(st.binary(max_size=400))
def test_any_bytes_load_or_are_a_located_error(raw):
    _load(b"name: fuzz\nlogic:\n  generators:\n    - {family: arithmetic, count: 5}\n" + raw)


@given(st.text(max_size=300))
def test_any_text_loads_or_is_a_located_error(text):
    _load(text)


ROW = st.dictionaries(st.sampled_from(["id", "name", "type", "aliases", "pronoun", "article", "subject",
                                       "relation", "object", "label", "value", "cardinality", "templates"]),
                      VALUES, max_size=5)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(ROW.map(json.dumps), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))),
                max_size=8), st.lists(ROW.map(json.dumps), max_size=8))
@example(entity_lines=["\x1c"], triple_lines=[])  # a line str.strip() calls blank and the reader does not
def test_seed_tables_load_or_quarantine_every_row(entity_lines, triple_lines):
    with tempfile.TemporaryDirectory() as tmp:
        ents, triples = Path(tmp) / "e.jsonl", Path(tmp) / "t.jsonl"
        ents.write_text("".join(line.replace("\n", " ") + "\n" for line in entity_lines), encoding="utf-8")
        triples.write_text("".join(line + "\n" for line in triple_lines), encoding="utf-8")
        result = load_graph(ents, triples)
        # Blank as the reader sees it: ASCII whitespace only (bytes.strip); "\x1c" is a row.
        read = sum(1 for line in entity_lines if line.replace("\n", " ").encode("utf-8").strip())
        bad_entities = sum(1 for b in result.bad if b.file == str(ents))
        assert len(result.graph.entities) + bad_entities == read  # loaded + quarantined = input
