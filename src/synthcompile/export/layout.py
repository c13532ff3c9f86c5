"""The export directory's layout: every file under ``<run>/export/``, spelled in this module only.

The pack and card stages write it, the lab (lab/data.py) and the report read it::

    export/
      README.md                                 the dataset card
      tokenizer.json                            the corpus tokenizer
      diversity.json                            diversity statistics of the training split
      data/{split}-{i:05d}-of-{n:05d}.parquet   text rows under Hugging Face split names
      tokens/<pack part>.bin                    raw token ids, one file per pack part
      tokens/index.json                         how to read the token files (docs/export.md)

Where ``export/`` sits in the run directory is the run layout's business
(:data:`synthcompile.layout.EXPORT`); everything inside it is named here. Relative names (the
constants and :func:`text_pattern`) are what the card and the token index write down, relative
to the export directory; :class:`ExportLayout` gives the paths of one run.
"""

from __future__ import annotations

from pathlib import Path

from synthcompile.layout import EXPORT as EXPORT_DIR  # where export/ sits in the run directory

DATA_DIR = "data"
TOKENS_DIR = "tokens"
TOKEN_INDEX = f"{TOKENS_DIR}/index.json"
TOKENIZER = "tokenizer.json"
DIVERSITY = "diversity.json"
CARD = "README.md"
TOKEN_SUFFIX = ".bin"

__all__ = ["CARD", "DATA_DIR", "DIVERSITY", "EXPORT_DIR", "TOKENIZER", "TOKENS_DIR", "TOKEN_INDEX",
           "TOKEN_SUFFIX", "ExportLayout", "text_pattern", "text_shard_name", "token_file_name"]


def text_shard_name(split: str, i: int, n: int) -> str:
    """Relative path of text shard ``i`` of ``n`` of a split."""
    return f"{DATA_DIR}/{split}-{i:05d}-of-{n:05d}.parquet"


def text_pattern(split: str) -> str:
    """Relative glob of a split's text shards."""
    return f"{DATA_DIR}/{split}-*.parquet"


def token_file_name(part: str) -> str:
    """The token file of a pack part (what a text row's ``token_file`` holds)."""
    return f"{part}{TOKEN_SUFFIX}"


class ExportLayout:
    """The export directory of one run and the paths in it."""

    def __init__(self, run_root: str | Path):
        self.run_root = Path(run_root)
        self.root = self.run_root / EXPORT_DIR

    @property
    def data_dir(self) -> Path:
        return self.root / DATA_DIR

    @property
    def tokens_dir(self) -> Path:
        return self.root / TOKENS_DIR

    @property
    def token_index(self) -> Path:
        return self.root / TOKEN_INDEX

    @property
    def tokenizer(self) -> Path:
        return self.root / TOKENIZER

    @property
    def diversity(self) -> Path:
        return self.root / DIVERSITY

    @property
    def card(self) -> Path:
        return self.root / CARD

    def text_shard(self, split: str, i: int, n: int) -> Path:
        return self.root / text_shard_name(split, i, n)

    def text_shards(self, split: str) -> list[Path]:
        """A split's text shards, in order."""
        return sorted(self.root.glob(text_pattern(split)))

    def token_file(self, name: str) -> Path:
        """A token file by its name (a text row's ``token_file``)."""
        return self.tokens_dir / name

    def part_tokens(self, part: str) -> Path:
        """The token file of a pack part."""
        return self.token_file(token_file_name(part))

    def token_files(self) -> list[Path]:
        """Every token file, in name order (the training order of the pack parts)."""
        return sorted(self.tokens_dir.glob(f"*{TOKEN_SUFFIX}"))
