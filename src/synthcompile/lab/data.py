"""Training data: a run's exported documents, selected by family, in a fresh order each epoch.

The export (docs/export.md) writes token files (raw ids, read with ``np.memmap``) and, per
document, its family and where its tokens are (``token_file``, ``token_offset``, ``n_tokens`` in
``export/data/train-*.parquet``). The lab reads documents, not fixed sequences, because order
matters to what a small model can learn: each epoch visits the selected documents in a new
random permutation (a published replication of Physics of LM 3.1 lost the knowledge-extraction
effect when the pretraining data was not shuffled). Documents, each ending in EOS, are
concatenated and cut into ``batch_size`` rows of ``seq_len`` inputs; targets are the next tokens,
so every token is a target exactly once per epoch.

The stream's whole state is (epoch, document, offset into it): three integers in a checkpoint.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tokenizers import Tokenizer

from synthcompile.errors import UserError
from synthcompile.export.layout import EXPORT_DIR, ExportLayout, text_pattern

if TYPE_CHECKING:
    from synthcompile.lab.config import PhaseSpec

SEEN = "seen"  # the split name of training questions answered at evaluation


@dataclass
class Documents:
    """Selected documents: which token file, where, how long (EOS included)."""

    files: list[np.ndarray]
    file: np.ndarray
    start: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @property
    def tokens(self) -> int:
        return int(self.length.sum())

    def read(self, i: int, lo: int, hi: int) -> np.ndarray:
        s = int(self.start[i])
        return self.files[self.file[i]][s + lo:s + hi]


class Export:
    """A run's export directory: token files, document index, tokenizer and probe split."""

    def __init__(self, run: str | Path):
        self.run = Path(run)
        self.layout = ExportLayout(self.run)
        self.root = self.layout.root
        index_path = self.layout.token_index
        if not index_path.is_file():
            raise UserError(f"{self.run}: no token export ({index_path} is missing); add an "
                            "'export' section with 'pack' to the recipe and build it")
        self.index = json.loads(index_path.read_text())
        self.eos_id = int(self.index["eos_id"])
        self.vocab_size = int(self.index["vocab_size"])
        self.dtype = np.dtype(self.index["dtype"]).newbyteorder("<")
        self.tokenizer_path = self.layout.tokenizer
        self._train = self._table("train", ["family", "skills", "token_file", "token_offset", "n_tokens"])

    def _table(self, split: str, columns: list[str] | None = None) -> pa.Table:
        paths = self.layout.text_shards(split)
        if not paths:
            if split == "train":
                raise UserError(f"{self.run}: no {EXPORT_DIR}/{text_pattern(split)} (the lab needs the "
                                "text export for document families: export.text must be true)")
            return pa.table({})
        return pa.concat_tables([pq.read_table(p, columns=columns) for p in paths])

    def identity(self) -> str:
        """What the data is: a hash of the recipe's hash and of every shard's content hash in the
        run's manifest. A run rebuilt from an edited recipe, or by a version of synthcompile that
        writes other bytes, has another identity, so training on it starts over."""
        manifest = json.loads((self.run / "manifest.json").read_text())
        shards = {name: [s["sha256"] for s in stage["shards"]] for name, stage in manifest["stages"].items()}
        payload = json.dumps({"recipe": manifest["recipe"]["hash"], "shards": shards}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def tokenizer(self) -> Tokenizer:
        return Tokenizer.from_file(str(self.tokenizer_path))

    def families(self) -> dict[str, int]:
        """Training documents per family."""
        fams = self._train["family"].to_pylist()
        return {f: fams.count(f) for f in sorted(set(fams))}

    @staticmethod
    def _selected(t: pa.Table, include: list[str], exclude: list[str] = (),
                  skills: list[str] | None = None) -> np.ndarray:
        """Rows whose family matches ``include`` and not ``exclude`` and, when ``skills`` is
        given, that have a skill matching one of its patterns (fnmatch). The patterns are
        matched against the few distinct names, not once per row."""
        def matching(values: pa.Array, patterns: list[str], unless: list[str] = ()) -> pa.Array:
            names = pc.unique(values).to_pylist()
            return pa.array([n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)
                             and not any(fnmatch.fnmatchcase(n, p) for p in unless)], values.type)

        family = t["family"].combine_chunks()
        keep = pc.is_in(family, value_set=matching(family, include, exclude)).to_numpy(zero_copy_only=False)
        if skills is not None:
            lists = t["skills"].combine_chunks()
            flat = pc.list_flatten(lists)
            hit = pc.is_in(flat, value_set=matching(flat, skills)).to_numpy(zero_copy_only=False)
            has = np.zeros(len(t), bool)
            has[pc.list_parent_indices(lists).to_numpy()[hit]] = True
            keep &= has
        return keep

    def documents(self, include: list[str], exclude: list[str] = (), skills: list[str] | None = None) -> Documents:
        """Training documents selected as :meth:`_selected` says."""
        keep = self._selected(self._train, include, exclude, skills)
        if not keep.any():
            raise UserError(f"no training documents match include={include} exclude={list(exclude)} "
                            f"skills={skills} (families: {', '.join(self.families())})")
        t = self._train.filter(pa.array(keep))
        names = t["token_file"].to_pylist()
        unique = sorted(set(names))
        files = [np.memmap(self.layout.token_file(n), dtype=self.dtype, mode="r") for n in unique]
        where = {n: i for i, n in enumerate(unique)}
        return Documents(files=files, file=np.array([where[n] for n in names], np.int32),
                         start=t["token_offset"].to_numpy().astype(np.int64),
                         length=t["n_tokens"].to_numpy().astype(np.int64) + 1)  # + its EOS

    def seen_questions(self, phases: list[PhaseSpec] | None = None) -> list[dict]:
        """Training documents that ask a question (they have an answer), as probe-like rows
        with split ``seen``: answering them measures memorisation, not generalisation. With
        ``phases`` (PhaseSpecs), only the questions some phase trains on: an arm that excludes
        a family has not seen its questions."""
        t = self._table("train")
        t = t.filter(pc.not_equal(t["answer"], ""))
        if phases is not None and t.num_rows:
            keep = np.zeros(t.num_rows, bool)
            for ph in phases:
                keep |= self._selected(t, ph.include, ph.exclude, ph.skills)
            t = t.filter(pa.array(keep))
        return [r | {"split": SEEN} for r in t.to_pylist()]

    def probes(self) -> list[dict]:
        """Every probe-split document (the compilers' held-out sets) as a row dict."""
        t = self._table("probe")
        return t.to_pylist() if t.num_rows else []


@dataclass
class StreamState:
    epoch: int = 0
    doc: int = 0      # position in the epoch's permutation
    offset: int = 0   # tokens of that document already consumed


class DocStream:
    """Batches of (inputs, targets) over documents, reshuffled every epoch, resumable."""

    def __init__(self, docs: Documents, batch_size: int, seq_len: int, seed: int,
                 state: StreamState | None = None):
        self.docs, self.batch_size, self.seq_len, self.seed = docs, batch_size, seq_len, seed
        self.state = state or StreamState()
        self._epoch, self._order = -1, np.zeros(0, np.int64)

    def order(self, epoch: int) -> np.ndarray:
        if epoch != self._epoch:
            self._epoch = epoch
            self._order = np.random.default_rng([self.seed, epoch]).permutation(len(self.docs))
        return self._order

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, targets), each ``batch_size x seq_len`` int64; advances the state."""
        step = self.batch_size * self.seq_len
        need = step + 1  # one more for the last target; it is also the next batch's first input
        pieces, got = [], 0
        epoch, doc, offset = self.state.epoch, self.state.doc, self.state.offset
        after = None
        while got < need:
            order = self.order(epoch)
            i = order[doc]
            take = min(int(self.docs.length[i]) - offset, need - got)
            pieces.append(self.docs.read(i, offset, offset + take))
            if after is None and got + take >= step:
                after = (epoch, doc, offset + step - got)
            got += take
            offset += take
            if offset == self.docs.length[i]:
                doc, offset = doc + 1, 0
                if doc == len(order):
                    epoch, doc = epoch + 1, 0
        epoch, doc, offset = after
        if offset == self.docs.length[self.order(epoch)[doc]]:
            doc, offset = doc + 1, 0
            if doc == len(self.docs):
                epoch, doc = epoch + 1, 0
        self.state = StreamState(epoch, doc, offset)
        flat = np.concatenate(pieces).astype(np.int64)
        return (flat[:-1].reshape(self.batch_size, self.seq_len),
                flat[1:].reshape(self.batch_size, self.seq_len))

    def state_dict(self) -> dict:
        return asdict(self.state)


def eval_rows(export: Export, n_documents: int, seq_len: int) -> np.ndarray | None:
    """Held-out rows for the eval loss: the first probe documents (by id), each ending in EOS,
    concatenated and cut into rows of ``seq_len + 1``. None when the run has no probes."""
    probes = sorted(export.probes(), key=lambda r: r["id"])[:n_documents]
    if not probes:
        return None
    tok = export.tokenizer()
    ids = [e.ids + [export.eos_id] for e in tok.encode_batch([p["text"] for p in probes],
                                                             add_special_tokens=False)]
    flat = np.concatenate([[export.eos_id]] + [np.array(x) for x in ids]).astype(np.int64)
    rows = len(flat) // (seq_len + 1)
    if rows == 0:
        flat = np.concatenate([flat, np.full(seq_len + 1 - len(flat), export.eos_id)])
        rows = 1
    return flat[:rows * (seq_len + 1)].reshape(rows, seq_len + 1)
