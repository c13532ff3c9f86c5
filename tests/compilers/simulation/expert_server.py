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

from aiohttp import web

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.env import Answer, Say, Task
from synthcompile.compilers.simulation.faults import is_fault
from tests.loopback import serve_forever

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

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        stats["requests"] += 1
        messages = body["messages"]
        user = next(m["content"] for m in messages if m["role"] == "user")
        task = tasks[user]
        move = next_move(task, results_of(messages))
        think = "\n".join(t for t in (move.reflect, move.think) if t)
        message: dict = {"role": "assistant"}
        if isinstance(move, Say):  # a question to the user: text with no call and no answer line
            message["content"] = f"<think>{think}</think>\n{move.text}"
            finish = "stop"
        elif isinstance(move, Answer):
            text = move.text
            if (body.get("seed") or 0) % 3 == 0:
                text = text.rsplit("Answer:", 1)[0] + "Answer: 9" + (task.answer or "x")
            message["content"] = f"<think>{think}</think>\n{text}"
            finish = "stop"
        elif body.get("tools"):
            message["content"] = f"<think>{think}</think>"
            message["tool_calls"] = [{"id": f"c{stats['requests']}", "type": "function",
                                      "function": {"name": move.name, "arguments": json.dumps(move.arguments)}}]
            finish = "tool_calls"
        else:
            call = json.dumps({"name": move.name, "arguments": move.arguments})
            message["content"] = f"<think>{think}</think>\n<tool_call>{call}"  # the stop string left out
            finish = "stop"
        return web.json_response({"id": "x", "object": "chat.completion", "model": body.get("model"),
                                  "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(dict(stats))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/__stats", get_stats)

    serve_forever(app)


if __name__ == "__main__":
    main()
