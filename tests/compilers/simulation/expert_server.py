"""A stand-in model behind a real OpenAI-compatible server on 127.0.0.1: it plays the expert.

    python -m tests.compilers.simulation.expert_server TASKS.jsonl

prints its port, then serves ``/v1/chat/completions`` until killed. No model that solves these
tasks runs on this machine, so this scripted one stands in for it (and says so): for a request
it finds the task by the user message (TASKS.jsonl: one task JSON per line, as the stage will
sample them), replays the conversation's tool results into the environment's expert, and answers
with the expert's next move in the request's format: text (``<think>`` + ``<tool_call>``, the
stop string left out as OpenAI servers do) or OpenAI ``tool_calls`` when the request has
``tools``. After a faulted result it repeats the call, as a careful model would.

It errs on purpose: when ``seed % 3 == 0`` its final answer is wrong, so rejection sampling has
something to reject. ``GET /__stats`` counts requests.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.env import Answer, Say, Task
from synthcompile.compilers.simulation.faults import is_fault
from tests.loopback import serve_chat

_RESPONSE = re.compile(r"<tool_response>\n(.*)\n</tool_response>", re.S)


def results_of(messages: list[dict]) -> list[dict]:
    out = []
    for m in messages[2:]:
        if m["role"] == "tool":
            out.append(json.loads(m["content"]))
        elif m["role"] == "user" and (hit := _RESPONSE.search(m["content"] or "")):
            out.append(json.loads(hit.group(1)))
        elif m["role"] == "user":  # the simulated user's reply to the expert's question
            out.append({"user": m["content"]})
    return out


def next_move(task: Task, results: list[dict]):
    """The expert's move after ``results``. Faulted results are not fed to it: after one, its
    pending move is still the call that was struck, so the model repeats it."""
    env = envs.get(task.env)(task.world)
    try:
        policy = env.expert(task)
        move = next(policy)
        for result in results:
            if not is_fault(result):
                move = policy.send(result)
        return move
    finally:
        env.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tasks")
    args = parser.parse_args()
    tasks = {}
    with open(args.tasks) as f:
        for line in f:
            t = Task.from_json(json.loads(line))
            tasks[t.instruction] = t
    stats: Counter = Counter()

    def reply(body: dict) -> tuple[dict, str]:
        messages = body["messages"]
        user = next(m["content"] for m in messages if m["role"] == "user")
        task = tasks[user]
        move = next_move(task, results_of(messages))
        think = "\n".join(t for t in (move.reflect, move.think) if t)
        if isinstance(move, Say):  # a question to the user: text with no call and no answer line
            return {"content": f"<think>{think}</think>\n{move.text}"}, "stop"
        if isinstance(move, Answer):
            text = move.text
            if (body.get("seed") or 0) % 3 == 0:
                text = text.rsplit("Answer:", 1)[0] + "Answer: 9" + (task.answer or "x")
            return {"content": f"<think>{think}</think>\n{text}"}, "stop"
        if body.get("tools"):
            return {"content": f"<think>{think}</think>",
                    "tool_calls": [{"id": f"c{stats['requests']}", "type": "function",
                                    "function": {"name": move.name, "arguments": json.dumps(move.arguments)}}]}, \
                "tool_calls"
        call = json.dumps({"name": move.name, "arguments": move.arguments})
        return {"content": f"<think>{think}</think>\n<tool_call>{call}"}, "stop"  # the stop string left out

    serve_chat(reply, stats)


if __name__ == "__main__":
    main()
