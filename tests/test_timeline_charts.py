"""The Timeline's figures stay bounded for a week of a ten-station line: WebGL traces, a few per
state, a bounded number of intervals per machine, a JSON of a few hundred KB to a couple of MB."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("plotly")

from twin.engine.states import STATE_COLOURS
from twin.timeline import MAX_INTERVALS, Window, buffer_levels, part_path, state_intervals, visit_table
from ui.presenting import escape
from ui.presenting import timeline_charts as charts

WEEK = 7 * 24 * 60.0
STATIONS = [f"S{i:02d}" for i in range(10)]


def week_of_states(changes_per_machine: int = 20_000, seed: int = 3) -> pd.DataFrame:
    """Ten stations of two machines each changing state every half minute on average for a week."""
    rng = np.random.default_rng(seed)
    frames = []
    for station in STATIONS:
        for machine in ("1", "2"):
            times = np.sort(rng.uniform(0, WEEK, changes_per_machine))
            states = rng.choice(["busy", "starved", "blocked", "down"], changes_per_machine,
                                p=[.6, .2, .15, .05])
            frames.append(pd.DataFrame({"time": times, "station": station, "machine": machine,
                                        "state": states}))
    return pd.concat(frames, ignore_index=True)


def test_a_week_of_ten_stations_is_a_bounded_webgl_gantt():
    intervals = state_intervals(week_of_states(), end=WEEK, window=Window(0.0, WEEK))
    per_machine = intervals.groupby(["station", "machine"]).size()
    assert len(per_machine) == 20 and per_machine.max() <= 3 * MAX_INTERVALS + 1
    fig = charts.gantt(intervals, STATIONS)
    assert {trace.type for trace in fig.data} == {"scattergl"}
    assert len(fig.data) <= 4 * 4  # per state: exact and pooled lines, and their hover points
    size = len(fig.to_json())
    assert size < 2_500_000, size
    colours = {t.line.color for t in fig.data if t.mode == "lines"}
    assert colours <= set(STATE_COLOURS.values())
    assert fig.layout.yaxis.ticktext[:2] == ("S00 · 1", "S00 · 2")
    assert fig.layout.xaxis.title.text == "time (d)"


def test_a_narrow_window_is_drawn_exactly():
    states = week_of_states(2_000)
    intervals = state_intervals(states, end=WEEK, window=Window(1000.0, 1060.0))
    assert intervals["exact"].all()
    fig = charts.gantt(intervals, STATIONS)
    assert fig.layout.xaxis.title.text == "time (min)"
    assert all(t.opacity == 1.0 for t in fig.data if t.mode == "lines")


def test_buffer_and_path_charts_escape_names():
    name = "<b>x</b> %{y}"
    events = pd.DataFrame({
        "time": [0.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0], "station": [name] * 4 + ["B"] * 4,
        "machine": "<i>m</i>", "part": "<p>", "event": ["ENTER", "START", "END", "EXIT"] * 2,
        "product": "", "outcome": ["", "", "scrap", "", "", "", "", ""], "value": np.nan})
    visits = visit_table(events)
    fig = charts.buffer_chart(buffer_levels(visits, end=5.0), [name, "B"], {name: 3, "B": None})
    text = fig.to_json()
    assert "<b>x" not in text and "%{y}" not in text.replace("%{y:.0f}", "")
    assert escape.plotly(name) in fig.layout.annotations[0].text
    path = charts.part_path(part_path(visits, "<p>"), "<p>", [name, "B"])
    assert path.layout.title.text == "Path of part &lt;p&gt;"
    assert "<i>m" not in path.to_json()
    assert [t.name for t in path.data] == ["waiting", "processing", "done, waiting to leave", "scrap"]
