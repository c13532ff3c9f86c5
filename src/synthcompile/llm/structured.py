"""Structured output: a request with a pydantic schema -> a validated object, or a failure that
keeps the raw output and says why. Nothing malformed is returned; nothing is dropped silently.

Where the server has constrained decoding (``llm.structured``) the schema rides on the request
and the output is JSON. Otherwise the prompt asks for labelled fields (``Answer: ...``), which a
135M model can follow and JSON it mostly cannot. Either way the output is parsed and validated;
a failure gets one repair round (chat: the reply and what was wrong with it, asked again), then
one retry (chat: asked afresh with the format restated, greedy, so it batches and repeats;
completion: sampled under a seed of its own, as a greedy re-ask would repeat itself), then the
caller quarantines it with the raw output and the reason.
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from synthcompile.llm.client import LLM
from synthcompile.llm.request import BackendError, Request

RETRY_TEMPERATURE = 0.7


@dataclass
class Outcome:
    ok: bool
    value: dict[str, Any] | None
    raw: str
    reason: str | None = None
    attempts: int = 1
    finish_reason: str = ""
    tokens: int = 0
    history: list[str] = field(default_factory=list)  # raw outputs of the failed attempts

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "value": self.value, "raw": self.raw, "reason": self.reason,
                "attempts": self.attempts, "finish_reason": self.finish_reason, "tokens": self.tokens,
                "history": self.history}


def json_mode(llm: LLM) -> bool:
    return llm.config.structured != "none"


async def generate_structured(llm: LLM, req: Request, schema: type[BaseModel], *,
                              repair: bool = True, retry: bool = True, retry_seed: int = 0,
                              parse_prefix: str = "") -> Outcome:
    """``parse_prefix``: what a completion prompt ended with (``Query:``), which the output
    continues and so lacks."""
    fmt = "json" if json_mode(llm) else "fields"
    if fmt == "json" and req.schema is None:
        req = Request(**{**req.canonical(), "schema": schema.model_json_schema(),
                         "schema_name": schema.__name__})
    attempts: list[Request] = [req]
    history: list[str] = []
    tokens = 0
    last_reason, raw, finish = "", "", ""
    for attempt in range(3):
        if attempt == 1:
            if not (repair and req.chat):
                continue
            attempts.append(Request(**{**req.canonical(), "messages": (
                *(req.messages or ()), ("assistant", raw),
                ("user", f"That reply could not be used: {last_reason}. {format_hint(schema, fmt)}"))}))
        if attempt == 2:
            if not retry:
                break
            attempts.append(_retry(req, schema, fmt, retry_seed))
        try:
            completion = await llm.generate(attempts[-1])
        except BackendError as exc:
            return Outcome(False, None, raw, f"backend: {exc}", len(attempts), finish, tokens, history)
        raw, finish = parse_prefix + completion.text, (completion.finish_reasons or [""])[0]
        tokens += completion.completion_tokens
        value, last_reason = parse(raw, schema, fmt)
        if value is not None:
            return Outcome(True, value, raw, None, len(attempts), finish, tokens, history)
        if finish == "length":
            last_reason += " (the output hit max_tokens)"
        history.append(raw)
    return Outcome(False, None, raw, last_reason, len(attempts), finish, tokens, history[:-1])


def _retry(req: Request, schema: type[BaseModel], fmt: str, seed: int) -> Request:
    if req.chat and req.messages:
        *head, (role, last) = req.messages
        return Request(**{**req.canonical(), "messages": (*head, (role, f"{last}\n\nFollow the format exactly. "
                                                                        f"{format_hint(schema, fmt)}"))})
    return Request(**{**req.canonical(), "temperature": max(req.temperature, RETRY_TEMPERATURE), "seed": seed})


# -- parsing -------------------------------------------------------------------------------

def parse(text: str, schema: type[BaseModel], fmt: str = "fields") -> tuple[dict | None, str]:
    """``(value, "")`` for an output that validates against ``schema``, else ``(None, reason)``.
    JSON is tried first whenever the text holds an object, whatever was asked for."""
    data: Any = None
    blob = _json_object(text)
    if blob is not None:
        try:
            data = json.loads(blob)
        except json.JSONDecodeError as exc:
            if fmt == "json":
                return None, f"bad JSON: {exc.msg} at character {exc.pos}"
    if not isinstance(data, dict):
        if fmt == "json":
            return None, "no JSON object in the output"
        data = parse_fields(text, schema)
    try:
        return schema.model_validate(data).model_dump(mode="json"), ""
    except ValidationError as exc:
        return None, "; ".join(_problem(e) for e in exc.errors()[:4])


def _problem(error: dict) -> str:
    where = ".".join(str(x) for x in error["loc"]) or "output"
    return f"{where}: {error['msg'].lower()}"


def _json_object(text: str) -> str | None:
    """The first balanced ``{...}`` of ``text`` (code fences and chatter around it ignored)."""
    start = text.find("{")
    if start < 0:
        return None
    depth, in_str, esc = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return text[start:]  # unbalanced: let json.loads say where


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _labels_pattern(names: list[str]) -> re.Pattern:
    alts = "|".join(re.escape(label(n)) for n in sorted(names, key=len, reverse=True))
    # "Answer:", "**Answer:**", "## Answer", "Answer -" at a line start
    return re.compile(rf"^[ \t]*(?:[#>*_ ]*)({alts})[ \t]*(?:\*\*|__)?[ \t]*[:\-][ \t]*(?:\*\*|__)?[ \t]*",
                      re.IGNORECASE | re.MULTILINE)


def parse_fields(text: str, schema: type[BaseModel]) -> dict[str, Any]:
    """Labelled sections (``Query: ...`` up to the next label) as a dict for ``schema``. A
    ``list[str]`` field is read as its bullet or numbered lines; a list of objects as repeated
    groups of the item's labels (``Question: ... Answer: ...`` twice is two pairs)."""
    fields = schema.model_fields
    names: list[str] = []
    item_models: dict[str, type[BaseModel]] = {}
    for name, f in fields.items():
        inner = _list_item(f.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            item_models[name] = inner
            names += list(inner.model_fields)
        else:
            names.append(name)
    pattern = _labels_pattern(names)
    matches = list(pattern.finditer(text))
    sections: list[tuple[str, str]] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        key = next(n for n in names if label(n).lower() == m.group(1).lower())
        sections.append((key, text[m.end():end].strip()))
    out: dict[str, Any] = {}
    for name, f in fields.items():
        if name in item_models:
            sub = list(item_models[name].model_fields)
            items, current = [], {}
            for key, value in sections:
                if key in sub:
                    if key in current:
                        items.append(current)
                        current = {}
                    current[key] = value
            if current:
                items.append(current)
            out[name] = items
            continue
        values = [v for k, v in sections if k == name]
        if not values:
            continue
        if _list_item(f.annotation) is str:
            out[name] = [_unbullet(line) for line in values[0].splitlines() if _unbullet(line)]
        else:
            out[name] = values[0]
    return out


def _list_item(annotation: Any) -> Any:
    if typing.get_origin(annotation) is list:
        args = typing.get_args(annotation)
        return args[0] if args else None
    return None


def _unbullet(line: str) -> str:
    return re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip()


def format_hint(schema: type[BaseModel], fmt: str) -> str:
    """What the model is asked to write, for prompts and repair rounds."""
    if fmt == "json":
        return f"Reply with only a JSON object with the keys {', '.join(schema.model_fields)}."
    parts = []
    for name, f in schema.model_fields.items():
        inner = _list_item(f.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            parts.append(" / ".join(f"{label(n)}: ..." for n in inner.model_fields) + " (repeat for each)")
        elif inner is str:
            parts.append(f"{label(name)}: then one '- ' line per item")
        else:
            parts.append(f"{label(name)}: ...")
    return "Reply in this format:\n" + "\n".join(parts)
