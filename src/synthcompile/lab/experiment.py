"""One lab run end to end: train (with learning-curve probes), probe every probe, plot.

What ``synthcompile lab train`` and every cell of a sweep call. Outputs, beside the trainer's
(see :mod:`synthcompile.lab.train`): ``probe.json`` (the final probe of every probe, per axis),
``switch_on.json`` and ``curves-<axis>.png/.svg`` when learning curves were recorded.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from synthcompile.errors import UserError
from synthcompile.lab import curves, probe
from synthcompile.lab.config import LabConfig, parse_lab_config
from synthcompile.lab.data import Export
from synthcompile.lab.train import TrainProgress, TrainResult, Trainer

CURVE_AXES = ("family", "skill", "split")


@dataclass
class RunOutcome:
    train: TrainResult
    report: probe.ProbeReport | None
    wall_seconds: float


def train_and_probe(config: LabConfig, *, fresh: bool = False, stop_at: int | None = None,
                    progress: TrainProgress | None = None) -> RunOutcome:
    start = time.perf_counter()
    trainer = Trainer(config, fresh=fresh)
    done = finished(trainer.out)
    if done is not None and (trainer.out / "probe.json").is_file():  # nothing left to do
        return RunOutcome(done, probe.ProbeReport.from_json(json.loads((trainer.out / "probe.json").read_text())),
                          json.loads((trainer.out / "result.json").read_text())["wall_seconds"])
    verifiers = probe.Verifiers(config.run)
    probes = trainer.export.probes()
    curve_rows = probe.select(probes, config.probe.include, config.probe.limit)

    def curve_probe(model, step: int, tokens: int) -> None:
        report = probe.run_probes(model, trainer.export, verifiers, curve_rows,
                                  max_new_tokens=config.probe.max_new_tokens,
                                  batch_size=config.probe.batch_size)
        curves.append_point(trainer.out, step, tokens, report.groups)
        if progress:
            progress.note(f"step {step}: probe accuracy {report.accuracy:.1%} on {len(curve_rows)} probes")

    result = trainer.run(stop_at=stop_at, progress=progress,
                         curve_probe=curve_probe if curve_rows and config.probe.every else None)
    report = None
    if result.finished:
        report = evaluate(trainer.out, config=config, export=trainer.export, verifiers=verifiers,
                          model=trainer.model)
        write_curve_plots(trainer.out)
    wall = time.perf_counter() - start
    summary = {"steps": result.steps, "tokens": result.tokens, "train_seconds": result.seconds,
               "tokens_per_s": result.tokens_per_s, "wall_seconds": wall, "final_loss": result.final_loss,
               "eval_loss": result.eval_loss, "finished": result.finished}
    (trainer.out / "result.json").write_text(json.dumps(summary, indent=1) + "\n")
    return RunOutcome(result, report, wall)


def finished(out: Path) -> TrainResult | None:
    """The result of a run that trained to its end (result.json says so), else None."""
    path = Path(out) / "result.json"
    if not path.is_file():
        return None
    r = json.loads(path.read_text())
    if not r["finished"]:
        return None
    return TrainResult(Path(out), r["steps"], r["tokens"], r["train_seconds"], r["final_loss"],
                       r["eval_loss"], True)


def load_config(out: Path) -> LabConfig:
    meta = Path(out) / "lab.json"
    if not meta.is_file():
        raise UserError(f"{out}: not a lab run directory (no lab.json)")
    return parse_lab_config(json.loads(meta.read_text())["config"], file=str(meta))


def evaluate(out: Path, *, model_path: Path | None = None, limit: int | None = None,
             config: LabConfig | None = None, export: Export | None = None,
             verifiers: probe.Verifiers | None = None, model=None) -> probe.ProbeReport:
    """Probe a trained run's model (default: ``out/model``) on every probe; writes probe.json."""
    from synthcompile.lab.models import load_model

    config = config or load_config(out)
    export = export or Export(config.run)
    verifiers = verifiers or probe.Verifiers(config.run)
    if model is None:
        path = Path(model_path) if model_path else Path(out) / "model"
        if not (path / "config.json").is_file():
            raise UserError(f"{path}: no trained model (run `synthcompile lab train` first)")
        model = load_model(path)
    rows = probe.select(export.probes(), config.probe.include, limit)
    if not rows:
        raise UserError(f"{config.run}: no probes match {config.probe.include} (the recipe emits none?)")
    if config.probe.seen:
        rows += probe.select(export.seen_questions(config.phases), config.probe.include, config.probe.seen)
    report = probe.run_probes(model, export, verifiers, rows, max_new_tokens=config.probe.max_new_tokens,
                              batch_size=config.probe.batch_size)
    probe.write_report(report, Path(out) / "probe.json", model=str(model_path or "model"))
    return report


def write_curve_plots(out: Path) -> dict[str, dict]:
    """Plots per axis and the switch-on table (``switch_on.json``); {} without curves."""
    points = curves.load_points(out)
    if len(points) < 2:
        return {}
    table = {}
    for axis in CURVE_AXES:
        curves.plot(points, axis, Path(out) / f"curves-{axis}")
        table[axis] = curves.switch_on_table(points, axis)
    (Path(out) / "switch_on.json").write_text(json.dumps(table, indent=1) + "\n")
    return table
