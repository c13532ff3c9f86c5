"""The lab's training config: a YAML file validated like a recipe (unknown keys fail, located).

A config names a built run (its export is the data), a model variant, and one or more training
*phases*. A phase trains on the exported documents whose family matches its patterns, with its
own budget, optimizer and learning-rate schedule: pretraining on biographies then fine-tuning on
questions is two phases. Paths are relative to the config file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, ValidationError, model_validator

from synthcompile.located import RecipeErrors, errors_from_validation, read_yaml
from synthcompile.config import StrictModel


class ModelSpec(StrictModel):
    preset: str = Field("llama-1m", description="a named variant (synthcompile lab models)")
    model_type: str | None = Field(None, description="any transformers AutoConfig model_type, "
                                                     "replacing the preset's (e.g. gpt2, qwen2)")
    config: dict[str, Any] = Field(default_factory=dict, description="overrides of the config "
                                   "(hidden_size, num_hidden_layers, ...)")


class PhaseSpec(StrictModel):
    """One training phase: which documents, how long, and its optimizer and schedule."""

    name: str
    include: list[str] = Field(default_factory=lambda: ["*"], description="family patterns (fnmatch)")
    exclude: list[str] = Field(default_factory=list, description="family patterns left out")
    skills: list[str] | None = Field(None, description="only documents with a skill matching one of "
                                     "these patterns (e.g. 'entity:person'); default: any")
    steps: PositiveInt | None = Field(None, description="optimizer steps")
    tokens: PositiveInt | None = Field(None, description="training tokens (rounded up to whole steps)")
    lr: PositiveFloat = Field(1e-3, description="peak learning rate")
    min_lr: float = Field(0.1, ge=0, le=1, description="final learning rate, as a share of the peak")
    warmup: NonNegativeInt = Field(100, description="linear warm-up steps, then cosine decay")
    weight_decay: float = Field(0.1, ge=0, description="AdamW decay of matrices (not norms, biases)")

    @model_validator(mode="after")
    def _budget(self) -> "PhaseSpec":
        if (self.steps is None) == (self.tokens is None):
            raise ValueError("give exactly one of 'steps' or 'tokens'")
        return self


class TrainSpec(StrictModel):
    batch_size: PositiveInt = 32
    seq_len: PositiveInt = 128
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: PositiveFloat | None = Field(1.0, description="max gradient norm; null: none")
    eval_every: PositiveInt = Field(500, description="held-out loss every N steps (and at the end)")
    eval_documents: PositiveInt = Field(256, description="probe documents in the held-out loss")
    checkpoint_every: PositiveInt = Field(1000, description="resumable checkpoint every N steps")
    keep_checkpoints: PositiveInt = Field(2, description="the latest N are kept")
    document_mask: bool = Field(False, description="each token attends only within its own document "
                                "of a packed row (positions restart at every EOS)")
    compile: bool = Field(False, description="torch.compile the model: faster steps after a start-up "
                          "of ~15-30 s on a CPU (pays for runs of a few minutes or more)")


class ProbeSpec(StrictModel):
    every: PositiveInt | None = Field(None, description="probe every N steps for learning curves")
    limit: PositiveInt | None = Field(100, description="probes per family at each curve point; "
                                                       "null: all (the final probe always uses all)")
    include: list[str] = Field(default_factory=lambda: ["*"], description="probe family patterns")
    seen: NonNegativeInt = Field(0, description="also answer up to N training questions per family, "
                                 "reported apart as split 'seen': what was memorised, beside what generalised")
    max_new_tokens: PositiveInt = Field(48, description="greedy tokens per answer")
    batch_size: PositiveInt = 64


class LabConfig(StrictModel):
    name: str
    run: str = Field(description="a built run directory with an export (synthcompile build)")
    out: str | None = Field(None, description="output directory; default: runs/lab/<name>")
    seed: int = 0
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    threads: PositiveInt | None = Field(None, description="CPU threads; default: every core (a sweep cell: its share)")
    model: ModelSpec = Field(default_factory=ModelSpec)
    train: TrainSpec = Field(default_factory=TrainSpec)
    phases: list[PhaseSpec] = Field(min_length=1)
    probe: ProbeSpec = Field(default_factory=ProbeSpec)

    @model_validator(mode="after")
    def _unique_phases(self) -> "LabConfig":
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("phase names must be unique")
        return self

    def content_hash(self) -> str:
        """What determines the trained weights: not where they go, nor the device or threads."""
        payload = self.model_dump(mode="json", exclude={"out", "device", "threads"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs") / "lab" / self.name


def _resolve(data: dict[str, Any], base: Path) -> dict[str, Any]:
    for key in ("run", "out"):
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = str(base / data[key])
    return data


def parse_lab_config(data: dict[str, Any], *, file: str = "<config>", lines: dict | None = None,
                     base: Path | None = None) -> LabConfig:
    """Validate a config mapping; errors are :class:`RecipeErrors` located in ``file``."""
    if base is not None:
        data = _resolve(dict(data), base)
    try:
        return LabConfig.model_validate(data)
    except ValidationError as exc:
        raise RecipeErrors(errors_from_validation(exc, model=LabConfig, file=file,
                                                  lines=lines or {})) from None


def load_lab_config(path: str | Path, **overrides: Any) -> LabConfig:
    """Read a config file; ``overrides`` replace top-level keys (e.g. seed, out)."""
    path = Path(path)
    data, lines = read_yaml(path, "lab config", "name, run, model, phases, ...")
    data = _resolve(data, path.parent)
    # Overrides come from the command line: their paths are relative to the working directory.
    data.update({k: str(v) if isinstance(v, Path) else v for k, v in overrides.items() if v is not None})
    return parse_lab_config(data, file=str(path), lines=lines)
