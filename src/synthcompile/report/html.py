"""A self-contained HTML report of a run: inline SVG plots (matplotlib), no external assets.

Sections: overview, tokens per family, curation removals per stage, verification pass rates,
difficulty and length histograms, diversity (distinct-n and the distribution of every axis,
plotted; entity coverage). Each reads what the run holds and is left out (with a note) when the
run has no such data, e.g. no curate or export stages.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

from synthcompile import layout
from synthcompile.atomic import write_atomic
from synthcompile.export.layout import ExportLayout
from synthcompile.run import RunDir
from synthcompile.stats import compute_stats

REPORT = layout.REPORT
CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}.note{color:#777}svg{max-width:100%;height:auto}"""


def _svg(draw, size: tuple[float, float] = (8, 3.2)) -> str:
    """Run ``draw(ax)`` on a fresh figure and return the figure as an inline <svg> element."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "synthcompile"  # stable element ids: same run, same file
    fig, ax = plt.subplots(figsize=size)
    try:
        draw(ax)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _bars(labels: list[str], values: list[float], ylabel: str, fmt: str = "{:,.0f}") -> str:
    def draw(ax):
        bars = ax.bar(range(len(values)), values, color="#4a7ab5")
        ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.bar_label(bars, [fmt.format(v) for v in values], fontsize=7)
    # many families with long names (documents.summary_match): a wider and taller figure
    longest = max((len(x) for x in labels), default=0)
    return _svg(draw, (max(8.0, 0.3 * len(labels)), 3.2 + 0.045 * longest))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _stage_stats(run: RunDir, stage: str) -> dict[str, int]:
    """A stage's completion stats summed over its shards (what each shard counted)."""
    total: dict[str, int] = {}
    for marker in run.markers(stage):
        for key, value in marker.get("stats", {}).items():
            if isinstance(value, (int, float)):
                total[key] = total.get(key, 0) + value
    return total


def _curation(run: RunDir, manifest: dict[str, Any]) -> str:
    stages = manifest["stages"]
    from synthcompile.curate.stream import removal_summary

    curate = [name for name, e in stages.items() if e.get("role") == "curate"]
    parts = []
    # What each filter counted itself: a transform stage before curation (1:n) changes the row
    # count without removing anything.
    summary = removal_summary(run)
    removed = [(name, summary[name]["removed"]) for name in curate]
    if removed:
        parts.append(_bars([n for n, _ in removed], [r for _, r in removed], "samples removed"))
        for name in curate:
            stats = _stage_stats(run, name)
            parts.append(f"<h3>{html.escape(name)}</h3>" + _table(["counter", "value"], sorted(stats.items())))
    else:
        parts.append('<p class="note">No curate stages in this run (no deduplication or decontamination).</p>')
    if "mix_plan" in stages:
        mix = _stage_stats(run, "mix_plan")
        balance = sorted((k.removeprefix("balance:"), v) for k, v in mix.items() if k.startswith("balance:"))
        if balance:
            parts.append("<h3>balance (kept per group)</h3>" + _table(["group", "samples"], balance))
    return "".join(parts)


def _audit(run: RunDir) -> str:
    from synthcompile.audit import results

    rows = results(run)
    if rows is None:
        return '<p class="note">The audit is off in this recipe (audit: null).</p>'
    flagged = sum(r["flagged"] for r in rows)
    head = (f"<p>{len(rows)} groups (family x level x question kind) of training answers; "
            f"<b>{flagged} flagged</b>: a trivial predictor beats the majority baseline by more than "
            f"the margin on held-out rows, or one answer dominates a small answer space.</p>")
    return head + _table(["family", "level", "kind", "rows", "answers", "majority share", "baseline",
                          "best trivial predictor", "its gain", "flag"],
                         [[r["family"], r["difficulty"], r["kind"], f"{r['rows']:,}", r["distinct"],
                           f"{r['majority_share']:.0%}", f"{r['baseline']:.0%}", r["best"], f"{r['gain']:+.1%}",
                           r["reason"] or ""] for r in rows])


def _quarantine(run: RunDir) -> str:
    path = run.root / layout.QUARANTINE
    summary = json.loads(path.read_text()) if path.is_file() else {}
    if not summary:
        return '<p class="note">No input was quarantined.</p>'
    rows = [[stage, r["reason"], f"{r['count']:,}", json.dumps(r["examples"][0], default=str)[:200]]
            for stage, entry in summary.items() for r in entry["by_reason"]]
    return _table(["stage", "reason", "rows", "first example"], rows)


TOP_VALUES = 20  # values plotted per axis; the rest are summed into one bar


def _diversity(diversity: dict[str, Any]) -> str:
    """distinct-n and per-axis distributions as plots, with their tables; entity coverage."""
    lex = diversity["lexical"]
    ns = [n for n in (1, 2, 3) if lex[f"distinct_{n}"] is not None]
    rows = [[f"distinct-{n}", lex[f"distinct_{n}"], f"{lex[f'distinct_{n}_count']:,}",
             lex.get(f"distinct_{n}_counted", "")] for n in (1, 2, 3)]
    parts = ["<h3>Lexical diversity (distinct n-grams of the training tokens)</h3>",
             _bars([f"distinct-{n}" for n in ns], [lex[f"distinct_{n}"] for n in ns],
                   "share of n-grams distinct", "{:.3f}"),
             _table(["lexical", "share distinct", "distinct n-grams", "counted"], rows)]
    axes = [[axis, d["values"], d["evenness"]] for axis, d in diversity["axes"].items()]
    parts.append(_table(["axis", "values", "evenness (normalised entropy)"], axes))
    for axis, d in diversity["axes"].items():
        ranked = sorted(d["samples"].items(), key=lambda kv: (-kv[1], kv[0]))
        labels = [k for k, _ in ranked[:TOP_VALUES]]
        values = [v for _, v in ranked[:TOP_VALUES]]
        if len(ranked) > TOP_VALUES:
            labels.append(f"{len(ranked) - TOP_VALUES} others")
            values.append(sum(v for _, v in ranked[TOP_VALUES:]))
        parts.append(f"<h3>{html.escape(axis)}: samples per value (evenness {d['evenness']})</h3>"
                     + _bars(labels, values, "training samples"))
    if "entities" in diversity:
        parts.append("<h3>Entity coverage</h3>" + _table(["entities", "value"], sorted(diversity["entities"].items())))
    return "".join(parts)


def build_report(run: RunDir) -> str:
    """The report as one HTML string."""
    manifest = run.manifest()
    stats = compute_stats(run)
    export = ExportLayout(run.root).diversity
    diversity = json.loads(export.read_text()) if export.is_file() else None
    families = stats["families"]
    name = manifest["recipe"]["name"]
    sections: list[tuple[str, str, str]] = []

    overview = _table(["stage", "role", "shards", "rows"], [
        [s, e.get("role", ""), len(e["shards"]), f"{e['rows']:,}"] for s, e in manifest["stages"].items()])
    sections.append(("overview", "Overview", overview + f"<p>{stats['samples']:,} compiled samples, "
                     f"{stats['tokens']:,} pre-tokenizer tokens, recipe hash "
                     f"<code>{manifest['recipe']['hash'][:16]}</code>.</p>"))

    if diversity:
        tokens = diversity["axes"]["family"]["tokens"]
        what = "exported training tokens (the corpus tokenizer)"
    else:
        tokens = {f: d["tokens"] for f, d in families.items()}
        what = "compiled tokens (pre-tokenizer words and punctuation; the run has no export)"
    sections.append(("tokens", "Tokens per family",
                     f"<p>{what}</p>" + _bars(list(tokens), list(tokens.values()), "tokens")))
    sections.append(("curation", "Curation: removals per stage", _curation(run, manifest)))
    sections.append(("audit", "Shortcut audit", _audit(run)))
    sections.append(("quarantine", "Quarantined inputs", _quarantine(run)))
    sections.append(("verification", "Verification pass rates",
                     _bars(list(families), [100 * (d["pass_rate"] or 0) for d in families.values()],
                           "% verified", "{:.1f}%")))

    def difficulty(ax):
        levels = sorted({int(k) for d in families.values() for k in d["by_difficulty"]})
        bottom = [0] * len(levels)
        for fam, d in families.items():
            counts = [d["by_difficulty"].get(str(lv), {}).get("samples", 0) for lv in levels]
            ax.bar([str(lv) for lv in levels], counts, bottom=bottom, label=fam)
            bottom = [b + c for b, c in zip(bottom, counts)]
        ax.set_xlabel("difficulty")
        ax.set_ylabel("samples")
        if families:
            ax.legend(fontsize=6, ncol=columns, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    # the legend beside the plot, in as many columns as 14 families a column needs
    columns = 1 + max(len(families) - 1, 0) // 14  # a run with no samples has no families
    rows = -(-len(families) // columns)
    size = (8.0 + 2.2 * columns, max(3.2, 0.16 * rows + 0.9))
    sections.append(("difficulty", "Difficulty histogram", _svg(difficulty, size)))

    if diversity:
        hist = diversity["length_histogram"]
        labels = [f"{lo}-{hi - 1}" for lo, hi in zip(hist["bins"], hist["bins"][1:])] + [f"{hist['bins'][-1]}+"]
        sections.append(("length", "Length histogram (tokens per document)",
                         _bars(labels, hist["counts"], "documents")))
        sections.append(("diversity", "Diversity", _diversity(diversity)))
    else:
        sections.append(("length", "Length histogram", '<p class="note">No export in this run.</p>'))
        sections.append(("diversity", "Diversity", '<p class="note">No export in this run.</p>'))

    nav = " · ".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'
                   for key, title, content in sections)
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(name)}: synthcompile "
            f"report</title><style>{CSS}</style></head><body><h1>{html.escape(name)}</h1><p>{nav}</p>"
            f"{body}</body></html>\n")


def write_report(run: RunDir | str | Path, out: Path | None = None) -> Path:
    """Write the report (default: ``<run>/report.html``) and return its path."""
    run = run if isinstance(run, RunDir) else RunDir(run)
    path = out or run.root / REPORT
    write_atomic(path, build_report(run).encode("utf-8"))  # never a half-written report (disk full)
    return path
