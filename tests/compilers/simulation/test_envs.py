"""Every shipped environment: expert trajectories replay exactly and reach their goal; tampered
ones fail with the right cause; malformed calls are rejected; injected faults are recovered from."""

from __future__ import annotations

import copy
import random

import pytest

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.env import Environment
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.faults import is_fault
from synthcompile.compilers.simulation.render import SHIPPED, render
from synthcompile.compilers.simulation.replay import replay
from synthcompile.compilers.simulation.tools import CallRejected
from synthcompile.compilers.simulation.trajectory import Step, Trajectory

ENVS = sorted(envs.BUILTIN)
N = 200


def episodes(env_cls: type[Environment], n: int = N, faults: int = 0) -> list[Trajectory]:
    out = []
    for i in range(n):
        level = env_cls.levels[i % len(env_cls.levels)]
        out.append(expert_episode(env_cls, sample_task(env_cls, 1000 + i, level, i, faults)))
    return out


@pytest.fixture(scope="module", params=ENVS)
def env_cls(request) -> type[Environment]:
    return envs.get(request.param)


@pytest.fixture(scope="module")
def good(env_cls) -> list[Trajectory]:
    return episodes(env_cls)


def re_record(traj: Trajectory, env_cls: type[Environment], steps: list[tuple[str, dict]]) -> Trajectory:
    """A trajectory making ``steps`` (name, arguments; name "" for a message to the user) with
    results recorded from a fresh world: what a policy that made those calls would have produced."""
    env = env_cls(traj.task.world)
    try:
        new = [Step("", n, a, {"user": env.user_reply(traj.task, a["message"])} if n == "" else env.call(n, a))
               for n, a in steps]
    finally:
        env.close()
    return Trajectory(traj.task, new, traj.answer, traj.think)


def test_expert_trajectories_replay_and_reach_their_goal(env_cls, good):
    failures = [(t.task.kind, replay(t, env_cls).reason) for t in good]
    failures = [f for f in failures if f[1] is not None]
    assert not failures, failures[:5]
    assert {t.task.level for t in good} == set(env_cls.levels)
    assert all(t.steps for t in good)
    # every level offers more than one kind of task, and tasks differ
    assert len({t.task.instruction for t in good}) > N * 0.8


def test_same_seed_same_episode(env_cls):
    a = expert_episode(env_cls, sample_task(env_cls, 7, env_cls.levels[-1], 3, faults=1))
    b = expert_episode(env_cls, sample_task(env_cls, 7, env_cls.levels[-1], 3, faults=1))
    assert a.to_json() == b.to_json()


def test_altered_result_is_a_mismatch(env_cls, good):
    for t in good[:40]:  # a tool's result, or the user's reply
        bad = copy.deepcopy(t)
        bad.steps[0].result = {**bad.steps[0].result, "tampered": True}
        r = replay(bad, env_cls)
        assert (r.cause, r.step) == ("result_mismatch", 0), r


def test_wrong_final_answer(env_cls, good):
    answered = [t for t in good if t.task.answer is not None][:40]
    assert answered
    for t in answered:
        bad = copy.deepcopy(t)
        bad.answer = "Answer: " + ("no" if t.task.answer == "yes" else "yes" if t.task.answer == "no"
                                   else "9" + t.task.answer)
        assert replay(bad, env_cls).cause == "wrong_answer"


def _writes(env_cls, t):
    return [i for i, s in enumerate(t.steps) if not s.said and env_cls.specs()[s.name].kind == "write"
            and "error" not in s.result]


def test_skipped_write_leaves_the_goal_unmet(env_cls, good):
    tried = 0
    for t in good:
        w = _writes(env_cls, t)
        if not w or w[-1] != len(t.steps) - 1:
            continue
        bad = copy.deepcopy(t)
        del bad.steps[-1]
        assert replay(bad, env_cls).cause == "goal_unmet"
        tried += 1
    assert tried >= 10


def test_wrong_argument_to_a_write_leaves_the_goal_unmet(env_cls, good):
    """The calls of a good trajectory with one argument of its last write changed, as a policy
    that made that mistake would have recorded them: replay agrees, the goal does not."""
    tried = 0
    for t in good:
        w = _writes(env_cls, t)
        if not w:
            continue
        calls = [(s.name, copy.deepcopy(s.arguments)) for s in t.steps]
        name, args = calls[w[-1]]
        spec = env_cls.specs()[name].parameters["properties"]
        for key in sorted(args):
            value = args[key]
            kind = spec[key].get("type")
            if kind == "string":
                args[key] = value + "x"
            elif kind in ("integer", "number") and not isinstance(value, bool):
                args[key] = value + 1
            else:
                continue
            break
        else:
            continue
        r = replay(re_record(t, env_cls, calls), env_cls)
        assert not r.ok and r.cause in ("goal_unmet", "wrong_answer", "policy_violation"), r
        tried += 1
    assert tried >= 10


def test_policy_violation(env_cls, good):
    tried = 0
    for t in good[:40]:
        env = env_cls(t.task.world)
        forbidden = env.forbidden_call(t.task)
        env.close()
        if forbidden is None or forbidden[0] not in t.task.tools:
            continue
        calls = [forbidden] + [(s.name, s.arguments) for s in t.steps]
        r = replay(re_record(t, env_cls, calls), env_cls)
        assert (r.cause, r.step) == ("policy_violation", 0), r
        tried += 1
    assert tried >= 3


def test_schema_violations_and_unknown_tools_are_rejected(env_cls, good):
    t = next(t for t in good if not t.steps[0].said)
    env = env_cls(t.task.world)
    try:
        with pytest.raises(CallRejected, match="unknown tool 'no_such_tool'") as e:
            env.call("no_such_tool", {})
        assert e.value.cause == "unknown_tool"
        step = t.steps[0]
        with pytest.raises(CallRejected, match="Additional properties") as e:
            env.call(step.name, {**step.arguments, "zzz": 1})
        assert e.value.cause == "schema_error"
        required = env_cls.specs()[step.name].parameters.get("required", [])
        if required:
            with pytest.raises(CallRejected, match="required"):
                env.call(step.name, {k: v for k, v in step.arguments.items() if k != required[0]})
            with pytest.raises(CallRejected):
                env.call(step.name, {**step.arguments, required[0]: [["not", "this"]]})
    finally:
        env.close()
    for cause, tamper in [("unknown_tool", lambda s: setattr(s, "name", "no_such_tool")),
                          ("schema_error", lambda s: s.arguments.update(zzz=1))]:
        bad = copy.deepcopy(t)
        tamper(bad.steps[0])
        assert replay(bad, env_cls).cause == cause
    offered = set(t.task.tools)
    hidden = next((n for n in env_cls.specs() if n not in offered), None)
    if hidden:  # a tool of the environment that the task did not offer is unknown to it
        bad = copy.deepcopy(t)
        bad.steps[0].name = hidden
        assert replay(bad, env_cls).cause == "unknown_tool"


def test_injected_faults_are_recovered_from(env_cls):
    faulted = episodes(env_cls, 60, faults=2)
    kinds = set()
    for t in faulted:
        assert t.task.faults
        r = replay(t, env_cls)
        assert r.ok, r.reason
        calls = [i for i, s in enumerate(t.steps) if not s.said]  # a fault's index counts calls only
        for f in t.task.faults:
            kinds.add(f.kind)
            hit, retry = t.steps[calls[f.at]], t.steps[calls[f.at + 1]]
            assert is_fault(hit.result)
            assert (retry.name, retry.arguments) == (hit.name, hit.arguments)
        # the retry removed: the trajectory trusts a faulted result
        f = t.task.faults[0]
        bad = copy.deepcopy(t)
        del bad.steps[calls[f.at + 1]]
        assert replay(bad, env_cls).cause in ("missed_fault", "result_mismatch")
    assert {"timeout", "error"} <= kinds


def test_every_template_renders(env_cls, good):
    t = next(t for t in good if len(t.steps) >= 2)
    for name in SHIPPED:
        text = render(t, env_cls, name)
        assert t.task.instruction in text
        assert all((s.arguments["message"] if s.said else s.name) in text for s in t.steps)
        assert t.answer.splitlines()[-1] in text


def test_answers_are_not_guessable_by_level(env_cls, good):
    """No level is answered by one value most of the time (a model would learn the level)."""
    by_level: dict[int, list[str]] = {}
    for t in good:
        if t.task.answer is not None:
            by_level.setdefault(t.task.level, []).append(t.task.answer)
    for level, answers in by_level.items():
        if len(answers) >= 10:
            top = max(answers.count(a) for a in set(answers))
            assert top / len(answers) <= 0.6, (level, sorted(set(answers))[:5])


def test_tasks_use_random_streams_not_globals(env_cls):
    state = random.getstate()
    sample_task(env_cls, 3, env_cls.levels[0], 0)
    assert random.getstate() == state


def test_multi_turn_tasks_ask_the_simulated_user(env_cls, good):
    """Where an environment has multi-turn tasks: the request leaves facts out, the expert asks
    for them one at a time, the simulated user tells each when asked; a reply altered, or a
    question that asks for nothing, breaks replay."""
    dialogues = [t for t in good if any(s.said for s in t.steps)]
    if not dialogues:
        pytest.skip(f"{env_cls.name} has no multi-turn tasks")
    for t in dialogues:
        said = [s for s in t.steps if s.said]
        assert len(said) >= 2 and len({s.result["user"] for s in said}) == len(said)
        assert all(s.result["user"] not in t.task.instruction for s in said)
        bad = copy.deepcopy(t)
        i = t.steps.index(said[0])
        bad.steps[i].arguments = {"message": "Hello?"}
        assert replay(bad, env_cls).cause == "result_mismatch"
