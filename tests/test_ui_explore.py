"""The Explore tab: driven headless through Streamlit's AppTest, a sweep of one value and a tornado
run on the current setting and draw without an exception; its computing layer gives exactly what
the API gives for the same setting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import twin

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from ui.computing import explore
from ui.computing.jobs import Job

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"

pytestmark = pytest.mark.xdist_group("ui")


def small_demo() -> twin.Study:
    study = twin.load_study(DEMO)
    line = study.line.model_copy(update={"replications": 2, "horizon": 24 * 60.0})
    return study.model_copy(update={"line": line})


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"
    at.run()
    version = at.session_state["version"]
    at.number_input(key=f"run.replications@{version}").set_value(2)
    at.text_input(key=f"run.horizon@{version}").input("1d").run()
    assert not at.exception
    return at


def button(at: AppTest, starts: str):
    found = [b for b in at.button if str(b.label).startswith(starts)]
    assert found, [b.label for b in at.button]
    return found[0]


def wait_for(at: AppTest, key: str, timeout: float = 120) -> None:
    """Rerun until the selectbox `key` (drawn with a result) is on the page."""
    def ready() -> bool:
        return any(s.key == key for s in at.selectbox)

    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    assert ready(), [e.value for e in at.error]


def test_the_sweep_computes_what_the_api_computes() -> None:
    study = small_demo()
    choice = next(c for c in explore.choices(study) if c.path == "stations[3].buffer")
    values = explore.levels(choice, 1, 3, 3)
    bundle = explore.run_sweep(study, choice, values, "k", Job(key="k", kind="explore", label="x"))
    api = twin.sweep(study, [{"path": "stations[3].buffer", "values": [1, 2, 3]}], workers=1,
                     responses=explore.responses(study))
    assert bundle.result.experiment.table.frame.equals(api.experiment.table.frame)
    assert sorted(set(bundle.summary["value"])) == [1, 2, 3]


def test_a_two_value_sweep_makes_a_heatmap() -> None:
    from ui.presenting import explore as figures

    study = small_demo()
    options = {c.path: c for c in explore.choices(study)}
    buffer, crew = options["stations[3].buffer"], options["maintenance_crew"]
    bundle = explore.run_sweep(study, buffer, [1, 3], "k", Job(key="k", kind="explore", label="x"),
                               crew, [1, 2])
    assert len(bundle.result.experiment.scenarios) == 4 and bundle.second is crew
    assert set(zip(bundle.summary["value"], bundle.summary["second"], strict=True)) == {
        (1, 1), (1, 2), (3, 1), (3, 2)}
    figure = figures.heatmap(bundle.summary, "throughput_per_hour", buffer.label, crew.label)
    assert len(figure.data[0].z) == 2 and len(figure.data[0].z[0]) == 2


def test_what_ifs_compute_what_the_api_computes() -> None:
    study = small_demo()
    what_ifs = [explore.WhatIf("b8", "stations[Grinding].buffer", "8"),
                explore.WhatIf("slow", "stations[0].process.mean", "5min")]
    bundle = explore.run_scenarios(study, what_ifs, "k", Job(key="k", kind="explore", label="x"))
    api = twin.scenarios(study, [{"name": explore.BASE_NAME},
                                 {"name": "b8", "set": {"stations[Grinding].buffer": 8}},
                                 {"name": "slow", "set": {"stations[0].process.mean": "5min"}}],
                         workers=1, responses=explore.responses(study))
    assert bundle.result.experiment.table.frame.equals(api.experiment.table.frame)
    table = bundle.table()
    assert table[table["scenario"] == explore.BASE_NAME]["difference"].isna().all()
    assert table[table["scenario"] == "b8"]["difference"].notna().all()


def test_a_sweep_and_a_tornado_run_in_the_app() -> None:
    at = start()
    choice = at.selectbox(key="explore-sweep-choice")
    index = next(i for i, c in enumerate(explore.choices(small_demo())) if c.path == "stations[3].buffer")
    choice.set_value(index).run()
    at.number_input(key="explore-count-stations[3].buffer").set_value(2).run()
    button(at, "Run the sweep (2 points × 2 replications)").click().run()
    wait_for(at, "explore-sweep-kpi")
    at.multiselect(key="explore-tornado-choices").set_value(["Grinding: buffer"]).run()
    button(at, "Run the tornado (3 scenarios × 2 replications)").click().run()
    wait_for(at, "explore-tornado-kpi")
    assert any("grey bars are not significant" in c.value for c in at.caption)
    button(at, "Run the scenarios (2 × 2 replications)").click().run()
    deadline = time.monotonic() + 120
    while not any("paired difference to the setting" in c.value for c in at.caption) \
            and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert any("paired difference to the setting" in c.value for c in at.caption)
    assert not at.exception
