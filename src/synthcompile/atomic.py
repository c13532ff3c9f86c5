"""Atomic, durable file writes and content hashes: how every stage commits a file.

A file is written under a temporary name unique to this attempt (on a cluster, a retried
task can overlap an attempt still running on a node presumed dead), fsynced, then renamed into
place; leftovers of killed attempts are removed after the rename.
"""

from __future__ import annotations

import glob
import hashlib
import os
import uuid
from pathlib import Path


def tmp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")


def commit(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` into place, then drop temporaries left by killed attempts at ``path``."""
    os.replace(tmp, path)
    for stale in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    commit(tmp, path)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
