"""The run directory: atomic shards, completion markers, the manifest, and resume.

Layout (paths relative to the run root)::

    recipe.yaml                          the recipe as given
    manifest.json                        recipe hash, versions, per-stage shard list
    <stage>/shards/<name>.parquet        one Parquet file per shard
    <stage>/completions/<name>.json      rows, sha256, stats: written after the shard's rename
    <stage>/quarantine/<name>.jsonl      bad inputs with their reasons (only when there are any)

A shard is written to a temporary name and renamed when complete; its completion marker is
written last. A rerun skips every shard whose marker and file agree, so a build killed at any
point resumes with nothing lost and nothing duplicated.
"""

from __future__ import annotations

import json
import platform
import shutil
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile import __version__
from synthcompile.atomic import commit, fsync_file, sha256_file, tmp_path, write_atomic
from synthcompile.errors import UserError
from synthcompile.stage import ShardContext, ShardSpec, Stage

MANIFEST = "manifest.json"
# Versions that can change output bytes: recorded so a corpus can be rebuilt exactly.
TRACKED_PACKAGES = ("pyarrow", "pydantic", "sympy", "numpy", "pyyaml", "reasoning-gym", "countryinfo", "pycountry",
                    "pluralizer")


@dataclass(frozen=True)
class ShardResult:
    stage: str
    name: str
    path: str  # relative to the run root
    rows: int
    bytes: int
    sha256: str
    stats: dict[str, int]
    quarantined: int = 0


def shard_paths(root: Path, stage: str, name: str) -> tuple[Path, Path, Path]:
    base = root / stage
    return (base / "shards" / f"{name}.parquet", base / "completions" / f"{name}.json",
            base / "quarantine" / f"{name}.jsonl")


def execute_shard(stage: Stage, spec: ShardSpec, run_root: str, seed: int) -> ShardResult:
    """Run one shard and commit it atomically. The one function every executor calls."""
    root = Path(run_root)
    out, marker, quarantine = shard_paths(root, stage.name, spec.name)
    for p in (out, marker, quarantine):
        p.parent.mkdir(parents=True, exist_ok=True)
    ctx = ShardContext(seed=seed, run_root=root, spec=spec)
    tmp = tmp_path(out)
    rows = 0
    # Byte-identical output needs fixed writer options; no timestamps are written by Parquet.
    with pq.ParquetWriter(tmp, stage.schema, compression="zstd", write_statistics=True) as writer:
        for batch in stage.run_shard(spec, ctx):
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            if table.num_rows:
                writer.write_table(table.cast(stage.schema))
                rows += table.num_rows
    fsync_file(tmp)
    commit(tmp, out)
    if ctx.quarantined:
        lines = "".join(json.dumps(q, sort_keys=True, default=str) + "\n" for q in ctx.quarantined)
        write_atomic(quarantine, lines.encode())
    result = ShardResult(stage=stage.name, name=spec.name, path=str(out.relative_to(root)),
                         rows=rows, bytes=out.stat().st_size, sha256=sha256_file(out),
                         stats=dict(sorted(ctx.stats.items())), quarantined=len(ctx.quarantined))
    write_atomic(marker, json.dumps(asdict(result) | {"spec": asdict(spec)}, sort_keys=True,
                                     indent=1).encode())
    return result


class RunDir:
    """A build's output directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            raise UserError(f"{self.root}: not a synthcompile run (no {MANIFEST})")
        return json.loads(self.manifest_path.read_text())

    def prepare(self, recipe_hash: str, recipe_file: Path | None, *, overwrite: bool) -> None:
        """Create the run dir, or check that an existing one holds a build of the same recipe."""
        if self.exists():
            old = self.manifest().get("recipe", {}).get("hash")
            if old != recipe_hash:
                if not overwrite:
                    raise UserError(
                        f"{self.root} holds a build of a different recipe (hash {old[:12]}…, "
                        f"this one {recipe_hash[:12]}…): pass --overwrite or choose another --out")
                shutil.rmtree(self.root)
        elif self.root.exists() and any(self.root.iterdir()) and not overwrite:
            raise UserError(f"{self.root} exists and is not a synthcompile run: choose another --out")
        self.root.mkdir(parents=True, exist_ok=True)
        if recipe_file is not None:
            shutil.copyfile(recipe_file, self.root / "recipe.yaml")
        for tmp in self.root.glob("*/*/*.tmp"):
            tmp.unlink()  # leftovers of a killed build; their shards are redone

    def completed(self, stage: str, spec: ShardSpec) -> ShardResult | None:
        out, marker, _ = shard_paths(self.root, stage, spec.name)
        if not (marker.is_file() and out.is_file()):
            return None
        data = json.loads(marker.read_text())
        data.pop("spec", None)
        result = ShardResult(**data)
        return result if out.stat().st_size == result.bytes else None

    def stage_shards(self, stage: str) -> list[str]:
        """Run-relative paths of a stage's shards, in plan order (from the manifest)."""
        entry = self.manifest().get("stages", {}).get(stage)
        if entry is None:
            raise UserError(f"{self.root}: no stage {stage!r} in this run")
        return [s["path"] for s in entry["shards"]]

    def stages(self, role: str | None = None) -> list[str]:
        """Stage names in pipeline order, optionally only those of one role."""
        entries = self.manifest().get("stages", {})
        return [name for name, e in entries.items() if role is None or e.get("role") == role]

    def write_manifest(self, recipe: dict[str, Any], stages: dict[str, list[ShardResult]],
                       roles: dict[str, str]) -> None:
        manifest = {
            "synthcompile": __version__,
            "recipe": recipe,
            "python": platform.python_version(),
            "dependencies": _versions(),
            "stages": {
                name: {"role": roles[name], "rows": sum(r.rows for r in results),
                       "bytes": sum(r.bytes for r in results),
                       "quarantined": sum(r.quarantined for r in results),
                       "shards": [{"name": r.name, "path": r.path, "rows": r.rows,
                                   "bytes": r.bytes, "sha256": r.sha256} for r in results]}
                for name, results in stages.items()
            },
        }
        write_atomic(self.manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())


def _versions() -> dict[str, str]:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
