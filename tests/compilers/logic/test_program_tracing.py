"""program_tracing: the trace comes from executing the program, verification runs it in the
sandbox, and a misbehaving program becomes a failed sample, never a failed build.

The generic checks (500 samples per level pass, corruptions fail) are in test_families.py.
"""

from __future__ import annotations

import json
import random

import pyarrow.parquet as pq
import pytest

from synthcompile import worker
from synthcompile.compilers.logic import registry
from synthcompile.compilers.logic.families.program_tracing import ProgramTracing
from synthcompile.compilers.logic.pytrace import TooBig, Tracer
from synthcompile.executors.local import LocalExecutor
from synthcompile.pipeline import build
from synthcompile.compilers.logic.config import GeneratorSpec, LogicSection
from synthcompile.recipe import Recipe
from synthcompile.sandbox import Limits

QUICK = Limits(wall_s=0.5, cpu_s=10.0, grace_s=0.5, memory_mb=256)


class QuickTracing(ProgramTracing):
    """The real family with shorter sandbox limits, so hostile programs fail quickly."""

    sandbox_limits = QUICK


@pytest.fixture
def family():
    fam = QuickTracing.make(3)
    yield fam
    worker.teardown()  # what a worker does on exit


def test_trace_is_the_execution_line_by_line():
    source = "x = 3\nfor i in range(2):\n    x += i * 2\nif x > 4:\n    print(x)\nelse:\n    print(0)"
    run = Tracer().run(source)
    assert run.output == ["5"]
    assert run.trace == [
        "line 1: x = 3",
        "line 2: for i in range(2) → i = 0",
        "line 3: x += i * 2 → x = 3 + 0 * 2 = 3",
        "line 2: for i in range(2) → i = 1",
        "line 3: x += i * 2 → x = 3 + 1 * 2 = 5",
        "line 2: for i in range(2) → range exhausted, the loop ends",
        "line 4: if x > 4 → 5 > 4 is True, take the branch",
        "line 5: print(x) → prints 5",
    ]


def test_tracer_follows_functions_and_lists():
    source = ("def f(p, q):\n    return p * 2 - q\nxs = [1, 2]\nxs.append(f(xs[1], 3))\n"
              "xs[0] = len(xs) + sum(xs)\nprint(xs)")
    run = Tracer().run(source)
    assert run.output == ["[7, 2, 1]"]
    assert "line 2: return p * 2 - q → 2 * 2 - 3 = 1" in run.trace
    assert "line 5: xs[0] = len(xs) + sum(xs) → xs = [7, 2, 1]" in run.trace


def test_tracer_refuses_what_it_does_not_model():
    with pytest.raises(ValueError, match="unsupported"):
        Tracer().run("print('a' if True else 'b')")
    with pytest.raises(TooBig):
        Tracer(max_steps=50).run("n = 0\nwhile n < 1000:\n    n += 1")
    with pytest.raises(TooBig):
        Tracer().run("x = 2\nfor i in range(40):\n    x = x * 3")


def test_interpreter_agrees_with_cpython_on_many_programs():
    """The trace's output is what the real interpreter prints (the sandbox runs the source)."""
    for level in ProgramTracing.levels:
        fam = QuickTracing.make(level)
        try:
            for i in range(60):
                problem = fam.generate(random.Random(f"agree/{level}/{i}"))
                real = fam.sandbox().run(problem.data["source"])
                assert real.ok, real.error
                assert real.stdout.rstrip("\n") == problem.answer_text
                assert problem.trace[-1] == f"output: {' / '.join(problem.answer_text.splitlines())}"
        finally:
            worker.teardown()  # what a worker does on exit


def test_levels_use_their_features():
    def sources(level: int) -> str:
        fam = ProgramTracing.make(level)
        return "\n".join(fam.generate(random.Random(f"f/{level}/{i}")).data["source"] for i in range(80))

    easy, hard = sources(1), sources(5)
    for keyword in ("if ", "for ", "while ", "def ", "["):
        assert keyword not in easy
        assert keyword in hard


def test_verify_scores_free_form_answers(family):
    problems = (family.generate(random.Random(i)) for i in range(500))
    problem = next(p for p in problems
                   if len(lines := p.answer_text.splitlines()) == 2 and lines[0] != lines[1])
    first, second = problem.answer_text.splitlines()
    data = json.loads(json.dumps(problem.data))
    assert family.verify(data, f"<think>\nlet me trace\n</think>\nAnswer:\n{first}\n{second}").passed
    assert family.verify(data, f"{first}  \n\n  {second}\n").passed  # whitespace is normalised
    assert not family.verify(data, f"Answer: {second}\n{first}").passed  # order matters
    assert not family.verify(data, f"Answer: {first} {second}").passed  # two lines, not one
    assert not family.verify(data, "I am not sure.").passed


def test_verify_rejects_a_stored_output_the_program_does_not_print(family):
    problem = family.generate(random.Random(7))
    data = {**problem.data, "output": problem.answer_text + "0"}
    verdict = family.verify(data, data["output"])
    assert not verdict.passed and "not the real output" in verdict.reason


@pytest.mark.parametrize(("source", "reason"), [
    ("x = 1\nwhile True:\n    x += 1\nprint(x)", "timeout"),
    ("x = bytearray(10 * 1024**3)\nprint(1)", "memory limit"),
    ("import socket\nsocket.socket().connect(('127.0.0.1', 9))\nprint(1)", "blocked: socket.__new__"),
    ("import os\nos.system('true')\nprint(1)", "blocked: os.system"),
])
def test_a_hostile_program_fails_verification_with_its_reason(family, source, reason):
    verdict = family.verify({"source": source, "output": "1"}, "1")
    assert not verdict.passed
    assert verdict.reason == f"program failed in the sandbox: {reason}"
    good = family.generate(random.Random(1))
    assert family.verify(good.data, good.answer_text).passed  # the family carries on


class HostileTracing(QuickTracing):
    """Generates the real family's programs, except that a few calls return hostile ones.

    Defined here, not in shipped code: the build exercises the real stage and the real sandbox.
    """

    name = "hostile_tracing"

    def __init__(self, config):
        super().__init__(config)
        self.calls = 0

    def generate(self, rng):
        problem = super().generate(rng)
        hostile = HOSTILE.get(self.calls)
        self.calls += 1
        if hostile is not None:
            source = hostile.format(target=str(self.target))
            problem.fields["program"] = problem.data["source"] = source
        return problem


HOSTILE = {
    1: "while True:\n    pass",
    3: "x = bytearray(10 * 1024**3)",
    4: "open({target!r}, 'w').write('pwned')\nprint(1)",
    6: "import socket\nsocket.socket()\nprint(1)",
}
REASONS = {1: "timeout", 3: "memory limit", 4: "blocked: write outside the sandbox directory",
           6: "blocked: socket.__new__"}


def test_a_build_with_misbehaving_programs_completes_and_records_them(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.families(), HostileTracing.name, HostileTracing)
    monkeypatch.setattr(HostileTracing, "target", tmp_path / "outside.txt", raising=False)
    recipe = Recipe(name="hostile", seed=3, shard_size=100, logic=LogicSection(
        generators=[GeneratorSpec(family=HostileTracing.name, count=9, difficulty=[3])]))
    with LocalExecutor(1) as executor:
        run = build(recipe, tmp_path / "run", executor)

    (shard,) = run.stage_shards("logic")
    rows = pq.read_table(run.root / shard).to_pylist()
    assert len(rows) == 9
    for i, row in enumerate(rows):
        verdict = row["verdict"]
        if i in REASONS:
            assert not verdict["passed"], row["structured"]
            assert verdict["reason"] == f"program failed in the sandbox: {REASONS[i]}"
        else:
            assert verdict["passed"], verdict["reason"]
    assert not (tmp_path / "outside.txt").exists()
    assert json.loads(run.manifest_path.read_text())["stages"]["logic"]["shards"]


def test_a_cpu_bound_program_is_stopped_by_cpu_time_not_the_wall_clock():
    class CpuLimited(ProgramTracing):
        sandbox_limits = Limits(wall_s=60.0, cpu_s=0.3, memory_mb=256)

    fam = CpuLimited.make(1)
    try:
        verdict = fam.verify({"source": "x = 0\nwhile True:\n    x += 1", "output": "1"}, "1")
        assert verdict.reason == "program failed in the sandbox: cpu time limit"
        verdict = fam.verify({"source": "sum(range(10**15))", "output": "1"}, "1")  # in C code
        assert verdict.reason == "program failed in the sandbox: cpu time limit"
    finally:
        worker.teardown()  # what a worker does on exit


def test_a_wall_clock_timeout_is_retried_once_and_never_cached(family):
    import time

    start = time.monotonic()
    verdict = family.verify({"source": "import time\ntime.sleep(30)", "output": "1"}, "1")
    assert verdict.reason == "program failed in the sandbox: timeout"
    assert time.monotonic() - start >= 2 * QUICK.wall_s  # run twice, not cached in between
    assert "import time\ntime.sleep(30)" not in family.sandbox()._cache


def test_a_generator_that_gives_up_is_quarantined_and_the_build_goes_on(tmp_path, monkeypatch):
    from synthcompile.compilers.logic.families import program_tracing

    monkeypatch.setattr(program_tracing, "Tracer", lambda: Tracer(max_steps=1))  # nothing fits
    recipe = Recipe(name="gives-up", seed=3, shard_size=100, logic=LogicSection(generators=[
        GeneratorSpec(family="program_tracing", count=3, difficulty=[1]),
        GeneratorSpec(family="arithmetic", count=2, difficulty=[1])]))
    with LocalExecutor(1) as executor:
        run = build(recipe, tmp_path / "run", executor)

    manifest = json.loads(run.manifest_path.read_text())["stages"]["logic"]
    assert manifest["quarantined"] == 3 and manifest["rows"] == 2
    quarantine = next((run.root / "work" / "logic" / "quarantine").glob("program_tracing-train-*.jsonl"))
    lines = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert [q["record"]["index"] for q in lines] == [0, 1, 2]
    assert all(q["reason"].startswith("generation failed: program_tracing: no program within the step budget")
               for q in lines)
    marker = next((run.root / "work" / "logic" / "completions").glob("program_tracing-train-*.json"))
    assert json.loads(marker.read_text())["stats"]["quarantined:generation failed"] == 3


def test_a_verdict_passed_without_a_kernel_layer_says_so(tmp_path, monkeypatch):
    import warnings

    import synthcompile.sandbox.runner as sandbox

    fake = tmp_path / "confine.py"  # this machine as if its kernel had no Landlock
    fake.write_text(sandbox.CONFINE_SCRIPT.read_text() + "\n\ndef landlock_abi():\n    return 0\n")
    monkeypatch.setattr(sandbox, "CONFINE_SCRIPT", fake)
    fam = QuickTracing.make(1)
    try:
        problem = fam.generate(random.Random(2))
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            verdict = fam.verify(problem.data, problem.answer_text)
        assert verdict.passed and verdict.reason.startswith("sandbox without: landlock")
    finally:
        worker.teardown()  # what a worker does on exit
