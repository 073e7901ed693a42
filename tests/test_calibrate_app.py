"""The app's Data page: an uploaded event log is fitted (the same reader and calibration as
`twin calibrate`), its fit quality shown, and the fitted line opened as the current line; a bad
log is the CLI's one-line message, with no exception."""

from __future__ import annotations

from pathlib import Path

import pytest

import twin
from twin.eventlog import write_events

pytest.importorskip("streamlit")
from conftest import make_line
from test_ui_apptest import start
from ui_helpers import as_read, errors


def event_log(tmp_path: Path) -> bytes:
    line = make_line([{"name": "Saw", "process": {"dist": "exponential", "mean": 1.0}, "buffer": 2},
                      {"name": "Drill", "machines": 2, "process": {"dist": "gamma", "mean": 1.6,
                                                                   "cv": 0.4}}],
                     horizon="6h", warmup=0, replications=1, seed=7)
    path = tmp_path / "events.csv"
    write_events(twin.run(line, workers=1, keep_part_log=True).part_events(), path)
    return path.read_bytes()


def test_an_uploaded_log_is_fitted_and_opens_as_the_current_line(tmp_path: Path) -> None:
    at = start()
    at.file_uploader(key="data.events").upload("events.csv", event_log(tmp_path), "text/csv").run()
    assert not at.exception
    said = " ".join(as_read(e.value) for kind in ("success", "warning", "markdown") for e in at.get(kind))
    assert "2 stations over 6.0 h of log" in said
    fits = next(frame.value for frame in at.dataframe if "family" in frame.value.columns)
    assert list(fits["parameter"]) == ["Saw process", "Drill process"]
    assert (fits["n"] > 100).all()
    at.button(key="data.open").click().run()
    assert not at.exception
    base = at.session_state["base"]
    assert [(s.name, s.machines) for s in base.line.stations] == [("Saw", 1), ("Drill", 2)]
    assert at.session_state["base_label"] == "calibrated from events.csv"


def test_a_bad_log_is_the_clis_one_line_message(tmp_path: Path) -> None:
    at = start()
    before = at.session_state["base"]
    at.file_uploader(key="data.events").upload("bad.csv", b"ts,where\n1,A\n", "text/csv").run()
    assert not at.exception
    shown = errors(at)
    assert any("bad.csv: no 'time', 'station', 'part', 'event' column" in e for e in shown), shown
    assert at.session_state["base"] is before
