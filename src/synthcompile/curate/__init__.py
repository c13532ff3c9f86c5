"""Curation: dedup along several axes and decontamination, as stages over the sample stream.

Axes run in this order, each reading what the previous one kept: exact -> isomorphic -> near (MinHash) ->
decontam -> structure (skeleton cap) -> semantic (embeddings). See ``stream.py`` for the
filter contract, the removal logs and the per-stage summary (:func:`removal_summary`), and
``shuffle.py`` for the map -> bucket -> reduce shape that keeps every axis bounded by a shard.
"""

from __future__ import annotations

from synthcompile.curate.stream import removal_summary
from synthcompile.curate.config import CurateSection
from synthcompile.stage import Stage

__all__ = ["curate_stages", "removal_summary"]


def curate_stages(section: CurateSection | None) -> list[Stage]:
    if section is None:
        return []
    stages: list[Stage] = []
    spb = section.shards_per_bucket
    if section.exact:
        from synthcompile.curate.exact import exact_stages

        stages += exact_stages(spb)
    if section.isomorphic:
        from synthcompile.curate.isomorphic import isomorphic_stages

        stages += isomorphic_stages(spb)
    if section.near:
        from synthcompile.curate.near import near_stages

        stages += near_stages(section.near, spb, section.variation)
    if section.decontam:
        from synthcompile.curate.decontam import decontam_stages

        stages += decontam_stages(section.decontam)
    if section.structure:
        from synthcompile.curate.structure import structure_stages

        stages += structure_stages(section.structure, spb, section.variation)
    if section.semantic:
        from synthcompile.curate.semantic import semantic_stages

        stages += semantic_stages(section.semantic, spb, section.variation)
    return stages
