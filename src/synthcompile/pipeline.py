"""Build: recipe -> stages -> executor -> run directory. The library call behind `synthcompile build`."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Iterable, Protocol

from synthcompile import layout
from synthcompile.errors import UserError
from synthcompile.executors import Executor
from synthcompile.located import suggest
from synthcompile.recipe import RecipeBase
from synthcompile.run import RunDir, ShardResult, fingerprint, referenced, stage_digest
from synthcompile.stage import Role, ShardSpec, Stage, Upstream


class Progress(Protocol):
    def stage_started(self, stage: str, total: int, done: int, rebuild: dict[str, int]) -> None: ...
    def shard_done(self, result: ShardResult) -> None: ...


def stages_for(recipe: RecipeBase) -> list[Stage]:
    """The recipe's stages in data-flow order: every component's, compilers first, then curate,
    then export (:mod:`synthcompile.components`).

    Each stage's ``plan`` receives an :class:`Upstream` with every earlier stage's shards.
    """
    stages: list[Stage] = []
    for component, section in recipe.sections():
        stages += component.stages(section, recipe)
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise UserError(f"two stages are named {dup!r}: stage names must be unique in a build")
    return stages


def build(recipe: RecipeBase, out: str | Path, executor: Executor, *, recipe_file: Path | None = None,
          overwrite: bool = False, progress: Progress | None = None, rebuild: Iterable[str] = (),
          gates: bool = True) -> RunDir:
    """Run every stage of ``recipe`` into ``out``; complete shards of an earlier run are kept
    (see :func:`run_stages`). Then the components' gates (:func:`check_gates`), unless
    ``gates`` is false (the CLI runs them itself, after writing the summary and the report)."""
    run = RunDir(out)
    info = {"name": recipe.name, "hash": recipe.content_hash(), "seed": recipe.seed}
    if recipe_file is not None:  # where its relative seed paths point: the run's copy is read from there
        info["dir"] = str(Path(recipe_file).resolve().parent)
    stages = stages_for(recipe)
    _check_rebuild(rebuild, [s.name for s in stages])
    with run.lock():
        run.prepare(info["hash"], recipe_file, overwrite=overwrite)
        run_stages(run, stages, executor, info, progress=progress, rebuild=rebuild)
    if gates:
        check_gates(recipe, run)
    return run


def check_gates(recipe: RecipeBase, run: RunDir) -> None:
    """Let each component fail a finished build (a UserError), e.g. the audit when its flags fail it."""
    for component, section in recipe.sections():
        if component.gate is not None:
            component.gate(run, section)


def run_stages(run: RunDir, stages: list[Stage], executor: Executor, info: dict, *,
               progress: Progress | None = None, rebuild: Iterable[str] = ()) -> RunDir:
    """Run ``stages`` in order into a prepared run directory (``info``: the recipe's name, hash and
    seed, as the manifest records them).

    A shard is kept when its marker's stage version and fingerprint match the plan and the sha256
    of its files match the marker; anything else is rebuilt, and a changed fingerprint carries to
    everything downstream. ``rebuild`` names stages to redo regardless, with all that reads them.
    """
    seed = info["seed"]
    roles = {stage.name: str(stage.role) for stage in stages}
    forced_stages = set(rebuild)
    _check_rebuild(forced_stages, list(roles))
    versions = {stage.name: stage.version for stage in stages}
    published = [s.name for s in stages if s.role == Role.CURATE][-1:]  # the curated corpus
    executor.prepare(stages)
    results: dict[str, list[ShardResult]] = {}
    fingerprints: dict[str, str] = {}  # run-relative file -> fingerprint of the shard that wrote it
    forced: set[str] = set()  # files rebuilt on request: what reads them is rebuilt too
    for stage in stages:
        upstream = Upstream(tuple((name, roles[name], tuple(r.path for r in rs))
                                  for name, rs in results.items()))
        shard_dir = layout.shard_dir(stage.name, stage.role, published=stage.name in published)
        digest = stage_digest(stage)
        specs = [_placed(spec, shard_dir, digest, seed, fingerprints) for spec in stage.plan(upstream)]
        paths = Counter(spec.path for spec in specs)
        if len(paths) != len(specs):  # two shards writing one file would silently lose one of them
            raise RuntimeError(f"stage {stage.name!r} planned two shards at {paths.most_common(1)[0][0]}")
        done: dict[str, ShardResult] = {}
        todo: list[ShardSpec] = []
        why: Counter = Counter()
        forced_here: set[str] = set()
        for spec in specs:
            if stage.name in forced_stages or forced.intersection(referenced(spec, fingerprints)):
                todo.append(spec)
                forced_here.add(spec.name)
                why["asked to rebuild"] += 1
                continue
            result, reason = run.completed(stage, spec)
            if result is None:
                todo.append(spec)
                why[reason] += 1
            else:
                done[spec.name] = result
        if progress:
            progress.stage_started(stage.name, len(specs), len(done), dict(why))
        fresh = executor.run(stage, todo, str(run.root), seed,
                             on_done=progress.shard_done if progress else None)
        by_name = done | {r.name: r for r in fresh}
        results[stage.name] = [by_name[s.name] for s in specs]
        for r in results[stage.name]:
            for path in (r.path, *r.side):
                fingerprints[path] = r.fingerprint
                if r.name in forced_here:
                    forced.add(path)
        run.remove_stale(stage.name, shard_dir, specs)
    run.remove_unplanned(roles)
    run.write_quarantine_summary(roles)
    # Last, and only now: a killed rerun leaves the earlier complete manifest, never a partial one.
    run.write_manifest(info, results, roles, versions)
    return run


def _check_rebuild(names: Iterable[str], stages: list[str]) -> None:
    for name in sorted(set(names) - set(stages)):
        raise UserError(f"--rebuild {name}: no such stage in this recipe{suggest(name, stages)} "
                        f"(stages: {', '.join(stages)})")


def _placed(spec: ShardSpec, shard_dir: str, digest: str, seed: int, fingerprints: dict[str, str]) -> ShardSpec:
    """The spec with its output path and fingerprint, which only the pipeline knows."""
    spec = dataclasses.replace(spec, path=f"{shard_dir}/{spec.name}.parquet", fingerprint="")
    return dataclasses.replace(spec, fingerprint=fingerprint(digest, spec, seed, fingerprints))

