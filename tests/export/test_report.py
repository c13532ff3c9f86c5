from __future__ import annotations

import re
import subprocess

from synthcompile.report.html import write_report

from ..conftest import CLI, cli_env
from .conftest import build_run

SECTIONS = ("overview", "tokens", "curation", "verification", "difficulty", "length", "diversity")


def test_report_is_self_contained_with_every_section(export_run):
    proc = subprocess.run([*CLI, "report", str(export_run)], capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 0, proc.stderr
    path = export_run / "report.html"
    assert proc.stdout.strip().endswith("report.html")
    page = path.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page and "<script" not in page
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    assert page.count("<svg") >= 4  # tokens, pass rates, difficulty, length
    assert "distinct-2" in page and "logic.pointer_chasing" in page
    assert "No curate stages" in page  # this run has no dedup stages: said, not crashed


def test_report_of_a_run_without_export(tmp_path):
    run = build_run(tmp_path, "name: plain\nlogic:\n  generators:\n    - {family: arithmetic, count: 20}\n")
    page = write_report(run).read_text()
    assert "No export in this run" in page and '<section id="verification">' in page
