"""Build: recipe -> stages -> executor -> run directory. The library call behind `synthcompile build`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from synthcompile.executors import Executor
from synthcompile.recipe import Recipe
from synthcompile.run import RunDir, ShardResult
from synthcompile.stage import Stage, Upstream


class Progress(Protocol):
    def stage_started(self, stage: str, total: int, done: int) -> None: ...
    def shard_done(self, result: ShardResult) -> None: ...


def stages_for(recipe: Recipe) -> list[Stage]:
    """The recipe's stages in data-flow order: compile stages, then curate, then export.

    Each stage's ``plan`` receives an :class:`Upstream` with every earlier stage's shards.
    """
    # Imported here, not at module level: each pulls in its own libraries (sympy, scipy, ...).
    from synthcompile.compilers.logic.stage import LogicStage
    from synthcompile.compilers.memory.stage import MemoryStage
    from synthcompile.curate import curate_stages
    from synthcompile.export.stages import export_stages

    stages: list[Stage] = []
    if recipe.logic:
        stages.append(LogicStage(recipe.logic, recipe.shard_size))
    if recipe.memory:
        stages.append(MemoryStage(recipe.memory, recipe.seed))
    stages += curate_stages(recipe.curate)  # filters over the compiled samples, in axis order
    stages += export_stages(recipe)  # last: they read the curated sample stream
    return stages


def build(recipe: Recipe, out: str | Path, executor: Executor, *, recipe_file: Path | None = None,
          overwrite: bool = False, progress: Progress | None = None) -> RunDir:
    """Run every stage of ``recipe`` into ``out``; complete shards of an earlier run are kept."""
    run = RunDir(out)
    info = {"name": recipe.name, "hash": recipe.content_hash(), "seed": recipe.seed}
    run.prepare(info["hash"], recipe_file, overwrite=overwrite)
    results: dict[str, list[ShardResult]] = {}
    stages = stages_for(recipe)
    roles = {stage.name: stage.role for stage in stages}
    run.write_manifest(info, results, roles)
    for stage in stages:
        upstream = Upstream(tuple((name, roles[name], tuple(r.path for r in rs))
                                  for name, rs in results.items()))
        specs = stage.plan(upstream)
        done = {s.name: r for s in specs if (r := run.completed(stage.name, s)) is not None}
        todo = [s for s in specs if s.name not in done]
        if progress:
            progress.stage_started(stage.name, len(specs), len(done))
        fresh = executor.run(stage, todo, str(run.root), recipe.seed,
                             on_done=progress.shard_done if progress else None)
        by_name = done | {r.name: r for r in fresh}
        results[stage.name] = [by_name[s.name] for s in specs]
        run.write_manifest(info, results, roles)
    return run
