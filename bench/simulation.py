"""Simulation compiler throughput: verified trajectories per second per environment, in process
and through MCP over stdio, and what the replay verifier costs.

    .venv/bin/python bench/simulation.py [--episodes 400] [--mcp-episodes 100]

For each shipped environment, in one run (wall-clock seconds; the MCP server is another process):
- in process: sample a task (faults at levels 3-4 as the default recipe has them), run the expert
  against the world, replay the trajectory in a fresh world; trajectories/s over the whole loop;
- the same split into generation and replay: replay's cost as a share of generation's;
- through MCP (stdio, the official client and a real server process of the environment): the
  expert's calls go over the wire; the ratio MCP / in process is printed (below 1: MCP is slower).
"""

from __future__ import annotations

import argparse
import time

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.episodes import expert_episode, sample_task
from synthcompile.compilers.simulation.replay import replay
from synthcompile.compilers.simulation.stage import _McpWorld

FAULTS = {3: 1, 4: 2}


def tasks(env_cls, n: int, offset: int = 0):
    return [sample_task(env_cls, 10_000 + offset + i, env_cls.levels[i % len(env_cls.levels)], i,
                        FAULTS.get(env_cls.levels[i % len(env_cls.levels)], 0)) for i in range(n)]


def in_process(env_cls, n: int) -> tuple[float, float, float]:
    """(trajectories/s end to end, generation s, replay s)."""
    start = time.perf_counter()
    made = [expert_episode(env_cls, t) for t in tasks(env_cls, n)]
    generated = time.perf_counter()
    bad = [r.reason for r in (replay(t, env_cls) for t in made) if not r.ok]
    done = time.perf_counter()
    if bad:
        raise RuntimeError(f"{env_cls.name}: {len(bad)} trajectories failed replay: {bad[0]}")
    return n / (done - start), generated - start, done - generated


def over_mcp(name: str, env_cls, n: int) -> float:
    world = _McpWorld(name, "mcp-stdio")  # the server's start-up is not timed: a worker pays it once
    try:
        start = time.perf_counter()
        made = [world.episode(env_cls, t) for t in tasks(env_cls, n, 50_000)]
        if not all(replay(t, env_cls).ok for t in made):
            raise RuntimeError(f"{name}: a trajectory made through MCP failed replay")
        return n / (time.perf_counter() - start)
    finally:
        world.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=400)
    parser.add_argument("--mcp-episodes", type=int, default=100)
    parser.add_argument("--only", nargs="*", help="these environments only")
    args = parser.parse_args()
    print(f"{'environment':<12} {'in process/s':>13} {'MCP stdio/s':>12} {'MCP / process':>14} "
          f"{'replay / generation':>20}")
    for name in args.only or envs.BUILTIN:
        env_cls = envs.get(name)
        in_process(env_cls, 20)  # warm: imports, the sandbox's child
        rate, gen, rep = in_process(env_cls, args.episodes)
        mcp = over_mcp(name, env_cls, args.mcp_episodes)
        print(f"{name:<12} {rate:>13,.0f} {mcp:>12,.0f} {mcp / rate:>13.2f}x {rep / gen:>19.0%}")


if __name__ == "__main__":
    main()
