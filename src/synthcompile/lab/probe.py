"""Probing: greedy answers to a run's probe split, scored by the compilers' own verifiers.

A probe is a document of split ``probe`` (held-out entities, phrasings, compositions, difficulty
levels: whatever the compiler held out). The prompt is what a training document looks like up
to its answer: the EOS that ends the previous document, the question, a newline. The model
continues greedily until EOS, and the continuation is scored exactly as the compiler verified
its own samples: logic probes by ``family.verify(structured, response)``, memory probes by
recomputing the answer from the knowledge graph. No string matching of our own.

Results are grouped along five axes: family, skill, difficulty, split (which held-out set:
entity, phrasing, hop for memory; ``probe`` otherwise) and type (family and relation path, or
family and level). Each group reports the *majority-guess baseline* beside the accuracy: the
score, by the same verifiers, of always answering the most common answer of the probe's type.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import torch
from tokenizers import Tokenizer

from synthcompile import layout
from synthcompile.errors import RecipeError, UserError
from synthcompile.lab.data import SEEN
from synthcompile.verifiers import Verifiers as RecipeVerifiers

AXES = ("family", "skill", "difficulty", "split", "type")


class Verifiers(RecipeVerifiers):
    """The verifiers of a built run's compilers, rebuilt from the run's recipe."""

    def __init__(self, run: str | Path):
        from synthcompile.recipe import load_recipe

        path = Path(run) / "recipe.yaml"
        try:  # relative seed paths point next to the recipe the run was built from
            base = json.loads((Path(run) / layout.MANIFEST).read_text()).get("recipe", {}).get("dir")
        except (OSError, ValueError):
            base = None
        try:
            recipe = load_recipe(path, base_dir=base)
        except RecipeError as exc:
            raise UserError(f"cannot rebuild the verifiers from {path}: {exc}") from None
        super().__init__(recipe)


def probe_split(row: dict) -> str:
    """Which held-out set a probe belongs to (memory: entity, phrasing, hop); ``seen`` for a
    training question asked back."""
    if row["split"] == SEEN:
        return SEEN
    return json.loads(row["structured"]).get("probe") or "probe"


def probe_type(row: dict) -> str:
    data = json.loads(row["structured"])
    seen = f"{SEEN}:" if row["split"] == SEEN else ""  # own majority baselines, own table rows
    if "path" in data:  # a relation path (memory questions): the type is the path
        return f"{seen}{row['family']}:{'/'.join(data['path'])}"
    return f"{seen}{row['family']}:d{row['difficulty']}"


def select(probes: list[dict], include: Iterable[str], limit: int | None) -> list[dict]:
    """Probes of the included families, the first ``limit`` per family by id (stable)."""
    import fnmatch

    patterns = list(include)
    chosen = sorted((r for r in probes if any(fnmatch.fnmatchcase(r["family"], p) for p in patterns)),
                    key=lambda r: (r["family"], r["id"]))
    if limit is None:
        return chosen
    seen: Counter = Counter()
    out = []
    for r in chosen:
        if seen[r["family"]] < limit:
            seen[r["family"]] += 1
            out.append(r)
    return out


@torch.no_grad()
def generate(model, tok: Tokenizer, prompts: list[str], eos_id: int, *, max_new_tokens: int,
             batch_size: int) -> list[str]:
    """Greedy continuations (cut at EOS) of each prompt, in order.

    Prompts are batched by length (left-padded with EOS under an attention mask) so that a
    batch pads little; transformers' ``generate`` keeps the key/value cache.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    encoded = [[eos_id] + e.ids for e in tok.encode_batch(prompts, add_special_tokens=False)]
    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    out: list[str] = [""] * len(prompts)
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        width = max(len(encoded[i]) for i in idx)
        ids = torch.full((len(idx), width), eos_id, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            ids[row, width - len(encoded[i]):] = torch.tensor(encoded[i])
            mask[row, width - len(encoded[i]):] = 1
        gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                             max_new_tokens=max_new_tokens, eos_token_id=eos_id, pad_token_id=eos_id)
        for row, i in enumerate(idx):
            new = gen[row, width:].tolist()
            out[i] = tok.decode(new[:new.index(eos_id)] if eos_id in new else new)
    model.train(was_training)
    return out


@dataclass
class ProbeReport:
    """Per-probe results and their accuracy per axis (with majority-guess baselines)."""

    results: list[dict]
    groups: dict[str, dict[str, dict]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Accuracy on the held-out probes (training questions asked back are not counted)."""
        held_out = [r["passed"] for r in self.results if r["split"] != SEEN]
        return sum(held_out) / len(held_out) if held_out else 0.0

    @classmethod
    def from_json(cls, data: dict) -> "ProbeReport":
        return cls(data["results"], data["groups"])

    def to_json(self) -> dict:
        return {"probes": sum(r["split"] != SEEN for r in self.results), "accuracy": self.accuracy,
                "groups": self.groups, "results": self.results}


def majority_answers(rows: list[dict]) -> dict[str, str]:
    """The most common answer per probe type (ties: the first in sorted order)."""
    by_type: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        by_type[probe_type(r)][r["answer"]] += 1
    return {t: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for t, c in by_type.items()}


def score(rows: list[dict], responses: list[str], verifiers: Verifiers) -> ProbeReport:
    """Verify each response, and the majority guess of its type, and group along AXES."""
    majority = majority_answers(rows)
    results = []
    for row, response in zip(rows, responses):
        verdict = verifiers.verify(row, response)
        guess = verifiers.verify(row, f"Answer: {majority[probe_type(row)]}")
        results.append({"id": row["id"], "family": row["family"], "skills": list(row["skills"]),
                        "difficulty": row["difficulty"], "split": probe_split(row), "type": probe_type(row),
                        "question": row["question"], "answer": row["answer"], "response": response,
                        "passed": verdict.passed, "reason": verdict.reason, "baseline": guess.passed})
    return ProbeReport(results, group(results))


def group(results: list[dict]) -> dict[str, dict[str, dict]]:
    groups: dict[str, dict[str, dict]] = {axis: {} for axis in AXES}
    for r in results:
        keys = {"family": [r["family"]], "skill": r["skills"], "difficulty": [str(r["difficulty"])],
                "split": [r["split"]], "type": [r["type"]]}
        for axis, values in keys.items():
            for v in values:
                g = groups[axis].setdefault(v, {"n": 0, "correct": 0, "baseline_correct": 0})
                g["n"] += 1
                g["correct"] += r["passed"]
                g["baseline_correct"] += r["baseline"]
    for axis in groups.values():
        for g in axis.values():
            g["accuracy"] = g["correct"] / g["n"]
            g["baseline"] = g["baseline_correct"] / g["n"]
        for key in sorted(axis):  # stable key order in the JSON
            axis[key] = axis.pop(key)
    return groups


def run_probes(model, export, verifiers: Verifiers, rows: list[dict], *, max_new_tokens: int,
               batch_size: int) -> ProbeReport:
    tok = export.tokenizer()
    prompts = [r["question"] + "\n" for r in rows]
    responses = generate(model, tok, prompts, export.eos_id, max_new_tokens=max_new_tokens,
                         batch_size=batch_size)
    return score(rows, responses, verifiers)


def write_report(report: ProbeReport, path: Path, **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json() | extra, indent=1) + "\n")


def load_report(path: Path) -> dict:
    return json.loads(Path(path).read_text())

