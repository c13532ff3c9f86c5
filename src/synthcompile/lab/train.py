"""Training: phases of AdamW with warm-up and cosine decay over a run's exported documents.

One flat loop (nanoGPT's shape). Everything a run needs to continue is in a checkpoint: the
model (``save_pretrained``), the optimizer, the RNG states, the data stream's position and the
counters. A killed run started again resumes from its latest checkpoint and produces the same
losses, bit for bit, as one that never stopped (on the same device and thread count).

Output directory::

    lab.json                  the config, its hash, and the derived numbers printed at start
    log.jsonl                 one line per step (loss, lr, tokens) and per evaluation
    curves.jsonl              probe accuracy every ``probe.every`` steps (learning curves)
    checkpoints/step-NNNNNNN/ resumable checkpoints (model files + trainer.pt)
    model/                    the final model and tokenizer (AutoModelForCausalLM.from_pretrained)
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from synthcompile.errors import UserError
from synthcompile.rng import derive_seed
from synthcompile.lab.config import LabConfig, PhaseSpec
from synthcompile.lab.data import DocStream, Export, StreamState, eval_rows
from synthcompile.lab.models import (build_model, count_parameters, cpu_threads, load_model,
                                     model_config, pick_device)

CHECKPOINTS = "checkpoints"
CurveProbe = Callable[[torch.nn.Module, int, int], None]  # (model, step, tokens): learning curves


class TrainProgress(Protocol):
    def start(self, total: int, done: int, info: dict) -> None: ...
    def step(self, step: int, loss: float, tokens_per_s: float) -> None: ...
    def note(self, message: str) -> None: ...


@dataclass
class TrainResult:
    out: Path
    steps: int
    tokens: int
    seconds: float          # time spent in training steps (no eval, probes, checkpoints)
    final_loss: float | None
    eval_loss: float | None
    finished: bool          # False when stopped early (stop_at)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def lr_at(phase: PhaseSpec, step: int, total: int) -> float:
    """Linear warm-up to the peak, then cosine decay to ``min_lr`` of it at the phase's end."""
    if step < phase.warmup:
        return phase.lr * (step + 1) / phase.warmup
    progress = (step - phase.warmup) / max(1, total - phase.warmup)
    return phase.lr * (phase.min_lr + (1 - phase.min_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def phase_steps(phase: PhaseSpec, tokens_per_step: int) -> int:
    return phase.steps if phase.steps is not None else -(-phase.tokens // tokens_per_step)


def make_optimizer(model: torch.nn.Module, phase: PhaseSpec, betas: tuple[float, float]) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices only (norm gains and biases are not decayed)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": phase.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=phase.lr, betas=betas, fused=None)


def document_positions(x: torch.Tensor, eos_id: int) -> torch.Tensor:
    """Positions that restart at 0 on every EOS of a packed row (``x``: batch x time).

    An EOS opens the document after it, as in a probe prompt ("EOS question"): the last token
    of a document still predicts the EOS, from inside its own document. Given as
    ``position_ids`` (with no attention mask and no cache), transformers turns each restart
    into a block of the causal mask, so no token attends across a document boundary.
    """
    index = torch.arange(x.size(1), device=x.device).expand_as(x)
    starts = torch.where(x == eos_id, index, torch.zeros_like(index))
    return index - starts.cummax(dim=1).values


def lm_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
            eos_id: int | None = None) -> torch.Tensor:
    """Mean next-token cross-entropy; with ``eos_id``, attention stays inside each document."""
    positions = document_positions(x, eos_id) if eos_id is not None else None
    logits = model(input_ids=x, position_ids=positions, use_cache=False).logits
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))


@torch.no_grad()
def eval_loss(model: torch.nn.Module, rows: np.ndarray, device: torch.device, batch_size: int,
              eos_id: int | None = None) -> float:
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(rows), batch_size):
        chunk = torch.from_numpy(rows[i:i + batch_size]).to(device)
        loss = lm_loss(model, chunk[:, :-1], chunk[:, 1:], eos_id)
        total += loss.item() * chunk[:, 1:].numel()
        count += chunk[:, 1:].numel()
    model.train()
    return total / count


def run_hash(config: LabConfig, export: Export) -> str:
    """What determines the trained weights: the config and the data it trains on."""
    return hashlib.sha256(f"{config.content_hash()}:{export.identity()}".encode()).hexdigest()


def stale(out: Path, run_hash: str) -> bool:
    """Whether ``out`` holds a run of another config or other data than ``run_hash`` says."""
    meta = Path(out) / "lab.json"
    return meta.is_file() and json.loads(meta.read_text()).get("hash") != run_hash


def latest_checkpoint(out: Path) -> Path | None:
    done = sorted(p for p in (out / CHECKPOINTS).glob("step-*") if (p / "trainer.pt").is_file())
    return done[-1] if done else None


def _truncate_jsonl(path: Path, step: int) -> None:
    """Drop lines logged after ``step`` (by a run that died before its next checkpoint)."""
    if path.is_file():
        lines = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln)["step"] <= step]
        path.write_text("".join(ln + "\n" for ln in lines))


class Trainer:
    """A configured training run: model, data, device; :meth:`run` trains or resumes it."""

    def __init__(self, config: LabConfig, *, fresh: bool = False):
        self.config = config
        self.out = config.out_dir()
        self.export = Export(config.run)
        t = config.train
        self.tokens_per_step = t.batch_size * t.seq_len
        self.device = pick_device(config.device)
        self.hf_config = model_config(config.model, vocab_size=self.export.vocab_size,
                                      max_len=t.seq_len, eos_id=self.export.eos_id)
        self.phases = [(p, self.export.documents(p.include, p.exclude, p.skills), phase_steps(p, self.tokens_per_step))
                       for p in config.phases]
        self.total_steps = sum(n for _, _, n in self.phases)
        self._prepare_out(fresh)
        self.model = build_model(self.hf_config, config.seed)
        self.model.train()
        self.n_params = count_parameters(self.model)
        self.threads = config.threads or cpu_threads()
        if self.device.type == "cpu":
            torch.set_num_threads(self.threads)
        self.model.to(self.device)
        self.eval_rows = eval_rows(self.export, t.eval_documents, t.seq_len)
        self.mask_eos = self.export.eos_id if t.document_mask else None

    @property
    def run_hash(self) -> str:
        return run_hash(self.config, self.export)

    def _prepare_out(self, fresh: bool) -> None:
        if stale(self.out, self.run_hash) and not fresh:
            raise UserError(f"{self.out} holds a run of a different lab config or data: pass --fresh "
                            "or choose another out")
        if fresh and self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True, exist_ok=True)

    def info(self) -> dict:
        """Derived numbers, printed before training (nanoGPT prints tokens_per_iter)."""
        phases = [{"name": p.name, "documents": len(d), "document_tokens": d.tokens, "steps": n,
                   "tokens": n * self.tokens_per_step,
                   "epochs": round(n * self.tokens_per_step / d.tokens, 2)} for p, d, n in self.phases]
        return {"model_type": self.hf_config.model_type, "parameters": self.n_params,
                "non_embedding_parameters": count_parameters(self.model, embeddings=False),
                "vocab_size": self.export.vocab_size, "tokens_per_step": self.tokens_per_step,
                "total_steps": self.total_steps, "device": str(self.device), "threads": self.threads,
                "phases": phases}

    # The loop -------------------------------------------------------------------------------

    def run(self, *, stop_at: int | None = None, progress: TrainProgress | None = None,
            curve_probe: CurveProbe | None = None) -> TrainResult:
        """Train to the end (or to step ``stop_at``), resuming from the latest checkpoint.

        ``curve_probe(model, step, tokens)`` is called every ``probe.every`` steps (learning curves).
        """
        c, t = self.config, self.config.train
        (self.out / "lab.json").write_text(json.dumps(
            {"hash": self.run_hash, "data": self.export.identity(), "config": c.model_dump(mode="json"),
             "info": self.info()}, indent=1))
        state = self._resume()
        step, tokens = state["step"], state["tokens"]
        forward = torch.compile(self.model) if t.compile else self.model  # after _resume: it may swap the model
        log = open(self.out / "log.jsonl", "a", buffering=1)  # line-buffered: follow it live
        if progress:
            progress.start(self.total_steps, step, self.info())
        seconds, last_loss, last_eval = 0.0, None, state.get("eval_loss")
        try:
            first = 0
            for k, (phase, docs, n) in enumerate(self.phases):
                if step >= first + n:
                    first += n
                    continue
                stream = DocStream(docs, t.batch_size, t.seq_len, seed=_phase_seed(c.seed, k),
                                   state=StreamState(**state["stream"]) if state.get("phase") == k else None)
                opt = make_optimizer(self.model, phase, t.betas)
                if state.get("phase") == k and "optimizer" in state:
                    opt.load_state_dict(state["optimizer"])
                while step < first + n:
                    if stop_at is not None and step >= stop_at:
                        return self._result(step, tokens, seconds, last_loss, last_eval, False)
                    lr = lr_at(phase, step - first, n)
                    for g in opt.param_groups:
                        g["lr"] = lr
                    t0 = time.perf_counter()
                    x, y = (torch.from_numpy(a).to(self.device) for a in stream.next_batch())
                    loss = lm_loss(forward, x, y, self.mask_eos)
                    loss.backward()
                    if t.grad_clip is not None:
                        torch.nn.utils.clip_grad_norm_(self.model.parameters(), t.grad_clip)
                    opt.step()
                    opt.zero_grad(set_to_none=True)
                    last_loss = loss.item()
                    seconds += time.perf_counter() - t0
                    step += 1
                    tokens += self.tokens_per_step
                    log.write(json.dumps({"step": step, "phase": phase.name, "loss": last_loss,
                                          "lr": lr, "tokens": tokens}) + "\n")
                    if progress:
                        progress.step(step, last_loss, self.tokens_per_step / (time.perf_counter() - t0))
                    end = step == self.total_steps
                    if self.eval_rows is not None and (step % t.eval_every == 0 or end):
                        last_eval = eval_loss(self.model, self.eval_rows, self.device, t.batch_size,
                                              self.mask_eos)
                        log.write(json.dumps({"step": step, "eval_loss": last_eval}) + "\n")
                        if progress:
                            progress.note(f"step {step}: loss {last_loss:.4f}, held-out loss {last_eval:.4f}")
                    if curve_probe is not None and c.probe.every and (step % c.probe.every == 0 or end):
                        log.flush()
                        curve_probe(self.model, step, tokens)
                    if step % t.checkpoint_every == 0 and not end:
                        log.flush()
                        self._checkpoint(step, tokens, k, stream, opt, last_eval)
                first += n
        finally:
            log.close()
        self._save_final()
        return self._result(step, tokens, seconds, last_loss, last_eval, True)

    def _result(self, step, tokens, seconds, loss, eval_loss_, finished) -> TrainResult:
        return TrainResult(self.out, step, tokens, seconds, loss, eval_loss_, finished)

    # Checkpoints ----------------------------------------------------------------------------

    def _checkpoint(self, step: int, tokens: int, phase: int, stream: DocStream,
                    opt: torch.optim.Optimizer, eval_loss_: float | None) -> None:
        """Write to a temporary directory, then rename: a checkpoint exists whole or not at all."""
        root = self.out / CHECKPOINTS
        final = root / f"step-{step:07d}"
        tmp = root / f".tmp-{step:07d}"
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save_pretrained(tmp)
        rng = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        torch.save({"step": step, "tokens": tokens, "phase": phase, "stream": stream.state_dict(),
                    "optimizer": opt.state_dict(), "rng": rng, "eval_loss": eval_loss_}, tmp / "trainer.pt")
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        for old in sorted(p for p in root.glob("step-*"))[:-self.config.train.keep_checkpoints]:
            shutil.rmtree(old)

    def _resume(self) -> dict:
        if (self.out / "result.json").is_file():  # stale: this run is being (re)trained
            (self.out / "result.json").unlink()
        ckpt = latest_checkpoint(self.out)
        if ckpt is None:
            for name in ("log.jsonl", "curves.jsonl"):
                (self.out / name).unlink(missing_ok=True)
            return {"step": 0, "tokens": 0}
        state = torch.load(ckpt / "trainer.pt", weights_only=False)
        self.model = load_model(ckpt).to(self.device)
        self.model.train()
        torch.set_rng_state(state["rng"]["torch"])
        if "cuda" in state["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        for name in ("log.jsonl", "curves.jsonl"):
            _truncate_jsonl(self.out / name, state["step"])
        return state

    def hf_tokenizer(self):
        """The corpus tokenizer as a transformers tokenizer (``AutoTokenizer`` loads it back)."""
        from transformers import PreTrainedTokenizerFast

        eos = self.export.tokenizer().id_to_token(self.export.eos_id)
        return PreTrainedTokenizerFast(tokenizer_file=str(self.export.tokenizer_path), eos_token=eos,
                                       bos_token=eos, pad_token=eos)

    def _save_final(self) -> None:
        final = self.out / "model"
        tmp = self.out / ".tmp-model"
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save_pretrained(tmp)
        self.hf_tokenizer().save_pretrained(tmp)  # tokenizer.json + tokenizer_config.json
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)


def _phase_seed(seed: int, phase: int) -> int:
    return derive_seed(seed, "lab/stream", phase)


def train(config: LabConfig, *, fresh: bool = False, stop_at: int | None = None,
          progress: TrainProgress | None = None, curve_probe: CurveProbe | None = None) -> TrainResult:
    return Trainer(config, fresh=fresh).run(stop_at=stop_at, progress=progress, curve_probe=curve_probe)
