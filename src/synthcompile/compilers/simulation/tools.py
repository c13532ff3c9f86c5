"""Tools: typed methods of an environment, described by JSON Schema, called by name.

An environment declares a tool as a method with type-annotated parameters and a docstring,
decorated with :func:`tool`. Its JSON Schema is derived by pydantic from the signature (the same
way the MCP SDK derives one), and calls are validated against that schema with ``jsonschema``,
so a schema a remote MCP server publishes is checked by exactly the same code.

Two kinds of failure, kept apart on purpose:

- :class:`CallRejected`: the *call* is malformed (an unknown tool, arguments that break the
  schema). Nothing runs; replay reports it as ``unknown_tool`` / ``schema_error``.
- :class:`ToolFailure`: the call is well formed and the environment refuses it (no such order,
  insufficient funds). The agent sees ``{"error": ...}`` as the result, as a real API would
  answer, and must deal with it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Literal, get_type_hints

import jsonschema
from pydantic import create_model

Kind = Literal["read", "write"]


class CallRejected(ValueError):
    """A call that cannot run: ``cause`` is ``unknown_tool`` or ``schema_error``."""

    def __init__(self, cause: str, message: str):
        super().__init__(message)
        self.cause = cause


class ToolFailure(Exception):
    """The environment refuses a well-formed call; the agent sees ``{"error": message}``."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON Schema of the arguments object
    kind: Kind = "read"

    def as_openai(self) -> dict[str, Any]:
        """The OpenAI / Hugging Face chat-template form of a tool."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}


def tool(kind: Kind = "read") -> Callable[[Callable], Callable]:
    """Mark an environment method as a tool; ``write`` tools change the state."""

    def mark(fn: Callable) -> Callable:
        fn.__tool_kind__ = kind
        return fn

    return mark


def spec_of(fn: Callable) -> ToolSpec:
    """The tool's spec from its signature and docstring (cached per function)."""
    return _spec_of(fn)


@lru_cache(maxsize=None)
def _spec_of(fn: Callable) -> ToolSpec:
    sig = inspect.signature(fn)
    hints = get_type_hints(fn, include_extras=True)  # resolves `from __future__` string annotations
    fields = {}
    for name, p in sig.parameters.items():
        if name == "self":
            continue
        if name not in hints:
            raise TypeError(f"tool {fn.__name__}: parameter {name!r} needs a type annotation")
        fields[name] = (hints[name], ... if p.default is inspect.Parameter.empty else p.default)
    schema = create_model(f"{fn.__name__}_args", **fields).model_json_schema()
    schema = _untitled(schema)
    schema["additionalProperties"] = False
    doc = inspect.getdoc(fn) or ""
    return ToolSpec(fn.__name__, doc.split("\n\n")[0].replace("\n", " "), schema, fn.__tool_kind__)


def _untitled(node: Any) -> Any:
    """Drop pydantic's generated ``title`` keys: noise in every prompt that lists the tools."""
    if isinstance(node, dict):
        return {k: _untitled(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node


@lru_cache(maxsize=1024)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    import json

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def validate_call(specs: dict[str, ToolSpec], name: str, arguments: Any) -> None:
    """Raise :class:`CallRejected` unless ``name`` is offered and ``arguments`` fit its schema."""
    from synthcompile.sample import canonical_json

    if name not in specs:
        raise CallRejected("unknown_tool", f"unknown tool {name!r} (offered: {', '.join(sorted(specs))})")
    if not isinstance(arguments, dict):
        raise CallRejected("schema_error", f"{name}: arguments must be a JSON object, not {type(arguments).__name__}")
    errors = sorted(_validator(canonical_json(specs[name].parameters)).iter_errors(arguments),
                    key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(map(str, e.absolute_path)) or "arguments"
        raise CallRejected("schema_error", f"{name}: {where}: {e.message}")
