"""The run directory's layout: where every file of a build lives, spelled in this module only.

What a user opens a run for sits at the top; the pipeline's internals sit under ``work/``::

    recipe.yaml                  the recipe as given
    manifest.json                recipe hash, versions, layout, per-stage shard list (written when complete)
    report.html                  the self-contained report
    quarantine.json              bad inputs set aside: counts per stage and reason, first examples
    samples/<compiler>/*.parquet the compiled (and transformed) samples, per compile stage
    curated/*.parquet            the curated corpus: the last curate stage's output
    export/                      text Parquet + card, token shards, tokenizer (export/layout.py)
    work/<stage>/shards/         every other stage's rows (index stages, earlier curate axes, export steps)
    work/<stage>/completions/    one marker per shard: version, fingerprint, sha256 of shard and side files
    work/<stage>/quarantine/     bad inputs of one shard, with reasons
    work/<stage>/journal/        progress of a shard being built (removed when it commits)
    work/<stage>/removals/       curate filters: one line per removed row, with why
    work/<stage>/scratch/        a stage's temporary files
    work/llm-cache.sqlite        the request cache: every LLM request of the run and its response

Paths are run-relative strings (what markers and the manifest record).
"""

from __future__ import annotations

VERSION = 2  # of this layout; a run written with another is refused with a clear message

RECIPE = "recipe.yaml"
MANIFEST = "manifest.json"
REPORT = "report.html"
QUARANTINE = "quarantine.json"
SAMPLES = "samples"
CURATED = "curated"
EXPORT = "export"
WORK = "work"
LOCK = "work/.lock"    # held (flock) by the build writing this run; its PID inside
BUILD = "work/build.json"  # written first: layout and recipe hash, so a killed start-up resumes
LLM_CACHE = "work/llm-cache.sqlite"  # every LLM request of the run, with its response


def shard_dir(stage: str, role: str, *, published: bool = False) -> str:
    """Where a stage's Parquet shards go: compiled and transformed samples per stage, the last
    curate stage's output as the curated corpus, everything else under ``work/``."""
    if role in ("compile", "transform"):
        return f"{SAMPLES}/{stage}"
    if role == "curate" and published:
        return CURATED
    return f"{WORK}/{stage}/shards"


def folder(stage: str, kind: str) -> str:
    """One kind of a stage's internal files: ``completions``, ``quarantine``, ``journal``, ``removals``."""
    return f"{WORK}/{stage}/{kind}"


def _work(stage: str, kind: str, name: str, ext: str) -> str:
    return f"{folder(stage, kind)}/{name}{ext}"


def marker(stage: str, name: str) -> str:
    return _work(stage, "completions", name, ".json")


def quarantine(stage: str, name: str) -> str:
    return _work(stage, "quarantine", name, ".jsonl")


def journal(stage: str, name: str) -> str:
    return _work(stage, "journal", name, ".jsonl")


def removals(stage: str, name: str) -> str:
    return _work(stage, "removals", name, ".jsonl")


def scratch(stage: str) -> str:
    return f"{WORK}/{stage}/scratch"


def stage_work(stage: str) -> str:
    return f"{WORK}/{stage}"
