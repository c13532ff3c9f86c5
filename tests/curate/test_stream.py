"""The sample stream's shard names downstream of the compilers."""

from __future__ import annotations


def test_stream_names_stay_apart_when_two_compilers_name_a_shard_alike():
    """A logic family and a simulation environment both called "calendar": their shards would
    be written to one file downstream unless the names keep the compiler's folder."""
    from synthcompile.curate.stream import stream_names

    assert stream_names(["samples/logic/a-00000.parquet", "samples/memory/b-00000.parquet"]) == ["a-00000", "b-00000"]
    assert stream_names(["samples/logic/calendar-train-00000.parquet",
                         "samples/simulation/calendar-train-00000.parquet"]) == \
        ["samples.logic.calendar-train-00000", "samples.simulation.calendar-train-00000"]
    assert stream_names(["curated/x.parquet", "work/s/shards/x.parquet"]) == ["curated.x", "work.x"]
