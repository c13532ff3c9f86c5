"""Model variants: small causal LMs from Hugging Face ``transformers`` configs, by name.

A variant is a ``model_type`` (any architecture ``AutoConfig`` knows) and config values, so an
architecture change is a config change: ``model: {preset: llama-1m, config: {num_hidden_layers:
8}}`` or ``model: {preset: llama-1m, model_type: qwen2}``. Standard names (hidden_size,
num_hidden_layers, num_attention_heads, max_position_embeddings) work for every architecture
through each config's ``attribute_map`` (gpt2's n_embd, n_layer, ...). Models are saved with
``save_pretrained`` and load with ``AutoModelForCausalLM.from_pretrained``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, PretrainedConfig, PreTrainedModel
from transformers.utils import logging as hf_logging

from synthcompile.errors import UserError
from synthcompile.lab.config import ModelSpec


hf_logging.disable_progress_bar()  # "Writing model shards" bars at every checkpoint


@dataclass(frozen=True)
class Variant:
    model_type: str
    description: str
    config: dict[str, Any] = field(default_factory=dict)


VARIANTS: dict[str, Variant] = {}


def register(name: str, variant: Variant) -> None:
    if name in VARIANTS:
        raise ValueError(f"model variant {name!r} registered twice")
    VARIANTS[name] = variant


def _llama(hidden: int, layers: int, heads: int, ffn: int) -> dict[str, Any]:
    return {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
            "num_key_value_heads": heads, "intermediate_size": ffn}


register("llama-tiny", Variant("llama", "~50k parameters + embeddings: tests and smoke runs",
                               _llama(32, 2, 2, 96)))
register("llama-1m", Variant("llama", "~0.9M parameters + embeddings: the CPU lab experiments",
                             _llama(128, 4, 4, 384)))
register("llama-1m-deep", Variant("llama", "llama-1m's budget, twice as deep and narrower",
                                  _llama(96, 8, 4, 288)))
register("llama-10m", Variant("llama", "~10M parameters: a GPU or a patient CPU",
                              _llama(256, 8, 8, 1024) | {"num_key_value_heads": 4}))
register("gpt2-1m", Variant("gpt2", "a GPT-2 block (LayerNorm, GELU, learned positions) at llama-1m's size",
                            {"hidden_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4,
                             "n_inner": 384, "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0}))


def model_config(spec: ModelSpec, *, vocab_size: int, max_len: int, eos_id: int) -> PretrainedConfig:
    """The transformers config of ``spec`` for a corpus's vocabulary and sequence length."""
    if spec.preset not in VARIANTS:
        raise UserError(f"model.preset: unknown variant {spec.preset!r} (known: {', '.join(VARIANTS)})")
    variant = VARIANTS[spec.preset]
    values = {"tie_word_embeddings": True, **variant.config, **spec.config,
              "vocab_size": vocab_size, "max_position_embeddings": max_len,
              "bos_token_id": eos_id, "eos_token_id": eos_id, "pad_token_id": eos_id}
    try:
        return AutoConfig.for_model(spec.model_type or variant.model_type, **values)
    except ValueError as exc:
        raise UserError(f"model.model_type: {exc}") from None


def build_model(config: PretrainedConfig, seed: int) -> PreTrainedModel:
    """A freshly initialised causal LM; its weights depend on ``seed`` only."""
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config)


def load_model(path: str | os.PathLike) -> PreTrainedModel:
    return AutoModelForCausalLM.from_pretrained(path)


def count_parameters(model: torch.nn.Module, *, embeddings: bool = True) -> int:
    """Parameters (a tied embedding counted once); without embeddings: the 6·N·tokens FLOP count's N."""
    total = sum(p.numel() for p in model.parameters())
    if not embeddings:
        total -= model.get_input_embeddings().weight.numel()
        pos = getattr(getattr(model, "transformer", None), "wpe", None)  # learned positions (gpt2)
        total -= pos.weight.numel() if pos is not None else 0
    return total


def cpu_threads() -> int:
    """Threads for a lone run: every core this process may use.

    Measured by bench/train.py on the 2-core machine with nothing else running: llama-1m trains
    at 6.5k tokens/s on one thread and 11.1k on two. Threads fight only when more of them spin
    than there are cores (a run's two threads beside another job were once 5.6x slower than one
    thread): a sweep gives each cell its share of the cores instead (sweep.plan_cells).
    """
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pick_device(name: str) -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
