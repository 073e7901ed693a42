"""The app's Theory tab, driven headless through Streamlit's AppTest: on the demo (kept small
through the app's own widgets) it runs the twin-vs-theory check in the background and shows, per
named simplification, the exact values `twin.checks.exact` computes for the same line."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("streamlit")
from test_ui_apptest import set_small_run, small_demo, start

from twin.checks.exact import exact_cases
from twin.kpi_registry import fmt
from ui.views import registry

THEORY = next(page.tab for page in registry.PAGES if page.name == "theory")


def test_theory_tab_shows_the_exact_values_beside_the_twin():
    at = start()
    set_small_run(at)
    at.session_state["tab"] = THEORY  # drawn only while its tab is open
    at.run()
    cases, _ = exact_cases(small_demo().line)
    assert cases, "the demo has stations that can fail: each alone is an unreliable machine"
    button = at.button(key="theory_run")
    assert f"{len(cases)} exact models" in button.label
    button.click().run()
    deadline = time.monotonic() + 90
    while len(at.dataframe) < len(cases) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    tables = [t.value for t in at.dataframe if "exact" in t.value.columns]
    assert len(tables) == len(cases), [m.value for m in [*at.error, *at.warning, *at.info, *at.caption]]
    for case, table in zip(cases, tables, strict=True):
        assert any(case.subject in m.value.replace("\\", "") for m in at.markdown)
        assert set(table["verdict"]) <= {"inside", "outside"} and len(table) == len(case.expected)
        throughput = next(e for e in case.expected if e.kpi == "throughput_per_hour")
        assert table.iloc[0]["exact"] == fmt(throughput.value)
