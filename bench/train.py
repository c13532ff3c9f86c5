"""Training throughput of `lab train` against a plain PyTorch loop on the same model and data.

    .venv/bin/python bench/train.py [--run RUN] [--preset llama-1m] [--steps 40] [--repeat 3]

The corpus is the knowledge-augmentation arm ``recipes/lab-knowledge-multi5.yaml``, built into a
temporary directory unless ``--run`` names a built run. "lab" is the whole ``Trainer.run`` call
(data stream, schedule, gradient clipping, logging, the final held-out loss and model save);
"plain" is a bare loop over the same model config and seed: nanoGPT-style random windows of the
token files, AdamW at a constant rate, nothing else. Both use the lab's thread count. Runs are
interleaved (so load on a shared machine hits both alike); the best of ``--repeat`` is kept.

Achieved FLOP/s is the usual estimate 6·N·tokens/s, N the parameters used in matrix multiplies
(the tied embedding counted once, as the output projection); attention's T² term is left out,
so it is a slight under-estimate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from synthcompile.executors.local import LocalExecutor
from synthcompile.lab.config import parse_lab_config
from synthcompile.lab.data import Export
from synthcompile.lab.models import build_model, count_parameters, cpu_threads, model_config
from synthcompile.lab.train import Trainer
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "lab-knowledge-multi5.yaml"


def lab_once(run: Path, out: Path, preset: str, steps: int, batch: int, seq_len: int) -> float:
    config = parse_lab_config({
        "name": "bench", "run": str(run), "out": str(out), "model": {"preset": preset},
        "train": {"batch_size": batch, "seq_len": seq_len, "eval_every": 10**9, "checkpoint_every": 10**9,
                  "eval_documents": 8},
        "phases": [{"name": "all", "steps": steps, "warmup": 5}]})
    trainer = Trainer(config, fresh=True)
    start = time.perf_counter()
    result = trainer.run()
    return steps * batch * seq_len / (time.perf_counter() - start), result.tokens_per_s


def plain_once(run: Path, preset: str, steps: int, batch: int, seq_len: int) -> float:
    from synthcompile.lab.config import ModelSpec

    export = Export(run)
    data = np.concatenate([np.memmap(p, dtype=export.dtype, mode="r")
                           for p in export.layout.token_files()])
    model = build_model(model_config(ModelSpec(preset=preset), vocab_size=export.vocab_size,
                                     max_len=seq_len, eos_id=export.eos_id), seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(steps):
        ix = torch.randint(len(data) - seq_len - 1, (batch,), generator=gen).tolist()
        x = torch.stack([torch.from_numpy(data[i:i + seq_len].astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + seq_len].astype(np.int64)) for i in ix])
        logits = model(input_ids=x).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return steps * batch * seq_len / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="a built run with a token export")
    ap.add_argument("--preset", default="llama-1m")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        if run is None:
            with LocalExecutor(1) as ex:
                run = build(load_recipe(RECIPE), Path(tmp) / "run", ex, recipe_file=RECIPE).root
        export = Export(run)
        from synthcompile.lab.config import ModelSpec

        model = build_model(model_config(ModelSpec(preset=args.preset), vocab_size=export.vocab_size,
                                         max_len=args.seq_len, eos_id=export.eos_id), seed=0)
        n = count_parameters(model)
        torch.set_num_threads(cpu_threads(n))
        plain_once(run, args.preset, 3, args.batch, args.seq_len)  # warm-up: allocator, kernels
        lab, lab_steps, plain = [], [], []
        for _ in range(args.repeat):
            whole, steps_only = lab_once(run, Path(tmp) / "lab", args.preset, args.steps, args.batch, args.seq_len)
            lab.append(whole)
            lab_steps.append(steps_only)
            plain.append(plain_once(run, args.preset, args.steps, args.batch, args.seq_len))
    best_lab, best_plain = max(lab), max(plain)
    print(f"model {args.preset}: {n:,} parameters, {torch.get_num_threads()} thread(s), "
          f"batch {args.batch} x {args.seq_len} tokens, {args.steps} steps, best of {args.repeat}")
    print(f"lab train   {best_lab:10,.0f} tokens/s  (runs: {', '.join(f'{x:,.0f}' for x in lab)})")
    print(f"  in steps  {max(lab_steps):10,.0f} tokens/s  (the steps alone: no start-up, final eval or save)")
    print(f"plain loop  {best_plain:10,.0f} tokens/s  (runs: {', '.join(f'{x:,.0f}' for x in plain)})")
    print(f"ratio lab / plain: {best_lab / best_plain:.3f} whole run, "
          f"{max(lab_steps) / best_plain:.3f} steps alone  (target >= 0.95)")
    print(f"achieved: {6 * n * best_lab / 1e9:.2f} GFLOP/s (6·N·tokens/s, N = {n:,}; attention not counted)")


if __name__ == "__main__":
    main()
