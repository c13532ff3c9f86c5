"""The documents compiler as a component: its section, stage, strategy checks, verifier and catalogue."""

from __future__ import annotations

from typing import Any

from synthcompile.compilers.documents.config import DocumentsSection
from synthcompile.components import Component


def _stages(section: DocumentsSection, recipe: Any) -> list:
    from synthcompile.compilers.documents.stage import DocumentsStage

    return [DocumentsStage(section, recipe.seed)]


def _check(section: DocumentsSection, file: str, lines: dict, loc: tuple) -> list:
    """Strategy names live in the strategy table and the prompt folders, not in the model."""
    from synthcompile.compilers.documents.prompts import Prompts
    from synthcompile.compilers.documents.strategies import BUILTIN
    from synthcompile.errors import RecipeError
    from synthcompile.located import format_loc, line_for, suggest

    problems = []
    prompts = Prompts(section.prompts).names()
    for name, spec in section.specs().items():
        at = loc + ("strategies", name)
        if spec.fields:
            if name not in prompts:
                problems.append(RecipeError(f"custom strategy {name!r} needs a prompt file {name}.j2 in the "
                                            "recipe's prompts: folder", file=file, line=line_for(lines, at),
                                            field=format_loc(at)))
        elif name not in BUILTIN:
            hint = suggest(name, BUILTIN) or f" (shipped: {', '.join(BUILTIN)}; or give fields: for a custom one)"
            problems.append(RecipeError(f"unknown strategy {name!r}{hint}", file=file, line=line_for(lines, at),
                                        field=format_loc(at)))
    return problems


def _verifier(recipe: Any):
    """Scores an answer to a program-side exercise exactly; an LLM output's answer by its own
    grounded answer (normalised exact match)."""
    import json

    from synthcompile.answers import clean, final_answer, norm_word
    from synthcompile.sample import Verdict

    def score(row: dict, response: str):
        from synthcompile.compilers.documents import program

        data = json.loads(row["structured"])
        if "exercise" in data:
            ok, why = program.verify(data["exercise"], response)
            return Verdict(ok, row["family"], why)
        ok = norm_word(clean(final_answer(response))) == norm_word(clean(row["answer"]))
        return Verdict(ok, row["family"], None if ok else "answer differs from the grounded answer")

    return score


def _catalogue() -> list[tuple[str, str, str, str]]:
    from synthcompile.compilers.documents import program
    from synthcompile.compilers.documents.strategies import BUILTIN

    rows = [(f"documents.{name}", "1..4", "", f"program-side, no model: {name.replace('_', ' ')}")
            for name in program.STRATEGIES]
    rows += [(f"documents.{s.name}", s.kind, f"schema: {', '.join(s.schema.model_fields)}", s.description)
             for s in BUILTIN.values()]
    return rows


def _describe(row: dict) -> list[tuple[str, str]]:
    import json

    data = json.loads(row["structured"])
    where = f"{data.get('doc_id')} [{data.get('start')}:{data.get('end')}] {data.get('section') or ''}".strip()
    out = [("seed span", where)]
    grounding = data.get("grounding")
    if grounding:
        out.append(("grounding", json.dumps(grounding.get("checked", {}))))
    return out


COMPONENT = Component(
    name="documents", kind="compiler", config=DocumentsSection, stages=_stages, check=_check,
    verifier=_verifier, catalogue=_catalogue, describe=_describe,
    description="documents -> grounded exercises and rewrites (LLM strategies) and program-side exercises")
