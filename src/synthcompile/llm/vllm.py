"""An in-process vLLM engine, for GPU machines (``pip install vllm``; never needed by the tests).

vLLM batches continuously on its own, so every request a batch gathers goes to one
``LLM.generate`` / ``LLM.chat`` call with a ``SamplingParams`` each (its own seed, its own
schema through guided decoding). Greedy decoding on a GPU is repeatable for a fixed batch, not
across batch shapes (vLLM's own docs say so); the request cache is what makes a rerun byte-equal.
"""

from __future__ import annotations

from typing import Any

from synthcompile.errors import UserError
from synthcompile.llm.batching import ThreadBatcher
from synthcompile.llm.config import LLMConfig
from synthcompile.llm.request import Completion, Request


class VLLMBackend(ThreadBatcher):
    def __init__(self, config: LLMConfig):
        try:
            import vllm  # noqa: F401
        except ImportError as exc:
            raise UserError("llm.backend vllm needs vLLM on a GPU machine: pip install vllm") from exc
        super().__init__()
        self.config = config
        self.batch = max(config.concurrency, 64)
        self._engine: Any = None

    @property
    def identity(self) -> dict[str, Any]:
        import vllm

        return {"kind": "vllm", "model": self.config.model, "revision": self.config.revision,
                "runtime": f"vllm {vllm.__version__}"}

    @property
    def max_concurrency(self) -> int:
        return self.batch

    def load(self) -> None:
        if self._engine is None:
            from vllm import LLM

            self._engine = LLM(model=self.config.model, revision=self.config.revision, seed=0)

    def _params(self, req: Request) -> Any:
        from vllm import SamplingParams

        kwargs: dict[str, Any] = {"max_tokens": req.max_tokens, "temperature": req.temperature,
                                  "top_p": req.top_p, "n": req.n, "seed": req.seed,
                                  "stop": list(req.stop) or None, "logprobs": req.logprobs}
        if req.schema is not None:
            try:  # vLLM >= 0.10
                from vllm.sampling_params import StructuredOutputsParams

                kwargs["structured_outputs"] = StructuredOutputsParams(json=req.schema)
            except ImportError:
                from vllm.sampling_params import GuidedDecodingParams

                kwargs["guided_decoding"] = GuidedDecodingParams(json=req.schema)
        return SamplingParams(**kwargs)

    def _run(self, requests: list[Request]) -> list[Completion]:
        results: dict[int, Completion] = {}
        for chat in (True, False):
            idx = [i for i, r in enumerate(requests) if r.chat == chat]
            if not idx:
                continue
            part = [requests[i] for i in idx]
            params = [self._params(r) for r in part]
            if chat:
                outs = self._engine.chat([[{"role": m[0], "content": m[1]} for m in req.messages or ()]
                                          for req in part], params, use_tqdm=False)
            else:
                outs = self._engine.generate([req.prompt for req in part], params, use_tqdm=False)
            for i, out in zip(idx, outs):
                results[i] = Completion(
                    texts=[o.text for o in out.outputs],
                    finish_reasons=[o.finish_reason or "" for o in out.outputs],
                    prompt_tokens=len(out.prompt_token_ids or []),
                    completion_tokens=sum(len(o.token_ids) for o in out.outputs))
        return [results[i] for i in range(len(requests))]
