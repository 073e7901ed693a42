"""The figures the README and docs quote are the ones the twin prints today (docs/figures.py).

The full check runs every simulation the docs quote, once each, with the files' own replications and
seeds; the other tests hold the marker machinery to its promises without simulating anything."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "figures.py"


def _figures():
    spec = importlib.util.spec_from_file_location("docs_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_figures"] = module
    spec.loader.exec_module(module)
    return module


figures = _figures()

RUNS = {"demo": figures.derive(figures.indexed({
    "replications": 10,
    "conventional": {"kpis": {"throughput_per_hour": {"mean": 8.6}}},
    "difference": {"throughput_per_hour": {"mean": 2.0, "ci95": [1.9, 2.1], "relative": 0.2373,
                                           "relative_ci95": [0.2241, 0.2504], "variance_reduction": 15.4}},
    "business_case": {"extra_good_parts_per_year": {"mean": 17532.0}},
    "oee_bridge": {"conventional OEE": 0.648, "Industry 4.0 OEE": 0.819},
    "stations": [{"name": "Placement ICs", "kpis": {"share_down": {"mean": 0.068}}}],
}))}


PARTS = 2
"""The full check in shares that the suite's two workers run side by side, each on one core (the
demo's comparison with attribution alone in the first, everything else in the second)."""


@pytest.mark.parametrize("part", range(1, PARTS + 1))
def test_docs_quote_what_the_twin_prints(part: int) -> None:
    """Fails on drift: `python docs/figures.py --check` lists every stale figure (file, marker,
    quoted vs computed); `make docs-figures` rewrites them. Together the parts check every marker."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--check", "--part", f"{part}/{PARTS}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, (f"docs figures are stale, run `make docs-figures`:\n{done.stdout}"
                                  f"{done.stderr}")


def test_the_parts_share_every_job_once_and_every_marker() -> None:
    """The parts of the test above, together, are the whole check: each job in exactly one part,
    and every marker of the docs checked by exactly one part."""
    texts = [(ROOT / name).read_text(encoding="utf-8") for name in figures.DOCS]
    every = figures.jobs(texts)
    shares = [figures.share(every, part, PARTS) for part in range(1, PARTS + 1)]
    assert sorted(job for jobs in shares for job in jobs) == sorted(every)
    assert len(set(every)) == len(every)
    for text in texts:
        for match in figures.MARKERS.finditer(text):
            owners = [part for part, jobs in enumerate(shares, start=1)
                      if figures.checked(match["kind"], match["name"], jobs, part)]
            assert len(owners) == 1, (match[0][:80], owners)


def test_every_marker_names_a_known_run_table_and_format() -> None:
    texts = [(ROOT / name).read_text(encoding="utf-8") for name in figures.DOCS]
    assert figures.runs_needed(texts) <= figures.RUNS.keys()
    kinds = set()
    for text in texts:
        for match in figures.MARKERS.finditer(text):
            kinds.add(match["kind"])
            if match["kind"] == "fig":
                _, _, format_name = match["name"].partition(" ")
                assert (format_name.strip() or "g") in figures.FORMATS, match["name"]
            elif match["kind"] == "table":
                assert match["name"] in figures.TABLES, match["name"]
            elif match["kind"] == "file":
                assert (ROOT / match["name"]).is_file(), match["name"]
    assert kinds == {"fig", "out", "file", "table"}


def test_a_drifted_figure_is_reported_and_rewritten() -> None:
    text = ("Throughput <!-- fig demo.difference.throughput_per_hour.relative rel -->+20.0<!-- /fig --> %,"
            " CI [<!-- fig demo.difference.throughput_per_hour.relative_ci95 rel -->+22.4, +25.0"
            "<!-- /fig -->],"
            " OEE <!-- fig demo.oee_bridge.conventional pct1 -->64.8<!-- /fig -->, down"
            " <!-- fig demo.stations.Placement_ICs.kpis.share_down.mean pct1 -->6.8<!-- /fig --> %.")
    stale: list = []
    new = figures.refresh(text, RUNS, {}, "x.md", stale)
    assert [(s.marker, s.quoted, s.computed) for s in stale] == [
        ("fig demo.difference.throughput_per_hour.relative rel", "+20.0", "+23.7")]
    assert "-->+23.7<!-- /fig --> %" in new
    again: list = []
    assert figures.refresh(new, RUNS, {}, "x.md", again) == new and not again


def test_formats_follow_the_docs_typography() -> None:
    assert figures.FORMATS["rel"](-0.299) == "\u221229.9"
    assert figures.FORMATS["rel"](0.0) == "0.0"
    assert figures.FORMATS["g"](-19.3) == "\u221219.3"
    assert figures.FORMATS["g"](209171.2) == "209,171"
    assert figures.FORMATS["pct"](0.02654) == "2.65"
    assert figures.figure(RUNS, "demo.replications") == "10"
    assert figures.figure(RUNS, "demo.derived.unpaired_replications tens") == "150"


def test_files_are_quoted_whole_in_fenced_blocks() -> None:
    text = "<!-- file docs/examples/cell.yaml -->\n```yaml\nold\n```\n<!-- /file -->"
    stale: list = []
    new = figures.refresh(text, RUNS, {}, "x.md", stale)
    assert (ROOT / "docs/examples/cell.yaml").read_text(encoding="utf-8").rstrip() in new
    assert new.startswith("<!-- file docs/examples/cell.yaml -->\n```yaml\nname: Two-machine cell")
    assert stale and stale[0].quoted == "```yaml\nold\n```"


def test_an_unknown_path_is_one_line_naming_the_marker() -> None:
    with pytest.raises(SystemExit, match="no 'nope' there"):
        figures.figure(RUNS, "demo.difference.nope")
