"""A trajectory as chat messages, and the messages as text through a chat template.

The messages follow the OpenAI / Hugging Face convention (``tool_calls`` on assistant turns,
``tool`` turns for results, the thinking in ``reasoning_content``), so the shipped templates are
Jinja files of the same shape as a model's own ``chat_template``: a recipe may name any such
file (a tokenizer's template saved to disk) and get that model's exact format. The shipped ones,
in ``templates/``: ``chatml`` (Hermes-style ``<tool_call>``), ``qwen`` (Qwen 2.5/3: results in
``<tool_response>``), ``llama3`` (``ipython`` results) and ``plain`` (readable text for
pretraining, no special tokens).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from synthcompile.compilers.simulation.config import SHIPPED_TEMPLATES
from synthcompile.compilers.simulation.env import Environment
from synthcompile.compilers.simulation.trajectory import Trajectory

TEMPLATES = Path(__file__).parent / "templates"
SHIPPED = SHIPPED_TEMPLATES


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson escapes <, > and & for HTML; a chat template wants the JSON as is
    # (Hugging Face's renderer overrides it the same way).
    return json.dumps(value, ensure_ascii=False, indent=indent)


@lru_cache(maxsize=16)
def template(name_or_path: str) -> jinja2.Template:
    """A shipped template by name, or a Jinja file by path."""
    path = TEMPLATES / f"{name_or_path}.j2" if name_or_path in SHIPPED else Path(name_or_path)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["tojson"] = _tojson
    return env.from_string(path.read_text(encoding="utf-8"))


def system_prompt(env: type[Environment] | Environment) -> str:
    text = env.description.strip()
    if env.policy.strip():
        text += "\n\nPolicy (follow it at every step):\n" + env.policy.strip()
    return text


def messages(traj: Trajectory, env: type[Environment], think: bool = True) -> list[dict[str, Any]]:
    """The trajectory as chat messages: system (description and policy), user (the task), then an
    assistant turn per call (thinking: the reflection on the last result and the plan), a tool
    turn per result, and the final answer."""
    out: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(env)},
                                 {"role": "user", "content": traj.task.instruction}]
    reflect = ""
    for step in traj.steps:
        if step.said:  # a question to the user, and the user's reply
            turn = {"role": "assistant", "content": step.arguments["message"]}
            if think:
                turn["reasoning_content"] = "\n".join(t for t in (reflect, step.think) if t)
            out += [turn, {"role": "user", "content": step.result["user"]}]
            reflect = step.reflect
            continue
        turn: dict[str, Any] = {"role": "assistant", "content": "",
                                "tool_calls": [{"type": "function",
                                                "function": {"name": step.name, "arguments": step.arguments}}]}
        if think:
            turn["reasoning_content"] = "\n".join(t for t in (reflect, step.think) if t)
        out.append(turn)
        out.append({"role": "tool", "name": step.name, "content": _tojson(step.result)})
        reflect = step.reflect
    final: dict[str, Any] = {"role": "assistant", "content": traj.answer}
    if think:
        final["reasoning_content"] = "\n".join(t for t in (reflect, traj.think) if t)
    out.append(final)
    return out


def render(traj: Trajectory, env: type[Environment], template_name: str = "chatml", think: bool = True) -> str:
    specs = env.specs()
    tools = [specs[n].as_openai() for n in traj.task.tools]
    return template(template_name).render(messages=messages(traj, env, think), tools=tools,
                                          add_generation_prompt=False, bos_token="", eos_token="")
