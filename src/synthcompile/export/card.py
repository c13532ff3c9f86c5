"""The card stage: publishes the export under ``<run>/export/`` (layout: docs/export.md, export/layout.py).

A single-shard reduce at the end: it links the pack shards into ``data/`` under Hugging Face
split names, writes ``tokens/index.json``, ``tokenizer.json``, ``diversity.json`` and the
dataset card ``README.md``. It streams the pack shards row group by row group and the token
files a chunk at a time, into bounded counters (export/diversity.py): memory is a row group.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from synthcompile.atomic import sha256_file
from synthcompile.export.diversity import AXES, Diversity
from synthcompile.export.layout import (CARD, DIVERSITY, TOKEN_INDEX, TOKEN_SUFFIX, TOKENIZER, TOKENS_DIR, ExportLayout,
                                         text_pattern)
from synthcompile.export.pack import TEXT_SCHEMA
from synthcompile.export.tokenizer import read_tokenizer, token_dtype
from synthcompile.export.config import ExportSection
from synthcompile.stage import Role, ShardContext, ShardSpec, Stage, Upstream

FORMAT = "synthcompile.tokens"
FORMAT_VERSION = 1
TOKEN_CHUNK = 1 << 20  # tokens read at a time from a token file

CARD_SCHEMA = pa.schema([
    pa.field("path", pa.string(), nullable=False),  # relative to the export directory
    pa.field("kind", pa.string(), nullable=False),
    pa.field("rows", pa.int64(), nullable=False),
    pa.field("bytes", pa.int64(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
])


def _publish(src: Path, tmp: Path) -> None:
    """``src`` at a side file's temporary path: a hard link (no copy) when the file system
    allows, else a copy. The shard's commit renames it into place."""
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)


def hf_features(schema: pa.Schema) -> list[dict[str, Any]]:
    """The ``dataset_info.features`` YAML list of a Hugging Face card, from an Arrow schema."""
    return [_feature(f.name, f.type) for f in schema]


def _feature(name: str | None, t: pa.DataType) -> dict[str, Any]:
    head = {"name": name} if name is not None else {}
    if pa.types.is_struct(t):
        return head | {"struct": [_feature(t.field(i).name, t.field(i).type) for i in range(t.num_fields)]}
    if pa.types.is_list(t):
        inner = _feature(None, t.value_type)
        return head | {"list": inner["dtype"] if set(inner) == {"dtype"} else inner}
    dtype = {pa.string(): "string", pa.bool_(): "bool"}.get(t, str(t))
    return head | {"dtype": dtype}


class CardStage(Stage):
    name = "card"
    role = Role.EXPORT
    schema = CARD_SCHEMA

    def __init__(self, section: ExportSection, recipe_name: str, recipe_hash: str):
        self.section = section
        self.recipe_name = recipe_name
        self.recipe_hash = recipe_hash

    def plan(self, upstream: Upstream) -> list[ShardSpec]:
        return [ShardSpec(stage=self.name, index=0, name="card",
                          params={"tokenizer": upstream.paths("tokenizer")[0]},
                          inputs=tuple(upstream.paths("pack")))]

    def run_shard(self, spec: ShardSpec, ctx: ShardContext) -> Iterator[pa.Table]:
        out = ExportLayout(ctx.run_root)
        root = out.root
        tok, vocab_size, eos = read_tokenizer(ctx.run_root, spec.params["tokenizer"])
        dtype = token_dtype(vocab_size)
        seq_len = self.section.pack.seq_len if self.section.pack else None
        files: list[dict[str, Any]] = []
        diversity = Diversity()
        token_files: list[dict[str, Any]] = []
        splits: dict[str, int] = {}
        stages: dict[str, dict[str, int]] = {}  # curriculum stage -> documents, tokens
        for split in ("train", "probe"):
            paths = [p for p in spec.inputs if Path(p).stem.startswith(f"{split}-")
                     and pq.ParquetFile(ctx.run_root / p).metadata.num_rows]
            splits[split] = 0
            for i, rel in enumerate(paths):
                src = ctx.run_root / rel
                rows = pq.ParquetFile(src).metadata.num_rows
                splits[split] += rows
                tokens = self._count_rows(src, diversity, stages) if split == "train" else 0
                if self.section.text:
                    dst = out.text_shard(split, i, len(paths))
                    _publish(src, tmp := ctx.side_file(dst))
                    files.append(self._entry(root, dst, tmp, "text", rows))
                if split == "train" and seq_len:
                    bin_path = out.part_tokens(Path(rel).stem)
                    length = bin_path.stat().st_size // dtype.itemsize
                    stream = np.memmap(bin_path, dtype=dtype, mode="r")
                    for lo in range(0, length, TOKEN_CHUNK):
                        diversity.add_tokens(np.asarray(stream[lo:lo + TOKEN_CHUNK]), eos)
                    del stream
                    entry = self._entry(root, bin_path, bin_path, "tokens", length // seq_len)
                    files.append(entry)
                    token_files.append({"path": bin_path.name, "documents": rows, "tokens": tokens,
                                        "sequences": length // seq_len, "bytes": entry["bytes"],
                                        "sha256": entry["sha256"]})
        stats = diversity.result()
        ctx.stats["train_documents"] = splits["train"]
        ctx.stats["probe_documents"] = splits["probe"]
        written = {
            DIVERSITY: json.dumps(stats, indent=1, sort_keys=True) + "\n",
            TOKENIZER: tok.to_str(pretty=True),
        }
        if seq_len:
            written[TOKEN_INDEX] = json.dumps({
                "format": FORMAT, "version": FORMAT_VERSION, "dtype": dtype.name,
                "byte_order": "little", "header_bytes": 0, "seq_len": seq_len, "eos_id": eos,
                "pad_id": eos, "vocab_size": vocab_size, "tokenizer": f"../{TOKENIZER}",
                "documents_index": f"../{text_pattern('train')} (token_file, token_offset, n_tokens)",
                "files": token_files}, indent=1) + "\n"
        written[CARD] = self._card(splits, stages, stats, vocab_size, seq_len, dtype)
        for rel, text in written.items():
            (tmp := ctx.side_file(root / rel)).write_text(text)
            files.append(self._entry(root, root / rel, tmp, "meta", 0))
        yield pa.Table.from_pylist(sorted(files, key=lambda f: f["path"]), schema=CARD_SCHEMA)

    @staticmethod
    def _count_rows(path: Path, diversity: Diversity, stages: dict[str, dict[str, int]]) -> int:
        """Diversity counters and per-stage totals of one pack shard, a row group at a time;
        returns its tokens."""
        total = 0
        for batch in pq.ParquetFile(path).iter_batches(columns=[*AXES, "structured", "n_tokens", "mix_stage"]):
            diversity.add_rows(batch)
            grouped = pa.table({"s": batch.column("mix_stage"), "n": batch.column("n_tokens")}) \
                .group_by("s").aggregate([("n", "sum"), ("n", "count")])
            for stage, tokens, docs in zip(*(grouped[c].to_pylist() for c in ("s", "n_sum", "n_count"))):
                entry = stages.setdefault(stage, {"documents": 0, "tokens": 0})
                entry["documents"] += docs
                entry["tokens"] += tokens
                total += tokens
        return total

    @staticmethod
    def _entry(root: Path, path: Path, written: Path, kind: str, rows: int) -> dict[str, Any]:
        """The listing of ``path`` (relative to the export), read from where it was ``written``."""
        return {"path": str(path.relative_to(root)), "kind": kind, "rows": rows,
                "bytes": written.stat().st_size, "sha256": sha256_file(written)}

    def _card(self, splits: dict[str, int], stages: dict[str, dict[str, int]], stats: dict[str, Any],
              vocab_size: int, seq_len: int | None, dtype: np.dtype) -> str:
        meta: dict[str, Any] = {"pretty_name": self.recipe_name, "tags": ["synthetic", "synthcompile"]}
        if self.section.text:
            present = [s for s in ("train", "probe") if splits[s]]
            meta["configs"] = [{"config_name": "default", "data_files": [
                {"split": s, "path": text_pattern(s)} for s in present]}]
            meta["dataset_info"] = {"features": hf_features(TEXT_SCHEMA),
                                    "splits": [{"name": s, "num_examples": splits[s]} for s in present]}
        lines = ["---", yaml.safe_dump(meta, sort_keys=False).rstrip(), "---", "",
                 f"# {self.recipe_name}", "",
                 f"Synthetic, verified pretraining corpus compiled by synthcompile from recipe "
                 f"`{self.recipe_name}` (recipe hash `{self.recipe_hash[:16]}`). Every row carries its "
                 f"provenance (generator, version, parameters hash, RNG seed) and its verifier's verdict.",
                 "", "## Splits", "",
                 f"- `train`: {splits['train']:,} documents, in training order (curriculum stage "
                 "`mix_stage`, then shuffled; `position` is the rank).",
                 f"- `probe`: {splits['probe']:,} held-out documents, never in `train` nor in the token files.",
                 "", "## Curriculum", "", "| stage | documents | tokens |", "|---|---:|---:|"]
        lines += [f"| {name} | {s['documents']:,} | {s['tokens']:,} |" for name, s in stages.items()]
        if seq_len:
            lines += ["", "## Token files", "",
                      f"`{TOKENS_DIR}/*{TOKEN_SUFFIX}`: raw little-endian `{dtype.name}` ids, "
                      f"no header, sequences of {seq_len} tokens; vocabulary {vocab_size:,} "
                      f"(`{TOKENIZER}`). Each document is "
                      "followed by the EOS id; the last sequence of a file is padded with EOS. A row's "
                      f'tokens are `np.memmap("{TOKENS_DIR}/" + token_file, dtype="{dtype.str}", mode="r")'
                      f"[token_offset:token_offset + n_tokens]`. See `{TOKEN_INDEX}`."]
        lex = stats["lexical"]
        lines += ["", "## Diversity", "",
                  f"distinct-1/2/3 over tokens: {lex['distinct_1']}, {lex['distinct_2']}, {lex['distinct_3']} "
                  f"(distinct n-grams counted: {', '.join(sorted({lex[f'distinct_{n}_counted'] for n in (1, 2, 3)}))})",
                  ""]
        lines += [f"- {axis}: {d['values']} values, evenness {d['evenness']}" for axis, d in stats["axes"].items()]
        if "entities" in stats:
            e = stats["entities"]
            lines += [f"- entities: {e['distinct']:,} distinct in {e['samples_with_entities']:,} samples, "
                      f"{e['min_mentions']}-{e['max_mentions']} mentions each (median {e['median_mentions']}), "
                      f"evenness {e['evenness']} (counted: {e['counted']})"]
        lines += ["", "## Loading", "", "```python", "import datasets",
                  'ds = datasets.load_dataset("parquet", data_dir="path/to/export")', "```", ""]
        return "\n".join(lines)
