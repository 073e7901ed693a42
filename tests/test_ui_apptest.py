"""The Streamlit app, driven headless through Streamlit's AppTest: it starts on the demo, its KPI cards
show what the API computes for the same config and seed, a bad value is shown with the CLI's message
(and no exception), and switching a lever off changes the Industry 4.0 numbers (and only those).

Runs are kept small (2 replications × 1 day) through the app's own widgets; automatic runs are off
(`?autorun=0`) so each test starts exactly the run it checks."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

import twin

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from ui_helpers import as_read, errors

from ui.presenting import kpis

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"
REPLICATIONS, HORIZON = 2, "1d"

pytestmark = pytest.mark.xdist_group("ui")


def small_demo() -> twin.Study:
    """The demo as the app runs it once the test has set replications and horizon."""
    study = twin.load_study(DEMO)
    line = study.line.model_copy(update={"replications": REPLICATIONS, "horizon": 24 * 60.0})
    return study.model_copy(update={"line": line})


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"
    at.run()
    assert not at.exception
    return at


def set_small_run(at: AppTest) -> None:
    version = at.session_state["version"]
    at.number_input(key=f"run.replications@{version}").set_value(REPLICATIONS)
    at.text_input(key=f"run.horizon@{version}").input(HORIZON)


def has_results(at: AppTest) -> bool:
    """The sidebar says the cards are this very setting's (not an earlier one's, not a run under way)."""
    return any(c.value.startswith(":material/check_circle: Results for this setting") for c in at.caption)


def run_and_wait(at: AppTest, timeout: float = 60) -> dict[str, str]:
    """Press Run, rerun until the cards show results for this very setting, return {card label:
    Industry 4.0 value}."""
    at.button(key="run").click().run()
    deadline = time.monotonic() + timeout
    while not (at.metric and has_results(at)) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    assert has_results(at), f"no results after {timeout} s: {[e.value for e in at.error]}"
    assert at.button(key="run").disabled
    assert not at.warning  # not the stale results of an earlier setting
    return {m.label: m.value for m in at.metric}


def page_text(at: AppTest) -> str:
    """Everything the page says in words: Markdown, captions, alerts, cards and tables."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success")
             for e in at.get(kind)]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    parts += [e.value.to_string() for e in at.dataframe]
    return "\n".join(parts)


def conventional_captions(at: AppTest) -> list[str]:
    return [c.value.split("  \n")[0] for c in at.caption if c.value.startswith("conventional ")]


def expected_cards(study: twin.Study) -> dict[str, str]:
    comparison = twin.compare(study, workers=1)
    cards = kpis.cards(comparison.difference(), study.line.costs.currency)
    return {card.label: card.value for card in cards}


def test_starts_on_the_demo():
    at = start()
    demo = twin.load_study(DEMO)
    assert at.selectbox(key="preset").value == "lighthouse_demo.yaml"
    assert any(demo.line.name in m.value for m in at.markdown)
    table = at.data_editor[0].value
    assert list(table["name"]) == [s.name for s in demo.line.stations]
    assert [t.label.split()[-1] for t in at.tabs][:4] == ["Line", "Levers", "Compare", "Trainer"]
    assert not at.get("graphviz_chart")  # the diagram is drawn only while the Line tab is open
    at.session_state["tab"] = at.tabs[0].label
    at.run()
    dot = at.get("graphviz_chart")[0].proto.spec
    assert all(s.name in dot for s in demo.line.stations)
    assert any(twin.config_hash(demo) in c.value for c in at.caption)  # untouched: the preset's own hash
    assert not at.error


def test_run_shows_the_api_numbers_for_the_same_config_and_seed():
    at = start()
    set_small_run(at)
    shown = run_and_wait(at)
    study = small_demo()
    assert any(twin.config_hash(study) in c.value for c in at.caption)
    expected = expected_cards(study)
    assert len(expected) == 7
    for label, value in expected.items():
        assert shown[label] == value, label


def test_a_bad_value_shows_the_cli_message_next_to_the_table(tmp_path):
    at = start()
    version = at.session_state["version"]
    at.session_state[f"stations@{version}"] = {"edited_rows": {1: {"buffer": -3}}, "added_rows": [],
                                               "deleted_rows": []}
    at.run()
    assert not at.exception
    # the CLI's message for the same study file (minus the file name it starts with)
    first, second, rest = DEMO.read_text().split("buffer: 6", 2)
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"{first}buffer: 6{second}buffer: -3{rest}")  # Milling, the second station
    with pytest.raises(twin.ConfigError) as cli:
        twin.load_study(bad)
    message = str(cli.value).removeprefix(f"{bad}: ")
    assert message.startswith("line.stations[1].buffer: must be >= 0, got -3")
    # the same words, the station named instead of its 0-based path
    message = message.replace("line.stations[1].buffer:", "Milling: buffer")
    shown = errors(at)
    assert message in shown  # next to the station table
    assert any(message in e and "not valid" in e for e in shown)  # and in the banner
    assert not any("stations[" in e for e in shown)
    assert at.button(key="run").disabled
    # a bad duration in the sidebar, same story
    at.session_state[f"stations@{version}"] = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}
    at.text_input(key=f"run.horizon@{version}").input("a week").run()
    assert not at.exception
    assert any(e.startswith("line.horizon: expected a duration") for e in errors(at))


def test_a_bad_cycle_time_names_its_station():
    at = start()
    version = at.session_state["version"]
    at.session_state[f"stations@{version}"] = {"edited_rows": {0: {"mean": -2, "unit": "min"}},
                                               "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert "Turning: process.mean must be > 0, got '-2min'" in errors(at)


def _wait_for_jobs(timeout: float = 60) -> None:
    """Until no job thread runs (an earlier test's may still be making its charts)."""
    deadline = time.monotonic() + timeout
    while any(thread.name.startswith("twin-") for thread in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_lever_toggle_changes_the_industry40_numbers(monkeypatch):
    import twin.experiment as experiment
    from ui.shell.state import store

    _wait_for_jobs()
    with store().lock:  # an earlier test's comparison would be served without running a line
        store().results.clear()
    at = start()
    set_small_run(at)
    before = run_and_wait(at)
    conventional = conventional_captions(at)
    version = at.session_state["version"]
    _wait_for_jobs()  # the cards are out; the job's part logs and charts follow
    simulated: list[tuple[str, int, bool]] = []
    real = experiment.simulate_with
    monkeypatch.setattr(experiment, "simulate_with", lambda line, replication, **kwargs: (
        simulated.append((twin.config_hash(line), replication, kwargs.get("log") is not None)),
        real(line, replication, **kwargs))[1])
    at.toggle(key=f"lever.predictive_maintenance@{version}.on").set_value(False)
    at.toggle(key=f"lever.automation@{version}.on").set_value(False)
    at.run()
    after = run_and_wait(at)
    _wait_for_jobs()
    # only the new Industry 4.0 line ran (and its part log): the conventional line was memoised
    toggled = {line for line, _, logged in simulated if not logged}
    assert len(toggled) == 1 and twin.config_hash(small_demo().line) not in toggled, simulated
    assert sorted(rep for _, rep, logged in simulated if not logged) == list(range(REPLICATIONS))
    assert [rep for _, rep, logged in simulated if logged] == [0]
    study = small_demo()
    levers = study.levers.model_copy(update={
        "predictive_maintenance": study.levers.predictive_maintenance.model_copy(update={"enabled": False}),
        "automation": study.levers.automation.model_copy(update={"enabled": False}),
    })
    expected = expected_cards(study.model_copy(update={"levers": levers}))
    assert after == {**after, **expected}
    assert after["Throughput (good parts)"] != before["Throughput (good parts)"]
    assert after["Cost per good part"] != before["Cost per good part"]
    assert len(conventional) == 7 and conventional_captions(at) == conventional  # the baseline stays put
    # back to the earlier setting: its results come from the cache, no run needed
    at.toggle(key=f"lever.predictive_maintenance@{version}.on").set_value(True)
    at.toggle(key=f"lever.automation@{version}.on").set_value(True)
    at.run()
    assert has_results(at) and not at.warning
    assert {m.label: m.value for m in at.metric} == before


def test_the_html_report_is_self_contained():
    from ui.computing import results
    from ui.computing.jobs import Job
    from ui.presenting import report

    study = small_demo()
    key = results.comparison_key(study)
    bundle = results.run_comparison(study, key, Job(key=key, kind="compare", label="test"))
    html = report.build(bundle)
    assert "<script src=" not in html and "<link" not in html  # nothing fetched when opened
    assert "plotly.js v" in html  # the library itself is inlined, once
    assert html.count("Plotly.newPlot") >= 8  # states, flow, 2 precision, cost, OEE, losses, business…
    assert study.line.name in html
    for card in kpis.cards(bundle.difference, "EUR"):
        assert card.value in html and card.label in html


def test_the_report_of_a_line_alone_names_its_period_hashes_and_no_nan():
    import re

    from ui.computing import results
    from ui.computing.jobs import Job
    from ui.presenting import report

    line = twin.load(MACHINING).model_copy(update={"replications": REPLICATIONS, "horizon": 24 * 60.0})
    study = twin.Study(line=line)
    key = results.comparison_key(study)
    bundle = results.run_comparison(study, key, Job(key=key, kind="compare", label="test"))
    assert isinstance(bundle, results.LineBundle)
    html = report.build(bundle)
    text = re.sub(r"<script.*?</script>", "", html, flags=re.DOTALL)  # plotly.js itself says NaN
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    assert f"study {twin.config_hash(study)} · line {twin.config_hash(line)}" in text
    period = line.costs.period if line.costs else "week"
    assert f"Energy per {period}" in text and "kWh/period" not in text and "co2 kg" not in text
    assert "Bottleneck in" in text


def test_an_upload_loads_or_says_what_is_wrong_like_the_cli(tmp_path):
    at = start()
    broken = "name: x\nstations:\n  - name: a\n    process: {dist: lognormal, mean: 2min\n"
    at.sidebar.file_uploader[0].upload("broken.yaml", broken.encode(), "application/x-yaml").run()
    assert not at.exception
    (tmp_path / "broken.yaml").write_text(broken)
    with pytest.raises(twin.ConfigError) as cli:
        twin.load_study(tmp_path / "broken.yaml")
    shown = errors(at)
    assert [str(cli.value).replace(str(tmp_path / "broken.yaml"), "broken.yaml")] == shown
    assert at.data_editor[0].value["name"].iloc[0] == "Turning"  # the demo is still there

    machining = ROOT / "configs" / "machining_line.yaml"
    uploader = at.sidebar.file_uploader[0]
    uploader.upload("machining_line.yaml", machining.read_bytes(), "application/x-yaml").run()
    assert not at.exception and not at.error
    line = twin.load(machining)
    assert list(at.data_editor[0].value["name"]) == [s.name for s in line.stations]
    assert any(twin.config_hash(twin.load_study(machining)) in c.value for c in at.caption)


MACHINING = ROOT / "configs" / "machining_line.yaml"


def switch_preset(at: AppTest, name: str) -> None:
    at.selectbox(key="preset").set_value(name).run()
    assert not at.exception


def test_a_study_without_levers_shows_the_line_own_results_and_no_nan():
    at = start()
    switch_preset(at, "machining_line.yaml")
    set_small_run(at)
    shown = run_and_wait(at)
    line = twin.load(MACHINING).model_copy(update={"replications": REPLICATIONS, "horizon": 24 * 60.0})
    own = twin.run(line, workers=1)
    summary = own.summary()
    for estimate in kpis.estimates(summary, line.costs.currency if line.costs else ""):
        assert shown[estimate.label] == estimate.value  # the line's mean, not a "±0" delta
        assert any(c.value == f"95% CI {estimate.ci_text}" for c in at.caption)
    text = page_text(at)
    assert "nan" not in text.lower().replace("nanc", "")  # "finance" aside, no nan anywhere
    assert "±0" not in text
    assert not {"Payback of the levers", "ROI over 5 years"} & {m.label for m in at.metric}
    stations = next(d.value for d in at.dataframe if "Bottleneck in" in d.value.columns)
    assert list(stations["Station"]) == [s.name for s in line.stations]
    assert any("Product" in d.value.columns for d in at.dataframe)  # machining_line has a mix
    assert "No lever is switched on" in text


def test_the_bottleneck_is_shown_with_how_often_it_was_one():
    at = start()
    set_small_run(at)
    shown = run_and_wait(at)
    comparison = twin.compare(small_demo(), workers=1)
    necks = {name: kpis.bottleneck_shares(r) for name, r in
             (("conventional", comparison.conventional), ("industry40", comparison.industry40))}
    top, share = next(iter(necks["industry40"].items()))
    card = next(m for m in at.metric if m.label == "Bottleneck (most often)")
    assert shown[card.label] == top and card.delta == f"in {share:.0%} of runs"
    at.session_state["tab"] = at.tabs[0].label  # the Line tab, with the diagram
    at.run()
    dot = at.get("graphviz_chart")[0].proto.spec
    for name in {*necks["conventional"], *necks["industry40"]}:
        words = ", ".join(f"{necks[t].get(name, 0.0):.0%} {tag}" for t, tag in
                          (("conventional", "conventional"), ("industry40", "Industry 4.0")))
        assert f"bottleneck: {words}" in dot
    assert "BOTTLENECK<" not in dot  # no station is called the bottleneck without how often


def test_cancel_stays_cancelled_with_automatic_runs():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()  # automatic runs on: the demo (10 replications × 1 week) starts
    assert not at.exception
    cancel = next(b for b in at.button if b.key and b.key.startswith("cancel-"))
    cancel.click().run()
    deadline = time.monotonic() + 30
    while at.get("progress") and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    for _ in range(5):  # it does not start again by itself
        time.sleep(0.3)
        at.run()
        assert not at.get("progress") and not at.metric
    assert any("You cancelled the run" in i.value for i in at.info)
    assert not at.button(key="run").disabled  # Run starts it again


def test_switching_presets_shows_no_numbers_of_the_previous_line():
    at = start()
    set_small_run(at)
    run_and_wait(at)
    version = at.session_state["version"]
    at.session_state[f"stations@{version}"] = {"edited_rows": {1: {"buffer": -3}}, "added_rows": [],
                                               "deleted_rows": []}
    at.run()
    stale = [w.value for w in at.warning]  # same study, invalid edit: the earlier numbers, said so
    assert stale and "not valid" in stale[0] and "has not run yet" not in stale[0]
    switch_preset(at, "machining_line.yaml")
    machining = twin.load(MACHINING)
    assert any(machining.name in as_read(m.value) for m in at.markdown)
    assert not at.metric and not at.warning  # nothing of the demo under the machining line's title
    assert any("Automatic runs are off" in i.value for i in at.info)


# ---------------------------------------------------------------------------------------------
# Station details: drawn only while open, edits kept when folded


def test_a_folded_station_draws_no_inputs_and_keeps_its_edits():
    at = start()
    version = at.session_state["version"]
    tag = f"s0@{version}"
    base = at.session_state["base"]
    assert not [n for n in at.number_input if n.key and n.key.startswith(f"{tag}.")]  # folded
    at.session_state[f"{tag}.open"] = True  # open Turning's details
    at.run()
    sigma = at.number_input(key=f"{tag}.q.sigma")
    assert sigma.value == base.line.stations[0].quality.sigma
    sigma.set_value(0.02).run()
    assert at.session_state["last_valid"].line.stations[0].quality.sigma == 0.02
    edited = twin.config_hash(at.session_state["last_valid"])
    at.session_state[f"{tag}.open"] = False  # fold it again: the edit still counts
    at.run()
    assert not [n for n in at.number_input if n.key and n.key.startswith(f"{tag}.")]
    for _ in range(2):  # pass after pass
        assert at.session_state["last_valid"].line.stations[0].quality.sigma == 0.02
        assert twin.config_hash(at.session_state["last_valid"]) == edited
        at.run()
    at.session_state[f"{tag}.open"] = True  # and reopened, the input shows it
    at.run()
    assert at.number_input(key=f"{tag}.q.sigma").value == 0.02
    assert not at.exception


def test_folded_line_settings_and_cost_rates_keep_their_edits():
    at = start()
    version = at.session_state["version"]
    line, costs = f"line@{version}", f"costs@{version}"
    assert not [n for n in at.number_input if n.key and n.key.startswith((f"{line}.", f"{costs}."))]  # folded
    at.session_state[f"{line}.open"] = True
    at.session_state[f"{costs}.open"] = True
    at.run()
    at.number_input(key=f"{line}.crew").set_value(2)
    at.number_input(key=f"{costs}.energy_price_per_kwh").set_value(0.3).run()
    at.session_state[f"{line}.open"] = False
    at.session_state[f"{costs}.open"] = False
    at.run()
    at.run()
    study = at.session_state["last_valid"]
    assert study.line.maintenance_crew == 2 and study.line.costs.energy_price_per_kwh == 0.3
    assert not [n for n in at.number_input if n.key and n.key.startswith((f"{line}.", f"{costs}."))]
    assert not at.exception


def test_folded_lever_parameters_keep_their_edits():
    at = start()
    key = f"lever.predictive_maintenance@{at.session_state['version']}"
    assert not [n for n in at.number_input if n.key and n.key.startswith(f"{key}.")]  # folded
    at.session_state[f"{key}.params"] = True
    at.run()
    at.number_input(key=f"{key}.recall").set_value(0.8).run()
    at.session_state[f"{key}.params"] = False
    at.run()
    at.run()
    assert at.session_state["last_valid"].levers.predictive_maintenance.recall == 0.8
    assert not [n for n in at.number_input if n.key and n.key.startswith(f"{key}.")]
    assert not at.exception


# ---------------------------------------------------------------------------------------------
# Compare: the cards and one chart first, every other section drawn only while open


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_compare_draws_the_cards_and_the_oee_bridge_first_and_each_section_when_opened():
    from ui.views import line_results, registry

    at = start()
    set_small_run(at)
    run_and_wait(at)
    at.run()  # the job has drawn its charts (or the page draws them)
    titles = chart_titles(at)
    assert len(titles) == 1 and titles[0].startswith("OEE loss bridge")  # the story, with the cards
    assert len(at.metric) >= 12  # the KPI cards, the bottleneck, payback, the business case's four
    expanders = {e.label.split(": ", 1)[-1] for e in at.expander}
    assert {"Flow: where time goes and what comes out", "Six big losses at the constraint"} <= expanders
    at.session_state[line_results.FLOW] = True  # open the flow section
    at.session_state[line_results.BUSINESS] = True
    at.run()
    titles = chart_titles(at)
    assert len(titles) == 6, titles  # + states, throughput, cost; cash flow, savings
    assert any("Where machine time goes" in t for t in titles)
    at.session_state["tab"] = registry.EDITING_TABS[1]  # to the Levers tab: Compare is not drawn
    at.run()
    assert not at.get("plotly_chart") and not at.exception
    at.session_state["tab"] = registry.OPENING_TAB  # and back: the sections opened are still open
    at.run()
    assert len(at.get("plotly_chart")) == 6
    at.session_state[line_results.FLOW] = False
    at.run()
    assert len(at.get("plotly_chart")) == 3


def test_export_is_offered_once_the_charts_are_drawn(monkeypatch):
    """While the job that published the cards still draws its charts, Export is a note, not a
    button: a click then met the job's last rerun, and the download lost its file name."""
    from ui.computing import results
    from ui.shell.state import store

    _wait_for_jobs()
    with store().lock:  # an earlier test's result would be served with no job drawing
        store().results.clear()
    drawn = threading.Event()
    draw_all = results.Drawn.draw_all

    def held(self) -> None:
        drawn.wait(60)
        draw_all(self)

    monkeypatch.setattr(results.Drawn, "draw_all", held)
    at = start()
    set_small_run(at)
    at.run()

    def exports() -> list:
        return [b for b in at.get("download_button") if b.label == "Export HTML report"]

    try:
        cards = run_and_wait(at)
        assert cards
        assert not exports()
        assert any("Export HTML report: offered once the charts are drawn" in c.value for c in at.caption)
    finally:
        drawn.set()
    deadline = time.monotonic() + 60
    while not exports() and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert len(exports()) == 1
    assert not any("offered once the charts are drawn" in c.value for c in at.caption)
