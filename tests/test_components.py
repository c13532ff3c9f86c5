"""The component list: a toy compiler registered here, in the test alone, reaches `build`,
`stats`, `inspect`, `list` and the lab's probe scoring without another module changing."""

from __future__ import annotations

import json
import re
from typing import Iterator

import pyarrow as pa
import pytest
from pydantic import Field, PositiveInt
from typer.testing import CliRunner

from synthcompile import components
from synthcompile.answers import final_answer, parse_int
from synthcompile.cli import app
from synthcompile.components import Component
from synthcompile.config import StrictModel
from synthcompile.sample import SAMPLE_SCHEMA, Sample, Verdict, to_table
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream


class ToySection(StrictModel):
    count: PositiveInt = Field(description="sums to compile")


def _score(structured: dict, response: str) -> Verdict:
    got = parse_int(final_answer(response) or "")
    ok = got == structured["a"] + structured["b"]
    return Verdict(ok, "toy.sum/1", None if ok else f"expected {structured['a'] + structured['b']}, got {got}")


class ToyStage(Stage):
    name = "toy"
    schema = SAMPLE_SCHEMA

    def __init__(self, section: ToySection):
        self.section = section

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(self.name, 0, "sums", {"count": self.section.count})]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        samples = []
        for i in range(spec.params["count"]):
            rng = ctx.rng(i)
            a, b = rng.randrange(100), rng.randrange(100)
            structured = {"a": a, "b": b}
            question = f"What is {a} + {b}?"
            text = f"{question}\nAnswer: {a + b}"
            samples.append(Sample(
                text=text, compiler="toy", family="toy.sum", skills=["addition"], difficulty=1,
                split="probe" if i % 4 == 0 else "train", seed_id=f"toy/{i}", form="plain", template="t0",
                question=question, answer=str(a + b), trace=[], structured=structured,
                verdict=_score(structured, text), generator="toy.sum", generator_version="1",
                params_hash="toy", rng_seed=ctx.seed_for(i)))
        ctx.stats["samples"] += len(samples)
        yield to_table(samples)


TOY = Component(
    name="toy", kind="compiler", config=ToySection,
    stages=lambda section, recipe: [ToyStage(section)],
    verifier=lambda recipe: lambda row, response: _score(json.loads(row["structured"]), response),
    catalogue=lambda: [("toy.sum", "1", "count: sums to compile", "adds two numbers")],
    describe=lambda row: [("toy view", f"operands {json.loads(row['structured'])}")],
    description="a toy compiler registered by a test")


@pytest.fixture
def toy():
    components.register(TOY)
    yield TOY
    components.unregister(TOY.name)


def test_a_toy_compiler_reaches_every_command(toy, tmp_path):
    recipe = tmp_path / "toy.yaml"
    recipe.write_text("name: toy\nseed: 4\ntoy:\n  count: 40\n")
    cli = CliRunner()
    out = tmp_path / "run"
    result = cli.invoke(app, ["build", str(recipe), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "toy.sum" in result.output and "40 samples" in result.output.replace(",", "")

    stats = json.loads(cli.invoke(app, ["stats", str(out), "--json"]).output)
    assert stats["stages"] == ["toy"] and stats["families"]["toy.sum"]["samples"] == 40

    shown = cli.invoke(app, ["inspect", str(out), "--family", "sum", "--n", "1"]).output
    assert "toy view" in shown and "operands" in shown

    listed = cli.invoke(app, ["list"]).output
    assert "toy (compiler)" in listed and "adds two numbers" in listed and "logic (compiler)" in listed

    from synthcompile.inspect import iter_samples
    from synthcompile.lab.probe import Verifiers

    verifiers = Verifiers(out)
    row = next(iter_samples(out, split="probe"))
    right = row["answer"]
    assert verifiers.verify(row, f"Answer: {right}").passed
    assert not verifiers.verify(row, f"Answer: {int(right) + 1}").passed


def test_without_the_toy_its_section_is_a_located_error(tmp_path):
    from synthcompile.recipe import RecipeErrors, load_recipe

    recipe = tmp_path / "toy.yaml"
    recipe.write_text("name: toy\nseed: 4\ntoy:\n  count: 40\n")
    with pytest.raises(RecipeErrors) as err:
        load_recipe(recipe)
    assert re.search(r"toy\.yaml:3: .*unknown key 'toy'", str(err.value)), str(err.value)


def test_component_names_are_unique_and_kinds_ordered(toy):
    with pytest.raises(ValueError, match="already registered"):
        components.register(TOY)
    kinds = [c.kind for c in components.components()]
    assert kinds == sorted(kinds, key=components.KIND_ORDER.__getitem__)
    assert [c.name for c in components.compilers()] == ["logic", "memory", "documents", "simulation", "toy"]
