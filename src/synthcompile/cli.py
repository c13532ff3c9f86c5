"""The command line: a thin typer front over the library (pipeline, run, stats, registry)."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from synthcompile.errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Compile seeds into verified synthetic pretraining corpora.")
out = Console()
err = Console(stderr=True)

RunArg = Annotated[Path, typer.Argument(help="a run directory written by `synthcompile build`")]


class BuildProgress:
    """Rich progress bar over shards, one task per stage."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task = None

    def stage_started(self, stage: str, total: int, done: int, rebuild: dict[str, int]) -> None:
        self.task = self.progress.add_task(f"{stage}", total=total, completed=done)
        if done:
            self.progress.console.print(f"[dim]{stage}: resuming, {done}/{total} shards already complete")
        redo = {why: n for why, n in rebuild.items() if why != "not built"}
        if redo:
            said = ", ".join(f"{n} {why}" for why, n in sorted(redo.items()))
            self.progress.console.print(f"[yellow]{stage}: rebuilding {sum(redo.values())} shard(s): {said}")

    def shard_done(self, result) -> None:
        self.progress.advance(self.task)


@app.command()
def build(
    recipe: Annotated[Path, typer.Argument(help="recipe YAML file")],
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", help="run directory (default: runs/<recipe name>)")
    ] = None,
    workers: Annotated[
        Optional[int], typer.Option(min=1, help="parallel workers (default: the recipe's, else all cores)")
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="override the recipe seed")] = None,
    executor: Annotated[Optional[str], typer.Option(help="local or ray (default: the recipe's)")] = None,
    address: Annotated[
        Optional[str],
        typer.Option(help="Ray cluster address, e.g. HEAD:6379 (default: the recipe's, else a local instance)"),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="build into a run of a different recipe (its shards are "
                                                  "reused only where their fingerprints still match)")] = False,
    rebuild: Annotated[Optional[list[str]], typer.Option(
        "--rebuild", help="redo this stage (and what reads it) even where its shards check out; repeatable")] = None,
):
    """Compile RECIPE into a run directory of verified Parquet shards; resumes an interrupted build."""
    from synthcompile.executors import make_executor
    from synthcompile.pipeline import build as run_build
    from synthcompile.pipeline import check_gates
    from synthcompile.recipe import load_recipe
    from synthcompile.stats import compute_stats

    r = load_recipe(recipe, seed=seed)
    target = out_dir or Path("runs") / r.name
    kind = executor or r.executor.kind
    if address and kind != "ray":
        raise UserError("--address is a Ray cluster address: add --executor ray")
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("shards"), TimeElapsedColumn())
    with make_executor(kind, workers or r.executor.workers, address or r.executor.address) as ex, \
            Progress(*columns, console=err, transient=False) as bar:
        run = run_build(r, target, ex, recipe_file=recipe, overwrite=overwrite,
                        progress=BuildProgress(bar), rebuild=rebuild or (), gates=False)
    _print_stats(compute_stats(run))
    _print_quarantine(run)
    out.print(f"\n[bold green]done[/]: {run.root.resolve()}  (manifest: {run.manifest_path})")
    from synthcompile.report.html import write_report

    out.print(f"report: {write_report(run).resolve()}")
    check_gates(r, run)  # after the summary and the report, so a failed build can be read


@app.command()
def report(
    run: RunArg, out_file: Annotated[Optional[Path], typer.Option("--out", help="default: RUN/report.html")] = None
):
    """Write a self-contained HTML report (plots inline) of a run and print its path."""
    from synthcompile.report.html import write_report
    from synthcompile.run import RunDir

    out.print(str(write_report(RunDir(run), out_file).resolve()))


@app.command()
def stats(run: RunArg, as_json: Annotated[bool, typer.Option("--json", help="machine-readable JSON")] = False):
    """Counts, tokens and verification pass rate per family and difficulty."""
    from synthcompile.run import RunDir
    from synthcompile.stats import compute_stats

    data = compute_stats(RunDir(run))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        _print_stats(data)
        _print_quarantine(RunDir(run))


def _print_quarantine(run, examples: int = 0) -> None:
    """Bad inputs the build set aside (quarantine.json), per stage, with the top reasons (and
    the first ``examples`` records of each reason)."""
    from synthcompile import layout
    from synthcompile.stats import quarantined

    for stage, entry in quarantined(run).items():
        reasons = ", ".join(f"{r['count']:,} {r['reason']}" for r in entry["by_reason"][:3])
        out.print(f"[yellow]{stage}: {entry['total']:,} bad inputs quarantined[/] ({reasons}; "
                  f"{run.root / layout.QUARANTINE})", highlight=False)
        for r in entry["by_reason"] if examples else ():
            for rec in r["examples"][:examples]:
                where = f"{rec.get('file', '')}:{rec.get('line', '')}" if rec.get("file") else ""
                record = json.dumps(rec.get("record"), default=str)[:200]
                out.print(f"  {where} {rec.get('reason', r['reason'])}: {record}", highlight=False, markup=False)


def _print_stats(data: dict) -> None:
    from synthcompile.stats import binned_histogram

    table = Table(title=f"{' + '.join(data['stages'])}: {data['samples']:,} samples, {data['tokens']:,} tokens",
                  title_justify="left")
    for col, justify in (("family", "left"), ("difficulty", "right"), ("samples", "right"),
                         ("verified", "right"), ("pass rate", "right"), ("tokens", "right")):
        table.add_column(col, justify=justify)
    for name, fam in data["families"].items():
        levels = fam["by_difficulty"]
        for i, (level, b) in enumerate(levels.items()):
            table.add_row(name if i == 0 else "", level, f"{b['samples']:,}", f"{b['verified']:,}",
                          f"{b['pass_rate']:.2%}", f"{b['tokens']:,}")
        table.add_row("", "[bold]all", f"[bold]{fam['samples']:,}", f"{fam['verified']:,}",
                      f"{fam['pass_rate']:.2%}", f"{fam['tokens']:,}", end_section=True)
    table.add_row("[bold]total", "", f"[bold]{data['samples']:,}", f"[bold]{data['verified']:,}",
                  f"[bold]{data['pass_rate']:.2%}" if data["samples"] else "-", f"[bold]{data['tokens']:,}")
    out.print(table)
    audit = data.get("audit")
    if audit is not None:
        flags = audit["flagged"]
        colour = "yellow" if flags else "green"
        out.print(f"[{colour}]shortcut audit: {len(flags)} of {audit['groups']} groups flagged[/]")
        for f in flags[:10]:
            kind = f" {f['kind']}" if f["kind"] else ""
            out.print(f"  [yellow]{f['family']} d{f['difficulty']}{kind}[/]: {f['reason']}", highlight=False)
        if len(flags) > 10:
            out.print(f"  ... {len(flags) - 10} more (stats --json, report.html)")
    for gen, found in (data.get("search") or {}).items():
        out.print(f"search {gen}: {found['kept']:,} kept of {found['drawn']:,} drawn ({found['below']:,} below the "
                  f"band, {found['above']:,} above, {found['duplicate']:,} isomorphic copies)", highlight=False)
        out.print("  cost histogram: " + binned_histogram(found["histogram"]), highlight=False)
    if len(data["stream"]) > 1:
        said = {"compile": "compiled", "transform": "rewritten", "curate": "kept"}
        out.print("samples: " + " -> ".join(f"{s['stage']} {s['rows']:,} {said[s['role']]}" for s in data["stream"]))


@app.command()
def inspect(
    run: RunArg,
    family: Annotated[Optional[str], typer.Option(help="only this family (logic.arithmetic or arithmetic)")] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="how many samples")] = 3,
    split: Annotated[Optional[str], typer.Option(help="train or probe")] = None,
    failed: Annotated[bool, typer.Option(help="only samples that failed verification")] = False,
):
    """Pretty-print samples with their structure, trace and verdict."""
    from synthcompile.inspect import iter_samples

    if family is not None:
        family = _resolve_family(run, family)
    shown = 0
    for row in iter_samples(run, family=family, split=split, failed=failed, limit=n):
        verdict = row["verdict"]
        mark = "[green]✓ verified" if verdict["passed"] else f"[red]✗ {verdict['reason']}"
        meta = (f"[bold]{row['family']}[/]  difficulty {row['difficulty']}  form {row['form']}  "
                f"template {row['template']}  split {row['split']}\n{mark}[/] by {verdict['verifier']}"
                f"  id {row['id']}")
        trace = "\n".join(f"  {i + 1}. {step}" for i, step in enumerate(row["trace"]))
        # Documents (e.g. memory.bio) have no question, trace or answer: show only what exists.
        parts = [meta] + [part for part, present in (
            (f"[bold]question[/]\n{row['question']}", row["question"]), (f"[bold]trace[/]\n{trace}", trace),
            (f"[bold]answer[/] {row['answer']}", row["answer"])) if present]
        parts += [f"[bold]{title}[/]\n{text}" for title, text in _describe(row)]
        body = "\n\n".join(parts + [f"[bold]text as trained on[/]\n{row['text']}"])
        out.print(Panel(body, title=row["seed_id"], title_align="left", highlight=False))
        shown += 1
    if failed:  # what never became a sample: bad inputs, with their first examples
        from synthcompile.run import RunDir
        from synthcompile.stats import quarantined

        _print_quarantine(RunDir(run), examples=n)
        shown += bool(quarantined(RunDir(run)))
    if not shown:
        raise UserError(f"no samples match in {run}")


def _describe(row: dict) -> list[tuple[str, str]]:
    """What the sample's compiler adds to `inspect` (its `describe` hook), if it has one."""
    from synthcompile import components

    try:
        hook = components.get(row["compiler"]).describe
    except KeyError:
        return []
    return hook(row) if hook else []


def _resolve_family(run: Path, family: str) -> str:
    """A family as the run names it: ``arithmetic`` is ``logic.arithmetic`` when that is the
    only family of the run with that name; anything else is a user error with a suggestion."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from synthcompile.inspect import sample_stages
    from synthcompile.located import suggest
    from synthcompile.run import RunDir

    rundir = RunDir(run)
    names: set[str] = set()
    for stage in sample_stages(rundir):
        for rel in rundir.stage_shards(stage):
            names.update(pc.unique(pq.read_table(rundir.root / rel, columns=["family"])["family"]).to_pylist())
    if family in names:
        return family
    short = [name for name in names if name.split(".", 1)[-1] == family]
    if len(short) == 1:
        return short[0]
    hint = (f" (did you mean {' or '.join(map(repr, sorted(short)))}?)" if short
            else suggest(family, names) or suggest(family, {n.split(".", 1)[-1] for n in names}))
    raise UserError(f"no family {family!r} in {run}{hint}")


@app.command()
def flywheel(
    recipe: Annotated[Path, typer.Argument(help="a recipe with a simulation section and its model: policy")],
    out_dir: Annotated[Path, typer.Option("--out", help="where the round's report, plan and LLM cache go")],
    tasks: Annotated[int, typer.Option(min=1, help="tasks per environment x level")] = 10,
    attempts: Annotated[Optional[int], typer.Option(min=1, help="tries per task (default: the model's)")] = None,
    budget: Annotated[int, typer.Option(min=1, help="expert episodes in the targeted plan")] = 2000,
    harder: Annotated[bool, typer.Option(help="attempt harder variants (all distractors, one more fault)")] = False,
    lab_model: Annotated[Optional[Path], typer.Option(
        help="a model trained by the lab (`lab train`'s OUT/model) as the policy, in closed loop")] = None,
):
    """One flywheel round: a policy (the recipe's model, or a lab model) attempts fresh tasks; pass
    rates per environment x level, failures by cause, and a targeted recipe for the next round
    (docs/simulation.md)."""
    import yaml

    from synthcompile.compilers.simulation import envs
    from synthcompile.compilers.simulation.flywheel import flywheel_tasks, plan_next, run_round
    from synthcompile.compilers.simulation.model_policy import ModelPolicy
    from synthcompile.llm.client import LLM
    from synthcompile.recipe import load_recipe

    r = load_recipe(recipe)
    sim = r.simulation
    if sim is None or (sim.model is None and lab_model is None):
        raise UserError(f"{recipe}: flywheel needs a simulation section with a model: block, or --lab-model")
    out_dir.mkdir(parents=True, exist_ok=True)
    levels, todo = {}, []
    for name, spec in sim.specs().items():
        levels[name] = spec.levels or list(envs.get(name).levels)
        todo += flywheel_tasks(name, levels[name], tasks, r.seed, sim.faults.per_level, harder)
    llm = None
    if lab_model is not None:  # greedy: one attempt says all
        from synthcompile.compilers.simulation.lab_policy import LabPolicy

        policy, k, lanes, who = LabPolicy(lab_model), 1, 1, f"the lab model {lab_model}"
    else:
        llm = LLM(sim.model.llm, out_dir / "llm-cache.sqlite")
        policies = {name: ModelPolicy(llm, envs.get(name), tool_format=sim.model.tool_format,
                                      max_tokens=sim.model.max_tokens, temperature=sim.model.temperature,
                                      max_turns=sim.model.max_turns)
                    for name in levels}

        class ByEnv:  # one policy per environment, behind one interface
            async def episode(self, task, tools, seed, user=None):
                return await policies[task.env].episode(task, tools, seed, user)

        policy, k, lanes = ByEnv(), attempts or sim.model.attempts, sim.model.llm.concurrency
        who = f"{llm.name} {llm.model}"
    err.print(f"[dim]{len(todo)} tasks x {k} attempts by {who}")
    try:
        result = run_round(policy, todo, k, seed=r.seed, concurrency=lanes)
    finally:
        if llm is not None:
            llm.close()
    plan = plan_next(result, budget, levels)
    (out_dir / "round.json").write_text(json.dumps(result.to_json(), indent=1) + "\n")
    (out_dir / "report.md").write_text(result.markdown() + "\n")
    if plan["simulation"]["environments"]:
        (out_dir / "targeted.yaml").write_text(yaml.safe_dump(
            {"name": f"{r.name}-targeted", "seed": r.seed, "simulation": plan["simulation"]}, sort_keys=False))
    out.print(result.markdown())
    out.print(f"causes: {plan['causes'] or 'none'}; always solved (next: --harder): {', '.join(plan['harder']) or '-'}")
    out.print(f"written: {out_dir / 'report.md'}, {out_dir / 'round.json'}"
              + (f", {out_dir / 'targeted.yaml'} (build it for the next round's data)"
                 if plan["simulation"]["environments"] else ""))


@app.command()
def banks(
    recipe: Annotated[Path, typer.Argument(help="a recipe with a memory section (its graph)")],
    out_file: Annotated[Path, typer.Option("--out", help="the relations table to write (JSONL)")],
    backend: Annotated[str, typer.Option(help="local (the embedded model) or openai")] = "local",
    url: Annotated[Optional[str], typer.Option(help="openai: the server's base URL")] = None,
    model: Annotated[Optional[str], typer.Option(help="openai: the model name")] = None,
    n: Annotated[int, typer.Option(min=1, help="templates asked for per relation")] = 6,
    relation: Annotated[Optional[list[str]], typer.Option(help="only these relations (default: every "
                                                                "relation without templates)")] = None,
):
    """Template banks for the relations of RECIPE's graph, written by a model and kept only where
    each template re-parses on the graph's facts; writes a relations table for
    memory.seed.triples.relations (docs/memory.md)."""
    import asyncio

    from synthcompile.compilers.memory.banks import relations_rows, write_banks
    from synthcompile.compilers.memory.graphs import load_seed
    from synthcompile.llm.client import LLM
    from synthcompile.llm.config import LLMConfig
    from synthcompile.recipe import load_recipe

    r = load_recipe(recipe)
    if r.memory is None:
        raise UserError(f"{recipe}: banks needs a memory section (the graph whose relations to phrase)")
    graph = load_seed(r.memory.seed, r.seed).graph
    unknown = sorted(set(relation or ()) - set(graph.relations))
    if unknown:
        raise UserError(f"the graph has no relation {unknown[0]!r} (it has: {', '.join(sorted(graph.relations))})")
    llm = LLM(LLMConfig(backend=backend, url=url, model=model, max_tokens=400),
              out_file.with_suffix(".llm-cache.sqlite"))
    loop = asyncio.new_event_loop()
    try:
        made = write_banks(graph, lambda prompt: loop.run_until_complete(
            llm.generate(llm.request(messages=[("user", prompt)]))).text, n=n, relations=relation)
    finally:
        llm.close()
        loop.close()
    rows = relations_rows(graph, made)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    table = Table(title="template banks", title_justify="left")
    for col in ("relation", "kept", "rejected", "a reason"):
        table.add_column(col)
    for b in made:
        table.add_row(b.relation, str(len(b.accepted)), str(len(b.rejected)), b.rejected[0][1] if b.rejected else "")
    out.print(table)
    out.print(f"written: {out_file} ({len(rows)} relations): name it as memory.seed.triples.relations")


@app.command()
def grammar(
    recipe: Annotated[Path, typer.Argument(help="a recipe with a memory section (its graph)")],
    per_template: Annotated[int, typer.Option(min=1, help="facts rendered per template")] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="every template's row as JSON lines")] = False,
    fail: Annotated[bool, typer.Option(help="exit 1 when any template is flagged")] = False,
):
    """Which templates of RECIPE's graph read badly: every statement, question and inverse
    question of every relation rendered on the graph's own facts and grammar-checked
    (docs/memory.md). Run it before training on a new graph."""
    from synthcompile.compilers.memory.grammar import report
    from synthcompile.compilers.memory.graphs import load_seed
    from synthcompile.recipe import load_recipe

    r = load_recipe(recipe)
    if r.memory is None:
        raise UserError(f"{recipe}: grammar needs a memory section (the graph whose templates to check)")
    rows = report(load_seed(r.memory.seed, r.seed).graph, per_template=per_template, seed=r.seed)
    flagged = [row for row in rows if row.flagged]
    if json_out:
        for row in rows:
            print(json.dumps(row.as_dict(), ensure_ascii=False))
    else:
        table = Table(title="templates that read badly", title_justify="left")
        for col in ("relation", "bank", "flagged", "problem", "example"):
            table.add_column(col)
        for row in flagged:
            table.add_row(row.relation, row.bank, f"{row.flagged}/{row.checked}", next(iter(row.problems)), row.example)
        if flagged:
            out.print(table)
        sentences = sum(row.checked for row in rows)
        out.print(f"{len(flagged)} of {len(rows)} templates flagged; {sum(row.flagged for row in rows)} of "
                  f"{sentences:,} sentences (override a relation's phrasings in its relations table: "
                  "templates, questions, inverse_questions)")
    if fail and flagged:
        raise typer.Exit(1)


@app.command("list")
def list_families():
    """What each compiler can compile (families, levels, parameters), and the other components."""
    from synthcompile import components

    for c in components.components():
        if c.catalogue is None:
            out.print(f"[bold]{c.name}[/] ({c.kind}): {c.description}")
            continue
        table = Table(title=f"{c.name} ({c.kind}): {c.description}", title_justify="left", show_lines=True)
        for col in ("name", "levels / kinds", "parameters", "description"):
            table.add_column(col)
        for row in c.catalogue():
            table.add_row(*row)
        out.print(table)


from synthcompile.lab.cli import app as lab_app  # noqa: E402  (imports neither torch nor transformers)

app.add_typer(lab_app, name="lab")


def main() -> None:
    # Standalone mode: typer's own (vendored) click prints a usage error with the command's usage
    # line and exits 2, and handles --help, Exit and Abort. Only our errors come back here.
    try:
        app(prog_name="synthcompile")
    except UserError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        if exc.errno not in _DISK_ERRORS:
            raise
        # The disk, not our code: one line, and the build resumes once it is fixed (every file is
        # written to a temporary name first, so nothing half-written is ever kept).
        where = f" writing {exc.filename}" if exc.filename else ""
        err.print(f"[red]error:[/] {exc.strerror or exc}{where}: {_DISK_ERRORS[exc.errno]}",
                  highlight=False, soft_wrap=True)
        sys.exit(2)


_DISK_ERRORS = {errno.ENOSPC: "free some space and run the same command again: the build resumes",
                errno.EDQUOT: "the disk quota is used up: free some and run the same command again",
                errno.EROFS: "the file system is read-only: choose another --out",
                errno.EACCES: "no permission there: choose another --out",
                errno.EPERM: "not permitted there: choose another --out",
                errno.ENOTDIR: "a file is in the way of that path: choose another",
                errno.EEXIST: "a file is in the way of that path: choose another",
                errno.EISDIR: "that is a folder: name a file"}
