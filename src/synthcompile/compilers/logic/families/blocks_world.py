"""Blocks world: a shortest plan of "move X onto Y / onto the table" that turns one set of stacks
into another.

Lettered blocks stand in stacks on a table (as many stacks as wanted). A move takes the top block
of a stack and puts it on top of another stack or alone on the table. The question gives the
start and the goal stacks (bottom to top) and asks for a shortest plan. The plan's length is the
answer class, drawn first (uniformly over the level's lengths); start and goal are random arrangements
(a random order of the blocks cut at random into stacks), kept when the goal is exactly that many
moves away. So the number of stacks, blocks
or words says nothing about the plan.

Answer format: the moves separated by commas (or one per line), ``move A onto B``, ``move C onto
the table`` (``A -> B``, ``A -> table``, ``put A on B``, ``move A from C to the table`` are read
too; a "from" must name where the block is). ``verify`` re-solves for the optimum (bidirectional
breadth-first search) and simulates the plan: every move must take a top block onto another
stack's top or the table (not a block onto itself, not a lone block onto the table), the end
state must be the goal (stacks in any order) and the length must be the optimum; any optimal
plan is accepted.

The trace is the solver's bidirectional BFS: the size of each layer as it grows from the start
and from the goal (the smaller frontier first), the state where the two searches meet, then the
plan with the stacks after each move.
"""

from __future__ import annotations

import random
import re

from pydantic import Field, model_validator

from synthcompile.answers import final_lines
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, shuffle
from synthcompile.sample import Verdict

ATTEMPTS = 300
LETTERS = "ABCDEFGH"
TABLE = "table"
_SPLIT = re.compile(r"\s*(?:,|;|\n|\bthen\b|\band\b)\s*", re.I)
_MOVE = re.compile(r"(?i)(?:\d{1,3}[.)]\s*|[-*•]\s*)?(?:(?:move|put|place|stack)\s+)?(?:block\s+)?([a-h])\s*"
                   r"(?:from\s+(?:the\s+)?(?:block\s+)?(table|[a-h])\s*)?"
                   r"(?:->|→|=>|\bonto\b|\bon\s+top\s+of\b|\bon\b|\bto\b)\s*(?:the\s+)?(?:block\s+)?(table|[a-h])")

State = tuple[tuple[str, ...], ...]


class BlocksWorldConfig(FamilyConfig):
    blocks: int = Field(ge=2, le=8, description="number of blocks (letters A, B, ...)")
    lengths: tuple[int, ...] = Field(min_length=1, description="optimal plan lengths, drawn uniformly")
    list_layers: int = Field(6, ge=0, le=100, description="BFS layers of at most this many states are listed "
                             "state by state in the trace; larger ones are counted")

    @model_validator(mode="after")
    def _lengths(self):
        if min(self.lengths) < 1 or max(self.lengths) > 2 * self.blocks:
            raise ValueError("lengths: between 1 and twice the number of blocks")
        return self


def canon(stacks) -> State:
    return tuple(sorted(tuple(s) for s in stacks if s))


def successors(state: State):
    """((block, onto block or 'table'), next state) for every legal move."""
    for i, s in enumerate(state):
        x = s[-1]
        base = s[:-1]
        rest = state[:i] + state[i + 1:]
        if base:
            yield (x, TABLE), canon(rest + (base, (x,)))
        for j, t in enumerate(rest):
            yield (x, t[-1]), canon(rest[:j] + rest[j + 1:] + (t + (x,), base))


def apply(state: State, move: tuple[str, str]) -> State | None:
    """The state after a move, or None if it is not legal (x not on top, y not on top, x onto x,
    a lone block onto the table)."""
    x, y = move
    src = next((s for s in state if s[-1] == x), None)
    if src is None or x == y:
        return None
    rest = [s for s in state if s is not src]
    if y == TABLE:
        if len(src) == 1:
            return None
        return canon(rest + [src[:-1], (x,)])
    dst = next((s for s in rest if s[-1] == y), None)
    if dst is None:
        return None
    return canon([s for s in rest if s is not dst] + [dst + (x,), src[:-1]])


def state_text(state: State) -> str:
    return ", ".join("[" + " ".join(s) + "]" for s in state)


def move_text(move: tuple[str, str]) -> str:
    return f"move {move[0]} onto the table" if move[1] == TABLE else f"move {move[0]} onto {move[1]}"


def bidirectional(start: State, goal: State, list_layers: int | None = 6, limit: int | None = None):
    """(shortest length, plan, steps): layer by layer from both ends, the smaller frontier first;
    after a layer in which the searches meet, the best meeting state gives the plan. Steps are
    written only when ``list_layers`` is not None; with ``limit``, (None, [], steps) as soon as
    the shortest plan is known to be longer."""
    trace = list_layers is not None
    steps: list[str] = []
    if start == goal:
        return 0, [], ["the start is the goal"] if trace else []
    fwd: dict[State, tuple | None] = {start: None}  # state -> (previous state, move) from the start
    bwd: dict[State, tuple | None] = {goal: None}   # state -> (next state, move) toward the goal
    dist_f, dist_b = {start: 0}, {goal: 0}
    front_f, front_b = [start], [goal]
    depth_f = depth_b = 0
    while front_f and front_b:
        if limit is not None and depth_f + depth_b >= limit:
            return None, [], steps
        forward = len(front_f) <= len(front_b)
        front, seen, dist, other = (front_f, fwd, dist_f, dist_b) if forward else (front_b, bwd, dist_b, dist_f)
        nxt, meets = [], []
        for s in front:
            for move, t in successors(s):
                if t not in seen:
                    seen[t] = (s, move)
                    dist[t] = dist[s] + 1
                    nxt.append(t)
                    if t in other:
                        meets.append(t)
        side = "start" if forward else "goal"
        if trace:
            depth = dist[nxt[0]] if nxt else None
            if nxt and len(nxt) <= list_layers:
                steps.append(f"from the {side}, layer {depth}: " + "; ".join(state_text(t) for t in nxt))
            elif nxt:
                steps.append(f"from the {side}, layer {depth}: {len(nxt)} new states")
        if meets:
            meet = min(meets, key=lambda t: (dist_f[t] + dist_b[t], meets.index(t)))
            plan = []
            s = meet
            while fwd[s] is not None:
                prev, move = fwd[s]
                plan.append(move)
                s = prev
            plan.reverse()
            s = meet
            while bwd[s] is not None:
                nxt_state, move = bwd[s]
                # bwd holds the move from nxt_state (nearer the goal) to s: toward the goal the same
                # block goes back to where it stands in nxt_state
                plan.append((move[0], _under(nxt_state, move[0])))
                s = nxt_state
            total = dist_f[meet] + dist_b[meet]
            if trace:
                steps.append(f"the searches meet at {state_text(meet)}: "
                             f"{dist_f[meet]} + {dist_b[meet]} = {total} moves")
            return total, plan, steps
        if forward:
            front_f, depth_f = nxt, depth_f + 1
        else:
            front_b, depth_b = nxt, depth_b + 1
    return None, [], steps


def _under(state: State, x: str) -> str:
    """What x stands on in ``state``: a block or the table."""
    for s in state:
        if x in s:
            i = s.index(x)
            return s[i - 1] if i else TABLE
    raise ValueError(x)


def parse_plan(text: str, blocks: str) -> list[tuple[str, str, str | None]] | None:
    """(block, onto, from or None) of each move written, or None."""
    s = text.strip().strip("[]").strip()
    items = [x for x in _SPLIT.split(s) if x.strip(" .")]
    out = []
    for item in items:
        m = _MOVE.fullmatch(item.strip(" ."))
        if not m:
            return None
        x, frm, y = m.group(1).upper(), m.group(2), m.group(3)
        y = TABLE if y.lower() == TABLE else y.upper()
        frm = None if frm is None else (TABLE if frm.lower() == TABLE else frm.upper())
        if x not in blocks or (y != TABLE and y not in blocks) or (frm not in (None, TABLE) and frm not in blocks):
            return None
        out.append((x, y, frm))
    return out or None


def plan_text(response: str, blocks: str) -> str:
    """The plan a response states: its final answer, or, with no lead such as "Answer:", the run
    of lines at its end that are each moves (a numbered list, one move per line)."""
    return final_lines(response, lambda line: parse_plan(line, blocks) is not None)


def random_state(rng: random.Random, blocks: str) -> State:
    order = list(blocks)
    shuffle(rng, order)
    stacks, cur = [], [order[0]]
    for b in order[1:]:
        if rng.random() < 0.5:
            stacks.append(cur)
            cur = []
        cur.append(b)
    stacks.append(cur)
    return canon(stacks)


class BlocksWorld(Family):
    name = "blocks_world"
    description = "Blocks world: a shortest plan of block moves (bidirectional BFS) from one set of stacks to another."
    skills = ("planning", "breadth-first search", "state tracking")
    Config = BlocksWorldConfig
    levels = {
        1: dict(blocks=3, lengths=(2, 3, 4)),
        2: dict(blocks=4, lengths=(3, 4, 5)),
        3: dict(blocks=5, lengths=(4, 5, 6)),
        4: dict(blocks=6, lengths=(4, 5, 6), list_layers=3),
    }
    phrasings = (
        "Blocks world. Blocks stand in stacks on a table; a move takes the top block of a stack and puts it "
        "on top of another stack or on the table.\nStart (each stack bottom to top): {start}\n"
        "Goal (each stack bottom to top): {goal}\n{ask}",
        "Start stacks, bottom to top: {start}\nGoal stacks, bottom to top: {goal}\nOnly a block with nothing "
        "on it can move, onto another clear block or onto the table. {ask}",
        "{ask}\nInitially (stacks listed bottom to top): {start}\nWanted (bottom to top): {goal}\n"
        "Each move lifts one clear block onto another clear block or the table.",
        "There are {n} blocks on a table, in stacks (written bottom to top): {start}. Rearrange them into "
        "{goal}, moving one top block at a time onto another top block or the table. {ask}",
        "Puzzle: turn the stacks {start} into the stacks {goal} (each written bottom to top; the order of the "
        "stacks does not matter). A move puts the top block of one stack on another stack or on the table.\n"
        "{ask}",
    )
    _ASK = ("Give a shortest plan, as moves separated by commas, like 'move A onto B, move C onto the table'.")

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        blocks = LETTERS[:c.blocks]
        want = pick(rng, c.lengths)
        for _ in range(ATTEMPTS):
            goal, state = random_state(rng, blocks), random_state(rng, blocks)
            best, plan, steps = bidirectional(state, goal, c.list_layers, limit=want)
            if best == want:
                start = state
                break
        else:
            raise GenerationFailed(f"no start {want} moves from a goal in {ATTEMPTS} walks")
        # stacks shown in a random order: canon() sorts them, which would put A's stack first
        shown_start, shown_goal = list(start), list(goal)
        shuffle(rng, shown_start)
        shuffle(rng, shown_goal)
        s = start
        for i, move in enumerate(plan, 1):
            s = apply(s, move)
            steps.append(f"{i}. {move_text(move)}: {state_text(s)}")
        steps.append(f"shortest plan: {best} moves")
        answer = ", ".join(move_text(m) for m in plan)
        return Problem(fields={"n": c.blocks, "start": state_text(tuple(shown_start)),
                               "goal": state_text(tuple(shown_goal)), "ask": self._ASK},
                       answer_text=answer, trace=steps, terse=[f"{best} moves: {answer}"],
                       data={"kind": "plan", "blocks": blocks, "start": [list(x) for x in shown_start],
                             "goal": [list(x) for x in shown_goal]})

    def verify(self, data: dict, answer: str) -> Verdict:
        blocks = data["blocks"]
        start, goal = canon(data["start"]), canon(data["goal"])
        best, _, _ = bidirectional(start, goal, None)
        given = plan_text(answer, blocks)
        plan = parse_plan(given, blocks)
        if plan is None:
            return self.wrong(f"not a plan of moves such as 'move A onto B': {given!r}")
        state = start
        for i, (x, y, frm) in enumerate(plan, 1):
            if frm is not None and _under(state, x) != frm:
                return self.wrong(f"move {i}: {x} is not on {frm}")
            nxt = apply(state, (x, y))
            if nxt is None:
                return self.wrong(f"move {i}: {move_text((x, y))} is not a legal move in {state_text(state)}")
            state = nxt
        if state != goal:
            return self.wrong(f"the plan ends in {state_text(state)}, not the goal")
        if len(plan) != best:
            return self.wrong(f"{len(plan)} moves, the shortest plan has {best}")
        return self.ok()

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a, d = problem.answer_text, problem.data
        moves = a.split(", ")
        x = pick(rng, list(d["blocks"]))
        cands = [", ".join(moves[:-1]), ", ".join(moves[1:]), ", ".join(moves[::-1]),
                 ", ".join(moves + [f"move {x} onto the table"]), a.replace("onto the table", "onto A", 1)]
        if len(moves) >= 2:
            cands.append(", ".join([moves[1], moves[0], *moves[2:]]))
        return [w for w in dict.fromkeys(cands) if w and w != a and not self.verify(d, w).passed]


FAMILY = BlocksWorld
