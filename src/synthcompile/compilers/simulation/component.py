"""The simulation compiler as a component: its section, stage, environment checks, verifier and catalogue."""

from __future__ import annotations

from typing import Any

from synthcompile.compilers.simulation.config import SimulationSection
from synthcompile.components import Component


def _stages(section: SimulationSection, recipe: Any) -> list:
    from synthcompile.compilers.simulation.stage import SimulationStage

    return [SimulationStage(section)]


def _check(section: SimulationSection, file: str, lines: dict, loc: tuple) -> list:
    """Environment names, levels and the template live in the registry and on disk, not in the model."""
    from synthcompile.compilers.simulation import envs
    from synthcompile.errors import RecipeError
    from synthcompile.located import format_loc, line_for, suggest

    problems = []

    def problem(message: str, *at: str) -> None:
        where = loc + at
        problems.append(RecipeError(message, file=file, line=line_for(lines, where), field=format_loc(where)))

    for name, spec in section.specs().items():
        try:
            env_cls = envs.get(name)
        except (KeyError, ImportError, AttributeError, TypeError) as e:
            hint = suggest(name, envs.BUILTIN) or f" (shipped: {', '.join(envs.BUILTIN)}; or package.module:Class)"
            problem(f"unknown environment {name!r}{hint}" if isinstance(e, KeyError) else f"environment {name!r}: {e}",
                    "environments", name)
            continue
        bad = sorted(set(spec.levels or ()) - set(env_cls.levels))
        if bad:
            problem(f"{name} has no level {bad[0]} (levels: {', '.join(map(str, env_cls.levels))})",
                    "environments", name, "levels")
    return problems


def _verifier(recipe: Any):
    """Scores a free-form answer to a simulation task by its final answer (the state cannot be
    judged from text: a closed-loop run executes the model's calls)."""
    import json

    from synthcompile.sample import Verdict

    def score(row: dict, response: str):
        from synthcompile.compilers.simulation.replay import answer_matches

        task = json.loads(row["structured"])["task"]
        if task["answer"] is None:
            return Verdict(False, row["family"], "an action task: its goal is a state, judged in closed loop")
        expected = task["answer"]
        ok = answer_matches(expected, response)
        return Verdict(ok, row["family"], None if ok else f"final answer is not {expected!r}")

    return score


def _catalogue() -> list[tuple[str, str, str, str]]:
    import sys

    from synthcompile.compilers.simulation import envs

    rows = []
    for name in envs.BUILTIN:
        env = envs.get(name)
        tools = env.specs()
        reads = sum(s.kind == "read" for s in tools.values())
        rows.append((f"simulation.{name}", ", ".join(map(str, env.levels)),
                     f"tools: {', '.join(tools)} ({reads} read, {len(tools) - reads} write)",
                     (env.__doc__ or sys.modules[env.__module__].__doc__ or "").strip().split("\n\n")[0]
                     .replace("\n", " ")))
    return rows


def _describe(row: dict) -> list[tuple[str, str]]:
    import json

    data = json.loads(row["structured"])
    task = data["task"]
    calls = " -> ".join(s["name"] for s in data["steps"])
    faults = ", ".join(f"{f['kind']} at call {f['at']}" for f in task["faults"]) or "none"
    return [("task", f"{task['env']} {task['kind']} level {task['level']} world {task['world']}"
                     f"{'  (policy trap)' if task['trap'] else ''}"),
            ("calls", calls), ("faults", faults)]


COMPONENT = Component(
    name="simulation", kind="compiler", config=SimulationSection, stages=_stages, check=_check,
    verifier=_verifier, catalogue=_catalogue, describe=_describe,
    description="tool environments -> expert agent trajectories, each verified by replay")
