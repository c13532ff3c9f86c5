"""Sweeps: a grid of arms (recipes, with optional data exclusions) x model variants x seeds.

A sweep file holds the training template (every lab config key but name, run, out, seed and
model) and the grid. Each arm's recipe is built once into ``<out>/data/<arm>`` (resumable like
any build); each cell trains into ``<out>/<arm>-<model>-s<seed>`` (resumable like any lab run);
``<out>/compare.html`` puts all cells side by side. Paths are relative to the sweep file.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

from pydantic import Field, ValidationError, field_validator

from synthcompile.errors import UserError
from synthcompile.lab.config import LabConfig, ModelSpec, parse_lab_config
from synthcompile.located import RecipeErrors, errors_from_validation, read_yaml
from synthcompile.config import StrictModel


class Arm(StrictModel):
    name: str
    recipe: str = Field(description="the recipe to build for this arm")
    exclude: list[str] = Field(default_factory=list, description="family patterns left out of every phase")


class NamedModel(ModelSpec):
    name: str


class Sweep(StrictModel):
    name: str
    out: str | None = Field(None, description="default: runs/lab/<name>")
    arms: list[Arm] = Field(min_length=1)
    models: list[NamedModel] = Field(default_factory=lambda: [NamedModel(name="llama-1m")])
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    train: dict[str, Any] = Field(description="lab config keys shared by every cell (phases, train, probe, ...)")

    @field_validator("models", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        """A bare string is a preset: ``- llama-1m`` means ``{name: llama-1m, preset: llama-1m}``."""
        if isinstance(value, list):
            return [{"name": v, "preset": v} if isinstance(v, str) else
                    {"preset": v.get("name"), **v} if isinstance(v, dict) else v for v in value]
        return value

    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs") / "lab" / self.name

    def cells(self) -> list[tuple[Arm, NamedModel, int]]:
        return [(a, m, s) for a in self.arms for m in self.models for s in self.seeds]

    def cell_config(self, arm: Arm, model: NamedModel, seed: int, run: Path) -> LabConfig:
        data = dict(self.train)
        phases = [dict(p) for p in data.get("phases", [])]
        for p in phases:
            p["exclude"] = list(p.get("exclude", [])) + arm.exclude
        data |= {"name": f"{arm.name}-{model.name}-s{seed}", "run": str(run), "seed": seed,
                 "out": str(self.out_dir() / f"{arm.name}-{model.name}-s{seed}"), "phases": phases,
                 "model": model.model_dump(exclude={"name"})}
        return parse_lab_config(data, file=f"sweep {self.name}: arm {arm.name}")


def load_sweep(path: str | Path, out: Path | None = None) -> Sweep:
    path = Path(path)
    data, lines = read_yaml(path, "sweep", "name, arms, models, seeds, train")
    for arm in data.get("arms") or []:
        if isinstance(arm, dict) and isinstance(arm.get("recipe"), str):
            arm["recipe"] = str(path.parent / arm["recipe"])
    if isinstance(data.get("out"), str):
        data["out"] = str(path.parent / data["out"])
    if out is not None:
        data["out"] = str(out)
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as exc:
        raise RecipeErrors(errors_from_validation(exc, model=Sweep, file=str(path),
                                                  lines=lines)) from None
    for arm in sweep.arms:  # check every cell's config before building or training anything
        sweep.cell_config(arm, sweep.models[0], sweep.seeds[0], Path("."))
    return sweep


def build_arm(arm: Arm, out: Path, workers: int) -> Path:
    from synthcompile.executors.local import LocalExecutor
    from synthcompile.pipeline import build
    from synthcompile.recipe import load_recipe

    target = out / "data" / arm.name
    with LocalExecutor(workers) as ex:
        build(load_recipe(arm.recipe), target, ex, recipe_file=Path(arm.recipe), overwrite=True)
    return target


def plan_cells(configs: list[LabConfig], jobs: int | None = None) -> tuple[int, list[LabConfig]]:
    """How many cells train at once, and each cell's config with its share of the cores.

    One cell per core when the cells run on a CPU (two llama-1m cells side by side train 1.18x
    the tokens per second of one on both cores: bench/train.py), each with
    ``cores // jobs`` threads unless its config names them; one at a time on a GPU. Threads
    are not part of a cell's content hash, so a resumed sweep may plan differently.
    """
    from synthcompile.lab.models import cpu_threads, pick_device

    cores = cpu_threads()
    if jobs is None:
        gpu = any(pick_device(c.device).type != "cpu" for c in configs)
        named = max((c.threads for c in configs if c.threads), default=1)
        jobs = 1 if gpu else max(1, min(len(configs), cores // named))
    share = max(1, cores // jobs)
    return jobs, [c if c.threads else c.model_copy(update={"threads": share}) for c in configs]


def run_cell(config: LabConfig, progress=None) -> tuple[str, float | None, float]:
    """Train and probe one cell; retrains from scratch when its data or config changed since an
    earlier run in the same directory (the sweep rebuilds edited recipes). Returns (name,
    probe accuracy, wall seconds)."""
    from synthcompile.lab.data import Export
    from synthcompile.lab.experiment import train_and_probe
    from synthcompile.lab.train import run_hash, stale

    fresh = stale(config.out_dir(), run_hash(config, Export(config.run)))
    outcome = train_and_probe(config, fresh=fresh, progress=progress)
    accuracy = outcome.report.accuracy if outcome.report is not None else None
    return config.name, accuracy, outcome.wall_seconds


def run_sweep(sweep: Sweep, *, workers: int = 1, jobs: int | None = None, arms: list[str] | None = None,
              progress=None, say: Callable[[str], Any] = print) -> Path:
    """Build, train and probe every cell (only ``arms`` when given); cells already finished
    are skipped, interrupted ones resume. ``jobs`` cells train at once, each in its own process
    (default: :func:`plan_cells`); a cell's result depends on its thread count, not on what runs beside it.
    The report covers every finished cell."""
    from synthcompile.lab.compare import write_compare

    out = sweep.out_dir()
    unknown = set(arms or ()) - {a.name for a in sweep.arms}
    if unknown:
        raise UserError(f"no arm named {', '.join(sorted(unknown))} in sweep {sweep.name}")
    chosen = [a for a in sweep.arms if not arms or a.name in arms]
    runs = {arm.name: build_arm(arm, out, workers) for arm in chosen}
    configs = [sweep.cell_config(arm, model, seed, runs[arm.name])
               for arm, model, seed in sweep.cells() if arm.name in runs]
    jobs, configs = plan_cells(configs, jobs)

    def report(name: str, accuracy: float | None, wall: float) -> None:
        if accuracy is not None:
            say(f"{name}: probe accuracy {accuracy:.1%}, wall {wall:,.0f} s")

    if jobs == 1:
        for config in configs:
            say(f"[bold]{config.name}[/]")
            report(*run_cell(config, progress))
    else:
        # Processes, not threads: each cell sets torch's thread count for its whole process.
        # spawn: a clean interpreter per cell (no torch or tokenizer threads inherited by fork).
        say(f"training {len(configs)} cells, {jobs} at a time (logs: {out}/<cell>/log.jsonl)")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            futures = [pool.submit(run_cell, config) for config in configs]
            for future in as_completed(futures):
                report(*future.result())
    cells = [out / f"{a.name}-{m.name}-s{s}" for a, m, s in sweep.cells()]
    done = [c for c in cells if (c / "probe.json").is_file()]
    return write_compare(done, out / "compare.html", title=sweep.name)
