"""`synthcompile lab ...`: train, eval, curves, sweep, compare, models (a thin front)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(no_args_is_help=True, help="Train small models on compiled corpora and probe their skills.")
out = Console()
err = Console(stderr=True)

OutArg = Annotated[Path, typer.Argument(help="a lab output directory (written by `lab train`)")]


class RichProgress:
    """Steps, loss and tokens/s on a rich bar; notes printed above it."""

    def __init__(self, progress: Progress):
        self.progress, self.task, self.rate = progress, None, 0.0

    def start(self, total: int, done: int, info: dict) -> None:
        phases = ", ".join(f"{p['name']}: {p['steps']:,} steps ({p['epochs']} epochs of {p['documents']:,} docs)"
                           for p in info["phases"])
        self.progress.console.print(
            f"[bold]{info['model_type']}[/] {info['parameters']:,} parameters "
            f"({info['non_embedding_parameters']:,} without embeddings), vocabulary {info['vocab_size']:,}; "
            f"{info['tokens_per_step']:,} tokens/step on {info['device']} with {info['threads']} thread(s)\n{phases}",
            highlight=False)
        if done:
            self.progress.console.print(f"[dim]resuming at step {done:,}")
        self.task = self.progress.add_task("train", total=total, completed=done, loss=float("nan"), rate=0.0)

    def step(self, step: int, loss: float, tokens_per_s: float) -> None:
        self.rate = tokens_per_s if not self.rate else 0.95 * self.rate + 0.05 * tokens_per_s
        self.progress.update(self.task, completed=step, loss=loss, rate=self.rate)

    def note(self, message: str) -> None:
        self.progress.console.print(f"[dim]{message}", highlight=False)


def _bar() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.4f}"), TextColumn("{task.fields[rate]:,.0f} tok/s"),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err)


def print_report(report: dict, axes=("family", "split", "type")) -> None:
    for axis in axes:
        groups = report["groups"].get(axis, {})
        if not groups:
            continue
        table = Table(title=f"probe accuracy by {axis}", title_justify="left")
        for col, justify in ((axis, "left"), ("probes", "right"), ("accuracy", "right"),
                             ("majority guess", "right")):
            table.add_column(col, justify=justify)
        for key, g in groups.items():
            table.add_row(key, f"{g['n']:,}", f"{g['accuracy']:.1%}", f"{g['baseline']:.1%}")
        out.print(table)
    out.print(f"[bold]all probes: {report['accuracy']:.1%}[/] of {report['probes']:,}")


@app.command()
def train(
    config: Annotated[Path, typer.Argument(help="lab config YAML (docs/lab.md)")],
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="output directory (default: the config's)")] = None,
    seed: Annotated[Optional[int], typer.Option(help="override the config's seed")] = None,
    fresh: Annotated[bool, typer.Option(help="discard an earlier run in the output directory")] = False,
    stop_at: Annotated[Optional[int], typer.Option(help="stop at this step (resume later)")] = None,
):
    """Train (or resume) the model of CONFIG, then probe every probe with the compilers' verifiers."""
    from synthcompile.lab.config import load_lab_config
    from synthcompile.lab.experiment import train_and_probe

    cfg = load_lab_config(config, out=out_dir.resolve() if out_dir else None, seed=seed)
    with _bar() as bar:
        outcome = train_and_probe(cfg, fresh=fresh, stop_at=stop_at, progress=RichProgress(bar))
    r = outcome.train
    out.print(f"{r.steps:,} steps, {r.tokens:,} tokens, {r.tokens_per_s:,.0f} tokens/s in training steps; "
              f"wall {outcome.wall_seconds:,.0f} s", highlight=False)
    if outcome.report is not None:
        print_report(outcome.report.to_json())
    out.print(f"[bold green]done[/]: {r.out.resolve()}")


@app.command("eval")
def eval_(
    run: OutArg,
    model: Annotated[Optional[Path], typer.Option(help="a checkpoint or model directory (default: RUN/model)")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="probes per family (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON report")] = False,
):
    """Greedy answers to every probe, scored by the compilers' own verifiers (writes RUN/probe.json)."""
    import json
    import sys

    from synthcompile.lab.experiment import evaluate

    report = evaluate(run, model_path=model, limit=limit).to_json()
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    else:
        print_report(report)


@app.command()
def curves(run: OutArg):
    """Plot the learning curves of RUN and report when each skill switched on."""
    from synthcompile.lab.experiment import write_curve_plots

    table = write_curve_plots(run)
    if not table:
        out.print("no learning curves: set probe.every in the config")
        return
    for axis, rows in table.items():
        t = Table(title=f"switch-on by {axis} (sigmoid fit crossing 50%)", title_justify="left")
        for col in (axis, "switch-on step", "final accuracy", "max accuracy"):
            t.add_column(col)
        for key, row in rows.items():
            s = row["switch_on_step"]
            t.add_row(key, "-" if s is None else f"{s:,.0f}", f"{row['final_accuracy']:.1%}",
                      f"{row['max_accuracy']:.1%}")
        out.print(t)
    out.print(f"plots: {run.resolve()}/curves-*.png")


@app.command()
def sweep(
    config: Annotated[Path, typer.Argument(help="sweep YAML: arms (recipes) x models x seeds")],
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="default: the sweep's")] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="workers for building the recipes "
                                                              "(default: all cores)")] = None,
    jobs: Annotated[Optional[int], typer.Option(min=1, help="cells trained at once, one process each "
                                                           "(default: as many as the cores hold)")] = None,
    arm: Annotated[Optional[list[str]], typer.Option(help="run only this arm (repeatable); "
                                                          "the report covers every finished cell")] = None,
):
    """Build each arm's recipe, train every cell of the grid, probe, and write compare.html."""
    import os

    from synthcompile.lab.sweep import load_sweep, run_sweep

    spec = load_sweep(config, out=out_dir)
    with _bar() as bar:
        html = run_sweep(spec, workers=workers or os.cpu_count() or 1, jobs=jobs, arms=arm,
                         progress=RichProgress(bar), say=out.print)
    out.print(f"[bold green]done[/]: {html.resolve()}")


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="lab output directories")],
    out_file: Annotated[Path, typer.Option("--out", help="HTML report")] = Path("compare.html"),
):
    """A self-contained side-by-side HTML report (tables and plots) of lab runs."""
    from synthcompile.lab.compare import write_compare

    out.print(str(write_compare(runs, out_file).resolve()))


@app.command()
def models():
    """The named model variants (any transformers model_type can replace a variant's)."""
    from synthcompile.lab.models import VARIANTS

    table = Table()
    for col in ("variant", "model_type", "config", "description"):
        table.add_column(col)
    for name, v in VARIANTS.items():
        table.add_row(name, v.model_type, ", ".join(f"{k}={x}" for k, x in v.config.items()), v.description)
    out.print(table)
