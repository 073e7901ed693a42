"""The Explore tab: driven headless through Streamlit's AppTest, a sweep of one value and a tornado
run on the current setting and draw without an exception; its computing layer gives exactly what
the API gives for the same setting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import twin
from twin.display import spreadsheet_safe

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from ui.computing import explore
from ui.computing.jobs import Job

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"




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


REFERENCE = ROOT / "configs" / "reference_line.yaml"


def small_reference() -> twin.Study:
    """The five-station exponential line, 8 h: in the fast engine's scope, so runs take a blink."""
    study = twin.load_study(REFERENCE)
    line = study.line.model_copy(update={"replications": 3, "horizon": 8 * 60.0, "warmup": 30.0})
    return study.model_copy(update={"line": line})


def buffers(study: twin.Study, *indices: int) -> list[explore.Range]:
    options = {c.path: c for c in explore.choices(study)}
    return [explore.Range(options[f"stations[{i}].buffer"], 0, 4) for i in indices]


def test_the_optimisation_computes_what_the_api_computes() -> None:
    study = small_reference()
    ranges = buffers(study, 1, 2)
    spec = explore.optimize_spec(study, ranges, "throughput_per_hour", 10, 1.0, total=4)
    labels = {r.choice.path: r.choice.label for r in ranges}
    bundle = explore.run_optimize(study, spec, labels, "k", Job(key="k", kind="explore", label="x"))
    api = twin.optimize(spec, study, workers=1)
    assert bundle.result.to_json() == api.to_json()
    frame = bundle.finalists()
    assert (frame["S2: buffer"] + frame["S3: buffer"] == 4).all()  # the total holds for every design
    assert list(frame["status"]).count("best") == 1
    best = api.to_json()["best"]
    assert best is not None
    chosen = frame[frame["status"] == "best"].iloc[0]
    assert {p: chosen[labels[p]] for p in labels} == best["decisions"]


def test_an_optimisation_over_the_bound_or_with_a_bad_range_is_one_line() -> None:
    study = small_demo()
    big = study.model_copy(update={"line": study.line.model_copy(update={"replications": 200,
                                                                          "horizon": 365 * 24 * 60.0})})
    with pytest.raises(twin.ConfigError, match=r"budget\.evaluations") as refused:
        explore.optimize_spec(big, buffers(big, 1, 2), "throughput_per_hour", 500, 1.0)
    assert "\n" not in str(refused.value)
    bad = buffers(study, 1)[0]
    with pytest.raises(twin.ConfigError, match="high"):
        explore.optimize_spec(study, [explore.Range(bad.choice, 4, 1)], "oee", 5, 0.01)


def test_the_report_holds_every_explore_result_escaped() -> None:
    from ui.computing import results
    from ui.presenting import report

    study = small_reference()
    odd = "<script>alert(1)</script>"
    job = Job(key="k", kind="explore", label="x")
    options = {c.path: c for c in explore.choices(study)}
    shown = explore.Shown(
        scenarios=explore.run_scenarios(study, [explore.WhatIf(odd, "stations[S5].buffer", "8")], "s", job),
        sweep=explore.run_sweep(study, options["stations[1].buffer"], [1, 3], "w", job),
        tornado=explore.run_tornado(study, [options["stations[1].buffer"]], 0.2, "t", job),
        optimisation=explore.run_optimize(
            study, explore.optimize_spec(study, buffers(study, 1, 2), "throughput_per_hour", 6, 1.0, 4),
            {"stations[1].buffer": odd, "stations[2].buffer": "S3: buffer"}, "o", job))
    bundle = results.run_comparison(study, "line", job)  # no lever on: the line alone
    html = report.build(bundle, explore=shown)
    for heading in ("What-if scenarios", "Sweep: S2: buffer", "Tornado", "Optimisation"):
        assert heading in html
    assert odd not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "P(best within δ)" in html
    rude = explore.OptimizeBundle("o", shown.optimisation.result, {"stations[1].buffer": "=cmd()",
                                                                    "stations[2].buffer": "S3: buffer"})
    csv = spreadsheet_safe(rude.finalists()).to_csv(index=False)
    assert csv.startswith("'=cmd()") and "\n=" not in csv  # a label can never run as a formula


def test_an_optimisation_runs_in_the_app_and_exports() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"
    at.query_params["preset"] = "reference_line.yaml"
    at.run()
    version = at.session_state["version"]
    at.number_input(key=f"run.replications@{version}").set_value(3)
    at.text_input(key=f"run.horizon@{version}").input("1d").run()
    assert not at.exception
    assert at.multiselect(key="explore-opt-decisions").value == ["S2: buffer", "S3: buffer", "S4: buffer"]
    at.number_input(key="explore-opt-total").set_value(6).run()  # the ranges add up to 9 … 21
    assert [e.value.replace("\\", "") for e in at.error] == [
        "total: the chosen ranges add up to 9 … 21, got 6"]
    at.number_input(key="explore-opt-total").set_value(15)
    at.number_input(key="explore-opt-evaluations").set_value(8).run()
    button(at, "Run the optimisation (up to 8 designs × 3 replications").click().run()
    deadline = time.monotonic() + 60
    while not at.success and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    assert at.success, [e.value for e in at.error]
    answer = at.success[0].value.replace("\\", "")
    assert answer.startswith("Best: S2: buffer = ") and "P(best within δ) = " in answer
    assert any("designs evaluated" in c.value for c in at.caption)
    assert any("needs the setting's own results" in c.value for c in at.caption)  # autorun is off
    at.number_input(key="explore-opt-evaluations").set_value(10_000).run()  # above the widget's bound
    assert not at.exception


def test_a_cancelled_optimisation_stops_at_once() -> None:
    from ui.computing.jobs import Cancelled

    study = small_reference()
    spec = explore.optimize_spec(study, buffers(study, 1, 2), "throughput_per_hour", 6, 1.0, 4)
    job = Job(key="k", kind="explore", label="x")
    job.cancel()  # the Cancel button of the progress panel
    with pytest.raises(Cancelled):
        explore.run_optimize(study, spec, {}, "k", job)
    assert job.done == 0
