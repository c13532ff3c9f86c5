"""A language model as the policy: it reads the task and the tools, thinks, calls tools, answers.

Two formats. ``text`` (every backend, the embedded model included): the tools are listed in the
system prompt and the model writes ``<think>…</think>`` then ``<tool_call>{"name": …,
"arguments": {…}}</tool_call>``, or its final answer ending in ``Answer: <value>``; results come
back as ``<tool_response>`` user turns (the Hermes / Qwen convention). ``openai`` (an
OpenAI-compatible server): the tools ride in the request's ``tools`` and the model's
``tool_calls`` come back through the server's own parser; the history is sent as structured
assistant / tool messages.

A move the model writes badly is still recorded: an unparsable tool call becomes a call with
what could be read (and fails replay as ``schema_error`` / ``unknown_tool``); text without a call
is the final answer. The episode is then replayed like any other, so its failure has a cause.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from synthcompile.compilers.simulation.env import Environment, Task
from synthcompile.compilers.simulation.faults import Tools, is_fault
from synthcompile.compilers.simulation.render import system_prompt
from synthcompile.compilers.simulation.tools import CallRejected
from synthcompile.compilers.simulation.trajectory import MAX_CALLS, Step, Trajectory

_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.S)
FORMAT = ("Think step by step inside <think>...</think>. Then either call exactly one tool, written as\n"
          '<tool_call>{"name": "<tool name>", "arguments": {...}}</tool_call>\n'
          "and wait for its result, or, when you are done, write the final answer to the user ending with "
          "a line 'Answer: <value>'.")


def parse_move(text: str) -> tuple[str, dict[str, Any] | None]:
    """(thinking, call) from one model turn; call is None for a final answer. A call whose JSON
    does not parse is returned as ``{"name": "", "arguments": <the raw text>}``: replay rejects it."""
    think = " ".join(m.strip() for m in _THINK.findall(text)).strip()
    m = _CALL.search(text)
    if m is None:
        return think, None
    try:
        call = json.loads(m.group(1))
    except ValueError:
        return think, {"name": "", "arguments": m.group(1)}
    if not isinstance(call, dict):
        return think, {"name": "", "arguments": call}
    return think, {"name": str(call.get("name", "")), "arguments": call.get("arguments", call.get("parameters", {}))}


def call_offered(task: Task, tools: Tools, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A model's call, run only if the task offers that tool; a rejected call is the result the
    model sees (``{"error": "rejected (<cause>): ..."}``), and replay names its cause."""
    if name not in task.tools:
        return {"error": f"rejected (unknown_tool): unknown tool {name!r} (offered: {', '.join(task.tools)})"}
    try:
        return tools.call(name, arguments)
    except CallRejected as e:
        return {"error": f"rejected ({e.cause}): {e}"}


def final_text(text: str) -> str:
    return text.rsplit("</think>", 1)[-1].strip()


class ModelPolicy:
    """One model, one environment: :meth:`episode` runs a task to its end against ``tools``."""

    def __init__(self, llm: Any, env_cls: type[Environment], *, tool_format: str = "text",
                 max_tokens: int = 384, temperature: float = 0.7, max_turns: int = 16):
        self.llm, self.env_cls, self.tool_format = llm, env_cls, tool_format
        self.max_tokens, self.temperature, self.max_turns = max_tokens, temperature, min(max_turns, MAX_CALLS)

    def _opening(self, task: Task) -> list[tuple[str, ...]]:
        specs = self.env_cls.specs()
        system = system_prompt(self.env_cls)
        if self.tool_format == "text":
            listing = "\n".join(json.dumps(specs[n].as_openai()["function"]) for n in task.tools)
            system += f"\n\nTools (JSON Schema of each one's arguments):\n{listing}\n\n{FORMAT}"
        else:
            system += "\n\nWhen you are done, end the final answer with a line 'Answer: <value>'."
        return [("system", system), ("user", task.instruction)]

    def _tools_json(self, task: Task) -> str | None:
        if self.tool_format != "openai":
            return None
        specs = self.env_cls.specs()
        return json.dumps([specs[n].as_openai() for n in task.tools], sort_keys=True)

    async def episode(self, task: Task, tools: Tools, seed: int, user: Callable[[Task, str], str] | None = None
                      ) -> Trajectory:
        """One attempt. A turn with no tool call and no ``Answer:`` line is a message to the user
        (``user``: the simulated user of a multi-turn task), whose reply comes back as a user turn."""
        messages = self._opening(task)
        traj = Trajectory(task)
        for turn in range(self.max_turns):
            req = self.llm.request(messages=messages, max_tokens=self.max_tokens, temperature=self.temperature,
                                   seed=seed + turn, stop=("</tool_call>",) if self.tool_format == "text" else (),
                                   tools=self._tools_json(task))
            completion = await self.llm.generate(req)
            text = completion.text
            if self.tool_format == "text" and "<tool_call>" in text and "</tool_call>" not in text:
                text += "</tool_call>"  # the stop string is not part of the output
            think, call = parse_move(text)
            if call is None and user is not None and "answer:" not in final_text(text).casefold():
                message = final_text(text)
                reply = user(task, message)
                traj.steps.append(Step(think, "", {"message": message}, {"user": reply}))
                messages += [("assistant", text), ("user", reply)]
                continue
            if call is None:
                traj.answer, traj.think = final_text(text), think
                return traj
            name, arguments = call["name"], call["arguments"]
            result = call_offered(task, tools, name, arguments if isinstance(arguments, dict) else {"_": arguments})
            traj.steps.append(Step(think, name, arguments if isinstance(arguments, dict) else {"_": arguments},
                                   result))
            messages += self._turns(text, name, arguments, result, turn)
        return traj  # cut off without an answer: replay fails it

    def _turns(self, text: str, name: str, arguments: Any, result: dict, turn: int) -> list[tuple[str, ...]]:
        payload = json.dumps(result, ensure_ascii=False)
        if self.tool_format == "text":
            note = " (this result is not reliable: call again)" if is_fault(result) else ""
            return [("assistant", text), ("user", f"<tool_response>\n{payload}\n</tool_response>{note}")]
        call_id = f"call_{turn}"
        calls = [{"id": call_id, "type": "function",
                  "function": {"name": name, "arguments": json.dumps(arguments)}}]
        think, _ = parse_move(text)
        return [("assistant", think, json.dumps({"tool_calls": calls})),
                ("tool", payload, json.dumps({"tool_call_id": call_id}))]
