"""Every build recipe the project ships loads (a lab config, which names a built run, is not one)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synthcompile.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "recipes").glob("*.yaml") if "run" not in (yaml.safe_load(p.read_text()) or {}))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_recipe_loads(path):
    recipe = load_recipe(path)
    assert recipe.name
