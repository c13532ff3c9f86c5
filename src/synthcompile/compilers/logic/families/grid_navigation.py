"""Grid navigation: a robot on a grid with walls follows instructions; where does it end up?

The grid is drawn in text (``#`` a wall, ``.`` open, ``R`` the robot's start) and the start is
also stated as (row, column), row 1 at the top and column 1 at the left. Two kinds of question,
drawn 50/50. ``moves``: instructions "move up 3", "move left 1"...; ``facing``: the robot faces
north, east, south or west (north is up) and follows "turn left", "turn right", "turn around",
"forward 2". The robot moves one cell at a time; a step into a wall or off the grid is not made,
so a blocked move leaves it where it is for the rest of that instruction (the question says
so). The start is drawn uniformly over the open cells, each instruction uniformly (a direction
or turn, a count 1..max_steps); one that would be blocked at its first step is drawn again four
times in five (up to ten draws), so that the robot mostly moves and does not pile up against the
edges. The answer space is every open cell (times four facings), none of them common.

The trace is the simulation: the position (and facing) after each instruction, with the steps
that were blocked. ``verify`` re-simulates from the stored grid and instructions and compares
exactly; a position may be written ``(3, 4)``, ``3, 4`` or ``row 3, column 4`` (row first), a
facing as north/east/south/west (or N/E/S/W) anywhere in the answer, once.
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, too_long
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick
from synthcompile.sample import Verdict

KINDS = ("moves", "facing")
HEADINGS = ("north", "east", "south", "west")
DELTA = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1),
         "north": (-1, 0), "east": (0, 1), "south": (1, 0), "west": (0, -1)}
_PAIR = re.compile(r"\(?\s*(\d+)\s*,\s*(\d+)\s*\)?")
_ROW_COL = re.compile(r"row\s*(\d+)\s*[,;]?\s*(?:and\s+)?col(?:umn)?\s*(\d+)", re.IGNORECASE)
_HEADING = re.compile(r"\b(?:(?i:north|east|south|west)|[NESW])\b")


class GridNavigationConfig(FamilyConfig):
    rows: int = Field(ge=3, le=30, description="rows of the grid")
    cols: int = Field(ge=3, le=30, description="columns of the grid")
    density: float = Field(ge=0.0, le=0.5, description="share of cells that are walls")
    instructions: int = Field(ge=1, le=60, description="instructions the robot follows")
    max_steps: int = Field(ge=1, le=20, description="largest count in a move or forward instruction")
    kinds: tuple[str, ...] = Field(min_length=1, description="questions asked: moves (up/down/left/right), "
                                                             "facing (turns and forward)")
    attempts: int = Field(200, ge=1, le=100000, description="draws before giving up")


def say(ins: list) -> str:
    if ins[0] == "move":
        return f"move {ins[1]} {ins[2]}"
    if ins[0] == "forward":
        return f"forward {ins[1]}"
    return {"left": "turn left", "right": "turn right", "around": "turn around"}[ins[1]]


def step(grid: list[str], pos: tuple[int, int], heading: str | None, ins: list):
    """One instruction: (position, heading, trace note, steps made of the steps asked; None for a turn)."""
    r, c = pos
    if ins[0] == "turn":
        turn = {"left": -1, "right": 1, "around": 2}[ins[1]]
        return pos, HEADINGS[(HEADINGS.index(heading) + turn) % 4], "", None
    direction, count = (ins[1], ins[2]) if ins[0] == "move" else (heading, ins[1])
    dr, dc = DELTA[direction]
    done = 0
    while done < count:
        rr, cc = r + dr, c + dc
        inside = 0 <= rr < len(grid) and 0 <= cc < len(grid[0])
        if not inside or grid[rr][cc] == "#":
            note = f" ({done} of {count} step{'s' if count != 1 else ''}, then {'a wall' if inside else 'the edge'})"
            return (r, c), heading, note, done
        r, c = rr, cc
        done += 1
    return (r, c), heading, "", done


def simulate(grid: list[str], start: tuple[int, int], heading: str | None, instructions: list):
    """(final position, final heading, one trace line per instruction)."""
    pos = start
    steps = []
    for k, ins in enumerate(instructions, 1):
        pos, heading, note, _ = step(grid, pos, heading, ins)
        where = f"({pos[0] + 1}, {pos[1] + 1})" + (f" facing {heading}" if heading else "")
        steps.append(f"{k}. {say(ins)}{note}: {where}")
    return pos, heading, steps


def parse_position(text: str) -> tuple[int, int] | None:
    if m := _ROW_COL.search(text):
        return int(m.group(1)), int(m.group(2))
    found = _PAIR.findall(text)
    if len(found) == 1:
        return int(found[0][0]), int(found[0][1])
    return None


class GridNavigation(Family):
    name = "grid_navigation"
    description = "Follow movement instructions on a grid with walls and give the robot's final position (and facing)."
    skills = ("spatial reasoning", "state tracking", "simulation")
    Config = GridNavigationConfig
    levels = {
        1: dict(rows=5, cols=5, density=0.15, instructions=4, max_steps=3, kinds=KINDS),
        2: dict(rows=6, cols=6, density=0.18, instructions=6, max_steps=3, kinds=KINDS),
        3: dict(rows=7, cols=7, density=0.2, instructions=8, max_steps=4, kinds=KINDS),
        4: dict(rows=8, cols=8, density=0.2, instructions=10, max_steps=4, kinds=KINDS),
        5: dict(rows=9, cols=9, density=0.22, instructions=12, max_steps=5, kinds=KINDS),
    }
    phrasings = (
        "{setup}\n{rules}\nInstructions: {program}\n{ask}",
        "A robot moves on this grid:\n{setup}\n{rules}\nIt follows, in order: {program}\n{ask}",
        "{rules}\n{setup}\nThe robot's instructions are: {program}\n{ask}",
        "Grid world.\n{setup}\nInstructions, in order: {program}\n{rules}\n{ask}",
        "{ask}\n{setup}\n{rules}\nInstructions: {program}",
        "Follow the robot.\n{setup}\n{rules}\nCommands: {program}\n{ask}",
    )
    _RULES = ("# is a wall and . is open floor; rows are numbered from 1 at the top, columns from 1 at the left. "
              "The robot moves one cell at a time; a step into a wall or off the grid is not made, so a blocked "
              "move leaves the robot where it is for the rest of that instruction.")
    _ASK = {"moves": "Where is the robot at the end? Give its position as (row, column).",
            "facing": "Where is the robot at the end, and which way does it face? Give (row, column) and the "
                      "direction it faces."}

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        for _ in range(c.attempts):
            grid = [["#" if rng.random() < c.density else "." for _ in range(c.cols)] for _ in range(c.rows)]
            opens = [(r, cc) for r in range(c.rows) for cc in range(c.cols) if grid[r][cc] == "."]
            if len(opens) >= 2:
                break
        else:
            raise GenerationFailed(f"no grid with open cells in {c.attempts} draws")
        start = pick(rng, opens)
        heading = pick(rng, HEADINGS) if kind == "facing" else None
        rows = ["".join(row) for row in grid]
        instructions, pos, facing = [], start, heading
        for _ in range(c.instructions):
            for _ in range(10):  # a move blocked from its first step is mostly drawn again
                count = 1 + int(rng.random() * c.max_steps)
                if kind == "moves":
                    ins = ["move", pick(rng, ("up", "down", "left", "right")), count]
                elif rng.random() < 0.5:
                    ins = ["forward", count]
                else:
                    ins = ["turn", pick(rng, ("left", "right", "around"))]
                after, turned, _, done = step(rows, pos, facing, ins)
                if done != 0 or rng.random() < 0.2:
                    break
            instructions.append(ins)
            pos, facing = after, turned
        (r, cc), final_heading, steps = simulate(rows, start, heading, instructions)
        grid[start[0]][start[1]] = "R"
        shown = ["".join(row) for row in grid]
        answer = f"({r + 1}, {cc + 1})" + (f" facing {final_heading}" if final_heading else "")
        trace = [f"start: ({start[0] + 1}, {start[1] + 1})" + (f" facing {heading}" if heading else ""), *steps]
        setup = ("\n".join(shown) + f"\nThe robot R starts at row {start[0] + 1}, column {start[1] + 1}"
                 + (f", facing {heading} (north is up)." if heading else "."))
        program = ", ".join(say(ins) for ins in instructions) + "."
        return Problem(fields={"setup": setup, "rules": self._RULES, "program": program, "ask": self._ASK[kind]},
                       answer_text=answer, trace=trace, terse=[f"{len(instructions)} instructions: {answer}"],
                       data={"kind": kind, "grid": rows, "start": [start[0], start[1]], "heading": heading,
                             "instructions": instructions})

    def _want(self, data: dict) -> tuple[tuple[int, int], str | None]:
        (r, c), heading, _ = simulate(data["grid"], tuple(data["start"]), data["heading"], data["instructions"])
        return (r + 1, c + 1), heading

    def verify(self, data: dict, answer: str) -> Verdict:
        if (reason := too_long(answer)) is not None:  # a number too long to convert is no answer
            return self.wrong(reason)
        (want, heading) = self._want(data)
        text = final_answer(answer)
        given = parse_position(text)
        if given is None:
            return self.wrong(f"no position (row, column) in {text!r}")
        if given != want:
            return self.wrong(f"expected {want}, got {given}")
        if heading is not None:
            said = {m.lower()[0] for m in _HEADING.findall(_ROW_COL.sub(" ", text))}
            if len(said) != 1:
                return self.wrong(f"expected one facing ({heading}), got {text!r}")
            if said != {heading[0]}:
                return self.wrong(f"expected facing {heading}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        (r, c), heading = self._want(problem.data)
        tail = f" facing {heading}" if heading else ""
        out = [f"({r + 1}, {c}){tail}", f"({r}, {c - 1}){tail}", f"({r} {c})x"]
        if r != c:
            out.append(f"({c}, {r}){tail}")
        if heading:
            out.append(f"({r}, {c}) facing {HEADINGS[(HEADINGS.index(heading) + 2) % 4]}")
        return [w for w in out if w != problem.answer_text]


FAMILY = GridNavigation
