"""Corpus statistics, computed from the shards one at a time (memory bounded by a shard)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcompile.run import RunDir
from synthcompile.sample import TOKEN_PATTERN

COLUMNS = ["family", "difficulty", "split", "form", "verdict", "text"]


def _bucket() -> dict[str, int]:
    return {"samples": 0, "verified": 0, "tokens": 0}


def compute_stats(run: RunDir, stages: list[str] | None = None) -> dict[str, Any]:
    """Counts, tokens and verification pass rates per family, difficulty, split and form.

    ``stages`` defaults to every compile stage of the run (all compiled samples), and then the
    families a transform added (the learning transform's exercises), counted in the last transform
    stage: it carries every earlier one's rows.
    """
    derived_from = None
    if stages is None:
        stages = run.stages(role="compile")
        derived_from = (run.stages(role="transform") or [None])[-1]
    total = _bucket()
    families: dict[str, dict[str, Any]] = defaultdict(
        lambda: {**_bucket(), "by_difficulty": defaultdict(_bucket), "by_split": defaultdict(_bucket),
                 "by_form": defaultdict(_bucket)})
    shards = [(path, False) for stage in stages for path in run.stage_shards(stage)]
    shards += [(path, True) for path in (run.stage_shards(derived_from) if derived_from else [])]
    compiled: set[str] = set()
    for rel, derived in shards:
        # A transform's shard: only the rows of families no compile stage made (the rest were counted).
        only_new = [("family", "not in", sorted(compiled))] if derived and compiled else None
        table = pq.read_table(Path(run.root) / rel, columns=COLUMNS, filters=only_new)
        if not derived:
            compiled.update(table["family"].unique().to_pylist())
        tokens = pc.count_substring_regex(table["text"], TOKEN_PATTERN).to_pylist()
        passed = pc.struct_field(table["verdict"], "passed").to_pylist()
        rows = zip(table["family"].to_pylist(), table["difficulty"].to_pylist(),
                   table["split"].to_pylist(), table["form"].to_pylist(), passed, tokens)
        for family, difficulty, split, form, ok, n_tokens in rows:
            fam = families[family]
            for b in (total, fam, fam["by_difficulty"][difficulty], fam["by_split"][split],
                      fam["by_form"][form]):
                b["samples"] += 1
                b["verified"] += int(ok)
                b["tokens"] += n_tokens
    out = {"stages": stages, **_finish(total), "stream": stream(run), "audit": audit_summary(run),
           "quarantined": quarantined(run), "search": search_summary(run, stages), "families": {}}
    for name in sorted(families):
        fam = families[name]
        out["families"][name] = {
            **_finish(fam),
            **{axis: {str(k): _finish(v) for k, v in sorted(fam[axis].items())}
               for axis in ("by_difficulty", "by_split", "by_form")},
        }
    return out


def _finish(bucket: dict[str, int]) -> dict[str, Any]:
    n = bucket["samples"]
    return {"samples": n, "verified": bucket["verified"], "tokens": bucket["tokens"],
            "pass_rate": round(bucket["verified"] / n, 6) if n else None}


def stream(run: RunDir) -> list[dict[str, Any]]:
    """The sample stream's stages in order, with the rows each wrote: compile stages add samples,
    transform stages rewrite them (1:1 or 1:n: neither new samples nor losses), curate stages keep
    some. The stats above count the compiled samples."""
    entries = run.manifest()["stages"]
    return [{"stage": name, "role": e["role"], "rows": e["rows"]} for name, e in entries.items()
            if e.get("role") in ("compile", "transform", "curate")]


def search_summary(run: RunDir, stages: list[str]) -> dict[str, Any]:
    """Per generator in problem search mode: problems drawn, where the misses fell (below or
    above the band, isomorphic copies), problems kept, draws per problem kept and the kept
    problems' costs as a histogram ``{cost: count}`` (summed over the shard markers). Problems
    per CPU-hour are a benchmark's (``bench/search.py``): a run's files hold no timings."""
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"histogram": defaultdict(int)})
    for stage in stages:
        for marker in run.markers(stage):
            for key, value in marker.get("stats", {}).items():
                if not key.startswith("search:"):
                    continue
                gen, _, count = key.removeprefix("search:").rpartition(":")
                if gen.endswith(":cost"):
                    found[gen.removesuffix(":cost")]["histogram"][int(count)] += value
                else:
                    found[gen][count] = found[gen].get(count, 0) + value
    out = {}
    for gen, got in sorted(found.items()):
        kept = got.get("kept", 0)
        out[gen] = {**{k: got.get(k, 0) for k in ("drawn", "below", "above", "duplicate", "generation_failed",
                                                   "kept")},
                    "draws_per_kept": round(got.get("drawn", 0) / kept, 2) if kept else None,
                    "histogram": dict(sorted(got["histogram"].items()))}
    return out


def binned_histogram(counts: dict, bins: int = 8) -> str:
    """``lo-hi: n`` over at most ``bins`` equal-width bins of a ``{value: count}`` histogram."""
    if not counts:
        return "-"
    lo, hi = min(counts), max(counts)
    width = max(1, -(-(hi - lo + 1) // bins))
    binned: dict[int, int] = {}
    for value, n in counts.items():
        start = lo + (value - lo) // width * width
        binned[start] = binned.get(start, 0) + n
    return ", ".join(f"{s}{f'-{min(s + width - 1, hi)}' if width > 1 and s < hi else ''}: {n:,}"
                     for s, n in sorted(binned.items()))


def audit_summary(run: RunDir) -> dict[str, Any] | None:
    """The shortcut audit's verdict: groups judged and the flagged ones (None: the audit is off)."""
    from synthcompile.audit import results

    rows = results(run)
    if rows is None:
        return None
    return {"groups": len(rows), "flagged": [
        {k: r[k] for k in ("family", "difficulty", "kind", "rows", "majority", "majority_share", "best",
                           "gain", "reason")} for r in rows if r["flagged"]]}


def quarantined(run) -> dict:
    """Bad inputs set aside per stage (quarantine.json: total, and per reason the count and the
    first examples); {} for a run that quarantined nothing."""
    import json

    from synthcompile import layout

    path = run.root / layout.QUARANTINE
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        return {}
