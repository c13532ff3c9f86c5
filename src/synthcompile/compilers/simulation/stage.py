"""The simulation compile stage: environments -> expert trajectories, each verified by replay.

Sharding. A shard is a range of one environment's episodes (train or probe); episode ``i`` gets
its world seed, task seed and level from ``(recipe seed, stage, environment, split, i)``, so its
bytes depend on neither the worker nor the other shards. A shard's fingerprint carries its own
environment's configuration and version: editing one environment rebuilds only its shards.

Verification. Every trajectory is replayed in a freshly built world (``replay.py``): only those
that pass are written; a failure is quarantined with its cause and counted
(``replay_failed:<cause>``), which for the shipped experts means a bug.

A model as the policy (``model:``). Each task is attempted ``attempts`` times, each attempt
sampled with its own seed and run through the progress journal (a killed shard resumes with the
attempts it had finished; their requests are in the run's LLM cache). Every attempt is replayed;
the verified ones are kept (rejection sampling) and the rest counted by cause
(``attempt_failed:<cause>``), with attempts and passes per level for pass rates.

MCP. With ``via: mcp-stdio`` / ``mcp-http`` the expert's calls go through the official MCP
client to a server process of the environment (one per worker, kept for its shards); the
trajectory is the same, byte for byte, as in process (tests/compilers/simulation/test_mcp.py).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Any, Iterator

import pyarrow as pa

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.config import SimulationSection
from synthcompile.compilers.simulation.env import Task
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.faults import FaultyTools
from synthcompile.compilers.simulation.render import SHIPPED, render
from synthcompile.compilers.simulation.replay import replay
from synthcompile.compilers.simulation.trajectory import Trajectory, rollout
from synthcompile.config import hashable
from synthcompile.journal import run_journaled
from synthcompile.sample import SAMPLE_SCHEMA, Sample, Verdict, params_hash, to_table
from synthcompile.stage import Resources, ShardContext, ShardSpec, Stage, Upstream

VERSION = "1"  # the framework's (rollout, replay, rendering); each environment has its own
BATCH_ROWS = 512
WORLD_SEEDS = 2**31  # world seeds stay plain ints that every tool and MCP carries exactly


class SimulationStage(Stage):
    name = "simulation"
    version = VERSION
    schema = SAMPLE_SCHEMA

    def __init__(self, section: SimulationSection):
        self.section = section
        self.resources = Resources.for_llm(section.model.llm if section.model else None)

    def shaped_by(self) -> Any:
        """What every shard shares; each spec carries its own environment's configuration."""
        return {k: v for k, v in hashable(self.section).items() if k not in ("environments", "servers")}

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        specs: list[ShardSpec] = []
        step = self.section.episodes_per_shard
        for name, env_spec in self.section.specs().items():
            env_cls = envs.get(name)
            config = params_hash({"env": env_spec.model_dump(mode="json"), "version": env_cls.version})
            stem = env_cls.name
            for split, count in (("train", env_spec.count), ("probe", env_spec.probes)):
                for shard, start in enumerate(range(0, count, step)):
                    specs.append(ShardSpec(stage=self.name, index=len(specs), name=f"{stem}-{split}-{shard:05d}",
                                           params={"env": name, "split": split, "start": start,
                                                   "stop": min(start + step, count), "config": config}))
        for name, server in self.section.servers.items():
            with open(server.tasks, encoding="utf-8") as f:
                n = sum(1 for line in f if line.strip())
            config = params_hash(hashable(server))  # the tasks file by its content
            for shard, start in enumerate(range(0, max(n, 1), server.tasks_per_shard)):
                specs.append(ShardSpec(stage=self.name, index=len(specs), name=f"{name}-mcp-{shard:05d}",
                                       params={"server": name, "split": "train", "start": start,
                                               "stop": min(start + server.tasks_per_shard, n), "config": config}))
        return specs

    def _tasks(self, spec: ShardSpec, ctx: ShardContext, env_cls) -> list[tuple[int, int, Task]]:
        """(episode index, task seed, task) for the shard's episodes."""
        name, split = spec.params["env"], spec.params["split"]
        levels = self.section.specs()[name].levels or list(env_cls.levels)
        worlds, seeds = ctx.seed_stream(name, split, "world"), ctx.seed_stream(name, split, "task")
        faults = self.section.faults
        out = []
        for i in range(spec.params["start"], spec.params["stop"]):
            level = levels[i % len(levels)]
            out.append((i, seeds.seed(i), sample_task(env_cls, worlds.seed(i) % WORLD_SEEDS, level, seeds.seed(i),
                                                      faults.per_level.get(level, 0), tuple(faults.kinds))))
        return out

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        if "server" in spec.params:
            yield from self._server_shard(spec, ctx)
            return
        name, split = spec.params["env"], spec.params["split"]
        env_cls = envs.get(name)
        # `via` is left out: a trajectory made through MCP is the in-process one, byte for byte
        shared = {k: v for k, v in hashable(self.section).items() if k not in ("environments", "via")}
        p_hash = params_hash({"section": shared, "config": spec.params["config"]})
        made = self._by_model(spec, ctx, env_cls) if self.section.model else self._by_expert(spec, ctx, env_cls)
        samples: list[Sample] = []
        for seed, traj, who in made:
            samples.append(self._sample(env_cls, traj, split, seed, p_hash, who))
            _count(ctx, traj)
            if len(samples) == BATCH_ROWS:
                yield to_table(samples)
                samples = []
        if samples:
            yield to_table(samples)

    def _by_expert(self, spec: ShardSpec, ctx: ShardContext, env_cls) -> Iterator[tuple[int, Trajectory, tuple]]:
        name = spec.params["env"]
        remote = None if self.section.via == "process" else ctx.resource(
            ("mcp", name, self.section.via), lambda: _McpWorld(name, self.section.via))
        for i, seed, task in self._tasks(spec, ctx, env_cls):
            traj = expert_episode(env_cls, task) if remote is None else remote.episode(env_cls, task)
            verdict = replay(traj, env_cls)
            if not verdict.ok:
                ctx.stats[f"replay_failed:{verdict.cause}"] += 1
                ctx.quarantine(traj.to_json(), f"replay_failed:{verdict.cause}: {verdict.detail}", episode=i)
                continue
            yield seed, traj, (None, None)

    def _by_model(self, spec: ShardSpec, ctx: ShardContext, env_cls) -> Iterator[tuple[int, Trajectory, tuple]]:
        from synthcompile.compilers.simulation.model_policy import ModelPolicy

        m = self.section.model
        llm = self._llm(ctx)
        policy = ModelPolicy(llm, env_cls, tool_format=m.tool_format, max_tokens=m.max_tokens,
                             temperature=m.temperature, max_turns=m.max_turns)
        tasks = {i: (seed, task) for i, seed, task in self._tasks(spec, ctx, env_cls)}

        async def attempt(item: tuple[int, int]) -> dict:
            i, k = item
            seed, task = tasks[i]
            env = env_cls(task.world)
            try:
                tools = FaultyTools(env, task.faults, stale=lambda: env_cls(task.world))
                return (await policy.episode(task, tools, seed=(seed + 7919 * k) % 2**31,
                                             user=env.user_reply)).to_json()
            finally:
                env.close()

        items = [(f"{i}|{k}", (i, k)) for i in tasks for k in range(m.attempts)]
        results = run_journaled(ctx.journal, items, attempt, concurrency=llm.backend.max_concurrency)
        ctx.stats["attempts_replayed"] += ctx.journal.replayed
        ctx.stats.update(llm.drain_counters())
        for i, (seed, task) in tasks.items():
            kept = 0
            for k in range(m.attempts):
                traj = Trajectory.from_json(results[f"{i}|{k}"])
                verdict = replay(traj, env_cls)
                ctx.stats["attempts"] += 1
                ctx.stats[f"level:{task.level}:attempts"] += 1
                if not verdict.ok:
                    ctx.stats[f"attempt_failed:{verdict.cause}"] += 1
                    continue
                ctx.stats["attempts_passed"] += 1
                ctx.stats[f"level:{task.level}:passed"] += 1
                if kept == 0 or m.keep == "all":
                    kept += 1
                    yield seed, traj, (llm.name, llm.model)
            ctx.stats["tasks_solved"] += kept > 0

    def _server_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        """Someone else's MCP server: its tasks, the gold plan (or the model) through the MCP
        client, each trajectory replayed on a fresh server (stdio) or checked against the record."""
        import json

        from synthcompile.compilers.simulation.mcp import McpTools
        from synthcompile.compilers.simulation.remote import Remote, replay_remote, scripted, task_of

        name = spec.params["server"]
        server = self.section.servers[name]
        target = server.url if server.url is not None else list(server.command)
        tools = ctx.resource(("mcp", name, "external"), lambda: McpTools(target))
        remote = Remote(name, tools.specs(), server.description, server.policy)
        p_hash = params_hash({"section": self.shaped_by(), "config": spec.params["config"]})
        samples: list[Sample] = []
        with open(server.tasks, encoding="utf-8") as f:
            lines = [(n, line) for n, line in enumerate(f, 1) if line.strip()][spec.params["start"]:spec.params["stop"]]
        for n, line in lines:
            try:
                task = task_of(remote, json.loads(line), n)
            except (ValueError, TypeError) as e:
                ctx.quarantine(line.strip()[:500], f"bad task: {e}", file=str(server.tasks), line=n)
                continue
            if task.params["calls"] is not None:
                traj = rollout(task, scripted(task), _Lenient(tools))
                who = (None, None)
            elif self.section.model is not None:
                traj = self._remote_model(remote, task, tools, ctx)
                llm = self._llm(ctx)
                who = (llm.name, llm.model)
            else:
                ctx.quarantine(line.strip()[:500], "bad task: no calls, and the recipe has no model: to play it",
                               file=str(server.tasks), line=n)
                continue
            fresh = McpTools(target) if server.command is not None else None  # a fresh world: a new process
            try:
                verdict, verifier = replay_remote(traj, remote, fresh)
            finally:
                if fresh is not None:
                    fresh.close()
            if not verdict.ok:
                ctx.stats[f"replay_failed:{verdict.cause}"] += 1
                ctx.quarantine(traj.to_json(), f"replay_failed:{verdict.cause}: {verdict.detail}",
                               file=str(server.tasks), line=n)
                continue
            sample = self._sample(remote, traj, "train", n, p_hash, who)
            sample.verdict = Verdict(True, verifier)
            samples.append(sample)
            _count(ctx, traj)
        if samples:
            yield to_table(samples)

    def _llm(self, ctx: ShardContext):
        from synthcompile.llm.client import shard_client

        return shard_client(ctx, self.section.model.llm, self.resources.cpus)

    def _remote_model(self, remote, task: Task, tools, ctx: ShardContext) -> Trajectory:
        from synthcompile.compilers.simulation.model_policy import ModelPolicy
        from synthcompile.journal import worker_loop

        m = self.section.model
        policy = ModelPolicy(self._llm(ctx), remote, tool_format=m.tool_format, max_tokens=m.max_tokens,
                             temperature=m.temperature, max_turns=m.max_turns)
        return worker_loop().run_until_complete(policy.episode(task, _Lenient(tools), seed=task.world))

    def _sample(self, env_cls, traj: Trajectory, split: str, seed: int, p_hash: str, who: tuple) -> Sample:
        task = traj.task
        skills = ["tool_use", f"env:{env_cls.name}"]
        if task.faults:
            skills.append("fault_recovery")
        if task.trap:
            skills.append("policy")
        trace = [t for s in traj.steps for t in (s.think, s.reflect) if t] + ([traj.think] if traj.think else [])
        template = self.section.template
        return Sample(
            text=render(traj, env_cls, template, self.section.think),
            compiler="simulation", family=f"simulation.{env_cls.name}", skills=skills,
            difficulty=task.level, split=split, seed_id=f"{env_cls.name}/{task.world}",
            form=template if template in SHIPPED else "custom", template=task.kind,
            # The answer column holds what can be judged from text: an action's goal is a state,
            # and a trap's refusal is the policy's, both judged by replay (and kept out of the audit).
            question=task.instruction, answer="" if task.answer is None or task.trap else task.answer,
            trace=trace,
            tool_calls=[{"name": s.name, "arguments": s.arguments, "result": s.result} for s in traj.steps
                        if not s.said],
            structured={"kind": task.kind, **traj.to_json()},
            verdict=Verdict(True, "simulation.replay"),
            generator=f"simulation.{env_cls.name}", generator_version=f"{VERSION}.{env_cls.version}",
            params_hash=p_hash, rng_seed=seed, backend=who[0], model=who[1])


def _count(ctx: ShardContext, traj: Trajectory) -> None:
    task = traj.task
    ctx.stats["samples"] += 1
    ctx.stats["verified"] += 1
    ctx.stats[f"simulation.{task.env}"] += 1
    ctx.stats["tool_calls"] += sum(not s.said for s in traj.steps)
    ctx.stats["user_turns"] += sum(s.said for s in traj.steps)
    ctx.stats["faults_recovered"] += len(task.faults)
    ctx.stats["policy_traps"] += task.trap


class _Lenient:
    """Tools whose malformed calls are recorded as results (``{"error": "rejected ..."}``) rather
    than raised: replay then names the cause against the server's schemas."""

    def __init__(self, inner):
        self.inner = inner

    def call(self, name, arguments):
        from synthcompile.compilers.simulation.tools import CallRejected

        try:
            return self.inner.call(name, arguments)
        except CallRejected as e:
            return {"error": f"rejected ({e.cause}): {e}"}


class _McpWorld:
    """A worker's MCP server of one environment (stdio: a child the client launches; http: a
    server process on a free 127.0.0.1 port) with the client connected to it."""

    def __init__(self, env: str, via: str):
        from synthcompile.compilers.simulation.mcp import McpTools, stdio_command

        self.process = None
        if via == "mcp-stdio":
            self.tools = McpTools(stdio_command(env))
        else:
            port = _free_port()
            self.process = subprocess.Popen([*stdio_command(env), "--http", "--port", str(port)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.tools = _connect(f"http://127.0.0.1:{port}/mcp", self.process)

    def episode(self, env_cls, task) -> Trajectory:
        self.tools.reset(task.world)
        env = env_cls(task.world)  # the expert's own planning state: the calls go to the server
        try:
            tools = FaultyTools(self.tools, task.faults, stale=lambda: env_cls(task.world))
            return rollout(task, env.expert(task), tools, env.user_reply)
        finally:
            env.close()

    def close(self) -> None:
        self.tools.close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _connect(url: str, process: subprocess.Popen, wait_s: float = 30.0):
    from synthcompile.compilers.simulation.mcp import McpTools

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return McpTools(url)
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the MCP server at {url} did not start ({sys.executable} exited "
                                   f"{process.poll()})") from None
            time.sleep(0.2)
