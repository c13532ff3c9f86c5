"""A probe (or evaluation item) planted in training text is removed and reported; near misses stay."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from synthcompile.curate import curate_stages, removal_summary
from synthcompile.recipe import CurateSection
from synthcompile.sample import sample_id
from tests.curate.helpers import kept, removals, run_stages, sample

PROBE_Q = "What is 347 + 589?"
LONG_PROBE_Q = "A train leaves the station at nine and travels north for three hours at sixty km per hour; how far does it go?"
EVAL_ITEM = "Name the largest moon of Saturn and the gas that dominates its thick atmosphere."


def test_probe_and_eval_items_in_training_text_are_removed_and_reported(tmp_path):
    (tmp_path / "eval.jsonl").write_text(json.dumps({"prompt": EVAL_ITEM}) + "\n" + json.dumps({"prompt": "Unrelated."}) + "\n")
    pq.write_table(pa.table({"text": ["Describe the water cycle in four steps for a child."]}), tmp_path / "eval.parquet")
    probes = [sample(f"Q: {PROBE_Q} A: 936", split="probe", question=PROBE_Q),
              sample(f"Q: {LONG_PROBE_Q} A: 180 km", split="probe", question=LONG_PROBE_Q)]
    train = [
        sample(f"Practice. {PROBE_Q.upper()}  Answer: 936."),                       # short probe, case changed
        sample("Warm-up: what is 347 + 588? Answer: 935."),                         # one digit off: kept
        sample("Story time. " + LONG_PROBE_Q.replace("sixty", "sixty ") + " It goes 180 km."),  # long probe
        sample("A train leaves the station at ten and travels south for two hours; how far?"),  # overlap, not it
        sample("Quiz: name the largest moon of Saturn and the gas that dominates its thick atmosphere!"),
        sample("Explain the water cycle to a child in four steps."),                # reworded: kept
    ]
    section = CurateSection(decontam={
        "ngram": 6, "eval_sets": [{"path": str(tmp_path / "eval.jsonl"), "field": "prompt", "name": "moons"},
                                  {"path": str(tmp_path / "eval.parquet")}]})
    run = run_stages(tmp_path / "run", [probes + train[:3], train[3:]], curate_stages(section))
    out = [r["text"] for r in kept(run, "decontam")]
    assert out == [probes[0].text, probes[1].text, train[1].text, train[3].text, train[5].text]
    log = {r["id"]: r for r in removals(run, "decontam")}
    assert set(log) == {sample_id(train[0].text), sample_id(train[2].text), sample_id(train[4].text)}
    short = log[sample_id(train[0].text)]
    assert short["reason"] == "contaminated:probe"
    assert short["reference"] == sample_id(probes[0].text)
    assert short["matched_text"] == PROBE_Q.lower()
    assert log[sample_id(train[2].text)]["reference"] == sample_id(probes[1].text)
    assert log[sample_id(train[4].text)]["reason"] == "contaminated:moons"
    assert log[sample_id(train[4].text)]["reference"] == "moons:0"
    assert removal_summary(run)["decontam"] == {
        "input": 8, "kept": 5, "removed": 3, "probe_rows": 2,
        "by_reason": {"contaminated:moons": 1, "contaminated:probe": 2}}
