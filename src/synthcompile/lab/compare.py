"""Side-by-side HTML report of lab runs: one self-contained file (plots inlined as SVG).

Tables: each run's model, budget, speed and losses; across seeds (runs named
``<cell>-s<seed>``, as a sweep names them), the mean and sample standard deviation of probe
accuracy per split; probe accuracy per family, split and type with the majority-guess baseline
beside it. Plots: training loss, held-out loss, and probe accuracy over steps per family (when
learning curves were recorded).
"""

from __future__ import annotations

import html
import io
import json
import re
import statistics
from pathlib import Path

from synthcompile.errors import UserError
from synthcompile.lab import curves

AXES = ("family", "split", "type")


def _read(run: Path) -> dict:
    meta = run / "lab.json"
    if not meta.is_file():
        raise UserError(f"{run}: not a lab run directory (no lab.json)")
    out = {"name": run.name, "meta": json.loads(meta.read_text()), "log": [], "probe": None, "result": None}
    if (run / "log.jsonl").is_file():
        out["log"] = [json.loads(ln) for ln in (run / "log.jsonl").read_text().splitlines() if ln]
    for key in ("probe", "result"):
        if (run / f"{key}.json").is_file():
            out[key] = json.loads((run / f"{key}.json").read_text())
    out["curves"] = curves.load_points(run)
    return out


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _plots(runs: list[dict]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    for r in runs:
        steps = [e for e in r["log"] if "loss" in e]
        a.plot([e["step"] for e in steps], [e["loss"] for e in steps], linewidth=0.8, label=r["name"])
        evals = [e for e in r["log"] if "eval_loss" in e]
        b.plot([e["step"] for e in evals], [e["eval_loss"] for e in evals], marker="o", markersize=3, label=r["name"])
    a.set_title("training loss")
    b.set_title("held-out loss (probe documents)")
    for ax in (a, b):
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    figures.append(_svg(fig))
    with_curves = [r for r in runs if len(r["curves"]) >= 2]
    if with_curves:
        fig, ax = plt.subplots(figsize=(10, 4))
        for r in with_curves:
            for key, (steps, accs) in sorted(curves.series(r["curves"], "family").items()):
                ax.plot(steps, accs, marker="o", markersize=2, label=f"{r['name']}: {key}")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("step")
        ax.set_title("probe accuracy per family over training")
        ax.legend(fontsize=7)
        fig.tight_layout()
        figures.append(_svg(fig))
    return figures


def _runs_table(runs: list[dict]) -> str:
    head = ("run", "model", "parameters", "steps", "tokens", "tokens/s", "wall s", "loss", "held-out loss",
            "probe accuracy")
    rows = []
    for r in runs:
        info, res, pr = r["meta"]["info"], r["result"] or {}, r["probe"] or {}
        cells = (r["name"], f"{info['model_type']} ({r['meta']['config']['model']['preset']})",
                 f"{info['parameters']:,}", f"{res.get('steps', 0):,}", f"{res.get('tokens', 0):,}",
                 f"{res.get('tokens_per_s', 0):,.0f}", f"{res.get('wall_seconds', 0):,.0f}",
                 _num(res.get("final_loss")), _num(res.get("eval_loss")),
                 f"{pr['accuracy']:.1%}" if pr else "-")
        rows.append(cells)
    return _table(head, rows)


def seed_groups(runs: list[dict]) -> dict[str, list[dict]]:
    """Probed runs by name without their ``-s<seed>`` suffix: the same cell over model seeds."""
    groups: dict[str, list[dict]] = {}
    for r in runs:
        if r["probe"]:
            groups.setdefault(re.sub(r"-s\d+$", "", r["name"]), []).append(r)
    return groups


def mean_sd(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1%} ± {sd:.1%}"


def _seeds_table(runs: list[dict]) -> str:
    groups = {k: g for k, g in seed_groups(runs).items() if len(g) > 1}
    if not groups:
        return ""
    splits = sorted({k for g in groups.values() for r in g for k in r["probe"]["groups"].get("split", {})})
    head = ("cell", "seeds", "probe accuracy", *splits, "per seed")
    rows = []
    for name, g in groups.items():
        per_split = []
        for k in splits:
            accs = [r["probe"]["groups"]["split"][k]["accuracy"] for r in g
                    if k in r["probe"]["groups"].get("split", {})]
            per_split.append(mean_sd(accs) if accs else "-")
        rows.append((name, len(g), mean_sd([r["probe"]["accuracy"] for r in g]), *per_split,
                     ", ".join(f"{r['probe']['accuracy']:.1%}" for r in g)))
    return ("<h2>Across seeds (mean ± sample standard deviation)</h2>" + _table(head, rows))


def _axis_table(runs: list[dict], axis: str) -> str:
    keys = sorted({k for r in runs if r["probe"] for k in r["probe"]["groups"].get(axis, {})})
    if not keys:
        return ""
    head = (axis, *[r["name"] for r in runs], "majority guess")
    rows = []
    for k in keys:
        cells, baseline = [k], "-"
        for r in runs:
            g = (r["probe"] or {}).get("groups", {}).get(axis, {}).get(k)
            cells.append(f"{g['accuracy']:.1%} ({g['n']})" if g else "-")
            baseline = f"{g['baseline']:.1%}" if g else baseline
        rows.append((*cells, baseline))
    return f"<h2>Probe accuracy by {axis}</h2>" + _table(head, rows)


def _num(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def _table(head, rows) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def write_compare(run_dirs: list[Path], out_file: Path, *, title: str = "lab comparison") -> Path:
    runs = [_read(Path(d)) for d in run_dirs]
    parts = [f"<h1>{html.escape(title)}</h1>", "<h2>Runs</h2>", _runs_table(runs), _seeds_table(runs)]
    parts += [_axis_table(runs, axis) for axis in AXES]
    parts += ["<h2>Curves</h2>", *_plots(runs)]
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}")
    doc = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(doc, encoding="utf-8")
    return out_file
