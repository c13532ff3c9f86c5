"""A minimal GPT in the shape of nanoGPT's model.py: the reference `bench/train.py` races the lab against.

Written out (not imported) because it *is* the baseline: the fewest lines a researcher would
write for the same job. Pre-norm blocks, causal ``scaled_dot_product_attention``, a GELU MLP, a
learned position table, weights tied between the embedding and the output projection. Sized by
the lab preset it is compared with (hidden size, layers, heads; a GELU MLP 1.5x as wide as a
gated one), so a token costs the same matrix-multiply FLOPs in both.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(hidden, bias=False), nn.LayerNorm(hidden, bias=False)
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.proj = nn.Linear(hidden, hidden, bias=False)
        self.up, self.down = nn.Linear(hidden, ffn, bias=False), nn.Linear(ffn, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab: int, max_len: int, hidden: int, layers: int, heads: int, ffn: int):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, hidden), nn.Embedding(max_len, hidden)
        self.blocks = nn.ModuleList(Block(hidden, heads, ffn) for _ in range(layers))
        self.ln_f = nn.LayerNorm(hidden, bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1), device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T  # tied output projection
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def train_steps(model: GPT, data: np.ndarray, steps: int, batch: int, seq_len: int, seed: int = 0) -> list[float]:
    """nanoGPT's loop (random windows of the token file, AdamW, clipping): each step's seconds."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    gen = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        ix = torch.randint(len(data) - seq_len - 1, (batch,), generator=gen).tolist()
        x = torch.from_numpy(np.stack([data[i:i + seq_len] for i in ix]).astype(np.int64))
        y = torch.from_numpy(np.stack([data[i + 1:i + 1 + seq_len] for i in ix]).astype(np.int64))
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()
        times.append(time.perf_counter() - start)
    return times
