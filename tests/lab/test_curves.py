"""The switch-on detector: a sigmoid fit's 50% crossing, and nothing when there is none."""

from __future__ import annotations

import numpy as np
import pytest

from synthcompile.lab.curves import switch_on, switch_on_table


def test_switch_on_finds_the_crossing_of_a_noisy_sigmoid():
    steps = np.arange(0, 3000, 100, dtype=float)
    rng = np.random.default_rng(0)
    accs = np.clip(0.05 + 0.9 / (1 + np.exp(-(steps - 1700) / 120)) + rng.normal(0, 0.03, len(steps)), 0, 1)
    assert switch_on(steps, accs) == pytest.approx(1700, abs=60)


def test_no_switch_on_when_accuracy_never_crosses_or_starts_above():
    steps = np.arange(0, 1000, 100, dtype=float)
    assert switch_on(steps, np.full(len(steps), 0.2)) is None
    assert switch_on(steps, np.full(len(steps), 0.9)) is None
    assert switch_on(steps[:3], np.array([0.0, 0.6, 0.9])) is None  # too few points to fit


def test_table_per_group():
    points = [{"step": s, "groups": {"family": {"a": {"accuracy": float(s >= 500)},
                                                "b": {"accuracy": 0.1}}}} for s in range(0, 1000, 100)]
    table = switch_on_table(points, "family")
    assert 400 <= table["a"]["switch_on_step"] <= 500
    assert table["b"]["switch_on_step"] is None and table["b"]["final_accuracy"] == 0.1
