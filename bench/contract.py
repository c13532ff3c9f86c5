"""What the stage contract costs: a build before and after it, and the hash check on resume.

    .venv/bin/python bench/contract.py --before 697f784            # quickstart, 2 workers
    .venv/bin/python bench/contract.py --before 697f784 --workers 1  # CPU time that counts every shard
    .venv/bin/python bench/contract.py --recipe recipes/knowledge-fictional.yaml

CPU time is the CLI's and that of the children it waits for: with 2 workers the pool's processes
are the fork server's children and escape it, so compare CPU with ``--workers 1`` (every shard in
the CLI's own process) and wall time with 2.

1. ``--before REV``: the same recipe built by the CLI of an earlier commit (its ``src/`` from
   ``git archive``, first on ``PYTHONPATH``) and by this one, one after the other, each into an
   empty directory: wall time and CPU time (the CLI and all its workers). The baseline is the
   earlier commit, measured in the same run; this commit is built with the shortcut audit off
   (the same work) and on (as the recipe says).
2. A no-op rerun of the finished build (every shard is checked: marker, version, fingerprint,
   sha256 of the shard and its side files, streamed from disk): wall and CPU time, against the
   full build.
3. The check alone, in this process, over every shard of the run: the sha256 check as shipped
   against the size-only check the markers used to get (the named baseline), with the bytes read.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli_build(recipe: Path, out: Path, workers: int, src: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (process and children) of one `synthcompile build`."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)  # ahead of the editable install's .pth
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "synthcompile", "build", str(recipe), "--out", str(out),
                    "--workers", str(workers)], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def old_src(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def check_costs(run_root: Path, recipe_path: Path) -> dict[str, float]:
    """Time RunDir.completed (sha256) against a size-only check over every shard of the run."""
    from synthcompile import layout
    from synthcompile.pipeline import stages_for
    from synthcompile.recipe import load_recipe
    from synthcompile.run import RunDir

    run = RunDir(run_root)
    recipe = load_recipe(recipe_path)
    names = {s.name: s for s in stages_for(recipe)}
    markers = [(names[stage], m) for stage in run.stages() for m in run.markers(stage)]
    files = [(m["path"], m["bytes"]) for _, m in markers] + [
        (rel, s["bytes"]) for _, m in markers for rel, s in m["side"].items()]

    def size_only() -> int:
        ok = 0
        for _, m in markers:  # what resume did before: the marker read, the shard's size compared
            marker = run.root / layout.marker(m["stage"], m["name"])
            ok += marker.is_file() and (run.root / m["path"]).stat().st_size == m["bytes"]
        return ok

    def with_sha() -> int:
        from synthcompile.stage import ShardSpec

        ok = 0
        for stage, m in markers:
            spec = ShardSpec(**{**m["spec"], "inputs": tuple(m["spec"]["inputs"])})
            ok += run.completed(stage, spec)[0] is not None
        return ok

    out: dict[str, float] = {"shards": len(markers), "files": len(files),
                             "mb": sum(b for _, b in files) / 1e6}
    for name, fn in (("size_only", size_only), ("sha256", with_sha)):
        c0, t0 = time.process_time(), time.perf_counter()
        kept = fn()
        out[f"{name}_s"], out[f"{name}_cpu"] = time.perf_counter() - t0, time.process_time() - c0
        assert kept == len(markers), f"{name}: {kept} of {len(markers)} shards check out"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", type=Path, default=ROOT / "recipes" / "quickstart.yaml")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--before", help="an earlier commit to compare the build against (e.g. 697f784)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        rows = []
        if args.before:
            src = old_src(args.before, scratch / "before-src")
            before = cli_build(args.recipe, scratch / "before", args.workers, src)
            rows.append((f"build, {args.before} (baseline)", *before))
            # The same work as the baseline: the shortcut audit (a new stage) switched off.
            no_audit = scratch / "no-audit.yaml"
            no_audit.write_text(args.recipe.read_text() + "\naudit: null\n")
            rows.append(("build, this commit, audit: null", *cli_build(no_audit, scratch / "no-audit", args.workers)))
        wall, cpu = cli_build(args.recipe, scratch / "after", args.workers)
        rows.append(("build, this commit", wall, cpu))
        rows.append(("no-op rerun (every shard checked)", *cli_build(args.recipe, scratch / "after", args.workers)))
        base_wall, base_cpu = rows[0][1], rows[0][2]
        print(f"recipe {args.recipe.name}, {args.workers} workers, load {os.getloadavg()[0]:.1f}")
        print(f"{'':40} {'wall s':>8} {'CPU s':>8} {'wall ratio':>10} {'CPU ratio':>10}")
        for name, w, c in rows:
            print(f"{name:40} {w:8.1f} {c:8.1f} {w / base_wall:10.3f} {c / base_cpu:10.3f}")
        costs = check_costs(scratch / "after", args.recipe)
        print(f"\nresume check over {costs['shards']:.0f} shards, {costs['files']:.0f} files, {costs['mb']:.1f} MB:")
        for name in ("size_only", "sha256"):
            print(f"  {name:10} {costs[name + '_s']:6.2f} s wall  {costs[name + '_cpu']:6.2f} s CPU"
                  f"  ({costs[name + '_s'] / wall:.1%} of the build's wall time)")
        print(f"  sha256 / size-only: {costs['sha256_s'] / max(costs['size_only_s'], 1e-9):.0f}x, "
              f"{costs['mb'] / max(costs['sha256_s'], 1e-9):.0f} MB/s")


if __name__ == "__main__":
    main()
