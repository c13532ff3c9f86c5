"""A model trained by the lab as the policy, in closed loop: the environment executes its calls.

The lab trains on the ``plain`` rendering (``Thought:`` / ``Call: name {json}`` / ``Result:`` /
``Assistant:`` ... ``Answer:``), so that is the format here: the prompt is the system text, the
tools and ``User: <task>``; the model continues greedily; its text is cut where it starts to
write a ``Result:`` of its own, the call it wrote is executed, and the real result is appended.
A turn without a ``Call:`` line is the final answer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from synthcompile.compilers.simulation import envs
from synthcompile.compilers.simulation.env import Task
from synthcompile.compilers.simulation.render import system_prompt, template
from synthcompile.compilers.simulation.model_policy import call_offered
from synthcompile.compilers.simulation.trajectory import MAX_CALLS, Step, Trajectory

_CALL = re.compile(r"^Call: (\w*) ?(.*)$", re.M)
_THOUGHT = re.compile(r"^Thought: (.*)$", re.M)


def parse_turn(text: str) -> tuple[str, tuple[str, Any] | None, str]:
    """(thought, (tool, arguments) or None, the turn's text up to its call line) from one turn."""
    thought = " ".join(_THOUGHT.findall(text)).strip()
    m = _CALL.search(text)
    if m is None:
        return thought, None, text
    try:
        args = json.loads(m.group(2))
    except ValueError:
        args = m.group(2)
    return thought, (m.group(1), args), text[:m.end()]


class LabPolicy:
    """Greedy decoding of a lab model (``lab train``'s ``out/model``: weights and tokenizer)."""

    def __init__(self, model_dir: str | Path, *, max_new_tokens: int = 160, max_turns: int = 16):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        self.tok = AutoTokenizer.from_pretrained(model_dir)
        self.max_new_tokens, self.max_turns = max_new_tokens, min(max_turns, MAX_CALLS)
        self.context = int(getattr(self.model.config, "max_position_embeddings", 2048))

    def _continue(self, text: str) -> str:
        # Tokenised as it was in training, where the text went on: a prompt ending "\n\n" alone
        # becomes one "\n\n" token, which training never had before "Thought" (it had "\n", "\n",
        # "Thought"), and the model then writes a Result of its own. So encode the prompt with the
        # word that follows it in training and keep the tokens that end within the prompt.
        enc = self.tok(text + "Thought", add_special_tokens=False, return_offsets_mapping=True)
        ids = [self.tok.eos_token_id] + [i for i, (_, end) in zip(enc["input_ids"], enc["offset_mapping"])
                                         if end <= len(text)]
        ids = ids[-(self.context - self.max_new_tokens):]
        with self.torch.no_grad():
            out = self.model.generate(self.torch.tensor([ids]), do_sample=False, max_new_tokens=self.max_new_tokens,
                                      eos_token_id=self.tok.eos_token_id, pad_token_id=self.tok.eos_token_id)
        new = self.tok.decode(out[0, len(ids):], skip_special_tokens=True)
        return new.split("\nResult:")[0].split("\nUser:")[0]

    async def episode(self, task: Task, tools: Any, seed: int, user: Any = None) -> Trajectory:
        """One greedy attempt (a turn without a call is the answer: no dialogue with ``user``)."""
        env_cls = envs.get(task.env)
        specs = env_cls.specs()
        opening = [{"role": "system", "content": system_prompt(env_cls)}, {"role": "user", "content": task.instruction}]
        head = template("plain").render(
            messages=opening, tools=[specs[n].as_openai() for n in task.tools], add_generation_prompt=False,
            bos_token="", eos_token="")
        text, traj = head, Trajectory(task)
        for _ in range(self.max_turns):
            turn = self._continue(text)
            thought, call, kept = parse_turn(turn)
            if call is None:
                traj.answer, traj.think = turn.split("Assistant:", 1)[-1].strip(), thought
                return traj
            name, args = call
            arguments = args if isinstance(args, dict) else {"_": args}
            result = call_offered(task, tools, name, arguments)
            traj.steps.append(Step(thought, name, arguments, result))
            text += kept.rstrip("\n") + "\nResult: " + json.dumps(result, ensure_ascii=False) + "\n\n"
        return traj

