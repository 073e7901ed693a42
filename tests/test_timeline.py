"""twin.timeline on hand-made tiny logs: exact state intervals (merged, clipped, pooled under a
budget), exact buffer levels, one part's path, and the station order of the routes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.errors import ConfigError
from twin.eventlog import read_events, read_states
from twin.timeline import (
    Window,
    buffer_levels,
    checked_window,
    part_path,
    parts,
    span,
    state_intervals,
    station_order,
    visit_table,
)
from twin.timeline import logs as timeline_logs

STATES = pd.DataFrame(
    [(0, "A", "1", "busy"), (2, "A", "1", "busy"), (5, "A", "1", "blocked"), (5, "A", "1", "down"),
     (7, "A", "1", "busy"), (0, "A", "2", "starved"), (3, "A", "2", "busy")],
    columns=["time", "station", "machine", "state"]).astype({"time": float})


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in frame[columns].itertuples(index=False)]


def test_states_become_merged_intervals_until_the_end_of_the_log():
    got = state_intervals(STATES, end=10.0)
    assert rows(got, ["machine", "state", "start", "end"]) == [
        ("1", "busy", 0.0, 5.0),  # busy twice in a row is one interval
        ("1", "down", 5.0, 7.0),  # blocked for no time at 5 is dropped
        ("1", "busy", 7.0, 10.0),
        ("2", "starved", 0.0, 3.0),
        ("2", "busy", 3.0, 10.0),
    ]
    assert got["exact"].all() and (got["share"] == 1.0).all()
    assert list(got["changes"]) == [2, 1, 1, 1, 1]


def test_a_window_clips_the_intervals():
    got = state_intervals(STATES, end=10.0, window=Window(4.0, 8.0))
    assert rows(got, ["machine", "state", "start", "end"]) == [
        ("1", "busy", 4.0, 5.0), ("1", "down", 5.0, 7.0), ("1", "busy", 7.0, 8.0),
        ("2", "busy", 4.0, 8.0)]


def cycles(n: int) -> pd.DataFrame:
    """Busy 0.9 min, blocked 0.1 min, n times from 0, then down from n to the end."""
    times = np.concatenate([np.arange(n) + 0.0, np.arange(n) + 0.9, [float(n)]])
    states = ["busy"] * n + ["blocked"] * n + ["down"]
    frame = pd.DataFrame({"time": times, "station": "A", "machine": "1", "state": states})
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def test_tiny_intervals_are_pooled_into_their_dominant_state_and_long_ones_stay_exact():
    # 21 intervals over [0, 20] with a budget of 4: resolution 5 min, so the 20 short ones pool into
    # the bins [0, 5) and [5, 10) (both mostly busy, then merged), the 10-minute failure stays exact
    got = state_intervals(cycles(10), end=20.0, max_per_machine=4)
    assert rows(got, ["state", "start", "end", "exact", "changes"]) == [
        ("busy", 0.0, 10.0, False, 20), ("down", 10.0, 20.0, True, 1)]
    assert got["share"].tolist() == pytest.approx([0.9, 1.0])
    # within budget nothing is pooled
    exact = state_intervals(cycles(10), end=20.0, max_per_machine=21)
    assert len(exact) == 21 and exact["exact"].all()
    # zoomed in, the same log is exact again
    zoomed = state_intervals(cycles(10), end=20.0, window=Window(2.0, 3.0), max_per_machine=4)
    assert rows(zoomed, ["state", "start", "end"]) == [("busy", 2.0, 2.9), ("blocked", 2.9, 3.0)]


def test_pooling_keeps_a_machine_within_its_budget_and_covers_the_window_exactly():
    rng = np.random.default_rng(7)
    times = np.cumsum(rng.exponential(0.3, 5_000))
    states = rng.choice(["busy", "starved", "blocked", "down"], size=len(times))
    log = pd.DataFrame({"time": times, "station": "A", "machine": "1", "state": states})
    small = pd.DataFrame({"time": [0.0, 700.0], "station": "B", "machine": "1", "state": ["busy", "off"]})
    end = float(times[-1]) + 1.0
    window = Window(float(times[0]), end)
    got = state_intervals(pd.concat([log, small]), end=end, window=window, max_per_machine=50)
    a, b = got[got["station"] == "A"], got[got["station"] == "B"]
    assert len(a) <= 3 * 50 + 1
    assert a["start"].iloc[0] == window.start and a["end"].iloc[-1] == window.end
    assert np.allclose(a["start"].to_numpy()[1:], a["end"].to_numpy()[:-1])  # no gap, no overlap
    assert (a["state"].to_numpy()[1:] != a["state"].to_numpy()[:-1]).all()  # neighbours differ
    assert a["changes"].sum() == len(log)  # every logged row is in one interval
    assert b["exact"].all() and len(b) == 2  # a machine within budget is left as it is


EVENTS = pd.DataFrame([
    (0, "A", "1", "ENTER"), (0, "A", "1", "START"), (2, "A", "1", "END"), (2, "A", "1", "EXIT"),
    (0, "A", "2", "ENTER"), (0, "A", "3", "ENTER"),
    (2, "B", "1", "ENTER"), (2, "B", "1", "START"), (2, "A", "2", "START"),
    (4, "A", "2", "END"), (5, "B", "1", "END"), (5, "B", "1", "EXIT"),
    (5, "A", "2", "EXIT"), (5, "B", "2", "ENTER"), (5, "B", "2", "START"), (5, "A", "3", "START"),
    (8, "B", "2", "END"), (8, "B", "2", "EXIT"),
], columns=["time", "station", "part", "event"]).astype({"time": float}).assign(
    machine="1", product="", outcome="", value=np.nan)


def test_buffer_levels_count_the_parts_between_enter_and_start():
    got = buffer_levels(visit_table(EVENTS), end=10.0)
    a = got[got["station"] == "A"]
    assert rows(a, ["time", "level"]) == [(0.0, 2.0), (2.0, 1.0), (5.0, 0.0), (10.0, 0.0)]
    assert (a["low"] == a["level"]).all() and set(a["counts"]) == {"buffer"}
    b = got[got["station"] == "B"]  # every part started at once: never a queue
    assert rows(b, ["time", "level"]) == [(0.0, 0.0), (10.0, 0.0)]
    window = buffer_levels(visit_table(EVENTS), end=10.0, window=Window(1.0, 3.0))
    assert rows(window[window["station"] == "A"], ["time", "level"]) == [(1.0, 2.0), (2.0, 1.0), (3.0, 1.0)]


def test_an_enter_exit_log_counts_the_parts_at_the_station():
    log = EVENTS[EVENTS["event"].isin(["ENTER", "EXIT"])]
    got = buffer_levels(visit_table(log), end=10.0)
    a = got[got["station"] == "A"]
    # part 3 never leaves A in this log: it stays there to the end
    assert rows(a, ["time", "level"]) == [(0.0, 3.0), (2.0, 2.0), (5.0, 1.0), (10.0, 1.0)]
    assert set(a["counts"]) == {"station"}


def test_a_log_that_starts_mid_run_counts_parts_already_there():
    log = pd.DataFrame([(10, "A", "9", "START"), (11, "A", "8", "END"), (12, "A", "7", "ENTER"),
                        (13, "A", "7", "START")], columns=["time", "station", "part", "event"]).astype(
        {"time": float}).assign(machine="1", product="", outcome="", value=np.nan)
    got = buffer_levels(visit_table(log), end=15.0)
    # part 9 waited from the log's start until its START; part 8 was past the buffer already
    assert rows(got, ["time", "level"]) == [(10.0, 0.0), (12.0, 1.0), (13.0, 0.0), (15.0, 0.0)]


def test_many_changes_are_bounded_and_keep_the_peaks():
    n = 5_000
    enter = np.arange(n) * 1.0
    start = enter + np.where(np.arange(n) % 500 == 0, 40.0, 0.5)  # now and then a long wait
    log = pd.DataFrame({"time": np.concatenate([enter, start]), "station": "A",
                        "part": np.tile(np.arange(n).astype(str), 2),
                        "event": ["ENTER"] * n + ["START"] * n})
    log = log.sort_values("time", kind="stable").assign(machine="1", product="", outcome="", value=np.nan)
    exact = buffer_levels(visit_table(log), end=n + 50.0, max_points=10**6)
    got = buffer_levels(visit_table(log), end=n + 50.0, max_points=100)
    assert len(got) <= 101 and len(exact) > 1_000
    assert got["level"].max() == exact["level"].max()
    assert got["low"].min() == exact["level"].min()
    assert got["time"].iloc[0] == 0.0 and got["time"].iloc[-1] == n + 50.0


def test_a_part_path_lists_its_visits_in_order():
    got = part_path(visit_table(EVENTS), "2")
    assert rows(got, ["station", "ENTER", "START", "END", "EXIT"]) == [
        ("A", 0.0, 2.0, 4.0, 5.0), ("B", 5.0, 5.0, 8.0, 8.0)]
    with pytest.raises(ConfigError, match=r"^part: no part '42' in the log \(e\.g\. '1', '2'"):
        part_path(visit_table(EVENTS), "42")
    assert parts(visit_table(EVENTS)) == ["1", "2", "3"]  # part 3 never finished: last


def test_the_stations_are_in_route_order_and_the_state_log_adds_its_own():
    renamed = EVENTS.replace({"station": {"A": "Zeta", "B": "Alpha"}})
    states = pd.DataFrame({"time": [0.0], "station": ["Omega"], "machine": "1", "state": ["off"]})
    assert station_order(visit_table(renamed), states) == ["Zeta", "Alpha", "Omega"]


def test_windows_are_checked_against_the_log():
    whole = span(EVENTS, STATES)
    assert whole == Window(0.0, 8.0)
    assert checked_window(Window(-5.0, 3.0), whole) == Window(0.0, 3.0)
    with pytest.raises(ConfigError, match=r"^window: 20 to 30 min does not overlap the log"):
        checked_window(Window(20.0, 30.0), whole)


def test_the_readers_frames_go_straight_in():
    csv = EVENTS.to_csv(index=False).encode()
    events = read_events(csv, label="log.csv")
    states = read_states(STATES.to_csv(index=False).encode(), label="states.csv")
    path = part_path(visit_table(events), "2")
    assert rows(path, ["station", "ENTER", "EXIT"]) == [("A", 0.0, 5.0), ("B", 5.0, 8.0)]
    assert len(state_intervals(states, end=10.0)) == 5
    assert len(buffer_levels(visit_table(events), end=10.0)) == 6


def test_logs_end_at_a_runs_horizon_and_keep_the_lines_order():
    logs = timeline_logs(EVENTS, STATES, order=["B"], end=60.0)
    assert logs.whole == Window(0.0, 60.0)  # a run's history lasts its horizon, rows or not
    assert logs.order == ["B", "A"]
    assert logs.parts == ["1", "2", "3"]
