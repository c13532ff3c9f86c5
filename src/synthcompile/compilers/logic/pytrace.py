"""A step-by-step interpreter for the small Python subset that ``program_tracing`` generates.

It walks the syntax tree of the program *as rendered* (``ast.parse`` of the source text, so line
numbers are those a reader sees) and records every executed line with the values it used and
produced: that record is the solution trace. Values are plain Python ints and lists of ints and
every operation is Python's own, so the interpreter agrees with CPython by construction; the
family still checks it against a real, sandboxed run.

Supported: assignments (to a name or a list item), augmented assignments, ``if/elif/else``,
``for ... in range(...)``, ``while``, functions with ``return``, ``print``, ``len``, ``sum``,
``list.append``, ``+ - * // %`` and single comparisons. Anything else is a
``ValueError``: the generator has produced something this interpreter does not know.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field

BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}
COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}


class TooBig(Exception):
    """The program runs too many steps or its values grow too large to make a fair exercise."""


class _Return(Exception):
    def __init__(self, value):
        self.value = value


@dataclass
class _Function:
    node: ast.FunctionDef


@dataclass
class Execution:
    output: list[str] = field(default_factory=list)  # printed lines
    trace: list[str] = field(default_factory=list)   # one entry per executed step
    terse: list[str] = field(default_factory=list)   # the same, compacted


class Tracer:
    """Runs one program; ``max_steps`` and ``max_abs`` bound the work and the numbers."""

    def __init__(self, *, max_steps: int = 300, max_abs: int = 10**6, max_len: int = 30):
        self.max_steps, self.max_abs, self.max_len = max_steps, max_abs, max_len

    def run(self, source: str) -> Execution:
        self.execution = Execution()
        self.steps = 0
        self.values: dict[int, object] = {}  # id(node) -> value it last evaluated to
        self.lines = source.splitlines()
        self.globals: dict[str, object] = {}
        self._block(ast.parse(source).body, self.globals)
        return self.execution

    # Statements ------------------------------------------------------------------------------

    def _block(self, stmts: list[ast.stmt], env: dict) -> None:
        for stmt in stmts:
            self._stmt(stmt, env)

    def _step(self, node: ast.AST, text: str, terse: str | None = None) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise TooBig(f"more than {self.max_steps} steps")
        self.execution.trace.append(f"line {node.lineno}: {text}")
        if terse:
            self.execution.terse.append(terse)

    def _stmt(self, node: ast.stmt, env: dict) -> None:
        if isinstance(node, ast.FunctionDef):
            env[node.name] = _Function(node)
            self._step(node, f"define {node.name}({', '.join(a.arg for a in node.args.args)})")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            value = self._check(self._eval(node.value, env))
            target = node.targets[0]
            if isinstance(target, ast.Name):
                env[target.id] = value
                self._step(node, f"{self._text(node)}{self._working(node.value, value)}",
                           f"{target.id}={value!r}")
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                items = self._lookup(target.value.id, env)
                index = self._eval(target.slice, env)
                items[index] = value
                self._step(node, f"{self._text(node)} → {target.value.id} = {items!r}",
                           f"{target.value.id}={items!r}")
            else:
                raise ValueError(f"unsupported assignment target: {ast.unparse(target)}")
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            before = self._lookup(name, env)
            operand = self._eval(node.value, env)
            value = self._check(self._binary(node.op, before, operand))
            env[name] = value
            shown = self._substituted(node.value)
            if isinstance(node.value, ast.BinOp) and isinstance(node.value.op, (ast.Add, ast.Sub)):
                shown = f"({shown})"
            shown = f"{before!r} {SYMBOLS[type(node.op)]} {shown}"
            self._step(node, f"{self._text(node)} → {name} = {shown} = {value!r}", f"{name}={value!r}")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self._call_statement(node, env)
        elif isinstance(node, ast.If):
            taken = self._condition(node, env, "if")
            self._block(node.body if taken else node.orelse, env)
        elif isinstance(node, ast.For):
            self._for(node, env)
        elif isinstance(node, ast.While):
            while self._condition(node, env, "while"):
                self._block(node.body, env)
        elif isinstance(node, ast.Return) and node.value is not None:
            value = self._check(self._eval(node.value, env))
            self._step(node, f"return {self._text(node.value)}{self._working(node.value, value)}")
            raise _Return(value)
        else:
            raise ValueError(f"unsupported statement: {ast.unparse(node)}")

    def _call_statement(self, node: ast.Expr, env: dict) -> None:
        call = node.value
        if isinstance(call.func, ast.Name) and call.func.id == "print":
            args = [self._eval(a, env) for a in call.args]
            text = " ".join(str(a) for a in args)
            self.execution.output.append(text)
            self._step(node, f"{self._text(node)} → prints {text}", f"print {text}")
        elif (isinstance(call.func, ast.Attribute) and call.func.attr == "append"
              and isinstance(call.func.value, ast.Name) and len(call.args) == 1):
            name = call.func.value.id
            items = self._lookup(name, env)
            items.append(self._check(self._eval(call.args[0], env)))
            self._check(items)
            self._step(node, f"{self._text(node)} → {name} = {items!r}", f"{name}={items!r}")
        else:
            raise ValueError(f"unsupported call statement: {ast.unparse(node)}")

    def _condition(self, node: ast.If | ast.While, env: dict, keyword: str) -> bool:
        value = bool(self._eval(node.test, env))
        test = self._text(node.test)
        outcome = {("if", True): "take the branch", ("if", False): "skip the branch",
                   ("while", True): "run the body", ("while", False): "leave the loop"}
        self._step(node, f"{keyword} {test} → {self._substituted(node.test)} is "
                         f"{value}, {outcome[keyword, value]}", f"{test}: {value}")
        return value

    def _for(self, node: ast.For, env: dict) -> None:
        call = node.iter
        if not (isinstance(node.target, ast.Name) and isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name) and call.func.id == "range" and not node.orelse):
            raise ValueError(f"unsupported loop: {ast.unparse(node)}")
        bounds = [self._eval(a, env) for a in call.args]
        header = f"for {node.target.id} in {self._text(call)}"
        for value in range(*bounds):
            env[node.target.id] = value
            self._step(node, f"{header} → {node.target.id} = {value}", f"{node.target.id}={value}")
            self._block(node.body, env)
        self._step(node, f"{header} → range exhausted, the loop ends")

    # Expressions -----------------------------------------------------------------------------

    def _eval(self, node: ast.expr, env: dict):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            value = self._lookup(node.id, env)
        elif isinstance(node, ast.BinOp):
            return self._check(self._binary(node.op, self._eval(node.left, env),
                                             self._eval(node.right, env)))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
            return COMPARE[type(node.ops[0])](self._eval(node.left, env),
                                              self._eval(node.comparators[0], env))
        elif isinstance(node, ast.List):
            return [self._eval(e, env) for e in node.elts]
        elif isinstance(node, ast.Subscript):
            value = self._eval(node.value, env)[self._eval(node.slice, env)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            value = self._call(node, env)
        else:
            raise ValueError(f"unsupported expression: {ast.unparse(node)}")
        self.values[id(node)] = value
        return value

    def _binary(self, op: ast.operator, left, right):
        if type(op) not in BINARY:
            raise ValueError(f"unsupported operator: {type(op).__name__}")
        return BINARY[type(op)](left, right)

    def _call(self, node: ast.Call, env: dict):
        name = node.func.id
        args = [self._eval(a, env) for a in node.args]
        if name in ("len", "sum") and len(args) == 1:
            return len(args[0]) if name == "len" else sum(args[0])
        function = self._lookup(name, env)
        if not isinstance(function, _Function):
            raise ValueError(f"unsupported call: {ast.unparse(node)}")
        params = [a.arg for a in function.node.args.args]
        if len(params) != len(args):
            raise ValueError(f"{name} takes {len(params)} arguments")
        shown = f"{name}({', '.join(repr(a) for a in args)})"
        self._step(node, f"call {shown}")
        try:
            self._block(function.node.body, dict(zip(params, args)))
        except _Return as ret:
            self.execution.terse.append(f"{shown}={ret.value!r}")
            return ret.value
        raise ValueError(f"{name} ends without return")

    def _lookup(self, name: str, env: dict):
        if name in env:
            return env[name]
        if name in self.globals:
            return self.globals[name]
        raise ValueError(f"name {name!r} is not defined")

    def _check(self, value):
        if isinstance(value, int) and abs(value) > self.max_abs:
            raise TooBig(f"value {value} is too large")
        if isinstance(value, list) and len(value) > self.max_len:
            raise TooBig(f"list of {len(value)} items is too long")
        return value

    # Showing the working ---------------------------------------------------------------------

    # ast.unparse would do, but is ten times slower and the trace is most of generation's time:
    # every node shown sits on one source line, so its text is a slice of that line.

    def _text(self, node: ast.AST) -> str:
        return self.lines[node.lineno - 1][node.col_offset:node.end_col_offset]

    def _working(self, expr: ast.expr, value) -> str:
        """`` → 4 * 3 = 12`` for an expression with names or operators; nothing for a literal."""
        shown = self._substituted(expr)
        if shown == repr(value):
            return "" if isinstance(expr, (ast.Constant, ast.List)) else f" → {value!r}"
        return f" → {shown} = {value!r}"

    def _substituted(self, node: ast.expr) -> str:
        """The text of ``node`` with names, calls and subscripts replaced by the values they had.

        A negative value needs no parentheses: unary minus binds tighter than ``* // %``.
        """
        line = self.lines[node.lineno - 1]
        pieces, pos = [], node.col_offset
        for sub in self._valued(node):
            pieces += (line[pos:sub.col_offset], repr(self.values[id(sub)]))
            pos = sub.end_col_offset
        pieces.append(line[pos:node.end_col_offset])
        return "".join(pieces)

    def _valued(self, node: ast.AST):
        """The outermost nodes under ``node`` that have a value, in source order."""
        if isinstance(node, (ast.Name, ast.Call, ast.Subscript)) and id(node) in self.values:
            yield node
        else:
            for child in ast.iter_child_nodes(node):
                yield from self._valued(child)
