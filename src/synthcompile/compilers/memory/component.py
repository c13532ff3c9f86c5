"""The memory compiler as a component: its section, stage, graph-backed verifier and catalogue."""

from __future__ import annotations

from typing import Any, get_args

from synthcompile.compilers.memory.config import MemoryKind, MemorySection, MemoryStyle
from synthcompile.components import Component


def _check(section: MemorySection, file: str, lines: dict, loc: tuple) -> list:
    """A seed table's columns, read from its header: a misnamed column is an error at the table's
    own line, before any row is quarantined for it."""
    from pathlib import Path

    from synthcompile.errors import RecipeError
    from synthcompile.seeds.tables import check_columns, detect_format

    t = section.seed.triples
    if t is None:
        return []
    problems = []
    for table in ("entities", "triples", "relations"):
        path = getattr(t, table)
        if path is None:
            continue
        try:
            found = check_columns(Path(path), detect_format(Path(path), t.format), table, t.columns.get(table))
        except (OSError, ValueError) as exc:  # unreadable: the loader quarantines what it can
            found = (None, f"cannot read its columns: {exc}")
        if found:
            problems.append(RecipeError(found[1], file=str(path), line=found[0]))
    return problems


def _stages(section: MemorySection, recipe: Any) -> list:
    from synthcompile.compilers.memory.stage import MemoryStage

    return [MemoryStage(section, recipe.seed)]


def _verifier(recipe: Any):
    """Scores an answer to a memory question by recomputing it from the recipe's seed graph."""
    import json

    from synthcompile.errors import UserError

    if recipe.memory is None:
        raise UserError("a memory probe in a run whose recipe has no memory section")
    graph = None

    def score(row: dict, response: str):
        nonlocal graph
        from synthcompile.compilers.memory.questions import verify
        from synthcompile.compilers.memory.stage import load_seed

        if graph is None:  # loaded on the first memory row: a run may hold none
            graph = load_seed(recipe.memory.seed, recipe.seed).graph
        return verify(graph, json.loads(row["structured"]), response)

    return score


def _catalogue() -> list[tuple[str, str, str, str]]:
    from synthcompile.compilers.memory.config import MemorySeed

    seeds = "\n".join(f"{name}: {(f.annotation and getattr(_inner(f.annotation), '__doc__', '')) or ''}".strip()
                      for name, f in MemorySeed.model_fields.items())
    return [("memory", ", ".join(get_args(MemoryKind)), seeds,
             f"a knowledge graph -> documents in {len(get_args(MemoryStyle))} styles "
             f"({', '.join(get_args(MemoryStyle))}) and questions, checked against the graph (docs/memory.md)")]


def _inner(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _describe(row: dict) -> list[tuple[str, str]]:
    import json

    data = json.loads(row["structured"])
    if data.get("kind") == "bio":
        return [("facts", "\n".join(f"  {s}" for s in map(str, data.get("statements", []))))]
    path = " -> ".join(data.get("path", []))
    return [("question kind", f"{data.get('kind')}  path {path}  probe {data.get('probe') or '-'}")]


def _gate(run: Any, section: MemorySection) -> None:
    """No silent loss: too large a share of the seed rows quarantined fails the build."""
    import json

    from synthcompile import layout
    from synthcompile.errors import UserError

    markers = list(run.markers("memory"))
    first = markers[0]["stats"] if markers else {}
    bad, loaded = first.get("seed_rows_quarantined", 0), first.get("seed_rows_loaded", 0)
    if bad and bad / (bad + loaded) > section.max_quarantined:
        # The build's quarantine summary has the reasons counted already (most common first).
        summary = json.loads(run.path(layout.QUARANTINE).read_text()).get("memory", {})
        top = "; ".join(f"{r['count']:,} x {r['reason']}" for r in summary.get("by_reason", [])[:3])
        raise UserError(f"{bad:,} of {bad + loaded:,} seed rows ({bad / (bad + loaded):.0%}) were quarantined, "
                        f"more than memory.max_quarantined ({section.max_quarantined:.0%}): {top} "
                        f"(all of them: {run.path(layout.QUARANTINE)})")


COMPONENT = Component(
    name="memory", kind="compiler", config=MemorySection, stages=_stages, check=_check, verifier=_verifier,
    catalogue=_catalogue, describe=_describe, gate=_gate,
    description="facts of a knowledge graph -> varied repetitions and multi-hop questions")
