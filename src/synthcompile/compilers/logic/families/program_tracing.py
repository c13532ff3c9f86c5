"""Tiny Python programs: what do they print? Traced by our interpreter, checked by running them.

The generator builds a program as a syntax tree (``ast`` nodes), choosing only constructs whose
meaning it controls: divisions by non-zero constants, list indexes below a length it tracks,
loops with small fixed bounds, counters that always reach their bound. ``ast.unparse`` renders
it; :mod:`..pytrace` executes the rendered text step by step, and that record (line, values used,
values produced) is the trace. A program whose run is too long or whose numbers grow too large is
drawn again from the same RNG. No statement cancels itself (``count -= count``, ``x = x``,
``y - y``, ``+ 0``): such parts are drawn again as they are built, and a program that still has one
is drawn again too.

``verify`` runs the source in the sandbox (:mod:`synthcompile.sandbox`) and compares its real
output, whitespace-normalised, with the stored output and with the answer. The sandbox runner is a
per-worker resource (:mod:`synthcompile.worker`): started on first use, kept for every shard the
worker runs, stopped when the worker exits.
"""

from __future__ import annotations

import ast
import random
import re
from typing import ClassVar, Literal

from pydantic import Field

from synthcompile.answers import final_block
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.pytrace import TooBig, Tracer
from synthcompile.sample import Verdict
from synthcompile import worker
from synthcompile.sandbox import Limits, SandboxRunner

Feature = Literal["if", "for", "while", "list", "function", "nested"]
Op = Literal["+", "-", "*", "//", "%"]
OPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "//": ast.FloorDiv, "%": ast.Mod}
COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
INT_NAMES = ("a", "b", "c", "d", "n", "m", "x", "y", "z", "s", "t", "w", "total", "count", "acc")
LIST_NAMES = ("xs", "ys", "nums", "vals")
LOOP_NAMES = ("i", "j", "k")
FUNCTION_NAMES = ("f", "g", "step", "mix")
PARAM_NAMES = ("p", "q")
ATTEMPTS = 200  # programs drawn before giving up (rejections are rare: ~1 in 10 at the top level)


class ProgramTracingConfig(FamilyConfig):
    statements: int = Field(ge=1, le=12, description="top-level statements before the final print")
    max_const: int = Field(ge=1, le=100, description="largest integer literal")
    ops: tuple[Op, ...] = Field(min_length=1, description="arithmetic operators to draw from")
    features: tuple[Feature, ...] = Field(description="constructs beyond straight-line code")
    loop_max: int = Field(ge=1, le=8, description="most iterations of any loop")
    prints: int = Field(ge=1, le=4, description="print statements")
    depth: int = Field(ge=1, le=3, description="expression nesting depth")


def _name(identifier: str) -> ast.Name:
    return ast.Name(identifier, ast.Load())


def _store(identifier: str) -> ast.Name:
    return ast.Name(identifier, ast.Store())


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(_name(function), list(args), [])


def _zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _cancels(left: ast.expr, op: ast.operator, right: ast.expr) -> bool:
    """``e - e``, ``e // e``, ``e % e`` (a constant), ``e + 0``, ``e - 0``, ``0 + e``: an operation
    that does nothing, or cancels its own operand."""
    if isinstance(op, (ast.Sub, ast.FloorDiv, ast.Mod)) and ast.dump(left) == ast.dump(right):
        return True
    return isinstance(op, (ast.Add, ast.Sub)) and _zero(right) or isinstance(op, ast.Add) and _zero(left)


def self_cancelling(source: str) -> str | None:
    """The first self-cancelling part of a program (``count -= count``, ``x = x``, ``(a + b) - (a +
    b)``, ``x += 0``...), as source text, or None."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AugAssign) and _cancels(ast.Name(node.target.id, ast.Load()), node.op, node.value):
            return ast.unparse(node)
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                and any(isinstance(t, ast.Name) and t.id == node.value.id for t in node.targets)):
            return ast.unparse(node)
        if isinstance(node, ast.BinOp) and _cancels(node.left, node.op, node.right):
            return ast.unparse(node)
    return None


class _ProgramBuilder:
    """Draws one program; tracks which names are defined on every path and list lengths."""

    def __init__(self, config: ProgramTracingConfig, rng: random.Random):
        self.c, self.rng = config, rng
        self.ints: list[str] = []                  # int variables defined so far
        self.lists: dict[str, int] = {}            # list variable -> length it has at least
        self.functions: dict[str, int] = {}        # function -> number of parameters
        self.fresh = list(INT_NAMES)
        rng.shuffle(self.fresh)

    def has(self, feature: str) -> bool:
        return feature in self.c.features

    # Expressions -----------------------------------------------------------------------------

    def const(self, low: int = 0) -> ast.Constant:
        return ast.Constant(self.rng.randint(low, self.c.max_const))

    def atom(self, extra: tuple[str, ...] = (), params: tuple[str, ...] | None = None) -> ast.expr:
        """A literal, a variable or a list query. Inside a function (``params``), its parameters only."""
        names = params if params is not None else self.ints + list(extra)
        roll = self.rng.random()
        if self.lists and params is None and roll < 0.2:
            xs = self.rng.choice(sorted(self.lists))
            kind = self.rng.randrange(3)
            if kind == 0:
                return _call("len", _name(xs))
            if kind == 1:
                return _call("sum", _name(xs))
            return ast.Subscript(_name(xs), ast.Constant(self.rng.randrange(self.lists[xs])), ast.Load())
        if names and roll < 0.75:
            return _name(self.rng.choice(names))
        return self.const()

    def expr(self, depth: int, extra: tuple[str, ...] = (),
             params: tuple[str, ...] | None = None) -> ast.expr:
        if depth <= 0 or self.rng.random() < 0.3:
            return self.atom(extra, params)
        if self.functions and params is None and self.rng.random() < 0.3:
            function = self.rng.choice(sorted(self.functions))
            return _call(function, *(self.expr(depth - 1, extra)
                                     for _ in range(self.functions[function])))
        op = self.rng.choice(self.c.ops)
        if op in ("//", "%"):  # a non-zero constant divisor: never a ZeroDivisionError
            right: ast.expr = ast.Constant(self.rng.randint(2, 5))
        elif op == "*":  # keep products small: one side is a literal
            right = ast.Constant(self.rng.randint(2, 4))
        else:
            right = self.expr(depth - 1, extra, params)
        left = self.expr(depth - 1, extra, params)
        for _ in range(8):  # never y - y or y + 0: draw the side at fault again
            if not _cancels(left, OPS[op](), right):
                break
            if _zero(right):
                right = self.expr(depth - 1, extra, params)
            else:
                left = self.expr(depth - 1, extra, params)
        else:  # one variable in scope keeps coming back: a literal instead
            left = self.const(low=1)
            right = right if not _zero(right) and ast.dump(left) != ast.dump(right) else \
                ast.Constant(left.value % self.c.max_const + 1 if self.c.max_const > 1 else 2)
        return ast.BinOp(left, OPS[op](), right)

    def condition(self, extra: tuple[str, ...] = (),
                  params: tuple[str, ...] | None = None) -> ast.Compare:
        if self.rng.random() < 0.3 and "%" in self.c.ops:  # a parity test
            left = ast.BinOp(self.atom(extra, params), ast.Mod(), ast.Constant(2))
            return ast.Compare(left, [self.rng.choice((ast.Eq, ast.NotEq))()], [ast.Constant(0)])
        return ast.Compare(self.expr(1, extra, params), [self.rng.choice(COMPARISONS)()],
                           [self.expr(1, extra, params)])

    # Statements ------------------------------------------------------------------------------

    def assign_new(self) -> ast.stmt:
        value = self.expr(self.c.depth) if self.ints else self.const()
        name = self.fresh.pop()
        self.ints.append(name)
        return ast.Assign([_store(name)], value)

    def update(self, extra: tuple[str, ...] = ()) -> ast.stmt:
        """Change an existing variable (inside branches and loops: never define one)."""
        name = self.rng.choice(self.ints)
        if self.rng.random() < 0.5:
            op = self.rng.choice([o for o in self.c.ops if o in ("+", "-")] or ["+"])
            value = self.expr(self.c.depth - 1, extra)
            for _ in range(8):  # never count -= count or x += 0
                if not _cancels(_name(name), OPS[op](), value):
                    break
                value = self.expr(self.c.depth - 1, extra)
            else:
                value = self.const(low=1)
            return ast.AugAssign(_store(name), OPS[op](), value)
        value = self.expr(self.c.depth, extra)
        for _ in range(8):  # never x = x
            if not (isinstance(value, ast.Name) and value.id == name):
                break
            value = self.expr(self.c.depth, extra)
        else:
            value = self.const()
        return ast.Assign([_store(name)], value)

    def body(self, extra: tuple[str, ...], nested_ok: bool) -> list[ast.stmt]:
        stmts: list[ast.stmt] = []
        for _ in range(self.rng.randint(1, 2)):
            roll = self.rng.random()
            if nested_ok and self.has("nested") and roll < 0.3:
                stmts.append(self.if_stmt(extra, nested_ok=False))
            elif self.lists and roll < 0.5:
                xs = self.rng.choice(sorted(self.lists))
                stmts.append(ast.Expr(ast.Call(ast.Attribute(_name(xs), "append", ast.Load()),
                                               [self.expr(1, extra)], [])))
            else:
                stmts.append(self.update(extra))
        return stmts

    def if_stmt(self, extra: tuple[str, ...] = (), nested_ok: bool = True) -> ast.If:
        orelse: list[ast.stmt] = []
        if self.rng.random() < 0.6:
            orelse = self.body(extra, nested_ok)
            if self.rng.random() < 0.3:  # elif
                orelse = [ast.If(self.condition(extra), orelse, self.body(extra, nested_ok))]
        return ast.If(self.condition(extra), self.body(extra, nested_ok), orelse)

    def for_stmt(self, outer: tuple[str, ...] = ()) -> ast.For:
        """A loop over a small range; with "nested", a top-level loop may hold one inner loop."""
        var = next(v for v in LOOP_NAMES if v not in outer)
        count = self.rng.randint(1, self.c.loop_max)
        start = self.rng.randint(0, 3)
        step = self.rng.choice((1, 1, 1, 2))
        args = [ast.Constant(start + count * step)] if start == 0 and step == 1 else (
            [ast.Constant(start), ast.Constant(start + count * step)]
            + ([ast.Constant(step)] if step != 1 else []))
        body = self.body(outer + (var,), nested_ok=True)
        if self.has("nested") and not outer and self.rng.random() < 0.25:
            body.append(self.for_stmt((var,)))
        return ast.For(_store(var), _call("range", *args), body, [])

    def while_stmt(self) -> list[ast.stmt]:
        """A counter loop that always ends: the counter is fresh and only the loop moves it."""
        counter = self.fresh.pop()
        step = self.rng.randint(1, 3)
        start = self.rng.randint(0, 5)
        limit = start + step * self.rng.randint(1, self.c.loop_max)
        body = self.body((counter,), nested_ok=True)
        body.append(ast.AugAssign(_store(counter), ast.Add(), ast.Constant(step)))
        loop = ast.While(ast.Compare(_name(counter), [ast.Lt()], [ast.Constant(limit)]), body, [])
        self.ints.append(counter)  # defined from here on; updates before the loop are fine
        return [ast.Assign([_store(counter)], ast.Constant(start)), loop]

    def list_stmt(self) -> ast.stmt:
        if self.lists and self.rng.random() < 0.5:
            xs = self.rng.choice(sorted(self.lists))
            if self.lists[xs] and self.rng.random() < 0.5:
                index = ast.Constant(self.rng.randrange(self.lists[xs]))
                return ast.Assign([ast.Subscript(_name(xs), index, ast.Store())], self.expr(1))
            value = self.expr(1)  # drawn before the list grows: it may not read the new item
            self.lists[xs] += 1
            return ast.Expr(ast.Call(ast.Attribute(_name(xs), "append", ast.Load()), [value], []))
        xs = next(n for n in LIST_NAMES if n not in self.lists)
        items = [self.const() for _ in range(self.rng.randint(2, 4))]
        self.lists[xs] = len(items)
        return ast.Assign([_store(xs)], ast.List(items, ast.Load()))

    def function_def(self) -> ast.FunctionDef:
        name = self.rng.choice(FUNCTION_NAMES)
        params = PARAM_NAMES[: self.rng.randint(1, 2)]
        body: list[ast.stmt] = []
        if self.rng.random() < 0.5:
            body.append(ast.If(self.condition(params=params),
                               [ast.Return(self.expr(2, params=params))], []))
        body.append(ast.Return(self.expr(2, params=params)))
        self.functions[name] = len(params)
        args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], kwonlyargs=[],
                             kw_defaults=[], defaults=[])
        extra = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}  # 3.12+
        return ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], **extra)

    def print_stmt(self) -> ast.stmt:
        choices: list[ast.expr] = [_name(self.rng.choice(self.ints))]
        if len(self.ints) > 1 and self.rng.random() < 0.3:
            choices = [_name(n) for n in self.rng.sample(self.ints, 2)]
        elif self.lists and self.rng.random() < 0.3:
            choices = [_name(self.rng.choice(sorted(self.lists)))]
        return ast.Expr(_call("print", *choices))

    def program(self) -> str:
        stmts: list[ast.stmt] = []
        if self.has("function"):
            stmts.append(self.function_def())
        stmts.append(self.assign_new())
        kinds = ["new", "update"] + [f for f in ("if", "for", "while", "list") if self.has(f)]
        middle_prints = self.c.prints - 1
        for _ in range(self.c.statements):
            kind = self.rng.choice(kinds)
            if kind == "new" and self.fresh[1:]:
                stmts.append(self.assign_new())
            elif kind == "if":
                stmts.append(self.if_stmt())
            elif kind == "for":
                stmts.append(self.for_stmt())
            elif kind == "while" and self.fresh[1:]:
                stmts += self.while_stmt()
            elif kind == "list":
                stmts.append(self.list_stmt())
            else:
                stmts.append(self.update())
            if middle_prints and self.rng.random() < 0.3:
                stmts.append(self.print_stmt())
                middle_prints -= 1
        stmts += [self.print_stmt() for _ in range(middle_prints + 1)]
        return ast.unparse(ast.fix_missing_locations(ast.Module(stmts, [])))


def normalise_output(text: str) -> str:
    """Printed text compared line by line: runs of spaces collapsed, blank lines dropped."""
    lines = (" ".join(line.split()) for line in text.strip().splitlines())
    return "\n".join(line for line in lines if line)


_LAST_INT = re.compile(r"-?\d+(?!.*\d)", re.S)


class ProgramTracing(Family):
    name = "program_tracing"
    description = "Tiny Python programs (loops, branches, lists, functions): what do they print?"
    version = "2"  # 2: no self-cancelling statements (count -= count, x = x, y - y, + 0) (issue 11)
    skills = ("program tracing", "code execution", "variable binding")
    Config = ProgramTracingConfig
    # The verdict must not depend on the machine's load: a program is stopped by CPU time (which
    # load does not inflate), and the wall-clock limit is only a generous safety net for a
    # program that sleeps or blocks; a wall timeout is retried once before it counts. Programs
    # run in microseconds, and any whose reference run exceeds the tracer's step budget was
    # already rejected at generation, deterministically.
    sandbox_limits: ClassVar[Limits] = Limits(wall_s=20.0, cpu_s=2.0, memory_mb=256)
    levels = {
        1: dict(statements=3, max_const=9, ops=("+", "-"), features=(), loop_max=1, prints=1,
                depth=1),
        2: dict(statements=3, max_const=12, ops=("+", "-", "*"), features=("if",), loop_max=1,
                prints=1, depth=2),
        3: dict(statements=3, max_const=12, ops=("+", "-", "*", "//", "%"),
                features=("if", "for", "while"), loop_max=4, prints=2, depth=2),
        4: dict(statements=4, max_const=20, ops=("+", "-", "*", "//", "%"),
                features=("if", "for", "while", "list"), loop_max=5, prints=2, depth=2),
        5: dict(statements=5, max_const=20, ops=("+", "-", "*", "//", "%"),
                features=("if", "for", "while", "list", "function", "nested"), loop_max=5,
                prints=3, depth=2),
    }
    phrasings = (
        "What does this Python program print?\n```python\n{program}\n```",
        "Trace the following code step by step and give its exact output.\n\n{program}",
        "Run this program in your head. What appears on the screen?\n\n{program}",
        "Here is a short Python script:\n{program}\nWhat output does it produce?",
        "Predict the output of the code below.\n```\n{program}\n```",
        "Consider this code:\n{program}\nWrite down everything it prints, one line per print call.",
    )

    def generate(self, rng: random.Random) -> Problem:
        for _ in range(ATTEMPTS):
            source = _ProgramBuilder(self.config, rng).program()
            if self_cancelling(source) is not None:
                continue
            try:
                run = Tracer().run(source)
            except TooBig:
                continue
            output = "\n".join(run.output)
            return Problem(fields={"program": source}, answer_text=output,
                           trace=[*run.trace, f"output: {' / '.join(run.output)}"],
                           terse=run.terse, data={"source": source, "output": output})
        raise GenerationFailed(f"{self.name}: no program within the step budget after {ATTEMPTS} attempts")

    def sandbox(self) -> SandboxRunner:
        limits = self.sandbox_limits
        return worker.resource(("sandbox", limits), lambda: SandboxRunner(limits))

    def verify(self, data: dict, answer: str) -> Verdict:
        runner = self.sandbox()
        result = runner.run(data["source"])
        if result.error == "timeout":  # wall clock only: the machine may have been overloaded
            result = runner.run(data["source"])
        if not result.ok:
            return self.wrong(f"program failed in the sandbox: {result.error}")
        actual = normalise_output(result.stdout)
        if actual != normalise_output(data["output"]):
            return self.wrong(f"stored output {data['output']!r} is not the real output {actual!r}")
        given = normalise_output(final_block(answer))
        if not given:
            return self.wrong("no answer")
        if given != actual:
            return self.wrong(f"expected {actual!r}, got {given!r}")
        if runner.missing:  # never pass silently with fewer kernel layers than designed
            return Verdict(True, f"{self.name}/{self.version}",
                           f"sandbox without: {'; '.join(runner.missing)}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        lines = normalise_output(problem.answer_text).splitlines()
        out = []
        last = _LAST_INT.search(lines[-1])
        if last:
            n = int(last.group())
            for changed in (n + 1, n - 1, -n):
                out.append("\n".join(lines[:-1] + [lines[-1][:last.start()] + str(changed)
                                                    + lines[-1][last.end():]]))
        out.append("\n".join(lines + [lines[-1]]))              # an extra line
        if len(lines) > 1:
            out.append("\n".join(lines[:-1]))                    # truncated
            out.append("\n".join([lines[1], lines[0], *lines[2:]]))  # swapped
        elif len(lines[0]) > 1:
            out.append(lines[0][:-1])                            # truncated
        true = normalise_output(problem.answer_text)
        return [w for w in out if normalise_output(w) != true]


FAMILY = ProgramTracing
