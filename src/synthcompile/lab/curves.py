"""Learning curves: probe accuracy per skill every K steps, plots, and when a skill switches on.

``curves.jsonl`` holds one line per probe point: step, tokens and the grouped accuracies of
:mod:`synthcompile.lab.probe`. A skill "switches on" where a sigmoid fitted to its accuracy over
steps crosses 50%. The fit is ``scipy.optimize.curve_fit`` (bounded least squares, trust-region
reflective) of ``lo + (hi - lo) / (1 + exp(-(step - mid) / width))``, with ``lo`` and ``hi`` in
[0, 1]; the crossing is solved from the fitted parameters, and only reported when the fitted
curve really passes 50% inside the steps measured.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

CURVES = "curves.jsonl"


def append_point(out: Path, step: int, tokens: int, groups: dict) -> None:
    with open(Path(out) / CURVES, "a") as f:
        f.write(json.dumps({"step": step, "tokens": tokens, "groups": groups}) + "\n")


def load_points(out: Path) -> list[dict]:
    path = Path(out) / CURVES
    if not path.is_file():
        return []
    return [json.loads(ln) for ln in path.read_text().splitlines() if ln]


def series(points: list[dict], axis: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per group key of ``axis``: (steps, accuracies), over the points that measured it."""
    out: dict[str, tuple[list, list]] = {}
    for p in points:
        for key, g in p["groups"].get(axis, {}).items():
            steps, accs = out.setdefault(key, ([], []))
            steps.append(p["step"])
            accs.append(g["accuracy"])
    return {k: (np.array(s, float), np.array(a, float)) for k, (s, a) in out.items()}


def _sigmoid(t, lo, hi, mid, width):
    return lo + (hi - lo) / (1 + np.exp(-(t - mid) / width))


def switch_on(steps: np.ndarray, accs: np.ndarray, level: float = 0.5) -> float | None:
    """The step where the fitted sigmoid crosses ``level``; None if it never does in range."""
    from scipy.optimize import curve_fit

    if len(steps) < 4 or accs.max() < level or accs.min() >= level:
        return None
    span = float(steps.max() - steps.min()) or 1.0
    guess = (float(accs.min()), float(accs.max()), float(steps[np.argmax(accs >= level)]), span / 10)
    bounds = ([0, 0, float(steps.min()) - span, span / 1e4], [1, 1, float(steps.max()) + span, span * 10])
    try:
        (lo, hi, mid, width), _ = curve_fit(_sigmoid, steps, accs, p0=guess, bounds=bounds, maxfev=20000)
    except RuntimeError:  # no convergence: report nothing rather than a made-up step
        return None
    if not lo < level < hi:
        return None
    crossing = mid + width * math.log((level - lo) / (hi - level))
    return crossing if steps.min() <= crossing <= steps.max() else None


def switch_on_table(points: list[dict], axis: str) -> dict[str, dict]:
    out = {}
    for key, (steps, accs) in series(points, axis).items():
        out[key] = {"switch_on_step": switch_on(steps, accs), "final_accuracy": float(accs[-1]),
                    "max_accuracy": float(accs.max()), "points": len(steps)}
    return out


def plot(points: list[dict], axis: str, path: Path, *, title: str = "") -> list[Path]:
    """Accuracy per group of ``axis`` over steps, switch-on steps dashed; writes PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for key, (steps, accs) in sorted(series(points, axis).items()):
        (line,) = ax.plot(steps, accs, marker="o", markersize=3, label=key)
        crossing = switch_on(steps, accs)
        if crossing is not None:
            ax.axvline(crossing, color=line.get_color(), linestyle="--", linewidth=0.8)
    ax.axhline(0.5, color="grey", linewidth=0.5)
    ax.set_xlabel("step")
    ax.set_ylabel("probe accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or f"probe accuracy by {axis} (dashed: switch-on)")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    written = []
    for suffix in (".png", ".svg"):
        target = Path(path).with_suffix(suffix)
        fig.savefig(target, dpi=120)
        written.append(target)
    plt.close(fig)
    return written
