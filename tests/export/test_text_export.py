from __future__ import annotations

import datasets
import pyarrow.parquet as pq
import yaml

from synthcompile.export.card import hf_features
from synthcompile.export.pack import TEXT_SCHEMA


def test_export_loads_with_datasets(export_run, tmp_path):
    data_dir = export_run / "export"
    ds = datasets.load_dataset("parquet", data_dir=str(data_dir), cache_dir=str(tmp_path / "cache"))
    assert set(ds) == {"train", "probe"}
    train = pq.read_table(data_dir / "data", filters=[("split", "=", "train")])
    assert ds["train"].num_rows == train.num_rows > 0
    assert ds["probe"].num_rows == 30
    row = ds["train"][0]
    assert row["text"] and row["family"].startswith("logic.") and row["verdict"]["passed"] is True
    assert row["provenance"]["generator"].startswith("logic.")


def test_card_metadata_matches_the_files(export_run):
    card = (export_run / "export" / "README.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*.parquet"},
                                                {"split": "probe", "path": "data/probe-*.parquet"}]
    declared = datasets.Features._from_yaml_list(meta["dataset_info"]["features"])
    assert declared == datasets.Features.from_arrow_schema(TEXT_SCHEMA)
    assert hf_features(TEXT_SCHEMA) == meta["dataset_info"]["features"]
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]}["probe"] == 30
