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
    # tokens, pass rates, difficulty, length; distinct-n and one distribution per diversity axis
    assert page.count("<svg") == 4 + 1 + 5
    diversity = page.split('<section id="diversity">')[1].split("</section>")[0]
    assert diversity.count("<svg") == 6 and "distinct-2" in diversity
    for axis in ("family", "skills", "difficulty", "template", "form"):
        assert f"<h3>{axis}: samples per value" in diversity
    assert "logic.pointer_chasing" in page
    assert "No curate stages" in page  # this run has no dedup stages: said, not crashed


def test_report_of_a_run_without_export(tmp_path):
    run = build_run(tmp_path, "name: plain\nlogic:\n  generators:\n    - {family: arithmetic, count: 20}\n")
    page = write_report(run).read_text()
    assert "No export in this run" in page and '<section id="verification">' in page


def test_report_plots_removals_per_curation_axis(tmp_path):
    from synthcompile.curate import curate_stages
    from synthcompile.curate.config import CurateSection

    from ..curate.helpers import run_stages, sample

    texts = [f"Planted document number {i} about topic {i % 7}." for i in range(60)]
    shards = [[sample(t) for t in texts[:30]] + [sample(texts[3]), sample(texts[4])],
              [sample(t) for t in texts[30:]] + [sample(texts[40])]]
    run = run_stages(tmp_path / "run", shards, curate_stages(CurateSection(exact=True)))
    manifest = run.manifest()
    curate = [name for name, e in manifest["stages"].items() if e["role"] == "curate"]
    assert curate and manifest["stages"][curate[-1]]["rows"] == 60  # the 3 repeats removed
    page = write_report(run).read_text()
    section = page.split('<section id="curation">')[1].split("</section>")[0]
    assert "No curate stages" not in section and section.count("<svg") == 1
    plot = section[section.index("<svg"):section.index("</svg>")]
    for name in curate:  # matplotlib keeps each text as a comment beside its glyphs
        assert f"<!-- {name} -->" in plot
    assert "<!-- 3 -->" in plot and "<!-- samples removed -->" in plot  # the bar's label
