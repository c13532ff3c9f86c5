"""Training throughput of `lab train` (its old and new defaults) against a nanoGPT-style reference.

    .venv/bin/python bench/train.py [--run RUN] [--preset llama-1m] [--steps 40] [--repeat 2]

The corpus is the knowledge-augmentation arm ``recipes/lab-knowledge-multi5.yaml``, built into a
temporary directory unless ``--run`` names a built run. Arms, interleaved (so load on a shared
machine hits all alike), the best of ``--repeat`` kept:

- ``lab, 1 thread``: the lab before the threads change (its default below 10M parameters was one
  thread): the baseline of the ">= 2x" target;
- ``lab``: the lab's default now (every core for a lone run), with and without ``compile`` and
  ``document_mask``;
- ``reference``: ``bench/reference_gpt.py``, nanoGPT's model and loop at the preset's shapes, given
  the same threads, eager and compiled (nanoGPT compiles by default).

"steps" is the steady state: every step after the first ``--skip`` (compilation, allocator
warm-up); "run" is the whole ``Trainer.run`` call (data stream, schedule, clipping, logging, the
final held-out loss and model save) or, for the reference, all its steps.

Achieved FLOP/s is the usual 6·N·tokens/s, N the parameters in matrix multiplies (the tied
embedding once, as the output projection; attention's T² term left out: a slight
under-estimate). The ceiling beside it is measured, not looked up: the best FLOP/s of a large
fp32 matrix multiply on the same threads (what the cores do at their best on this machine).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from synthcompile.executors.local import LocalExecutor
from synthcompile.lab.config import ModelSpec, parse_lab_config
from synthcompile.lab.data import Export
from synthcompile.lab.models import VARIANTS, build_model, count_parameters, cpu_threads, model_config
from synthcompile.lab.train import Trainer
from synthcompile.pipeline import build
from synthcompile.recipe import load_recipe

from reference_gpt import GPT, train_steps  # noqa: E402  (bench/, beside this script)

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "lab-knowledge-multi5.yaml"


class _StepTimes:
    """A lab progress sink that keeps each step's duration (the lab's own loop, timed per step)."""

    def __init__(self, tokens_per_step: int):
        self.tokens_per_step, self.times = tokens_per_step, []

    def start(self, total, done, info):
        pass

    def step(self, step, loss, tokens_per_s):
        self.times.append(self.tokens_per_step / tokens_per_s)

    def note(self, message):
        pass


def steady(times: list[float], tokens_per_step: int, skip: int) -> float:
    return tokens_per_step * len(times[skip:]) / sum(times[skip:])


def lab_once(run: Path, out: Path, args, threads: int, **train) -> tuple[float, float]:
    config = parse_lab_config({
        "name": "bench", "run": str(run), "out": str(out), "model": {"preset": args.preset},
        "threads": threads,
        "train": {"batch_size": args.batch, "seq_len": args.seq_len, "eval_every": 10**9,
                  "checkpoint_every": 10**9, "eval_documents": 8, **train},
        "phases": [{"name": "all", "steps": args.steps, "warmup": 5}]})
    trainer = Trainer(config, fresh=True)
    timer = _StepTimes(trainer.tokens_per_step)
    start = time.perf_counter()
    trainer.run(progress=timer)
    whole = args.steps * trainer.tokens_per_step / (time.perf_counter() - start)
    return whole, steady(timer.times, trainer.tokens_per_step, args.skip)


def side_by_side(run: Path, out: Path, args, cells: int) -> tuple[float, float]:
    """``cells`` lab runs at once, one thread each, in processes as ``lab sweep`` runs them: the
    tokens/s of all of them together."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(cells, mp_context=multiprocessing.get_context("spawn")) as pool:
        rates = list(pool.map(lab_once, [run] * cells, [out / f"cell{i}" for i in range(cells)],
                              [args] * cells, [1] * cells))
    return sum(r[0] for r in rates), sum(r[1] for r in rates)


def reference_once(data: np.ndarray, vocab: int, args, threads: int, compiled: bool) -> tuple[float, float]:
    torch.set_num_threads(threads)
    variant = VARIANTS[args.preset]
    c = variant.config
    ffn = c.get("intermediate_size") or c.get("n_inner")
    if variant.model_type == "llama":  # a gated MLP has 3 matrices: 1.5x the width gives 2 as many FLOPs
        ffn = 3 * ffn // 2
    torch.manual_seed(0)
    model = GPT(vocab, args.seq_len, c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"], ffn)
    step_model = torch.compile(model) if compiled else model
    times = train_steps(step_model, data, args.steps, args.batch, args.seq_len)
    tokens_per_step = args.batch * args.seq_len
    return tokens_per_step * len(times) / sum(times), steady(times, tokens_per_step, args.skip)


def matmul_ceiling(threads: int, size: int = 1024, reps: int = 20) -> float:
    """The best FLOP/s of a ``size``-square fp32 matrix multiply on ``threads`` threads."""
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="a built run with a token export")
    ap.add_argument("--preset", default="llama-1m")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--skip", type=int, default=5, help="steps left out of the steady state")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    threads = cpu_threads()  # the lab's default for a lone run: every core
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        if run is None:
            with LocalExecutor(1) as ex:
                run = build(load_recipe(RECIPE), Path(tmp) / "run", ex, recipe_file=RECIPE).root
        export = Export(run)
        data = np.concatenate([np.memmap(p, dtype=export.dtype, mode="r") for p in export.layout.token_files()])
        model = build_model(model_config(ModelSpec(preset=args.preset), vocab_size=export.vocab_size,
                                         max_len=args.seq_len, eos_id=export.eos_id), seed=0)
        n = count_parameters(model)
        arms: dict[str, Callable[[], tuple[float, float]]] = {
            "lab, 1 thread (old default)": lambda: lab_once(run, Path(tmp) / "lab", args, 1),
            f"lab, {threads} threads": lambda: lab_once(run, Path(tmp) / "lab", args, threads),
            f"lab, {threads} cells side by side (all)": lambda: side_by_side(run, Path(tmp), args, threads),
            f"lab, {threads} threads, compile": lambda: lab_once(run, Path(tmp) / "lab", args, threads, compile=True),
            f"lab, {threads} threads, document_mask": lambda: lab_once(run, Path(tmp) / "lab", args, threads,
                                                                       document_mask=True),
            f"reference, {threads} threads": lambda: reference_once(data, export.vocab_size, args, threads, False),
            f"reference, {threads} threads, compiled": lambda: reference_once(data, export.vocab_size, args,
                                                                               threads, True),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in arms}
        for _ in range(args.repeat):
            for name, arm in arms.items():
                results[name].append(arm())
        ceiling = {t: matmul_ceiling(t) for t in sorted({1, threads})}
    best = {name: (max(r[0] for r in rs), max(r[1] for r in rs)) for name, rs in results.items()}
    print(f"model {args.preset}: {n:,} parameters; {threads} cores; batch {args.batch} x {args.seq_len} "
          f"tokens, {args.steps} steps (steady state: after {args.skip}), best of {args.repeat}")
    print(f"{'arm':40} {'run tok/s':>10} {'steps tok/s':>12} {'GFLOP/s':>8} {'of ceiling':>10}")
    for name, (whole, steps) in best.items():
        t = 1 if "1 thread" in name else threads  # side by side: `threads` cells of one thread
        flops = 6 * n * steps
        print(f"{name:40} {whole:10,.0f} {steps:12,.0f} {flops / 1e9:8.1f} {flops / ceiling[t]:10.1%}")
    base, new = best["lab, 1 thread (old default)"], best[f"lab, {threads} threads"]
    fast = best[f"lab, {threads} threads, compile"]
    print("ceiling (fp32 1024^3 matmul): "
          + ", ".join(f"{t} thread(s) {c / 1e9:.1f} GFLOP/s" for t, c in ceiling.items()))
    print(f"lab default now / old default: {new[0] / base[0]:.2f}x run, {new[1] / base[1]:.2f}x steps; "
          f"with compile {fast[1] / base[1]:.2f}x steps  (target >= 2)")
    pair = best[f"lab, {threads} cells side by side (all)"]
    print(f"{threads} cells side by side (all) / one run on {threads} threads: {pair[1] / new[1]:.2f}x steps "
          "(how lab sweep should share the cores)")
    print(f"lab / reference, same threads: {new[1] / best[f'reference, {threads} threads'][1]:.2f}x eager, "
          f"{fast[1] / best[f'reference, {threads} threads, compiled'][1]:.2f}x compiled (steps)")


if __name__ == "__main__":
    main()
