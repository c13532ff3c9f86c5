"""Training: it learns, it resumes bit for bit, and its checkpoints are transformers models."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM

from synthcompile.errors import RecipeError, UserError
from synthcompile.lab import probe
from synthcompile.lab.data import DocStream, Export
from synthcompile.lab.experiment import evaluate, train_and_probe
from synthcompile.lab.train import Trainer, latest_checkpoint, train

from .conftest import lab_config


def _log(out):
    return [json.loads(ln) for ln in (out / "log.jsonl").read_text().splitlines()]


def test_trained_model_beats_its_untrained_self(logic_run, tmp_path):
    config = lab_config(logic_run, tmp_path / "run")
    trainer = Trainer(config)
    export, verifiers = trainer.export, probe.Verifiers(logic_run)
    rows = export.probes()
    before = probe.run_probes(trainer.model, export, verifiers, rows, max_new_tokens=8, batch_size=64)
    trainer.run()
    after = evaluate(tmp_path / "run", config=config)  # the saved model, reloaded
    losses = [e["loss"] for e in _log(tmp_path / "run") if "loss" in e]
    assert losses[-1] < losses[0] / 2
    assert after.accuracy >= before.accuracy + 0.3, (before.accuracy, after.accuracy)
    assert after.groups["family"]["logic.syllogisms"]["n"] == len(rows)


def test_resume_gives_identical_losses(logic_run, tmp_path):
    changes = {"phases": [{"name": "a", "steps": 30, "warmup": 5},
                          {"name": "b", "steps": 20, "warmup": 5, "lr": 0.003}],
               "train": {"batch_size": 4, "seq_len": 32, "eval_every": 10, "checkpoint_every": 20}}
    train(lab_config(logic_run, tmp_path / "whole", **changes))
    cut = lab_config(logic_run, tmp_path / "cut", **changes)
    stopped = train(cut, stop_at=45)  # as if killed at step 45: the last checkpoint is step 40
    assert not stopped.finished and latest_checkpoint(tmp_path / "cut").name == "step-0000040"
    resumed = train(cut)
    assert resumed.finished and resumed.steps == 50
    assert _log(tmp_path / "cut") == _log(tmp_path / "whole")
    a = AutoModelForCausalLM.from_pretrained(tmp_path / "whole" / "model")
    b = AutoModelForCausalLM.from_pretrained(tmp_path / "cut" / "model")
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_stream_reshuffles_each_epoch_and_covers_every_token(logic_run):
    docs = Export(logic_run).documents(["*"])
    stream = DocStream(docs, batch_size=2, seq_len=16, seed=3)
    assert not (stream.order(0) == stream.order(1)).all()
    seen = 0
    while stream.state.epoch == 0:
        x, y = stream.next_batch()
        assert (x[:, 1:] == y[:, :-1]).all()
        seen += x.size
    assert seen >= docs.tokens


def test_config_errors_are_located(logic_run, tmp_path):
    from synthcompile.lab.config import load_lab_config

    path = tmp_path / "bad.yaml"
    path.write_text(f"name: x\nrun: {logic_run}\nphases:\n  - {{name: a, steps: 5, lr: 0.1, warmpu: 3}}\n")
    with pytest.raises(RecipeError, match=r"bad.yaml:4: .*unknown key 'warmpu' \(did you mean 'warmup'\?\)"):
        load_lab_config(path)
    with pytest.raises(UserError, match="no training documents match"):
        Trainer(lab_config(logic_run, tmp_path / "o", phases=[{"name": "a", "steps": 1, "include": ["memory.*"]}]))


def test_sweep_cells_and_report(logic_run, tmp_path):
    from synthcompile.lab.compare import write_compare

    out = tmp_path / "cell"
    outcome = train_and_probe(lab_config(logic_run, out, phases=[{"name": "a", "steps": 20, "warmup": 2}],
                                         probe={"every": 10, "limit": 10, "max_new_tokens": 4}))
    assert outcome.report is not None and (out / "probe.json").is_file()
    assert len([ln for ln in (out / "curves.jsonl").read_text().splitlines()]) == 2
    html = write_compare([out], tmp_path / "compare.html").read_text()
    assert "logic.syllogisms" in html and "<svg" in html and "Across seeds" not in html


def test_compare_reports_mean_and_spread_over_seeds(tmp_path):
    from synthcompile.lab.compare import _seeds_table, mean_sd

    def run(name, acc):
        return {"name": name, "probe": {"accuracy": acc, "groups": {"split": {"entity": {"accuracy": acc}}}}}

    table = _seeds_table([run("multi5-llama-1m-s0", 0.5), run("multi5-llama-1m-s1", 0.7),
                          run("plain-llama-1m-s0", 0.1)])
    assert "multi5-llama-1m" in table and "60.0% ± 14.1%" in table and "50.0%, 70.0%" in table
    assert "plain" not in table  # one seed: no spread to report
    assert mean_sd([0.2]) == "20.0% ± 0.0%"


def test_a_phase_can_train_on_the_documents_of_some_skills_only(logic_run):
    from synthcompile.lab.data import Export

    export = Export(logic_run)
    everything = export.documents(["*"])
    assert len(export.documents(["*"], skills=["deduct*"])) == len(everything)  # every syllogism has it
    with pytest.raises(UserError, match="no training documents"):
        export.documents(["*"], skills=["entity:*"])


@pytest.mark.parametrize("preset", ["llama-tiny", "gpt2-1m"])
def test_document_mask_scores_each_packed_document_as_if_alone(preset):
    from synthcompile.lab.config import ModelSpec
    from synthcompile.lab.models import build_model, model_config
    from synthcompile.lab.train import document_positions, lm_loss

    eos = 0
    model = build_model(model_config(ModelSpec(preset=preset), vocab_size=50, max_len=32, eos_id=eos), seed=3)
    model.eval()
    first, second = [eos, 5, 6, 7, 8], [eos, 9, 10, 11, 12, 13]
    row = torch.tensor([first + second + [eos]])
    assert document_positions(row, eos).tolist() == [[0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 0]]
    x, y = row[:, :-1], row[:, 1:]
    with torch.no_grad():
        packed = model(input_ids=x, position_ids=document_positions(x, eos), use_cache=False).logits
        alone = [model(input_ids=torch.tensor([d]), use_cache=False).logits for d in (first, second)]
        unmasked = model(input_ids=x, use_cache=False).logits
    assert torch.allclose(packed, torch.cat(alone, dim=1), atol=1e-5)
    assert not torch.allclose(unmasked[:, 5:], alone[1], atol=1e-3)  # without it, the 2nd sees the 1st
    assert not torch.isclose(lm_loss(model, x, y, eos), lm_loss(model, x, y), atol=1e-5)


def test_document_masked_compiled_run_learns_and_resumes(logic_run, tmp_path):
    changes = {"phases": [{"name": "a", "steps": 30, "warmup": 5}],
               "train": {"batch_size": 4, "seq_len": 32, "eval_every": 10, "checkpoint_every": 20,
                         "document_mask": True, "compile": True}}
    whole = train(lab_config(logic_run, tmp_path / "whole", **changes))
    losses = [e["loss"] for e in _log(tmp_path / "whole") if "loss" in e]
    assert whole.finished and losses[-1] < losses[0]
    cut = lab_config(logic_run, tmp_path / "cut", **changes)
    train(cut, stop_at=25)
    train(cut)
    assert [e["loss"] for e in _log(tmp_path / "cut") if "loss" in e] == pytest.approx(losses, rel=1e-4)
