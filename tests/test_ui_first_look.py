"""The first look: a run that would take well over a second shows the first replications of every
line first (marked, wider CIs) and then the full result, which is what the API computes in one go.

The API hook (`twin.compare(..., first=k, on_batch=...)`, the same for `twin.run`) is checked
against runs without it; the app through Streamlit's `AppTest`, the job held at its first look
until the test has read it. A setting over the work limits is refused before running, with the
CLI's message where the results would be."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import twin

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from ui_helpers import as_read

from ui.computing import jobs
from ui.presenting import kpis

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"
MACHINING = ROOT / "configs" / "machining_line.yaml"
REPLICATIONS, HORIZON = 4, "1d"




def small(study: twin.Study, replications: int = REPLICATIONS) -> twin.Study:
    line = study.line.model_copy(update={"replications": replications, "horizon": 24 * 60.0})
    return study.model_copy(update={"line": line})


# ---------------------------------------------------------------------------------------------
# The API: the first batch, then the rest, is the same result as one go


def test_compare_in_two_batches_is_the_same_comparison():
    study = small(twin.load_study(DEMO))
    looks: list[twin.Comparison] = []
    batched = twin.compare(study, workers=1, first=2, on_batch=looks.append)
    whole = twin.compare(study, workers=1)
    assert batched.to_json() == whole.to_json()
    pd.testing.assert_frame_equal(batched.difference(), whole.difference())
    assert batched.conventional.config_hash == whole.conventional.config_hash
    [look] = looks
    early = twin.compare(study, workers=1, replications=2)
    assert look.conventional.replications == 2
    pd.testing.assert_frame_equal(look.difference(), early.difference())


def test_run_in_two_batches_is_the_same_results():
    line = small(twin.load_study(MACHINING)).line
    looks: list[twin.Results] = []
    counted: list[tuple[int, int]] = []
    batched = twin.run(line, workers=1, first=3, on_batch=looks.append,
                       progress=lambda d, t: counted.append((d, t)))
    assert batched.to_json() == twin.run(line, workers=1).to_json()
    [look] = looks
    assert look.to_json() == twin.run(line, workers=1, replications=3).to_json()
    assert counted == [(d, REPLICATIONS) for d in range(1, REPLICATIONS + 1)]


def test_a_first_batch_out_of_range_is_one_go_and_the_whole_run_is_bounded():
    study = small(twin.load_study(DEMO), replications=3)
    looks: list[twin.Comparison] = []
    assert twin.compare(study, workers=1, first=3, on_batch=looks.append).to_json() == \
        twin.compare(study, workers=1).to_json()
    assert looks == []
    huge = study.line.model_copy(update={"horizon": 52 * 7 * 24 * 60.0, "replications": 400})
    with pytest.raises(twin.ConfigError, match="over the limit"):  # the whole run, not the first batch
        twin.run(huge, workers=1, first=2, on_batch=lambda r: pytest.fail("ran a batch"))


def test_the_first_look_follows_a_time_budget():
    demo = twin.load_study(DEMO)
    lines = [demo.line, twin.apply_levers(demo.line, demo.levers, list(twin.LEVER_NAMES))]
    pace = jobs.Pace()
    per = pace.seconds(lines)  # one replication of both lines
    first = pace.first_batch(lines, 10)
    assert first is not None and 2 <= first < 10 and first * per <= jobs.FIRST_LOOK_SECONDS
    assert pace.first_batch(lines, 10, budget=20 * per) is None  # the whole run fits: no first look
    assert pace.first_batch(lines, 10, budget=1e-9) == 2  # a CI needs two replications
    assert pace.first_batch(lines, 2) is None
    pace.learn(lines, 10, 2 * 10 * per)  # this machine is twice as slow: half as many
    assert pace.seconds(lines) == pytest.approx(2 * per)


# ---------------------------------------------------------------------------------------------
# The app


@pytest.fixture
def held(monkeypatch):
    """Every first look is held on its job until the test sets the event; every run has one."""
    release = threading.Event()
    shown = jobs.Job.show_first_look

    def hold(job: jobs.Job, result) -> None:
        shown(job, result)
        release.wait(30)

    monkeypatch.setattr(jobs, "FIRST_LOOK_SECONDS", 1e-9)
    monkeypatch.setattr(jobs.Job, "show_first_look", hold)
    yield release
    release.set()


def start(replications: int = REPLICATIONS, horizon: str = HORIZON) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"
    at.run()
    version = at.session_state["version"]
    at.number_input(key=f"run.replications@{version}").set_value(replications)
    at.text_input(key=f"run.horizon@{version}").input(horizon)
    at.run()
    assert not at.exception
    return at


def rerun_until(at: AppTest, done, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done(at) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not at.exception
    assert done(at), [as_read(e.value) for e in (*at.error, *at.info)]


def marked(at: AppTest) -> list[str]:
    return [as_read(i.value) for i in at.info if "First look:" in i.value]


def full(at: AppTest) -> bool:
    return any(c.value.startswith(":material/check_circle: Results for this setting") for c in at.caption)


def cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def api_cards(comparison: twin.Comparison) -> dict[str, str]:
    return {c.label: c.value for c in kpis.cards(comparison.difference(), "EUR")}


def test_the_first_look_is_marked_then_replaced_by_the_full_result(held):
    at = start()
    at.button(key="run").click().run()
    rerun_until(at, lambda at: bool(marked(at)) and bool(at.metric))
    assert f"First look: 2 of {REPLICATIONS} replications — refining." in marked(at)[0]
    assert not full(at) and at.get("progress")  # the run is still under way, in view
    study = small(twin.load_study(DEMO))
    first = cards(at)
    assert first == {**first, **api_cards(twin.compare(study, workers=1, replications=2))}
    early = twin.compare(study, workers=1, replications=2).difference()
    shown_ci = [c.value for c in at.caption if c.value.startswith("conventional ")]
    assert shown_ci and not at.get("plotly_chart")  # cards now, the charts with the full result
    held.set()
    rerun_until(at, full)
    assert not marked(at)
    whole = twin.compare(study, workers=1)
    final = cards(at)
    assert final == {**final, **api_cards(whole)}
    # the first look's CIs were honestly wider
    wide = (early["ci_high"] - early["ci_low"]).abs()
    narrow = (whole.difference()["ci_high"] - whole.difference()["ci_low"]).abs()
    assert (wide >= narrow).sum() > len(wide) / 2


def test_a_line_alone_has_its_first_look_too(held):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"
    at.run()
    at.selectbox(key="preset").set_value("machining_line.yaml").run()
    version = at.session_state["version"]
    at.number_input(key=f"run.replications@{version}").set_value(REPLICATIONS)
    at.text_input(key=f"run.horizon@{version}").input(HORIZON).run()
    at.button(key="run").click().run()
    rerun_until(at, lambda at: bool(marked(at)) and bool(at.metric))
    line = small(twin.load_study(MACHINING)).line
    currency = line.costs.currency if line.costs else ""
    early = kpis.estimates(twin.run(line, workers=1, replications=2).summary(), currency)
    assert all(cards(at)[e.label] == e.value for e in early)
    held.set()
    rerun_until(at, full)
    late = kpis.estimates(twin.run(line, workers=1).summary(), currency)
    assert all(cards(at)[e.label] == e.value for e in late) and not marked(at)


def test_an_over_large_setting_is_refused_before_running_with_the_cli_message():
    at = start(replications=2, horizon="1000w")
    at.button(key="run").click().run()
    study = twin.load_study(DEMO)
    line = study.line.model_copy(update={"replications": 2, "horizon": 1000 * 7 * 24 * 60.0})
    with pytest.raises(twin.ConfigError) as cli:
        twin.check_workload(study.model_copy(update={"line": line}))
    refused = lambda at: any(str(cli.value) in as_read(e.value) and "refused before running" in e.value  # noqa: E731
                             for e in at.error)
    rerun_until(at, refused, timeout=10)
    assert not at.metric


def test_the_progress_panel_polls_fast_until_a_run_has_shown_something_then_slower():
    from ui.shell import progress

    store = jobs.Store()
    assert progress.poll_seconds(store, []) is None  # nothing to follow
    gate = threading.Event()
    job = store.submit("k", "compare", "Comparison", lambda job: gate.wait(10))
    try:
        assert progress.poll_seconds(store, ["k"]) == progress.POLL_SECONDS  # waiting for its first look
        job.show_first_look(object())
        assert progress.poll_seconds(store, ["k"]) == progress.REFINE_POLL_SECONDS  # only the bar moves
        job.first_look = None
        store.publish("k", object())  # its cards are out, its charts still being drawn
        assert progress.poll_seconds(store, ["k"]) == progress.REFINE_POLL_SECONDS
    finally:
        gate.set()
    deadline = time.monotonic() + 10
    while job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert progress.poll_seconds(store, ["k"]) is None
