"""Located errors for YAML configs (recipes, lab configs, sweeps): ``file:line: field: message``.

PyYAML's node tree keeps line numbers; it is indexed by path, so a pydantic error location
(``('logic', 'generators', 2, 'dificulty')``) maps to a line. Unknown keys get a did-you-mean,
union branches are merged into one message, and duplicate keys (which PyYAML silently keeps the
last of) are errors.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from synthcompile.errors import RecipeError


def read_yaml(path: str | Path, kind: str, keys: str) -> tuple[dict, dict[tuple, int]]:
    """A YAML mapping and its line index; every problem is a located :class:`RecipeError`.
    ``kind`` names the file ("recipe", "lab config") and ``keys`` its main keys, for the errors
    when it is missing or not a mapping."""
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise RecipeError(f"no such {kind} file", file=file)
    text = _text(path, kind)
    try:
        _check_shape(text, file)  # before composing: PyYAML recurses, and aliases multiply
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _check_expansion(node, file)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RecipeError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                          line=mark.line + 1 if mark else None) from None
    if node is not None:
        _check_strings(node, file)
    if not isinstance(data, dict):
        raise RecipeError(f"a {kind} is a mapping of keys ({keys})", file=file, line=1)
    duplicates = _duplicate_keys(node, file)
    if duplicates:
        raise RecipeErrors(duplicates)
    return data, index_lines(node) if node is not None else {}


# Limits on what a recipe file may be: far above any real recipe (the shipped ones are under
# 10 KB, 8 levels deep), far below what makes loading slow or unbounded.
MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_VALUES = 100_000  # scalars and collections once aliases are expanded


def _text(path: Path, kind: str) -> str:
    file = str(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise RecipeError(f"{size:,} bytes: a {kind} file is at most {MAX_BYTES:,} bytes", file=file)
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise RecipeError(f"the file is UTF-16: save the {kind} as UTF-8", file=file, line=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise RecipeError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}): a {kind} is a UTF-8 YAML file",
                          file=file, line=line) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise RecipeError("a NUL character: a YAML file holds none", file=file, line=line)
    return text


def _check_shape(text: str, file: str) -> None:
    """Nesting depth, from the event stream (PyYAML's composer recurses per level: 5,000 levels
    would raise RecursionError)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise RecipeError(f"nested more than {MAX_DEPTH} levels deep", file=file,
                                  line=event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse an alias bomb: nine aliases of nine aliases of ... are a few lines that expand to
    billions of values (every later walk of the data would hang). Sizes are counted once per
    node (aliases share nodes), bottom-up, without recursion."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in size:
            continue
        children = ([n for kv in node.value for n in kv] if isinstance(node, yaml.MappingNode) else
                    node.value if isinstance(node, yaml.SequenceNode) else [])
        if done:
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_VALUES:
                raise RecipeError(f"expands to more than {MAX_VALUES:,} values (aliases of aliases?)",
                                  file=file, line=node.start_mark.line + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)


def _check_strings(root: yaml.Node, file: str) -> None:
    """A lone surrogate ("\\udc80" in a double-quoted string) is no text: it fails later, far
    from its line, wherever it is written out."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                node.value.encode("utf-8")
            except UnicodeEncodeError:
                raise RecipeError("a lone surrogate in a string (an escape such as \\udc80 is no character)",
                                  file=file, line=node.start_mark.line + 1) from None
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for kv in node.value for n in kv)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def index_lines(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """The line of every key and item below ``node``, by path (``('logic', 'generators', 2)``)."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = path + (key_node.value,)
            out[key] = key_node.start_mark.line + 1
            if not isinstance(value_node, yaml.ScalarNode):
                index_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            index_lines(item, path + (i,), out)
    return out


def _duplicate_keys(node: yaml.Node | None, file: str, path: tuple = ()) -> list[RecipeError]:
    """PyYAML keeps the last of two equal keys silently; a recipe must not lose the first."""
    out: list[RecipeError] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in first:
                out.append(RecipeError(f"duplicate key (first given on line {first[key]})", file=file,
                                       line=line, field=format_loc(path + (key,))))
            first.setdefault(key, line)
            out += _duplicate_keys(value_node, file, path + (key,))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _duplicate_keys(item, file, path + (i,))
    return out


def line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of ``loc``, else of its nearest parent that has one (a missing key: its owner)."""
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def format_loc(loc: tuple) -> str:
    """``('logic', 'generators', 2, 'count')`` as ``logic.generators[2].count``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (to suggest spellings)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in (typing.get_args(annotation) or ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def suggest(word: str, options: typing.Iterable[str]) -> str:
    match = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _is_tag(part: Any) -> bool:
    """A union branch in a pydantic location (``'list[constrained-int]'``, ``"literal['all']"``)."""
    return isinstance(part, str) and "[" in part and part != "[key]"


def _merge_union_branches(errors: list[dict]) -> list[dict]:
    """One message per union field: a value such as ``difficulty`` may be 'all' or a list, and
    pydantic reports a failure in each branch. An error inside a branch (``difficulty[0]``) is
    the one that matters; several at the field itself become one "X or Y" message."""
    groups: dict[tuple, list[dict]] = {}
    out: list[dict] = []
    # pydantic also calls a list "too short" when its items were invalid: the items say it all.
    item_parents = {e["loc"][:-1] for e in errors if e["loc"] and isinstance(e["loc"][-1], int)}
    for err in errors:
        if err["type"] == "too_short" and err["loc"] in item_parents:
            continue
        cut = next((i for i, part in enumerate(err["loc"]) if _is_tag(part)), None)
        if cut is None:
            out.append(err)
        else:
            groups.setdefault(err["loc"][:cut], []).append(err)
    for field, errs in groups.items():
        deep = [e for e in errs if len([p for p in e["loc"] if not _is_tag(p)]) > len(field)]
        if deep:
            out += deep
            continue
        msgs = [e["msg"] for e in errs]
        merged = " or ".join([msgs[0]] + [m.removeprefix("Input should be ") for m in msgs[1:]])
        out.append({**errs[0], "msg": merged, "type": "union"})
    return out


def _literal_hint(err: dict) -> str:
    """A did-you-mean for a value that must be one of a few literals (form names, kinds)."""
    options = re.findall(r"'([^']*)'", (err.get("ctx") or {}).get("expected", ""))
    return suggest(err.get("input"), options) if options else ""


def errors_from_validation(exc: ValidationError, *, model: type[BaseModel], file: str,
                           lines: dict[tuple, int], prefix: tuple = ()) -> list[RecipeError]:
    """Turn pydantic's errors into located, human-sized recipe errors."""
    out = []
    for err in _merge_union_branches(exc.errors()):
        rel = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        loc = prefix + rel
        if err["loc"] and err["loc"][-1] == "[key]":  # a mapping key outside its allowed set
            expected = (err.get("ctx") or {}).get("expected", "")
            hint = _literal_hint(err).strip().strip("()")
            out.append(RecipeError(f"unknown key {loc[-1]!r} (expected {expected}{'; ' + hint if hint else ''})",
                                   file=file, line=line_for(lines, loc),
                                   field=format_loc(loc[:-1]) or None))
            continue
        if err["type"] == "extra_forbidden":
            key = loc[-1]
            owner = _model_at(model, rel[:-1])
            hint = suggest(key, owner.model_fields) if owner else ""
            out.append(RecipeError(f"unknown key {key!r}{hint}", file=file,
                                   line=line_for(lines, loc), field=format_loc(loc[:-1]) or None))
            continue
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "is required"
        elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
            msg = f"{msg} (got {err['input']!r}){_literal_hint(err) if err['type'] == 'literal_error' else ''}"
        msg = msg.removeprefix("Value error, ")
        out.append(RecipeError(msg, file=file, line=line_for(lines, loc), field=format_loc(loc) or None))
    return out


class RecipeErrors(RecipeError):
    """Several located problems at once; str() gives one line per problem."""

    def __init__(self, errors: list[RecipeError]):
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))
