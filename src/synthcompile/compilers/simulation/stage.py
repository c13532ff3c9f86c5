"""The simulation compile stage: environments -> expert trajectories, each verified by replay.

Sharding. A shard is a range of one environment's episodes (train or probe); episode ``i`` gets
its world seed, task seed and level from ``(recipe seed, stage, environment, split, i)``, so its
bytes depend on neither the worker nor the other shards. A shard's fingerprint carries its own
environment's configuration and version: editing one environment rebuilds only its shards.

Verification. Every trajectory is replayed in a freshly built world (``replay.py``): only those
that pass are written; a failure is quarantined with its cause and counted
(``replay_failed:<cause>``), which for the shipped experts means a bug.

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
from synthcompile.compilers.simulation.config import EnvSpec, SimulationSection
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.faults import FaultyTools
from synthcompile.compilers.simulation.render import SHIPPED, render
from synthcompile.compilers.simulation.replay import replay
from synthcompile.compilers.simulation.trajectory import Trajectory, rollout
from synthcompile.sample import SAMPLE_SCHEMA, Sample, Verdict, params_hash, to_table
from synthcompile.stage import ShardContext, ShardSpec, Stage, Upstream

VERSION = "1"  # the framework's (rollout, replay, rendering); each environment has its own
BATCH_ROWS = 512
WORLD_SEEDS = 2**31  # world seeds stay plain ints that every tool and MCP carries exactly


class SimulationStage(Stage):
    name = "simulation"
    version = VERSION
    schema = SAMPLE_SCHEMA

    def __init__(self, section: SimulationSection):
        self.section = section

    def shaped_by(self) -> Any:
        """What every shard shares; each spec carries its own environment's configuration."""
        return self.section.model_dump(mode="json", exclude={"environments"})

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
        return specs

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        name, split = spec.params["env"], spec.params["split"]
        env_cls = envs.get(name)
        env_spec: EnvSpec = self.section.specs()[name]
        levels = env_spec.levels or list(env_cls.levels)
        remote = None if self.section.via == "process" else ctx.resource(
            ("mcp", name, self.section.via), lambda: _McpWorld(name, self.section.via))
        worlds, tasks = ctx.seed_stream(name, split, "world"), ctx.seed_stream(name, split, "task")
        # `via` is left out: a trajectory made through MCP is the in-process one, byte for byte
        shared = self.section.model_dump(mode="json", exclude={"environments", "via"})
        p_hash = params_hash({"section": shared, "config": spec.params["config"]})
        samples: list[Sample] = []
        for i in range(spec.params["start"], spec.params["stop"]):
            level = levels[i % len(levels)]
            seed = tasks.seed(i)
            task = sample_task(env_cls, worlds.seed(i) % WORLD_SEEDS, level, seed,
                               self.section.faults.per_level.get(level, 0), tuple(self.section.faults.kinds))
            traj = expert_episode(env_cls, task) if remote is None else remote.episode(env_cls, task)
            verdict = replay(traj, env_cls)
            if not verdict.ok:
                ctx.stats[f"replay_failed:{verdict.cause}"] += 1
                ctx.quarantine(traj.to_json(), f"replay_failed:{verdict.cause}: {verdict.detail}", episode=i)
                continue
            samples.append(self._sample(env_cls, traj, split, seed, p_hash))
            _count(ctx, traj)
            if len(samples) == BATCH_ROWS:
                yield to_table(samples)
                samples = []
        if samples:
            yield to_table(samples)

    def _sample(self, env_cls, traj: Trajectory, split: str, seed: int, p_hash: str) -> Sample:
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
            tool_calls=[{"name": s.name, "arguments": s.arguments, "result": s.result} for s in traj.steps],
            structured={"kind": task.kind, **traj.to_json()},
            verdict=Verdict(True, "simulation.replay"),
            generator=f"simulation.{env_cls.name}", generator_version=f"{VERSION}.{env_cls.version}",
            params_hash=p_hash, rng_seed=seed)


def _count(ctx: ShardContext, traj: Trajectory) -> None:
    task = traj.task
    ctx.stats["samples"] += 1
    ctx.stats["verified"] += 1
    ctx.stats[f"simulation.{task.env}"] += 1
    ctx.stats[f"level:{task.level}"] += 1
    ctx.stats["tool_calls"] += len(traj.steps)
    ctx.stats["faults_recovered"] += len(task.faults)
    ctx.stats["policy_traps"] += task.trap


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
            return rollout(task, env.expert(task), FaultyTools(self.tools, task.faults, stale=lambda: env_cls(task.world)))
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
