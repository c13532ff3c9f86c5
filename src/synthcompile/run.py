"""The run directory: atomic shards, completion markers, the manifest, and resume.

Where each file lives is :mod:`synthcompile.layout`'s business. A shard is written to a
temporary name and renamed when complete, then its declared side files; its completion marker
is written last and records the stage's version, the shard's fingerprint (what shaped it) and the
sha256 of the shard and of every side file. A rerun keeps a shard only when all of them match
(the hashes are recomputed, streaming, from the files), so a build killed at any point, a
corrupted file, an edited recipe or a changed generator is rebuilt, and nothing else is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile import __version__, layout
from synthcompile.atomic import commit, fsync_file, sha256_file, tmp_path, write_atomic
from synthcompile.config import hashable
from synthcompile.errors import UserError
from synthcompile.stage import ShardContext, ShardSpec, Stage

MANIFEST = layout.MANIFEST
# Versions that can change output bytes: recorded so a corpus can be rebuilt exactly.
TRACKED_PACKAGES = ("pyarrow", "pydantic", "sympy", "numpy", "pyyaml", "reasoning-gym", "countryinfo", "pycountry",
                    "pluralizer")
QUARANTINE_EXAMPLES = 3  # first records kept per (stage, reason) in quarantine.json


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
    version: str = ""
    fingerprint: str = ""
    side: dict[str, dict[str, Any]] = field(default_factory=dict)  # run-relative path -> bytes, sha256


def stage_digest(stage: Stage) -> str:
    """Hash of the stage's code version and the configuration that shapes its output."""
    blob = json.dumps({"stage": stage.name, "version": stage.version, "shaped_by": hashable(stage.shaped_by())},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def referenced(spec: ShardSpec, known: dict[str, str]) -> list[str]:
    """The upstream files a spec names (in ``inputs`` or anywhere in ``params``) among ``known``."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value in known:
                found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(list(spec.inputs))
    walk(spec.params)
    return sorted(found)


def fingerprint(digest: str, spec: ShardSpec, seed: int, upstream: dict[str, str]) -> str:
    """What shaped one shard: its stage's digest, its spec, the recipe seed, and the fingerprints
    of the upstream shards it reads. A change anywhere upstream changes it, and so rebuilds it."""
    payload = {"stage": digest, "seed": seed, "index": spec.index, "name": spec.name,
               "params": hashable(spec.params), "inputs": list(spec.inputs),
               "upstream": [[p, upstream[p]] for p in referenced(spec, upstream)]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def execute_shard(stage: Stage, spec: ShardSpec, run_root: str, seed: int) -> ShardResult:
    """Run one shard and commit it atomically. The one function every executor calls.

    A spec the pipeline did not place (a benchmark or test running a stage by hand) is written
    where its role's shards go."""
    if not spec.path:
        spec = dataclasses.replace(spec, path=f"{layout.shard_dir(stage.name, stage.role)}/{spec.name}.parquet")
    root = Path(run_root).absolute()  # side files may be named by absolute paths inside it
    out, marker = root / spec.path, root / layout.marker(stage.name, spec.name)
    quarantine = root / layout.quarantine(stage.name, spec.name)
    for p in (out, marker):
        p.parent.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)  # the shard is being redone: never an old marker over new files
    ctx = ShardContext(seed=seed, run_root=root, spec=spec)
    tmp = tmp_path(out)
    rows = 0
    try:
        # Byte-identical output needs fixed writer options; no timestamps are written by Parquet.
        with pq.ParquetWriter(tmp, stage.schema, compression="zstd", write_statistics=True) as writer:
            for batch in stage.run_shard(spec, ctx):
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                if table.num_rows:
                    writer.write_table(table.cast(stage.schema))
                    rows += table.num_rows
    except BaseException:
        tmp.unlink(missing_ok=True)
        for side_tmp in ctx.side_files.values():
            side_tmp.unlink(missing_ok=True)
        raise
    finally:
        if ctx._journal is not None:
            ctx._journal.close()
    fsync_file(tmp)
    commit(tmp, out)
    side = {}
    for rel, side_tmp in sorted(ctx.side_files.items()):
        if not side_tmp.is_file():
            raise RuntimeError(f"{stage.name}/{spec.name}: declared side file {rel} was never written")
        fsync_file(side_tmp)
        commit(side_tmp, root / rel)
        side[rel] = {"bytes": (root / rel).stat().st_size, "sha256": sha256_file(root / rel)}
    if ctx.quarantined:
        lines = "".join(json.dumps(q, sort_keys=True, default=str) + "\n" for q in ctx.quarantined)
        write_atomic(quarantine, lines.encode())
    else:
        quarantine.unlink(missing_ok=True)
    result = ShardResult(stage=stage.name, name=spec.name, path=spec.path, rows=rows,
                         bytes=out.stat().st_size, sha256=sha256_file(out),
                         stats=dict(sorted(ctx.stats.items())), quarantined=len(ctx.quarantined),
                         version=stage.version, fingerprint=spec.fingerprint, side=side)
    write_atomic(marker, json.dumps(asdict(result) | {"spec": asdict(spec)}, sort_keys=True,
                                     indent=1).encode())
    if ctx._journal is not None:
        ctx._journal.remove()  # the shard holds the results now
    return result


class RunLock:
    """An exclusive ``flock`` on a run's lock file, held for a whole build. Two builds into one
    folder would overwrite each other's shards; the second one is refused, naming the first's
    PID. The kernel drops the lock when the holder dies, however it dies: no stale lock."""

    def __init__(self, root: Path, path: Path):
        self.root, self.path, self._fd = root, path, -1

    def __enter__(self) -> "RunLock":
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise UserError(f"--out {self.root}: cannot write there ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise UserError(f"{self.root} is being built by another process (PID {holder}): wait for it "
                            "to finish, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        os.ftruncate(self._fd, 0)  # a finished run holds no PID: its files are the same every time
        os.close(self._fd)


class RunDir:
    """A build's output directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def started(self) -> dict[str, Any] | None:
        """What the run's first file says (layout, recipe hash): the build marker, written before
        anything else, or the manifest of a run from before it; None for no run. A marker or
        manifest that does not parse is a UserError naming it (never a traceback)."""
        for path in (self.root / layout.BUILD, self.manifest_path):
            if path.is_file():
                try:
                    data = json.loads(path.read_text())
                    if isinstance(data, dict):
                        return data
                except (ValueError, UnicodeDecodeError):
                    pass
                raise UserError(f"{path} is unreadable (a disk error or an edit?): rebuild with --overwrite, "
                                "or choose another --out")
        return None

    def lock(self) -> "RunLock":
        """The exclusive lock of a build writing this run (creates the folder: a bad --out is a
        UserError here, before anything is written)."""
        try:
            (self.root / layout.WORK).mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UserError(f"--out {self.root}: a file is in the way (it must be a folder)") from None
        except OSError as exc:
            raise UserError(f"--out {self.root}: cannot create it ({exc.strerror or exc})") from None
        return RunLock(self.root, self.root / layout.LOCK)

    def _foreign(self) -> bool:
        """Files of something other than a run: anything but what a killed start-up leaves
        (the work folder with its lock and temporary files)."""
        for path in self.root.rglob("*") if self.root.is_dir() else ():
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and rel != layout.LOCK and not path.name.endswith(".tmp"):
                return True
        return False

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            if (self.root / layout.BUILD).is_file():
                raise UserError(f"{self.root}: its build has not finished (no {MANIFEST} yet): run the "
                                "same build again to resume it")
            raise UserError(f"{self.root}: not a synthcompile run (no {MANIFEST})")
        try:
            data = json.loads(self.manifest_path.read_text())
        except (ValueError, UnicodeDecodeError):
            raise UserError(f"{self.manifest_path} is unreadable: run the build again to rewrite it") from None
        if data.get("layout") != layout.VERSION:
            raise UserError(
                f"{self.root} was written by an older synthcompile (run layout "
                f"{data.get('layout', 1)}, this one reads layout {layout.VERSION}): rebuild it "
                f"with `synthcompile build RECIPE --out {self.root} --overwrite`, or into a new --out")
        return data

    def path(self, rel: str) -> Path:
        return self.root / rel

    def prepare(self, recipe_hash: str, recipe_file: Path | None, *, overwrite: bool) -> None:
        """Create the run dir, or check that an existing one holds a build of the same recipe.

        Resumable from any point: the build marker is written first and atomically, so a
        start-up killed at any moment leaves either no run or one this method accepts; the
        manifest of an earlier complete build stays until the new build completes (it is
        dropped at once only when the recipe changed: it no longer describes the folder)."""
        old = self.started()
        if old is not None:
            if old.get("layout") != layout.VERSION:
                if not overwrite:
                    self.manifest()  # raises the message about the old layout
                shutil.rmtree(self.root)
            elif old.get("recipe", {}).get("hash") != recipe_hash:
                if not overwrite:
                    raise UserError(
                        f"{self.root} holds a build of a different recipe (hash "
                        f"{old.get('recipe', {}).get('hash', '?')[:12]}…, this one {recipe_hash[:12]}…): "
                        f"pass --overwrite or choose another --out")
                # Kept: every shard whose fingerprint still matches is reused, the rest rebuilt.
                self.manifest_path.unlink(missing_ok=True)
        elif self._foreign() and not overwrite:
            raise UserError(f"{self.root} exists and is not a synthcompile run: choose another --out")
        write_atomic(self.root / layout.BUILD, (json.dumps(
            {"layout": layout.VERSION, "recipe": {"hash": recipe_hash}}, indent=2) + "\n").encode())
        if recipe_file is not None:
            write_atomic(self.root / layout.RECIPE, Path(recipe_file).read_bytes())
        for tmp in self.root.rglob("*.tmp"):
            tmp.unlink()  # leftovers of a killed build; their shards are redone

    def completed(self, stage: Stage, spec: ShardSpec) -> tuple[ShardResult | None, str]:
        """The finished shard for ``spec``, or None and why it must be (re)built. Checks the
        marker's version and fingerprint, and the sha256 of the shard and every side file."""
        marker = self.root / layout.marker(stage.name, spec.name)
        if not marker.is_file():
            return None, "not built"
        try:
            data = json.loads(marker.read_text())
            data.pop("spec", None)
            result = ShardResult(**data)
        except (ValueError, TypeError):
            return None, "unreadable marker"
        if result.version != stage.version:
            return None, "stage version changed"
        if result.fingerprint != spec.fingerprint or result.path != spec.path:
            return None, "spec or inputs changed"
        files = [(result.path, result.bytes, result.sha256)] + [
            (rel, s["bytes"], s["sha256"]) for rel, s in result.side.items()]
        for rel, size, digest in files:
            path = self.root / rel
            if not path.is_file() or path.stat().st_size != size or sha256_file(path) != digest:
                return None, "content differs"
        return result, ""

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

    def markers(self, stage: str) -> Iterable[dict[str, Any]]:
        """The completion markers of a stage's shards, in plan order."""
        for shard in self.manifest()["stages"][stage]["shards"]:
            yield json.loads((self.root / layout.marker(stage, shard["name"])).read_text())

    def remove_stale(self, stage: str, shard_dir: str, planned: Iterable[ShardSpec]) -> None:
        """Drop a stage's shards and markers that the current plan no longer has."""
        names = {s.name for s in planned}
        for folder, suffix in ((self.root / shard_dir, ".parquet"),
                               (self.root / layout.folder(stage, "completions"), ".json"),
                               (self.root / layout.folder(stage, "quarantine"), ".jsonl")):
            for path in folder.glob(f"*{suffix}") if folder.is_dir() else ():
                if path.name.removesuffix(suffix) not in names:
                    path.unlink()

    def remove_unplanned(self, roles: dict[str, str]) -> None:
        """Drop the folders of stages the recipe no longer has (by stage name, and the curated
        corpus and the export when it has no curate or export stage)."""
        for parent in (self.root / layout.SAMPLES, self.root / layout.WORK):
            for folder in parent.iterdir() if parent.is_dir() else ():
                if folder.is_dir() and folder.name not in roles:
                    shutil.rmtree(folder)
        for role, folder in (("curate", layout.CURATED), ("export", layout.EXPORT)):
            if role not in roles.values() and (self.root / folder).is_dir():
                shutil.rmtree(self.root / folder)

    def write_manifest(self, recipe: dict[str, Any], stages: dict[str, list[ShardResult]],
                       roles: dict[str, str], versions: dict[str, str] | None = None) -> None:
        manifest = {
            "synthcompile": __version__,
            "layout": layout.VERSION,
            "recipe": recipe,
            "python": platform.python_version(),
            "dependencies": _versions(),
            "stages": {
                name: {"role": roles[name], "version": (versions or {}).get(name, ""),
                       "rows": sum(r.rows for r in results),
                       "bytes": sum(r.bytes for r in results),
                       "quarantined": sum(r.quarantined for r in results),
                       "shards": [{"name": r.name, "path": r.path, "rows": r.rows, "bytes": r.bytes,
                                   "sha256": r.sha256, "fingerprint": r.fingerprint,
                                   **({"side": sorted(r.side)} if r.side else {})} for r in results]}
                for name, results in stages.items()
            },
        }
        write_atomic(self.manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())

    def write_quarantine_summary(self, stages: Iterable[str]) -> dict[str, Any]:
        """``quarantine.json``: per stage, the bad inputs set aside, by reason, with the first
        examples of each (read a shard's file at a time)."""
        summary: dict[str, Any] = {}
        for stage in stages:
            folder = self.root / layout.folder(stage, "quarantine")
            if not folder.is_dir():
                continue
            counts: Counter = Counter()
            examples: dict[str, list] = {}
            for path in sorted(folder.glob("*.jsonl")):
                for line in path.read_text().splitlines():
                    rec = json.loads(line)
                    reason = str(rec.get("reason", "")).split(": ")[0]  # "bad JSON: <detail>"; ids may hold colons
                    counts[reason] += 1
                    if len(examples.setdefault(reason, [])) < QUARANTINE_EXAMPLES:
                        examples[reason].append(rec)
            if counts:
                summary[stage] = {"total": sum(counts.values()),
                                  "by_reason": [{"reason": r, "count": n, "examples": examples[r]}
                                                for r, n in counts.most_common()]}
        write_atomic(self.root / layout.QUARANTINE, (json.dumps(summary, indent=2, default=str) + "\n").encode())
        return summary


def _versions() -> dict[str, str]:
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
