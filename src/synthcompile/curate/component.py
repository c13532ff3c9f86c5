"""Curation as a component: the dedup and decontamination axes over the compiled samples."""

from __future__ import annotations

from typing import Any

from synthcompile.components import Component
from synthcompile.curate.config import CurateSection


def _stages(section: CurateSection, recipe: Any) -> list:
    from synthcompile.curate import curate_stages

    return curate_stages(section)


COMPONENT = Component(name="curate", kind="curate", config=CurateSection, stages=_stages,
                      description="dedup on several axes and decontamination (docs/curate.md)")
